"""Filing a monthly report: which course and parts a month belongs to, saving drafts, submitting.

Operations here flush but never commit; the views commit once. The schedule
(:mod:`reporting.core.schedule`) decides the parts and deadlines, and the questionnaire engine
(:mod:`forms`) normalises the answers: this module only ties them to the stored rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from forms import Questionnaire, get_definition
from forms.answers import normalise
from reporting.core import audit
from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.schedule import CourseFacts, DueParts, Period, deadline_end, due_parts, q17_pending_after
from reporting.skp.clients import start_course
from reporting.skp.models import Client, Course, Report

DEFINITION_KEY = "skp_monthly"
#: Q41 code 7 "Kontaktforløbet er udsat" pauses a course instead of ending it (spec §2.5, D5).
POSTPONED_CODE = 7
#: D20: the stable facts a new course's intake takes over from the previous course (gender, origin).
CARRIED_OVER = frozenset({"q3", "q8"})
#: D19: the closing totals and the monthly counts they add up (E26).
CLOSING_TOTALS: dict[str, str] = {"q47": "q26_tlf", "q48": "q26_moeder", "q49": "q26_forgaeves"}


class NotFileable(LookupError):
    """The month cannot be reported for this client (future month, or outside the course)."""


@dataclass
class ReportContext:
    """Everything the form needs for one client-month."""

    client: Client
    period: Period
    course: Course | None  # None: this report opens a new course (intake)
    report: Report | None
    due: DueParts
    closing: bool
    definition: Questionnaire
    prefill: dict[str, Any] = field(default_factory=dict)  # D20 carried-over facts, D19 closing totals
    #: D21: the parts a "yes" to "Afsluttes forløbet med denne rapport?" adds; empty when the
    #: question is not asked (the month is already the course's recorded closing month).
    closing_parts: frozenset[str] = frozenset()
    carried_from: int | None = None  # the course number D20 facts were taken from
    totals_from: int = 0  # how many submitted monthly reports the D19 totals add up

    @property
    def closing_question(self) -> bool:
        return bool(self.closing_parts) or (self.closing and not self.closing_fixed)

    @property
    def closing_fixed(self) -> bool:
        """The month is the course's recorded closing month: the report closes it, no question."""
        return self.course is not None and self.course.closing == self.period

    @property
    def form_sections(self) -> frozenset[str]:
        """The parts rendered: those due either way; the closing parts are shown by the answer."""
        return self.sections | self.closing_parts

    @property
    def locked(self) -> bool:
        """A submitted report after its deadline can only be changed once a coordinator reopens it."""
        report = self.report
        if report is None or report.status != "submitted" or report.reopened_at is not None:
            return False
        return now() >= deadline_end(self.period, _deadline_day())

    @property
    def sections(self) -> frozenset[str]:
        return self.due.sections

    @property
    def extra(self) -> frozenset[str]:
        return self.due.reask


def _deadline_day() -> int:
    from flask import current_app

    return int(current_app.config.get("DEADLINE_DAY", 15))


def resolve(client: Client, period: Period, closing: bool | None = None) -> ReportContext:
    """The course, the stored report and the parts due for ``client`` in ``period``.

    ``closing`` says whether this report closes the course (adds Del 7); None keeps what the
    stored report says. A month already recorded as the course's closing month always closes.
    """
    if period > Period.containing(now()):
        raise NotFileable("future month")
    course = _course_covering(client, period)
    if course is None:
        return _new_course_context(client, period, bool(closing))
    report = _report_of(course, period)
    if closing is None:
        closing = bool(report and report.closes_course)
    closing = closing or course.closing == period
    facts = course.facts(q17_pending=_q17_pending(course, period))
    ctx = ReportContext(client, period, course, report, due_parts(facts, period, closing),
                        closing, _definition_for(report), closing_parts=_closing_parts(facts, period))
    ctx.prefill, ctx.totals_from = closing_totals(course, period)
    return ctx


def _closing_parts(facts: CourseFacts, period: Period) -> frozenset[str]:
    """The parts closing adds in ``period`` (D21); none once the course's closing month is recorded."""
    if facts.closing is not None:
        return frozenset()
    return due_parts(facts, period, True).sections - due_parts(facts, period, False).sections


def closing_totals(course: Course, period: Period) -> tuple[dict[str, int], int]:
    """D19: Q47-Q49 as the sums of Q26's counts in the course's other submitted reports, and how many
    reports they add up (the closing month's own Q26 is added in the form as it is typed)."""
    reports = [r for r in course.reports if r.status == "submitted" and r.period != period.first_day]
    totals = {total: sum(r.answers.get(count) or 0 for r in reports if isinstance(r.answers.get(count), int))
              for total, count in CLOSING_TOTALS.items()}
    return totals, len(reports)


def _course_covering(client: Client, period: Period) -> Course | None:
    for course in reversed(client.courses):
        if course.intake <= period and (course.closing is None or period <= course.closing):
            return course
    open_course = next((c for c in client.courses if c.status == "open"), None)
    if open_course is not None:  # a month before the open course's intake
        raise NotFileable("month before the course")
    return None


def _new_course_context(client: Client, period: Period, closing: bool) -> ReportContext:
    previous = client.courses[-1] if client.courses else None
    if previous is not None and previous.closing is not None and period <= previous.closing:
        raise NotFileable("month inside an earlier course")
    facts = CourseFacts(intake=period)
    carried = _carried_over(get_definition(DEFINITION_KEY), previous)
    return ReportContext(client, period, None, None, due_parts(facts, period, closing), closing,
                         get_definition(DEFINITION_KEY), prefill=carried,
                         closing_parts=_closing_parts(facts, period),
                         carried_from=previous.number if carried and previous else None)


def _carried_over(definition: Questionnaire, course: Course | None) -> dict[str, Any]:
    """D20: a new course's intake starts empty but for the stable facts of the previous intake
    (:data:`CARRIED_OVER`, with their follow-ups); dates and course facts are never carried over."""
    if course is None:
        return {}
    intake = _report_of(course, course.intake)
    if intake is None or intake.status != "submitted":
        return {}
    keys = {slot.key for slot in definition.slots if slot.top.key in CARRIED_OVER}
    return {key: value for key, value in intake.answers.items() if key in keys}


def _report_of(course: Course, period: Period) -> Report | None:
    return next((r for r in course.reports if r.period == period.first_day), None)


def _q17_pending(course: Course, period: Period) -> bool:
    """Whether Q17/Q18 are asked again in ``period``, from the course's earlier submitted reports."""
    pending = False
    for report in course.reports:  # ordered by period
        if report.period < period.first_day and report.status == "submitted":
            pending = q17_pending_after(report.answers, pending)
    return pending


def _definition_for(report: Report | None) -> Questionnaire:
    if report is None:
        return get_definition(DEFINITION_KEY)
    return get_definition(report.definition_key, report.definition_version)


@dataclass
class Outcome:
    """What a save or submit did: ``errors`` by answer key, or a ``conflict`` with another tab."""

    report: Report | None
    errors: dict[str, list[str]]
    conflict: bool = False
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.conflict


def cross_field_errors(answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """Checks across questions that the definition format cannot express.

    E43/D9: when a first meeting took place (Q48 > 0), the failed visits before it (Q50) and after
    it (Q51) must add up to all failed visits (Q49).
    """
    parts = [answers.get(key) for key in ("q49", "q50", "q51")]
    if all(isinstance(value, int) for value in parts) and parts[1] + parts[2] != parts[0]:  # type: ignore[operator]
        return {"q50": [f"Spørgsmål 50 og 51 skal tilsammen give antallet i spørgsmål 49 ({parts[0]})."]}
    return {}


def stored_submission(client: Client, token: str) -> Report | None:
    """The report this client's submission token already stored (a retry or a double click).

    Looked up within the client (probe I8): another worker's token never answers for this report.
    """
    return db.session.scalar(db.select(Report).join(Course, Report.course_id == Course.id)
                             .where(Report.submission_token == token, Course.client_id == client.id))


def save(ctx: ReportContext, formdata: Mapping[str, Any], *, submit: bool, expected_version: int | None,
         token: str | None = None) -> Outcome:
    """Normalise the posted answers and store them as a draft or a submitted report.

    Refuses (``conflict``) when the stored report changed since the form was rendered, so two
    tabs never overwrite each other; a replayed submission token returns the stored report.
    """
    if submit and token:
        replay = stored_submission(ctx.client, token)
        if replay is not None:
            return Outcome(replay, {}, replayed=True)
    if ctx.report is not None and expected_version != ctx.report.version:
        return Outcome(ctx.report, {}, conflict=True)
    result = normalise(ctx.definition, formdata, sections=ctx.sections, extra=ctx.extra,
                       mode="submit" if submit else "draft", report_month=ctx.period.first_day)
    errors = {**result.errors, **(cross_field_errors(result.answers) if submit else {})}
    if submit and errors:
        return Outcome(ctx.report, errors)
    if ctx.report is not None and ctx.report.status == "submitted" and not submit:
        # A submitted report changes only by resubmitting; until then the corrections are kept apart.
        ctx.report.correction_answers = result.answers
        db.session.flush()
        return Outcome(ctx.report, result.errors)
    report = _store(ctx, result.answers, submit, token)
    return Outcome(report, {} if submit else result.errors)


def discard(ctx: ReportContext) -> bool:
    """Throw away a draft, or the unsent corrections of a submitted report (D22).

    A discarded intake draft leaves no course behind: the course it opened is deleted with it, so
    the client is as before (no "Mangler" for a course that never started). False if there was
    nothing to discard.
    """
    report = ctx.report
    if report is None:
        return False
    if report.status == "submitted":
        if report.correction_answers is None:
            return False
        report.correction_answers = None
        audit.record("report_correction_discarded", "report", f"{ctx.client.system_number}/{ctx.period}")
        db.session.flush()
        return True
    course = report.course
    others = [r for r in course.reports if r is not report]
    db.session.delete(report)
    if not others and course.intake == ctx.period:
        db.session.delete(course)
    db.session.flush()
    audit.record("report_discarded", "report", f"{ctx.client.system_number}/{ctx.period}")
    return True


def differing_answers(ctx: ReportContext, formdata: Mapping[str, Any]) -> list[str]:
    """The labels of the answers where ``formdata`` and the stored report differ (two-tab conflict)."""
    stored = ctx.report.answers if ctx.report is not None else {}
    if ctx.report is not None and ctx.report.correction_answers is not None:
        stored = ctx.report.correction_answers
    posted = normalise(ctx.definition, formdata, sections=ctx.sections, extra=ctx.extra, mode="draft",
                       report_month=ctx.period.first_day).answers
    keys = [slot.key for slot in ctx.definition.slots if posted.get(slot.key) != stored.get(slot.key)
            and (slot.key in posted or slot.key in stored)]
    return [ctx.definition.slot(key).label for key in keys]


def _store(ctx: ReportContext, answers: dict[str, Any], submit: bool, token: str | None) -> Report:
    previous = ctx.client.courses[-1] if ctx.client.courses else None
    course = ctx.course or start_course(ctx.client, ctx.period, reopened_from=previous)
    report = ctx.report
    if report is None:
        report = Report(course=course, period=ctx.period.first_day, definition_key=ctx.definition.key,
                        definition_version=ctx.definition.version)
        db.session.add(report)
    was_submitted = report.status == "submitted"
    report.answers = answers
    report.closes_course = ctx.closing
    if submit:
        report.status, report.submitted_at, report.submission_token = "submitted", now(), token
        report.reopened_at, report.correction_answers = None, None
        _apply_to_course(course, ctx, answers)
    db.session.flush()
    action = ("report_corrected" if was_submitted else "report_submitted") if submit else "report_saved"
    audit.record(action, "report", f"{ctx.client.system_number}/{ctx.period}")
    ctx.course, ctx.report = course, report
    return report


def _apply_to_course(course: Course, ctx: ReportContext, answers: dict[str, Any]) -> None:
    if ctx.due.is_intake:
        course.contact_start = _contact_start(answers)
    if ctx.closing:
        course.status = "postponed" if answers.get("q41") == POSTPONED_CODE else "closed"
        course.closing_period = ctx.period.first_day


def _contact_start(answers: Mapping[str, Any]) -> date | None:
    if answers.get("q16") == 2 and isinstance(answers.get("q16_dato"), str):
        return date.fromisoformat(answers["q16_dato"])
    return None
