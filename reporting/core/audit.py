"""Audit events: who read, changed, submitted, reopened or exported what.

Callers pass ids and codes only. Nicknames, answers and free text never enter ``details``.

Every event belongs to the municipality of the object it concerns, so that coordinators see what a
national user did in their municipality (security-probe I2): when the caller names none and the
acting user has none, the resolver registered for the object type (:func:`register_scope_resolver`,
e.g. a report's client's municipality) decides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_login import current_user

from reporting.core.extensions import db
from reporting.core.models import AuditEvent

#: object type -> function of the object id giving the object's municipality id (or None).
_SCOPE_RESOLVERS: dict[str, Callable[[str], int | None]] = {}


def register_scope_resolver(object_type: str, resolver: Callable[[str], int | None]) -> None:
    """Tell :func:`record` how to find the municipality of objects of ``object_type``."""
    _SCOPE_RESOLVERS[object_type] = resolver


def record(
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    *,
    user_id: int | None = None,
    municipality_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction (flushed, committed by the caller).

    ``municipality_id`` defaults to the acting user's municipality, then to the object's.
    """
    if user_id is None and getattr(current_user, "is_authenticated", False):
        user_id = current_user.id
        if municipality_id is None:
            municipality_id = current_user.municipality_id
    if municipality_id is None and object_type in _SCOPE_RESOLVERS and object_id != "":
        municipality_id = _SCOPE_RESOLVERS[object_type](str(object_id))
    event = AuditEvent(
        user_id=user_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        municipality_id=municipality_id,
        details=details,
    )
    db.session.add(event)
    db.session.flush()
    return event
