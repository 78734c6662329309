"""Helpers shared by the tests: configuration, CSRF-aware posting and logging in."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
from collections.abc import Iterator

from flask.testing import FlaskClient

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-checks"


def base_config(database_url: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_BACKEND": "locmem",
        "RATELIMIT_ENABLED": False,
        "PASSWORD_HASH_PROFILE": "fast",
        # Tests move the clock by months within one login; the absolute lifetime has its own tests.
        "SESSION_MAX_HOURS": 24 * 365 * 100,
        # Tests log in with one step; the second-factor tests (tests/auth/test_mfa.py) turn it on.
        "MFA_REQUIRED_ROLES": "",
    }


CSRF_RE = re.compile(r'<input(?=[^>]*\bname="csrf_token")[^>]*\bvalue="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The session's CSRF token, read from a rendered form like a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = "korrekt-hest-batteri") -> object:  # noqa: S107
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def post_form(client: FlaskClient, path: str, data: dict[str, object] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    """POST like a browser: with the session's CSRF token."""
    payload = {"csrf_token": csrf_token(client, "/"), **(data or {})}
    return client.post(path, data=payload, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    def __init__(self) -> None:
        self.messages: list[object] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@contextlib.contextmanager
def scratch_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database beside the test one (``TEST_DATABASE_URL``); its URL.
    Dropped afterwards, even with connections still open."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
