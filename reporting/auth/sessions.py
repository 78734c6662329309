"""Session lifetime, and keeping what a worker posted when their login had timed out.

Lifetime: after ``IDLE_TIMEOUT_MINUTES`` without a request, or ``SESSION_MAX_HOURS`` after the
login however active, the user is logged out (the Flask session, and with it the CSRF token,
stays). Sessions are not bound to the client's address (D25): a phone moving from Wi-Fi to 4G
keeps its login.

Parked posts. Contract:
- Only a session that *was logged in and timed out* parks: the timeout leaves the user's id and
  session version in the (signed) session, and a parked post needs them, the user still active
  with that session version, and the endpoint's access policy allowing that user. Anonymous
  posts, posts after a logout or a password change, and posts to routes the user could not use
  are never stored.
- An endpoint marked with :func:`parks_posts` may name a check ``exists(user, **view_args)``
  (there, or with :func:`park_check` from the app factory);
  a post for an object that check does not find (e.g. a client number that does not exist) is
  not stored.
- Caps: the path at most ``PARKED_PATH_MAX`` characters (the column's size), the fields at most
  ``PARKED_MAX_BYTES`` as JSON, and ``PARKED_MAX_PER_USER`` rows per user (the newest kept).
  Rows live ``PARKED_LIFETIME``; older ones are purged on every parking and by
  :func:`purge_expired` (the ``cleanup`` command and app start).
- A post that is not parked gets the login page like any anonymous request, with a message
  saying what was typed could not be kept. When the same user logs in again in the same browser
  and opens the page, the view takes the fields with :func:`take_parked` and stores them as a
  draft: nothing typed is lost.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar, overload

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import JSON, ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from reporting.core.clock import now
from reporting.core.extensions import UTCDateTime, db
from reporting.core.models import User

F = TypeVar("F", bound=Callable[..., object])
PARK_ATTR = "parks_posts"
PARK_CHECK_ATTR = "parks_posts_check"
PARKED_LIFETIME = timedelta(hours=12)
PARKED_PATH_MAX = 300
PARKED_MAX_BYTES = 256 * 1024
PARKED_MAX_PER_USER = 3
#: Session key of the user whose login timed out in this browser: ``[user id, session version]``.
TIMED_OUT = "timed_out"
LOGIN_AT = "login_at"


class ParkedPost(db.Model):
    """Form fields posted after the login had timed out, waiting for the same user and session."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(PARKED_PATH_MAX))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)


@overload
def parks_posts(view: F) -> F: ...
@overload
def parks_posts(*, exists: Callable[..., bool]) -> Callable[[F], F]: ...
def parks_posts(view: F | None = None, *, exists: Callable[..., bool] | None = None) -> Any:
    """Mark a view whose POSTs are parked instead of lost when the login has timed out.

    ``exists(user, **view_args)`` (optional) tells whether the object the post is for exists and
    belongs to ``user``; without it, any URL the route matches is parkable for a permitted user.
    """

    def mark(target: F) -> F:
        setattr(target, PARK_ATTR, True)
        setattr(target, PARK_CHECK_ATTR, exists)
        return target

    return mark(view) if view is not None else mark


def park_check(app: Flask, endpoint: str, exists: Callable[..., bool]) -> None:
    """Name the object check of a parking endpoint from outside its package (see :func:`parks_posts`)."""
    view = app.view_functions[endpoint]
    if not getattr(view, PARK_ATTR, False):
        raise ValueError(f"{endpoint} does not park posts")
    setattr(view, PARK_CHECK_ATTR, exists)


def mark_login() -> None:
    """Call right after ``login_user``: starts the absolute lifetime, forgets an earlier timeout."""
    session[LOGIN_AT] = now().isoformat()
    session["seen"] = session[LOGIN_AT]
    session.pop(TIMED_OUT, None)


def _expired(key: str, limit: timedelta, instant: datetime) -> bool:
    value = session.get(key)
    try:
        return value is not None and instant - datetime.fromisoformat(value) > limit
    except (TypeError, ValueError):
        return True


def enforce_session_lifetime() -> None:
    """``before_request``: log out after the idle timeout or the absolute lifetime."""
    if not current_user.is_authenticated:
        return
    instant = now()
    idle = timedelta(minutes=int(current_app.config.get("IDLE_TIMEOUT_MINUTES", 120)))
    absolute = timedelta(hours=int(current_app.config.get("SESSION_MAX_HOURS", 12)))
    if session.get(LOGIN_AT) is None:  # logged in before the absolute lifetime existed
        session[LOGIN_AT] = instant.isoformat()
    if _expired("seen", idle, instant):
        _time_out("Du blev logget ud, fordi du ikke havde været aktiv i et stykke tid. "
                  "Log ind igen for at fortsætte.")
        return
    if _expired(LOGIN_AT, absolute, instant):
        _time_out("Du blev logget ud, fordi du har været logget ind længe. Log ind igen for at fortsætte.")
        return
    session["seen"] = instant.isoformat()


# The old name, kept for callers outside this package.
enforce_idle_timeout = enforce_session_lifetime


def _time_out(message: str) -> None:
    user = current_user._get_current_object()
    session[TIMED_OUT] = [user.id, user.session_version]
    logout_user()
    session.pop("seen", None)
    session.pop(LOGIN_AT, None)
    flash(message, "info")


def _timed_out_user() -> User | None:
    """The user whose login timed out in this session, while that login could still be valid."""
    marker = session.get(TIMED_OUT)
    if not isinstance(marker, list) or len(marker) != 2 or not isinstance(marker[0], int):
        return None
    user = db.session.get(User, marker[0])
    if user is None or not user.active or user.session_version != marker[1]:
        return None
    return user


def _parkable(user: User) -> bool:
    from reporting.auth.access import policy_for

    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, PARK_ATTR, False) or len(request.path) > PARKED_PATH_MAX:
        return False
    policy = policy_for(current_app, request.endpoint or "")
    if policy is None or not policy.allows(user):
        return False
    check = getattr(view, PARK_CHECK_ATTR, None)
    return check is None or bool(check(user, **(request.view_args or {})))


def _fields() -> dict[str, list[str]] | None:
    """The posted fields without the CSRF token, or None when they are over the size cap."""
    if (request.content_length or 0) > 2 * PARKED_MAX_BYTES:
        return None
    fields = {name: request.form.getlist(name) for name in request.form if name != "csrf_token"}
    if len(json.dumps(fields, ensure_ascii=False).encode()) > PARKED_MAX_BYTES:
        return None
    return fields


def park_or_none() -> Any:
    """For a POST to a parking endpoint after this session's login timed out: park the fields and
    send the person to log in. None when nothing is to be parked (the caller answers as usual)."""
    if request.method != "POST" or current_user.is_authenticated:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, PARK_ATTR, False):
        return None
    user = _timed_out_user()
    fields = _fields() if user is not None and _parkable(user) else None
    if user is None or fields is None:
        db.session.rollback()
        return None
    _store(user, fields)
    flash("Du var blevet logget ud. Det, du skrev, er gemt: log ind igen, så kommer du tilbage til det.", "info")
    return redirect(url_for("auth.login", next=request.path))


def _store(user: User, fields: dict[str, list[str]]) -> None:
    purge_expired()
    keep = db.session.scalars(select(ParkedPost.id).where(ParkedPost.user_id == user.id)
                              .order_by(ParkedPost.created_at.desc()).limit(PARKED_MAX_PER_USER - 1)).all()
    db.session.execute(delete(ParkedPost).where(ParkedPost.user_id == user.id, ParkedPost.id.not_in(keep)))
    token = secrets.token_urlsafe(32)
    db.session.add(ParkedPost(id=token, path=request.path, fields=fields, user_id=user.id))
    db.session.commit()
    session["parked"] = token


def take_parked(path: str) -> dict[str, list[str]] | None:
    """The fields this session parked for ``path`` as the current user (removed from storage), or None."""
    token = session.get("parked")
    if not token or not current_user.is_authenticated:
        return None
    row = db.session.get(ParkedPost, token)
    if row is None or row.path != path or row.user_id != current_user.id:
        return None
    session.pop("parked", None)
    fields = dict(row.fields)
    db.session.delete(row)
    return fields


def purge_expired() -> int:
    """Delete parked posts older than their lifetime (not committed); the number deleted."""
    result = db.session.execute(delete(ParkedPost).where(ParkedPost.created_at < now() - PARKED_LIFETIME))
    return result.rowcount or 0


def init_app(app: Flask) -> None:
    app.before_request(enforce_session_lifetime)
