"""Admins manage municipalities, units and the run-time settings; coordinators may not."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from reporting.core import settings_store
from reporting.core.extensions import db
from reporting.core.models import AuditEvent, Municipality, Unit

import factories
from support import login, post_form


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    with app.app_context():
        factories.user("admin", email="admin@example.com", municipality_name=None)
        factories.user("coordinator", email="tovholder@example.com")
    client = app.test_client()
    assert login(client, "admin@example.com").status_code == 302
    return client


def test_an_admin_creates_a_municipality_and_its_units(app: Flask, admin: FlaskClient) -> None:
    created = post_form(admin, "/admin/organisation", {"name": "Aarhus"})
    assert created.status_code == 302
    with app.app_context():
        aarhus = db.session.scalar(select(Municipality).where(Municipality.name == "Aarhus"))
    assert post_form(admin, "/admin/organisation", {"name": "aarhus"}).status_code == 400  # names are unique
    unit = post_form(admin, f"/admin/municipalities/{aarhus.id}",
                     {"unit-name": "Team Midt", "unit-authority_name": "Aarhus Kommune, Socialforvaltningen",
                      "unit-contact_name": "Kim Kontakt", "unit-contact_phone": "12345678",
                      "unit-contact_email": "kim@aarhus.example"})
    assert unit.status_code == 302
    assert post_form(admin, f"/admin/municipalities/{aarhus.id}", {"unit-name": "team midt"}).status_code == 400
    with app.app_context():
        row = db.session.scalar(select(Unit).where(Unit.name == "Team Midt"))
        assert row.municipality_id == aarhus.id and row.contact_email == "kim@aarhus.example"
    edited = post_form(admin, f"/admin/units/{row.id}", {"name": "Team Midtby", "authority_name": "",
                                                         "contact_name": "", "contact_phone": "", "contact_email": ""})
    assert edited.status_code == 302
    renamed = post_form(admin, f"/admin/municipalities/{aarhus.id}", {"rename-name": "Aarhus Kommune"})
    assert renamed.status_code == 302
    with app.app_context():
        assert db.session.get(Unit, row.id).name == "Team Midtby"
        assert db.session.get(Municipality, aarhus.id).name == "Aarhus Kommune"
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"municipality_created", "unit_created", "unit_updated", "municipality_renamed"} <= actions
    assert "Team Midtby" in admin.get("/admin/organisation").get_data(as_text=True)


def test_settings_are_validated_and_stored(app: Flask, admin: FlaskClient) -> None:
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert 'value="10, 14"' in page and 'value="16"' in page and 'value="24"' in page
    bad = post_form(admin, "/admin/settings", {"reminder_days": "10, 40", "escalation_day": "16",
                                               "audit_retention_months": "x"})
    assert bad.status_code == 400 and "mellem 1 og 31" in bad.get_data(as_text=True)
    good = post_form(admin, "/admin/settings", {"reminder_days": "14;9", "escalation_day": "17",
                                                "audit_retention_months": "36"})
    assert good.status_code == 302
    with app.app_context():
        assert settings_store.reminder_days() == (9, 14)
        assert settings_store.escalation_day() == 17
        assert settings_store.audit_retention_months() == 36


def test_coordinators_may_not_manage_the_organisation(app: Flask, admin: FlaskClient) -> None:
    coordinator = app.test_client()
    assert login(coordinator, "tovholder@example.com").status_code == 302
    assert coordinator.get("/admin/organisation").status_code == 403
    assert post_form(coordinator, "/admin/organisation", {"name": "Vejle"}).status_code == 403
    assert post_form(coordinator, "/admin/settings", {"reminder_days": "1"}).status_code == 403
