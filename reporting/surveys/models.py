"""Tables of the caseworker survey (decisions §4): waves, the units each wave asks, and responses.

- A :class:`SurveyWave` is one measurement, ``baseline`` or ``followup`` (the wave names of
  forms/definitions/caseworker.toml), opened by a coordinator for chosen units with a last day
  to answer (``end_date``, a Copenhagen calendar date). ``closed_at`` is set when a coordinator
  closes it early; changing the end date clears it again. ``municipality_id`` is the one
  municipality all its units belong to, or None when they span several: coordinators see a wave
  through :func:`reporting.auth.scope.scope_filter` on that column. A follow-up wave may name the
  baseline wave it is compared with (``baseline_wave_id``).
- A :class:`SurveyResponse` is one caseworker's answers to one wave: unique per (wave, user),
  a draft until submitted, then final. The user id pairs a caseworker's baseline and follow-up
  answers; names are never stored with the answers, and ``unit_id`` is the caseworker's unit
  when the response was started (the "voksenenhed" of the analysis). ``version`` is
  SQLAlchemy's version counter (optimistic locking, as for monthly reports).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reporting.core.extensions import UTCDateTime, db
from reporting.core.models import Unit, User, utcnow
from reporting.core.schedule import COPENHAGEN

#: Wave kinds, as named by the ``waves`` of the caseworker questionnaire, with their Danish labels.
WAVE_KINDS: dict[str, str] = {"baseline": "Baselinemåling", "followup": "Opfølgende måling"}
SURVEY_DEFINITION = "caseworker"
#: The survey's one name on every page, in the navigation and in mails.
SURVEY_NAME = "Spørgeskema om koordinering"


def end_of_day(day: date) -> datetime:
    """The instant ``day`` has ended in Copenhagen (00:00 local time the next day), aware UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=COPENHAGEN).astimezone(UTC)


class SurveyWaveUnit(db.Model):
    """One unit asked in one wave."""

    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_wave.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)

    unit: Mapped[Unit] = relationship()


class SurveyWave(db.Model):
    """A baseline or follow-up measurement for a set of units, open until the end of ``end_date``."""

    __table_args__ = (CheckConstraint("kind IN ('baseline', 'followup')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_key: Mapped[str] = mapped_column(String(50), default=SURVEY_DEFINITION)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), index=True)
    baseline_wave_id: Mapped[int | None] = mapped_column(ForeignKey("survey_wave.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    end_date: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    unit_rows: Mapped[list[SurveyWaveUnit]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    baseline_wave: Mapped[SurveyWave | None] = relationship(remote_side=[id])

    @property
    def units(self) -> list[Unit]:
        return sorted((row.unit for row in self.unit_rows), key=lambda u: (u.municipality.name, u.name))

    @property
    def unit_ids(self) -> set[int]:
        return {row.unit_id for row in self.unit_rows}

    @property
    def ends_at(self) -> datetime:
        return end_of_day(self.end_date)

    def is_open(self, at: datetime) -> bool:
        """Whether caseworkers may save and submit at instant ``at``."""
        return self.closed_at is None and self.opened_at <= at < self.ends_at

    def status_label(self, at: datetime) -> str:
        if self.is_open(at):
            return "Åben"
        if self.closed_at is not None and self.closed_at < self.ends_at:
            return "Lukket før tid"
        return "Afsluttet"

    @property
    def kind_label(self) -> str:
        return WAVE_KINDS.get(self.kind, self.kind)


class SurveyResponse(db.Model):
    """One caseworker's answers to one wave: a draft until submitted, then final."""

    __table_args__ = (
        UniqueConstraint("wave_id", "user_id"),
        CheckConstraint("status IN ('draft', 'submitted')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_wave.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # applicable answers by question key
    definition_key: Mapped[str] = mapped_column(String(50))
    definition_version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    __mapper_args__ = {"version_id_col": version}

    wave: Mapped[SurveyWave] = relationship()
    user: Mapped[User] = relationship()
