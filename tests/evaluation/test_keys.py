"""The pseudonym key lives outside the database (D24): a copy of the database cannot rebuild any
exported pseudonym, and ending the evaluation changes every pseudonym."""

from __future__ import annotations

import base64
import contextlib
import os
import stat
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import select, text

from exports.pseudonyms import Pseudonymizer
from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.models import AuditEvent
from reporting.demo.reports import seed_reports
from reporting.evaluation.keys import ENV_VAR, KEY_FILE, current_key

import factories
from support import login, post_form

PSEUDONYMISED = ["--pseudonymised", "--legal-basis", "Databehandleraftale 2026", "--recipient", "Evaluator A"]


def _seed(app: Flask) -> None:
    with app.app_context():
        workers = [factories.user("skp", email=f"skp{i}@example.com") for i in range(2)]
        seed_reports(workers, clients_per_worker=4, months=5, now=now())
        factories.user("coordinator", email="national@example.com", municipality_name=None)
        factories.user("coordinator", email="coord@example.com")


def _export(app: Flask, out: Path) -> set[str]:
    """A keyed pseudonymised export's client, worker and course pseudonyms."""
    result = app.test_cli_runner().invoke(args=["export", "--out", str(out), *PSEUDONYMISED])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out, read_only=True)
    rows = list(book["Indberetninger"].iter_rows(values_only=True))
    assert len(rows) > 5
    return {value for row in rows[1:] for value in row[:3]}


def _database_strings(app: Flask) -> list[bytes]:
    """Every text value stored in any table of the database (what a copy of it gives away)."""
    found: list[bytes] = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                found += [str(v).encode() for v in row if v is not None]
    return found


def _candidate_keys(value: bytes) -> list[bytes]:
    keys = [value]
    with contextlib.suppress(ValueError, TypeError):
        keys.append(base64.urlsafe_b64decode(value + b"=" * (-len(value) % 4)))
    return keys


def test_the_key_is_a_private_file_beside_the_database_and_never_in_it(app: Flask, tmp_path: Path) -> None:
    _seed(app)
    pseudonyms = _export(app, tmp_path / "a.xlsx")
    key_file = Path(app.instance_path) / KEY_FILE
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with app.app_context():
        secret = current_key().secret
        assert db.session.execute(text("SELECT count(*) FROM setting WHERE key = 'export_pseudonym_secret'")
                                  ).scalar() == 0
    stored = _database_strings(app)
    encoded = base64.urlsafe_b64encode(secret)
    assert not [v for v in stored if secret in v or encoded in v]
    # an attacker with the database tries every stored text as the key: no pseudonym comes out
    for value in stored:
        for key in _candidate_keys(value):
            if len(key) < 32:
                continue
            guess = Pseudonymizer.keyed(key)
            for ident in range(1, 200):
                assert guess.client(ident) not in pseudonyms and guess.course(ident) not in pseudonyms


def test_a_backup_holds_no_key_and_the_database_without_it_cannot_rebuild_a_pseudonym(
        app: Flask, tmp_path: Path, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the SQLite backup file is inspected byte for byte; the PostgreSQL dump is tested in core")
    from reporting.core.backup import backup_sqlite

    _seed(app)
    before = _export(app, tmp_path / "a.xlsx")
    with app.app_context():
        secret = current_key().secret
        database = Path(db.engine.url.database)
    backup = tmp_path / "backup.db"
    backup_sqlite(database, backup)
    raw = backup.read_bytes()
    assert secret not in raw and base64.urlsafe_b64encode(secret) not in raw
    # The database (as in the backup) without the key file: the next export cannot reproduce any pseudonym.
    (Path(app.instance_path) / KEY_FILE).unlink()
    after = _export(app, tmp_path / "b.xlsx")
    assert before.isdisjoint(after)


def test_a_national_coordinator_ends_the_evaluation_and_every_pseudonym_changes(app: Flask, tmp_path: Path) -> None:
    _seed(app)
    before = _export(app, tmp_path / "a.xlsx")
    assert before == _export(app, tmp_path / "b.xlsx")  # stable within one evaluation
    key_file = Path(app.instance_path) / KEY_FILE
    client = app.test_client()
    login(client, "coord@example.com")  # a municipal coordinator may not
    assert post_form(client, "/coordinator/export/evaluation/end", {"confirm": "y"}).status_code == 403
    assert key_file.exists()
    client = app.test_client()
    login(client, "national@example.com")
    page = client.get("/coordinator/export").get_data(as_text=True)
    assert "Afslut evalueringen" in page
    assert post_form(client, "/coordinator/export/evaluation/end", {}).status_code == 400  # not confirmed
    response = post_form(client, "/coordinator/export/evaluation/end", {"confirm": "y"})
    assert response.status_code == 302
    assert not key_file.exists()
    after = _export(app, tmp_path / "c.xlsx")
    assert before.isdisjoint(after)
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "evaluation_ended")).one()


def test_a_key_from_the_environment_is_used_and_cannot_be_ended_by_the_service(
        app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(app)
    secret = "m" * 40
    monkeypatch.setenv(ENV_VAR, secret)
    pseudonyms = _export(app, tmp_path / "a.xlsx")
    assert not (Path(app.instance_path) / KEY_FILE).exists()
    keyed = Pseudonymizer.keyed(secret)
    assert any(keyed.client(ident) in pseudonyms for ident in range(1, 100))
    client = app.test_client()
    login(client, "national@example.com")
    response = post_form(client, "/coordinator/export/evaluation/end", {"confirm": "y"})
    assert response.status_code == 302
    assert "EXPORT_PSEUDONYM_KEY" in client.get("/coordinator/export").get_data(as_text=True)
    assert os.environ[ENV_VAR] == secret
