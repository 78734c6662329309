"""Audit events: who read, changed, submitted, reopened or exported what.

Callers pass ids and codes only. Nicknames, answers and free text never enter ``details``.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from reporting.core.extensions import db
from reporting.core.models import AuditEvent


def record(
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    *,
    user_id: int | None = None,
    municipality_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction (flushed, committed by the caller)."""
    if user_id is None and getattr(current_user, "is_authenticated", False):
        user_id = current_user.id
        if municipality_id is None:
            municipality_id = current_user.municipality_id
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
