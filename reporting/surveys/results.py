"""Results of the caseworker survey: per item, the distribution and the share of positive answers
(codes 4-5) at baseline and follow-up, and the paired change for caseworkers who answered both.

Rules (questionnaire-spec.md §6.2, §7.3; decisions §4):

- Only submitted responses count. "Ved ikke" (a choice with a ``missing_kind``, code 77) is
  counted but excluded from every percentage.
- Small groups: a group (a wave, or a unit of a wave, for one item) is shown only when it has at
  least 5 respondents and, unless it has none, at least 5 answers besides "Ved ikke"
  (:func:`exports.suppression.is_small_group`). A hidden group carries no numbers at all, only
  the marker.
- Differencing: the whole wave is always shown (when large enough), so a unit is shown only if the
  units hidden beside it add up to no respondents or to a group that is large enough itself;
  otherwise the smallest shown units are hidden too (:func:`publishable_units`). The same holds
  for the paired change, grouped by the unit of the follow-up response.
- Pairing is by the caseworker's account (user id) between a follow-up wave and the baseline wave
  it names; only the change is shown for pairs, never the pairs' own answer levels. Names never
  enter this module; free text (the comment) is never read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from exports.suppression import DEFAULT_THRESHOLD, is_small_group
from forms import Choice, Question, Questionnaire
from reporting.core.extensions import db
from reporting.surveys.models import WAVE_KINDS, SurveyResponse, SurveyWave

THRESHOLD = DEFAULT_THRESHOLD
POSITIVE_CODES = frozenset({4, 5})
HIDDEN_TEXT = f"Skjult: færre end {THRESHOLD} svar"

#: Short Danish names of the items for the chart axis (themes of questionnaire-spec.md §6.1-6.2).
SHORT_LABELS: dict[str, str] = {
    "b1": "Mellem forvaltninger",
    "b2": "Internt i forvaltningen",
    "b3": "Eksterne samarbejdspartnere",
    "b4": "Egne muligheder",
    "b5": "Fagligt klædt på",
    "b6": "Samlet vurdering",
    "f1": "Overblik over hvem gør hvad",
    "f2": "Klar rolle- og opgavefordeling",
    "f3": "Borgerens inddragelse",
    "f4": "Redskabernes betydning",
}


@dataclass(frozen=True)
class Respondent:
    """One submitted response, without a name: ``person`` (the account id) pairs the waves."""

    person: int
    unit_id: int | None
    answers: Mapping[str, Any]


def load_respondents(wave: SurveyWave) -> list[Respondent]:
    """The submitted responses of ``wave``."""
    rows = db.session.execute(
        select(SurveyResponse.user_id, SurveyResponse.unit_id, SurveyResponse.answers)
        .where(SurveyResponse.wave_id == wave.id, SurveyResponse.status == "submitted")
    ).all()
    return [Respondent(user_id, unit_id, answers or {}) for user_id, unit_id, answers in rows]


# --------------------------------------------------------------------------------------------
# Counting and suppression
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Counts of one group for one item: respondents (incl. "Ved ikke") and the valid codes."""

    respondents: int = 0
    dont_know: int = 0
    counts: Mapping[int, int] = field(default_factory=dict)

    @property
    def valid(self) -> int:
        return sum(self.counts.values())

    def share(self, code: int) -> float | None:
        return self.counts.get(code, 0) / self.valid if self.valid else None

    @property
    def positive_share(self) -> float | None:
        return sum(self.counts.get(c, 0) for c in POSITIVE_CODES) / self.valid if self.valid else None


def too_small(respondents: int, valid: int) -> bool:
    """A group that may not be shown: under the threshold, counted with and without "Ved ikke"."""
    return is_small_group(respondents, THRESHOLD) or is_small_group(valid, THRESHOLD)


def publishable_units(sizes: Mapping[Any, tuple[int, int]]) -> set[Any]:
    """The units (key → (respondents, valid)) that may be shown beside the whole group.

    A unit is shown when it is large enough itself and the units not shown add up to nothing or
    to a group that is large enough (else their answers would follow by subtraction from the
    total): the smallest shown units are hidden until that holds.
    """
    shown = {unit for unit, (n, valid) in sizes.items() if n > 0 and not too_small(n, valid)}

    def rest() -> tuple[int, int]:
        hidden = [size for unit, size in sizes.items() if unit not in shown]
        return sum(n for n, _ in hidden), sum(valid for _, valid in hidden)

    while shown and too_small(*rest()):
        shown.remove(min(shown, key=lambda unit: (sizes[unit], str(unit))))
    return shown


@dataclass(frozen=True)
class Group:
    """What may be shown of one group: ``tally`` is None when the group is hidden."""

    tally: Tally | None

    @property
    def hidden(self) -> bool:
        return self.tally is None

    @property
    def empty(self) -> bool:
        return self.tally is not None and self.tally.respondents == 0


@dataclass(frozen=True)
class Change:
    """Paired change (follow-up minus baseline) on one item; only pairs with two valid answers."""

    pairs: int = 0
    improved: int = 0
    same: int = 0
    worse: int = 0
    total_change: int = 0

    @property
    def valid(self) -> int:
        return self.improved + self.same + self.worse

    def share(self, part: str) -> float | None:
        return getattr(self, part) / self.valid if self.valid else None

    @property
    def mean_change(self) -> float | None:
        return self.total_change / self.valid if self.valid else None


def _visible(by_unit: Mapping[Any, Any], total: Any, unit: int | None) -> Any | None:
    """The total (or one unit's counts) if it may be shown, else None; works for Tally and Change."""
    if unit is None:
        return None if too_small(*_size(total)) else total
    value = by_unit.get(unit)
    if value is None:
        return type(total)()  # no respondents in the unit: nothing to hide
    allowed = publishable_units({key: _size(v) for key, v in by_unit.items()})
    return value if unit in allowed and not too_small(*_size(total)) else None


def _size(value: Tally | Change) -> tuple[int, int]:
    return (value.respondents, value.valid) if isinstance(value, Tally) else (value.pairs, value.valid)


def valid_choices(question: Question) -> tuple[Choice, ...]:
    return tuple(choice for choice in question.choices if choice.missing_kind is None)


def _tally(respondents: Iterable[Respondent], question: Question) -> Tally:
    valid = {choice.code for choice in valid_choices(question)}
    n = dont_know = 0
    counts: dict[int, int] = {}
    for respondent in respondents:
        code = respondent.answers.get(question.key)
        if type(code) is not int:
            continue
        n += 1
        if code in valid:
            counts[code] = counts.get(code, 0) + 1
        else:
            dont_know += 1
    return Tally(n, dont_know, counts)


def _group(respondents: list[Respondent], question: Question, unit: int | None) -> Group:
    by_unit: dict[Any, list[Respondent]] = {}
    for respondent in respondents:
        by_unit.setdefault(respondent.unit_id, []).append(respondent)
    tallies = {key: _tally(rows, question) for key, rows in by_unit.items()}
    return Group(_visible(tallies, _tally(respondents, question), unit))


def _change(pairs: list[tuple[Respondent, Respondent]], question: Question) -> Change:
    valid = {choice.code for choice in valid_choices(question)}
    n = improved = same = worse = total = 0
    for before, after in pairs:
        a, b = before.answers.get(question.key), after.answers.get(question.key)
        if type(a) is not int or type(b) is not int:
            continue
        n += 1
        if a in valid and b in valid:
            total += b - a
            improved, same, worse = improved + (b > a), same + (b == a), worse + (b < a)
    return Change(n, improved, same, worse, total)


def _change_group(pairs: list[tuple[Respondent, Respondent]], question: Question, unit: int | None) -> Change | None:
    by_unit: dict[Any, list[tuple[Respondent, Respondent]]] = {}
    for pair in pairs:
        by_unit.setdefault(pair[1].unit_id, []).append(pair)
    changes = {key: _change(rows, question) for key, rows in by_unit.items()}
    return _visible(changes, _change(pairs, question), unit)


# --------------------------------------------------------------------------------------------
# The results of one comparison
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    """One item: ``baseline``/``followup`` are None when the item is not asked in that wave."""

    question: Question
    choices: tuple[Choice, ...]
    baseline: Group | None
    followup: Group | None
    change: Change | None  # None: hidden, or no pairs possible (no baseline, or a follow-up-only item)
    change_asked: bool

    @property
    def short_label(self) -> str:
        return f"{self.question.key.upper()} {SHORT_LABELS.get(self.question.key, '')}".strip()


@dataclass(frozen=True)
class WaveCount:
    """The number of respondents of a wave (or of a unit of it); ``hidden`` below the threshold."""

    n: int

    @property
    def hidden(self) -> bool:
        return is_small_group(self.n, THRESHOLD)


@dataclass(frozen=True)
class Results:
    items: list[ItemResult]
    baseline_n: WaveCount | None
    followup_n: WaveCount | None
    pairs_n: WaveCount | None

    def chart_data(self, baseline_label: str, followup_label: str) -> dict[str, Any]:
        """The JSON the browser draws the charts from: positive shares and distributions in percent."""
        series = []
        for kind, label in (("baseline", baseline_label), ("followup", followup_label)):
            groups = [getattr(item, kind) for item in self.items]
            if all(group is None for group in groups):
                continue
            series.append({"kind": kind, "label": label,
                           "values": [_percent(g.tally.positive_share) if _shown(g) else None for g in groups],
                           "n": [g.tally.valid if _shown(g) else None for g in groups]})
        return {"labels": [item.short_label for item in self.items], "series": series,
                "hidden_text": HIDDEN_TEXT, "distribution": self._distribution(baseline_label, followup_label)}

    def _distribution(self, baseline_label: str, followup_label: str) -> dict[str, Any]:
        rows: list[tuple[str, Group]] = []
        for item in self.items:
            for group, label in ((item.baseline, baseline_label), (item.followup, followup_label)):
                if group is not None:
                    rows.append((f"{item.question.key.upper()} · {label}", group))
        codes: dict[int, list[str]] = {}
        for item in self.items:
            for choice in item.choices:
                if choice.label not in codes.setdefault(choice.code, []):
                    codes[choice.code].append(choice.label)
        return {
            "labels": [label for label, _ in rows],
            "codes": [{"code": code, "label": f"{code}: {' / '.join(labels)}",
                       "values": [_percent(g.tally.share(code)) if _shown(g) else None for _, g in rows]}
                      for code, labels in sorted(codes.items(), reverse=True)],
        }


def _shown(group: Group | None) -> bool:
    return group is not None and group.tally is not None and group.tally.valid > 0


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def compute(definition: Questionnaire, baseline: list[Respondent] | None, followup: list[Respondent] | None,
            unit: int | None = None) -> Results:
    """The results of a baseline and/or a follow-up wave (None: not part of the comparison).

    ``unit`` limits every group to one unit (the unit of each response); the wave totals are
    still used to decide which units may be shown (see :func:`publishable_units`).
    """
    asked = {kind: set(definition.section_keys(wave=kind)) for kind in WAVE_KINDS}
    after = {r.person: r for r in followup or []}
    pairs = [(r, after[r.person]) for r in baseline or [] if r.person in after]
    items = []
    for section in definition.sections:
        for question in section.questions:
            if question.type != "single":
                continue
            in_base, in_follow = section.key in asked["baseline"], section.key in asked["followup"]
            change_asked = baseline is not None and followup is not None and in_base and in_follow
            items.append(ItemResult(
                question, valid_choices(question),
                _group(baseline, question, unit) if baseline is not None and in_base else None,
                _group(followup, question, unit) if followup is not None and in_follow else None,
                _change_group(pairs, question, unit) if change_asked else None,
                change_asked,
            ))

    def count(rows: Iterable[Respondent] | None) -> WaveCount | None:
        return None if rows is None else WaveCount(sum(1 for r in rows if unit is None or r.unit_id == unit))

    paired = None if baseline is None or followup is None else count(after for _, after in pairs)
    return Results(items, count(baseline), count(followup), paired)
