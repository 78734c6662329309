"""Parked posts (issue 19; security-probe.md M4, L2): only a login that timed out parks, only for
its own objects, within size and count caps; anonymous posts write nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select

from reporting.auth.sessions import PARKED_MAX_PER_USER, ParkedPost
from reporting.core.extensions import db

import factories
from support import csrf_token, login

START = datetime(2008, 9, 10, 10, 0, tzinfo=UTC)
BIG = "x" * 900_000


def _rows(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ParkedPost)) or 0


def _timed_out_worker(make_app):  # type: ignore[no-untyped-def]
    """An app, a browser whose worker login has just timed out, its CSRF token and the client's number."""
    app = make_app(FIXED_NOW=START, IDLE_TIMEOUT_MINUTES=30)
    with app.app_context():
        number = factories.client(factories.user("skp", email="sara@example.com"))
    browser = app.test_client()
    login(browser, "sara@example.com")
    token = csrf_token(browser, f"/skp/clients/{number}/reports/2008-08")
    app.config["FIXED_NOW"] = START + timedelta(hours=1)
    return app, browser, token, number


def test_anonymous_posts_fill_nothing(app: Flask) -> None:
    """M4: 20 anonymous posts of 900 kB to a made-up client number: 20 × login page, no row."""
    browser = app.test_client()
    token = csrf_token(browser)
    for _ in range(20):
        response = browser.post("/skp/clients/NOPE-1/reports/2026-12", data={"csrf_token": token, "q39": BIG})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _rows(app) == 0


def test_an_anonymous_overlong_path_is_not_a_500(app: Flask) -> None:
    """L2 (PostgreSQL): a 400-character client number used to overflow parked_post.path."""
    browser = app.test_client()
    token = csrf_token(browser)
    response = browser.post(f"/skp/clients/{'K' * 400}/reports/2026-12", data={"csrf_token": token, "q39": "x"})
    assert response.status_code == 302 and _rows(app) == 0


def test_a_timed_out_login_parks_small_posts_for_its_own_client_only(make_app) -> None:  # type: ignore[no-untyped-def]
    app, browser, token, number = _timed_out_worker(make_app)
    missing = browser.post("/skp/clients/K-99999/reports/2008-08", data={"csrf_token": token, "q3": "2"})
    assert missing.status_code == 302 and _rows(app) == 0
    for _ in range(20):  # the probe's 20 × 900 kB: over the size cap, nothing stored
        response = browser.post(f"/skp/clients/{number}/reports/2008-08", data={"csrf_token": token, "q39": BIG})
        assert response.status_code == 302
    assert _rows(app) == 0
    for _ in range(PARKED_MAX_PER_USER + 3):
        parked = browser.post(f"/skp/clients/{number}/reports/2008-08", data={"csrf_token": token, "q3": "2"})
        assert parked.status_code == 302 and "/login" in parked.headers["Location"]
    assert _rows(app) == PARKED_MAX_PER_USER


def test_nothing_is_parked_after_a_logout(make_app) -> None:  # type: ignore[no-untyped-def]
    app, browser, token, number = _timed_out_worker(make_app)
    login(browser, "sara@example.com")
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/account/password")})
    response = browser.post(f"/skp/clients/{number}/reports/2008-08", data={"csrf_token": token, "q3": "2"})
    assert response.status_code in (302, 400) and _rows(app) == 0


def test_another_user_never_gets_the_parked_fields(make_app) -> None:  # type: ignore[no-untyped-def]
    app, browser, token, number = _timed_out_worker(make_app)
    browser.post(f"/skp/clients/{number}/reports/2008-08", data={"csrf_token": token, "q3": "2"})
    assert _rows(app) == 1
    with app.app_context():
        factories.user("skp", email="peter@example.com")
    login(browser, "peter@example.com")
    assert browser.get(f"/skp/clients/{number}/reports/2008-08").status_code == 404
    assert _rows(app) == 1  # still waiting for its own user
