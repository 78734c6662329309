"""Caseworkers answer a survey wave: start page, drafts, autosave, "Tjek dine svar" before the one
submission, conflicts, closed waves, and nobody but the caseworker ever sees their answers."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from forms import get_definition, to_formdata
from reporting.core.extensions import db
from reporting.core.models import AuditEvent
from reporting.surveys.models import SurveyResponse

import coord_seed
import factories
import survey_seed as seed
from support import csrf_token, login

NOW = coord_seed.at(2026, 12, 1, 10, 0)
END = date(2026, 12, 15)
DEFINITION = get_definition("caseworker")
SECRET_COMMENT = "Min leder Bodil ved ikke noget om koordinering"


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=NOW)


@pytest.fixture
def waves(app: Flask) -> dict[str, int]:
    """Esbjerg Team Nord has an open baseline and Team Syd an open follow-up; Mette is in Nord."""
    with app.app_context():
        nord, syd = seed.unit("Team Nord"), seed.unit("Team Syd")
        seed.caseworker("mette@example.com", "Team Nord")
        seed.caseworker("jonas@example.com", "Team Nord")
        seed.caseworker("sofie@example.com", "Team Syd")
        baseline = seed.wave([nord], "baseline", end=END, title="Baseline 2026")
        followup = seed.wave([syd], "followup", end=END, title="Opfølgning 2026")
        return {"baseline": baseline.id, "followup": followup.id}


def url(wave_id: int) -> str:
    return f"/surveys/{wave_id}"


def form_state(client: FlaskClient, path: str) -> dict[str, str]:
    html = client.get(path).get_data(as_text=True)
    fields = {name: (re.search(rf'name="{name}" value="([^"]*)"', html) or [None, ""])[1]
              for name in ("version", "submission_token")}
    return {**fields, "csrf_token": csrf_token(client, path)}


def post(client: FlaskClient, path: str, answers: dict, action: str, state: dict | None = None):  # type: ignore[no-untyped-def]
    data = {**to_formdata(DEFINITION, answers), **(state or form_state(client, path)), "action": action}
    return client.post(path, data=data)


def review_url(wave_id: int) -> str:
    return f"/surveys/{wave_id}/tjek"


def indsend(client: FlaskClient, wave_id: int, state: dict | None = None):  # type: ignore[no-untyped-def]
    """Press "Indsend" on the review page (with the version and token that page was rendered with)."""
    return client.post(review_url(wave_id), data={**(state or form_state(client, review_url(wave_id))),
                                                  "action": "submit"})


def submit(client: FlaskClient, wave_id: int, answers: dict):  # type: ignore[no-untyped-def]
    """The whole way: "Tjek dine svar" on the form, then "Indsend" on the review page."""
    to_review = post(client, url(wave_id), answers, "review")
    if to_review.status_code != 302 or not to_review.headers["Location"].endswith(review_url(wave_id)):
        return to_review  # missing answers, or nothing may change any more
    return indsend(client, wave_id)


def review_answer(html: str, key: str) -> str:
    """The answer shown for ``key`` on the review page."""
    row = html[html.index(f'data-key="{key}"'):]
    return re.search(r'class="survey-review__answer">([^<]*)<', row)[1]


def is_checked(html: str, name: str, value: object) -> bool:
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return " checked" in tag
    raise AssertionError(f"no input {name}={value}")


def stored(app: Flask, email: str, wave_id: int) -> SurveyResponse | None:
    with app.app_context():
        user = factories.User.by_email(email)
        return db.session.scalar(select(SurveyResponse).where(SurveyResponse.wave_id == wave_id,
                                                              SurveyResponse.user_id == user.id))


def test_the_start_page_shows_the_open_survey(client: FlaskClient, waves: dict[str, int]) -> None:
    login(client, "mette@example.com")
    html = client.get("/").get_data(as_text=True)
    assert "Spørgeskema om koordinering" in html and "Baseline 2026" in html
    assert f'href="/surveys/{waves["baseline"]}"' in html
    assert "Opfølgning 2026" not in html  # another unit's wave


def test_a_draft_then_one_submission(app: Flask, client: FlaskClient, waves: dict[str, int]) -> None:
    login(client, "mette@example.com")
    path = url(waves["baseline"])
    page = client.get(path).get_data(as_text=True)
    assert 'name="b6"' in page and 'name="f1"' not in page  # baseline: B1-B6 and the comment only
    assert post(client, path, {"b1": 4, "b2": 77}, "save").status_code == 302
    draft = stored(app, "mette@example.com", waves["baseline"])
    assert draft.status == "draft" and draft.answers == {"b1": 4, "b2": 77}
    page = client.get(path).get_data(as_text=True)
    assert is_checked(page, "b1", 4) and is_checked(page, "b2", 77) and not is_checked(page, "b3", 4)
    missing = post(client, path, {"b1": 4}, "review")  # not everything answered: no review page yet
    assert missing.status_code == 422
    assert "Der er fejl i skemaet" in missing.get_data(as_text=True)
    assert stored(app, "mette@example.com", waves["baseline"]).status == "draft"
    answers = seed.answers("baseline", 3, kommentar=SECRET_COMMENT, f1=5)
    assert post(client, path, answers, "review").status_code == 302
    state = form_state(client, review_url(waves["baseline"]))
    assert indsend(client, waves["baseline"], state).status_code == 302
    done = stored(app, "mette@example.com", waves["baseline"])
    assert done.status == "submitted" and done.submitted_at == NOW
    assert "f1" not in done.answers and done.answers["kommentar"] == SECRET_COMMENT  # follow-up items dropped
    replay = indsend(client, waves["baseline"], state)  # a double click: the same token again
    assert replay.status_code == 302 and replay.headers["Location"].endswith("/surveys")
    again = submit(client, waves["baseline"], seed.answers("baseline", 5))  # a new attempt: nothing changes
    assert again.status_code == 302
    assert stored(app, "mette@example.com", waves["baseline"]).answers["b1"] == 3
    view = client.get(path).get_data(as_text=True)
    assert "Du har indsendt dine svar" in view and SECRET_COMMENT in view and 'id="survey-form"' not in view
    assert client.get(review_url(waves["baseline"])).status_code == 302  # nothing left to review
    with app.app_context():
        count = db.session.scalar(select(db.func.count()).select_from(SurveyResponse))
    assert count == 1


def test_answers_are_submitted_only_by_indsend_on_the_review_page(app: Flask, client: FlaskClient,
                                                                  waves: dict[str, int]) -> None:
    login(client, "mette@example.com")
    wave_id = waves["baseline"]
    answers = seed.answers("baseline", 4, b2=77, kommentar="Godt samarbejde")
    to_review = post(client, url(wave_id), answers, "review")
    assert to_review.status_code == 302 and to_review.headers["Location"].endswith(review_url(wave_id))
    assert stored(app, "mette@example.com", wave_id).status == "draft"  # checked, not submitted
    review = client.get(review_url(wave_id)).get_data(as_text=True)
    assert "<h1>Tjek dine svar</h1>" in review and "Godt samarbejde" in review and "Ved ikke" in review
    assert review.count(">Ret<span") == len(seed.B_ITEMS) + 1  # one per question, the comment included
    assert f'href="/surveys/{wave_id}#b2-0"' in review and f'href="/surveys/{wave_id}#kommentar"' in review
    # "Ret" goes back to the form with every answer kept; a changed answer is checked again
    form = client.get(url(wave_id)).get_data(as_text=True)
    assert is_checked(form, "b1", 4) and is_checked(form, "b2", 77) and "Godt samarbejde" in form
    assert stored(app, "mette@example.com", wave_id).status == "draft"
    assert post(client, url(wave_id), {**answers, "b1": 2}, "review").status_code == 302
    assert review_answer(client.get(review_url(wave_id)).get_data(as_text=True), "b1") == "Dårligt"
    assert stored(app, "mette@example.com", wave_id).status == "draft"
    done = indsend(client, wave_id)
    assert done.status_code == 302 and done.headers["Location"].endswith("/surveys")
    submitted = stored(app, "mette@example.com", wave_id)
    assert submitted.status == "submitted" and submitted.answers["b1"] == 2 and submitted.answers["b2"] == 77
    assert "Tak. Dine svar er indsendt." in client.get("/surveys").get_data(as_text=True)


def test_the_old_submit_button_only_leads_to_the_review(app: Flask, client: FlaskClient,
                                                        waves: dict[str, int]) -> None:
    """A page rendered before the review step (or a parked post) still says action=submit."""
    login(client, "mette@example.com")
    response = post(client, url(waves["baseline"]), seed.answers("baseline", 4), "submit")
    assert response.status_code == 302 and response.headers["Location"].endswith(review_url(waves["baseline"]))
    assert stored(app, "mette@example.com", waves["baseline"]).status == "draft"


def test_the_review_page_needs_a_complete_draft(app: Flask, client: FlaskClient, waves: dict[str, int]) -> None:
    login(client, "mette@example.com")
    wave_id = waves["baseline"]
    assert client.get(review_url(wave_id)).headers["Location"].endswith(url(wave_id))  # nothing stored yet
    post(client, url(wave_id), {"b1": 4}, "save")
    assert client.get(review_url(wave_id)).status_code == 302
    refused = client.post(review_url(wave_id), data={**form_state(client, url(wave_id)), "action": "submit"})
    assert refused.status_code == 302 and stored(app, "mette@example.com", wave_id).status == "draft"
    assert client.post(review_url(wave_id), data={"csrf_token": csrf_token(client, "/"), "action": "x"}
                       ).status_code == 400


def test_indsend_after_a_change_in_another_tab_shows_the_review_again(app: Flask, client: FlaskClient,
                                                                      waves: dict[str, int]) -> None:
    login(client, "mette@example.com")
    wave_id = waves["baseline"]
    post(client, url(wave_id), seed.answers("baseline", 4), "review")
    reviewed = form_state(client, review_url(wave_id))
    post(client, url(wave_id), seed.answers("baseline", 1), "save")  # the other tab
    response = indsend(client, wave_id, reviewed)
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and "ændret i et andet vindue" in body and "Tjek dine svar" in body
    assert "Meget dårligt" in body  # the answers as they are stored now
    assert stored(app, "mette@example.com", wave_id).status == "draft"
    assert indsend(client, wave_id).status_code == 302
    assert stored(app, "mette@example.com", wave_id).answers["b1"] == 1


def autosave(client: FlaskClient, wave_id: int, answers: dict, version: str):  # type: ignore[no-untyped-def]
    data = {**to_formdata(DEFINITION, answers), "version": version, "action": "autosave",
            "csrf_token": csrf_token(client, url(wave_id))}
    return client.post(url(wave_id), data=data, headers={"X-Requested-With": "fetch"})


def test_autosave_stores_a_draft_and_answers_with_json(app: Flask, client: FlaskClient,
                                                       waves: dict[str, int]) -> None:
    login(client, "mette@example.com")
    wave_id = waves["baseline"]
    page = client.get(url(wave_id)).get_data(as_text=True)
    assert 'data-autosave="on"' in page and "surveys/survey-form.js" in page
    first = autosave(client, wave_id, {"b1": 3}, "")
    assert first.status_code == 200 and first.json["status"] == "saved"
    draft = stored(app, "mette@example.com", wave_id)
    assert draft.status == "draft" and draft.answers == {"b1": 3} and first.json["version"] == draft.version
    second = autosave(client, wave_id, {"b1": 3, "b2": 5}, str(first.json["version"]))
    assert second.status_code == 200 and second.json["version"] > first.json["version"]
    stale = autosave(client, wave_id, {"b1": 1}, str(first.json["version"]))  # another tab saved since
    assert stale.status_code == 409 and stale.json["status"] == "conflict"
    assert stale.json["version"] == second.json["version"]
    assert stored(app, "mette@example.com", wave_id).answers == {"b1": 3, "b2": 5}
    assert stored(app, "mette@example.com", wave_id).status == "draft"  # autosave never submits


def test_autosave_after_submission_or_closing_stores_nothing(make_app, waves: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=NOW)
    client = app.test_client()
    login(client, "mette@example.com")
    wave_id = waves["baseline"]
    submit(client, wave_id, seed.answers("baseline", 4))
    version = str(stored(app, "mette@example.com", wave_id).version)
    refused = autosave(client, wave_id, seed.answers("baseline", 1), version)
    assert refused.status_code == 409 and refused.json["status"] == "closed"
    assert stored(app, "mette@example.com", wave_id).answers["b1"] == 4


def test_the_follow_up_asks_the_four_added_items(app: Flask, client: FlaskClient, waves: dict[str, int]) -> None:
    login(client, "sofie@example.com")
    path = url(waves["followup"])
    page = client.get(path).get_data(as_text=True)
    assert all(f'name="{key}"' in page for key in ("b1", "b6", "f1", "f4"))
    assert post(client, path, seed.answers("baseline", 4), "review").status_code == 422  # F1-F4 missing
    assert submit(client, waves["followup"], seed.answers("followup", 4)).status_code == 302
    assert stored(app, "sofie@example.com", waves["followup"]).answers["f4"] == 4


def test_two_tabs_never_overwrite_each_other(app: Flask, client: FlaskClient, waves: dict[str, int]) -> None:
    login(client, "mette@example.com")
    path = url(waves["baseline"])
    post(client, path, {"b1": 2}, "save")
    first_tab, second_tab = form_state(client, path), form_state(client, path)
    assert post(client, path, {"b1": 5}, "save", first_tab).status_code == 302
    conflict = post(client, path, {"b1": 1}, "save", second_tab)
    assert conflict.status_code == 409 and "ændret i et andet vindue" in conflict.get_data(as_text=True)
    assert stored(app, "mette@example.com", waves["baseline"]).answers == {"b1": 5}


def test_after_the_end_date_the_wave_is_read_only(make_app, waves: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    early = make_app(FIXED_NOW=NOW)
    client = early.test_client()
    login(client, "mette@example.com")
    path = url(waves["baseline"])
    post(client, path, {"b1": 2}, "save")
    late = make_app(FIXED_NOW=coord_seed.at(2026, 12, 16, 0, 5))  # the end date (15 Dec) has passed
    client = late.test_client()
    login(client, "mette@example.com")
    page = client.get(path).get_data(as_text=True)
    assert "Målingen er lukket, og dine svar blev ikke indsendt" in page and 'id="survey-form"' not in page
    refused = post(client, path, seed.answers("baseline", 4), "review", {"csrf_token": csrf_token(client, "/")})
    assert refused.status_code == 302
    assert client.post(review_url(waves["baseline"]), data={"csrf_token": csrf_token(client, "/"),
                                                            "action": "submit"}).status_code == 302
    assert stored(late, "mette@example.com", waves["baseline"]).status == "draft"
    assert "Baseline 2026" not in client.get("/").get_data(as_text=True)  # gone from the start page
    assert "Tidligere målinger" in client.get("/surveys").get_data(as_text=True)


def test_a_caseworker_never_sees_another_caseworkers_answers(app: Flask, waves: dict[str, int]) -> None:
    mette, jonas, sofie = app.test_client(), app.test_client(), app.test_client()
    login(mette, "mette@example.com")
    path = url(waves["baseline"])
    assert submit(mette, waves["baseline"], seed.answers("baseline", 2, kommentar=SECRET_COMMENT)).status_code == 302
    login(jonas, "jonas@example.com")  # same unit, same wave
    page = jonas.get(path).get_data(as_text=True)
    assert SECRET_COMMENT not in page and "Ikke påbegyndt" in page and " checked" not in page
    assert SECRET_COMMENT not in jonas.get("/surveys").get_data(as_text=True)
    login(sofie, "sofie@example.com")  # another unit: the wave does not exist for her
    assert sofie.get(path).status_code == 404
    assert sofie.get(review_url(waves["baseline"])).status_code == 404
    assert post(sofie, path, seed.answers("baseline", 5), "save", {"csrf_token": csrf_token(sofie, "/")}
                ).status_code == 404
    assert stored(app, "mette@example.com", waves["baseline"]).answers["b1"] == 2


def test_coordinators_and_the_audit_log_never_see_answers(app: Flask, client: FlaskClient,
                                                           waves: dict[str, int]) -> None:
    login(client, "mette@example.com")
    submit(client, waves["baseline"], seed.answers("baseline", 4, kommentar=SECRET_COMMENT))
    with app.app_context():
        factories.user("coordinator", email="tovholder@example.com")
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("survey_%"))).all()
        assert {e.action for e in events} == {"survey_response_saved", "survey_response_submitted"}
        assert all(set(e.details) <= {"wave_id"} for e in events)
    coordinator = app.test_client()
    login(coordinator, "tovholder@example.com")
    assert coordinator.get(url(waves["baseline"])).status_code == 403
    for path in ("/coordinator/surveys", f"/coordinator/surveys/{waves['baseline']}",
                 f"/coordinator/surveys/{waves['baseline']}/results"):
        html = coordinator.get(path).get_data(as_text=True)
        assert SECRET_COMMENT not in html, path


def test_typing_after_the_login_timed_out_is_kept_as_a_draft(make_app, waves: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=NOW, IDLE_TIMEOUT_MINUTES=30)
    client = app.test_client()
    login(client, "mette@example.com")
    path = url(waves["baseline"])
    state = form_state(client, path)
    app.config["FIXED_NOW"] = coord_seed.at(2026, 12, 1, 11, 0)  # an hour later
    parked = post(client, path, {"b1": 5, "b2": 4}, "submit", state)
    assert parked.status_code == 302 and "/login" in parked.headers["Location"]
    login(client, "mette@example.com")
    page = client.get(path).get_data(as_text=True)
    assert "gemt som kladde" in page
    draft = stored(app, "mette@example.com", waves["baseline"])
    assert draft.status == "draft" and draft.answers == {"b1": 5, "b2": 4}
