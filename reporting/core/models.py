"""Database models: organisation, users, audit events and the mail outbox.

Reporting models (clients, courses, reports) live beside the features that own them.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reporting.core.extensions import UTCDateTime, db

ROLES: dict[str, str] = {
    "skp": "SKP-medarbejder",
    "caseworker": "Sagsbehandler",
    "coordinator": "Koordinator",
    "admin": "Administrator",
}


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (stored naive-free on every backend)."""
    return datetime.now(UTC)


def new_session_version() -> str:
    return secrets.token_urlsafe(16)


class Municipality(db.Model):
    """A kommune, e.g. Esbjerg; the top of the organisation and of coordinators' scopes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: False: the municipality's users log in only through single sign-on (when SSO is configured).
    password_login: Mapped[bool] = mapped_column(default=True, server_default=sa_true())

    units: Mapped[list[Unit]] = relationship(back_populates="municipality", order_by="Unit.name")


class Unit(db.Model):
    """An enhed/team inside a municipality.

    Holds the "Kommunal myndighed" block of the report's Del 1 (decisions §1, E04): metadata of
    the reporting unit, never stored per client and never exported.
    """

    __table_args__ = (UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    name: Mapped[str] = mapped_column(String(100))
    authority_name: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")

    municipality: Mapped[Municipality] = relationship(back_populates="units")


class UserRole(db.Model):
    """One role held by a user; a user may hold several (decisions §1)."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class User(UserMixin, db.Model):
    """A person who logs in. ``municipality_id`` None on a coordinator means national scope."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(default=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    session_version: Mapped[str] = mapped_column(String(40), default=new_session_version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    municipality: Mapped[Municipality | None] = relationship()
    unit: Mapped[Unit | None] = relationship()

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(row.role for row in self.role_rows)

    def set_roles(self, roles: set[str] | frozenset[str]) -> None:
        unknown = set(roles) - ROLES.keys()
        if unknown:
            raise ValueError(f"unknown role(s): {', '.join(sorted(unknown))}")
        keep = [row for row in self.role_rows if row.role in roles]
        have = {row.role for row in keep}
        self.role_rows = keep + [UserRole(role=r) for r in sorted(set(roles) - have)]

    def has_role(self, *roles: str) -> bool:
        """True when the user holds any of ``roles``; admins hold every coordinator right."""
        mine = self.roles
        return bool(mine & set(roles)) or ("admin" in mine and "coordinator" in roles)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        # The session version makes logout, password change and deactivation end every session.
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        self.session_version = new_session_version()

    @staticmethod
    def by_email(email: str) -> User | None:
        return db.session.scalar(select(User).where(User.email == email.strip().lower()))


class AuditEvent(db.Model):
    """Who did what to which object, when. Never holds nicknames, answers or free text."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    object_type: Mapped[str] = mapped_column(String(50), default="")
    object_id: Mapped[str] = mapped_column(String(50), default="")
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxMail(db.Model):
    """Every mail the service sends, kept so nothing is lost when no SMTP server answers."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued, sent, printed, failed, given_up
    error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")  # delivery attempts made
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # a failed mail's retry
