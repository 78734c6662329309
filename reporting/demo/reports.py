"""Synthetic clients and monthly reports with the real questionnaire, for demos and benchmarks.

Answers follow every skip rule (``forms.sample``) and the schedule decides the parts of each
month, so the data exercise intake, monthly, periodic and closing reports. Reports are inserted
in batches through SQLAlchemy Core so that hundreds of thousands of client-months load quickly.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from forms import Questionnaire, get_definition
from forms.sample import sample_answers
from reporting.core.extensions import db
from reporting.core.models import User
from reporting.core.schedule import CourseFacts, Period, deadline_end, due_parts, q17_pending_after
from reporting.skp.clients import create_client, start_course
from reporting.skp.models import Course, Report

BATCH = 2000


@dataclass(frozen=True)
class Plan:
    """One synthetic course: its months and whether it closes in the last one."""

    intake: Period
    last: Period
    closes: bool
    contact_start: date


def seed_reports(workers: list[User], clients_per_worker: int, months: int, now: datetime,
                 seed: int = 2008) -> int:
    """Give each worker ``clients_per_worker`` clients with up to ``months`` months of submitted
    reports ending with the last month before ``now``; returns the number of reports (committed)."""
    until = Period.containing(now) - 1
    rng = random.Random(seed)
    definition = get_definition("skp_monthly")
    rows: list[dict[str, Any]] = []
    count = 0
    for worker in workers:
        for number in range(clients_per_worker):
            plan = _plan(rng, months, until)
            client = create_client(worker.id, f"Demo {worker.id}-{number + 1}")
            course = start_course(client, plan.intake, contact_start=plan.contact_start)
            if plan.closes:
                course.status, course.closing_period = "closed", plan.last.first_day
            db.session.flush()
            for row in _course_reports(rng, definition, course, plan, now):
                rows.append(row)
                if len(rows) >= BATCH:
                    count += _flush(rows)
    count += _flush(rows)
    db.session.commit()
    return count


def _plan(rng: random.Random, months: int, until: Period) -> Plan:
    length = rng.randint(max(1, months // 2), max(1, months))
    intake = until - (length - 1)
    start = intake.first_day + timedelta(days=rng.randint(0, 27))
    return Plan(intake, until, closes=rng.random() < 0.25, contact_start=start)


def _course_reports(rng: random.Random, definition: Questionnaire, course: Course, plan: Plan,
                    now: datetime) -> Iterator[dict]:
    facts = CourseFacts(intake=plan.intake, contact_start=plan.contact_start)
    period, pending_q17 = plan.intake, False
    while period <= plan.last:
        closing = plan.closes and period == plan.last
        due = due_parts(CourseFacts(facts.intake, facts.contact_start, q17_pending=pending_q17), period, closing)
        answers = sample_answers(definition, due.sections, due.reask, rng=rng, overrides=_overrides(rng, plan, period))
        pending_q17 = q17_pending_after(answers, pending_q17)
        yield _report_row(rng, course, period, answers, closing, now)
        period = period + 1


def _overrides(rng: random.Random, plan: Plan, period: Period) -> dict[str, Any]:
    """Values the generator must keep consistent: the contact start, and failed visits (E43)."""
    failed_before = rng.randint(0, 3)
    failed_after = rng.randint(0, 3)
    return {
        "q16": 2, "q16_dato": plan.contact_start.isoformat(),
        "q40": period.last_day.isoformat(),
        "q49": failed_before + failed_after, "q50": failed_before, "q51": failed_after,
    }


def _report_row(rng: random.Random, course: Course, period: Period, answers: dict, closing: bool,
                now: datetime) -> dict:
    deadline = deadline_end(period)
    submitted = deadline - timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 20))
    if rng.random() < 0.12:  # some reports come in late
        submitted = deadline + timedelta(days=rng.randint(0, 20), hours=rng.randint(1, 20))
    submitted = max(min(submitted, now - timedelta(hours=1)), period.ends_at)
    return {
        "course_id": course.id, "period": period.first_day, "status": "submitted", "answers": answers,
        "definition_key": "skp_monthly", "definition_version": 1, "created_at": submitted,
        "updated_at": submitted, "submitted_at": submitted, "version": 1, "closes_course": closing,
    }


def _flush(rows: list[dict]) -> int:
    if not rows:
        return 0
    db.session.execute(insert(Report.__table__), rows)
    done = len(rows)
    rows.clear()
    return done
