"""A database failure at any step of saving or submitting a report stores nothing half-done and
shows the worker their input again (issue #9, goal R4).

Each test walks the request's database statements one by one: the Nth statement fails the way a
real failure does (SQLite "database is locked", a PostgreSQL OperationalError), then the commit
fails, and finally the same post runs without a fault and must store the report exactly once.
After every failed attempt the database is byte-for-byte what it was before, the answer is a 503
with a Danish message, and every posted value is back in a form control.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from reporting.core.extensions import db
from reporting.skp.models import Course, Report

import sara_2008
from hardening import (
    FaultInjector,
    form_state,
    intake_answers,
    missing_inputs,
    report_formdata,
    report_url,
    snapshot,
)
from support import csrf_token

app, worker = sara_2008.app, sara_2008.worker  # the shared fixtures: 10 September 2008, Sara logged in

HIDDEN = ("csrf_token", "action", "version", "submission_token", "closing")




def walk_faults(app: Flask, client: FlaskClient, path: str, data: dict[str, Any]) -> tuple[list[str], Any]:
    """Fail the commit, then each statement of the post in turn, until the post runs without
    reaching the fault: returns the statements exercised and that last, unfaulted response."""
    injector = FaultInjector(app)
    before = snapshot(app)
    with injector.armed(commit=True):
        response = client.post(path, data=data)
    assert injector.fired, "the post never committed"
    check_failed_attempt(app, response, data, before, "commit")
    steps = []
    for step in range(1, 200):
        with injector.armed(statement=step):
            response = client.post(path, data=data)
        if not injector.fired:  # fewer statements than ``step``: every one was exercised
            return [*steps, "COMMIT"], response
        steps.append(injector.failed_statement)
        check_failed_attempt(app, response, data, before, f"statement {step}: {injector.failed_statement}")
    raise AssertionError("the post never finished")


def check_failed_attempt(app: Flask, response: Any, data: dict[str, Any], before: dict, step: str) -> None:
    assert snapshot(app) == before, f"a failure at {step} left a partial change"
    body = response.get_data(as_text=True)
    assert response.status_code == 503, (step, response.status_code)
    if data.get("action") == "autosave":
        assert response.json["status"] == "error" and "Prøv igen" in response.json["message"], step
        return
    assert "Traceback" not in body and "OperationalError" not in body, step
    assert "Databasen svarede ikke" in body and "fejlnummer" in body.lower(), step
    assert missing_inputs(body, data, ignore=HIDDEN) == [], f"input lost after a failure at {step}"


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_intake_submission_survives_a_failure_at_every_step(app: Flask, client: FlaskClient, worker: str) -> None:
    path = report_url(worker, "2008-08")
    answers = intake_answers(q39="Vi gik en tur ved havnen")
    data = report_formdata(answers, form_state(client, path), "submit")
    steps, response = walk_faults(app, client, path, data)
    assert any(s.startswith("INSERT INTO course") for s in steps) and any(s.startswith("INSERT INTO report")
                                                                          for s in steps), steps
    assert response.status_code == 302  # the worker pressed the button once more, and it went through
    assert client.post(path, data=data).status_code == 302  # and once more: the same submission, stored once
    assert count(app, Report) == 1 and count(app, Course) == 1
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        assert report.status == "submitted" and report.answers == answers


def test_submitting_a_saved_draft_survives_a_failure_at_every_step(
        app: Flask, client: FlaskClient, worker: str) -> None:
    path = report_url(worker, "2008-08")
    draft = report_formdata({"q3": 2, "q4": 3}, form_state(client, path), "save")
    assert client.post(path, data=draft).status_code == 302
    answers = intake_answers()
    data = report_formdata(answers, form_state(client, path), "submit")
    steps, response = walk_faults(app, client, path, data)
    assert any(s.startswith("UPDATE report") for s in steps), steps
    assert response.status_code == 302
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        assert report.status == "submitted" and report.answers == answers and report.version == 2


def test_saving_a_draft_survives_a_failure_at_every_step(app: Flask, client: FlaskClient, worker: str) -> None:
    path = report_url(worker, "2008-08")
    data = report_formdata({"q3": 2, "q4": 5, "q39": "Kladde med tekst"}, form_state(client, path), "save")
    steps, response = walk_faults(app, client, path, data)
    assert response.status_code == 302 and len(steps) >= 8
    with app.app_context():
        assert db.session.scalars(select(Report)).one().answers == {"q3": 2, "q4": 5, "q39": "Kladde med tekst"}


def test_autosave_answers_json_503_and_stores_nothing(app: Flask, client: FlaskClient, worker: str) -> None:
    path = report_url(worker, "2008-08")
    data = report_formdata({"q3": 1}, form_state(client, path), "autosave")
    _, response = walk_faults(app, client, path, data)
    assert response.status_code == 200 and response.json["status"] == "saved"
    assert count(app, Report) == 1


def test_a_database_that_stays_down_still_gives_the_input_back(app: Flask, client: FlaskClient, worker: str) -> None:
    """When even showing the form fails, the 503 page holds every field and a button to send again."""
    path = report_url(worker, "2008-08")
    data = report_formdata(intake_answers(q39="Tekst & <tegn>"), form_state(client, path), "submit")
    injector = FaultInjector(app)
    before = snapshot(app)
    with injector.armed(statement=1, down=True):
        response = client.post(path, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "Databasen svarer ikke lige nu" in body and "Send igen" in body
    assert missing_inputs(body, data) == []  # every field, the CSRF token and the action included
    assert snapshot(app) == before
    assert client.post(path, data=data).status_code == 302  # "Send igen" once the database is back
    assert count(app, Report) == 1


def test_a_failure_in_another_form_keeps_its_fields_but_never_a_password(app: Flask, worker: str) -> None:
    client = app.test_client()
    injector = FaultInjector(app)
    token = csrf_token(client)
    with injector.armed(statement=2):
        response = client.post("/login", data={"csrf_token": token, "email": "sara@example.com",
                                               "password": "hemmelig-adgangskode"})
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and "hemmelig-adgangskode" not in body
