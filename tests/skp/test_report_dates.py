"""D17 through the report form: Q15-Q17 dates lie between 1.6.2007 and the end of the report month,
"Før 1.6.2007" is a box under the date, and the stored keys are those the exports read."""

from __future__ import annotations

from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forms import get_definition, to_formdata
from forms.sample import sample_answers
from reporting.core.extensions import db
from reporting.skp.models import Course, Report

import sara_2008
from hardening import form_state
from hardening import report_url as url

app, worker = sara_2008.app, sara_2008.worker  # the shared fixtures: 10 September 2008, Sara logged in

DEFINITION = get_definition("skp_monthly")
INTAKE = ["del1", "del2", "del3", "del4", "del5", "del6"]




def submit_intake(client: FlaskClient, number: str, action: str = "submit", **posted: str):  # type: ignore[no-untyped-def]
    """Submit the August 2008 intake with sample answers, Q16 as the browser posts it (``posted``)."""
    path = url(number, "2008-08")
    answers = sample_answers(DEFINITION, INTAKE, overrides={"q16": 1})
    data = {**to_formdata(DEFINITION, answers), **form_state(client, path), "action": action}
    data.pop("q16")
    return client.post(path, data={**data, **posted})


def stored(app: Flask) -> Report | None:
    with app.app_context():
        return db.session.scalar(select(Report).where(Report.period == date(2008, 8, 1)))


def test_a_date_after_the_report_month_is_refused_in_danish(app: Flask, client: FlaskClient, worker: str) -> None:
    response = submit_intake(client, worker, q16_dato="02-09-2008")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Datoen skal ligge mellem 1. juni 2007 og 31. august 2008." in html
    assert 'value="02-09-2008"' in html  # what was typed stays
    assert stored(app) is None


def test_a_date_before_1_june_2007_is_refused_in_danish(app: Flask, client: FlaskClient, worker: str) -> None:
    response = submit_intake(client, worker, q16_dato="31-05-2007")
    assert response.status_code == 422
    assert "Datoen skal ligge mellem 1. juni 2007 og 31. august 2008." in response.get_data(as_text=True)


def test_a_date_in_range_is_stored_under_the_keys_the_exports_read(
        app: Flask, client: FlaskClient, worker: str) -> None:
    response = submit_intake(client, worker, q16_dato="20-08-2008")
    assert response.status_code == 302
    report = stored(app)
    assert (report.answers["q16"], report.answers["q16_dato"]) == (2, "2008-08-20")
    with app.app_context():
        course = db.session.scalar(select(Course))
        assert course.contact_start == date(2008, 8, 20)  # the 4-month anchor (report_flow._contact_start)


def test_the_box_foer_1_6_2007_stores_code_1(app: Flask, client: FlaskClient, worker: str) -> None:
    response = submit_intake(client, worker, q16="1")
    assert response.status_code == 302
    answers = stored(app).answers
    assert answers["q16"] == 1 and "q16_dato" not in answers



def test_a_draft_shows_the_ticked_box_under_the_date(app: Flask, client: FlaskClient, worker: str) -> None:
    assert submit_intake(client, worker, action="save", q16="1").status_code == 302
    page = client.get(url(worker, "2008-08")).get_data(as_text=True)
    box = '<input class="form-checkbox" id="q16-0" name="q16" type="checkbox" value="1" data-exclusive checked>'
    assert box in page and 'name="q16_dato"' in page
