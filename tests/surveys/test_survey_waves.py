"""Coordinators open, close, extend and reopen survey waves within their scope, follow participation
and send reminders through the mail outbox."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from reporting.core.extensions import db
from reporting.core.models import AuditEvent, OutboxMail, Unit, User
from reporting.surveys.models import SurveyWave

import coord_seed
import factories
import survey_seed as seed
from support import login, post_form

NOW = coord_seed.at(2026, 12, 1, 10, 0)


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=NOW)


@pytest.fixture
def org(app: Flask) -> dict[str, int]:
    """Esbjerg: Team Nord (6 caseworkers) and Team Syd (2); Odense: Team Øst (1). Two coordinators."""
    with app.app_context():
        ids = {"nord": seed.unit("Team Nord").id, "syd": seed.unit("Team Syd").id,
               "odense": seed.unit("Team Øst", "Odense").id}
        for n in range(6):
            seed.caseworker(f"nord{n}@example.com", "Team Nord")
        seed.caseworker("syd0@example.com", "Team Syd")
        seed.caseworker("syd1@example.com", "Team Syd")
        seed.caseworker("odense0@example.com", "Team Øst", "Odense")
        factories.user("skp", email="skp@example.com", unit_name="Team Nord")  # not a caseworker: never invited
        factories.user("coordinator", email="tovholder@example.com")
        factories.user("coordinator", email="odense@example.com", municipality_name="Odense")
        return ids


@pytest.fixture
def coordinator(client: FlaskClient, org: dict[str, int]) -> FlaskClient:
    login(client, "tovholder@example.com")
    return client


def open_form(units: list[int], *, kind: str = "baseline", title: str = "Baseline 2026", end: str = "2026-12-15",
              baseline: int = 0) -> dict[str, object]:
    return {"kind": kind, "title": title, "end_date": end, "units": [str(u) for u in units], "baseline": str(baseline)}


def only_wave(app: Flask, title: str) -> SurveyWave:
    with app.app_context():
        return db.session.scalar(select(SurveyWave).where(SurveyWave.title == title))


def test_opening_a_wave_for_chosen_units(app: Flask, coordinator: FlaskClient, org: dict[str, int]) -> None:
    page = coordinator.get("/coordinator/surveys/new").get_data(as_text=True)
    assert "Esbjerg – Team Nord" in page and "Team Øst" not in page  # only units of the scope
    response = post_form(coordinator, "/coordinator/surveys/new", open_form([org["nord"]]))
    assert response.status_code == 302
    wave = only_wave(app, "Baseline 2026")
    assert wave.kind == "baseline" and wave.end_date == date(2026, 12, 15) and wave.opened_at == NOW
    assert wave.unit_ids == {org["nord"]} and wave.municipality_id is not None and wave.closed_at is None
    nord = app.test_client()
    login(nord, "nord0@example.com")
    assert "Baseline 2026" in nord.get("/").get_data(as_text=True)
    syd = app.test_client()
    login(syd, "syd0@example.com")
    assert "Baseline 2026" not in syd.get("/").get_data(as_text=True)
    assert syd.get(f"/surveys/{wave.id}").status_code == 404


@pytest.mark.parametrize(("form", "message"), [
    ({"end_date": "2026-11-30"}, "Slutdatoen må ikke ligge før i dag."),
    ({"end_date": "31-02-2027"}, "Skriv datoen som dd-mm-åååå"),
    ({"units": []}, "Vælg mindst én enhed."),
    ({"title": ""}, "Giv målingen et navn"),
])
def test_opening_refuses_bad_input(app: Flask, coordinator: FlaskClient, org: dict[str, int], form: dict,
                                   message: str) -> None:
    response = post_form(coordinator, "/coordinator/surveys/new", {**open_form([org["nord"]]), **form})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert only_wave(app, "Baseline 2026") is None


def test_a_unit_is_in_one_open_wave_at_a_time(app: Flask, coordinator: FlaskClient, org: dict[str, int]) -> None:
    post_form(coordinator, "/coordinator/surveys/new", open_form([org["nord"]]))
    second = post_form(coordinator, "/coordinator/surveys/new",
                       open_form([org["nord"], org["syd"]], title="Endnu en"))
    assert "Der er allerede en åben måling for: Team Nord" in second.get_data(as_text=True)
    assert only_wave(app, "Endnu en") is None


def test_units_outside_the_scope_cannot_be_chosen(app: Flask, coordinator: FlaskClient, org: dict[str, int]) -> None:
    response = post_form(coordinator, "/coordinator/surveys/new", open_form([org["odense"]]))
    assert response.status_code == 200 and only_wave(app, "Baseline 2026") is None


def test_waves_of_another_municipality_are_404(app: Flask, org: dict[str, int]) -> None:
    with app.app_context():
        wave = seed.wave([db.session.get(Unit, org["nord"])], end=date(2026, 12, 15))
    odense = app.test_client()
    login(odense, "odense@example.com")
    for path in (f"/coordinator/surveys/{wave.id}", f"/coordinator/surveys/{wave.id}/results"):
        assert odense.get(path).status_code == 404
    for action in ("close", "remind", "end-date"):
        assert post_form(odense, f"/coordinator/surveys/{wave.id}/{action}", {"end_date": "2027-01-01"}
                         ).status_code == 404
    assert "Baseline" not in odense.get("/coordinator/surveys").get_data(as_text=True)
    assert only_wave(app, wave.title).closed_at is None


def test_closing_early_extending_and_reopening(app: Flask, coordinator: FlaskClient, org: dict[str, int]) -> None:
    post_form(coordinator, "/coordinator/surveys/new", open_form([org["nord"]]))
    wave = only_wave(app, "Baseline 2026")
    base = f"/coordinator/surveys/{wave.id}"
    assert post_form(coordinator, f"{base}/end-date", {"end_date": "20-12-2026"}).status_code == 302  # extend
    assert only_wave(app, "Baseline 2026").end_date == date(2026, 12, 20)
    assert post_form(coordinator, f"{base}/close").status_code == 302
    closed = only_wave(app, "Baseline 2026")
    assert closed.closed_at == NOW and not closed.is_open(NOW)
    assert "Lukket før tid" in coordinator.get(base).get_data(as_text=True)
    caseworker = app.test_client()
    login(caseworker, "nord0@example.com")
    assert "Målingen er lukket" in caseworker.get(f"/surveys/{wave.id}").get_data(as_text=True)
    # While it is closed another wave may ask the unit; then reopening it is refused.
    post_form(coordinator, "/coordinator/surveys/new", open_form([org["nord"]], title="Anden måling"))
    refused = post_form(coordinator, f"{base}/end-date", {"end_date": "2027-01-10"})
    assert refused.status_code == 422 and "Der er allerede en åben måling" in refused.get_data(as_text=True)
    post_form(coordinator, f"/coordinator/surveys/{only_wave(app, 'Anden måling').id}/close")
    assert post_form(coordinator, f"{base}/end-date", {"end_date": "2027-01-10"}).status_code == 302
    reopened = only_wave(app, "Baseline 2026")
    assert reopened.closed_at is None and reopened.end_date == date(2027, 1, 10) and reopened.is_open(NOW)
    assert "Baseline 2026" in caseworker.get("/").get_data(as_text=True)
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
                   if e.object_type == "survey_wave" and e.object_id == str(wave.id)]
    assert actions == ["survey_wave_opened", "survey_wave_end_date_changed", "survey_wave_closed",
                       "survey_wave_reopened"]


def test_a_past_end_date_is_refused_and_a_closed_wave_cannot_be_closed_again(
        app: Flask, coordinator: FlaskClient, org: dict[str, int]) -> None:
    with app.app_context():
        wave = seed.wave([db.session.get(Unit, org["nord"])], end=date(2026, 11, 30))  # ended yesterday
    assert "Afsluttet" in coordinator.get("/coordinator/surveys").get_data(as_text=True)
    response = post_form(coordinator, f"/coordinator/surveys/{wave.id}/end-date", {"end_date": "2026-11-30"})
    assert response.status_code == 422 and "Slutdatoen må ikke ligge før i dag." in response.get_data(as_text=True)
    post_form(coordinator, f"/coordinator/surveys/{wave.id}/close")
    assert only_wave(app, wave.title).closed_at is None  # nothing to close: it has ended


def participation_row(html: str, unit_id: int) -> str:
    start = html.index(f'data-unit="{unit_id}"')
    return html[start:html.index("</tr>", start)]


def test_participation_counts_and_names_only_for_units_of_five(app: Flask, coordinator: FlaskClient,
                                                               org: dict[str, int]) -> None:
    with app.app_context():
        units = [db.session.get(Unit, org["nord"]), db.session.get(Unit, org["syd"])]
        wave = seed.wave(units, end=date(2026, 12, 15))
        wave_id = wave.id
        users = {u.email: u for u in db.session.scalars(select(User))}
        seed.response(wave, users["nord0@example.com"], seed.answers("baseline", 4))
        seed.response(wave, users["nord1@example.com"], {"b1": 2}, submitted=False)
        seed.response(wave, users["syd0@example.com"], seed.answers("baseline", 5))
        users["nord5@example.com"].name = "Ulla Uden Svar"
        users["syd1@example.com"].name = "Svend Syd"
        db.session.commit()
    html = coordinator.get(f"/coordinator/surveys/{wave_id}").get_data(as_text=True)
    nord = participation_row(html, org["nord"])
    assert 'data-count="invited">6<' in nord and 'data-count="submitted">1<' in nord
    assert 'data-count="drafts">1<' in nord and 'data-count="not_started">4<' in nord
    assert "Ulla Uden Svar" in nord
    syd = participation_row(html, org["syd"])
    assert 'data-count="invited">2<' in syd and 'data-count="submitted">1<' in syd
    assert "Svend Syd" not in html and "Vises ikke" in syd


def test_reminders_go_to_those_who_have_not_submitted(app: Flask, coordinator: FlaskClient,
                                                      org: dict[str, int]) -> None:
    with app.app_context():
        wave = seed.wave([db.session.get(Unit, org["syd"])], end=date(2026, 12, 15), title="Baseline Syd")
        seed.response(wave, User.by_email("syd0@example.com"), seed.answers("baseline", 4))
    wave = only_wave(app, "Baseline Syd")
    assert post_form(coordinator, f"/coordinator/surveys/{wave.id}/remind").status_code == 302
    with app.app_context():
        mails = db.session.scalars(select(OutboxMail)).all()
        assert [m.recipient for m in mails] == ["syd1@example.com"]
        assert f"/surveys/{wave.id}" in mails[0].body and "15. december 2026" in mails[0].body
        assert db.session.get(SurveyWave, wave.id).reminded_at == NOW
    again = post_form(coordinator, f"/coordinator/surveys/{wave.id}/remind", follow_redirects=True)
    assert "for mindre end en time siden" in again.get_data(as_text=True)
    post_form(coordinator, f"/coordinator/surveys/{wave.id}/close")
    with app.app_context():
        db.session.execute(update(SurveyWave).where(SurveyWave.id == wave.id).values(reminded_at=None))
        db.session.commit()
    closed = post_form(coordinator, f"/coordinator/surveys/{wave.id}/remind", follow_redirects=True)
    assert "Målingen er lukket" in closed.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(OutboxMail)) == 1


def test_no_reminder_when_everyone_has_submitted(app: Flask, coordinator: FlaskClient, org: dict[str, int]) -> None:
    with app.app_context():
        wave = seed.wave([db.session.get(Unit, org["syd"])], end=date(2026, 12, 15), title="Baseline Syd")
        for email in ("syd0@example.com", "syd1@example.com"):
            seed.response(wave, User.by_email(email), seed.answers("baseline", 4))
    page = coordinator.get(f"/coordinator/surveys/{wave.id}").get_data(as_text=True)
    button = re.search(r'<button[^>]*id="remind-button"[^>]*>', page)[0]
    assert " disabled" in button and 'aria-describedby="remind-none"' in button
    assert "ingen at minde" in page and f'action="/coordinator/surveys/{wave.id}/remind"' not in page
    refused = post_form(coordinator, f"/coordinator/surveys/{wave.id}/remind", follow_redirects=True)
    assert "ingen at sende en påmindelse til" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(OutboxMail)) == 0
        assert db.session.get(SurveyWave, wave.id).reminded_at is None
        assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "survey_reminder_sent")).all()


def test_the_wave_page_offers_the_reminder_with_its_count_and_danish_dates(
        app: Flask, coordinator: FlaskClient, org: dict[str, int]) -> None:
    with app.app_context():
        wave = seed.wave([db.session.get(Unit, org["syd"])], end=date(2026, 12, 15), title="Baseline Syd",
                         opened_at=NOW)
    page = coordinator.get(f"/coordinator/surveys/{wave.id}").get_data(as_text=True)
    button = re.search(r'<button[^>]*id="remind-button"[^>]*>([^<]*)<', page)
    assert " disabled" not in button[0] and button[1] == "Send påmindelse til 2"
    assert "15. december 2026" in page and "1. december 2026 kl. 10.00" in page  # one date format
    assert not re.search(r"\d\d\.\d\d\.\d{4}", page) and 'type="date"' not in page
