"""A coordinator of one municipality sees nothing of another: 404/403 on every route, nothing in lists."""

from __future__ import annotations

import io

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from openpyxl import load_workbook

from reporting.auth.access import policy_for
from reporting.auth.invitations import send_invitation
from reporting.core import audit
from reporting.core.extensions import db
from reporting.core.mailer import send_mail
from reporting.core.models import Municipality, Unit

import coord_seed as seed
import factories
from support import login, post_form

NOW = seed.at(2026, 12, 20)
MARKERS = ("Esbjerg", "Esther", "esther@example.com", "Team Vest")


@pytest.fixture
def world(make_app) -> tuple[Flask, dict[str, object]]:  # type: ignore[no-untyped-def]
    """Esbjerg with a worker who is behind (clients, drafts, mails, audit events), and Odense."""
    app = make_app(FIXED_NOW=NOW)
    with app.test_request_context():
        esther = factories.user("skp", email="esther@example.com", unit_name="Team Vest")
        esther.name = "Esther Esbjerg"
        client = seed.client(esther.id, "Hemmelig Hund")
        course = seed.course(client, "2026-06")
        seed.report(course, "2026-06", seed.at(2026, 7, 1))
        seed.report(course, "2026-07", None, answers={"q23": 1})
        send_mail("esther@example.com", "Påmindelse", f"Mangler: {client.system_number}")
        send_invitation(esther, None)
        audit.record("client_viewed", "client", client.system_number, user_id=esther.id,
                     municipality_id=esther.municipality_id)
        db.session.commit()
        factories.user("coordinator", email="tovholder@example.com")
        factories.user("coordinator", email="fyn@example.com", municipality_name="Odense")
        factories.user("skp", email="otto@example.com", municipality_name="Odense", unit_name="Team Fyn")
        ids = {
            "user_id": esther.id,
            "municipality_id": db.session.scalar(db.select(Municipality.id).where(Municipality.name == "Esbjerg")),
            "unit_id": db.session.scalar(db.select(Unit.id).where(Unit.name == "Team Vest")),
            "system_number": client.system_number,
        }
    return app, ids


def odense(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client, "fyn@example.com").status_code == 302
    return client


def coordinator_rules(app: Flask) -> list:  # type: ignore[type-arg]
    rules = []
    for rule in app.url_map.iter_rules():
        policy = policy_for(app, rule.endpoint)
        if policy is not None and policy.kind == "roles" and policy.roles <= {"coordinator", "admin"}:
            rules.append(rule)
    return rules


def test_every_object_route_answers_404_or_403_for_another_municipalitys_objects(world) -> None:
    app, ids = world
    client = odense(app)
    checked = 0
    for rule in coordinator_rules(app):
        if not rule.arguments or not rule.arguments <= {"user_id", "municipality_id", "unit_id"}:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
        if "GET" in rule.methods:
            assert client.get(url).status_code in (403, 404), url
        if "POST" in rule.methods:
            response = post_form(client, url, {"name": "X", "roles": ["skp"], "placement": "m:1"})
            assert response.status_code in (403, 404), url
        checked += 1
    assert checked >= 6  # worker drill-down, user edit, status, new link, municipality, unit
    with app.app_context():
        from reporting.core.models import User

        esther = db.session.get(User, ids["user_id"])
        assert esther.active and esther.name == "Esther Esbjerg" and esther.roles == {"skp"}


def test_every_page_and_list_shows_nothing_of_another_municipality(world) -> None:
    app, ids = world
    client = odense(app)
    pages = 0
    for rule in coordinator_rules(app):
        if rule.arguments or "GET" not in rule.methods:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint)
        response = client.get(url)
        if rule.endpoint.startswith("organisation."):
            assert response.status_code == 403, url
            continue
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert not [m for m in (*MARKERS, ids["system_number"]) if m in body], url
        pages += 1
    assert pages >= 6
    for check in ("not-applicable", "missing-intake", "late-drafts", "duplicates", "closing-before-contact"):
        body = client.get(f"/coordinator/quality/{check}").get_data(as_text=True)
        assert ids["system_number"] not in body and "Esther" not in body


def test_filters_and_forms_refuse_another_municipalitys_users_and_units(world) -> None:
    app, ids = world
    client = odense(app)
    assert client.get(f"/coordinator/audit?user={ids['user_id']}").status_code == 400
    invite = post_form(client, "/coordinator/users/invite", {"name": "N", "email": "n@example.com", "roles": ["skp"],
                                                             "placement": f"u:{ids['unit_id']}"})
    assert invite.status_code == 400
    export = post_form(client, "/coordinator/audit/export")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data), read_only=True)["Log"]
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    assert not [m for m in (*MARKERS, ids["system_number"]) if m in cells]


def test_the_own_coordinator_does_see_them(world) -> None:
    """The counter-check: the same pages do show Esbjerg's data to Esbjerg's coordinator."""
    app, ids = world
    client = app.test_client()
    assert login(client, "tovholder@example.com").status_code == 302
    assert "Esther Esbjerg" in client.get("/coordinator/compliance").get_data(as_text=True)
    assert client.get(f"/coordinator/compliance/workers/{ids['user_id']}").status_code == 200
    assert ids["system_number"] in client.get("/coordinator/quality/late-drafts").get_data(as_text=True)
    assert "esther@example.com" in client.get("/coordinator/outbox").get_data(as_text=True)
    assert ids["system_number"] in client.get("/coordinator/audit").get_data(as_text=True)
