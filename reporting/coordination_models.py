"""Tables of the coordination features: reminder send log, invitations and service settings.

- :class:`ReminderSendLog` makes ``send-reminders`` idempotent: one row per (kind, recipient,
  day), inserted before the mail is handed to the backend, so a second run that day (or a
  concurrent one) finds the row and sends nothing.
- :class:`Invitation` holds only the SHA-256 of a one-time link token; the token itself exists in
  the mail alone. A link is valid until ``expires_at`` and only while ``used_at`` is empty.
- :class:`Setting` keeps the few values an administrator may change at run time (reminder days,
  audit retention); :mod:`reporting.settings_store` names them with their defaults.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reporting.extensions import UTCDateTime, db
from reporting.models import OutboxMail, User, utcnow

REMINDER_KINDS: dict[str, str] = {"worker": "Påmindelse til medarbejder", "coordinator": "Oversigt til koordinator"}


class ReminderSendLog(db.Model):
    """One reminder digest sent (or attempted) to one user on one Copenhagen calendar day."""

    __table_args__ = (UniqueConstraint("kind", "user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # worker, coordinator
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_mail.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    mail: Mapped[OutboxMail | None] = relationship()


class Invitation(db.Model):
    """A one-time link that lets an invited user choose a password."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Setting(db.Model):
    """A run-time setting by key; absent keys take their default from ``settings_store``."""

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
