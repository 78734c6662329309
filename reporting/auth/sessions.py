"""Idle timeout, and keeping what a worker posted when their login had timed out.

After ``IDLE_TIMEOUT_MINUTES`` without a request the user is logged out (the Flask session, and
with it the CSRF token, stays). A form POST that then arrives on an endpoint marked with
:func:`parks_posts` has already passed the CSRF check, so it came from this browser session: its
fields are parked on the server, tied to this session, and the person is sent to log in. When
the same browser comes back to that page logged in, the view takes the parked fields with
:func:`take_parked` and stores them as a draft: nothing typed is lost.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import JSON, String, delete
from sqlalchemy.orm import Mapped, mapped_column

from reporting.core.clock import now
from reporting.core.extensions import UTCDateTime, db

F = TypeVar("F", bound=Callable[..., object])
PARK_ATTR = "parks_posts"
PARKED_LIFETIME = timedelta(hours=12)


class ParkedPost(db.Model):
    """Form fields posted after the login had timed out, waiting for the same session to return."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(300))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


def parks_posts(view: F) -> F:
    """Mark a view whose POSTs are parked instead of lost when the login has timed out."""
    setattr(view, PARK_ATTR, True)
    return view


def enforce_idle_timeout() -> None:
    """``before_request``: log out after the idle timeout; remember the last request time."""
    if not current_user.is_authenticated:
        return
    limit = timedelta(minutes=int(current_app.config.get("IDLE_TIMEOUT_MINUTES", 120)))
    seen = session.get("seen")
    instant = now()
    if seen is not None and instant - datetime.fromisoformat(seen) > limit:
        logout_user()
        session.pop("seen", None)
        flash("Du blev logget ud, fordi du ikke havde været aktiv i et stykke tid. Log ind igen for at fortsætte.",
              "info")
        return
    session["seen"] = instant.isoformat()


def park_or_none() -> Any:
    """For an anonymous POST to a parking endpoint: park the fields and send the person to log in."""
    if request.method != "POST" or current_user.is_authenticated:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, PARK_ATTR, False):
        return None
    _purge_old()
    token = secrets.token_urlsafe(32)
    fields = {name: request.form.getlist(name) for name in request.form if name != "csrf_token"}
    db.session.add(ParkedPost(id=token, path=request.path, fields=fields))
    db.session.commit()
    session["parked"] = token
    flash("Du var blevet logget ud. Det, du skrev, er gemt: log ind igen, så kommer du tilbage til det.", "info")
    return redirect(url_for("auth.login", next=request.path))


def take_parked(path: str) -> dict[str, list[str]] | None:
    """The fields parked by this session for ``path`` (removed from storage), or None."""
    token = session.get("parked")
    if not token:
        return None
    row = db.session.get(ParkedPost, token)
    if row is None or row.path != path:
        return None
    session.pop("parked", None)
    fields = dict(row.fields)
    db.session.delete(row)
    return fields


def _purge_old() -> None:
    db.session.execute(delete(ParkedPost).where(ParkedPost.created_at < now() - PARKED_LIFETIME))


def init_app(app: Flask) -> None:
    app.before_request(enforce_idle_timeout)
