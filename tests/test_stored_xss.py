"""Stored and reflected XSS: a corpus of payloads in nicknames, report free text, people's names,
municipality and unit names is rendered on every page, as every role, and no payload becomes
markup (issue #9, goal S7).

The payloads are put in the database directly, past every input check, because output escaping
must hold whatever the data is (old rows, imports, a check that is later loosened). Each payload
that turned into markup would carry a ``data-xss`` attribute, an event handler calling
``alert`` or a ``javascript:`` URL; the HTML parser finds none on any page.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select
from test_access_policy import TABLE

from reporting.core.extensions import db
from reporting.core.models import Municipality, Unit
from reporting.core.schedule import Period
from reporting.skp.clients import create_client, start_course
from reporting.skp.models import Report

import factories
from hardening import DEFINITION, FaultInjector, form_state, report_formdata, report_url
from support import csrf_token, login, post_form

NOW = datetime(2008, 9, 10, 10, 0, tzinfo=UTC)

BREAKOUTS = ["", '">', "'>", "</textarea>", "</title>", "</script>", "--!>", "</option></select>", "]]>",
             "</td></tr></table>", "<!--"]
VECTORS = ["<script data-xss>alert(1)</script>", "<img src=x onerror=alert(1) data-xss>",
           "<svg onload=alert(1) data-xss>", '<a href="javascript:alert(1)" data-xss>x</a>',
           "<iframe data-xss src=javascript:alert(1)>"]
ATTRIBUTE_BREAKOUTS = ['" data-xss="1" onfocus="alert(1)', "' data-xss='1' onfocus='alert(1)",
                       '" autofocus onfocus=alert(1) data-xss x="', "javascript:alert(1)//",
                       "`><img src=x onerror=alert(1) data-xss>", "{{7*7}}<b data-xss>", "${alert(1)}<i data-xss>"]
CORPUS = [b + v for b, v in itertools.product(BREAKOUTS, VECTORS)] + ATTRIBUTE_BREAKOUTS
SHORT = [p for p in CORPUS if len(p) <= 40]  # fits a nickname column (String(40))


class Injected(HTMLParser):
    """Markup that only a payload would have produced."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name == "data-xss":
                self.found.append(f"<{tag} data-xss>")
            elif name.startswith("on") and "alert" in value:
                self.found.append(f"<{tag} {name}>")
            elif name in ("href", "src", "action", "formaction") and value.startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:>")
        self._script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script and "alert(" in data:
            self.found.append("<script>alert(…)</script>")


def injected(html: str) -> list[str]:
    parser = Injected()
    parser.feed(html)
    return parser.found


def test_the_corpus_is_large_enough_and_the_detector_works() -> None:
    assert len(CORPUS) >= 50 and len(SHORT) >= 20
    for payload in CORPUS[:10]:  # unescaped, every payload is caught; escaped, none is
        assert injected(f"<p>{payload}</p>") or injected(f'<input value="{payload}">'), payload
    assert not any(injected(f'<p>{escape(p)}</p><input value="{escape(p)}"><textarea>{escape(p)}</textarea>')
                   for p in CORPUS)


@pytest.fixture
def world(make_app) -> tuple[Flask, dict[str, object]]:  # type: ignore[no-untyped-def]
    """Payloads everywhere a user's text is stored: nicknames, report texts, names, places."""
    app = make_app(FIXED_NOW=NOW)
    with app.app_context():
        worker = factories.user("skp", email="skp@example.com", unit_name="SKP-teamet")
        users = [worker, factories.user("coordinator", email="coordinator@example.com"),
                 factories.user("admin", email="admin@example.com", municipality_name=None),
                 factories.user("caseworker", email="caseworker@example.com", unit_name="SKP-teamet")]
        for n, user in enumerate(users):  # shown in the header of every page
            user.name = CORPUS[-1 - n]
        text_keys = [s.key for s in DEFINITION.slots if s.kind in ("text", "short_text")]
        numbers = []
        for n, payload in enumerate(SHORT):
            client = create_client(worker.id, f"x{n}")
            client.nickname = payload  # past the nickname checks on purpose
            course = start_course(client, Period(2008, 8))
            answers = {key: CORPUS[(n + i) % len(CORPUS)] for i, key in enumerate(text_keys)}
            db.session.add(Report(course=course, period=course.intake_period, status="draft", answers=answers,
                                  definition_key="skp_monthly", definition_version=1))
            numbers.append(client.system_number)
        for n, payload in enumerate(CORPUS[:12]):
            person = factories.user("skp", email=f"p{n}@example.com", unit_name="SKP-teamet")
            person.name = payload
        esbjerg = db.session.scalar(select(Municipality).where(Municipality.name == "Esbjerg"))
        unit = db.session.scalar(select(Unit).where(Unit.name == "SKP-teamet"))
        unit.authority_name, unit.contact_name = CORPUS[1], CORPUS[2]
        unit.contact_phone, unit.contact_email = CORPUS[3][:50], CORPUS[4]
        db.session.add(Unit(municipality_id=esbjerg.id, name=CORPUS[5]))
        db.session.add(Municipality(name=CORPUS[6]))
        db.session.commit()
        ids = {"numbers": numbers, "user_id": worker.id, "municipality_id": esbjerg.id, "unit_id": unit.id}
    return app, ids


def as_user(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def every_get_page(app: Flask, ids: dict[str, object]) -> list[str]:
    """Every GET route with sample values naming the world's objects, plus each client's pages."""
    values = {"user_id": ids["user_id"], "municipality_id": ids["municipality_id"], "unit_id": ids["unit_id"],
              "system_number": ids["numbers"][0], "month": "2008-08"}  # type: ignore[index]
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in ("static",) or rule.endpoint.startswith("assets."):
                continue
            sample = dict(TABLE.get(rule.endpoint, (None, {}))[1] or {})
            sample.update({k: v for k, v in values.items() if k in rule.arguments})
            if rule.arguments <= sample.keys():
                urls.append(url_for(rule.endpoint, **{k: sample[k] for k in rule.arguments}))
        for number in ids["numbers"]:  # type: ignore[attr-defined]
            urls += [url_for("clients.detail", system_number=number),
                     url_for("reports.report_form", system_number=number, month="2008-08")]
    return urls


@pytest.mark.parametrize("email", ["skp@example.com", "coordinator@example.com", "admin@example.com",
                                   "caseworker@example.com"])
def test_no_payload_becomes_markup_on_any_page(world, email: str) -> None:  # type: ignore[no-untyped-def]
    app, ids = world
    client = as_user(app, email)
    checked = shown = 0
    for url in every_get_page(app, ids):
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        assert injected(html) == [], url
        checked += 1
        shown += any(str(escape(p)) in html for p in CORPUS)
    assert checked >= 3 and shown == checked, (checked, shown)  # the payloads really were on the pages


def test_reflected_search_words_and_rejected_input_stay_text(world) -> None:  # type: ignore[no-untyped-def]
    app, ids = world
    worker = as_user(app, "skp@example.com")
    coordinator = as_user(app, "coordinator@example.com")
    for payload in CORPUS:
        found = post_form(worker, "/skp/clients", {"q": payload})
        assert found.status_code < 500 and injected(found.get_data(as_text=True)) == [], payload
        new = post_form(worker, "/skp/clients/new", {"nickname": payload, "csrf_token": csrf_token(worker, "/")})
        assert new.status_code < 500 and injected(new.get_data(as_text=True)) == [], payload
        people = coordinator.get("/coordinator/users", query_string={"q": payload})
        assert injected(people.get_data(as_text=True)) == [], payload
    path = report_url(ids["numbers"][0], "2008-08")  # type: ignore[index]
    for payload in CORPUS[:20]:  # a rejected submission shows the typed text again, escaped
        data = report_formdata({"q39": payload, "q3": 1}, form_state(worker, path), "submit")
        data["q4"] = payload  # not a code: refused, and shown back in the error summary
        response = worker.post(path, data=data)
        assert response.status_code in (409, 422) and injected(response.get_data(as_text=True)) == [], payload


def test_the_database_error_page_keeps_posted_payloads_as_text(world) -> None:  # type: ignore[no-untyped-def]
    app, ids = world
    worker = as_user(app, "skp@example.com")
    path = report_url(ids["numbers"][1], "2008-08")  # type: ignore[index]
    data = report_formdata({}, form_state(worker, path), "save") | {f"x{n}": p for n, p in enumerate(CORPUS)}
    with FaultInjector(app).armed(statement=1, down=True):
        response = worker.post(path, data=data)
    assert response.status_code == 503
    assert injected(response.get_data(as_text=True)) == []
