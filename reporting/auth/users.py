"""Creating users and organisation records; shared by the CLI, the demo seed and later admin pages."""

from __future__ import annotations

from sqlalchemy import select

from reporting.auth.input_guard import LINE_BREAK
from reporting.auth.passwords import hash_password
from reporting.core.extensions import db
from reporting.core.models import ROLES, Municipality, Unit, User


class UserError(ValueError):
    """A user could not be created as asked; the message is Danish and safe to show."""


def get_or_create_municipality(name: str) -> Municipality:
    found = db.session.scalar(select(Municipality).where(Municipality.name == name))
    if found is None:
        found = Municipality(name=name)
        db.session.add(found)
        db.session.flush()
    return found


def get_or_create_unit(municipality: Municipality, name: str) -> Unit:
    found = db.session.scalar(
        select(Unit).where(Unit.municipality_id == municipality.id, Unit.name == name)
    )
    if found is None:
        found = Unit(municipality_id=municipality.id, name=name)
        db.session.add(found)
        db.session.flush()
    return found


def create_user(
    email: str,
    name: str,
    roles: set[str],
    password: str | None,
    municipality: Municipality | None = None,
    unit: Unit | None = None,
) -> User:
    """Add a user (flushed, not committed). Without a password the account cannot log in yet."""
    email = email.strip().lower()
    if LINE_BREAK.search(name) or LINE_BREAK.search(email):
        raise UserError("Navn og e-mail skal stå på én linje (uden linjeskift).")
    if not roles or not roles <= ROLES.keys():
        raise UserError(f"Ukendt rolle. Vælg blandt: {', '.join(ROLES)}")
    if User.by_email(email) is not None:
        raise UserError(f"Der findes allerede en bruger med e-mailen {email}.")
    if unit is not None and municipality is not None and unit.municipality_id != municipality.id:
        raise UserError("Enheden hører ikke til kommunen.")
    if unit is not None and municipality is None:
        municipality = unit.municipality
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password) if password else "",
        municipality_id=municipality.id if municipality else None,
        unit_id=unit.id if unit else None,
    )
    user.set_roles(roles)
    db.session.add(user)
    db.session.flush()
    return user
