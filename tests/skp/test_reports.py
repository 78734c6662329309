"""Filing monthly reports: the parts due, drafts, submission, conflicts and ownership."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select

from forms import get_definition, to_formdata
from forms.sample import sample_answers
from reporting.core.extensions import db
from reporting.core.models import AuditEvent
from reporting.skp.models import Course, Report
from reporting.skp.reports import CLOSING_RULE

import factories
import sara_2008
from hardening import form_state
from hardening import report_url as url
from sara_2008 import SEPT_2008
from support import csrf_token, login

app, worker = sara_2008.app, sara_2008.worker  # the shared fixtures: 10 September 2008, Sara logged in

#: A part that only a closing report has: rendered, shown by the answer to the closing question.
CLOSING_PART = 'data-key="{}" data-show-if="' + str(escape(CLOSING_RULE)).replace("{", "{{").replace("}", "}}") + '"'
DEFINITION = get_definition("skp_monthly")




def post(client: FlaskClient, path: str, answers: dict, action: str, state: dict | None = None):  # type: ignore[no-untyped-def]
    state = state or form_state(client, path)
    data = {**to_formdata(DEFINITION, answers), **state, "action": action}
    return client.post(path, data=data)


def is_checked(html: str, name: str, value: object) -> bool:
    """Whether the page has the radio/checkbox ``name``=``value`` ticked."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return " checked" in tag
    raise AssertionError(f"no input {name}={value}")


def intake_answers(**overrides: object) -> dict:
    sections = ["del1", "del2", "del3", "del4", "del5", "del6"]
    return sample_answers(DEFINITION, sections, overrides={"q16": 2, "q16_dato": "2008-08-20", **overrides})


def stored(app: Flask, month: str = "2008-08-01") -> Report | None:
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.period == datetime.fromisoformat(month).date()))
        if report is not None:
            db.session.expunge(report)
        return report


def test_intake_form_shows_the_parts_due_and_the_deadline(client: FlaskClient, worker: str) -> None:
    html = client.get(url(worker, "2008-08")).get_data(as_text=True)
    assert "Indskrivning for august 2008" in html
    assert "15. september 2008" in html
    for key in ("q3", "q20_1", "q26_tid_timer", "q30_tid_timer", "q33", "q37_1"):
        assert f'name="{key}"' in html, key
    # Del 7 is asked only when the report closes the course (D21): shown by the closing answer.
    assert "Afsluttes forløbet med denne rapport?" in html
    assert CLOSING_PART.format("del7") in html and CLOSING_PART.format("del1") not in html


def test_submitting_stores_only_visible_answers(app: Flask, client: FlaskClient, worker: str) -> None:
    answers = intake_answers(q12=2)
    sneaky = {**answers, "q13": 5, "q13_andet": "skjult", "q40": "2008-08-31"}
    response = post(client, url(worker, "2008-08"), sneaky, "submit")
    assert response.status_code == 302
    report = stored(app)
    assert report is not None and report.status == "submitted"
    assert report.answers == answers
    assert "q13" not in report.answers and "q14" in report.answers
    assert report.definition_key == "skp_monthly" and report.definition_version == DEFINITION.version
    with app.app_context():
        course = db.session.scalars(select(Course)).one()
        assert str(course.contact_start) == "2008-08-20"


def test_invalid_submission_keeps_what_was_typed_and_explains_in_danish(
        app: Flask, client: FlaskClient, worker: str) -> None:
    answers = intake_answers()
    del answers["q3"]
    answers["q47"] = 3
    response = post(client, url(worker, "2008-08"), {**answers, "q26_tid": 95}, "submit")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Der er fejl" in html and 'href="#q3' in html
    assert is_checked(html, "q4", answers["q4"]) and is_checked(html, "q12", answers["q12"])  # nothing lost
    assert stored(app) is None


def test_a_draft_survives_logout_and_login(app: Flask, client: FlaskClient, worker: str) -> None:
    response = post(client, url(worker, "2008-08"), {"q3": 2, "q4": 3}, "save")
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "sara@example.com")
    html = client.get(url(worker, "2008-08")).get_data(as_text=True)
    assert is_checked(html, "q3", 2) and is_checked(html, "q4", 3)
    report = stored(app)
    assert report.status == "draft" and report.answers == {"q3": 2, "q4": 3}


def test_double_submit_stores_one_report(app: Flask, client: FlaskClient, worker: str) -> None:
    path = url(worker, "2008-08")
    state = form_state(client, path)
    first = post(client, path, intake_answers(), "submit", state)
    second = post(client, path, intake_answers(), "submit", state)
    assert first.status_code == 302 and second.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1
        assert db.session.scalar(select(func.count()).select_from(Course)) == 1


def test_two_tabs_never_silently_overwrite_each_other(app: Flask, client: FlaskClient, worker: str) -> None:
    path = url(worker, "2008-08")
    post(client, path, {"q3": 1}, "save")
    tab_a = form_state(client, path)
    tab_b = form_state(client, path)
    assert post(client, path, {"q3": 2}, "save", tab_a).status_code == 302
    conflict = post(client, path, {"q3": 3}, "save", tab_b)
    assert conflict.status_code == 409
    assert "ændret i et andet vindue" in conflict.get_data(as_text=True)
    assert stored(app).answers == {"q3": 2}


def test_autosave_answers_json_with_the_new_version(app: Flask, client: FlaskClient, worker: str) -> None:
    path = url(worker, "2008-08")
    response = post(client, path, {"q3": 1}, "autosave")
    assert response.status_code == 200 and response.json["status"] == "saved"
    state = form_state(client, path)
    assert state["version"] == str(response.json["version"])


def test_another_worker_gets_404_on_the_report(app: Flask, worker: str) -> None:
    other = app.test_client()
    with app.app_context():
        factories.user("skp", email="peter@example.com")
    login(other, "peter@example.com")
    assert other.get(url(worker, "2008-08")).status_code == 404
    token = csrf_token(other, "/")
    assert other.post(url(worker, "2008-08"), data={"csrf_token": token, "action": "save"}).status_code == 404


def test_future_months_and_bad_months_are_404(client: FlaskClient, worker: str) -> None:
    assert client.get(url(worker, "2008-10")).status_code == 404
    assert client.get(url(worker, "2008-13")).status_code == 404
    assert client.get(url(worker, "august")).status_code == 404


def test_monthly_report_after_intake_has_only_del3_and_del4(app: Flask, client: FlaskClient, worker: str) -> None:
    post(client, url(worker, "2008-08"), intake_answers(), "submit")
    html = client.get(url(worker, "2008-09")).get_data(as_text=True)
    assert 'name="q26_tid_timer"' in html and 'name="q30_tid_timer"' in html
    assert 'name="q3"' not in html
    # Del 2 (q20) and Del 7 come with a closing report only: hidden behind the closing question.
    for part in ("del2", "del5", "del6", "del7"):
        assert CLOSING_PART.format(part) in html, part
    assert 'data-key="del3" aria-labelledby' in html


def test_closing_adds_del7_and_closes_the_course(app: Flask, client: FlaskClient, worker: str) -> None:
    post(client, url(worker, "2008-08"), intake_answers(), "submit")
    path = url(worker, "2008-09")
    html = client.get(path).get_data(as_text=True)
    assert 'name="q40"' in html and 'name="q20_1"' in html
    answers = sample_answers(DEFINITION, ["del2", "del3", "del4", "del5", "del6", "del7"],
                             overrides={"q40": "2008-09-25", "q49": 2, "q50": 1, "q51": 1})
    state = {**form_state(client, path), "closing": "1"}
    confirmation = post(client, path, answers, "submit", state)
    # Not yet: a closing report is confirmed first, naming the client and the month.
    assert confirmation.status_code == 200 and stored(app, "2008-09-01") is None
    page = confirmation.get_data(as_text=True)
    assert "Afslut forløbet for K-00001?" in page and "september 2008" in page and "Hund 7" in page
    assert post(client, path, answers, "submit", {**state, "confirm_closing": "1"}).status_code == 302
    with app.app_context():
        course = db.session.scalars(select(Course)).one()
        assert course.status == "closed" and str(course.closing_period) == "2008-09-01"


def test_submitted_report_is_locked_after_the_deadline(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=SEPT_2008)
    client = app.test_client()
    with app.app_context():
        number = factories.client(factories.user("skp", email="sara@example.com"))
    login(client, "sara@example.com")
    post(client, url(number, "2008-08"), intake_answers(), "submit")
    app.config["FIXED_NOW"] = datetime(2008, 9, 16, 8, 0, tzinfo=UTC)
    login(client, "sara@example.com")  # days later: a new login
    response = post(client, url(number, "2008-08"), intake_answers(q3=2), "submit")
    assert response.status_code == 409
    assert "koordinator" in response.get_data(as_text=True)
    assert stored(app).answers["q3"] != 2


def test_audit_events_hold_no_nickname_or_answers(app: Flask, client: FlaskClient, worker: str) -> None:
    post(client, url(worker, "2008-08"), intake_answers(q39="Mormor hedder Grethe"), "submit")
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("report_%"))).all()
        assert {e.action for e in events} >= {"report_viewed", "report_submitted"}
        for event in events:
            text = f"{event.object_id} {event.details}"
            assert "Hund 7" not in text and "Grethe" not in text
            assert event.object_id == f"{worker}/2008-08"


def test_a_timed_out_login_returns_the_worker_to_their_typed_answers(
        app: Flask, client: FlaskClient, worker: str) -> None:
    path = url(worker, "2008-08")
    state = form_state(client, path)
    app.config["FIXED_NOW"] = SEPT_2008.replace(hour=14)  # four hours idle: the login has timed out
    response = post(client, path, {"q3": 2, "q4": 5}, "submit", state)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert stored(app) is None
    relogin = client.post(response.headers["Location"], data={
        "email": "sara@example.com", "password": factories.PASSWORD, "csrf_token": csrf_token(client)})
    assert relogin.headers["Location"] == path
    html = client.get(path).get_data(as_text=True)
    assert "er gemt som kladde" in html
    assert is_checked(html, "q3", 2) and is_checked(html, "q4", 5)
    report = stored(app)
    assert report.status == "draft" and report.answers == {"q3": 2, "q4": 5}
    assert "gemt som kladde" not in client.get(path).get_data(as_text=True)  # restored once only


def test_parked_answers_never_reach_another_account(app: Flask, client: FlaskClient, worker: str) -> None:
    path = url(worker, "2008-08")
    state = form_state(client, path)
    app.config["FIXED_NOW"] = SEPT_2008.replace(hour=14)
    post(client, path, {"q3": 2}, "submit", state)
    with app.app_context():
        factories.user("skp", email="peter@example.com")
    client.post("/login", data={"email": "peter@example.com", "password": factories.PASSWORD,
                                "csrf_token": csrf_token(client)})
    assert client.get(path).status_code == 404
    assert stored(app) is None


def test_a_coordinator_reopens_a_late_report_for_correction(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=SEPT_2008)
    worker_client, coordinator = app.test_client(), app.test_client()
    with app.app_context():
        number = factories.client(factories.user("skp", email="sara@example.com", municipality_name="Esbjerg"))
        factories.user("coordinator", email="tovholder@example.com", municipality_name="Esbjerg")
        factories.user("coordinator", email="odense@example.com", municipality_name="Odense")
    login(worker_client, "sara@example.com")
    post(worker_client, url(number, "2008-08"), intake_answers(), "submit")
    app.config["FIXED_NOW"] = datetime(2008, 9, 20, 8, 0, tzinfo=UTC)

    outsider = app.test_client()
    login(outsider, "odense@example.com")
    assert outsider.get(f"/coordinator/reports/{number}/2008-08").status_code == 404
    token = csrf_token(outsider, "/")
    refused = outsider.post(f"/coordinator/reports/{number}/2008-08/reopen", data={"csrf_token": token})
    assert refused.status_code == 404

    login(coordinator, "tovholder@example.com")
    page = coordinator.get(f"/coordinator/reports/{number}/2008-08").get_data(as_text=True)
    assert "Hund 7" not in page and "Genåbn rapporten" in page
    token = csrf_token(coordinator, f"/coordinator/reports/{number}/2008-08")
    reopened = coordinator.post(f"/coordinator/reports/{number}/2008-08/reopen", data={"csrf_token": token})
    assert reopened.status_code == 302

    login(worker_client, "sara@example.com")
    assert post(worker_client, url(number, "2008-08"), intake_answers(q3=2), "submit").status_code == 302
    report = stored(app)
    assert report.answers["q3"] == 2 and report.reopened_at is None
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert "report_reopened" in actions and actions.index("report_reopened") < actions.index("report_corrected")


def test_failed_visits_before_and_after_must_add_up(app: Flask, client: FlaskClient, worker: str) -> None:
    sections = ["del1", "del2", "del3", "del4", "del5", "del6", "del7"]
    answers = sample_answers(DEFINITION, sections, overrides={"q48": 2, "q49": 5, "q50": 1, "q51": 1})
    path = url(worker, "2008-08")
    closing = {**form_state(client, path), "closing": "1", "confirm_closing": "1"}
    response = post(client, path, answers, "submit", closing)
    assert response.status_code == 422
    assert "skal tilsammen give antallet i spørgsmål 49 (5)" in response.get_data(as_text=True)
    fixed = {**answers, "q51": 4}
    assert post(client, path, fixed, "submit", closing).status_code == 302


def test_q17_is_asked_again_until_a_first_meeting_date_is_given(app: Flask, client: FlaskClient, worker: str) -> None:
    post(client, url(worker, "2008-08"), intake_answers(q17=3), "submit")
    html = client.get(url(worker, "2008-09")).get_data(as_text=True)
    assert 'name="q17"' in html and 'name="q18"' in html and 'name="q3"' not in html
    answers = sample_answers(DEFINITION, ["del3", "del4"], ["q17", "q18"],
                             overrides={"q17": 2, "q17_dato": "2008-09-12"})
    assert "q18" in answers
    assert post(client, url(worker, "2008-09"), answers, "submit").status_code == 302
    app.config["FIXED_NOW"] = datetime(2008, 10, 5, 9, 0, tzinfo=UTC)
    login(client, "sara@example.com")
    html = client.get(url(worker, "2008-10")).get_data(as_text=True)
    assert 'name="q17"' not in html


def test_a_closed_course_is_reopened_with_the_previous_intake_prefilled(
        app: Flask, client: FlaskClient, worker: str) -> None:
    first_intake = intake_answers(q3=2, q4=5)
    post(client, url(worker, "2008-08"), first_intake, "submit")
    closing = sample_answers(DEFINITION, ["del2", "del3", "del4", "del5", "del6", "del7"],
                             overrides={"q40": "2008-09-20", "q41": 7, "q49": 0, "q50": 0, "q51": 0})
    state = {**form_state(client, url(worker, "2008-09")), "closing": "1", "confirm_closing": "1"}
    assert post(client, url(worker, "2008-09"), closing, "submit", state).status_code == 302
    app.config["FIXED_NOW"] = datetime(2008, 11, 3, 9, 0, tzinfo=UTC)
    login(client, "sara@example.com")
    overview = client.get("/skp/reports").get_data(as_text=True)
    assert "Forløbet er udsat" in overview and "Indskrivning for oktober 2008" in overview
    html = client.get(url(worker, "2008-10")).get_data(as_text=True)
    # D20: only the stable facts come along, marked; the rest (and every date) starts empty.
    assert "hentet fra forløb 1" in html
    assert is_checked(html, "q3", 2) and not is_checked(html, "q4", 5)
    assert "20-08-2008" not in html and "2008-08-20" not in html  # the old contact start is not carried
    new_intake = intake_answers(q3=2, q4=5, q16_dato="2008-10-02")
    assert post(client, url(worker, "2008-10"), new_intake, "submit").status_code == 302
    with app.app_context():
        first, second = db.session.scalars(select(Course).order_by(Course.number)).all()
        assert first.status == "postponed" and second.status == "open"
        assert second.reopened_from_id == first.id and second.client_id == first.client_id
    assert client.get(url(worker, "2008-09")).status_code == 200  # the old course's months stay readable
