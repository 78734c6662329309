"""Test data for the coordinator features: clients, courses and reports at chosen instants.

Every helper works inside an app context and commits. Instants are given in Copenhagen time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from reporting.core.extensions import db
from reporting.core.schedule import Period
from reporting.skp.clients import create_client, start_course
from reporting.skp.models import Client, Course, Report

CPH = ZoneInfo("Europe/Copenhagen")


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """An aware instant, given in Copenhagen wall-clock time, returned in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=CPH).astimezone(UTC)


def first(month: str) -> date:
    return Period.parse(month).first_day


def client(worker_id: int, nickname: str) -> Client:
    row = create_client(worker_id, nickname)
    db.session.commit()
    return row


def course(row: Client, intake: str, closing: str | None = None, *, contact_start: date | None = None,
           status: str | None = None) -> Course:
    """A course of ``row`` from ``intake``; with ``closing`` it is closed (or ``status``) in that month."""
    result = start_course(row, Period.parse(intake), contact_start=contact_start)
    if closing is not None:
        result.closing_period = first(closing)
        result.status = status or "closed"
    db.session.commit()
    return result


def report(of: Course, month: str, submitted_at: datetime | None = None, *, answers: dict[str, Any] | None = None,
           closes: bool = False) -> Report:
    """A report of ``of`` for ``month``: submitted at ``submitted_at``, else a draft."""
    row = Report(course=of, period=first(month), status="submitted" if submitted_at else "draft",
                 submitted_at=submitted_at, answers=answers or {}, definition_key="skp_monthly",
                 definition_version=1, closes_course=closes)
    db.session.add(row)
    db.session.commit()
    return row
