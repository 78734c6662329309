"""Tables of the coordination features.

:class:`ReminderSendLog` makes ``send-reminders`` idempotent: one row per (kind, recipient, day),
inserted before the mail is handed to the backend, so a second run that day (or a concurrent one)
finds the row and sends nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reporting.core.extensions import UTCDateTime, db
from reporting.core.models import OutboxMail, User, utcnow

REMINDER_KINDS: dict[str, str] = {"worker": "Påmindelse til medarbejder", "coordinator": "Oversigt til koordinator",
                                  "worker_now": "Påmindelse sendt af koordinator"}


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
