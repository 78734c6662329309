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
    prefill: dict[str, Any] = field(default_factory=dict)  # previous intake answers on reopening

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
    return ReportContext(client, period, course, report, due_parts(facts, period, closing),
                         closing, _definition_for(report))


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
    return ReportContext(client, period, None, None, due_parts(facts, period, closing), closing,
                         get_definition(DEFINITION_KEY), prefill=_intake_answers(previous))


def _intake_answers(course: Course | None) -> dict[str, Any]:
    """The previous course's intake answers, to prefill a reopened course's intake (D5)."""
    if course is None:
        return {}
    intake = _report_of(course, course.intake)
    return dict(intake.answers) if intake is not None and intake.status == "submitted" else {}


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


def save(ctx: ReportContext, formdata: Mapping[str, Any], *, submit: bool, expected_version: int | None,
         token: str | None = None) -> Outcome:
    """Normalise the posted answers and store them as a draft or a submitted report.

    Refuses (``conflict``) when the stored report changed since the form was rendered, so two
    tabs never overwrite each other; a replayed submission token returns the stored report.
    """
    if submit and token:
        replay = db.session.scalar(db.select(Report).where(Report.submission_token == token))
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
        return Outcome(ctx.report, {}, conflict=True)  # a submitted report is changed by resubmitting only
    report = _store(ctx, result.answers, submit, token)
    return Outcome(report, {} if submit else result.errors)


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
        report.reopened_at = None
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
