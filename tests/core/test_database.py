"""SQLite runs in WAL mode, waits on locks, reads without the write lock, and takes it for writing."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from reporting.core.extensions import db


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite pragmas do not apply to PostgreSQL")


def test_sqlite_uses_wal_and_a_busy_timeout(app, sqlite_only) -> None:
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def _other(path: str) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=0, isolation_level=None)


def _write_lock_is_free(path: str) -> bool:
    other = _other(path)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    finally:
        other.close()


def _insert(key: str) -> None:
    db.session.execute(text("INSERT INTO setting (key, value, updated_at) VALUES (:k, 'x', '2026-01-01')"),
                       {"k": key})


def test_reading_never_takes_the_write_lock(app, sqlite_only) -> None:
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with app.app_context():
        db.session.execute(text("SELECT count(*) FROM report")).scalar()
        assert _write_lock_is_free(path)  # an open form or a running export does not block submits
        db.session.rollback()


def test_a_transaction_holds_the_write_lock_from_its_first_write_to_its_end(app, sqlite_only) -> None:
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        _insert("lock-test")
        assert not _write_lock_is_free(path)
        db.session.execute(text("SELECT count(*) FROM setting")).scalar()
        assert not _write_lock_is_free(path)
        db.session.commit()
    assert _write_lock_is_free(path)


def test_a_write_after_reads_waits_for_other_writers_instead_of_failing(app, sqlite_only) -> None:
    """SQLite refuses to upgrade a read snapshot another connection has written past; this must not."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM setting")).scalar() == 0
        other = _other(path)
        other.execute("INSERT INTO setting (key, value, updated_at) VALUES ('other', 'y', '2026-01-01')")
        other.close()
        _insert("mine")
        assert db.session.execute(text("SELECT count(*) FROM setting")).scalar() == 2  # the write sees both
        db.session.commit()
    with app.app_context():
        keys = db.session.execute(text("SELECT key FROM setting ORDER BY key")).scalars().all()
    assert keys == ["mine", "other"]


def test_a_rolled_back_write_leaves_nothing(app, sqlite_only) -> None:
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        _insert("gone")
        db.session.rollback()
        assert db.session.execute(text("SELECT count(*) FROM setting")).scalar() == 0


def test_postgres_run_really_uses_postgres(app, backend: str) -> None:
    with app.app_context():
        assert db.engine.dialect.name == backend
