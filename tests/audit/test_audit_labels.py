"""The audit log in Danish: every recorded action code has a Danish label; people are named within
the viewer's scope only; objects read as system number and month; national users' actions reach the
municipality of the object they concern (security-probe I2); the export keeps the raw codes."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from reporting.audit.labels import ACTION_LABELS, action_label, report_label
from reporting.core.extensions import db
from reporting.core.models import AuditEvent, Municipality
from reporting.core.schedule import Period

import coord_seed as seed
import factories
from support import login, post_form

REPORTING = Path(__file__).resolve().parents[2] / "reporting"


def _is_audit_record(node: ast.Call) -> bool:
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr == "record" and isinstance(func.value, ast.Name)
            and func.value.id == "audit")


def _codes(node: ast.AST, function: ast.AST) -> set[str]:
    """The string values an action expression can take: a literal, either branch of ``a if c else b``
    (never the condition), or what is assigned to the variable in the same function."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _codes(node.body, function) | _codes(node.orelse, function)
    if isinstance(node, ast.Name):
        assigned = [a.value for a in ast.walk(function) if isinstance(a, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)]
        return set().union(*(_codes(value, function) for value in assigned))
    return set()


def recorded_actions() -> dict[str, str]:
    """Every action code passed to ``audit.record`` in reporting/ (see :func:`_codes`)."""
    found: dict[str, str] = {}
    for path in REPORTING.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Module))]:
            for call in (n for n in ast.walk(function) if isinstance(n, ast.Call) and _is_audit_record(n)):
                first = call.args[0] if call.args else next(k.value for k in call.keywords if k.arg == "action")
                codes = _codes(first, function)
                assert codes, f"{path}:{call.lineno}: cannot tell which action code is recorded"
                found.update({code: f"{path.relative_to(REPORTING)}:{call.lineno}" for code in codes})
    return found


def test_every_recorded_action_has_a_danish_label() -> None:
    actions = recorded_actions()
    assert len(actions) >= 40 and {"report_viewed", "login", "survey_wave_reopened", "report_corrected"} <= set(actions)
    missing = {code: where for code, where in actions.items() if code not in ACTION_LABELS}
    assert missing == {}, "add these action codes to reporting/audit/labels.py ACTION_LABELS"
    assert action_label("report_viewed") == "Så rapport" and action_label("client_created") == "Oprettede klient"
    assert action_label("login") == "Loggede ind"


def test_a_report_reads_as_system_number_and_month() -> None:
    assert report_label("K-00007/2026-12") == "K-00007, december 2026"
    assert report_label("K-00007") == "K-00007"


def event(action: str, user_id: int | None, municipality_id: int | None, object_type: str = "client",  # type: ignore[no-untyped-def]
          object_id: str = "K-00001", **details: object) -> None:
    db.session.add(AuditEvent(action=action, user_id=user_id, municipality_id=municipality_id,
                              at=seed.at(2026, 12, 2, 9, 30), object_type=object_type, object_id=object_id,
                              details=details))


@pytest.fixture
def world(app: Flask) -> dict[str, int]:
    with app.app_context():
        sara = factories.user("skp", email="sara@example.com")
        sara.name = "Sara Sørensen"
        otto = factories.user("skp", email="otto@example.com", municipality_name="Odense")
        otto.name = "Otto Odensen"
        admin = factories.user("admin", email="admin@example.com", municipality_name=None)
        admin.name = "Anne Admin"
        coordinator = factories.user("coordinator", email="tovholder@example.com")
        esbjerg = db.session.scalar(select(Municipality.id).where(Municipality.name == "Esbjerg"))
        event("report_viewed", sara.id, esbjerg, "report", "K-00007/2026-12")
        event("compliance_worker_viewed", coordinator.id, esbjerg, "user", str(sara.id))
        event("client_transferred", coordinator.id, esbjerg, "client", "K-00008", from_user=sara.id,
              to_user=otto.id)  # (never across municipalities in practice: a name out of scope stays hidden)
        event("report_reopened", admin.id, esbjerg, "report", "K-00009/2026-11")
        db.session.commit()
        return {"sara": sara.id, "otto": otto.id, "admin": admin.id, "esbjerg": esbjerg}


def as_coordinator(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client, "tovholder@example.com").status_code == 302
    return client


def row(body: str, action: str) -> str:
    start = body.index(f'data-action="{action}"')
    return body[start:body.index("</tr>", start)]


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_the_log_page_speaks_danish(app: Flask, world: dict[str, int]) -> None:
    body = as_coordinator(app).get("/coordinator/audit").get_data(as_text=True)
    viewed = row(body, "report_viewed")
    assert "Så rapport" in viewed and "Sara Sørensen" in viewed
    assert '<span class="audit-id">K-00007, december 2026</span>' in viewed  # one token, never broken
    assert "Så medarbejders indberetninger" in row(body, "compliance_worker_viewed")
    assert "Sara Sørensen" in row(body, "compliance_worker_viewed")  # "user 4" is a name
    assert "Loggede ind" in row(body, "login")
    table = visible(body[body.index('id="audit-table"'):body.index("</table>")])
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", table), "developer codes on screen"
    assert '<option value="report_viewed">Så rapport</option>' in body  # the action filter in Danish
    assert '<option value="report">Rapport</option>' in body
    assert "audit/audit.css" in body


def test_people_outside_the_scope_are_not_named(app: Flask, world: dict[str, int]) -> None:
    body = as_coordinator(app).get("/coordinator/audit").get_data(as_text=True)
    moved = row(body, "client_transferred")
    assert "Fra: <span" in moved and "Sara Sørensen" in moved
    assert "Otto Odensen" not in body and "bruger i anden kommune" in moved
    reopened = row(body, "report_reopened")
    assert "Anne Admin" not in body and "national bruger" in reopened and "Genåbnede rapport" in reopened
    admin = app.test_client()
    login(admin, "admin@example.com")
    national = admin.get("/coordinator/audit").get_data(as_text=True)
    assert "Otto Odensen" in national and "Anne Admin" in national


def test_a_national_users_action_reaches_the_objects_municipality(app: Flask, world: dict[str, int]) -> None:
    """I2: the admin reopens an Esbjerg report; the Esbjerg coordinator's log shows it."""
    with app.app_context():
        worker = db.session.get(factories.User, world["sara"])
        factories.submitted_report(worker, "K-00001", Period(2026, 11))
        db.session.execute(db.delete(AuditEvent))
        db.session.commit()
    admin = app.test_client()
    login(admin, "admin@example.com")
    admin.get("/coordinator/reports/K-00001/2026-11")
    admin.get(f"/coordinator/compliance/workers/{world['sara']}")
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.user_id == world["admin"],
                                                             AuditEvent.action != "login")).all()
        assert events and {e.municipality_id for e in events} == {world["esbjerg"]}
    body = as_coordinator(app).get("/coordinator/audit?user=").get_data(as_text=True)
    assert "national bruger" in body


def test_the_export_keeps_the_codes_and_adds_danish(app: Flask, world: dict[str, int]) -> None:
    response = post_form(as_coordinator(app), "/coordinator/audit/export", {"action": "report_viewed"})
    sheet = load_workbook(io.BytesIO(response.data))["Log"]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header[4] == "Handling" and header[-2:] == ["Handling (dansk)", "Objekt (dansk)"]
    values = [[cell.value for cell in r] for r in sheet.iter_rows(min_row=2)]
    assert values == [[values[0][0], world["sara"], "Sara Sørensen", "sara@example.com", "report_viewed", "report",
                       "K-00007/2026-12", "Esbjerg", "{}", "Så rapport", "K-00007, december 2026"]]


def test_the_export_names_no_one_outside_the_scope(app: Flask, world: dict[str, int]) -> None:
    response = post_form(as_coordinator(app), "/coordinator/audit/export", {"action": "report_reopened"})
    values = [[cell.value for cell in r] for r in load_workbook(io.BytesIO(response.data))["Log"].iter_rows(min_row=2)]
    assert values[0][2:4] == ["national bruger", None] and "admin@example.com" not in str(values)
