"""Compliance: the status of every expected client-month in a scope, and counts of them.

The months come from :func:`reporting.core.schedule.expected_periods` and each status from
:func:`reporting.core.schedule.report_status` — the functions the worker's overview uses — so the
dashboard, the drill-down and the reminders can never disagree with what a worker sees.
Data is read with plain column selects (no ORM object per report) and never includes nicknames.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from reporting.auth.scope import scope_filter
from reporting.core.extensions import db
from reporting.core.models import User
from reporting.core.schedule import CourseFacts, Period, Status, deadline_end, expected_periods, report_status
from reporting.skp.models import Client, Course, Report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CourseRecord:
    """One course as the compliance count needs it; ``submitted`` maps month → submission instant."""

    course_id: int
    course_number: int
    worker_id: int
    system_number: str
    facts: CourseFacts
    submitted: dict[Period, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class ClientMonth:
    """The status of one expected report (course × month)."""

    worker_id: int
    system_number: str
    course_number: int
    period: Period
    status: Status


def load_courses(scope: int | None, worker_id: int | None = None) -> list[CourseRecord]:
    """Every course of the workers in ``scope`` (None = national), optionally of one worker."""
    where = [scope_filter(User.municipality_id, scope, use_current=False)]
    if worker_id is not None:
        where.append(Client.worker_id == worker_id)
    courses = db.session.execute(
        select(Course.id, Course.number, Client.worker_id, Client.system_number, Course.intake_period,
               Course.contact_start, Course.closing_period)
        .join(Client, Course.client_id == Client.id).join(User, Client.worker_id == User.id).where(*where)
    ).all()
    submitted: dict[int, dict[Period, datetime]] = defaultdict(dict)
    reports = db.session.execute(
        select(Report.course_id, Report.period, Report.submitted_at)
        .join(Course, Report.course_id == Course.id).join(Client, Course.client_id == Client.id)
        .join(User, Client.worker_id == User.id)
        .where(*where, Report.status == "submitted", Report.submitted_at.is_not(None))
    ).all()
    for course_id, period, submitted_at in reports:
        submitted[course_id][Period.of(period)] = submitted_at
    records = []
    for row in courses:
        closing = None if row.closing_period is None else Period.of(row.closing_period)
        if closing is not None and closing < Period.of(row.intake_period):
            log.warning("course %s closes before its intake month; left out of compliance counts", row.id)
            continue
        facts = CourseFacts(intake=Period.of(row.intake_period), contact_start=row.contact_start, closing=closing)
        records.append(CourseRecord(row.id, row.number, row.worker_id, row.system_number, facts,
                                    submitted.get(row.id, {})))
    return records


def client_months(courses: Iterable[CourseRecord], first: Period | None, last: Period, now: datetime,
                  day: int) -> list[ClientMonth]:
    """The status at ``now`` of every expected report from ``first`` (None: from intake) to ``last``."""
    months = []
    for course in courses:
        for period in expected_periods(course.facts, last):
            if first is not None and period < first:
                continue
            status = report_status(period, course.submitted.get(period), now, day)
            months.append(ClientMonth(course.worker_id, course.system_number, course.course_number, period, status))
    return months


@dataclass
class Tally:
    """Counts of expected reports by status. ``due``: not submitted, deadline not yet passed."""

    expected: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    due: int = 0

    def add(self, status: Status) -> None:
        self.expected += 1
        if status.kind in ("on_time", "late", "missing", "due"):
            setattr(self, status.kind, getattr(self, status.kind) + 1)

    @property
    def on_time_rate(self) -> float | None:
        """Share of the expected reports submitted on time (0-1), None when nothing is expected."""
        return self.on_time / self.expected if self.expected else None

    def as_dict(self) -> dict[str, int]:
        return {"expected": self.expected, "on_time": self.on_time, "late": self.late, "missing": self.missing,
                "due": self.due}


def tally(months: Iterable[ClientMonth]) -> Tally:
    total = Tally()
    for month in months:
        total.add(month.status)
    return total


def tally_by(months: Iterable[ClientMonth], key: Callable[[ClientMonth], Hashable]) -> dict[Hashable, Tally]:
    """Counts per group; ``key`` maps a client-month to its group (worker id, unit id …)."""
    groups: dict[Hashable, Tally] = defaultdict(Tally)
    for month in months:
        groups[key(month)].add(month.status)
    return dict(groups)


def last_final_period(now: datetime, day: int) -> Period:
    """The latest month whose deadline has passed at ``now`` (its counts no longer change by waiting)."""
    period = Period.containing(now) - 1
    return period if now >= deadline_end(period, day) else period - 1


def on_time_series(months: Iterable[ClientMonth], last: Period, count: int = 12) -> list[tuple[Period, Tally]]:
    """Counts for each of the ``count`` months ending at ``last``, oldest first."""
    periods = [last - n for n in range(count - 1, -1, -1)]
    by_period = tally_by(months, lambda m: m.period)
    return [(period, by_period.get(period, Tally())) for period in periods]
