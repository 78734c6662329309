"""The worker's month on the server (issue 15): task list, receipt, drafts that can be discarded,
submitted reports as summaries with a correction mode, two-tab conflicts, D17-D20 on the routes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forms import get_definition
from forms.sample import sample_answers
from reporting.core.extensions import db
from reporting.core.schedule import Period
from reporting.skp.models import Course, Report
from reporting.skp.report_flow import closing_totals

import factories
import sara_2008
from hardening import form_state, intake_answers
from hardening import report_url as url
from sara_2008 import SEPT_2008
from support import login

app, worker = sara_2008.app, sara_2008.worker  # the shared fixtures: 10 September 2008, Sara logged in

DEFINITION = get_definition("skp_monthly")




def post(client: FlaskClient, path: str, answers: dict, action: str, **extra: str):  # type: ignore[no-untyped-def]
    from forms import to_formdata

    return client.post(path, data={**to_formdata(DEFINITION, answers), **form_state(client, path),
                                   "action": action, **extra})


def reports(app: Flask) -> list[Report]:
    with app.app_context():
        rows = db.session.scalars(select(Report).order_by(Report.period)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def monthly(**overrides: object) -> dict:
    return sample_answers(DEFINITION, ["del3", "del4"], overrides=overrides)


def test_the_front_page_lists_the_intake_of_a_new_client_as_its_first_task(client: FlaskClient, worker: str) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "Mine opgaver" in page and "Du mangler 1 indberetning" in page
    assert "Start indskrivning" in page and f"/skp/clients/{worker}/reports/" in page


def test_nothing_due_says_so_and_names_the_next_deadline(app: Flask, client: FlaskClient, worker: str) -> None:
    post(client, url(worker, "2008-08"), intake_answers(), "submit")
    page = client.get("/").get_data(as_text=True)
    assert "Du har ingen indberetninger, der mangler" in page
    assert "Næste frist er 15. oktober 2008 for september 2008" in page
    assert "Indberet tidligt for september 2008 (1)" in page  # the current month can be filed early


def test_the_receipt_says_on_time_or_late_and_offers_the_next_report(app: Flask, client: FlaskClient,
                                                                      worker: str) -> None:
    with app.app_context():
        other = factories.client(db.session.scalar(select(factories.User)), "Kat 3")
    response = post(client, url(worker, "2008-08"), intake_answers(), "submit")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/skp/clients/{worker}/reports/2008-08/kvittering")
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Indskrivningen for august 2008 er indsendt" in receipt and "Den kom til tiden." in receipt
    assert f"Næste: {other} · Kat 3" in receipt
    app.config["FIXED_NOW"] = datetime(2008, 10, 20, 9, 0, tzinfo=UTC)
    login(client, "sara@example.com")
    late = post(client, url(worker, "2008-09"), monthly(), "submit")
    page = client.get(late.headers["Location"]).get_data(as_text=True)
    assert "Den kom 5 dage efter fristen." in page


def test_a_discarded_intake_draft_leaves_no_course_and_nothing_missing(app: Flask, client: FlaskClient,
                                                                        worker: str) -> None:
    post(client, url(worker, "2008-08"), {"q3": 1}, "save")
    with app.app_context():
        assert db.session.scalars(select(Course)).one().intake_period.isoformat() == "2008-08-01"
    response = post(client, url(worker, "2008-08"), {}, "discard")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Course)).all() == [] and db.session.scalars(select(Report)).all() == []
    app.config["FIXED_NOW"] = datetime(2008, 10, 1, 9, 0, tzinfo=UTC)  # past the August deadline
    login(client, "sara@example.com")
    page = client.get("/").get_data(as_text=True)
    assert "For sent" not in page and "Start indskrivning" in page
    assert "Mangler" not in client.get("/skp/reports").get_data(as_text=True)


def test_a_month_without_contact_attempts_can_be_submitted(app: Flask, client: FlaskClient, worker: str) -> None:
    post(client, url(worker, "2008-08"), intake_answers(), "submit")
    answers = {key: value for key, value in monthly().items() if not key.startswith("q27")}
    assert post(client, url(worker, "2008-09"), answers, "submit").status_code == 302
    assert "q27" not in reports(app)[-1].answers


@pytest.mark.parametrize(("typed", "month"), [("31-05-2007", "2008-08"), ("01-09-2008", "2008-08")])
def test_a_date_outside_1_6_2007_and_the_report_month_is_refused_in_danish(
        client: FlaskClient, worker: str, typed: str, month: str) -> None:
    response = post(client, url(worker, month), intake_answers(q16_dato=typed), "submit")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "1. juni 2007" in page and "31. august 2008" in page
    assert "<title>Fejl:" in page


def test_a_submitted_report_reads_as_a_summary_and_corrections_wait_for_a_resubmit(
        app: Flask, client: FlaskClient, worker: str) -> None:
    post(client, url(worker, "2008-08"), intake_answers(q3=1), "submit")
    summary = client.get(url(worker, "2008-08")).get_data(as_text=True)
    assert 'id="report-form"' not in summary and "Ret rapporten" in summary
    q3 = DEFINITION.question("q3")
    assert q3.label in summary and q3.choice(1).label in summary  # question and answer, as on screen
    editing = client.get(url(worker, "2008-08") + "?ret=1").get_data(as_text=True)
    assert "Du retter en indsendt rapport" in editing and 'id="report-form"' in editing
    # Autosaved corrections are kept apart: the submitted answers stay until resubmitted.
    saved = post(client, url(worker, "2008-08"), intake_answers(q3=2), "autosave", editing="1")
    assert saved.status_code == 200 and saved.get_json()["status"] == "saved"
    report = reports(app)[0]
    assert report.answers["q3"] == 1 and report.correction_answers["q3"] == 2
    assert "rettelser, der ikke er indsendt" in client.get(url(worker, "2008-08")).get_data(as_text=True)
    assert post(client, url(worker, "2008-08"), intake_answers(q3=2), "submit", editing="1").status_code == 302
    report = reports(app)[0]
    assert report.answers["q3"] == 2 and report.correction_answers is None


def test_two_tabs_get_keep_or_fetch_with_the_answers_that_differ(client: FlaskClient, worker: str) -> None:
    path = url(worker, "2008-08")
    first_tab = form_state(client, path)
    post(client, path, {"q3": 1}, "save")  # the other tab saves first
    from forms import to_formdata

    response = client.post(path, data={**to_formdata(DEFINITION, {"q3": 2}), **first_tab, "action": "save"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Behold mine svar" in page and "Hent de gemte svar" in page
    assert DEFINITION.question("q3").label in page  # the differing answer is named
    kept = client.post(path, data={**to_formdata(DEFINITION, {"q3": 2}), **form_state(client, path), "action": "save"})
    assert kept.status_code == 302


def test_closing_totals_are_the_sums_of_the_monthly_counts(app: Flask) -> None:
    with app.app_context():
        worker = factories.user("skp", email="sara@example.com")
        from reporting.skp.clients import create_client, start_course

        course = start_course(create_client(worker.id, "Hund 7"), Period(2008, 5))
        for month, counts in ((5, (2, 1, 0)), (6, (3, 0, 2)), (7, (1, 4, 1))):
            db.session.add(Report(course=course, period=Period(2008, month).first_day, status="submitted",
                                  answers={"q26_tlf": counts[0], "q26_moeder": counts[1], "q26_forgaeves": counts[2]},
                                  definition_key="skp_monthly", definition_version=1, submitted_at=SEPT_2008))
        db.session.add(Report(course=course, period=Period(2008, 8).first_day, status="draft",
                              answers={"q26_tlf": 50}, definition_key="skp_monthly", definition_version=1))
        db.session.flush()
        totals, count = closing_totals(course, Period(2008, 8))
    assert totals == {"q47": 6, "q48": 5, "q49": 3} and count == 3  # the draft is not counted


def test_the_client_page_starts_the_intake_and_lists_the_reports(app: Flask, client: FlaskClient,
                                                                  worker: str) -> None:
    page = client.get(f"/skp/clients/{worker}").get_data(as_text=True)
    assert "Start indskrivning for september 2008" in page
    post(client, url(worker, "2008-08"), intake_answers(), "submit")
    page = client.get(f"/skp/clients/{worker}").get_data(as_text=True)
    assert "Start indskrivning" not in page and 'data-period="2008-08"' in page


def test_another_clients_submission_token_never_answers_for_this_report(app: Flask, client: FlaskClient,
                                                                       worker: str) -> None:
    """Probe I8: a token is looked up within the client, so a foreign token is not a 'replay'."""
    with app.app_context():
        other = factories.client(db.session.scalar(select(factories.User)), "Kat 3")
    first = form_state(client, url(other, "2008-08"))
    from forms import to_formdata

    assert client.post(url(other, "2008-08"), data={**to_formdata(DEFINITION, intake_answers()), **first,
                                                    "action": "submit"}).status_code == 302
    reused = {**form_state(client, url(worker, "2008-08")), "submission_token": first["submission_token"]}
    response = client.post(url(worker, "2008-08"), data={**to_formdata(DEFINITION, intake_answers(q3=2)), **reused,
                                                          "action": "submit"})
    # Not "already submitted": the answers come back to be sent again (the token column is unique).
    assert response.status_code == 409 and "allerede indsendt" not in response.get_data(as_text=True)
    assert len(reports(app)) == 1
    again = {**to_formdata(DEFINITION, intake_answers(q3=2)), **form_state(client, url(worker, "2008-08"))}
    retry = client.post(url(worker, "2008-08"), data={**again, "action": "submit"})
    assert retry.status_code == 302 and {r.answers.get("q3") for r in reports(app)} >= {2}
