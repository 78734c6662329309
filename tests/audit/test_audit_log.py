"""The audit log view: filters within the scope, a formula-safe Excel export, and retention."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from reporting.audit.export import safe_text
from reporting.core import settings_store
from reporting.core.extensions import db
from reporting.core.models import AuditEvent, Municipality

import coord_seed as seed
import factories
from support import login, post_form


def event(action: str, user_id: int | None, municipality_id: int | None, at, object_type: str = "client",  # type: ignore[no-untyped-def]
          object_id: str = "K-00001", **details: object) -> None:
    db.session.add(AuditEvent(action=action, user_id=user_id, municipality_id=municipality_id, at=at,
                              object_type=object_type, object_id=object_id, details=details))


@pytest.fixture
def logged(app: Flask) -> dict[str, int]:
    with app.app_context():
        sara = factories.user("skp", email="sara@example.com").id
        bo = factories.user("skp", email="bo@example.com").id
        otto = factories.user("skp", email="otto@example.com", municipality_name="Odense").id
        esbjerg = db.session.scalar(select(Municipality.id).where(Municipality.name == "Esbjerg"))
        odense = db.session.scalar(select(Municipality.id).where(Municipality.name == "Odense"))
        event("client_viewed", sara, esbjerg, seed.at(2026, 11, 30, 23, 30))  # late evening, Copenhagen time
        event("report_submitted", sara, esbjerg, seed.at(2026, 12, 1, 0, 30), "report", "K-00001/2026-11")
        event("client_viewed", bo, esbjerg, seed.at(2026, 12, 2), "client", "=HYPERLINK(\"http://x\")",
              note="@SUM(A1)")
        event("client_viewed", otto, odense, seed.at(2026, 12, 2), "client", "K-00009")
        db.session.commit()
        factories.user("coordinator", email="tovholder@example.com")
        factories.user("coordinator", email="evaluator@example.com", municipality_name=None)
        return {"sara": sara, "bo": bo, "otto": otto}


def as_user(app: Flask, email: str = "tovholder@example.com") -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def rows(body: str) -> list[str]:
    return re.findall(r'<tr data-event="(\d+)"', body)


def test_filters_by_user_action_object_and_period(app: Flask, logged) -> None:
    client = as_user(app)
    everything = client.get("/coordinator/audit").get_data(as_text=True)
    assert len(rows(everything)) == 3 + 1  # three Esbjerg events and the coordinator's own login
    assert "K-00009" not in everything  # Odense
    assert len(rows(client.get(f"/coordinator/audit?user={logged['sara']}").get_data(as_text=True))) == 2
    assert len(rows(client.get("/coordinator/audit?action=report_submitted").get_data(as_text=True))) == 1
    by_object = client.get("/coordinator/audit?object_type=report&object_id=K-00001/2026-11").get_data(as_text=True)
    assert len(rows(by_object)) == 1
    # 30 November 23:30 Copenhagen is 22:30 UTC: it belongs to the 30th, the 00:30 event to 1 December
    november = client.get("/coordinator/audit?date_from=2026-11-30&date_to=2026-11-30").get_data(as_text=True)
    december = client.get("/coordinator/audit?date_from=2026-12-01&date_to=2026-12-02").get_data(as_text=True)
    assert len(rows(november)) == 1 and len(rows(december)) == 2
    assert client.get(f"/coordinator/audit?user={logged['otto']}").status_code == 400  # not in the scope


def test_national_scope_sees_every_municipality(app: Flask, logged) -> None:
    body = as_user(app, "evaluator@example.com").get("/coordinator/audit?action=client_viewed").get_data(as_text=True)
    assert len(rows(body)) == 3 and "K-00009" in body


def test_excel_export_is_formula_safe_filtered_and_itself_logged(app: Flask, logged) -> None:
    client = as_user(app)
    response = post_form(client, "/coordinator/audit/export", {"action": "client_viewed"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook["Log"]
    values = list(sheet.iter_rows(min_row=2))
    assert len(values) == 2
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    objects = {row[6].value for row in values}
    assert "'=HYPERLINK(\"http://x\")" in objects and "K-00001" in objects
    assert any("@SUM(A1)" in str(row[8].value) for row in values)
    with app.app_context():
        logged_export = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit_exported")).one()
        assert logged_export.details["rows"] == 2
        assert logged_export.details["sha256"] == hashlib.sha256(response.data).hexdigest()
        assert logged_export.details["filters"] == {"action": "client_viewed"}


def test_export_needs_a_post_with_csrf(app: Flask, logged) -> None:
    client = as_user(app)
    assert client.get("/coordinator/audit/export").status_code == 405
    assert client.post("/coordinator/audit/export", data={}).status_code == 400


@pytest.mark.parametrize("text", ["=1+1", "+45 1234", "-2", "@cmd", "\tx", "plain", ""])
def test_safe_text_prefixes_formula_starts(text: str) -> None:
    assert safe_text(text) == ("'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text)


def test_purge_deletes_events_older_than_the_retention_setting(app: Flask, logged) -> None:
    with app.app_context():
        event("login", logged["sara"], None, seed.at(2025, 12, 19, 23, 0), "user", "1")
        event("login", logged["sara"], None, seed.at(2025, 12, 20, 1, 0), "user", "1")
        settings_store.put(settings_store.AUDIT_RETENTION_MONTHS, "12", None)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge-audit", "--today", "2026-12-20"])
    assert result.exit_code == 0, result.output
    assert "Slettet 1 loghændelser fra før 2025-12-20" in result.output
    with app.app_context():
        remaining = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login")).all()
        assert [e.at for e in remaining] == [seed.at(2025, 12, 20, 1, 0)]
        purge = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit_purged")).one()
        assert purge.details["deleted"] == 1 and purge.details["retention_months"] == 12
