"""The "Parret" sheet: one row per course, the scale scores at intake and at every fourth month side
by side (wide), ready for a paired t-test in SPSS, Stata or R without reshaping "Skalaer".

The scores are the ones of "Skalaer" (the same :func:`exports.scales.score_scale` call, handed over
by :class:`exports.sheets_scales.ScaleSheet` while it builds that sheet), so the two sheets cannot
disagree. Columns per scale: ``<skala>_indskr`` (the intake report), ``<skala>_m4``, ``_m8`` … (the
periodic measurement 4, 8 … months after contact start, as in :func:`exports.derived.measurement`;
a closing report that falls on such a month counts there too, as in the effect evaluation) and
``<skala>_afsl`` (the closing report). The widest month is the longest course in the file, so the
rows wait in a spool until every course has been seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from exports.derived import PERIODIC_INTERVAL, Measurement
from exports.scales import ScaleSpec
from exports.sheets_common import CodebookRow

INTAKE = "indskr"
CLOSING = "afsl"


def slots_of(m: Measurement) -> list[str | int]:
    """The paired-sheet slots a measurement fills: ``indskr``, a month ``k`` (4, 8 …), ``afsl``."""
    if m.type == "indskrivning":
        return [INTAKE]
    slots: list[str | int] = []
    if m.periodic and m.k > 0 and m.k % PERIODIC_INTERVAL == 0:
        slots.append(m.k)
    if m.type == "afslutning":
        slots.append(CLOSING)
    return slots


class PairedSheet:
    """Collects each course's scores (``add`` while "Skalaer" is built, ``course_row`` per course)
    and writes the wide rows once the widest month is known."""

    def __init__(self, specs: Sequence[ScaleSpec]) -> None:
        self.specs = list(specs)
        self.max_k = 0
        self._scores: dict[tuple[str, str | int], object] = {}

    def add(self, spec_key: str, m: Measurement, score: object) -> None:
        for slot in slots_of(m):
            if isinstance(slot, int) and slot > self.max_k:
                self.max_k = slot
            self._scores[(spec_key, slot)] = score

    def course_row(self, course_pseudonym: str) -> list[object]:
        """The compact row of the course just scored: ``[pseudonym, {(scale, slot): score}]``."""
        row: list[object] = [course_pseudonym, self._scores]
        self._scores = {}
        return row

    @property
    def months(self) -> list[int]:
        return list(range(PERIODIC_INTERVAL, self.max_k + 1, PERIODIC_INTERVAL))

    def _slots(self) -> list[tuple[str, str | int, str]]:
        out: list[tuple[str, str | int, str]] = []
        for spec in self.specs:
            out.append((spec.key, INTAKE, f"{spec.key}_{INTAKE}"))
            out += [(spec.key, k, f"{spec.key}_m{k}") for k in self.months]
            out.append((spec.key, CLOSING, f"{spec.key}_{CLOSING}"))
        return out

    @property
    def header(self) -> list[str]:
        return ["forloeb", *(name for _, _, name in self._slots())]

    def rows(self, compact: Iterable[list[object]]) -> Iterator[list[object]]:
        slots = [(key, slot) for key, slot, _ in self._slots()]
        for pseudonym, scores in compact:
            assert isinstance(scores, Mapping)
            yield [pseudonym, *(scores.get(slot) for slot in slots)]

    def codebook(self, sheet: str) -> list[CodebookRow]:
        rows = [CodebookRow(sheet, "forloeb", "Forløbets pseudonym (F…)", "tekst",
                            notes="Samme pseudonym som på Forløb og Skalaer; én række pr. forløb.")]
        for key, slot, name in self._slots():
            spec = next(s for s in self.specs if s.key == key)
            if slot == INTAKE:
                label, when = f"{spec.label}: score ved indskrivning", "Indskrivningens indberetning"
            elif slot == CLOSING:
                label, when = f"{spec.label}: score ved afslutning", "Afslutningens indberetning (Del 7)"
            else:
                label = f"{spec.label}: score {slot} måneder efter kontaktstart"
                when = f"Den periodiske måling {slot} måneder efter kontaktstart"
            rows.append(CodebookRow(
                sheet, name, label, "tal", timing=when, scales=key,
                rule="Samme score som på Skalaer (" + spec.rule_da() + "). Tom når målingen ikke er med i "
                     "udtrækket, eller når for få items er besvaret.",
                notes="Til parret t-test: sammenlign fx indskrivning med 4 måneder. En afslutning i en fjerde "
                      "måned står både under måneden og under afslutning, som i Effekt.",
            ))
        return rows
