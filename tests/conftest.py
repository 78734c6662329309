"""Fixtures: an app per test on SQLite (default) or PostgreSQL (``TEST_DATABASE_URL``).

The schema is built once per session with the real migrations; every test then gets a copy of
the migrated SQLite file, or, on PostgreSQL, the shared schema emptied after the test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from reporting.app import create_app
from reporting.extensions import db

from support import PG_URL, base_config


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
