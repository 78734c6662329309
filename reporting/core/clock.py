"""The service's notion of "now", which tests may fix (``FIXED_NOW``) to check deadlines."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, has_app_context


def now() -> datetime:
    """The current instant (aware, UTC); ``FIXED_NOW`` in a non-production app overrides it."""
    if has_app_context() and current_app.config.get("APP_ENV") != "production":
        fixed = current_app.config.get("FIXED_NOW")
        if fixed is not None:
            return fixed
    return datetime.now(UTC)
