"""Effect evaluation (exports/effect.py, D26) against textbook formulas computed here, without
scipy or statsmodels: paired t-test (mean change, 95 % CI, t, df, p), one-way ANOVA, OLS; the
seed's thresholds (p ≤ 0.20 under 20 persons) and suppression (groups under 5 never shown)."""

from __future__ import annotations

import io
import math
import random
from datetime import UTC, date, datetime

import openpyxl
import pytest

import forms
from exports.definitions import scale_specs
from exports.effect import (
    ALL,
    FIRST_LAST,
    INTAKE,
    MIN_GROUP,
    SHEETS,
    EffectCourse,
    EffectResults,
    Measure,
    analyse,
    effect_rows,
    rounded,
    text_da,
    threshold,
)
from exports.pseudonyms import Pseudonymizer
from exports.workbook import ExportOptions, ReportRecord, build_workbook
from forms.sample import sample_answers

SKP = forms.get_definition("skp_monthly")
SPECS = scale_specs(SKP)
BASE = 2024 * 12  # January 2024 as a month index


# -- textbook formulas (Numerical Recipes' incomplete beta by continued fraction) -----------------------


def _betacf(a: float, b: float, x: float) -> float:
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > 1e-300 else 1e-300)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > 1e-300 else 1e-300)
        c = 1 + aa / c
        c = c if abs(c) > 1e-300 else 1e-300
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > 1e-300 else 1e-300)
        c = 1 + aa / c
        c = c if abs(c) > 1e-300 else 1e-300
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return h


def betai(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def t_two_sided_p(t: float, df: int) -> float:
    return betai(df / 2, 0.5, df / (df + t * t))


def t_critical(df: int, level: float = 0.95) -> float:
    """The t with two-sided tail probability 1 - level, by bisection."""
    low, high = 0.0, 100.0
    for _ in range(200):
        mid = (low + high) / 2
        if t_two_sided_p(mid, df) > 1 - level:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def f_p(f: float, df1: int, df2: int) -> float:
    return betai(df2 / 2, df1 / 2, df2 / (df2 + df1 * f))


def textbook_paired(before: list[float], after: list[float]) -> dict[str, float]:
    n = len(before)
    d = [a - b for a, b in zip(after, before, strict=True)]
    mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1))
    se = sd / math.sqrt(n)
    t = mean / se
    half = t_critical(n - 1) * se
    return {"n": n, "before": sum(before) / n, "after": sum(after) / n, "change": mean, "ci_low": mean - half,
            "ci_high": mean + half, "t": t, "df": n - 1, "p": t_two_sided_p(t, n - 1), "effect": mean / sd}


def textbook_anova(groups: list[list[float]]) -> tuple[float, int, int, float]:
    values = [v for g in groups for v in g]
    grand = sum(values) / len(values)
    between = sum(len(g) * (sum(g) / len(g) - grand) ** 2 for g in groups)
    within = sum((v - sum(g) / len(g)) ** 2 for g in groups for v in g)
    df1, df2 = len(groups) - 1, len(values) - len(groups)
    f = (between / df1) / (within / df2)
    return f, df1, df2, f_p(f, df1, df2)


def _solve(matrix: list[list[float]], rhs: list[list[float]]) -> list[list[float]]:
    """Gauss-Jordan elimination with partial pivoting: matrix⁻¹ · rhs."""
    n = len(matrix)
    a = [row[:] + r[:] for row, r in zip(matrix, rhs, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        p = a[col][col]
        a[col] = [v / p for v in a[col]]
        for r in range(n):
            if r != col:
                factor = a[r][col]
                a[r] = [v - factor * w for v, w in zip(a[r], a[col], strict=True)]
    return [row[n:] for row in a]


def textbook_ols(x: list[list[float]], y: list[float]) -> dict[str, object]:
    n, k = len(x), len(x[0])
    xtx = [[sum(x[r][i] * x[r][j] for r in range(n)) for j in range(k)] for i in range(k)]
    identity = [[float(i == j) for j in range(k)] for i in range(k)]
    inverse = _solve(xtx, identity)
    xty = [sum(x[r][i] * y[r] for r in range(n)) for i in range(k)]
    beta = [sum(inverse[i][j] * xty[j] for j in range(k)) for i in range(k)]
    fitted = [sum(b * v for b, v in zip(beta, row, strict=True)) for row in x]
    rss = sum((yi - fi) ** 2 for yi, fi in zip(y, fitted, strict=True))
    mean = sum(y) / n
    tss = sum((yi - mean) ** 2 for yi in y)
    sigma2 = rss / (n - k)
    se = [math.sqrt(sigma2 * inverse[i][i]) for i in range(k)]
    t = [b / s for b, s in zip(beta, se, strict=True)]
    crit = t_critical(n - k)
    return {"beta": beta, "se": se, "t": t, "p": [t_two_sided_p(v, n - k) for v in t], "r2": 1 - rss / tss,
            "ci": [(b - crit * s, b + crit * s) for b, s in zip(beta, se, strict=True)]}


# -- a hand-made dataset --------------------------------------------------------------------------------

TARGET_N, OTHERS_N = 12, 40


def _dataset(seed: int = 20) -> list[EffectCourse]:
    """12 courses in the Isbryder target group and 40 others; age groups of 3, 20 and 29 persons
    (the 3 are hidden, and so are the 20: else the 3 follow by subtraction); every course has an
    intake, a 4-month and a closing measurement, every other course also an 8-month one."""
    rng = random.Random(seed)
    courses = []
    for c in range(TARGET_N + OTHERS_N):
        target = 1 if c < TARGET_N else 0
        age = 1 if c < 3 else (2 if c < 23 else 3)
        gain = 2.0 if target else 0.5
        base = [rng.randint(2, 14) for _ in SPECS]
        ks = [0, 4, 8, 10] if c % 2 == 0 else [0, 4, 9]
        measures = []
        for j, k in enumerate(ks):
            kind = INTAKE if j == 0 else ("afslutning" if j == len(ks) - 1 else "periodisk")
            scores = tuple(float(max(0, b + round(gain * j + rng.gauss(0, 2)))) for b in base)
            if c == 5 and j == 1:
                scores = (None, *scores[1:])  # a measurement without the first scale's score
            measures.append(Measure(k, kind, BASE + k, scores))
        courses.append(EffectCourse(
            municipality="Esbjerg", target=target, gender=1 + c % 2, age=age, minority=int(c % 7 == 0),
            contact_minutes=rng.randint(60, 3000), bridge_minutes=rng.randint(0, 900),
            length=ks[-1] + rng.randint(0, 3),
            measures=tuple(measures)))
    return courses


@pytest.fixture(scope="module")
def courses() -> list[EffectCourse]:
    return _dataset()


@pytest.fixture(scope="module")
def results(courses: list[EffectCourse]) -> EffectResults:
    return analyse(courses, SPECS)


def _members(courses: list[EffectCourse], group: str) -> list[EffectCourse]:
    if group == ALL:
        return list(courses)
    attribute = {"maalgruppe": "target", "koen": "gender", "alder": "age", "etnicitet": "minority"}
    name, code = group.rsplit("-", 1)
    return [c for c in courses if getattr(c, attribute[name]) == int(code)]


def _pair_values(courses: list[EffectCourse], scale: int, comparison: str) -> tuple[list[float], list[float]]:
    before, after = [], []
    for course in courses:
        scored = [m for m in course.measures if m.scores[scale] is not None]
        if comparison == FIRST_LAST:
            if len(scored) >= 2:
                before.append(scored[0].scores[scale])
                after.append(scored[-1].scores[scale])
            continue
        k = int(comparison[1:])
        intake = next((m for m in scored if m.kind == INTAKE), None)
        later = next((m for m in scored if m.k == k and m.kind != INTAKE), None)
        if intake is not None and later is not None:
            before.append(intake.scores[scale])
            after.append(later.scores[scale])
    return before, after


def test_every_paired_t_test_equals_the_textbook(courses, results) -> None:
    assert results.changes
    for row in results.changes:
        scale = [s.key for s in SPECS].index(row.scale)
        before, after = _pair_values(_members(courses, row.group), scale, row.comparison)
        expected = textbook_paired(before, after)
        assert row.n == expected["n"] and row.df == expected["df"]
        for name in ("before", "after", "change", "ci_low", "ci_high", "t", "p", "effect"):
            assert getattr(row, name) == pytest.approx(expected[name], rel=1e-7, abs=1e-9), (row, name)


def test_the_comparisons_are_intake_against_each_fourth_month_and_first_against_last(results) -> None:
    comparisons = {r.comparison for r in results.changes if r.group == ALL and r.scale == "tillid"}
    assert comparisons == {"k4", "k8", FIRST_LAST}  # k = 9 and 10 are closings between the 4-month points
    first_last = next(r for r in results.changes if r.group == ALL and r.scale == "tillid"
                      and r.comparison == FIRST_LAST)
    assert first_last.n == TARGET_N + OTHERS_N
    k8 = next(r for r in results.changes if r.group == ALL and r.scale == "tillid" and r.comparison == "k8")
    assert k8.n == (TARGET_N + OTHERS_N) // 2


def test_levels_are_means_with_a_t_interval(courses, results) -> None:
    for row in results.levels:
        scale = [s.key for s in SPECS].index(row.scale)
        values = [m.scores[scale] for c in _members(courses, row.group) for m in c.measures
                  if m.scores[scale] is not None
                  and (m.kind == INTAKE if row.point == INTAKE else (m.kind != INTAKE and m.k == int(row.point[1:])))]
        n = len(values)
        mean = sum(values) / n
        half = t_critical(n - 1) * math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) / math.sqrt(n)
        assert row.n == n
        assert (row.mean, row.ci_low, row.ci_high) == pytest.approx((mean, mean - half, mean + half), rel=1e-9)


def test_a_group_of_12_is_judged_at_020_and_one_of_40_at_005(results) -> None:
    target = [r for r in results.changes if r.group == "maalgruppe-1" and r.comparison == FIRST_LAST]
    others = [r for r in results.changes if r.group == "maalgruppe-0" and r.comparison == FIRST_LAST]
    assert target and others
    assert all(r.n == 12 and r.threshold == 0.20 for r in target)
    assert all(r.n == 40 and r.threshold == 0.05 for r in others)
    for row in target + others:
        assert row.meets == ("Ja" if row.p <= row.threshold else "Nej")
    assert threshold(19) == 0.20 and threshold(20) == 0.05


def test_groups_under_five_never_show_nor_those_that_would_reveal_them(results) -> None:
    for rows in (results.changes, results.levels):
        assert all(r.n >= MIN_GROUP for r in rows)
        groups = {r.group for r in rows}
        assert "alder-1" not in groups  # 3 persons
        assert "alder-2" not in groups  # 20 persons, hidden so that the 3 cannot be had as all - 29
        assert "alder-3" in groups
    for row in results.anovas:
        assert all(n >= MIN_GROUP for _, n, _ in row.groups)
        assert row.grouping != "alder"  # one group left: nothing to compare


def test_a_tiny_selection_shows_nothing() -> None:
    few = analyse(_dataset()[:4], SPECS)
    assert few.levels == [] and few.changes == [] and few.anovas == [] and few.regressions == []


def test_anova_equals_the_textbook(courses, results) -> None:
    assert {r.grouping for r in results.anovas} == {"maalgruppe", "koen", "etnicitet"}
    for row in results.anovas:
        scale = [s.key for s in SPECS].index(row.scale)
        samples = []
        for group, n, change in row.groups:
            before, after = _pair_values(_members(courses, group), scale, FIRST_LAST)
            diffs = [a - b for a, b in zip(after, before, strict=True)]
            assert n == len(diffs) and change == pytest.approx(sum(diffs) / n)
            samples.append(diffs)
        f, df1, df2, p = textbook_anova(samples)
        assert (row.df_between, row.df_within) == (df1, df2)
        assert (row.f, row.p) == pytest.approx((f, p), rel=1e-7)
        assert row.threshold == threshold(min(len(s) for s in samples))


def test_regression_equals_the_normal_equations(courses, results) -> None:
    for spec_index, spec in enumerate(SPECS):
        rows = [r for r in results.regressions if r.scale == spec.key]
        assert [r.term for r in rows] == ["konstant", "kontakt_timer", "brobygning_timer", "laengde_mdr", "kvinde",
                                          "aldersgruppe", "etnisk_minoritet"]
        x, y = [], []
        for course in courses:
            scored = [m for m in course.measures if m.scores[spec_index] is not None]
            x.append([1.0, course.contact_minutes / 60, course.bridge_minutes / 60, float(course.length),
                      float(course.gender == 2), float(course.age), float(course.minority)])
            y.append(scored[-1].scores[spec_index] - scored[0].scores[spec_index])
        expected = textbook_ols(x, y)
        for j, row in enumerate(rows):
            assert row.n == len(y) and row.threshold == 0.05
            assert row.coef == pytest.approx(expected["beta"][j], rel=1e-6, abs=1e-9)
            assert row.t == pytest.approx(expected["t"][j], rel=1e-6)
            assert row.p == pytest.approx(expected["p"][j], rel=1e-6, abs=1e-12)
            assert (row.ci_low, row.ci_high) == pytest.approx(expected["ci"][j], rel=1e-6, abs=1e-9)
            assert row.r2 == pytest.approx(expected["r2"], rel=1e-9)


def test_a_covariate_without_variation_or_given_by_others_is_left_out() -> None:
    same = [EffectCourse(**{**c.__dict__, "minority": 0, "bridge_minutes": c.contact_minutes * 2})
            for c in _dataset()]
    results = analyse(same, SPECS)
    assert results.regressions
    assert all(r.term not in ("etnisk_minoritet", "brobygning_timer") for r in results.regressions)
    assert results.left_out == {spec.key: ["brobygning_timer", "etnisk_minoritet"] for spec in SPECS}


def test_numbers_are_printed_by_one_function() -> None:
    assert text_da(1.005, "mean") == text_da(rounded(1.005, "mean"), "mean")
    assert text_da(-0.001, "mean") == "0,00"
    assert text_da(0.0004, "p") == "< 0,001"
    assert text_da(0.04449, "p") == "0,044"
    assert text_da(12345, "n") == "12.345"
    assert text_da(None, "t") == "–"
    assert rounded(0.123456, "coef") == 0.123


def test_results_survive_the_cache_round_trip(results) -> None:
    import json

    again = EffectResults.from_dict(json.loads(json.dumps(results.to_dict())))
    assert again == results


# -- through the workbook: records → scores → sheets ----------------------------------------------------

PERIODIC = frozenset({"del2", "del5", "del6"})
INTAKE_PARTS = frozenset({"del1", "del3", "del4"}) | PERIODIC
MONTHLY = frozenset({"del3", "del4"})
CLOSING = MONTHLY | PERIODIC | {"del7"}


def _records(courses: int = 30) -> list[ReportRecord]:
    rng = random.Random(3)
    records = []
    for n in range(courses):
        months = [("2024-01", INTAKE_PARTS)] + [(f"2024-{m:02d}", PERIODIC | MONTHLY if m in (5, 9) else MONTHLY)
                                                 for m in range(2, 10)]
        months[-1] = ("2024-09", CLOSING)
        for period, sections in months:
            overrides = {"q16": 2, "q16_dato": "2024-01-05", "q40": "2024-09-20"}
            answers = sample_answers(SKP, sections, rng=rng, overrides=overrides, reference=date(2024, 1, 20))
            records.append(ReportRecord(
                client_id=n, worker_id=100, course_id=1000 + n, course_number=1, municipality="Esbjerg",
                intake=date(2024, 1, 1), contact_start=date(2024, 1, 5), closing=date(2024, 9, 1),
                course_status="closed", period=date.fromisoformat(period + "-01"), answers=answers,
                definition_version=1, closes_course=period == "2024-09", sections=sections))
    return records


@pytest.fixture(scope="module")
def book() -> dict[str, list[dict]]:
    out = io.BytesIO()
    records = _records()
    build_workbook(out, reports=lambda: iter(records), survey=lambda: iter(()), skp_definition=SKP,
                   caseworker_definition=forms.get_definition("caseworker"),
                   options=ExportOptions(Pseudonymizer.keyed(b"k" * 32), datetime(2024, 10, 1, tzinfo=UTC),
                                         mode="pseudonymised", legal_basis="Test", recipient="Test"))
    workbook = openpyxl.load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    sheets = {}
    for ws in workbook.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        sheets[ws.title] = [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]
    return sheets


def test_the_workbook_has_the_effect_sheets_and_a_methods_note(book) -> None:
    for name in SHEETS.values():
        assert name in book
    assert any(r["Emne"] == "Metode" for r in book["Effektmetode"])
    documented = {(r["Ark"], r["Variabel"]) for r in book["Kodebog"]}
    for sheet in ("Effekt", "Grupper", "Regression"):
        assert book[sheet], sheet
        assert {(sheet, name) for name in book[sheet][0]} <= documented


def test_levels_in_the_workbook_are_the_scores_on_the_sheet_skalaer(book) -> None:
    """The intake mean of every scale equals the mean of the intake scores on "Skalaer"."""
    for spec in SPECS:
        scores = [r["score"] for r in book["Skalaer"] if r["skala"] == spec.key and r["maaling"] == "indskrivning"
                  and r["score"] is not None]
        level = next(r for r in book["Effekt"] if r["skala"] == spec.key and r["type"] == "niveau"
                     and r["gruppe"] == "Alle" and r["maaling"] == "Indskrivning")
        assert level["n"] == len(scores)
        assert level["gennemsnit"] == rounded(sum(scores) / len(scores), "mean")


def test_the_change_rows_in_the_workbook_follow_the_textbook(book) -> None:
    """Intake → 4 months from the "Skalaer" sheet's scores, paired by course, by the textbook."""
    for spec in SPECS:
        by_course: dict[str, dict[str, float]] = {}
        for r in book["Skalaer"]:
            if r["skala"] == spec.key and r["score"] is not None:
                by_course.setdefault(r["forloeb"], {})[r["tidspunkt"]] = r["score"]
        pairs = [(v["2024-01"], v["2024-05"]) for v in by_course.values() if "2024-01" in v and "2024-05" in v]
        row = next(r for r in book["Effekt"] if r["skala"] == spec.key and r["type"] == "aendring"
                   and r["gruppe"] == "Alle" and r["maaling"] == "Indskrivning → 4 mdr.")
        expected = textbook_paired([b for b, _ in pairs], [a for _, a in pairs])
        assert row["n"] == expected["n"] and row["df"] == expected["df"]
        assert row["gennemsnit"] == rounded(expected["change"], "mean")
        assert (row["ci_nedre"], row["ci_oevre"]) == (rounded(expected["ci_low"], "mean"),
                                                      rounded(expected["ci_high"], "mean"))
        assert row["p"] == rounded(expected["p"], "p")
        assert row["graense"] == 0.05 if expected["n"] >= 20 else 0.20


def test_effect_rows_are_the_rounded_results(results) -> None:
    rows = list(effect_rows(results))
    changes = [r for r in rows if r[3] == "aendring"]
    assert len(changes) == len(results.changes)
    for row, result in zip(changes, results.changes, strict=True):
        assert row[5] == result.n and row[8] == rounded(result.change, "mean") and row[13] == rounded(result.p, "p")


def test_the_tests_and_the_regression_equal_scipy_and_statsmodels() -> None:
    """exports/effect.py writes the tests and the OLS on scipy.special (importing scipy.stats and
    statsmodels cost the export 0.9 s and ~90 MiB); they must give what those libraries give."""
    import numpy as np
    from scipy import stats
    from statsmodels.regression import linear_model

    from exports.effect import _mean_ci, anova, ols, paired_test

    rng = np.random.default_rng(18)
    for _ in range(200):
        n = int(rng.integers(3, 200))
        before = rng.integers(0, 30, n).astype(float)
        after = before + rng.integers(-5, 6, n)
        ours, theirs = paired_test(before, after), stats.ttest_rel(after, before)
        ci = theirs.confidence_interval(0.95)
        assert ours["t"] == pytest.approx(theirs.statistic, rel=1e-12)
        assert ours["p"] == pytest.approx(theirs.pvalue, rel=1e-12, abs=1e-300)
        assert (ours["ci_low"], ours["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)
        values = rng.normal(size=n)
        half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)
        assert _mean_ci(values)[2] == pytest.approx(values.mean() + half, rel=1e-12)
        groups = [rng.integers(-9, 9, int(rng.integers(5, 40))).astype(float) for _ in range(int(rng.integers(2, 5)))]
        f, p = anova(groups)
        reference = stats.f_oneway(*groups)
        assert (f, p) == pytest.approx((reference.statistic, reference.pvalue), rel=1e-12)
        m, k = int(rng.integers(12, 200)), int(rng.integers(1, 6))
        x = np.column_stack([np.ones(m), rng.integers(0, 50, (m, k)).astype(float)])
        y = rng.normal(size=m)
        fit, mine = linear_model.OLS(y, x).fit(), ols(x, y)
        assert mine["params"] == pytest.approx(fit.params, rel=1e-9)
        assert mine["t"] == pytest.approx(fit.tvalues, rel=1e-9)
        assert mine["p"] == pytest.approx(fit.pvalues, rel=1e-9)
        assert mine["ci"] == pytest.approx(fit.conf_int(0.05), rel=1e-9)
        assert mine["r2"] == pytest.approx(fit.rsquared, rel=1e-9)
    assert anova([np.full(6, 3.0), np.full(7, 4.0)]) == (None, None)  # no variation within the groups
