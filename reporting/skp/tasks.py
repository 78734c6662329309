"""The SKP worker's task list: what is due now, built from the overview (one source of statuses).

A task is one client-month the worker should file: a report that is due or overdue, or the intake
of a client who has no course yet. Months whose deadline has not come yet (the current month) are
offered separately as "early" tasks, so a worker going on holiday can file them. Nothing here
queries the database: it reads :func:`reporting.skp.overview.worker_overview`'s rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from reporting.core.schedule import Period, Status, deadline_date
from reporting.skp.models import Client
from reporting.skp.overview import ClientRow

#: DKFDS badge per task state: (Danish label, badge modifier).
BADGES: dict[str, tuple[str, str]] = {
    "missing": ("For sent", "badge-error"),
    "due": ("Mangler", "badge-warning"),
    "draft": ("Kladde", "badge-info"),
    "intake": ("Ny klient", "badge-info"),
    "not_due": ("Kan indberettes tidligt", "badge-success"),
}


@dataclass(frozen=True)
class Task:
    """One client-month to file. ``status`` is None for a new client's intake (no course yet)."""

    client: Client
    period: Period
    status: Status | None
    draft: bool = False
    intake: bool = False
    other_periods: tuple[Period, ...] = ()  # an intake may also be filed for these months

    @property
    def badges(self) -> list[tuple[str, str]]:
        """The badges that describe the task, most urgent first."""
        shown = []
        if self.status is not None:
            shown.append(BADGES[self.status.kind])
        if self.intake:
            shown.append(BADGES["intake"])
        if self.draft:
            shown.append(BADGES["draft"])
        return shown

    @property
    def sort_key(self) -> tuple:
        urgency = 0 if self.status is not None and self.status.kind == "missing" else 1 if self.intake else 2
        return (urgency, self.period, self.client.system_number)


@dataclass
class TaskList:
    """The tasks of one worker at one moment, with the headline figures the front page shows."""

    current: Period
    due: list[Task] = field(default_factory=list)
    early: list[Task] = field(default_factory=list)
    deadline_day: int = 15

    @property
    def overdue(self) -> list[Task]:
        return [task for task in self.due if task.status is not None and task.status.kind == "missing"]

    @property
    def due_periods(self) -> list[Period]:
        return sorted({task.period for task in self.due if not task.intake})

    @property
    def next_deadline(self) -> date:
        """When nothing is due: the deadline of the current month's reports."""
        return deadline_date(self.current, self.deadline_day)

    @property
    def headline_period(self) -> Period | None:
        """The month named in the headline: the one month all due reports belong to, else None."""
        periods = {task.period for task in self.due}
        return periods.pop() if len(periods) == 1 else None

    def deadline_of(self, period: Period) -> date:
        return deadline_date(period, self.deadline_day)


def build_tasks(rows: Sequence[ClientRow], current: Period, deadline_day: int) -> TaskList:
    """The task list from the overview rows of one worker (``current``: this month in Copenhagen)."""
    tasks = TaskList(current=current, deadline_day=deadline_day)
    for row in rows:
        if row.course is None:
            tasks.due.append(_intake_task(row, current))
            continue
        for month in row.open_months:
            tasks.due.append(Task(row.client, month.period, month.status, draft=month.draft,
                                  intake=month.period == row.course.intake))
        for month in row.months:
            if month.status.kind == "not_due":
                tasks.early.append(Task(row.client, month.period, month.status, draft=month.draft,
                                        intake=month.period == row.course.intake))
        if row.course.status == "open" and all(month.period != current for month in row.months):
            tasks.early.append(Task(row.client, current, Status("not_due", deadline_date(current, deadline_day))))
    tasks.due.sort(key=lambda task: task.sort_key)
    tasks.early.sort(key=lambda task: task.sort_key)
    return tasks


def _intake_task(row: ClientRow, current: Period) -> Task:
    """A new client's intake, for the month the client was created in when that may be filed."""
    months = sorted(row.start_months or [current], reverse=True)
    created = Period.containing(row.client.created_at)
    first = created if created in months else months[0]
    return Task(row.client, first, None, intake=True, other_periods=tuple(m for m in months if m != first))
