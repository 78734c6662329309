"""Effect evaluation (D26; the seed's method, S002 §7.4.2-§7.4.5): change in the four client scales.

Pure Python (no Flask, no database): the caller hands the same :class:`~exports.sheets_common.ReportRecord`
stream the workbook reads, one course at a time, to :class:`EffectCollector`; the page
(``reporting/evaluation/effect.py``) and the workbook (sheets "Effekt", "Grupper", "Regression",
"Effektmetode") both get their numbers from :func:`analyse` and print them with :func:`text_da` /
:func:`rounded`, so they agree to the last printed decimal.

Data per course (:func:`course_record`)
---------------------------------------
* Scale scores per *periodic* measurement (intake, every fourth month, closing) with the existing
  scoring (:func:`exports.scales.score_scale`; prorated when items are missing, none when fewer than
  half are answered). ``k`` = months since contact start (:func:`exports.derived.measurement`).
* Background as on the sheet "Forløb" (intake report, Q18 merged from a later month, E18): the
  Isbryder target-group flag (spec §5.4), gender (Q3), age group (Q4), ethnic minority (Q8).
* Contact and bridge-building minutes (Q26, Q30) summed over the course's reports in the selection,
  and the course length in months (:func:`exports.derived.course_length_months`).

Analyses (:func:`analyse`)
--------------------------
* Levels: the mean score with a 95 % confidence interval (t distribution) at intake and at 4, 8,
  12 … months, per group (all measurements at that time, not only pairs).
* Change: Student's paired t-test (:func:`paired_test`) of each course's score at intake against the same course's
  score k months after contact start (k = 4, 8, …; the measurement must come after the intake), and
  of the first against the last scored measurement. Reported: n, mean before and after, mean change
  (after − before) with its 95 % CI, t, df = n − 1, two-sided p and the effect size d_z = mean change /
  SD of the changes. Run for everybody and per group.
* Groups (:data:`GROUPINGS`): the Isbryder target group (flag 1) and the others (flag 0; an
  undecided flag belongs to neither), gender, age group, ethnic minority. One-way analysis of
  variance (:func:`anova`) of the first-to-last change between the groups of each grouping.
* Regression (OLS, :func:`ols`), a second step: the first-to-last change on contact hours,
  bridge-building hours and course length, controlled for gender (woman = 1), age group (1-6 as a
  number) and ethnic minority (1/0). Complete cases; a covariate without variation, or one the
  covariates before it determine (collinear), is left out and named.

Thresholds and suppression (S002:3118-3127)
-------------------------------------------
* p ≤ 0.20 when the analysis has fewer than 20 persons (ANOVA: when its smallest group has), else
  p ≤ 0.05 (:func:`threshold`). A result *meets* its threshold when the exact p is at or below it.
* A group of fewer than 5 persons is never reported, nor used in an ANOVA. So that a hidden group
  cannot be had by subtraction, within a grouping the next smallest groups are hidden too until
  the persons not shown (hidden groups and unknown values together) are 0 or at least 5.
* A regression is reported with at least 5 persons and at least 5 residual degrees of freedom.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from exports.derived import PERIODIC_INTERVAL, Measurement, measurement, month_index
from exports.scales import ScaleSpec, item_values, score_values
from exports.sheets_common import (
    AskedAnswers,
    CodebookRow,
    ReportRecord,
    applicable,
    is_intake,
    months_of,
)
from exports.sheets_courses import Background, course_background
from exports.sheets_scales import MIN_ALPHA_N, TOO_FEW, AlphaAccumulator, AlphaTable

__all__ = [
    "GROUPINGS",
    "MIN_GROUP",
    "SHEETS",
    "SMALL_GROUP",
    "AnovaRow",
    "ChangeRow",
    "EffectCollector",
    "EffectCourse",
    "EffectResults",
    "LevelRow",
    "Measure",
    "RegressionRow",
    "analyse",
    "course_record",
    "method_da",
    "rounded",
    "text_da",
    "threshold",
    "write_sheets",
]

#: The workbook's sheets of the effect evaluation, in order (inserted after "Reliabilitet").
SHEETS = {"effect": "Effekt", "groups": "Grupper", "regression": "Regression", "effect_method": "Effektmetode"}

#: Groups under this many persons are never reported (S002:3124-3127).
MIN_GROUP = 5
#: Analyses with fewer persons than this are judged at p ≤ 0.20, others at p ≤ 0.05 (S002:3118-3123).
SMALL_GROUP = 20
SMALL_THRESHOLD = 0.20
THRESHOLD = 0.05
#: Residual degrees of freedom a regression needs before it is reported.
MIN_RESIDUAL_DF = 5

ALL = "alle"
FIRST_LAST = "foerste_sidste"
INTAKE = "indskrivning"


def threshold(n: int) -> float:
    """The significance threshold for an analysis whose (smallest) group has ``n`` persons."""
    return SMALL_THRESHOLD if n < SMALL_GROUP else THRESHOLD


# -- the one number format of page and workbook ----------------------------------------------------

#: Decimals printed per kind of number, on the page and in the workbook alike.
DECIMALS = {"mean": 2, "t": 2, "F": 2, "p": 3, "effect": 2, "coef": 3, "r2": 3, "threshold": 2}


def rounded(value: float | int | None, kind: str) -> float | int | None:
    """``value`` as printed: rounded to the kind's decimals (``n``/``df`` stay ints); None stays None.

    The workbook writes these numbers; the page shows :func:`text_da` of them."""
    if value is None:
        return None
    if kind in ("n", "df"):
        return int(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    result = round(float(value), DECIMALS[kind])
    return 0.0 if result == 0 else result  # no "-0,00"


def text_da(value: float | int | None, kind: str) -> str:
    """The Danish text of a number as the page prints it: decimal comma, thousands dot for counts,
    "–" for no value, "< 0,001" for a p that rounds to 0 at three decimals."""
    shown = rounded(value, kind)
    if shown is None:
        return "–"
    if kind in ("n", "df"):
        return f"{shown:,}".replace(",", ".")
    if kind == "p" and shown == 0:
        return "< 0,001"
    return f"{shown:.{DECIMALS[kind]}f}".replace(".", ",")


def meets_text(p: float | None, limit: float) -> str:
    """"Ja" when ``p`` is at or below ``limit``, "Nej" above, "–" without a p."""
    if p is None:
        return "–"
    return "Ja" if p <= limit else "Nej"


# -- per course ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One periodic measurement: months since contact start, its type, month index, score per scale."""

    k: int
    kind: str
    month: int
    scores: tuple[float | None, ...]


@dataclass(frozen=True)
class EffectCourse:
    """What the analyses need of one course (no ids, no dates beyond month indices)."""

    municipality: str | None
    target: int | None
    gender: int | None
    age: int | None
    minority: int | None
    contact_minutes: int
    bridge_minutes: int
    length: int | None
    measures: tuple[Measure, ...]


def course_record(course: list[ReportRecord], definition_for: Callable[[int], Any], specs: Sequence[ScaleSpec],
                  alpha: Sequence[AlphaAccumulator] | None = None, *, background: Background | None = None,
                  scored: Sequence[tuple[ReportRecord, Measurement, Sequence[float | None]]] | None = None,
                  ) -> EffectCourse:
    """The :class:`EffectCourse` of one course's reports (in month order); the items of every
    measurement that asks a scale go into ``alpha`` (one accumulator per spec), as on "Reliabilitet".

    ``background`` (:func:`exports.sheets_courses.course_background`) and ``scored`` (every report
    that asks a scale, with its measurement and score per spec, as the sheet "Skalaer" computed
    them: :meth:`EffectCollector.scored`) save the workbook working them out a second time; the
    items then went into the alpha table already, and ``alpha`` is not used."""
    if background is None:
        background = course_background(course, definition_for)
    if scored is None:
        scored = list(_scores(course, definition_for, specs, alpha))
    measures = [Measure(m.k, m.type, month_index(record.period) or 0, tuple(scores))
                for record, m, scores in scored if m.periodic and any(s is not None for s in scores)]
    flag = background.flag
    return EffectCourse(
        municipality=course[0].municipality,
        target=flag.maalgruppe if flag is not None else None,
        gender=background.gender,
        age=background.age,
        minority=background.minority,
        contact_minutes=background.contact_minutes,
        bridge_minutes=background.bridge_minutes,
        length=background.facts.length,
        measures=tuple(measures),
    )


def _scores(course: list[ReportRecord], definition_for: Callable[[int], Any], specs: Sequence[ScaleSpec],
            alpha: Sequence[AlphaAccumulator] | None) -> Iterator[tuple[ReportRecord, Measurement, list[float | None]]]:
    """Each report of ``course`` that asks a scale, its measurement and its score per spec (None
    where too few items were answered or an item holds a data error), as on the sheet "Skalaer"."""
    months = months_of(course[0], course[0].answers if is_intake(course[0]) else None)
    for record in course:
        asked = applicable(definition_for, record)
        due = [i for i, spec in enumerate(specs) if asked.intersection(spec.items)]
        if not due:
            continue
        answers = AskedAnswers(record.answers or {}, asked)
        scores: list[float | None] = [None] * len(specs)
        for i in due:
            try:
                values = item_values(specs[i], answers)
                score = score_values(specs[i], values).score
            except ValueError:  # a data error: no score (the workbook counts it on "Skalaer")
                continue
            if alpha is not None:
                alpha[i].add(values)
            scores[i] = None if score is None else float(score)
        yield record, measurement(record.period, months), scores


# -- groups ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grouping:
    """One way of dividing the courses: the course attribute and its groups (code → Danish label)."""

    key: str
    label: str
    attribute: str
    groups: tuple[tuple[int, str], ...]


AGE_LABELS = ((1, "18-25 år"), (2, "26-35 år"), (3, "36-45 år"), (4, "46-55 år"), (5, "56-65 år"),
              (6, "66 år eller derover"))
GROUPINGS: tuple[Grouping, ...] = (
    Grouping("maalgruppe", "Isbryder-målgruppen", "target", ((1, "Isbryder-målgruppen"), (0, "Øvrige"))),
    Grouping("koen", "Køn", "gender", ((1, "Mænd"), (2, "Kvinder"))),
    Grouping("alder", "Aldersgruppe", "age", AGE_LABELS),
    Grouping("etnicitet", "Etnisk minoritet", "minority", ((1, "Etnisk minoritet"), (0, "Ikke etnisk minoritet"))),
)


def group_labels() -> dict[str, str]:
    """Every group key (``alle``, ``koen-2`` …) with its Danish label, in display order."""
    labels = {ALL: "Alle"}
    for grouping in GROUPINGS:
        for code, label in grouping.groups:
            labels[f"{grouping.key}-{code}"] = label
    return labels


def _point_label(point: str) -> str:
    return "Indskrivning" if point == INTAKE else f"{point[1:]} mdr."


def _comparison_label(comparison: str) -> str:
    return "Første → sidste måling" if comparison == FIRST_LAST else f"Indskrivning → {comparison[1:]} mdr."


# -- results -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelRow:
    """Mean score of a scale at one time point for one group."""

    scale: str
    group: str
    point: str
    n: int
    mean: float
    ci_low: float | None
    ci_high: float | None

    @property
    def label(self) -> str:
        return _point_label(self.point)


@dataclass(frozen=True)
class ChangeRow:
    """A paired t-test of a scale for one group and one pair of measurements."""

    scale: str
    group: str
    comparison: str
    n: int
    before: float
    after: float
    change: float
    ci_low: float | None
    ci_high: float | None
    t: float | None
    df: int
    p: float | None
    effect: float | None
    threshold: float

    @property
    def label(self) -> str:
        return _comparison_label(self.comparison)

    @property
    def meets(self) -> str:
        return meets_text(self.p, self.threshold)


@dataclass(frozen=True)
class AnovaRow:
    """A one-way ANOVA of the first-to-last change between the shown groups of a grouping."""

    scale: str
    comparison: str
    grouping: str
    groups: tuple[tuple[str, int, float], ...]  # (group key, n, mean change)
    n: int
    smallest: int
    f: float | None
    df_between: int
    df_within: int
    p: float | None
    threshold: float

    @property
    def label(self) -> str:
        return next(g.label for g in GROUPINGS if g.key == self.grouping)

    @property
    def meets(self) -> str:
        return meets_text(self.p, self.threshold)


@dataclass(frozen=True)
class RegressionRow:
    """One term of the regression of a scale's first-to-last change."""

    scale: str
    n: int
    r2: float | None
    term: str
    coef: float | None
    ci_low: float | None
    ci_high: float | None
    t: float | None
    p: float | None
    threshold: float

    @property
    def label(self) -> str:
        return TERMS[self.term]

    @property
    def meets(self) -> str:
        return "–" if self.term == "konstant" else meets_text(self.p, self.threshold)


TERMS = {
    "konstant": "Konstant",
    "kontakt_timer": "Kontakttid (timer i alt)",
    "brobygning_timer": "Brobygningstid (timer i alt)",
    "laengde_mdr": "Forløbets længde (måneder)",
    "kvinde": "Køn: kvinde (1) mod mand (0)",
    "aldersgruppe": "Aldersgruppe (1-6)",
    "etnisk_minoritet": "Etnisk minoritet (1/0)",
}


@dataclass
class EffectResults:
    """Everything the page and the sheets show; plain data (see :meth:`to_dict`)."""

    scales: list[tuple[str, str]]
    courses: int
    levels: list[LevelRow] = field(default_factory=list)
    changes: list[ChangeRow] = field(default_factory=list)
    anovas: list[AnovaRow] = field(default_factory=list)
    regressions: list[RegressionRow] = field(default_factory=list)
    #: Regression covariates left out per scale (no variation among the complete cases, or fully
    #: determined by the covariates before them).
    left_out: dict[str, list[str]] = field(default_factory=dict)
    #: Cronbach's alpha per scale over every measurement in the selection: (alpha or None, n).
    alphas: dict[str, tuple[float | None, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (for the page's cache); :meth:`from_dict` gives the same results back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EffectResults:
        return cls(
            scales=[tuple(s) for s in data["scales"]],  # type: ignore[misc]
            courses=data["courses"],
            levels=[LevelRow(**r) for r in data["levels"]],
            changes=[ChangeRow(**r) for r in data["changes"]],
            anovas=[AnovaRow(**{**r, "groups": tuple(tuple(g) for g in r["groups"])}) for r in data["anovas"]],
            regressions=[RegressionRow(**r) for r in data["regressions"]],
            left_out={k: list(v) for k, v in data["left_out"].items()},
            alphas={k: (v[0], v[1]) for k, v in data["alphas"].items()},
        )

    def scale_label(self, key: str) -> str:
        return dict(self.scales)[key]

    def alpha_text(self, key: str) -> str:
        """"0,84 (n = 312)" or "for få (n = 7)"; alpha is not shown below 10 complete answers (D23)."""
        alpha, n = self.alphas.get(key, (None, 0))
        if n < MIN_ALPHA_N:
            return f"{TOO_FEW} (n = {text_da(n, 'n')})"
        return f"{text_da(alpha, 'mean')} (n = {text_da(n, 'n')})"

    def groups_shown(self) -> list[str]:
        """Group keys that have at least one reported change, in display order."""
        present = {row.group for row in self.changes} | {row.group for row in self.levels}
        return [key for key in group_labels() if key in present]


# -- statistics ------------------------------------------------------------------------------------


def _special() -> Any:
    """scipy's distribution functions (Student's t, F), imported when the first analysis runs.

    The tests and the regression are written here with numpy on top of them rather than taken from
    ``scipy.stats`` and statsmodels: importing those two cost 0.9 s and about 90 MiB of the export's
    peak RSS at 100k client-months (266 MiB, against 160 MiB just before the effect sheets), for a
    few dozen t-tests and four regressions; ``scipy.special`` alone costs 0.16 s and 26 MiB. The
    formulas are scipy's and statsmodels' own (``ttest_rel`` = a one-sample t-test of the
    differences, ``f_oneway``, OLS by the pseudo-inverse) and every number is checked against
    textbook formulas in ``tests/exports/test_effect_stats.py``."""
    from scipy import special

    return special


def _t_quantile(q: float, df: int) -> float:
    """The q-quantile of Student's t with ``df`` degrees of freedom (``scipy.stats.t.ppf``)."""
    return float(_special().stdtrit(df, q))


def _t_two_sided(t: Any, df: int) -> Any:
    """Two-sided p of t with ``df`` degrees of freedom (``2 * scipy.stats.t.sf(|t|, df)``)."""
    import numpy as np

    return 2 * _special().stdtr(df, -np.abs(t))


def _mean_ci(values: Any) -> tuple[float, float | None, float | None]:
    """Mean of ``values`` (a numpy array) with its 95 % confidence interval (t distribution)."""
    n = len(values)
    mean = float(values.mean())
    if n < 2:
        return mean, None, None
    half = _t_quantile(0.975, n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half


def paired_test(before: Any, after: Any) -> dict[str, Any]:
    """Student's paired t-test of ``after`` against ``before`` (numpy arrays; as scipy's ``ttest_rel``:
    a one-sample t-test of the differences), with the 95 % CI of the mean change and d_z. Without
    variation in the changes t, p and d_z are None and the CI is the mean change itself."""
    import numpy as np

    n = len(before)
    diffs = after - before
    change = float(diffs.mean())
    sd = float(diffs.std(ddof=1)) if n > 1 else 0.0
    out: dict[str, Any] = {"n": n, "before": float(before.mean()), "after": float(after.mean()),
                           "change": change, "df": n - 1, "t": None, "p": None, "effect": None,
                           "ci_low": change, "ci_high": change}
    if n < 2 or sd == 0:
        return out
    mean = np.mean(diffs)
    variance = np.mean((diffs - mean) ** 2) * (n / (n - 1))
    error = np.sqrt(variance / n)
    t = mean / error
    tail = (1 - 0.95) / 2
    low, high = (float(_special().stdtrit(n - 1, q)) for q in (tail, 1 - tail))
    out.update(t=float(t), p=float(_t_two_sided(t, n - 1)), effect=change / sd,
               ci_low=float(low * error + mean), ci_high=float(high * error + mean))
    return out


def anova(groups: Sequence[Any]) -> tuple[float | None, float | None]:
    """One-way ANOVA (as scipy's ``f_oneway``): (F, p); (None, None) when F is undefined (no
    variation within groups)."""
    import numpy as np

    data = np.concatenate(groups)
    total = len(data)
    offset = data.mean()
    centred = data - offset
    normalised = centred.sum() ** 2.0 / total
    ss_total = centred @ centred - normalised
    ss_between = sum((group - offset).sum() ** 2.0 / len(group) for group in groups) - normalised
    df_between, df_within = len(groups) - 1, total - len(groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = float((ss_between / df_between) / ((ss_total - ss_between) / df_within))
    if not math.isfinite(f) or all(np.ptp(group) == 0 for group in groups):
        return None, None
    p = float(_special().fdtrc(df_between, df_within, f))
    if not math.isfinite(p):
        return None, None
    return f, p


def ols(x: Any, y: Any) -> dict[str, Any]:
    """Ordinary least squares of ``y`` on the columns of ``x`` (the first a constant), as statsmodels'
    ``OLS(y, x).fit()``: coefficients by the pseudo-inverse, their standard errors, t, two-sided p and
    95 % confidence intervals (t with n − rank degrees of freedom), and R² about the mean."""
    import numpy as np

    pinv = np.linalg.pinv(x, rcond=1e-15)
    params = pinv @ y
    resid = y - x @ params
    ssr = float(resid @ resid)
    df_resid = len(y) - int(np.linalg.matrix_rank(x))
    with np.errstate(divide="ignore", invalid="ignore"):
        errors = np.sqrt(np.diag(pinv @ pinv.T) * (ssr / df_resid))
        t = params / errors
        centred = y - y.mean()
        r2 = 1 - ssr / float(centred @ centred)
    q = _t_quantile(1 - 0.05 / 2, df_resid)
    return {"params": params, "t": t, "p": _t_two_sided(t, df_resid),
            "ci": np.column_stack([params - q * errors, params + q * errors]), "r2": r2}


def _visible(counts: Mapping[str, int], total: int) -> set[str]:
    """The groups that may be shown: at least :data:`MIN_GROUP` persons, and so many that the persons
    not shown (hidden groups plus unknown values) are 0 or at least :data:`MIN_GROUP`."""
    shown = {key for key, n in counts.items() if n >= MIN_GROUP}
    while shown:
        rest = total - sum(counts[key] for key in shown)
        if rest == 0 or rest >= MIN_GROUP:
            break
        shown.discard(min(shown, key=lambda key: (counts[key], key)))
    return shown


def _members(courses: Sequence[EffectCourse]) -> dict[str, Any]:
    """Group key → membership of every course (a numpy bool array)."""
    import numpy as np

    members = {ALL: np.ones(len(courses), dtype=bool)}
    for grouping in GROUPINGS:
        values = np.array([_code(getattr(c, grouping.attribute)) for c in courses], dtype=np.int64)
        for code, _ in grouping.groups:
            members[f"{grouping.key}-{code}"] = values == code
    return members


def _code(value: int | None) -> int:
    return -1 if value is None else value


def _shown_groups(indices: Any, members: Mapping[str, Any]) -> dict[str, Any]:
    """For the courses ``indices`` (one analysis): the groups that may be shown, each with the
    positions of its courses within ``indices``."""
    import numpy as np

    shown: dict[str, Any] = {}
    total = len(indices)
    if total >= MIN_GROUP:
        shown[ALL] = np.arange(total)
    for grouping in GROUPINGS:
        keys = [f"{grouping.key}-{code}" for code, _ in grouping.groups]
        positions = {key: np.flatnonzero(members[key][indices]) for key in keys}
        visible = _visible({key: len(positions[key]) for key in keys}, total)
        shown.update({key: positions[key] for key in keys if key in visible})
    return shown


class _Flat:
    """Every measurement of every course as numpy arrays (one row per measurement, in course and
    month order), so each analysis is a handful of vector operations."""

    def __init__(self, courses: Sequence[EffectCourse], n_scales: int) -> None:
        import numpy as np

        course, k, month, intake, scores = [], [], [], [], []
        nan = float("nan")
        for c, item in enumerate(courses):
            for m in item.measures:
                course.append(c)
                k.append(m.k)
                month.append(m.month)
                intake.append(m.kind == INTAKE)
                scores.append([nan if v is None else v for v in m.scores])
        self.course = np.array(course, dtype=np.int64)
        self.k = np.array(k, dtype=np.int64)
        self.month = np.array(month, dtype=np.int64)
        self.intake = np.array(intake, dtype=bool)
        self.scores = np.array(scores, dtype=float).reshape(len(course), n_scales)
        self.periodic_k = (self.k > 0) & (self.k % PERIODIC_INTERVAL == 0) & ~self.intake
        self.n_courses = len(courses)
        covariates = [[_nan(c.contact_minutes / 60), _nan(c.bridge_minutes / 60), _nan(c.length),
                       nan if c.gender is None else float(c.gender == 2), _nan(c.age), _nan(c.minority)]
                      for c in courses]
        self.covariates = np.array(covariates, dtype=float).reshape(len(courses), 6)


def _nan(value: float | int | None) -> float:
    return float("nan") if value is None else float(value)


def analyse(courses: Sequence[EffectCourse], specs: Sequence[ScaleSpec],
            alpha: Sequence[AlphaAccumulator] | None = None) -> EffectResults:
    """Every level, change, ANOVA and regression of the module docstring for ``courses``."""
    members = _members(courses)
    flat = _Flat(courses, len(specs))
    results = EffectResults(scales=[(spec.key, spec.label) for spec in specs], courses=len(courses))
    for i, spec in enumerate(specs):
        if alpha is not None:
            acc = alpha[i]
            results.alphas[spec.key] = (acc.alpha, acc.n)
        _levels(results, spec.key, i, flat, members)
        pairs = _pairs(i, flat)
        for comparison in sorted(pairs, key=_comparison_order):
            indices, before, after = pairs[comparison]
            shown = _shown_groups(indices, members)
            for group, positions in shown.items():
                s = paired_test(before[positions], after[positions])
                results.changes.append(ChangeRow(spec.key, group, comparison, s["n"], s["before"], s["after"],
                                                 s["change"], s["ci_low"], s["ci_high"], s["t"], s["df"], s["p"],
                                                 s["effect"], threshold(s["n"])))
            if comparison == FIRST_LAST:
                _anovas(results, spec.key, after - before, shown)
                _regression(results, spec.key, indices, after - before, flat)
    return results


def _comparison_order(comparison: str) -> tuple[int, int]:
    return (1, 0) if comparison == FIRST_LAST else (0, int(comparison[1:]))


def _levels(results: EffectResults, key: str, i: int, flat: _Flat, members: Mapping[str, Any]) -> None:
    import numpy as np

    scored = ~np.isnan(flat.scores[:, i])
    selections = [(INTAKE, scored & flat.intake)]
    for k in np.unique(flat.k[scored & flat.periodic_k]).tolist():
        selections.append((f"k{k}", scored & flat.periodic_k & (flat.k == k)))
    for point, mask in selections:
        indices, scores = flat.course[mask], flat.scores[mask, i]
        if not len(indices):
            continue
        for group, positions in _shown_groups(indices, members).items():
            mean, low, high = _mean_ci(scores[positions])
            results.levels.append(LevelRow(key, group, point, len(positions), mean, low, high))


def _pairs(i: int, flat: _Flat) -> dict[str, tuple[Any, Any, Any]]:
    """Comparison → (course positions, before, after) as numpy arrays, for scale ``i``."""
    import numpy as np

    pairs: dict[str, tuple[Any, Any, Any]] = {}
    values = flat.scores[:, i]
    scored = np.flatnonzero(~np.isnan(values))
    if not len(scored):
        return pairs
    courses = flat.course[scored]
    # first and last scored measurement per course (rows are in course and month order)
    starts = np.flatnonzero(np.r_[True, courses[1:] != courses[:-1]])
    ends = np.r_[starts[1:], len(scored)] - 1
    several = ends > starts
    first, last = scored[starts[several]], scored[ends[several]]
    # intake against the k-month measurement of the same course, after the intake
    intake_score = np.full(flat.n_courses, np.nan)
    intake_month = np.zeros(flat.n_courses, dtype=np.int64)
    intakes = scored[flat.intake[scored]]
    intake_score[flat.course[intakes]] = values[intakes]
    intake_month[flat.course[intakes]] = flat.month[intakes]
    later = scored[flat.periodic_k[scored]]
    later = later[~np.isnan(intake_score[flat.course[later]]) & (flat.month[later] > intake_month[flat.course[later]])]
    for k in np.unique(flat.k[later]).tolist():
        rows = later[flat.k[later] == k]
        c = flat.course[rows]
        pairs[f"k{k}"] = (c, intake_score[c], values[rows])
    if len(first):
        pairs[FIRST_LAST] = (flat.course[first], values[first], values[last])
    return pairs


def _anovas(results: EffectResults, key: str, changes: Any, shown: Mapping[str, Any]) -> None:
    for grouping in GROUPINGS:
        keys = [f"{grouping.key}-{code}" for code, _ in grouping.groups if f"{grouping.key}-{code}" in shown]
        if len(keys) < 2:
            continue
        samples = [changes[shown[g]] for g in keys]
        f, p = anova(samples)
        sizes = [len(s) for s in samples]
        total = sum(sizes)
        results.anovas.append(AnovaRow(
            key, FIRST_LAST, grouping.key,
            tuple((g, len(s), float(s.mean())) for g, s in zip(keys, samples, strict=True)),
            total, min(sizes), f, len(keys) - 1, total - len(keys), p, threshold(min(sizes))))


def _regression(results: EffectResults, key: str, indices: Any, changes: Any, flat: _Flat) -> None:
    """OLS (:func:`ols`) of the first-to-last change on time and course length with controls."""
    import numpy as np

    matrix = flat.covariates[indices]
    complete = ~np.isnan(matrix).any(axis=1)
    matrix, outcome = matrix[complete], changes[complete]
    names = [t for t in TERMS if t != "konstant"]
    n = len(outcome)
    kept: list[int] = []  # a covariate without variation, or given by the ones before it, is left out
    for j in range(len(names)):
        if n and np.ptp(matrix[:, j]) > 0:
            trial = np.column_stack([np.ones(n), *(matrix[:, i] for i in [*kept, j])])
            if np.linalg.matrix_rank(trial) == len(kept) + 2:
                kept.append(j)
    left_out = [names[j] for j in range(len(names)) if j not in kept]
    if n < MIN_GROUP or n - (len(kept) + 1) < MIN_RESIDUAL_DF:
        return
    x = np.column_stack([np.ones(n), *(matrix[:, j] for j in kept)])
    fit = ols(x, outcome)
    ci = fit["ci"]
    limit = threshold(n)
    r2 = _finite(fit["r2"])
    for j, term in enumerate(["konstant", *(names[j] for j in kept)]):
        results.regressions.append(RegressionRow(
            key, n, r2, term, _finite(fit["params"][j]), _finite(ci[j][0]), _finite(ci[j][1]), _finite(fit["t"][j]),
            _finite(fit["p"][j]), limit))
    if left_out:
        results.left_out[key] = left_out


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


# -- the collector the page and the workbook share ---------------------------------------------------


class EffectCollector:
    """Fed one course at a time (:meth:`add`, the workbook's single pass), then :meth:`results`.

    With ``alpha_table`` (the workbook's :class:`exports.sheets_scales.AlphaTable`) the collector is
    fed by the sheet "Skalaer" (:meth:`scored`, before :meth:`add` of the same course): the scores
    and the items' alpha are computed once for both. At 100k client-months scoring every report a
    second time here took 1.4 of the collector's 2.1 seconds."""

    def __init__(self, specs: Sequence[ScaleSpec], definition_for: Callable[[int], Any],
                 alpha_table: AlphaTable | None = None) -> None:
        self.specs = list(specs)
        self.definition_for = definition_for
        self.courses: list[EffectCourse] = []
        self.alpha_table = alpha_table
        self.alpha = [AlphaAccumulator(len(spec.items)) for spec in self.specs]
        self._scored: list[tuple[ReportRecord, Measurement, Sequence[float | None]]] = []
        self._results: EffectResults | None = None

    def scored(self, record: ReportRecord, m: Measurement, scores: Sequence[float | None]) -> None:
        """One report's scores per spec (None: no score), as the sheet "Skalaer" computed them."""
        self._scored.append((record, m, scores))

    def add(self, course: list[ReportRecord], background: Background | None = None) -> None:
        if course:
            fed = self.alpha_table is not None
            scored, self._scored = self._scored, []
            self.courses.append(course_record(course, self.definition_for, self.specs, self.alpha,
                                              background=background, scored=scored if fed else None))
            self._results = None

    def extend(self, courses: Iterable[list[ReportRecord]]) -> EffectCollector:
        for course in courses:
            self.add(course)
        return self

    def results(self) -> EffectResults:
        if self._results is None:
            alpha = self.alpha if self.alpha_table is None else [self.alpha_table.overall(s) for s in self.specs]
            self._results = analyse(self.courses, self.specs, alpha)
        return self._results

    def write(self, book: Any) -> list[CodebookRow]:
        """Write the effect sheets into ``book`` (:class:`exports.xlsx.Workbook`); returns their codebook."""
        return write_sheets(book, self.results())


# -- text and sheets ---------------------------------------------------------------------------------


def method_da() -> list[str]:
    """The method in two Danish paragraphs (page and workbook)."""
    return [
        "Effektmålingen følger evalueringen af Isbryderprojektet (S002 §7.4). Skalascorerne for psykisk "
        "tilstand, tillid, livskvalitet og værgemål beregnes ved hver periodisk måling (indskrivning, hver "
        "fjerde måned fra kontaktstart og afslutning) efter skalaernes regel (sum af items; prorateret, når "
        "højst halvdelen mangler). Den samme klients målinger parres: indskrivningen med målingen 4, 8, 12 … "
        "måneder efter kontaktstart og første med sidste måling. Students parrede t-test viser, om den "
        "gennemsnitlige ændring (efter minus før) er forskellig fra 0, med 95 %-konfidensinterval, t, "
        "frihedsgrader, p og effektstørrelse (d = ændring / spredningen af ændringerne). Testen køres for "
        "alle og for hver gruppe: Isbryder-målgruppen (den foreslåede afgrænsning, spec §5.4) og de øvrige, "
        "køn, aldersgruppe og etnisk minoritet. Bemærk retningen: en højere score for psykisk tilstand betyder "
        "flere symptomer.",
        "Grupperne sammenlignes med variansanalyse (ANOVA) af ændringen fra første til sidste måling. Som et "
        "andet trin undersøger en multipel regression, om ændringen hænger sammen med tiden til kontakt og til "
        "brobygning (timer i alt) og forløbets længde, kontrolleret for køn, alder og etnisk minoritet. Som i "
        "evalueringen gælder grænseværdien p ≤ 0,20, når en analyse (for variansanalysen: dens mindste gruppe) "
        "har færre end 20 personer, ellers p ≤ 0,05. Grupper med færre end 5 personer vises aldrig; det gør "
        "andre grupper heller ikke, hvis de skjulte kunne regnes ud som forskellen til alle. Resultaterne "
        "viser sammenhænge, ikke årsager: der er ingen kontrolgruppe.",
    ]


def _group_label(key: str) -> str:
    return group_labels()[key]


EFFECT_HEADER = ["skala", "skala_navn", "gruppe", "type", "maaling", "n", "gennemsnit_foer", "gennemsnit_efter",
                 "gennemsnit", "ci_nedre", "ci_oevre", "t", "df", "p", "effektstoerrelse", "graense", "opfylder"]
GROUPS_HEADER = ["skala", "skala_navn", "maaling", "inddeling", "grupper", "n", "mindste_gruppe", "F",
                 "df_mellem", "df_inden", "p", "graense", "opfylder"]
REGRESSION_HEADER = ["skala", "skala_navn", "n", "r2", "variabel", "variabel_navn", "koefficient", "ci_nedre",
                     "ci_oevre", "t", "p", "graense", "opfylder"]


def groups_text(row: AnovaRow) -> str:
    """"Mænd: n = 30, ændring 1,20; Kvinder: …" (page and workbook)."""
    return "; ".join(f"{_group_label(g)}: n = {text_da(n, 'n')}, ændring {text_da(change, 'mean')}"
                     for g, n, change in row.groups)


def effect_rows(results: EffectResults) -> Iterable[list[object]]:
    """The rows of the sheet "Effekt": levels, then changes, per scale."""
    for key, label in results.scales:
        for lv in (r for r in results.levels if r.scale == key):
            yield [key, label, _group_label(lv.group), "niveau", lv.label, lv.n, None, None,
                   rounded(lv.mean, "mean"), rounded(lv.ci_low, "mean"), rounded(lv.ci_high, "mean"),
                   None, None, None, None, None, None]
        for ch in (r for r in results.changes if r.scale == key):
            yield [key, label, _group_label(ch.group), "aendring", ch.label, ch.n, rounded(ch.before, "mean"),
                   rounded(ch.after, "mean"), rounded(ch.change, "mean"), rounded(ch.ci_low, "mean"),
                   rounded(ch.ci_high, "mean"), rounded(ch.t, "t"), ch.df, rounded(ch.p, "p"),
                   rounded(ch.effect, "effect"), rounded(ch.threshold, "threshold"), ch.meets]


def groups_rows(results: EffectResults) -> Iterable[list[object]]:
    for row in results.anovas:
        yield [row.scale, results.scale_label(row.scale), _comparison_label(row.comparison), row.label,
               groups_text(row), row.n, row.smallest, rounded(row.f, "F"), row.df_between, row.df_within,
               rounded(row.p, "p"), rounded(row.threshold, "threshold"), row.meets]


def regression_rows(results: EffectResults) -> Iterable[list[object]]:
    for row in results.regressions:
        yield [row.scale, results.scale_label(row.scale), row.n, rounded(row.r2, "r2"), row.term, row.label,
               rounded(row.coef, "coef"), rounded(row.ci_low, "coef"), rounded(row.ci_high, "coef"),
               rounded(row.t, "t"), rounded(row.p, "p"), rounded(row.threshold, "threshold"), row.meets]


def method_rows(results: EffectResults) -> Iterable[list[object]]:
    for paragraph in method_da():
        yield ["Metode", paragraph]
    yield ["Udvalg", f"{text_da(results.courses, 'n')} forløb med mindst én indsendt indberetning i udtrækket."]
    for key, label in results.scales:
        yield [f"Cronbachs alfa: {label}", f"{results.alpha_text(key)}; alle målinger i udtrækket (som arket "
                                           "Reliabilitet, række 'alle')."]
    for key, terms in results.left_out.items():
        yield [f"Regression: {results.scale_label(key)}",
               "Udeladt (ingen variation, eller givet af de andre variable, blandt de komplette forløb): "
               + ", ".join(TERMS[t] for t in terms)]
    yield ["Tal", "Gennemsnit, ændringer og konfidensintervaller med 2 decimaler, t og F med 2, p med 3, "
                  "effektstørrelse med 2, regressionskoefficienter med 3 – de samme tal som siden Effektmåling."]


def write_sheets(book: Any, results: EffectResults) -> list[CodebookRow]:
    """The sheets "Effekt", "Grupper", "Regression" and "Effektmetode"; returns their codebook rows."""
    for sheet, header, rows in ((SHEETS["effect"], EFFECT_HEADER, effect_rows(results)),
                                (SHEETS["groups"], GROUPS_HEADER, groups_rows(results)),
                                (SHEETS["regression"], REGRESSION_HEADER, regression_rows(results))):
        book.add_sheet(sheet, header)
        for row in rows:
            book.write_row(row)
    book.add_sheet(SHEETS["effect_method"], ["Emne", "Beskrivelse"], freeze_header=False)
    for row in method_rows(results):
        book.write_row(row)
    return codebook(SHEETS)


def codebook(sheets: Mapping[str, str]) -> list[CodebookRow]:
    """Codebook rows of the effect sheets (every column)."""
    e, g, r = sheets["effect"], sheets["groups"], sheets["regression"]
    limit = ("0,20 når analysen har færre end 20 personer (variansanalyse: mindste gruppe), ellers 0,05 "
             "(S002 §7.4.2).")
    common = {
        "skala": ("Skalaens nøgle", "tekst"), "skala_navn": ("Skalaens navn", "tekst"),
        "n": ("Antal personer (forløb) i analysen; grupper under 5 vises ikke", "heltal"),
        "p": ("p-værdi, tosidet (3 decimaler)", "decimaltal"), "graense": ("Grænseværdi for p", "decimaltal"),
        "opfylder": ("Ja når p ≤ grænseværdien, ellers Nej; – uden p", "tekst"),
        "t": ("t-værdi (2 decimaler)", "decimaltal"),
    }
    rows = []
    for sheet, header, own in (
        (e, EFFECT_HEADER, {
            "gruppe": ("Gruppe (Alle, Isbryder-målgruppen, Øvrige, køn, aldersgruppe, etnisk minoritet)", "tekst"),
            "type": ("'niveau' = gennemsnit ved et tidspunkt; 'aendring' = parret t-test", "tekst"),
            "maaling": ("Tidspunkt (niveau) eller de to parrede målinger (ændring)", "tekst"),
            "gennemsnit_foer": ("Gennemsnit ved første måling af parret (2 decimaler)", "decimaltal"),
            "gennemsnit_efter": ("Gennemsnit ved anden måling af parret (2 decimaler)", "decimaltal"),
            "gennemsnit": ("Niveau: gennemsnitlig score; ændring: gennemsnitlig ændring efter minus før",
                           "decimaltal"),
            "ci_nedre": ("Nedre grænse af 95 %-konfidensintervallet (t-fordeling)", "decimaltal"),
            "ci_oevre": ("Øvre grænse af 95 %-konfidensintervallet (t-fordeling)", "decimaltal"),
            "df": ("Frihedsgrader (n - 1)", "heltal"),
            "effektstoerrelse": ("Effektstørrelse d = gennemsnitlig ændring / spredningen af ændringerne",
                                 "decimaltal"),
        }),
        (g, GROUPS_HEADER, {
            "maaling": ("Sammenligning: ændringen fra første til sidste måling", "tekst"),
            "inddeling": ("Inddeling af forløbene", "tekst"),
            "grupper": ("De viste grupper med n og gennemsnitlig ændring", "tekst"),
            "mindste_gruppe": ("Antal personer i den mindste gruppe (bestemmer grænseværdien)", "heltal"),
            "F": ("F-værdi i envejs variansanalyse (2 decimaler)", "decimaltal"),
            "df_mellem": ("Frihedsgrader mellem grupper", "heltal"),
            "df_inden": ("Frihedsgrader inden for grupper", "heltal"),
        }),
        (r, REGRESSION_HEADER, {
            "r2": ("Forklaret varians R² (3 decimaler)", "decimaltal"),
            "variabel": ("Forklarende variabel (nøgle)", "tekst"),
            "variabel_navn": ("Forklarende variabel", "tekst"),
            "koefficient": ("Regressionskoefficient (ændring pr. enhed; 3 decimaler)", "decimaltal"),
            "ci_nedre": ("Nedre grænse af koefficientens 95 %-konfidensinterval", "decimaltal"),
            "ci_oevre": ("Øvre grænse af koefficientens 95 %-konfidensinterval", "decimaltal"),
        }),
    ):
        for name in header:
            label, kind = own.get(name) or common[name]
            rule = limit if name in ("graense", "opfylder") else ""
            if name == "gennemsnit" and sheet == e or name == "variabel" and sheet == r or name == "F":
                rule = " ".join(method_da())
            rows.append(CodebookRow(sheet, name, label, kind, rule=rule))
    return rows
