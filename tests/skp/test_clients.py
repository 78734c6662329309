"""A worker's clients: create, list, search, detail; ownership, roles, system numbers, audit, storage."""

from __future__ import annotations

import html
import json
from datetime import UTC, date, datetime

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from reporting.core.extensions import db
from reporting.core.models import AuditEvent, User
from reporting.core.schedule import Period
from reporting.skp.clients import MSG_DUPLICATE, create_client, start_course
from reporting.skp.models import Client, ClientNumber, Course, Report
from reporting.skp.nicknames import MSG_CPR, MSG_FULL_NAME, MSG_PHONE

import factories
from support import login, post_form

NEW = "/skp/clients/new"


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def worker(app: Flask) -> int:
    """The id of the worker ``skp@example.com``."""
    with app.app_context():
        return factories.user("skp", email="skp@example.com").id


@pytest.fixture
def web(app: Flask, worker: int) -> FlaskClient:
    """A browser logged in as the worker ``skp@example.com``."""
    browser = app.test_client()
    assert login(browser, "skp@example.com").status_code == 302
    return browser


def add_client(app: Flask, email: str, nickname: str) -> str:
    """A client of the user ``email``; returns its system number."""
    with app.app_context():
        owner = User.by_email(email)
        assert owner is not None
        number = create_client(owner.id, nickname).system_number
        db.session.commit()
        return number


def logged_in(app: Flask, role: str, email: str) -> FlaskClient:
    with app.app_context():
        factories.user(role, email=email)
    browser = app.test_client()
    assert login(browser, email).status_code == 302
    return browser


def client_routes(app: Flask, system_number: str) -> list[tuple[str, str, set[str]]]:
    """(endpoint, URL, methods) of every route of the clients blueprint that names a client."""
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("clients.") and "system_number" in rule.arguments:
                unknown = rule.arguments - {"system_number"}
                assert not unknown, f"add sample values for {unknown} of {rule.endpoint} to this test"
                routes.append((rule.endpoint, url_for(rule.endpoint, system_number=system_number),
                               set(rule.methods or ()) - {"HEAD", "OPTIONS"}))
    assert routes
    return routes


# --------------------------------------------------------------------------------------------
# Create
# --------------------------------------------------------------------------------------------


def test_a_worker_creates_a_client_and_sees_its_system_number(app: Flask, web: FlaskClient, worker: int) -> None:
    response = post_form(web, NEW, {"nickname": "  Hund   7 "})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/skp/clients/K-00001")
    page = text_of(web.get(response.headers["Location"]))
    assert "Klienten er oprettet med systemnummeret K-00001." in page
    assert "Hund 7" in page and "Kontaktforløb" in page
    with app.app_context():
        stored = db.session.scalar(select(Client))
        assert (stored.system_number, stored.nickname, stored.worker_id) == ("K-00001", "Hund 7", worker)


def test_new_client_page_explains_the_nickname(web: FlaskClient) -> None:
    page = text_of(web.get(NEW))
    assert "Kaldenavn" in page and "Skriv aldrig klientens navn, CPR-nummer" in page
    assert 'autocomplete="off"' in page
    assert "style=" not in page and "<script>" not in page


def test_cpr_number_is_refused_with_the_message_and_the_input_kept(app: Flask, web: FlaskClient) -> None:
    response = post_form(web, NEW, {"nickname": "Kim 010190-1234"})
    page = text_of(response)
    assert response.status_code == 400
    assert MSG_CPR in page and "Der er fejl i formularen" in page
    assert 'value="Kim 010190-1234"' in page
    with app.app_context():
        assert db.session.scalar(select(Client)) is None


def test_phone_number_is_refused(web: FlaskClient) -> None:
    response = post_form(web, NEW, {"nickname": "+45 12 34 56 78"})
    assert response.status_code == 400 and MSG_PHONE in text_of(response)


def test_empty_nickname_is_refused(web: FlaskClient) -> None:
    response = post_form(web, NEW, {"nickname": "   "})
    assert response.status_code == 400 and "Skriv et kaldenavn." in text_of(response)


def test_duplicate_nickname_is_refused_also_in_another_case(app: Flask, web: FlaskClient) -> None:
    add_client(app, "skp@example.com", "Blå bil")
    for attempt in ("Blå bil", "BLÅ BIL"):
        response = post_form(web, NEW, {"nickname": attempt})
        assert response.status_code == 400
        assert MSG_DUPLICATE in text_of(response)
    with app.app_context():
        assert len(db.session.scalars(select(Client)).all()) == 1


def test_another_worker_may_use_the_same_nickname(app: Flask, web: FlaskClient) -> None:
    other = logged_in(app, "skp", "other@example.com")
    add_client(app, "skp@example.com", "Hund 7")
    assert post_form(other, NEW, {"nickname": "Hund 7"}).status_code == 302


def test_the_database_refuses_a_duplicate_nickname_of_one_worker(app: Flask, worker: int) -> None:
    with app.app_context():
        db.session.add(ClientNumber())
        db.session.add_all([Client(system_number="K-90001", worker_id=worker, nickname="Hund"),
                            Client(system_number="K-90002", worker_id=worker, nickname="Hund")])
        with pytest.raises(IntegrityError):
            db.session.commit()


def test_full_name_warns_and_needs_the_confirmation(app: Flask, web: FlaskClient) -> None:
    first = post_form(web, NEW, {"nickname": "Jens Hansen"})
    page = text_of(first)
    assert first.status_code == 200
    assert MSG_FULL_NAME in page and "Ja, brug kaldenavnet alligevel" in page
    assert 'name="warned_nickname" type="hidden" value="Jens Hansen"' in page
    assert 'value="Jens Hansen"' in page  # the input is kept

    # The confirmation counts only for the nickname it was given for.
    changed = post_form(web, NEW, {"nickname": "Mette Holm", "confirm_name": "y", "warned_nickname": "Jens Hansen"})
    assert changed.status_code == 200 and MSG_FULL_NAME in text_of(changed)
    unticked = post_form(web, NEW, {"nickname": "Jens Hansen", "warned_nickname": "Jens Hansen"})
    assert unticked.status_code == 200 and MSG_FULL_NAME in text_of(unticked)
    with app.app_context():
        assert db.session.scalar(select(Client)) is None

    confirmed = post_form(web, NEW, {"nickname": "Jens Hansen", "confirm_name": "y", "warned_nickname": "Jens Hansen"})
    assert confirmed.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Client.nickname)) == "Jens Hansen"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "client_created"))
        assert event.details == {"name_warning_confirmed": True}


def test_new_client_post_needs_the_csrf_token(web: FlaskClient) -> None:
    assert web.post(NEW, data={"nickname": "Hund 7"}).status_code == 400


# --------------------------------------------------------------------------------------------
# List, search, detail
# --------------------------------------------------------------------------------------------


def test_the_list_shows_only_the_workers_own_clients(app: Flask, web: FlaskClient) -> None:
    logged_in(app, "skp", "other@example.com")
    mine = add_client(app, "skp@example.com", "Hund 7")
    theirs = add_client(app, "other@example.com", "Kat 3")
    page = text_of(web.get("/skp/clients"))
    assert mine in page and "Hund 7" in page
    assert theirs not in page and "Kat 3" not in page


def test_the_list_shows_the_course_status(app: Flask, web: FlaskClient) -> None:
    number = add_client(app, "skp@example.com", "Hund 7")
    assert "Ikke startet" in text_of(web.get("/skp/clients"))
    with app.app_context():
        start_course(db.session.scalar(select(Client).where(Client.system_number == number)), Period(2026, 1))
        db.session.commit()
    assert "Åbent" in text_of(web.get("/skp/clients"))


def test_an_empty_list_says_so(web: FlaskClient) -> None:
    page = text_of(web.get("/skp/clients"))
    assert "Du har ingen klienter endnu." in page and "Opret klient" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hund", {"Hund 7"}),
        ("BLÅ", {"blå bil"}),
        ("K-00002", {"blå bil"}),
        ("k2", {"blå bil"}),
        ("2", {"blå bil"}),  # part of K-00002
        ("7", {"Hund 7"}),
        ("", {"Hund 7", "blå bil", "Kat"}),
    ],
)
def test_search_by_nickname_or_number(app: Flask, web: FlaskClient, query: str, expected: set[str]) -> None:
    logged_in(app, "skp", "other@example.com")
    for nickname in ("Hund 7", "blå bil", "Kat"):
        add_client(app, "skp@example.com", nickname)
    add_client(app, "other@example.com", "Hund 8")  # never found by another worker's search
    page = text_of(post_form(web, "/skp/clients", {"q": query}))
    shown = {name for name in ("Hund 7", "blå bil", "Kat", "Hund 8") if f"<td>{name}</td>" in page}
    assert shown == expected


def test_search_without_match_says_so(app: Flask, web: FlaskClient) -> None:
    add_client(app, "skp@example.com", "Hund 7")
    page = text_of(post_form(web, "/skp/clients", {"q": "zebra"}))
    assert "Ingen af dine klienter passer på søgningen." in page


def test_detail_shows_the_courses(app: Flask, web: FlaskClient) -> None:
    number = add_client(app, "skp@example.com", "Hund 7")
    with app.app_context():
        client = db.session.scalar(select(Client).where(Client.system_number == number))
        first = start_course(client, Period(2026, 1))
        first.status, first.closing_period = "postponed", date(2026, 3, 1)
        start_course(client, Period(2026, 5), reopened_from=first)
        db.session.commit()
    page = text_of(web.get(f"/skp/clients/{number}"))
    assert "Udsat" in page and "januar 2026" in page and "marts 2026" in page
    assert "Åbent" in page and "maj 2026" in page and "genåbnet efter forløb 1" in page
    assert "style=" not in page and "<script>" not in page


def test_navigation_offers_my_clients_to_workers_only(app: Flask, web: FlaskClient) -> None:
    assert "Mine klienter" in text_of(web.get("/"))
    coordinator = logged_in(app, "coordinator", "koordinator@example.com")
    assert "Mine klienter" not in text_of(coordinator.get("/"))


# --------------------------------------------------------------------------------------------
# Ownership and roles
# --------------------------------------------------------------------------------------------


def test_another_workers_client_is_not_found_on_every_client_route(app: Flask, web: FlaskClient) -> None:
    other = logged_in(app, "skp", "other@example.com")
    theirs = add_client(app, "other@example.com", "Kat 3")
    for endpoint, url, methods in client_routes(app, theirs):
        if "GET" in methods:
            assert web.get(url).status_code == 404, endpoint
            assert other.get(url).status_code == 200, endpoint
        if "POST" in methods:
            assert post_form(web, url, {}).status_code == 404, endpoint
    assert "Kat 3" not in text_of(web.get(f"/skp/clients/{theirs}"))


@pytest.mark.parametrize("number", ["K-00099", "k-00001", "x", "K-1"])
def test_unknown_system_numbers_are_not_found(app: Flask, web: FlaskClient, number: str) -> None:
    add_client(app, "skp@example.com", "Hund 7")
    assert web.get(f"/skp/clients/{number}").status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "caseworker", "admin"])
def test_other_roles_are_refused_on_every_client_route(app: Flask, role: str) -> None:
    browser = logged_in(app, role, f"{role}@example.com")
    with app.app_context():
        factories.user("skp", email="skp@example.com")
    number = add_client(app, "skp@example.com", "Hund 7")
    assert browser.get("/skp/clients").status_code == 403
    assert browser.get(NEW).status_code == 403
    assert post_form(browser, NEW, {"nickname": "Hund 8"}).status_code == 403
    for endpoint, url, methods in client_routes(app, number):
        for method in methods:
            response = browser.get(url) if method == "GET" else post_form(browser, url, {})
            assert response.status_code == 403, (endpoint, method)
    with app.app_context():
        assert db.session.scalars(select(Client.nickname)).all() == ["Hund 7"]


# --------------------------------------------------------------------------------------------
# System numbers
# --------------------------------------------------------------------------------------------


def test_system_numbers_are_unique_and_never_reused_after_a_delete(app: Flask, worker: int) -> None:
    with app.app_context():
        numbers = [create_client(worker, f"Hund {n}").system_number for n in range(3)]
        db.session.commit()
        assert numbers == ["K-00001", "K-00002", "K-00003"]
        # Delete the newest client and even its counter row: the number still never comes back.
        db.session.delete(db.session.scalar(select(Client).where(Client.system_number == "K-00003")))
        db.session.delete(db.session.get(ClientNumber, 3))
        db.session.commit()
        again = create_client(worker, "Hund 2b").system_number
        db.session.commit()
        assert again == "K-00004"
        all_numbers = db.session.scalars(select(Client.system_number)).all()
        assert len(all_numbers) == len(set(all_numbers)) == 3


def test_the_system_number_grows_past_five_digits() -> None:
    from reporting.skp.models import format_system_number

    assert format_system_number(42) == "K-00042"
    assert format_system_number(123456) == "K-123456"


# --------------------------------------------------------------------------------------------
# Audit
# --------------------------------------------------------------------------------------------


def test_audit_events_name_the_system_number_never_the_nickname(app: Flask, web: FlaskClient) -> None:
    nickname = "Ræven fra 2. sal"
    location = post_form(web, NEW, {"nickname": nickname}).headers["Location"]
    web.get(location)
    post_form(web, "/skp/clients", {"q": "Ræven"})
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("client_%"))).all()
        assert [(e.action, e.object_type, e.object_id) for e in events] == [
            ("client_created", "client", "K-00001"),
            ("client_viewed", "client", "K-00001"),
        ]
        for event in events:
            everything = json.dumps([event.action, event.object_type, event.object_id, event.details],
                                    ensure_ascii=False)
            assert "Ræven" not in everything and "sal" not in everything


def test_the_flash_message_in_the_cookie_holds_no_nickname(app: Flask, web: FlaskClient) -> None:
    post_form(web, NEW, {"nickname": "Hund 7"})
    cookie = web.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    session = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    flashes = json.dumps(session.get("_flashes", []), ensure_ascii=False)
    assert "K-00001" in flashes and "Hund" not in flashes


# --------------------------------------------------------------------------------------------
# Courses and reports (storage for the report form)
# --------------------------------------------------------------------------------------------


def _course(app: Flask, worker: int) -> int:
    with app.app_context():
        course = start_course(create_client(worker, "Hund 7"), Period(2026, 1))
        db.session.commit()
        return course.id


def test_a_new_course_needs_the_previous_one_closed(app: Flask, worker: int) -> None:
    course_id = _course(app, worker)
    with app.app_context():
        course = db.session.get(Course, course_id)
        with pytest.raises(ValueError, match="open course"):
            start_course(course.client, Period(2026, 6))
        course.status, course.closing_period = "closed", date(2026, 4, 1)
        second = start_course(course.client, Period(2026, 6), reopened_from=course)
        db.session.commit()
        assert (second.number, second.reopened_from_id, second.client.system_number) == (2, course_id, "K-00001")
        assert course.facts().closing == Period(2026, 4) and second.facts().intake == Period(2026, 6)


def test_months_must_be_the_first_day(app: Flask, worker: int) -> None:
    course_id = _course(app, worker)
    with app.app_context():
        course = db.session.get(Course, course_id)
        with pytest.raises(ValueError, match="first day of a month"):
            course.closing_period = date(2026, 4, 2)
        with pytest.raises(ValueError, match="first day of a month"):
            Report(course=course, period=date(2026, 1, 15), definition_key="skp", definition_version=1)


def test_report_answers_round_trip_and_one_report_per_month(app: Flask, worker: int) -> None:
    course_id = _course(app, worker)
    with app.app_context():
        answers = {"q1": 2, "q6": [1, 3], "q6_andet": "tekst", "q20_1": None}
        db.session.add(Report(course_id=course_id, period=date(2026, 1, 1), answers=answers,
                              definition_key="skp", definition_version=1, submission_token="t1"))
        db.session.commit()
        db.session.expire_all()
        report = db.session.scalar(select(Report))
        assert report.answers == answers and report.status == "draft" and report.version == 1
        assert report.month == Period(2026, 1) and report.course.intake == Period(2026, 1)
        db.session.add(Report(course_id=course_id, period=date(2026, 1, 1), definition_key="skp",
                              definition_version=1))
        with pytest.raises(IntegrityError):
            db.session.commit()


def test_two_tabs_saving_one_draft_do_not_overwrite_each_other(app: Flask, worker: int) -> None:
    course_id = _course(app, worker)
    with app.app_context():
        report = Report(course_id=course_id, period=date(2026, 1, 1), definition_key="skp", definition_version=1)
        db.session.add(report)
        db.session.flush()
        report_id = report.id
        db.session.commit()  # ends the transaction: on SQLite every transaction holds the write lock
        tabs = (Session(db.engine, expire_on_commit=False), Session(db.engine, expire_on_commit=False))
        with tabs[0] as tab_one, tabs[1] as tab_two:
            stale = tab_one.get(Report, report_id)
            tab_one.commit()  # the first tab has rendered the form from version 1
            fresh = tab_two.get(Report, report_id)
            fresh.answers = {"q1": 2}
            tab_two.commit()
            assert fresh.version == 2
            stale.answers = {"q1": 1}
            with pytest.raises(StaleDataError):
                tab_one.commit()
        db.session.expire_all()
        assert db.session.get(Report, report_id).answers == {"q1": 2}


def test_a_submission_token_is_stored_once(app: Flask, worker: int) -> None:
    course_id = _course(app, worker)
    with app.app_context():
        for month in (1, 2):
            db.session.add(Report(course_id=course_id, period=date(2026, month, 1), definition_key="skp",
                                  definition_version=1, submission_token="same",
                                  submitted_at=datetime(2026, month + 1, 3, tzinfo=UTC), status="submitted"))
        with pytest.raises(IntegrityError):
            db.session.commit()
