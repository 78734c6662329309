"""Data-quality checks a coordinator runs before exporting (peer-systems.md §5 item 13).

Each check returns the cases of the coordinator's scope (system numbers, months and worker
names, never nicknames or answers). Applicability of answers is decided by the questionnaire
engine (:func:`forms.rules.applicable_keys`) over the parts :func:`reporting.core.schedule.due_parts`
says were due; deadlines by :func:`reporting.core.schedule.report_status`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import func, select

from reporting.auth.access import roles
from reporting.auth.scope import current_scope, scope_filter, scope_label
from reporting.core.clock import now
from reporting.core.display import HELPERS
from reporting.core.extensions import db
from reporting.core.models import User
from reporting.core.schedule import CourseFacts, Period, due_parts, q17_pending_after, report_status
from reporting.skp.models import Client, Course, Report

bp = Blueprint("quality", __name__, url_prefix="/coordinator/quality")


@dataclass(frozen=True)
class Case:
    system_number: str
    course_number: int
    worker: str
    period: Period | None
    detail: str = ""
    worker_id: int | None = None  # the drill-down a case links to


@dataclass(frozen=True)
class CourseRow:
    id: int
    number: int
    system_number: str
    worker: str
    intake: date
    contact_start: date | None
    closing: date | None
    worker_id: int


def _courses(scope: int | None) -> dict[int, CourseRow]:
    rows = db.session.execute(
        select(Course.id, Course.number, Client.system_number, User.name, Course.intake_period,
               Course.contact_start, Course.closing_period, User.id)
        .join(Client, Course.client_id == Client.id).join(User, Client.worker_id == User.id)
        .where(scope_filter(User.municipality_id, scope, use_current=False))
    ).all()
    return {row[0]: CourseRow(*row) for row in rows}


def _reports(scope: int | None, *columns: Any) -> list[Any]:
    return list(db.session.execute(
        select(Report.course_id, Report.period, *columns)
        .join(Course, Report.course_id == Course.id).join(Client, Course.client_id == Client.id)
        .join(User, Client.worker_id == User.id)
        .where(scope_filter(User.municipality_id, scope, use_current=False))
        .order_by(Report.course_id, Report.period)
    ).all())


def _case(course: CourseRow, period: date | Period | None, detail: str = "") -> Case:
    month = Period.of(period) if isinstance(period, date) else period
    return Case(course.system_number, course.number, course.worker, month, detail, course.worker_id)


def _facts(course: CourseRow, q17_pending: bool) -> CourseFacts:
    closing = None if course.closing is None else Period.of(course.closing)
    return CourseFacts(intake=Period.of(course.intake), contact_start=course.contact_start, closing=closing,
                       q17_pending=q17_pending)


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def not_applicable_answers(scope: int | None, moment: datetime, day: int) -> list[Case]:
    """Reports holding answers to questions that were hidden or not due in that month."""
    from forms.loader import get_definition
    from forms.rules import applicable_keys

    courses = _courses(scope)
    cases: list[Case] = []
    q17_pending: dict[int, bool] = {}  # course id -> pending after the reports seen so far
    columns = (Report.status, Report.answers, Report.definition_key, Report.definition_version, Report.closes_course)
    for course_id, period, status, answers, key, version, closes in _reports(scope, *columns):
        course, month = courses[course_id], Period.of(period)
        try:
            facts = _facts(course, q17_pending.get(course_id, False))
            due = due_parts(facts, month, closing=closes or facts.closing == month)
            definition = get_definition(key, version)
        except (ValueError, LookupError) as problem:
            cases.append(_case(course, month, _problem_text(problem)))
            continue
        applicable = set(applicable_keys(definition, answers or {}, sections=due.sections, extra=due.reask))
        stray = sorted(set(answers or {}) - applicable)
        if stray:
            cases.append(_case(course, month, "Svar på: " + ", ".join(stray)))
        if status == "submitted":
            q17_pending[course_id] = q17_pending_after(answers or {}, q17_pending.get(course_id, False))
    return cases


def _problem_text(problem: Exception) -> str:
    if isinstance(problem, LookupError):
        return "Skemaversionen findes ikke"
    return "Måneden ligger uden for forløbet"


def closing_before_contact_start(scope: int | None, moment: datetime, day: int) -> list[Case]:
    """Closed courses whose closing month lies before the month of the contact start (Q16)."""
    return [
        _case(course, course.closing, f"Kontaktstart {course.contact_start.isoformat()}")
        for course in _courses(scope).values()
        if course.closing is not None and course.contact_start is not None
        and Period.of(course.closing) < Period.of(course.contact_start)
    ]


def missing_intake(scope: int | None, moment: datetime, day: int) -> list[Case]:
    """Courses without a submitted intake report after the intake month's deadline."""
    submitted = {(course_id, period) for course_id, period, status in _reports(scope, Report.status)
                 if status == "submitted"}
    return [
        _case(course, course.intake)
        for course in _courses(scope).values()
        if (course.id, course.intake) not in submitted
        and report_status(Period.of(course.intake), None, moment, day).kind == "missing"
    ]


def duplicate_client_months(scope: int | None, moment: datetime, day: int) -> list[Case]:
    """Client-months reported in more than one course of the same client."""
    duplicated = db.session.execute(
        select(Client.id, Report.period, func.count(Report.id))
        .join(Course, Report.course_id == Course.id).join(Client, Course.client_id == Client.id)
        .join(User, Client.worker_id == User.id)
        .where(scope_filter(User.municipality_id, scope, use_current=False))
        .group_by(Client.id, Report.period).having(func.count(Report.id) > 1)
    ).all()
    wanted = {(client_id, period) for client_id, period, _ in duplicated}
    if not wanted:
        return []
    courses = _courses(scope)
    client_of = dict(db.session.execute(select(Course.id, Course.client_id).where(Course.id.in_(courses))).all())
    found: dict[tuple[int, date], list[CourseRow]] = defaultdict(list)
    for course_id, period in _reports(scope):
        if (client_of[course_id], period) in wanted:
            found[(client_of[course_id], period)].append(courses[course_id])
    return [
        _case(rows[0], period, "Forløb " + ", ".join(str(r.number) for r in rows))
        for (_, period), rows in sorted(found.items(), key=lambda item: (item[1][0].system_number, item[0][1]))
    ]


def late_drafts(scope: int | None, moment: datetime, day: int) -> list[Case]:
    """Reports still in draft after their deadline."""
    courses = _courses(scope)
    return [
        _case(courses[course_id], period, "Kladde")
        for course_id, period, status in _reports(scope, Report.status)
        if status == "draft" and report_status(Period.of(period), None, moment, day).kind == "missing"
    ]


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    explanation: str
    run: Callable[[int | None, datetime, int], list[Case]]


CHECKS: dict[str, Check] = {
    check.key: check
    for check in (
        Check("not-applicable", "Svar på spørgsmål, der ikke gælder",
              "Rapporter med gemte svar på spørgsmål, der var skjult eller ikke skulle besvares den måned.",
              not_applicable_answers),
        Check("closing-before-contact", "Afslutning før kontaktstart",
              "Afsluttede forløb, hvor afslutningsmåneden ligger før måneden for kontaktstart.",
              closing_before_contact_start),
        Check("missing-intake", "Manglende indskrivning",
              "Forløb uden indsendt indskrivningsrapport, selv om fristen er overskredet.", missing_intake),
        Check("duplicates", "Dobbelte klient-måneder",
              "Samme klient og måned er indberettet i mere end ét forløb.", duplicate_client_months),
        Check("late-drafts", "Kladder efter fristen",
              "Rapporter, der stadig er kladder, selv om fristen er overskredet.", late_drafts),
    )
}


def _run(check: Check) -> list[Case]:
    cases = check.run(current_scope(), now(), int(current_app.config["DEADLINE_DAY"]))
    return sorted(cases, key=lambda c: (c.system_number, c.course_number, c.period or Period(1, 1)))


@bp.route("")
@roles("coordinator")
def index():  # type: ignore[no-untyped-def]
    results = [(check, len(_run(check))) for check in CHECKS.values()]
    return render_template("coordination/quality.html", results=results, scope=scope_label())


@bp.route("/<check_key>")
@roles("coordinator")
def cases(check_key: str):  # type: ignore[no-untyped-def]
    check = CHECKS.get(check_key) or abort(404)
    return render_template("coordination/quality_cases.html", check=check, cases=_run(check), scope=scope_label(),
                           **HELPERS)
