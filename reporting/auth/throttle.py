"""Throttling of failed logins and password changes, shared by every worker and process.

Contract:
- Each failed attempt is one row in ``login_failure``: the SHA-256 of the account key (the typed
  e-mail, ``password:<user id>`` for a password change, ``mfa:<user id>`` for a wrong second-factor
  code, ``reset:<e-mail>`` for every "Glemt adgangskode?" request) and of the real client address
  (``request.remote_addr``, after :mod:`reporting.core.proxies` has applied ``TRUSTED_PROXIES``).
  Neither an e-mail nor an address is stored in clear, and nothing is logged.
- An attempt is refused (429, before any password is checked) when, within the last
  ``LOGIN_THROTTLE_WINDOW_SECONDS``, its account has ``LOGIN_FAILURES_PER_ACCOUNT`` failures or
  its client address has ``LOGIN_FAILURES_PER_ADDRESS``. The database holds the counts, so the
  limits do not multiply with the number of workers, and failures with made-up e-mails count only
  against the address that sent them: a real user from another address is never locked out.
- Successful attempts write nothing, so a deadline morning's logins cost one indexed count.
- ``RATELIMIT_ENABLED = False`` (the test default) switches the throttle off.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app, render_template, request
from sqlalchemy import String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from reporting.core.clock import now
from reporting.core.extensions import UTCDateTime, db

DEFAULTS = {"LOGIN_THROTTLE_WINDOW_SECONDS": 600, "LOGIN_FAILURES_PER_ACCOUNT": 10,
            "LOGIN_FAILURES_PER_ADDRESS": 50}
THROTTLED = "Du har prøvet for mange gange. Vent nogle minutter, og prøv igen."
#: Rows older than this are deleted whenever a failure is recorded.
KEEP = timedelta(days=1)


class LoginFailure(db.Model):
    """One failed login or password-change attempt (hashed keys only)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64), index=True)
    address_key: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def _setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def account_key(email: str) -> str:
    """The key of a login attempt's account: the typed e-mail, normalised."""
    return _digest("login", email.strip().lower()[:254])


def password_change_key(user_id: int) -> str:
    return _digest("password", str(user_id))


def second_factor_key(user_id: int) -> str:
    return _digest("mfa", str(user_id))


def reset_key(email: str) -> str:
    """The key of a "Glemt adgangskode?" request: the typed e-mail, normalised."""
    return _digest("reset", email.strip().lower()[:254])


def refused():  # type: ignore[no-untyped-def]
    """The Danish 429 page of a throttled attempt."""
    return render_template("error.html", status=429, title="For mange forsøg", text=THROTTLED), 429


def _address_key() -> str:
    return _digest("address", request.remote_addr or "")


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def blocked(account: str, per_account: int | None = None) -> bool:
    """True when the account or this client address has used up its failures in the window
    (``per_account`` overrides ``LOGIN_FAILURES_PER_ACCOUNT``)."""
    if not _enabled():
        return False
    since = now() - timedelta(seconds=_setting("LOGIN_THROTTLE_WINDOW_SECONDS"))
    counts = _counts(account, _address_key(), since)
    limit = _setting("LOGIN_FAILURES_PER_ACCOUNT") if per_account is None else per_account
    return counts[0] >= limit or counts[1] >= _setting("LOGIN_FAILURES_PER_ADDRESS")


def _counts(account: str, address: str, since: datetime) -> tuple[int, int]:
    by_account = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.account_key == account, LoginFailure.at > since)) or 0
    by_address = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.address_key == address, LoginFailure.at > since)) or 0
    return by_account, by_address


def purge_old() -> int:
    """Delete rows older than a day (not committed); the number deleted."""
    return db.session.execute(delete(LoginFailure).where(LoginFailure.at < now() - KEEP)).rowcount or 0


def record_failure(account: str) -> None:
    """Count a failed attempt (committed), and forget failures older than a day."""
    if not _enabled():
        return
    purge_old()
    db.session.add(LoginFailure(account_key=account, address_key=_address_key(), at=now()))
    db.session.commit()
