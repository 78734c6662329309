"""The outside probe's robustness findings (issue 19; security-probe.md L1, L2, L4, L7, L8),
replayed: a Danish 4xx or the page itself, never a 5xx, nothing stored that should not be."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from reporting.core.extensions import db
from reporting.core.models import OutboxMail, Unit, User

import factories
from support import login, post_form

HUGE = "99999999999999999999"


def _as(app: Flask, role: str, **kwargs):  # type: ignore[no-untyped-def]
    with app.app_context():
        factories.user(role, email=f"{role}@example.com", **kwargs)
    client = app.test_client()
    assert login(client, f"{role}@example.com").status_code == 302
    return client


def test_a_logged_in_post_over_one_mib_gets_the_danish_413_page(app: Flask) -> None:
    """L1: gunicorn's English 500 came from the 413 page re-reading the body for its logout form."""
    client = _as(app, "skp")
    response = post_form(client, "/skp/clients", {"f": "x" * 1_100_000})
    assert response.status_code == 413
    assert "For meget data" in response.get_data(as_text=True)


@pytest.mark.parametrize("number", [HUGE, "2147483648", "9223372036854775808"])
def test_ids_beyond_the_columns_range_are_404(app: Flask, number: str) -> None:
    """L2: ids above 2^63 (SQLite) or 2^31 (PostgreSQL) were a 500."""
    admin = _as(app, "admin", municipality_name=None)
    for path in (f"/coordinator/users/{number}", f"/coordinator/users/{number}/status",
                 f"/coordinator/users/{number}/invitation", f"/coordinator/compliance/workers/{number}",
                 f"/coordinator/surveys/{number}", f"/coordinator/surveys/{number}/results",
                 f"/admin/units/{number}", f"/admin/municipalities/{number}"):
        response = admin.get(path)
        assert response.status_code == 404, path
        assert "Siden findes ikke" in response.get_data(as_text=True)
    for path in (f"/coordinator/surveys/{number}/close", f"/coordinator/surveys/{number}/remind"):
        assert post_form(admin, path).status_code == 404, path
    caseworker = _as(app, "caseworker")
    assert caseworker.get(f"/surveys/{number}").status_code == 404


def test_a_huge_page_number_shows_the_last_page(app: Flask) -> None:
    coordinator = _as(app, "coordinator")
    for path in ("/coordinator/audit", "/coordinator/outbox"):
        assert coordinator.get(f"{path}?page={HUGE}").status_code == 200, path
        assert coordinator.get(f"{path}?page=-{HUGE}").status_code == 200, path


@pytest.mark.parametrize("query", ["date_to=9999-12-31", "date_from=0001-01-01", "date_from=1899-01-01"])
def test_audit_dates_outside_the_services_life_are_a_danish_400(app: Flask, query: str) -> None:
    coordinator = _as(app, "coordinator")
    response = coordinator.get(f"/coordinator/audit?{query}")
    assert response.status_code == 400
    assert "Vælg en dato mellem 2000 og 2100." in response.get_data(as_text=True)
    assert coordinator.get("/coordinator/audit?date_from=2026-12-01&date_to=2026-12-31").status_code == 200


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_name_with_line_breaks_never_reaches_the_invitation_mail(app: Flask) -> None:
    """L8: the probe's invitation name carried a paragraph with its own link."""
    coordinator = _as(app, "coordinator", unit_name="Team Øst")
    with app.app_context():
        unit = db.session.scalar(select(Unit.id).where(Unit.name == "Team Øst"))
    users, mails = _count(app, User), _count(app, OutboxMail)
    name = "Lars\r\n\r\nVIGTIGT: dit link er udløbet. Log ind her i stedet: https://evil.example/skp\r\n\r\nMvh"
    for value in (name, "Lars\nPedersen", "Lars\u2028Pedersen"):
        response = post_form(coordinator, "/coordinator/users/invite", {
            "name": value, "email": "mailinj@example.com", "roles": ["skp"], "placement": f"u:{unit}"})
        assert response.status_code == 400, value
        assert "uden linjeskift" in response.get_data(as_text=True)
    assert (_count(app, User), _count(app, OutboxMail)) == (users, mails)


def test_a_survey_title_with_line_breaks_is_refused(app: Flask) -> None:
    coordinator = _as(app, "coordinator", unit_name="Team Øst")
    with app.app_context():
        unit = db.session.scalar(select(Unit.id).where(Unit.name == "Team Øst"))
    response = post_form(coordinator, "/coordinator/surveys/new", {
        "kind": "baseline", "title": "Baseline\r\nKlik her: https://evil.example", "end_date": "31-05-2027",
        "units": [unit], "baseline": 0})
    assert response.status_code in (200, 400)
    assert "uden linjeskift" in response.get_data(as_text=True)


# -- export files (L7, I3) ---------------------------------------------------------------------


def _export_dir(app: Flask) -> Path:
    return Path(app.instance_path) / "exports"


def _fake_job(app: Flask, job_id: str, user_id: int, status: str = "running", age: float = 0) -> Path:
    directory = _export_dir(app)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{job_id}.json"
    path.write_text(json.dumps({"id": job_id, "user_id": user_id, "status": status, "started": time.time() - age}))
    if age:
        os.utime(path, (time.time() - age, time.time() - age))
    return path


def test_export_files_are_private_and_jobs_are_capped(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(EXPORT_MAX_JOBS=2)
    coordinator = _as(app, "coordinator")
    data = {"pseudonyms": "keyed", "date_mode": "year_month"}
    first = post_form(coordinator, "/coordinator/export/start", data)
    assert first.status_code == 302
    directory = _export_dir(app)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        meta = json.loads(next(directory.glob("*.json")).read_text())
        if meta["status"] != "running":
            break
        time.sleep(0.2)
    assert meta["status"] == "done"
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name

    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "coordinator@example.com"))
    _fake_job(app, "A" * 24, user_id)  # this coordinator already has a job running
    busy = post_form(coordinator, "/coordinator/export/start", data)
    assert busy.status_code == 429 and "Prøv igen om lidt" in busy.get_data(as_text=True)
    (directory / f"{'A' * 24}.json").unlink()
    _fake_job(app, "B" * 24, user_id + 100)
    _fake_job(app, "C" * 24, user_id + 101)  # two others' jobs: the service-wide cap
    assert post_form(coordinator, "/coordinator/export/start", data).status_code == 429


def test_old_export_files_are_deleted_at_start_and_by_the_cleanup_command(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    old = _fake_job(app, "D" * 24, 1, status="done", age=7200)
    fresh = _fake_job(app, "E" * 24, 1, status="done")
    make_app()  # a new process starting
    assert not old.exists() and fresh.exists()
    old = _fake_job(app, "F" * 24, 1, status="done", age=7200)
    result = app.test_cli_runner().invoke(args=["cleanup"])
    assert result.exit_code == 0 and "Slettet" in result.output
    assert not old.exists() and fresh.exists()
