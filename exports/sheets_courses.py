"""The "Forløb" sheet: one row per course with intake (Del 1) and closing (Del 7) answers, the
derived variables of spec §5.3 and the Isbryder target-group flag with its components (§5.4)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from exports.anonymise import AllowList
from exports.derived import (
    aldersgruppe,
    boligtilstand,
    course_length_months,
    etnisk_minoritet,
    isbryder_target_group,
    koen,
    minutes,
    month_index,
)
from exports.pseudonyms import Pseudonymizer
from exports.sheets_common import (
    AnswerColumns,
    CodebookRow,
    ReportRecord,
    applicable,
    is_intake,
    month_value,
    months_of,
)
from exports.sheets_reports import derived_codebook, id_codebook

COURSE_STATUS_DA = {"open": "Åbent", "closed": "Afsluttet", "postponed": "Udsat"}
COURSE_DERIVED = ("forloeb_laengde_mdr", "forloeb_afsluttet", "koen", "aldersgruppe", "etnisk_minoritet",
                  "boligtilstand_antal", "boligtilstand_nogen", "isbryder_c1_sindslidende", "isbryder_c2_isoleret",
                  "isbryder_c3_uacceptable_forhold", "isbryder_c4_egen_bolig", "isbryder_maalgruppe",
                  "tid_med_bruger_min_akk", "tid_brobygning_min_akk")
MONTH_COLUMNS = {
    "indskrivning_maaned": "Måned for forløbets første indberetning (ÅÅÅÅ-MM)",
    "kontaktstart_maaned": "Måned for kontaktstart (spm. 16; ellers første indberetning) (ÅÅÅÅ-MM)",
    "afslutning_maaned": "Måned for den indberetning der afsluttede forløbet (ÅÅÅÅ-MM); tom for åbne forløb",
}
EXTRA_COLUMNS = {
    "forloeb_status": ("Forløbets status (Åbent, Afsluttet, Udsat)", "tekst"),
    "antal_indberetninger": ("Antal indsendte indberetninger i udtrækket", "heltal"),
    "indskrivning_med": ("Indskrivningens indberetning er med i udtrækket (0/1)", "0/1"),
    "afslutning_med": ("Afslutningens indberetning (Del 7) er med i udtrækket (0/1)", "0/1"),
}


class CourseSheet:
    """Header, rows and codebook of the course sheet; counts courses per municipality and status."""

    def __init__(self, definition: Any, allow: AllowList, pseudonyms: Pseudonymizer, date_mode: str,
                 definition_for: Callable[[int], Any]) -> None:
        self.intake = AnswerColumns(definition, allow, sections=["del1"])
        self.closing = AnswerColumns(definition, allow, sections=["del7"])
        self.allow = allow
        self.p = pseudonyms
        self.date_mode = date_mode
        self.definition_for = definition_for
        self.ids = ["klient", "medarbejder", "forloeb", "forloeb_nr", "kommune"]
        self.months = list(MONTH_COLUMNS) if date_mode == "year_month" else []
        self.header = [*self.ids, *self.months, *EXTRA_COLUMNS, *COURSE_DERIVED, *self.intake.names,
                       *self.closing.names]
        self.municipality_counts: dict[str, Counter[str]] = defaultdict(Counter)

    def course_row(self, course: list[ReportRecord]) -> list[object]:
        """The one row of a course, from all its reports (in month order)."""
        first, last = course[0], course[-1]
        intake_record = first if is_intake(first) else None
        closing_record = next((r for r in course if r.closes_course or
                               (r.closing is not None and month_index(r.period) == month_index(r.closing))), None)
        intake_asked = applicable(self.definition_for, intake_record) if intake_record else None
        intake_visible = ({k: v for k, v in intake_record.answers.items() if k in intake_asked}
                          if intake_record and intake_asked is not None else None)
        months = months_of(first, intake_visible)
        closing_asked = applicable(self.definition_for, closing_record) if closing_record else None
        closing_visible = ({k: v for k, v in closing_record.answers.items() if k in closing_asked}
                           if closing_record and closing_asked is not None else {})
        start = dict(intake_visible or {})
        if start.get("q18") is None:  # E18: Q18 answered in a later month while Q17 = 3
            later = next((r.answers.get("q18") for r in course[1:] if r.answers.get("q18") is not None), None)
            if later is not None:
                start["q18"] = later
        flag = isbryder_target_group(start) if intake_visible is not None else None
        count, any_condition = boligtilstand(start) if intake_visible is not None else (None, None)
        status = COURSE_STATUS_DA.get(first.course_status, first.course_status)
        self.municipality_counts[first.municipality or "Uden kommune"][status] += 1
        row: list[object] = [
            self.p.client(first.client_id), self.p.worker(first.worker_id), self.p.course(first.course_id),
            first.course_number, first.municipality or "",
        ]
        if self.months:
            row += [month_value(months.intake, months.anchor, self.date_mode),
                    month_value(months.start, months.anchor, self.date_mode),
                    month_value(months.closing, months.anchor, self.date_mode)]
        row += [status, len(course), int(intake_record is not None), int(closing_record is not None)]
        row += [
            course_length_months(months, closing_visible or None, last.period),
            int(first.course_status == "closed"),
            koen(start) if intake_visible is not None else None,
            aldersgruppe(start) if intake_visible is not None else None,
            etnisk_minoritet(start) if intake_visible is not None else None,
            count, any_condition,
            *((flag.sindslidende, flag.isoleret, flag.uacceptable_forhold, flag.egen_bolig, flag.maalgruppe)
              if flag else (None,) * 5),
            sum(minutes(r.answers, "q26_tid") or 0 for r in course),
            sum(minutes(r.answers, "q30_tid") or 0 for r in course),
        ]
        if intake_record is not None:
            exported = self.allow.apply(intake_visible or {}, anchor_month=months.anchor)
            row += self.intake.values(exported, intake_asked)
        else:
            row += [None] * len(self.intake.names)
        if closing_record is not None:
            exported = self.allow.apply(closing_visible, anchor_month=months.anchor)
            row += self.closing.values(exported, closing_asked)
        else:
            row += [None] * len(self.closing.names)
        return row

    def codebook(self, sheet: str) -> list[CodebookRow]:
        months = [CodebookRow(sheet, name, MONTH_COLUMNS[name], "ÅÅÅÅ-MM") for name in self.months]
        extra = [CodebookRow(sheet, name, label, kind) for name, (label, kind) in EXTRA_COLUMNS.items()]
        derived = derived_codebook(sheet, COURSE_DERIVED)
        note = " Her: summen over forløbets indberetninger i udtrækket."
        derived = [CodebookRow(**{**r.__dict__, "rule": r.rule + note}) if r.name.endswith("_akk") else r
                   for r in derived]
        blank = "Tom når indberetningen ikke er med i udtrækket."
        intake = [CodebookRow(**{**r.__dict__, "notes": (r.notes + " " + blank).strip()})
                  for r in self.intake.codebook(sheet, timing_prefix="Indskrivningens indberetning: ")]
        closing = [CodebookRow(**{**r.__dict__, "notes": (r.notes + " " + blank).strip()})
                   for r in self.closing.codebook(sheet, timing_prefix="Afslutningens indberetning: ")]
        return [*id_codebook(sheet, self.ids), *months, *extra, *derived, *intake, *closing]
