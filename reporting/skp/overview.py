"""The worker's overview: per client, the months due, overdue and submitted, and the next deadline.

Statuses come from :func:`reporting.core.schedule.report_status` and the months from
:func:`reporting.core.schedule.expected_periods`, the same functions the reminders and the dashboard use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from reporting.core.extensions import db
from reporting.core.schedule import Period, Status, expected_periods, report_status
from reporting.skp.models import Client, Course


@dataclass(frozen=True)
class MonthRow:
    period: Period
    status: Status
    draft: bool  # a draft exists on the server


@dataclass
class ClientRow:
    client: Client
    course: Course | None
    months: list[MonthRow] = field(default_factory=list)
    start_months: list[Period] = field(default_factory=list)  # months a new intake may be filed for

    @property
    def open_months(self) -> list[MonthRow]:
        return [m for m in self.months if not m.status.submitted and m.status.kind != "not_due"]

    @property
    def next_deadline(self) -> date | None:
        dates = [m.status.deadline for m in self.open_months]
        return min(dates) if dates else None


def worker_overview(worker_id: int, now: datetime, day: int) -> list[ClientRow]:
    """One row per client of ``worker_id``, oldest system number first."""
    clients = db.session.scalars(
        select(Client).where(Client.worker_id == worker_id)
        .options(selectinload(Client.courses).selectinload(Course.reports))
        .order_by(Client.system_number)
    ).all()
    current = Period.containing(now)
    return [_client_row(client, current, now, day) for client in clients]


def client_overview(client: Client, now: datetime, day: int) -> ClientRow:
    """The same row for one client (the client page): its months and the months an intake may start."""
    return _client_row(client, Period.containing(now), now, day)


def _client_row(client: Client, current: Period, now: datetime, day: int) -> ClientRow:
    course = client.current_course
    row = ClientRow(client, course)
    if course is None or course.status != "open":
        after = course.closing + 1 if course and course.closing else None
        row.start_months = [p for p in (current - 1, current) if after is None or p >= after]
    if course is None:
        return row
    reports = {Period.of(r.period): r for r in course.reports}
    until = max([current - 1, *reports])
    for period in expected_periods(course.facts(), until):
        report = reports.get(period)
        submitted_at = report.submitted_at if report is not None and report.status == "submitted" else None
        status = report_status(period, submitted_at, now, day)
        row.months.append(MonthRow(period, status, report is not None and report.status == "draft"))
    return row
