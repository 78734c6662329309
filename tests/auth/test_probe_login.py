"""The outside probe's login findings (issue 19; security-probe.md M1-M3, L3, L5, L6, S1-4),
replayed: each request gets the safe answer (no redirect off-site, Danish 4xx, no 5xx)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from reporting.auth import passwords
from reporting.auth.login import safe_next
from reporting.auth.throttle import LoginFailure
from reporting.core.extensions import db

import factories
from support import csrf_token, login, post_form

PROXY = {"REMOTE_ADDR": "127.0.0.1"}


def _login_next(client, next_value: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client)
    return client.post("/login", query_string={"next": next_value},
                       data={"email": "sara@example.com", "password": factories.PASSWORD, "csrf_token": token})


@pytest.mark.parametrize("next_value", [
    "/\t/evil.example",  # M1: ?next=/%09/evil.example became Location: //evil.example
    "/\r\nSet-Cookie: x=1",  # L3: 500 after the login was committed
    "/\n/evil.example", "/\r/evil.example", "\t//evil.example", "//evil.example", "/\\evil.example",
    "/%5Cevil.example", "https://evil.example/", "javascript:alert(1)", "///evil.example", "/\u3000/evil.example",
    "/\u2028/evil.example",
])
def test_login_never_redirects_off_site(app: Flask, next_value: str) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    response = _login_next(app.test_client(), next_value)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_control_characters_in_next_get_a_danish_400_before_the_login(app: Flask) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    response = _login_next(app.test_client(), "/\x0b/evil.example")
    assert response.status_code == 400 and "Ugyldige tegn" in response.get_data(as_text=True)


def test_an_encoded_tab_in_next_stays_on_the_site(app: Flask) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    location = _login_next(app.test_client(), "/%09/evil.example").headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "\t" not in location


def test_a_local_next_with_a_query_still_works(app: Flask) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    response = _login_next(app.test_client(), "/skp/reports?month=2026-12")
    assert response.headers["Location"] == "/skp/reports?month=2026-12"
    assert safe_next("/a/b") == "/a/b" and safe_next("/.//evil.example") == "/.//evil.example"


def test_unknown_and_inactive_accounts_run_one_hash_verification_too(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """M2: the time of a failed login must not tell whether the account exists or is active."""
    with app.app_context():
        factories.user("skp", email="sara@example.com")
        factories.user("skp", email="gone@example.com").active = False
        db.session.commit()
    calls: list[str] = []
    real = passwords.PasswordHasher.verify

    def counting(self, stored, password):  # type: ignore[no-untyped-def]
        calls.append(stored)
        return real(self, stored, password)

    monkeypatch.setattr(passwords.PasswordHasher, "verify", counting)
    for email in ("sara@example.com", "nobody@example.com", "gone@example.com"):
        calls.clear()
        response = login(app.test_client(), email, "forkert-kode-123")
        assert response.status_code == 401
        assert "E-mail eller adgangskode er forkert." in response.get_data(as_text=True)
        assert len(calls) == 1 and calls[0].startswith("$argon2id$"), email


def _failures(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LoginFailure)) or 0


def test_failures_with_made_up_emails_do_not_lock_out_users_behind_the_proxy(make_app) -> None:  # type: ignore[no-untyped-def]
    """M3: 80 failures with made-up e-mails from one client, then a real user from another client
    through the same TLS proxy logs in; the spraying client itself is throttled."""
    app = make_app(RATELIMIT_ENABLED=True, TRUSTED_PROXIES="127.0.0.1", LOGIN_FAILURES_PER_ADDRESS=30)
    with app.app_context():
        factories.user("skp", email="skp2@example.com")
    attacker = app.test_client()
    statuses = []
    for i in range(80):
        attacker.environ_base = {**PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
        statuses.append(login(attacker, f"spray{i}@example.org", "x").status_code)
    assert statuses.count(401) == 30 and statuses.count(429) == 50
    assert _failures(app) == 30  # throttled attempts write nothing
    victim = app.test_client()
    victim.environ_base = {**PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert login(victim, "skp2@example.com", "demo-adgangskode-forkert").status_code == 401
    assert login(victim, "skp2@example.com").status_code == 302


def test_forwarded_for_is_ignored_from_an_untrusted_address(make_app) -> None:  # type: ignore[no-untyped-def]
    """Without TRUSTED_PROXIES a client cannot pick a fresh address per attempt."""
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_FAILURES_PER_ADDRESS=5)
    client = app.test_client()
    statuses = []
    for i in range(7):
        client.environ_base = {"HTTP_X_FORWARDED_FOR": f"198.51.100.{i}"}
        statuses.append(login(client, f"spray{i}@example.org", "x").status_code)
    assert statuses == [401] * 5 + [429] * 2


def test_the_account_limit_holds_across_workers(make_app) -> None:  # type: ignore[no-untyped-def]
    """M3: two app instances (two gunicorn workers) share one count: the limit is not doubled."""
    first = make_app(RATELIMIT_ENABLED=True, LOGIN_FAILURES_PER_ACCOUNT=5)
    second = make_app(RATELIMIT_ENABLED=True, LOGIN_FAILURES_PER_ACCOUNT=5)
    with first.app_context():
        factories.user("skp", email="sara@example.com")
    statuses = [login((first if i % 2 else second).test_client(), "sara@example.com", "forkert-kode-123").status_code
                for i in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    blocked = login(first.test_client(), "sara@example.com")
    assert blocked.status_code == 429 and "For mange forsøg" in blocked.get_data(as_text=True)


def test_the_throttle_forgets_failures_after_the_window(make_app) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_FAILURES_PER_ACCOUNT=3, FIXED_NOW=start)
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    for _ in range(3):
        login(app.test_client(), "sara@example.com", "forkert-kode-123")
    assert login(app.test_client(), "sara@example.com").status_code == 429
    app.config["FIXED_NOW"] = start + timedelta(seconds=601)
    assert login(app.test_client(), "sara@example.com").status_code == 302


def test_wrong_current_passwords_are_throttled_and_answered_4xx(make_app) -> None:  # type: ignore[no-untyped-def]
    """L5: 12 guesses of the current password through a held session."""
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_FAILURES_PER_ACCOUNT=5)
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    client = app.test_client()
    login(client, "sara@example.com")
    statuses = []
    for i in range(12):
        response = post_form(client, "/account/password", {
            "current": f"guess-{i}-xxxx", "new": "nyt-kodeord-123", "repeat": "nyt-kodeord-123"})
        statuses.append(response.status_code)
    assert statuses == [400] * 5 + [429] * 7
    right = post_form(client, "/account/password", {
        "current": factories.PASSWORD, "new": "nyt-kodeord-123", "repeat": "nyt-kodeord-123"})
    assert right.status_code == 429
    assert login(app.test_client(), "sara@example.com").status_code == 302  # logging in is a separate count


def test_a_session_survives_a_change_of_network(app: Flask) -> None:
    """S1-4 / D25: the same cookie from another address (Wi-Fi to 4G) stays logged in."""
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    client = app.test_client()
    client.environ_base = {"REMOTE_ADDR": "10.1.1.5"}
    login(client, "sara@example.com")
    client.environ_base = {"REMOTE_ADDR": "172.20.9.77", "HTTP_X_FORWARDED_FOR": "172.20.9.77"}
    assert client.get("/account/password").status_code == 200


def test_a_busy_session_still_ends_after_the_absolute_lifetime(make_app) -> None:  # type: ignore[no-untyped-def]
    """L6: used every hour, the session still ends SESSION_MAX_HOURS after the login."""
    start = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
    app = make_app(FIXED_NOW=start, SESSION_MAX_HOURS=12)
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    client = app.test_client()
    login(client, "sara@example.com")
    for hour in range(1, 12):
        app.config["FIXED_NOW"] = start + timedelta(hours=hour)
        assert client.get("/account/password").status_code == 200, hour
    app.config["FIXED_NOW"] = start + timedelta(hours=12, minutes=1)
    response = client.get("/account/password", follow_redirects=True)
    assert "Log ind" in response.get_data(as_text=True)
    assert "logget ind længe" in response.get_data(as_text=True)
    login(client, "sara@example.com")
    assert client.get("/account/password").status_code == 200
