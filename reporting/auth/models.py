"""Tables of the login features.

:class:`Invitation` holds only the SHA-256 of a one-time link token; the token itself exists in the
mail alone. A link is valid until ``expires_at`` and only while ``used_at`` is empty. The same
table carries the links of "Glemt adgangskode?" (``purpose`` ``reset``).

:class:`SecondFactor` holds a user's TOTP secret encrypted (Fernet, key from ``MFA_ENCRYPTION_KEY``
or derived from ``SECRET_KEY``); :class:`RecoveryCode` holds only keyed hashes of the one-time
recovery codes. Neither the secret nor a code is ever logged, audited or exported.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reporting.core.extensions import UTCDateTime, db
from reporting.core.models import User, utcnow


class Invitation(db.Model):
    """A one-time link that lets an invited user choose a password."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: ``invitation`` (choose a first password) or ``reset`` (Glemt adgangskode?).
    purpose: Mapped[str] = mapped_column(String(20), default="invitation", server_default="invitation")

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class SecondFactor(db.Model):
    """A user's TOTP authenticator: confirmed once a first code was accepted at enrolment.

    ``last_step`` is the TOTP time step of the last accepted code, so a code works only once.
    """

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)


class RecoveryCode(db.Model):
    """One one-time recovery code of a user (its keyed hash); usable while ``used_at`` is empty."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
