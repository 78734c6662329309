""""Glemt adgangskode?" (issue 19): the invitation's guarantees for a reset link: one use, expiry,
no enumeration (same answer, same time), every session ended, throttled, no link for SSO-only."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from reporting.auth import password_reset
from reporting.auth.models import Invitation
from reporting.core.extensions import db
from reporting.core.models import AuditEvent, OutboxMail, User

import factories
from support import csrf_token, login

NEW = "blå-kaffekande-under-træet"
START = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)


def ask(app: Flask, email: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.post("/login/forgot", data={"email": email, "csrf_token": csrf_token(client, "/login/forgot")})
    password_reset.wait_for_mail()
    return response, client


def link(app: Flask) -> str:
    body = app.extensions["mailman"].outbox[-1].body
    return re.search(r"http://[^/]+(/password-reset/[A-Za-z0-9_-]{20,})", body).group(1)  # type: ignore[union-attr]


def choose(app: Flask, path: str, password: str = NEW):  # type: ignore[no-untyped-def]
    client = app.test_client()
    return client.post(path, data={"new": password, "repeat": password, "csrf_token": csrf_token(client, "/login")})


def test_the_same_answer_whether_or_not_the_email_exists(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=START)
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    known, known_client = ask(app, "sara@example.com")
    unknown, unknown_client = ask(app, "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    page_known = known_client.get("/login").get_data(as_text=True)
    page_unknown = unknown_client.get("/login").get_data(as_text=True)
    assert "Hvis e-mailen hører til en bruger" in page_known
    strip = re.compile(r'value="[^"]+"')
    assert strip.sub("", page_known) == strip.sub("", page_unknown)
    assert [m.to for m in app.extensions["mailman"].outbox] == [["sara@example.com"]]


def test_the_answer_does_not_wait_for_the_mail(make_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Lookup, link and SMTP run after the answer: a slow mail server does not show in the timing."""
    app = make_app()
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    real = password_reset.send_reset

    def slow(email: str) -> bool:
        time.sleep(1.0)
        return real(email)

    monkeypatch.setattr(password_reset, "send_reset", slow)
    client = app.test_client()
    token = csrf_token(client, "/login/forgot")
    started = time.perf_counter()
    response = client.post("/login/forgot", data={"email": "sara@example.com", "csrf_token": token})
    elapsed = time.perf_counter() - started
    assert response.status_code == 302 and elapsed < 0.5, elapsed
    password_reset.wait_for_mail()
    assert len(app.extensions["mailman"].outbox) == 1


def test_a_link_works_once_and_ends_every_session(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=START)
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    elsewhere = app.test_client()
    assert login(elsewhere, "sara@example.com").status_code == 302
    ask(app, "sara@example.com")
    path = link(app)
    with app.app_context():
        stored = db.session.scalars(select(OutboxMail)).one()
        assert path.rsplit("/", 1)[1] not in stored.body and "/password-reset/[skjult]" in stored.body
        row = db.session.scalars(select(Invitation)).one()
        assert row.purpose == "reset" and row.expires_at == START + timedelta(minutes=60)
    assert "Vælg ny adgangskode" in app.test_client().get(path).get_data(as_text=True)
    weak = choose(app, path, "1234567890")
    assert weak.status_code == 400
    done = choose(app, path)
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert elsewhere.get("/skp/clients").status_code == 302  # the other session has ended
    assert login(app.test_client(), "sara@example.com", NEW).status_code == 302
    again = choose(app, path, "endnu-en-helt-ny-kode-42")
    assert again.status_code == 302
    assert login(app.test_client(), "sara@example.com", "endnu-en-helt-ny-kode-42").status_code == 401
    # The token does not work as an invitation either.
    assert app.test_client().get(path.replace("/password-reset/", "/invitation/")).status_code == 302
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert "password_reset_requested" in actions and "password_reset" in actions


def test_a_link_expires(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=START)
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    ask(app, "sara@example.com")
    path = link(app)
    app.config["FIXED_NOW"] = START + timedelta(minutes=61)
    expired = choose(app, path)
    assert expired.status_code == 302
    assert login(app.test_client(), "sara@example.com", NEW).status_code == 401
    # A newer link ends the older one.
    app.config["FIXED_NOW"] = START
    ask(app, "sara@example.com")
    first = link(app)
    ask(app, "sara@example.com")
    assert choose(app, first).status_code == 302
    assert login(app.test_client(), "sara@example.com", NEW).status_code == 401
    assert choose(app, link(app)).status_code == 302
    assert login(app.test_client(), "sara@example.com", NEW).status_code == 302


def test_requests_are_throttled_per_email_and_inactive_users_get_nothing(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(RATELIMIT_ENABLED=True, PASSWORD_RESETS_PER_ACCOUNT=2)
    with app.app_context():
        factories.user("skp", email="sara@example.com")
        gone = factories.user("skp", email="gone@example.com")
        gone.active = False
        db.session.commit()
    assert ask(app, "sara@example.com")[0].status_code == 302
    assert ask(app, "SARA@example.com ")[0].status_code == 302
    third = ask(app, "sara@example.com")[0]
    assert third.status_code == 429
    assert len(app.extensions["mailman"].outbox) == 2
    assert ask(app, "gone@example.com")[0].status_code == 302
    assert len(app.extensions["mailman"].outbox) == 2


def test_no_link_for_a_municipality_that_logs_in_through_sso_only(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="x", OIDC_CLIENT_SECRET="y")
    with app.app_context():
        user = factories.user("skp", email="sara@example.com")
        user.municipality.password_login = False
        db.session.commit()
    assert ask(app, "sara@example.com")[0].status_code == 302
    assert getattr(app.extensions["mailman"], "outbox", []) == []


def test_the_login_page_links_to_the_form(app: Flask) -> None:
    client = app.test_client()
    assert 'href="/login/forgot"' in client.get("/login").get_data(as_text=True)
    token = csrf_token(client, "/login/forgot")
    assert client.post("/login/forgot", data={"email": "", "csrf_token": token}).status_code == 400
    with app.app_context():
        assert User.by_email("not-an-email") is None
