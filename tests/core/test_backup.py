"""``flask --app wsgi backup``: a backup taken while reports are being written restores every
report that was committed before it began, byte for byte (issue #9, goal R6).

SQLite: the online backup API, restored by putting the file in place. PostgreSQL (when
TEST_DATABASE_URL is set): pg_dump's custom format, restored with pg_restore into a scratch
database. The comparison is a SHA-256 of each report row as canonical JSON (every column).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from forms.sample import sample_answers
from reporting.core.backup import pg_environment, pg_tool
from reporting.core.extensions import db
from reporting.core.schedule import Period
from reporting.skp.clients import create_client, start_course
from reporting.skp.models import Report

import factories
from hardening import DEFINITION, INTAKE_SECTIONS
from support import PG_URL, scratch_postgres_database

TEXTS = ["Æbler, øl og å", "Linje 1\nLinje 2\ttab", "emoji 🙂 og \u202eRTL", "<b>ikke html</b> & \"citat\"", ""]


def report_hashes(url: str) -> dict[int, str]:
    """Report id -> SHA-256 of the whole row as canonical JSON."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM report ORDER BY id")).mappings().all()
    finally:
        engine.dispose()
    result = {}
    for row in rows:
        canonical = json.dumps({k: _plain(v) for k, v in row.items()}, sort_keys=True, ensure_ascii=False)
        result[row["id"]] = hashlib.sha256(canonical.encode()).hexdigest()
    return result


def _plain(value: object) -> object:
    if isinstance(value, str) and value.startswith("{"):
        try:  # JSON columns come back as text on SQLite and as dicts on PostgreSQL
            return json.loads(value)
        except ValueError:
            return value
    return value if isinstance(value, dict | list | int | float | bool | type(None)) else str(value)


def seed_reports(app: Flask, clients: int = 25) -> None:
    with app.app_context():
        worker = factories.user("skp", email="sara@example.com")
        for n in range(clients):
            client = create_client(worker.id, f"Kopi {n}")
            course = start_course(client, Period(2024, 1 + n % 12))
            answers = sample_answers(DEFINITION, INTAKE_SECTIONS, overrides={"q39": TEXTS[n % len(TEXTS)]})
            db.session.add(Report(course=course, period=course.intake_period, status="submitted", answers=answers,
                                  definition_key="skp_monthly", definition_version=1, submission_token=f"t{n:04d}"))
        db.session.commit()


class Writer(threading.Thread):
    """Keeps committing new reports on its own connection while the backup runs."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = create_engine(url)
        self.stop = threading.Event()
        self.written = 0

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            with self.engine.begin() as conn:
                client = conn.execute(text(
                    "INSERT INTO client (system_number, worker_id, nickname, created_at) "
                    "VALUES (:s, 1, :n, CURRENT_TIMESTAMP) RETURNING id"),
                    {"s": f"W-{n}", "n": f"Skriver {n}"}).scalar()
                course = conn.execute(text(
                    "INSERT INTO course (client_id, number, status, intake_period, created_at) "
                    "VALUES (:c, 1, 'open', :p, CURRENT_TIMESTAMP) RETURNING id"),
                    {"c": client, "p": date(2025, 1, 1)}).scalar()
                conn.execute(text(
                    "INSERT INTO report (course_id, period, status, answers, definition_key, definition_version, "
                    "created_at, updated_at, version, closes_course) VALUES (:c, :p, 'draft', '{}', 'skp_monthly', 1, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, false)"), {"c": course, "p": date(2025, 1, 1)})
            self.written += 1

    def __enter__(self) -> Writer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.join(10)
        self.engine.dispose()


def backup_under_load(app: Flask, url: str, out: Path) -> tuple[dict[int, str], str]:
    """Hashes of the reports committed before the backup began, and the command's output."""
    before = report_hashes(url)
    with Writer(url) as writer:
        while writer.written < 5:  # the writer is really writing when the backup starts
            threading.Event().wait(0.01)
        result = app.test_cli_runner().invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert writer.written > 5
    return before, result.output


@pytest.mark.skipif(bool(PG_URL), reason="the SQLite backup (this run is on PostgreSQL)")
def test_sqlite_backup_under_load_restores_every_report_byte_equal(app: Flask, database_url: str,
                                                                    tmp_path: Path) -> None:
    seed_reports(app)
    out = tmp_path / "backups" / "skp-backup.db"
    before, output = backup_under_load(app, database_url, out)
    assert "integrity_check ok" in output and out.stat().st_mode & 0o777 == 0o600
    assert not list(out.parent.glob(".*partial"))

    restored = tmp_path / "restored" / "skp.db"  # the restore: the file put in place of the database
    restored.parent.mkdir()
    shutil.copyfile(out, restored)
    after = report_hashes(f"sqlite:///{restored}")
    assert len(before) >= 25
    assert {rid: after.get(rid) for rid in before} == before  # every report, byte-equal
    assert set(after) >= set(before)
    again = app.test_cli_runner().invoke(args=["backup", "--out", str(out)])
    assert again.exit_code != 0 and "overskrives aldrig" in again.output  # never overwrites a backup


@pytest.fixture
def scratch_database() -> Iterator[str]:
    with scratch_postgres_database("skp_restore") as url:
        yield url


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (TEST_DATABASE_URL)")
def test_pg_dump_backup_under_load_restores_every_report_byte_equal(
        app: Flask, database_url: str, tmp_path: Path, scratch_database: str) -> None:
    seed_reports(app)
    out = tmp_path / "skp-backup.dump"
    before, output = backup_under_load(app, database_url, out)
    assert "pg_dump custom-format" in output and out.stat().st_mode & 0o777 == 0o600
    target = make_url(scratch_database)
    restore = subprocess.run([pg_tool("pg_restore"), "--no-owner", "--exit-on-error",  # noqa: S603
                              "--dbname", str(target.database), str(out)],
                             env=pg_environment(target), capture_output=True, text=True, check=False)
    assert restore.returncode == 0, restore.stderr
    after = report_hashes(scratch_database)
    assert len(before) >= 25
    assert {rid: after.get(rid) for rid in before} == before
