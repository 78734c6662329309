"""A coordinator's scope: one municipality (``user.municipality_id``) or national (None).

Admins are always national. Every coordinator query adds :func:`scope_filter` in the query
itself, and objects outside the scope are answered with 404, exactly like objects that do not
exist (nothing reveals that they do).
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, select, true

from reporting.core.extensions import db
from reporting.core.models import Municipality, Unit, User


def scope_of(user: Any) -> int | None:
    """The municipality id a user coordinates, or None for national scope (admins)."""
    if "admin" in user.roles:
        return None
    return user.municipality_id


def current_scope() -> int | None:
    return scope_of(current_user)


def is_national() -> bool:
    return current_scope() is None


def scope_filter(column: Any, scope: int | None = None, *, use_current: bool = True) -> ColumnElement[bool]:
    """``column == <scope municipality>``, or TRUE for national scope.

    ``scope`` is given by jobs without a logged-in user (pass ``use_current=False``).
    """
    municipality_id = current_scope() if use_current else scope
    return true() if municipality_id is None else column == municipality_id


def scoped_users() -> Select[tuple[User]]:
    return select(User).where(scope_filter(User.municipality_id))


def user_in_scope_or_404(user_id: int) -> User:
    user = db.session.scalar(scoped_users().where(User.id == user_id))
    if user is None:
        abort(404)
    return user


def scoped_municipalities() -> Select[tuple[Municipality]]:
    return select(Municipality).where(scope_filter(Municipality.id)).order_by(Municipality.name)


def scoped_units() -> Select[tuple[Unit]]:
    return (
        select(Unit).join(Municipality).where(scope_filter(Unit.municipality_id))
        .order_by(Municipality.name, Unit.name)
    )


def scope_label() -> str:
    """``Esbjerg Kommune``-style text for headings, or ``hele landet``."""
    municipality_id = current_scope()
    if municipality_id is None:
        return "hele landet"
    municipality = db.session.get(Municipality, municipality_id)
    return municipality.name if municipality else "ukendt kommune"
