"""The evaluators' export from the database: web download (coordinators only), CLI, scope, audit."""

from __future__ import annotations

import hashlib
import io
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.models import AuditEvent
from reporting.demo.reports import seed_reports

import factories
from support import login, post_form

START = "/coordinator/export/start"
JOB_LINK = re.compile(r'href="(/coordinator/export/job/[A-Za-z0-9_-]{24}/download)"')


def _seed(app: Flask) -> None:
    with app.app_context():
        esbjerg = [factories.user("skp", email=f"skp{i}@example.com") for i in range(2)]
        aarhus = factories.user("skp", email="aarhus@example.com", municipality_name="Aarhus")
        seed_reports([*esbjerg, aarhus], clients_per_worker=3, months=6, now=now())
        factories.user("coordinator", email="coord@example.com")
        factories.user("coordinator", email="coord2@example.com")
        for role in ("skp", "caseworker"):
            factories.user(role, email=f"other-{role}@example.com")


def _wait_for_download(client: FlaskClient, job_url: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        html = client.get(job_url).get_data(as_text=True)
        match = JOB_LINK.search(html)
        if match:
            return match.group(1)
        assert "kunne ikke laves" not in html
        assert "Opdater" in html  # works without JavaScript
        time.sleep(0.3)
    raise AssertionError("the export did not finish")


def _start(client: FlaskClient, **data: object) -> str:
    response = post_form(client, START, {"pseudonyms": "keyed", "date_mode": "year_month", **data})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_a_coordinator_downloads_an_export_of_seeded_demo_data(app: Flask) -> None:
    _seed(app)
    client = app.test_client()
    login(client, "coord@example.com")
    page = client.get("/coordinator/export")
    assert page.status_code == 200 and "Udtræk til evaluatorerne" in page.get_data(as_text=True)
    assert "Udtræk" in client.get("/").get_data(as_text=True)  # in the navigation
    job_url = _start(client)
    status = client.get(job_url + "/status")
    assert status.status_code == 200 and status.json["status"] in ("running", "done")
    download = _wait_for_download(client, job_url)
    response = client.get(download)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    response.close()  # as the WSGI server does after sending: the file is deleted then
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book["Indberetninger"].iter_rows(values_only=True))
    header = rows[0]
    assert len(rows) > 10
    # the coordinator's scope only; the default export shows a small municipality as its region
    assert {row[header.index("kommune")] for row in rows[1:]} <= {"Esbjerg", "Region Syddanmark", "*"}
    assert "klient" not in header and "maaned" not in header
    text = "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
    assert "Demo " not in text and "Test Skp" not in text  # no nickname, no worker name
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "data_exported")).one()
        assert event.details["sha256"] == hashlib.sha256(data).hexdigest()
        assert event.details["row_counts"]["Indberetninger"] == len(rows) - 1
        assert event.details["filters"]["Kommune"] == "Esbjerg"
    # the file is deleted after the download
    assert client.get(download).status_code == 302
    assert not list((Path(app.instance_path) / "exports").glob("*.xlsx"))


def test_other_roles_are_refused_and_jobs_are_private(app: Flask) -> None:
    _seed(app)
    owner = app.test_client()
    login(owner, "coord@example.com")
    job_url = _start(owner, first="2000-01", last="2000-02")
    for email in ("other-skp@example.com", "other-caseworker@example.com"):
        other = app.test_client()
        login(other, email)
        assert other.get("/coordinator/export").status_code == 403
        assert post_form(other, START, {"pseudonyms": "keyed"}).status_code == 403
        assert other.get(job_url).status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(job_url + "/download").status_code == 302
    assert "/login" in anonymous.get(job_url).headers["Location"]
    colleague = app.test_client()
    login(colleague, "coord2@example.com")
    download = _wait_for_download(owner, job_url)
    refused = colleague.get(download)
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/coordinator/export")
    assert owner.get(download).status_code == 200


def test_the_form_refuses_bad_months_and_foreign_municipalities(app: Flask) -> None:
    _seed(app)
    client = app.test_client()
    login(client, "coord@example.com")
    assert post_form(client, START, {"pseudonyms": "keyed", "date_mode": "year_month", "first": "2024-13"}
                     ).status_code == 400
    assert post_form(client, START, {"pseudonyms": "keyed", "date_mode": "year_month", "first": "2024-05",
                                     "last": "2024-01"}).status_code == 400
    assert post_form(client, START, {"pseudonyms": "keyed", "date_mode": "year_month", "municipality": "999"}
                     ).status_code == 400


def _clients(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book["Indberetninger"].iter_rows(values_only=True))
    return [row[0] for row in rows[1:]]


def test_cli_writes_the_same_workbook_with_stable_keyed_pseudonyms(app: Flask, tmp_path: Path) -> None:
    _seed(app)
    runner = app.test_cli_runner()
    first, second, third = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.xlsx"
    result = runner.invoke(args=["export", "--out", str(first), "--municipality", "Esbjerg"])
    assert result.exit_code == 0, result.output
    assert "SHA-256" in result.output
    assert runner.invoke(args=["export", "--out", str(second), "--municipality", "Esbjerg"]).exit_code == 0
    assert runner.invoke(args=["export", "--out", str(third), "--municipality", "Esbjerg",
                               "--pseudonyms", "random"]).exit_code == 0
    assert _clients(first) == _clients(second)
    assert set(_clients(first)).isdisjoint(_clients(third))
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "data_exported")).all()
        assert len(events) == 3 and {e.details["via"] for e in events} == {"cli"}
        assert events[0].details["sha256"] == hashlib.sha256(first.read_bytes()).hexdigest()


@pytest.mark.parametrize("args", [["--from", "2024-1"], ["--municipality", "Atlantis"], ["--from", "2024-05",
                                                                                          "--to", "2024-01"]])
def test_cli_refuses_bad_filters(app: Flask, tmp_path: Path, args: list[str]) -> None:
    result = app.test_cli_runner().invoke(args=["export", "--out", str(tmp_path / "x.xlsx"), *args])
    assert result.exit_code != 0
    assert not (tmp_path / "x.xlsx").exists()


def test_the_export_knows_the_parts_due_exactly_as_the_report_form_did(app: Flask) -> None:
    """Applicability in the export rests on the same schedule as the form, Q17 re-asks included."""
    from reporting.core.schedule import Period
    from reporting.evaluation.source import ExportRequest, report_records
    from reporting.skp.models import Client
    from reporting.skp.report_flow import resolve

    _seed(app)
    with app.app_context():
        clients = {c.id: c for c in db.session.scalars(select(Client))}
        records = list(report_records(None, ExportRequest()))
        assert len(records) > 20
        for record in records:
            due = resolve(clients[record.client_id], Period.of(record.period), record.closes_course).due
            assert (record.sections, record.reask) == (due.sections, due.reask), record.period
        assert any(record.reask for record in records), "the seed should hold a course waiting for Q17"


def test_the_statistics_files_come_from_the_page_and_the_cli(app: Flask, tmp_path: Path) -> None:
    import pandas as pd
    import pyreadstat

    _seed(app)
    client = app.test_client()
    login(client, "coord@example.com")
    page = client.get("/coordinator/export").get_data(as_text=True)
    assert 'name="file_format"' in page and "SPSS (.sav)" in page
    download = _wait_for_download(client, _start(client, file_format="zip"))
    response = client.get(download)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert ".zip" in response.headers["Content-Disposition"]
    data = response.get_data()
    response.close()
    folder = tmp_path / "web"
    folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        archive.extractall(folder)
    assert {"skp-udtraek.xlsx", "kodebog.csv", "om_udtraekket.csv", "forloeb.sav", "forloeb.dta", "forloeb.csv",
            "parret.sav", "indberetninger.dta"} <= names
    book = openpyxl.load_workbook(folder / "skp-udtraek.xlsx", read_only=True)
    rows = list(book["Forløb"].iter_rows(values_only=True))
    sav, meta = pyreadstat.read_sav(folder / "forloeb.sav", user_missing=True)
    assert len(sav) == len(rows) - 1 and list(sav.columns) == list(rows[0])
    assert len(pd.read_stata(folder / "forloeb.dta", convert_categoricals=False)) == len(sav)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "data_exported")).one()
        assert event.details["sha256"] == hashlib.sha256(data).hexdigest()
        assert event.details["file_format"] == "zip" and "forloeb.dta" in event.details["files"]
    assert not list((Path(app.instance_path) / "exports").iterdir())  # no scratch file left behind

    out = tmp_path / "stata.zip"
    result = app.test_cli_runner().invoke(args=["export", "--out", str(out), "--format", "dta"])
    assert result.exit_code == 0, result.output
    assert "statistikfiler: dta" in result.output
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
    assert "forloeb.dta" in names and "kodebog.csv" in names and not any(n.endswith(".sav") for n in names)
