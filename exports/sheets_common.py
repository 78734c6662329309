"""Shared pieces of the workbook sheets: input records, answer columns, codebook rows, months.

:class:`AnswerColumns` turns the exportable answer keys of a definition (the allow-list) into
columns named as in ``forms.codebook`` (a multi becomes ``<key>_<code>`` 0/1 columns) and fills
them for one answer set, keeping "not applicable" (:data:`NOT_APPLICABLE`), "blank" (None) and
the printed missing codes apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Set
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Any

from exports.anonymise import AllowList
from exports.derived import CourseMonths, course_months, month_index, month_text
from exports.xlsx import Workbook

#: The code written where a question was not asked (its part was not due, or a rule hid it).
NOT_APPLICABLE = -999
NOT_APPLICABLE_TEXT = f"{NOT_APPLICABLE} = ikke relevant (spørgsmålet blev ikke stillet)"
#: "Not applicable" in a date column that holds ``YYYY-MM`` texts (the year-month date mode): the
#: same code as text, so the column holds one type (text) and still tells not asked from blank.
NOT_APPLICABLE_MONTH = str(NOT_APPLICABLE)
NOT_APPLICABLE_MONTH_TEXT = (f"'{NOT_APPLICABLE_MONTH}' (som tekst) = ikke relevant (spørgsmålet blev ikke stillet); "
                             "datokolonnen er tekst (ÅÅÅÅ-MM) hele vejen")


@dataclass(frozen=True)
class ReportRecord:
    """One submitted report with what the export needs of its course (no nickname, no names).

    ``sections``/``reask``: the parts due that month and the questions re-asked outside their part
    (``reporting.core.schedule.due_parts``); a key outside them, or hidden by a rule, is not applicable.
    Months are ``date`` (first of month), ``YYYY-MM`` text or any object with ``year``/``month``.
    """

    client_id: int
    worker_id: int
    course_id: int
    course_number: int
    municipality: str | None
    intake: Any
    contact_start: date | None
    closing: Any
    course_status: str
    period: Any
    answers: Mapping[str, Any]
    definition_version: int
    closes_course: bool
    sections: frozenset[str]
    reask: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SurveyRecord:
    """One submitted caseworker response (``wave_kind``: ``baseline`` or ``followup``).

    Records must come ordered by ``user_id`` so one caseworker's responses are adjacent."""

    user_id: int
    unit_id: int | None
    municipality: str | None
    wave_id: int
    wave_kind: str
    wave_month: Any
    answers: Mapping[str, Any]
    definition_version: int


@dataclass(frozen=True)
class CodebookRow:
    """One column of one data sheet, documented for the evaluators."""

    sheet: str
    name: str
    label: str
    type: str
    codes: str = ""
    missing: str = ""
    not_applicable: str = ""
    rule: str = ""
    timing: str = ""
    scales: str = ""
    notes: str = ""
    #: The codes as data (code, label), for value labels in .sav/.dta; the text above is what the
    #: Kodebog sheet shows.
    code_labels: tuple[tuple[int, str], ...] = ()
    #: Codes that mean "no value" besides -999 (77 Ved ikke, Uoplyst, -888 undertrykt).
    missing_codes: tuple[int, ...] = ()

    header = ["Ark", "Variabel", "Beskrivelse", "Type", "Koder", "Manglende-koder", "Ikke relevant",
              "Regel (hvornår spurgt / beregning)", "Tidspunkt", "Skalaer", "Noter"]

    def row(self) -> list[object]:
        return [self.sheet, self.name, self.label, self.type, self.codes, self.missing, self.not_applicable,
                self.rule, self.timing, self.scales, self.notes]


def write_codebook(book: Workbook, rows: Iterable[CodebookRow]) -> None:
    for row in rows:
        book.write_row(row.row())


def _codes_text(codes: Iterable[Any]) -> str:
    """"0 = Slet ikke; …" from ``forms.CodeLabel``s, with the printed label where it differs (D15)."""
    return "; ".join(f"{c.code} = {c.text}" for c in codes)


@dataclass(frozen=True)
class Column:
    """One answer column: its name, the answer key it comes from and, for a multi, the option code."""

    name: str
    key: str
    variable: Any
    option: int | None = None


class AnswerColumns:
    """The answer columns of ``definition`` that ``allow`` lets out, optionally only some sections.

    ``prefix`` is put before every column name (``bl_`` / ``op_`` in the caseworker sheet).
    """

    def __init__(self, definition: Any, allow: AllowList, *, sections: Iterable[str] | None = None,
                 prefix: str = "") -> None:
        import forms

        wanted = None if sections is None else set(sections)
        exported = set(allow.exported_keys())
        self.allow = allow
        self.prefix = prefix
        self.columns: list[Column] = []
        for variable in forms.codebook(definition):
            if variable.answer_key not in exported or (wanted is not None and variable.section not in wanted):
                continue
            option = variable.option.code if variable.option is not None else None
            self.columns.append(Column(prefix + variable.name, variable.answer_key, variable, option))
        self.keys = {c.key for c in self.columns}
        self._plan = tuple((c.key, c.option) for c in self.columns)  # the per-row loop reads only these
        #: Positions of date columns written as ``YYYY-MM`` text: "not applicable" is text there too.
        self._month_texts = tuple(i for i, c in enumerate(self.columns) if self._month_text(c))

    def _month_text(self, column: Column) -> bool:
        return (column.option is None and column.variable.type == "date"
                and self.allow.date_mode == "year_month"
                and self.allow.decision(column.key).action == "month")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def values(self, exported: Mapping[str, Any], applicable: Set[str] | None) -> list[object]:
        """Cells for one answer set: ``exported`` = ``allow.apply(...)``; ``applicable`` = the keys
        asked (None = every key counts as asked)."""
        out: list[object] = []
        append = out.append
        get = exported.get
        for key, option in self._plan:
            if applicable is not None and key not in applicable:
                append(NOT_APPLICABLE)
                continue
            value = get(key)
            if option is None:
                append(value)
            else:
                append(None if value is None else int(option in value))
        for i in self._month_texts:
            if out[i] == NOT_APPLICABLE:
                out[i] = NOT_APPLICABLE_MONTH
        return out

    def codebook(self, sheet: str, *, timing_prefix: str = "") -> list[CodebookRow]:
        rows = []
        for column in self.columns:
            v = column.variable
            missing = _codes_text(v.missing)
            notes = list(v.notes)
            if v.free_text:
                notes.append("Fritekst: kun med efter koordinatorens valg og scanning for identifikatorer.")
            month_text = self._month_text(column)
            if month_text:
                notes.append("Udleveres som år-måned (ÅÅÅÅ-MM, tekst); ikke relevant står som teksten "
                             f"'{NOT_APPLICABLE_MONTH}', så kolonnen kun har tekst.")
            elif v.type == "date":
                notes.append("Udleveres som år-måned (ÅÅÅÅ-MM) eller måneder siden kontaktstart; se Om udtrækket.")
            rows.append(CodebookRow(
                sheet=sheet, name=column.name, label=v.label, type=v.type, codes=_codes_text(v.codes),
                missing=missing, not_applicable=NOT_APPLICABLE_MONTH_TEXT if month_text else NOT_APPLICABLE_TEXT,
                rule=v.rule or "Altid når delen er med",
                timing=timing_prefix + v.timing_text, scales=", ".join(v.scales), notes=" ".join(notes),
                code_labels=(((0, "Ikke valgt"), (1, "Valgt")) if column.option is not None
                             else tuple((c.code, c.label) for c in v.codes)),
                missing_codes=tuple(c.code for c in v.missing),
            ))
        return rows


def month_value(index: int | None, anchor: int | None, date_mode: str) -> str | int | None:
    """A month index as ``YYYY-MM`` or as months since ``anchor`` (per date mode)."""
    if index is None:
        return None
    if date_mode == "year_month":
        return month_text(index)
    return None if anchor is None else index - anchor


def months_of(record: ReportRecord, intake_answers: Mapping[str, Any] | None) -> CourseMonths:
    """The course's anchor months: from the intake answers when known, else from the course row."""
    if intake_answers is not None:
        return course_months(intake_answers, record.intake, record.closing)
    intake = month_index(record.intake)
    if intake is None:
        raise ValueError(f"course intake {record.intake!r} is not a month")
    start = month_index(record.contact_start)
    anchor = start if start is not None else intake
    return CourseMonths(intake=intake, anchor=anchor, start=anchor, closing=month_index(record.closing))


def by_course(records: Iterable[ReportRecord]) -> Iterator[list[ReportRecord]]:
    """The reports of one course at a time (records arrive ordered by course, then month)."""
    for _, group in groupby(records, key=lambda r: r.course_id):
        yield list(group)


def applicable(definition_for: Callable[[int], Any], record: ReportRecord) -> frozenset[str]:
    """The answer keys asked in ``record``: due parts, re-asked questions, rules (``forms``).

    Remembered on the record (beside its fields, as ``functools.cached_property`` does), so the
    data, course and scale sheets, which all see the same record, evaluate the rules once.
    """
    from forms.rules import applicable_set

    asked = record.__dict__.get("_asked")
    if asked is None:
        definition = definition_for(record.definition_version)
        asked = applicable_set(definition, record.answers or {}, sections=record.sections, extra=record.reask)
        record.__dict__["_asked"] = asked
    return asked


class AskedAnswers(Mapping[str, Any]):
    """``answers`` seen through the applicable keys ``asked``, without copying them: a key that
    was not asked reads as absent (what the derived variables look at, a handful per row)."""

    __slots__ = ("_answers", "_asked")

    def __init__(self, answers: Mapping[str, Any], asked: Set[str]) -> None:
        self._answers = answers
        self._asked = asked

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self._answers.get(key, default) if key in self._asked else default

    def __getitem__(self, key: str) -> Any:
        if key not in self._asked:
            raise KeyError(key)
        return self._answers[key]

    def __iter__(self) -> Iterator[str]:
        return (key for key in self._answers if key in self._asked)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def text(value: object) -> str:
    return "" if value is None else str(value)


def is_intake(record: ReportRecord) -> bool:
    return month_index(record.period) == month_index(record.intake)
