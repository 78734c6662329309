"""SQLite runs in WAL mode, waits on locks, and takes the write lock when a transaction begins."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from reporting.extensions import db


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite pragmas do not apply to PostgreSQL")


def test_sqlite_uses_wal_and_a_busy_timeout(app, sqlite_only) -> None:
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_transaction_holds_the_write_lock_from_its_start(app, sqlite_only) -> None:
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # a read alone opens the transaction with BEGIN IMMEDIATE
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
        db.session.rollback()
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


def test_postgres_run_really_uses_postgres(app, backend: str) -> None:
    with app.app_context():
        assert db.engine.dialect.name == backend
