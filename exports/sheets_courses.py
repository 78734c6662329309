"""The "Forløb" sheet: one row per course with intake (Del 1) and closing (Del 7) answers, the
derived variables of spec §5.3 and the Isbryder target-group flag with its components (§5.4)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from exports.anonymise import AllowList
from exports.derived import (
    CourseMonths,
    aldersgruppe,
    boligtilstand,
    course_length_months,
    etnisk_minoritet,
    isbryder_target_group,
    koen,
    minutes,
    month_index,
)
from exports.disclosure import Declaration
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
ISBRYDER_COLUMNS = ("isbryder_c1_sindslidende", "isbryder_c2_isoleret", "isbryder_c3_uacceptable_forhold",
                    "isbryder_c4_egen_bolig", "isbryder_maalgruppe")
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


#: Derived columns replaced by quasi-identifier columns in the anonymised export.
QUASI_DERIVED = ("forloeb_laengde_mdr", "koen", "aldersgruppe", "etnisk_minoritet")


@dataclass
class CourseFacts:
    """What one course's reports say about the course (intake and closing answers as asked)."""

    first: ReportRecord
    last: ReportRecord
    intake_record: ReportRecord | None
    intake_asked: frozenset[str] | None
    intake_visible: dict[str, Any] | None
    closing_record: ReportRecord | None
    closing_asked: frozenset[str] | None
    closing_visible: dict[str, Any]
    months: CourseMonths

    @property
    def length(self) -> int | None:
        return course_length_months(self.months, self.closing_visible or None, self.last.period)


def course_facts(course: list[ReportRecord], definition_for: Callable[[int], Any]) -> CourseFacts:
    """The intake and closing reports of ``course`` (in month order) and its anchor months."""
    first, last = course[0], course[-1]
    intake_record = first if is_intake(first) else None
    closing_record = next((r for r in course if r.closes_course or
                           (r.closing is not None and month_index(r.period) == month_index(r.closing))), None)
    intake_asked = applicable(definition_for, intake_record) if intake_record else None
    intake_visible = ({k: v for k, v in intake_record.answers.items() if k in intake_asked}
                      if intake_record and intake_asked is not None else None)
    closing_asked = applicable(definition_for, closing_record) if closing_record else None
    closing_visible = ({k: v for k, v in closing_record.answers.items() if k in closing_asked}
                       if closing_record and closing_asked is not None else {})
    return CourseFacts(first, last, intake_record, intake_asked, intake_visible, closing_record, closing_asked,
                       closing_visible, months_of(first, intake_visible))


@dataclass
class Background:
    """What the sheet "Forløb" and the effect evaluation (:mod:`exports.effect`) both derive from one
    course's reports, worked out once per course (:func:`course_background`): the intake answers as
    asked with Q18 merged from a later month (E18), the Isbryder flag, gender, age group, ethnic
    minority (None without an intake report) and the contact and bridge-building minutes summed."""

    facts: CourseFacts
    start: dict[str, Any]
    flag: Any
    gender: int | None
    age: int | None
    minority: int | None
    contact_minutes: int
    bridge_minutes: int


def course_background(course: list[ReportRecord], definition_for: Callable[[int], Any]) -> Background:
    """The :class:`Background` of ``course`` (its reports in month order)."""
    facts = course_facts(course, definition_for)
    start = dict(facts.intake_visible or {})
    if start.get("q18") is None:  # E18: Q18 answered in a later month while Q17 = 3
        later = next((r.answers.get("q18") for r in course[1:] if r.answers.get("q18") is not None), None)
        if later is not None:
            start["q18"] = later
    known = facts.intake_visible is not None
    return Background(
        facts, start,
        flag=isbryder_target_group(start) if known else None,
        gender=koen(start) if known else None,
        age=aldersgruppe(start) if known else None,
        minority=etnisk_minoritet(start) if known else None,
        contact_minutes=sum(minutes(r.answers, "q26_tid") or 0 for r in course),
        bridge_minutes=sum(minutes(r.answers, "q30_tid") or 0 for r in course),
    )


def quasi_raw(course: list[ReportRecord], definition_for: Callable[[int], Any]) -> dict[str, Any]:
    """The raw quasi-identifier values of one course (:data:`exports.disclosure.RAW_KEYS`).

    Needs only the intake and closing reports' answers: other records of the course may come
    without answers (the pre-pass reads them thin)."""
    facts = course_facts(course, definition_for)
    intake = facts.intake_visible or {}
    q7 = intake.get("q7")
    return {
        "kommune": facts.first.municipality, "q3": _int(intake.get("q3")), "q4": _int(intake.get("q4")),
        "q5": _int(intake.get("q5")), "q6": _int(intake.get("q6")), "q8": _int(intake.get("q8")),
        "q7": tuple(sorted(c for c in q7 if type(c) is int)) if isinstance(q7, list | tuple) else None,
        "kontaktstart": facts.months.start if facts.intake_record is not None else None,
        "indskrivning": facts.months.intake, "afslutning": facts.months.closing,
        "laengde": facts.length, "forloeb_nr": facts.first.course_number,
    }


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


class CourseSheet:
    """Header, rows and codebook of the course sheet; counts courses per municipality and status.

    With ``released`` (the anonymised export) the quasi-identifiers appear only as the released
    columns of :class:`exports.disclosure.DisclosurePlan` (``released(course_id)`` gives them), in
    place of the client and worker pseudonyms, the calendar months and the derived background
    variables; the answers they come from are left out by the allow-list."""

    def __init__(self, definition: Any, allow: AllowList, pseudonyms: Pseudonymizer, date_mode: str,
                 definition_for: Callable[[int], Any],
                 released: Callable[[int], Mapping[str, Any]] | None = None,
                 declaration: Declaration | None = None) -> None:
        self.intake = AnswerColumns(definition, allow, sections=["del1"])
        self.closing = AnswerColumns(definition, allow, sections=["del7"])
        self.allow = allow
        self.p = pseudonyms
        self.date_mode = date_mode
        self.definition_for = definition_for
        self.released = released
        self.declaration = declaration
        if released is None:
            self.ids = ["klient", "medarbejder", "forloeb", "forloeb_nr", "kommune"]
            self.quasi: list[str] = []
            self.months = list(MONTH_COLUMNS) if date_mode == "year_month" else []
            self.derived = COURSE_DERIVED
        else:
            assert declaration is not None
            self.ids = ["forloeb"]
            self.quasi = declaration.names
            self.months = []
            self.derived = tuple(name for name in COURSE_DERIVED if name not in QUASI_DERIVED)
        self.header = [*self.ids, *self.quasi, *self.months, *EXTRA_COLUMNS, *self.derived, *self.intake.names,
                       *self.closing.names]
        self.municipality_counts: dict[str, Counter[str]] = defaultdict(Counter)

    def course_row(self, course: list[ReportRecord], background: Background | None = None) -> list[object]:
        """The one row of a course, from all its reports (in month order); ``background``: its
        :func:`course_background`, when the caller has it already."""
        if background is None:
            background = course_background(course, self.definition_for)
        facts, start, flag = background.facts, background.start, background.flag
        first, months = facts.first, facts.months
        intake_record, intake_visible = facts.intake_record, facts.intake_visible
        count, any_condition = boligtilstand(start) if intake_visible is not None else (None, None)
        status = COURSE_STATUS_DA.get(first.course_status, first.course_status)
        released = self.released(first.course_id) if self.released is not None else None
        where = released["kommune"] if released is not None else first.municipality
        self.municipality_counts[str(where or "Uden kommune")][status] += 1
        if released is None:
            row: list[object] = [
                self.p.client(first.client_id), self.p.worker(first.worker_id), self.p.course(first.course_id),
                first.course_number, first.municipality or "",
            ]
        else:
            row = [self.p.course(first.course_id), *(released[name] for name in self.quasi)]
        if self.months:
            row += [month_value(months.intake, months.anchor, self.date_mode),
                    month_value(months.start, months.anchor, self.date_mode),
                    month_value(months.closing, months.anchor, self.date_mode)]
        row += [status, len(course), int(intake_record is not None), int(facts.closing_record is not None)]
        derived: dict[str, object] = {
            "forloeb_laengde_mdr": facts.length,
            "forloeb_afsluttet": int(first.course_status == "closed"),
            "koen": background.gender,
            "aldersgruppe": background.age,
            "etnisk_minoritet": background.minority,
            "boligtilstand_antal": count, "boligtilstand_nogen": any_condition,
            "tid_med_bruger_min_akk": background.contact_minutes,
            "tid_brobygning_min_akk": background.bridge_minutes,
        }
        components = ((flag.sindslidende, flag.isoleret, flag.uacceptable_forhold, flag.egen_bolig, flag.maalgruppe)
                      if flag else (None,) * 5)
        derived.update(zip(ISBRYDER_COLUMNS, components, strict=True))
        if released is not None:
            self._suppress_dependents(derived, released)
        row += [derived[name] for name in self.derived]
        if intake_record is not None:
            exported = self.allow.apply(intake_visible or {}, anchor_month=months.anchor)
            row += self.intake.values(exported, facts.intake_asked)
        else:
            row += [None] * len(self.intake.names)
        if facts.closing_record is not None:
            exported = self.allow.apply(facts.closing_visible, anchor_month=months.anchor)
            row += self.closing.values(exported, facts.closing_asked)
        else:
            row += [None] * len(self.closing.names)
        return row

    def _suppress_dependents(self, derived: dict[str, object], released: Mapping[str, Any]) -> None:
        """A derived column that reveals a quasi-identifier (C4 "egen bolig" shows whether Q6 = 1)
        is suppressed where that quasi-identifier is suppressed or merged into "Andet"."""
        assert self.declaration is not None
        for q in self.declaration.quasi:
            value = released[q.name]
            hidden = value in (self.declaration.suppressed_code, self.declaration.suppressed_text) or value == 90
            for name in q.dependents:
                if hidden and name in derived:
                    derived[name] = self.declaration.suppressed_code

    def codebook(self, sheet: str) -> list[CodebookRow]:
        months = [CodebookRow(sheet, name, MONTH_COLUMNS[name], "ÅÅÅÅ-MM") for name in self.months]
        extra = [CodebookRow(sheet, name, label, kind) for name, (label, kind) in EXTRA_COLUMNS.items()]
        derived = derived_codebook(sheet, self.derived)
        note = " Her: summen over forløbets indberetninger i udtrækket."
        derived = [CodebookRow(**{**r.__dict__, "rule": r.rule + note}) if r.name.endswith("_akk") else r
                   for r in derived]
        blank = "Tom når indberetningen ikke er med i udtrækket."
        intake = [CodebookRow(**{**r.__dict__, "notes": (r.notes + " " + blank).strip()})
                  for r in self.intake.codebook(sheet, timing_prefix="Indskrivningens indberetning: ")]
        closing = [CodebookRow(**{**r.__dict__, "notes": (r.notes + " " + blank).strip()})
                   for r in self.closing.codebook(sheet, timing_prefix="Afslutningens indberetning: ")]
        ids = id_codebook(sheet, self.ids)
        return [*ids, *self._quasi_codebook(sheet), *months, *extra, *derived, *intake, *closing]

    def _quasi_codebook(self, sheet: str) -> list[CodebookRow]:
        if self.declaration is None or not self.quasi:
            return []
        d = self.declaration
        rows = []
        for q in d.quasi:
            codes = "; ".join(f"{code} = {text}" for code, text in sorted(q.codes.items()))
            rows.append(CodebookRow(
                sheet, q.name, q.label, "kode" if q.codes else "tekst", codes=codes,
                missing=f"{d.suppressed_code} / {d.suppressed_text} = undertrykt (anonymisering)",
                rule="Kvasi-identifikator: generaliseret og lokalt undertrykt, så hvert forløbs kombination passer "
                     f"på mindst {d.k} forløb. Niveauer: " + "; ".join(lv.label for lv in q.levels)
                     + ". Niveauet i denne fil står i Om udtrækket.",
                code_labels=tuple(sorted(q.codes.items())),
                missing_codes=(d.suppressed_code,),
            ))
        return rows
