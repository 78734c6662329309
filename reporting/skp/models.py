"""Clients, courses (kontaktforløb) and monthly reports (decisions.md §3, architecture "Storage").

- A :class:`Client` is a worker's nickname plus a system number (``K-00042``) issued from
  :class:`ClientNumber`, a counter table whose rows are never deleted and whose SQLite table is
  ``AUTOINCREMENT`` (a PostgreSQL identity never goes back either), so a number is never issued
  twice, even after its client is deleted.
- A :class:`Course` runs from its intake month to its closing month; a reopened course is a new
  course of the same client that points back at the one it continues (D5).
- A :class:`Report` is one month of one course. ``version`` is SQLAlchemy's version counter: an
  UPDATE whose version no longer matches raises ``StaleDataError`` (two tabs, one draft), and a
  form posts the version it was rendered from so a stale save is refused before it is applied.
  ``answers`` is a plain JSON column: assign a new dict, do not mutate the stored one in place.

Months are stored as the date of their first day; :class:`reporting.core.schedule.Period` converts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from reporting.core.extensions import UTCDateTime, db
from reporting.core.models import User, utcnow
from reporting.core.schedule import CourseFacts, Period

SYSTEM_NUMBER_PREFIX = "K-"
COURSE_STATUSES: dict[str, str] = {"open": "Åbent", "closed": "Afsluttet", "postponed": "Udsat"}
REPORT_STATUSES: dict[str, str] = {"draft": "Kladde", "submitted": "Indsendt"}


def format_system_number(number: int) -> str:
    """``42`` → ``K-00042`` (five digits at least; more once the counter passes 99999)."""
    return f"{SYSTEM_NUMBER_PREFIX}{number:05d}"


def _first_of_month(name: str, value: date | None) -> date | None:
    if value is not None and (isinstance(value, datetime) or not isinstance(value, date) or value.day != 1):
        raise ValueError(f"{name} must be the first day of a month, got {value!r}")
    return value


class ClientNumber(db.Model):
    """One row per system number ever issued. Never delete rows: the counter must not go back."""

    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Client(db.Model):
    """A client known to its worker by ``nickname`` and to everyone else by ``system_number``.

    Every query for clients must filter on ``worker_id`` (see ``reporting.skp.clients``).
    """

    __table_args__ = (UniqueConstraint("worker_id", "nickname"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system_number: Mapped[str] = mapped_column(String(20), unique=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    nickname: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    worker: Mapped[User] = relationship()
    courses: Mapped[list[Course]] = relationship(back_populates="client", order_by="Course.number")

    @property
    def current_course(self) -> Course | None:
        """The latest course (the open one, if any), or None before the first intake."""
        return self.courses[-1] if self.courses else None


class Course(db.Model):
    """A kontaktforløb of one client: intake month … closing month (inclusive)."""

    __table_args__ = (
        UniqueConstraint("client_id", "number"),
        CheckConstraint("status IN ('open', 'closed', 'postponed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    number: Mapped[int] = mapped_column(default=1)  # 1, 2, … within the client
    status: Mapped[str] = mapped_column(String(20), default="open")
    intake_period: Mapped[date] = mapped_column(Date)  # first day of the intake month
    contact_start: Mapped[date | None] = mapped_column(Date)  # Q16 date, when given
    closing_period: Mapped[date | None] = mapped_column(Date)  # first day of the closing month
    reopened_from_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship(back_populates="courses")
    reopened_from: Mapped[Course | None] = relationship(remote_side="Course.id")
    reports: Mapped[list[Report]] = relationship(back_populates="course", order_by="Report.period")

    @validates("intake_period", "closing_period")
    def _validate_month(self, key: str, value: date | None) -> date | None:
        return _first_of_month(key, value)

    @property
    def intake(self) -> Period:
        return Period.of(self.intake_period)

    @property
    def closing(self) -> Period | None:
        return None if self.closing_period is None else Period.of(self.closing_period)

    @property
    def status_label(self) -> str:
        return COURSE_STATUSES.get(self.status, self.status)

    def facts(self, q17_pending: bool = False) -> CourseFacts:
        """What the schedule needs (``reporting.core.schedule``); Q17 state comes from the answers."""
        return CourseFacts(
            intake=self.intake, contact_start=self.contact_start, closing=self.closing, q17_pending=q17_pending
        )


class Report(db.Model):
    """The report of one course for one month: a draft until submitted."""

    __table_args__ = (
        UniqueConstraint("course_id", "period"),
        CheckConstraint("status IN ('draft', 'submitted')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    period: Mapped[date] = mapped_column(Date)  # first day of the month reported on
    status: Mapped[str] = mapped_column(String(20), default="draft")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # visible answers by question key
    #: Unsent corrections of a submitted report (autosaved); ``answers`` stays what was submitted.
    correction_answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    definition_key: Mapped[str] = mapped_column(String(50))
    definition_version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    closes_course: Mapped[bool] = mapped_column(default=False)  # the worker closes the course (Del 7) here
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}

    course: Mapped[Course] = relationship(back_populates="reports")
    reopened_by: Mapped[User | None] = relationship()

    @validates("period")
    def _validate_period(self, key: str, value: date) -> date | None:
        return _first_of_month(key, value)

    @property
    def month(self) -> Period:
        return Period.of(self.period)
