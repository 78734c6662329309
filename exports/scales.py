"""Scale scores and Cronbach's alpha (decisions.md §5, questionnaire-spec.md §4.2-§4.3, D8).

Scoring rule (:func:`score_scale`), per measurement (one answer set):

1. An item is *missing* when it is absent or None (not applicable: hidden by a rule or not due;
   or blank) or its code is one of the scale's ``missing_codes`` (77 "Ved ikke"). 0 is a valid
   value, never missing. Q38_2 hidden because Q38_1 is 0 or 77 therefore counts as missing,
   like 77 (the raw items keep the distinction).
2. Items listed in ``reverse`` are scored ``low + high - code`` (none by default, D8).
3. All items answered → the score is the plain sum (an int), as the seed defines it.
   Some missing, but at least ``min_fraction`` of the items answered (default one half) →
   prorated sum = mean of the answered items × number of items (a float). Fewer → no score.
4. Always reported beside the score: the mean of the answered items and how many were answered.

Any other stored value (a str, a float, a bool, a code outside ``value_range``) is a data error
and raises ``ValueError`` naming the item; it is never guessed at.

:func:`cronbach_alpha` uses complete cases only (a row with any missing item is left out) and
returns alpha with the number of rows used; alpha is ``None`` when fewer than 2 complete rows or
fewer than 2 items, or when the total score has no variance. Arithmetic is exact (integers and
fractions), so the result does not depend on row order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = [
    "AlphaResult",
    "ScaleScore",
    "ScaleSpec",
    "alpha_label",
    "cronbach_alpha",
    "item_values",
    "scale_alpha",
    "score_scale",
]


@dataclass(frozen=True)
class ScaleSpec:
    """One sum scale. ``value_range`` = (lowest, highest) valid code; required for ``reverse``."""

    key: str
    label: str
    items: tuple[str, ...]
    reverse: tuple[str, ...] = ()
    min_fraction: float = 0.5
    missing_codes: tuple[int, ...] = (77,)
    value_range: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "reverse", tuple(self.reverse))
        object.__setattr__(self, "missing_codes", tuple(self.missing_codes))
        if not self.items:
            raise ValueError(f"scale {self.key!r} has no items")
        if len(set(self.items)) != len(self.items):
            raise ValueError(f"scale {self.key!r} lists an item twice")
        unknown = set(self.reverse) - set(self.items)
        if unknown:
            raise ValueError(f"scale {self.key!r}: reverse items {sorted(unknown)} are not items of the scale")
        if not 0 < self.min_fraction <= 1:
            raise ValueError(f"scale {self.key!r}: min_fraction must be in (0, 1]")
        if self.value_range is not None:
            low, high = self.value_range
            if low >= high:
                raise ValueError(f"scale {self.key!r}: value_range must be (low, high) with low < high")
        if self.reverse and self.value_range is None:
            raise ValueError(f"scale {self.key!r}: reverse scoring needs value_range")

    @classmethod
    def from_definition(cls, scale: Any, value_range: tuple[int, int] | None = None) -> ScaleSpec:
        """Adapter from a questionnaire definition's scale (``forms.model.Scale``, duck-typed)."""
        scoring = getattr(scale, "scoring", "prorated_sum")
        if scoring != "prorated_sum":
            raise ValueError(f"scale {scale.key!r}: unsupported scoring {scoring!r}")
        return cls(
            key=scale.key,
            label=scale.label,
            items=tuple(scale.items),
            reverse=tuple(getattr(scale, "reverse", ()) or ()),
            min_fraction=float(getattr(scale, "min_fraction", 0.5)),
            missing_codes=tuple(getattr(scale, "missing_codes", (77,)) or ()),
            value_range=value_range,
        )

    @property
    def min_answered(self) -> int:
        """Fewest answered items that still give a (prorated) score."""
        needed = Fraction(str(self.min_fraction)) * len(self.items)
        whole = int(needed)
        return max(1, whole if whole == needed else whole + 1)

    def rule_da(self) -> str:
        """The scoring rule in Danish, for the codebook."""
        missing = ", ".join(str(c) for c in self.missing_codes) or "ingen"
        reverse = f" Vendt scoring for {', '.join(self.reverse)}." if self.reverse else " Ingen vendt scoring."
        return (
            f"Sum af {len(self.items)} items ({', '.join(self.items)}) når alle er besvaret. Koder {missing} "
            f"og ubesvarede/ikke relevante items tæller som manglende. Mangler nogle, men er mindst "
            f"{self.min_answered} besvaret, er scoren gennemsnittet af de besvarede × {len(self.items)}; "
            f"ellers ingen score.{reverse}"
        )


@dataclass(frozen=True)
class ScaleScore:
    """The result for one measurement; ``score`` is None when too few items were answered."""

    score: int | float | None
    mean: float | None
    n_answered: int
    n_items: int

    @property
    def complete(self) -> bool:
        return self.n_answered == self.n_items

    @property
    def prorated(self) -> bool:
        return self.score is not None and not self.complete


def item_values(spec: ScaleSpec, answers: Mapping[str, object]) -> list[int | None]:
    """The scored value of each item (reverse applied), None where missing; see the module rules."""
    values: list[int | None] = []
    for key in spec.items:
        value = answers.get(key)
        if value is None:
            values.append(None)
            continue
        if type(value) is not int:
            raise ValueError(f"item {key!r} of scale {spec.key!r} holds a {type(value).__name__}, not a code")
        if value in spec.missing_codes:
            values.append(None)
            continue
        if spec.value_range is not None:
            low, high = spec.value_range
            if not low <= value <= high:
                raise ValueError(f"item {key!r} of scale {spec.key!r}: code {value} outside {low}-{high}")
            if key in spec.reverse:
                value = low + high - value
        values.append(value)
    return values


def score_scale(spec: ScaleSpec, answers: Mapping[str, object]) -> ScaleScore:
    """Score one measurement (see the module docstring for the rule)."""
    return score_values(spec, item_values(spec, answers))


def score_values(spec: ScaleSpec, items: Sequence[int | None]) -> ScaleScore:
    """:func:`score_scale` from the measurement's :func:`item_values` (for callers that have them already)."""
    values = [v for v in items if v is not None]
    n_items = len(spec.items)
    answered = len(values)
    if not answered:
        return ScaleScore(None, None, 0, n_items)
    total = sum(values)
    mean = total / answered
    if answered == n_items:
        score: int | float | None = total
    elif answered >= spec.min_answered:
        score = total * n_items / answered
    else:
        score = None
    return ScaleScore(score, mean, answered, n_items)


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha (None when undefined), complete cases used (``n``) and items (``k``)."""

    alpha: float | None
    n: int
    k: int

    @property
    def label_da(self) -> str | None:
        return alpha_label(self.alpha)


def cronbach_alpha(rows: Iterable[Sequence[int | float | None]]) -> AlphaResult:
    """Cronbach's alpha on complete cases: ``k/(k-1) · (1 - Σ var(item) / var(total))``.

    ``rows``: one sequence of item values per respondent/measurement, all of the same length;
    None marks a missing item (the row is skipped). Streams: memory does not grow with the rows.
    Raises ValueError if rows differ in length or hold a non-number.
    """
    k: int | None = None
    n = 0
    sums: list[Any] = []
    squares: list[Any] = []
    total_sum: Any = 0
    total_squares: Any = 0
    for row in rows:
        row = tuple(row)
        if k is None:
            k = len(row)
            sums = [0] * k
            squares = [0] * k
        elif len(row) != k:
            raise ValueError(f"rows differ in length ({len(row)} vs {k})")
        if any(v is None for v in row):
            continue
        exact = []
        for v in row:
            if type(v) is int:
                exact.append(v)
            elif type(v) is float:
                exact.append(Fraction(v))
            else:
                raise ValueError(f"item value {v!r} is not a number")
        n += 1
        total = 0
        for i, v in enumerate(exact):
            sums[i] += v
            squares[i] += v * v
            total += v
        total_sum += total
        total_squares += total * total
    k = k or 0
    if n < 2 or k < 2:
        return AlphaResult(None, n, k)
    # n·(n-1)·variance = n·Σx² − (Σx)²; the factor n·(n-1) cancels in the ratio.
    item_var = sum(n * squares[i] - sums[i] * sums[i] for i in range(k))
    total_var = n * total_squares - total_sum * total_sum
    if total_var == 0:
        return AlphaResult(None, n, k)
    alpha = Fraction(k, k - 1) * (1 - Fraction(item_var) / Fraction(total_var))
    return AlphaResult(float(alpha), n, k)


def scale_alpha(spec: ScaleSpec, answer_sets: Iterable[Mapping[str, object]]) -> AlphaResult:
    """Cronbach's alpha of a scale over measurements (e.g. one wave), items scored as in :func:`item_values`."""
    return cronbach_alpha(item_values(spec, answers) for answers in answer_sets)


def alpha_label(alpha: float | None) -> str | None:
    """The seed's interpretation of alpha (S002:3178-3190).

    Boundaries: "Over 0,9" is strict (exactly 0,9 is "God"); every "Mellem x og y" band includes
    its lower bound (0,8 is "God", 0,5 is "Dårlig"); "Under 0,5" is strict.
    """
    if alpha is None:
        return None
    if alpha > 0.9:
        return "Fremragende"
    for bound, label in ((0.8, "God"), (0.7, "Acceptabel"), (0.6, "Tvivlsom"), (0.5, "Dårlig")):
        if alpha >= bound:
            return label
    return "Uacceptabel"
