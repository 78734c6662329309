"""Fixtures: an app per test on SQLite (default) or PostgreSQL (``TEST_DATABASE_URL``).

The schema is built once per session with the real migrations; every test then gets a copy of
the migrated SQLite file, or, on PostgreSQL, the shared schema emptied after the test.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import text
from werkzeug.serving import make_server

from reporting.app import create_app
from reporting.core.extensions import db

from support import IN_CI, PG_URL, Sink, base_config, free_port

# The route table of tests/auth/test_access_policy.py is shared by tests in other folders
# (accessibility, phone layout, stored XSS, bad input): importable however the suite is started.
sys.path.insert(0, str(Path(__file__).parent / "auth"))


@pytest.fixture(scope="session")
def backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture(autouse=True)
def _environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "testing")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database at the migrations' head: a template SQLite file, or the PostgreSQL test database."""
    url = PG_URL or f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.db'}"
    os.environ.setdefault("INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
    os.environ["APP_ENV"] = "testing"
    app = create_app(base_config(url))
    with app.app_context():
        if PG_URL:
            _drop_everything()
        flask_migrate.upgrade()
        db.engine.dispose()
    return url


def _drop_everything() -> None:
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


def _truncate_all() -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    if PG_URL:
        return PG_URL
    copy = tmp_path / "test.db"
    shutil.copyfile(migrated_database.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def make_app(database_url: str):  # type: ignore[no-untyped-def]
    """Build an app on the test database with extra configuration."""
    apps: list[Flask] = []

    def build(**overrides: object) -> Flask:
        application = create_app({**base_config(database_url), **overrides})
        apps.append(application)
        return application

    yield build
    for application in apps:
        with application.app_context():
            db.session.remove()
            if PG_URL and application is apps[0]:
                _truncate_all()
            db.engine.dispose()


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


# --- browser tests: Playwright driving Debian's headless Chromium against a live server ---
# Never `playwright install`: the browser is /usr/bin/chromium (or CHROMIUM_PATH). Without it these
# tests skip on a developer machine and fail in CI (CI=true).

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or (
    "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives Chromium carries the ``browser`` marker, wherever its feature folder is."""
    for item in items:
        if {"browser", "page"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM:
        message = "Chromium is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="da-DK")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test app served on a free port of 127.0.0.1 in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


# --- a local SMTP sink (aiosmtpd) on a free port of 127.0.0.1 ---

@pytest.fixture
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()
