"""Caseloads move (issue 17, D22): transfers, renaming and deleting clients, and the coordinator's
actions in the worker drill-down (reminder now, reopen)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from forms import get_definition
from forms.sample import sample_answers
from reporting.coordination import reminders
from reporting.core import settings_store
from reporting.core.extensions import db
from reporting.core.models import AuditEvent, OutboxMail, User
from reporting.core.schedule import Period
from reporting.skp.models import Client, ClientNumber, Course, Report

import factories
from hardening import form_state, intake_answers, report_formdata
from hardening import report_url as url
from support import csrf_token, login

NOW = datetime(2008, 10, 20, 9, 0, tzinfo=UTC)  # September 2008 is overdue (deadline 15 October)
DEFINITION = get_definition("skp_monthly")


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=NOW)


@pytest.fixture
def people(app: Flask) -> dict[str, int]:
    with app.app_context():
        sara = factories.user("skp", email="sara@example.com")
        bo = factories.user("skp", email="bo@example.com")
        odense = factories.user("skp", email="odense@example.com", municipality_name="Odense")
        tove = factories.user("coordinator", email="tove@example.com")
        for n in range(3):
            factories.client(sara, f"Klient {n + 1}")
        factories.client(bo, "Klient 1")  # the same nickname as one of Sara's
        return {"sara": sara.id, "bo": bo.id, "odense": odense.id, "tove": tove.id}


def clients_of(app: Flask, user_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(c.system_number, c.nickname) for c in db.session.scalars(
            select(Client).where(Client.worker_id == user_id).order_by(Client.system_number))]


def post(client, path: str, data: dict):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def test_deactivating_a_worker_moves_all_clients_to_a_colleague_in_one_step(app: Flask, people: dict) -> None:
    coordinator = app.test_client()
    login(coordinator, "tove@example.com")
    page = coordinator.get(f"/coordinator/users/{people['sara']}/status").get_data(as_text=True)
    assert "Hvem overtager" in page and "Test Skp" in page and "Klient 1" not in page  # no nicknames
    response = post(coordinator, f"/coordinator/users/{people['sara']}/status", {"target": str(people["bo"])})
    assert response.status_code == 302
    moved = clients_of(app, people["bo"])
    assert [n for n, _ in moved] == ["K-00001", "K-00002", "K-00003", "K-00004"]
    # Bo already had "Klient 1": Sara's keeps its name with a number, so both stay distinguishable.
    assert sorted(name for _, name in moved) == ["Klient 1", "Klient 1 (2)", "Klient 2", "Klient 3"]
    with app.app_context():
        assert db.session.get(User, people["sara"]).active is False
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "client_transferred")).all()
        assert len(events) == 3 and all(e.details["to_user"] == people["bo"] for e in events)
        assert all("Klient" not in str(e.details) for e in events)


def test_a_transfer_only_goes_to_an_active_skp_worker_of_the_same_municipality(app: Flask, people: dict) -> None:
    coordinator = app.test_client()
    login(coordinator, "tove@example.com")
    path = f"/coordinator/users/{people['sara']}/clients"
    for target in (people["odense"], people["tove"], people["sara"]):
        response = post(coordinator, path, {"clients": ["K-00001"], "target": str(target)})
        assert response.status_code == 400
        assert "samme kommune" in response.get_data(as_text=True)
    assert len(clients_of(app, people["sara"])) == 3
    response = post(coordinator, path, {"clients": ["K-00002"], "target": str(people["bo"])})
    assert response.status_code == 302
    assert [n for n, _ in clients_of(app, people["sara"])] == ["K-00001", "K-00003"]


def test_the_new_worker_files_the_moved_clients_reports_and_the_old_one_gets_404(app: Flask, people: dict) -> None:
    sara = app.test_client()
    login(sara, "sara@example.com")
    path = url("K-00001", "2008-09")
    assert sara.post(path, data=report_formdata(intake_answers(q16_dato="2008-09-02"),
                                                form_state(sara, path), "save")).status_code == 302  # a draft
    coordinator = app.test_client()
    login(coordinator, "tove@example.com")
    moved = post(coordinator, f"/coordinator/users/{people['sara']}/clients",
                 {"clients": ["K-00001"], "target": str(people["bo"])})
    assert moved.status_code == 302
    client_routes = ("/skp/clients/K-00001", "/skp/clients/K-00001/rename", "/skp/clients/K-00001/delete")
    for route in (path, f"{path}/kvittering", *client_routes):
        assert sara.get(route).status_code == 404, route
    bo = app.test_client()
    login(bo, "bo@example.com")
    page = bo.get(path).get_data(as_text=True)
    assert "Kladde" in page  # the draft came along
    answers = intake_answers(q16_dato="2008-09-02")
    assert bo.post(path, data=report_formdata(answers, form_state(bo, path), "submit")).status_code == 302
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        assert report.status == "submitted" and report.course.client.worker_id == people["bo"]


def test_reminders_follow_the_moved_clients(app: Flask, people: dict) -> None:
    with app.app_context():
        sara = db.session.get(User, people["sara"])
        bo = db.session.get(User, people["bo"])
        from reporting.skp.caseload import transfer_clients
        from reporting.skp.clients import start_course

        client = db.session.scalar(select(Client).where(Client.system_number == "K-00002"))
        start_course(client, Period(2008, 8))
        db.session.commit()
        transfer_clients([client], sara, bo)
        db.session.commit()
        reminders.run(date(2008, 10, settings_store.reminder_days()[0]))
        mails = {m.recipient: m.body for m in db.session.scalars(select(OutboxMail))}
    assert "K-00002" in mails.get("bo@example.com", "")
    assert "K-00002" not in mails.get("sara@example.com", "")


def test_a_worker_renames_a_client_with_the_same_guards_as_creating(app: Flask, people: dict) -> None:
    sara = app.test_client()
    login(sara, "sara@example.com")
    path = "/skp/clients/K-00001/rename"
    assert post(sara, path, {"nickname": "010190-1234"}).status_code == 400  # a CPR number
    assert post(sara, path, {"nickname": "klient 2"}).status_code == 400  # another client's, any case
    warned = post(sara, path, {"nickname": "Jens Hansen"})
    assert warned.status_code == 200 and "Er kaldenavnet et rigtigt navn?" in warned.get_data(as_text=True)
    assert clients_of(app, people["sara"])[0][1] == "Klient 1"
    confirmed = post(sara, path, {"nickname": "Jens Hansen", "confirm_name": "y", "warned_nickname": "Jens Hansen"})
    assert confirmed.status_code == 302
    assert post(sara, path, {"nickname": "Blå bil"}).status_code == 302
    assert clients_of(app, people["sara"])[0] == ("K-00001", "Blå bil")


def test_a_client_with_a_submitted_report_cannot_be_deleted(app: Flask, people: dict) -> None:
    sara = app.test_client()
    login(sara, "sara@example.com")
    path = url("K-00001", "2008-09")
    sara.post(path, data=report_formdata(intake_answers(q16_dato="2008-09-02"), form_state(sara, path), "submit"))
    refused = post(sara, "/skp/clients/K-00001/delete", {})
    assert refused.status_code == 409 and "kan ikke slettes" in refused.get_data(as_text=True)
    assert len(clients_of(app, people["sara"])) == 3
    sara.post(url("K-00002", "2008-09"), data=report_formdata({"q3": 1}, form_state(sara, url("K-00002", "2008-09")),
                                                              "save"))  # only a draft: may go
    assert post(sara, "/skp/clients/K-00002/delete", {}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Client).where(Client.system_number == "K-00002")) is None
        assert db.session.scalar(select(Course).join(Client).where(Client.system_number == "K-00002")) is None
        numbers = db.session.scalar(select(ClientNumber.id).order_by(ClientNumber.id.desc()).limit(1))
    assert post(sara, "/skp/clients/new", {"nickname": "Ny"}).status_code == 302
    assert clients_of(app, people["sara"])[-1][0] == f"K-{numbers + 1:05d}"  # K-00002 is never issued again


def test_reminder_now_goes_through_the_outbox_once_a_day(app: Flask, people: dict) -> None:
    with app.app_context():
        from reporting.skp.clients import start_course

        start_course(db.session.scalar(select(Client).where(Client.system_number == "K-00001")), Period(2008, 8))
        db.session.commit()
    coordinator = app.test_client()
    login(coordinator, "tove@example.com")
    path = f"/coordinator/compliance/workers/{people['sara']}"
    page = coordinator.get(path).get_data(as_text=True)
    assert "Mangler – ikke startet" in page and "Send påmindelse nu" in page
    first = post(coordinator, f"{path}/remind", {})
    assert first.status_code == 302
    second = post(coordinator, f"{path}/remind", {})
    assert second.status_code == 302
    page = coordinator.get(path).get_data(as_text=True)
    assert "højst én om dagen" in page
    with app.app_context():
        mails = db.session.scalars(select(OutboxMail).where(OutboxMail.recipient == "sara@example.com")).all()
        assert len(mails) == 1 and "K-00001" in mails[0].body and "Klient 1" not in mails[0].body
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reminder_sent_now")) is not None


def test_the_drill_down_links_late_reports_to_reopening(app: Flask, people: dict) -> None:
    sara = app.test_client()
    login(sara, "sara@example.com")
    path = url("K-00001", "2008-08")
    answers = sample_answers(DEFINITION, ["del1", "del2", "del3", "del4", "del5", "del6"],
                             overrides={"q16_dato": "2008-08-02", "q15_dato": "2008-08-01"})
    assert sara.post(path, data=report_formdata(answers, form_state(sara, path), "submit")).status_code == 302
    coordinator = app.test_client()
    login(coordinator, "tove@example.com")
    page = coordinator.get(f"/coordinator/compliance/workers/{people['sara']}").get_data(as_text=True)
    assert "/coordinator/reports/K-00001/2008-08" in page and "Genåbn" in page
    found = coordinator.get("/coordinator/reports/find?system_number=k-00001&month=2008-08")
    assert found.status_code == 302 and found.headers["Location"].endswith("/coordinator/reports/K-00001/2008-08")
