"""Error pages, security headers and role-aware navigation."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from reporting.auth.access import public

import factories
from support import login


def test_unknown_page_is_a_danish_404(client: FlaskClient) -> None:
    response = client.get("/findes-ikke")
    assert response.status_code == 404
    assert "Siden findes ikke" in response.get_data(as_text=True)


def test_server_error_is_a_danish_500_without_details(app, client: FlaskClient) -> None:
    @app.route("/boom")
    @public
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret detail")

    response = client.get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Der opstod en fejl" in html and "secret detail" not in html


def test_every_response_carries_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_scripts(app, client: FlaskClient) -> None:
    with app.app_context():
        factories.user("admin", email="admin@example.com", municipality_name=None)
    login(client, "admin@example.com")
    html = client.get("/").get_data(as_text=True)
    assert "<script>" not in html and "onclick=" not in html and "style=" not in html


def test_session_cookie_flags_in_production(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    from reporting.app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"


@pytest.mark.parametrize("role,label", [
    ("skp", "SKP-medarbejder"), ("caseworker", "Sagsbehandler"),
    ("coordinator", "Koordinator"), ("admin", "Administrator"),
])
def test_start_page_names_the_role(app, client: FlaskClient, role: str, label: str) -> None:
    with app.app_context():
        factories.user(role, email=f"{role}@example.com")
    login(client, f"{role}@example.com")
    html = client.get("/").get_data(as_text=True)
    assert label in html
    assert 'aria-label="Hovedmenu"' in html and "Log af" in html


def test_server_errors_are_logged_without_the_message(app, client: FlaskClient, caplog) -> None:
    @app.route("/boom-nickname")
    @public
    def boom():  # type: ignore[no-untyped-def]
        typed = {"nickname": "Hund 7", "note": "CPR 010203-1234"}
        raise ValueError(f"kaldenavn {typed['nickname']} og {typed['note']}")

    client.get("/boom-nickname")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "ValueError" in logged and "/boom-nickname" in logged
    assert "Hund 7" not in logged and "010203" not in logged


def test_database_errors_do_not_quote_parameters(app) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from reporting.core.extensions import db

    with app.app_context():
        try:
            db.session.execute(text("INSERT INTO municipality (id, name) VALUES (:id, :name)"), {"id": 1, "name": "A"})
            db.session.execute(text("INSERT INTO municipality (id, name) VALUES (:id, :name)"),
                               {"id": 1, "name": "Hemmeligt kaldenavn"})
        except DBAPIError as error:
            assert "Hemmeligt kaldenavn" not in str(error)
        else:
            raise AssertionError("the duplicate id was accepted")
        finally:
            db.session.rollback()
