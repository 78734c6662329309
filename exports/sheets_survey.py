"""The "Sagsbehandlere" sheet: one row per caseworker, baseline and follow-up side by side."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import Any

from exports.anonymise import AllowList
from exports.definitions import missing_codes
from exports.derived import month_index
from exports.pseudonyms import Pseudonymizer
from exports.scales import ScaleSpec
from exports.sheets_common import AnswerColumns, CodebookRow, SurveyRecord, month_value

WAVES = {"baseline": ("bl_", "Baseline"), "followup": ("op_", "Opfølgning")}
#: A unit is named (by its pseudonym) only where at least this many caseworkers answered (D23).
MIN_UNIT_RESPONDENTS = 5
CASEWORKER_SCALE_SECTION = "koordinering"


def caseworker_scale(definition: Any) -> ScaleSpec | None:
    """The caseworker items asked in both waves (Del "koordinering", b1-b6) as one sum scale, scored
    like the SKP scales (77 missing, prorated sum), so that they can be compared per measurement."""
    try:
        section = definition.section(CASEWORKER_SCALE_SECTION)
    except KeyError:
        return None
    items = [s.key for s in definition.slots if s.section.key == section.key and s.kind == "single"]
    if len(items) < 2:
        return None
    missing = sorted({code for key in items for code in missing_codes(definition, key)}) or [77]
    valid = {c.code for key in items for c in definition.slot(key).question.choices if not c.missing_kind}
    return ScaleSpec("sagsbehandler_koordinering", "Sagsbehandlernes vurdering af koordineringen",
                     tuple(items), missing_codes=tuple(missing), value_range=(min(valid), max(valid)))


def latest_waves(records: Iterable[SurveyRecord], dropped: list[int] | None = None) -> Iterator[SurveyRecord]:
    """Per caseworker, the latest response of each wave kind (records ordered by caseworker, then
    wave): what every caseworker sheet holds, so "Sagsbehandlere", the caseworker rows of "Skalaer"
    and their alpha count the same responses. Earlier responses of the same kind are counted in
    ``dropped[0]`` when given."""
    for _, group in groupby(records, key=lambda r: r.user_id):
        latest: dict[str, SurveyRecord] = {}
        seen = 0
        for record in group:
            latest[record.wave_kind] = record
            seen += 1
        if dropped is not None:
            dropped[0] += seen - len(latest)
        yield from sorted(latest.values(), key=_wave_order)


def _wave_order(record: SurveyRecord) -> tuple[int, int]:
    return (0 if record.wave_kind == "baseline" else 1, record.wave_id)


def wave_sections(definition: Any, kind: str) -> list[str]:
    return list(definition.section_keys(kind))


class SurveySheet:
    """Header, rows and codebook of the caseworker sheet."""

    def __init__(self, definition: Any, allow: AllowList, pseudonyms: Pseudonymizer,
                 scale: ScaleSpec | None) -> None:
        self.definition = definition
        self.allow = allow
        self.p = pseudonyms
        self.columns = {kind: AnswerColumns(definition, allow, sections=wave_sections(definition, kind), prefix=prefix)
                        for kind, (prefix, _) in WAVES.items()}
        self.unit_sizes: dict[int, int] = {}
        self.header = ["sagsbehandler", "enhed", "kommune"]
        for kind, (prefix, _) in WAVES.items():
            self.header += [f"{prefix}besvaret", f"{prefix}maaned", *self.columns[kind].names]

    def count_units(self, records: Iterable[SurveyRecord]) -> None:
        """Respondents per unit (each caseworker once, in the unit of their latest response)."""
        latest: dict[int, int | None] = {}
        for record in records:
            if record.unit_id is not None:
                latest[record.user_id] = record.unit_id
        sizes: dict[int, int] = {}
        for unit in latest.values():
            if unit is not None:
                sizes[unit] = sizes.get(unit, 0) + 1
        self.unit_sizes = sizes

    def _unit(self, unit: int | None) -> str | None:
        if unit is None or self.unit_sizes.get(unit, 0) < MIN_UNIT_RESPONDENTS:
            return None
        return self.p.unit(unit)

    def rows(self, records: Iterable[SurveyRecord]) -> Iterator[list[object]]:
        from forms.rules import applicable_keys

        for user_id, group in groupby(records, key=lambda r: r.user_id):
            latest: dict[str, SurveyRecord] = {}
            for record in group:
                latest[record.wave_kind] = record  # ordered by wave: the latest wave of each kind wins
            any_record = next(iter(latest.values()))
            unit = next((r.unit_id for r in reversed(list(latest.values())) if r.unit_id is not None), None)
            row: list[object] = [self.p.caseworker(user_id), self._unit(unit),
                                 any_record.municipality or ""]
            for kind in WAVES:
                record = latest.get(kind)
                columns = self.columns[kind]
                if record is None:
                    row += [0, None, *([None] * len(columns.names))]
                    continue
                asked = set(applicable_keys(self.definition, record.answers or {},
                                            sections=wave_sections(self.definition, kind)))
                visible = {k: v for k, v in (record.answers or {}).items() if k in asked}
                exported = self.allow.apply(visible)
                row += [1, month_value(month_index(record.wave_month), None, "year_month"),
                        *columns.values(exported, asked)]
            yield row

    def codebook(self, sheet: str) -> list[CodebookRow]:
        rows = [
            CodebookRow(sheet, "sagsbehandler", "Sagsbehandlerens pseudonym (S…)", "tekst",
                        notes="Samme pseudonym ved baseline og opfølgning (parret på brugerkontoen)."),
            CodebookRow(sheet, "enhed", "Enhedens pseudonym (E…)", "tekst",
                        notes="Sagsbehandlerens enhed da besvarelsen blev startet (seneste måling). Tom når færre "
                              f"end {MIN_UNIT_RESPONDENTS} sagsbehandlere fra enheden har svaret."),
            CodebookRow(sheet, "kommune", "Kommune", "tekst"),
        ]
        for kind, (prefix, label) in WAVES.items():
            rows += [
                CodebookRow(sheet, f"{prefix}besvaret", f"{label}: besvaret (0/1)", "0/1",
                            notes="1 når sagsbehandleren har indsendt en besvarelse af målingen; ellers er "
                                  "målingens kolonner tomme."),
                CodebookRow(sheet, f"{prefix}maaned", f"{label}: målingens startmåned (ÅÅÅÅ-MM)", "ÅÅÅÅ-MM"),
                *self.columns[kind].codebook(sheet, timing_prefix=f"{label}. Spurgt ved: "),
            ]
        return rows
