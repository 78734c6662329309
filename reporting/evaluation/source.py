"""The database side of the evaluators' export: records in scope, streamed from a cursor.

:func:`run_export` is the one entry point for the web download and ``flask --app wsgi export``:
it streams submitted reports and caseworker responses with SQLAlchemy Core queries
(``execution_options(yield_per=…)``; never ORM objects per row) into
:func:`exports.workbook.build_workbook`, then writes an audit event with the filters, the row
counts and the file's SHA-256 (and commits it).

Scope: ``scope`` is the coordinator's municipality id, or None for national; an explicit
``ExportRequest.municipality_id`` narrows it further and must lie within the scope (the caller
checks). Nicknames, names and e-mails are never selected, except as *known terms* for the
free-text scan when the coordinator opted in to free text; they are never written.

The keyed pseudonym secret is per evaluation and lives outside the database
(:mod:`reporting.evaluation.keys`, D24).

The default export is anonymised (disclosure control, :mod:`exports.disclosure`): a first, thin
pass (:func:`quasi_records`) reads every report's course and month but the answers of the intake
and closing reports only; the full pass follows. The pseudonymised microdata export
(``ExportRequest.mode == "pseudonymised"``) needs a legal basis and a recipient, which the audit
event records.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import click
from flask.cli import with_appcontext
from sqlalchemy import case, func, or_, select

from exports.pseudonyms import Pseudonymizer
from exports.statistics import FORMATS, StatisticsFiles
from exports.workbook import ExportOptions, ExportResult, ReportRecord, SurveyRecord, build_workbook
from reporting.auth.scope import scope_filter
from reporting.core import audit
from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.models import Municipality, Unit, User
from reporting.core.schedule import SECTIONS, CourseFacts, NotInCourse, Period, due_parts, q17_pending_after
from reporting.evaluation.keys import evaluation_key
from reporting.skp.models import Client, Course, Report
from reporting.surveys.models import SurveyResponse, SurveyWave

YIELD_PER = 1000
PSEUDONYM_MODES = {"keyed": "Nøglede (stabile på tværs af udtræk)", "random": "Tilfældige for dette udtræk"}
DATE_MODES = {"year_month": "År-måned (ÅÅÅÅ-MM)", "months_since_start": "Måneder siden kontaktstart"}
EXPORT_MODES = {"anonymised": "Anonymiseret (k ≥ 5)", "pseudonymised": "Pseudonymiserede mikrodata"}
#: File formats: the workbook, or a zip with statistics files (exports/statistics.py) built from the
#: same rows. ``zip`` holds the workbook, .sav, .dta and .csv; the others one format each (CLI).
FILE_FORMATS = {
    "xlsx": "Excel-fil (.xlsx)",
    "zip": "Statistikfiler i en zip: SPSS (.sav), Stata (.dta) og CSV med kodebog, samt Excel-filen",
    "sav": "SPSS (.sav) med kodebog, i en zip",
    "dta": "Stata (.dta) med kodebog, i en zip",
    "csv": "CSV med kodebog, i en zip",
}


@dataclass(frozen=True)
class ExportRequest:
    """What the coordinator asked for. Months are inclusive; None = no limit."""

    municipality_id: int | None = None
    first: Period | None = None
    last: Period | None = None
    pseudonyms: str = "keyed"
    date_mode: str = "year_month"
    include_free_text: bool = False
    mode: str = "anonymised"
    legal_basis: str = ""
    recipient: str = ""
    file_format: str = "xlsx"

    def __post_init__(self) -> None:
        if self.file_format not in FILE_FORMATS:
            raise ValueError(f"file_format must be one of {', '.join(FILE_FORMATS)}")
        if self.mode not in EXPORT_MODES:
            raise ValueError(f"mode must be one of {', '.join(EXPORT_MODES)}")
        if self.mode == "pseudonymised" and not (self.legal_basis.strip() and self.recipient.strip()):
            raise ValueError("pseudonymised microdata need a legal basis and a recipient")
        if self.pseudonyms not in PSEUDONYM_MODES:
            raise ValueError(f"pseudonyms must be one of {', '.join(PSEUDONYM_MODES)}")
        if self.date_mode not in DATE_MODES:
            raise ValueError(f"date_mode must be one of {', '.join(DATE_MODES)}")
        if self.first and self.last and self.first > self.last:
            raise ValueError("the first month is after the last month")

    def filters_da(self, scope: int | None) -> dict[str, str]:
        """The filters in Danish for the file and the audit log (names, never ids of people)."""
        municipality = self.municipality_id if self.municipality_id is not None else scope
        name = db.session.get(Municipality, municipality).name if municipality is not None else "Hele landet"
        filters = {
            "Udtrækstype": EXPORT_MODES[self.mode],
            "Kommune": name,
            "Fra måned": str(self.first) if self.first else "Ingen grænse",
            "Til måned": str(self.last) if self.last else "Ingen grænse",
            "Pseudonymer": PSEUDONYM_MODES[self.pseudonyms],
            "Datoer": DATE_MODES[self.date_mode] if self.mode == "pseudonymised" else "Måneder siden kontaktstart; "
                      "kalendertid kun generaliseret på arket Forløb",
            "Fritekst": "Medtaget efter valg (scannet)" if self.include_free_text else "Ikke medtaget",
            "Filformat": FILE_FORMATS[self.file_format],
        }
        return filters


def _municipality_filter(column: Any, scope: int | None, request: ExportRequest) -> list[Any]:
    conditions = [scope_filter(column, scope, use_current=False)]
    if request.municipality_id is not None:
        conditions.append(column == request.municipality_id)
    return conditions


def _report_query(scope: int | None, request: ExportRequest, *, thin: bool = False) -> Any:
    """Submitted reports in scope; ``thin`` (the disclosure-control pre-pass): only each course's
    first and last report in the selection and its intake and closing reports, with answers only
    for the intake and closing reports.

    The thin query leaves the other reports out in SQL (one grouped subquery): the pre-pass looks at
    nothing else (their answers were not read), and turning every report into a record cost about
    a second at 100k client-months."""
    answers: Any = Report.answers
    anchor = or_(Report.period == Course.intake_period, Report.closes_course.is_(True),
                 Report.period == Course.closing_period)
    if thin:
        answers = case((anchor, Report.answers), else_=None)
    query = (
        select(Client.id.label("client_id"), Client.worker_id.label("worker_id"), Course.id.label("course_id"),
               Course.number.label("number"), Municipality.name.label("municipality"),
               Course.intake_period.label("intake"), Course.contact_start.label("contact_start"),
               Course.closing_period.label("closing"), Course.status.label("status"), Report.period.label("period"),
               answers.label("answers"), Report.definition_version.label("version"),
               Report.closes_course.label("closes"))
        .join(Course, Report.course_id == Course.id)
        .join(Client, Course.client_id == Client.id)
        .join(User, Client.worker_id == User.id)
        .outerjoin(Municipality, User.municipality_id == Municipality.id)
        .where(Report.status == "submitted", Report.definition_key == "skp_monthly",
               *_municipality_filter(User.municipality_id, scope, request))
    )
    in_months = []
    if request.first is not None:
        in_months.append(Report.period >= request.first.first_day)
    if request.last is not None:
        in_months.append(Report.period <= request.last.first_day)
    query = query.where(*in_months)
    if thin:
        ends = (select(Report.course_id.label("course_id"), func.min(Report.period).label("first"),
                       func.max(Report.period).label("last"))
                .where(Report.status == "submitted", Report.definition_key == "skp_monthly", *in_months)
                .group_by(Report.course_id).subquery())
        query = (query.join(ends, ends.c.course_id == Report.course_id)
                 .where(or_(anchor, Report.period == ends.c.first, Report.period == ends.c.last)))
    query = query.order_by(Course.id, Report.period)
    return query.execution_options(yield_per=YIELD_PER)


def quasi_records(scope: int | None, request: ExportRequest) -> Iterator[ReportRecord]:
    """The disclosure-control pre-pass: :func:`report_records` of each course's first and last report
    and its intake and closing reports, with answers only where the course's quasi-identifiers come
    from (intake and closing reports); other records carry none, and no due parts either (nothing of
    theirs is asked)."""
    return report_records(scope, request, thin=True)


def report_records(scope: int | None, request: ExportRequest, *, thin: bool = False) -> Iterator[ReportRecord]:
    """Submitted reports in scope, ordered by course and month, with the parts due that month."""
    pending = False
    last_course = None
    course_facts = CourseFacts(intake=Period(2000, 1))
    # A Core connection, not the ORM session: plain rows, no ORM loading per row.
    for row in db.session.connection().execute(_report_query(scope, request, thin=thin)):
        (client_id, worker_id, course_id, number, municipality, intake, contact_start, closing, status, period,
         answers, version, closes) = row
        if course_id != last_course:  # the course's facts, once per course
            pending, last_course = False, course_id
            course_facts = CourseFacts(intake=Period.of(intake), contact_start=contact_start,
                                       closing=Period.of(closing) if closing else None)
        answers = answers or {}
        if thin and not answers:  # the pre-pass read no answers here: nothing asked, no parts to work out
            yield ReportRecord(client_id, worker_id, course_id, number, municipality, intake, contact_start, closing,
                               status, period, answers, version, bool(closes), frozenset(), frozenset())
            continue
        month = Period.of(period)
        facts = course_facts if not pending else CourseFacts(
            intake=course_facts.intake, contact_start=contact_start, closing=course_facts.closing, q17_pending=True)
        try:
            due = due_parts(facts, month, closing=bool(closes) or facts.closing == month)
            sections, reask = due.sections, due.reask
        except (NotInCourse, ValueError):  # inconsistent data: keep every answer rather than hide it
            sections, reask = frozenset(SECTIONS), frozenset()
        pending = q17_pending_after(answers, pending)
        yield ReportRecord(client_id, worker_id, course_id, number, municipality, intake, contact_start, closing,
                           status, period, answers, version, bool(closes), frozenset(sections), frozenset(reask))


def survey_records(scope: int | None, request: ExportRequest) -> Iterator[SurveyRecord]:
    """Submitted caseworker responses of caseworkers in scope, ordered by caseworker and wave."""
    query = (
        select(SurveyResponse.user_id, SurveyResponse.unit_id, Municipality.name, SurveyWave.id, SurveyWave.kind,
               SurveyWave.opened_at, SurveyResponse.answers, SurveyResponse.definition_version)
        .join(SurveyWave, SurveyResponse.wave_id == SurveyWave.id)
        .join(User, SurveyResponse.user_id == User.id)
        .outerjoin(Municipality, User.municipality_id == Municipality.id)
        .where(SurveyResponse.status == "submitted", *_municipality_filter(User.municipality_id, scope, request))
        .order_by(SurveyResponse.user_id, SurveyWave.opened_at, SurveyWave.id)
    ).execution_options(yield_per=YIELD_PER)
    for user_id, unit_id, municipality, wave_id, kind, opened, answers, version in db.session.execute(query):
        yield SurveyRecord(user_id, unit_id, municipality, wave_id, kind, opened.date(), answers or {}, version)


def known_terms(scope: int | None, request: ExportRequest) -> list[str]:
    """Every nickname and user name in scope, every municipality and unit name: the free-text scan
    withholds texts naming them (beside the names and places it finds by their form)."""
    nicknames = select(Client.nickname).join(User, Client.worker_id == User.id).where(
        *_municipality_filter(User.municipality_id, scope, request))
    names = select(User.name).where(*_municipality_filter(User.municipality_id, scope, request))
    places = select(Municipality.name)
    units = select(Unit.name)
    terms = (set(db.session.scalars(nicknames)) | set(db.session.scalars(names)) | set(db.session.scalars(places))
             | set(db.session.scalars(units)))
    parts = {part for term in terms for part in term.split() if len(part) >= 3}
    return sorted(terms | parts)


def count_reports(scope: int | None, request: ExportRequest) -> int:
    """How many client-months the export will hold (for the progress bar)."""
    query = _report_query(scope, request).with_only_columns(func.count()).order_by(None)
    return int(db.session.scalar(query) or 0)


def run_export(target: str | Path | IO[bytes], request: ExportRequest, *, scope: int | None,
               user_id: int | None, progress: Callable[[str, int], None] | None = None,
               via: str = "web") -> ExportResult:
    """Build the workbook into ``target`` and record (and commit) the audit event ``data_exported``."""
    from forms import get_definition

    moment: datetime = now()
    key = evaluation_key() if request.pseudonyms == "keyed" else None
    pseudonyms = Pseudonymizer.keyed(key.secret) if key is not None else Pseudonymizer.per_export()
    filters = request.filters_da(scope)
    if key is not None:
        filters["Evaluering (nøgle)"] = key.fingerprint
    options = ExportOptions(
        pseudonyms=pseudonyms, created_at=moment, date_mode=request.date_mode,
        include_free_text=request.include_free_text,
        known_terms=known_terms(scope, request) if request.include_free_text else (), filters=filters,
        mode=request.mode, legal_basis=request.legal_basis, recipient=request.recipient,
    )
    def build(into: str | IO[bytes]) -> ExportResult:
        return build_workbook(
            into, reports=lambda: report_records(scope, request), survey=lambda: survey_records(scope, request),
            skp_definition=get_definition("skp_monthly"), caseworker_definition=get_definition("caseworker"),
            options=options, definition_loader=get_definition, progress=progress,
            quasi_reports=lambda: quasi_records(scope, request),
        )

    if request.file_format == "xlsx":
        result = build(str(target) if isinstance(target, Path) else target)
    else:
        result = _statistics_zip(target, request.file_format, options, build, progress)
    extra = ({"legal_basis": request.legal_basis, "recipient": request.recipient}
             if request.mode == "pseudonymised" else {"disclosure": result.disclosure})
    audit.record("data_exported" if request.mode == "anonymised" else "pseudonymised_data_exported", "export", "",
                 user_id=user_id,
                 municipality_id=request.municipality_id if request.municipality_id is not None else scope,
                 filters=filters, row_counts=result.row_counts, sha256=result.sha256, bytes=result.bytes_written,
                 withheld_texts=result.withheld_texts, via=via, mode=request.mode, file_format=request.file_format,
                 files=result.files, **extra)
    db.session.commit()
    return result


def _statistics_zip(target: str | Path | IO[bytes], file_format: str, options: ExportOptions,
                    build: Callable[[str], ExportResult], progress: Callable[[str, int], None] | None) -> ExportResult:
    """The workbook built once, with its data sheets' rows kept (:class:`exports.statistics.StatisticsFiles`),
    then a zip of the statistics files (and, for ``zip``, the workbook): the same rows in every file.
    Temporary files stay beside ``target`` (the 0700 export folder for the web download)."""
    formats = FORMATS if file_format == "zip" else (file_format,)
    directory = str(Path(target).parent) if isinstance(target, str | Path) else None
    with StatisticsFiles(formats, directory=directory) as statistics:
        options.statistics = statistics
        handle, xlsx = tempfile.mkstemp(suffix=".xlsx", dir=directory)
        os.close(handle)
        try:
            result = build(xlsx)
            if progress is not None:
                progress("Statistikfiler", 0)
            with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
                files = []
                if file_format == "zip":
                    archive.write(xlsx, "skp-udtraek.xlsx")
                    files.append("skp-udtraek.xlsx")
                files += statistics.write(archive)
        finally:
            os.unlink(xlsx)
            options.statistics = None
    digest, size = _digest(target)
    return dataclasses.replace(result, sha256=digest, bytes_written=size, files=files, seconds=dict(statistics.seconds))


def _digest(target: str | Path | IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    if isinstance(target, str | Path):
        with open(target, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    else:
        target.seek(0)
        while chunk := target.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def parse_month(text: str | None) -> Period | None:
    """``YYYY-MM`` → Period; empty → None; ValueError otherwise."""
    if not text:
        return None
    return Period.parse(text.strip())


@click.command("export")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write (.xlsx, or a .zip for the statistics formats).")
@click.option("--format", "file_format", type=click.Choice(list(FILE_FORMATS)), default="xlsx", show_default=True,
              help="xlsx: the workbook; zip: workbook + SPSS .sav + Stata .dta + CSV with the codebook; "
                   "sav, dta, csv: that format with the codebook, in a zip. Same rows and anonymisation in all.")
@click.option("--municipality", default=None, help="Municipality name (default: the whole country).")
@click.option("--from", "first", default=None, help="First month, YYYY-MM.")
@click.option("--to", "last", default=None, help="Last month, YYYY-MM.")
@click.option("--pseudonyms", type=click.Choice(sorted(PSEUDONYM_MODES)), default="keyed", show_default=True)
@click.option("--dates", "date_mode", type=click.Choice(sorted(DATE_MODES)), default="year_month",
              show_default=True)
@click.option("--free-text", is_flag=True, help="Include free text (scanned; texts with identifiers withheld).")
@click.option("--pseudonymised", is_flag=True,
              help="Pseudonymised microdata (no k enforced); needs --legal-basis and --recipient.")
@click.option("--legal-basis", default="", help="The legal basis for pseudonymised microdata (recorded).")
@click.option("--recipient", default="", help="The named recipient of pseudonymised microdata (recorded).")
@with_appcontext
def export_command(out: Path, municipality: str | None, first: str | None, last: str | None, pseudonyms: str,
                   date_mode: str, free_text: bool, pseudonymised: bool, legal_basis: str, recipient: str,
                   file_format: str) -> None:
    """Write the evaluators' workbook (the same file as the web download): anonymised (k ≥ 5) by
    default, or pseudonymised microdata for a named recipient with a legal basis."""
    municipality_id = None
    if municipality is not None:
        found = db.session.scalar(select(Municipality.id).where(Municipality.name == municipality))
        if found is None:
            raise click.UsageError(f"Kommunen findes ikke: {municipality}")
        municipality_id = found
    try:
        request = ExportRequest(municipality_id, parse_month(first), parse_month(last), pseudonyms, date_mode,
                                free_text, "pseudonymised" if pseudonymised else "anonymised", legal_basis, recipient,
                                file_format)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    result = run_export(out, request, scope=None, user_id=None, via="cli")
    counts = ", ".join(f"{sheet}: {rows}" for sheet, rows in result.row_counts.items())
    click.echo(f"Skrevet: {out} ({result.bytes_written} bytes, SHA-256 {result.sha256})")
    click.echo(f"Rækker: {counts}")
    if result.files:
        seconds = ", ".join(f"{fmt} {s:.2f} s" for fmt, s in result.seconds.items())
        click.echo(f"Filer: {', '.join(result.files)} (statistikfiler: {seconds})")
    if result.disclosure is not None:
        d = result.disclosure
        click.echo(f"Anonymisering: k = {d['k']}, {d['suppressed_values']} værdier undertrykt i "
                   f"{d['suppressed_courses']} af {d['courses']} forløb" + ("" if d["reached"] else
                   "; for få forløb til k = 5: rækkedata om klienter udeladt"))


__all__ = ["EXPORT_MODES", "FILE_FORMATS", "ExportRequest", "count_reports", "export_command", "parse_month",
           "quasi_records", "report_records", "run_export", "survey_records"]
