"""Login, logout, password change and server-side session revocation."""

from __future__ import annotations

from flask.testing import FlaskClient

from reporting.core.extensions import db
from reporting.core.models import AuditEvent, User

import factories
from support import csrf_token, login, post_form


def test_login_page_is_danish(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="da">' in html
    assert "Log ind" in html and "Adgangskode" in html


def test_login_with_right_password_opens_start_page(app, client: FlaskClient) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    response = login(client, "sara@example.com")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Mine opgaver" in page and "SKP-medarbejder" in page


def test_wrong_password_gives_danish_message_and_no_session(app, client: FlaskClient) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    response = login(client, "sara@example.com", "forkert-kode-123")
    assert response.status_code == 401
    assert "E-mail eller adgangskode er forkert." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_email_gets_the_same_message_as_wrong_password(client: FlaskClient) -> None:
    response = login(client, "nobody@example.com", "whatever-123456")
    assert response.status_code == 401
    assert "E-mail eller adgangskode er forkert." in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(app, client: FlaskClient) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    response = client.post("/login", data={"email": "sara@example.com", "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "Formularen var udløbet eller ugyldig" in response.get_data(as_text=True)


def test_logout_is_post_only(app, client: FlaskClient) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    login(client, "sara@example.com")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_replaying_the_cookie_after_logout_fails(app, client: FlaskClient) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    login(client, "sara@example.com")
    cookie = client.get_cookie("session")
    assert cookie is not None
    post_form(client, "/logout")
    attacker = app.test_client()
    attacker.set_cookie("session", cookie.value)
    response = attacker.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client: FlaskClient) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    other = app.test_client()
    login(other, "sara@example.com")
    login(client, "sara@example.com")
    response = post_form(client, "/account/password", {
        "current": factories.PASSWORD, "new": "en-helt-ny-kode-99", "repeat": "en-helt-ny-kode-99"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert login(app.test_client(), "sara@example.com", "en-helt-ny-kode-99").status_code == 302


def test_password_change_refuses_short_password_in_danish(app, client: FlaskClient) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    login(client, "sara@example.com")
    response = post_form(client, "/account/password", {
        "current": factories.PASSWORD, "new": "kort", "repeat": "kort"})
    assert "Adgangskoden skal være mindst 10 tegn." in response.get_data(as_text=True)


def test_deactivation_ends_the_session_at_once(app, client: FlaskClient) -> None:
    with app.app_context():
        user = factories.user("skp", email="sara@example.com")
        user_id = user.id
    login(client, "sara@example.com")
    with app.app_context():
        row = db.session.get(User, user_id)
        row.active = False
        row.end_sessions()
        db.session.commit()
    assert client.get("/").status_code == 302
    assert login(app.test_client(), "sara@example.com").status_code == 401


def test_next_parameter_cannot_redirect_off_site(app, client: FlaskClient) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    token = csrf_token(client)
    response = client.post("/login?next=//evil.example.com/x",
                           data={"email": "sara@example.com", "password": factories.PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_next_parameter_returns_to_a_local_page(app, client: FlaskClient) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    token = csrf_token(client)
    response = client.post("/login?next=/account/password",
                           data={"email": "sara@example.com", "password": factories.PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/account/password"


def test_login_and_logout_are_audited_without_passwords(app, client: FlaskClient) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    login(client, "sara@example.com")
    post_form(client, "/logout")
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [e.action for e in events] == ["login", "logout"]
        assert all(factories.PASSWORD not in str(e.details) for e in events)


def test_login_throttling_answers_429_before_checking_the_password(make_app) -> None:
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_FAILURES_PER_ACCOUNT=5)
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    client = app.test_client()
    for _ in range(5):
        assert login(client, "sara@example.com", "forkert-kode-123").status_code == 401
    blocked = login(client, "sara@example.com")
    assert blocked.status_code == 429
    assert "For mange forsøg" in blocked.get_data(as_text=True)
    # Another account from the same address is not locked out by these attempts.
    with app.app_context():
        factories.user("skp", email="peter@example.com")
    assert login(client, "peter@example.com").status_code == 302


def test_a_form_left_open_for_nine_hours_can_still_be_posted(app, client: FlaskClient, monkeypatch) -> None:
    """The CSRF token lives as long as the session: a long report form is never refused for age."""
    import time

    with app.app_context():
        factories.user("skp", email="sara@example.com")
    login(client, "sara@example.com")
    token = csrf_token(client, "/account/password")
    later = time.time() + 9 * 3600
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    new = "en-helt-ny-kode-99"
    response = client.post("/account/password", data={
        "csrf_token": token, "current": factories.PASSWORD, "new": new, "repeat": new})
    assert response.status_code == 302


def test_an_idle_login_times_out_with_a_danish_message(make_app) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    app = make_app(FIXED_NOW=start, IDLE_TIMEOUT_MINUTES=30)
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    client = app.test_client()
    login(client, "sara@example.com")
    app.config["FIXED_NOW"] = start + timedelta(minutes=29)
    assert client.get("/").status_code == 200
    app.config["FIXED_NOW"] = start + timedelta(minutes=29 + 31)
    response = client.get("/", follow_redirects=True)
    assert "Log ind" in response.get_data(as_text=True)
    assert "ikke havde været aktiv" in response.get_data(as_text=True)
