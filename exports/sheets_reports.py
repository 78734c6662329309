"""The "Indberetninger" sheet: one row per client-month (see :mod:`exports.workbook`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from exports.anonymise import AllowList
from exports.derived import DERIVED_VARIABLES, failed_visits, measurement, minutes, month_index
from exports.pseudonyms import Pseudonymizer
from exports.sheets_common import (
    AnswerColumns,
    AskedAnswers,
    CodebookRow,
    ReportRecord,
    applicable,
    is_intake,
    month_value,
    months_of,
)

DERIVED = {v.name: v for v in DERIVED_VARIABLES}

ID_COLUMNS: dict[str, tuple[str, str]] = {
    "klient": ("Klientens pseudonym (K…)", "Nøglet eller tilfældigt pseudonym; se Om udtrækket."),
    "medarbejder": ("SKP-medarbejderens pseudonym (M…)", "Medarbejderen, der ejer klienten i dag."),
    "forloeb": ("Forløbets pseudonym (F…)", "Kontaktforløb; et genoptaget forløb er et nyt forløb."),
    "forloeb_nr": ("Forløbets nummer hos klienten (1, 2 …)", ""),
    "kommune": ("Kommune", "Medarbejderens kommune."),
    "maaned": ("Indberetningsmåned (ÅÅÅÅ-MM)", "Kun når datoer udleveres som år-måned."),
}
REPORT_DERIVED = ("maaling_type", "maaneder_siden_kontaktstart", "periodisk_maaling", "tid_med_bruger_min",
                  "tid_med_bruger_min_akk", "tid_brobygning_min", "tid_brobygning_min_akk", "q50_afledt",
                  "q51_afledt", "q50_q51_afledt")


def id_codebook(sheet: str, names: Iterable[str]) -> list[CodebookRow]:
    return [CodebookRow(sheet, name, ID_COLUMNS[name][0], "tekst" if name not in ("forloeb_nr",) else "heltal",
                        notes=ID_COLUMNS[name][1]) for name in names]


def derived_codebook(sheet: str, names: Iterable[str]) -> list[CodebookRow]:
    return [CodebookRow(sheet, DERIVED[name].name, DERIVED[name].label, DERIVED[name].type,
                        rule=DERIVED[name].rule, notes="Afledt variabel; kilder: " + ", ".join(DERIVED[name].sources))
            for name in names]


class ReportSheet:
    """Builds the header, the rows and the codebook of the report data sheet."""

    def __init__(self, definition: Any, allow: AllowList, pseudonyms: Pseudonymizer, date_mode: str,
                 definition_for: Callable[[int], Any],
                 released: Callable[[int], Mapping[str, Any]] | None = None) -> None:
        """``released``: in the anonymised export, the course's released quasi-identifiers
        (:class:`exports.disclosure.DisclosurePlan`); the sheet then names no client or worker and
        shows the course number and municipality only as released."""
        self.answers = AnswerColumns(definition, allow)
        self.allow = allow
        self.p = pseudonyms
        self.date_mode = date_mode
        self.definition_for = definition_for
        self.released = released
        if released is None:
            self.ids = ["klient", "medarbejder", "forloeb", "forloeb_nr", "kommune"]
        else:
            self.ids = ["forloeb", "forloeb_nr", "kommune"]
        if date_mode == "year_month":
            self.ids.append("maaned")
        self.header = [*self.ids, *REPORT_DERIVED, *self.answers.names]

    def course_rows(self, course: list[ReportRecord]) -> Iterator[list[object]]:
        """The rows of one course's reports (in month order)."""
        if course:
            intake_answers = course[0].answers if is_intake(course[0]) else None
            months = months_of(course[0], intake_answers)
            total_contact = total_bridge = 0
            released = self.released(course[0].course_id) if self.released is not None else None
            for record in course:
                asked = applicable(self.definition_for, record)
                visible = AskedAnswers(record.answers or {}, asked)
                m = measurement(record.period, months)
                contact, bridge = minutes(visible, "q26_tid"), minutes(visible, "q30_tid")
                total_contact += contact or 0
                total_bridge += bridge or 0
                q50, q51, q50_flag = failed_visits(visible)
                if released is None:
                    ids: list[object] = [
                        self.p.client(record.client_id), self.p.worker(record.worker_id),
                        self.p.course(record.course_id), record.course_number, record.municipality or "",
                    ]
                else:
                    ids = [self.p.course(record.course_id), released["forloeb_nr"], released["kommune"]]
                if self.date_mode == "year_month":
                    ids.append(month_value(month_index(record.period), months.anchor, self.date_mode))
                derived = [m.type, m.k, int(m.periodic), contact, total_contact, bridge, total_bridge,
                           q50, q51, q50_flag]
                exported = self.allow.apply(record.answers or {}, anchor_month=months.anchor, only=asked)
                yield [*ids, *derived, *self.answers.values(exported, asked)]

    def codebook(self, sheet: str) -> list[CodebookRow]:
        return [*id_codebook(sheet, self.ids), *derived_codebook(sheet, REPORT_DERIVED),
                *self.answers.codebook(sheet)]
