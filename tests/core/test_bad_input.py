"""Malformed input to every form never causes a 5xx, never stores a value that breaks the rules,
and is always answered in Danish (issue #9, goal S2). Runs on SQLite and on PostgreSQL.

Hypothesis posts wrong types, huge strings, NUL and other control characters, unknown keys,
values for questions that are hidden, and duplicated keys, always with a valid CSRF token so the
input reaches validation. After every example the database is checked:

- every stored report's answers are exactly what the questionnaire engine accepts (re-normalising
  them changes nothing, so no hidden question, wrong type or out-of-range value is stored), and
  the cross-question rule on failed visits holds for submitted reports;
- no text column holds a control character (only tab and line breaks) or more characters than
  the column allows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, select
from test_access_policy import POST_ONLY_SAMPLES, TABLE, _create_sample_objects
from werkzeug.datastructures import MultiDict

from forms import normalise, to_formdata
from reporting.auth.access import policy_for
from reporting.core.extensions import db
from reporting.core.models import User
from reporting.skp.models import Report
from reporting.skp.report_flow import cross_field_errors

import factories
from hardening import DEFINITION, intake_answers, report_url
from support import csrf_token, login

SEPT_2008 = datetime(2008, 9, 10, 10, 0, tzinfo=UTC)
EXAMPLES = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])
ROLES = ("skp", "caseworker", "coordinator", "admin")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: How a 4xx page tells the person what went wrong (error page, error summary, field message).
DANISH_ERROR = re.compile(r'class="form-error-message"|class="alert alert-error"|id="error-summary"|'
                          r"Forkert forespørgsel|Siden findes ikke|Ingen adgang|For meget data|"
                          r"Handlingen er ikke tilladt|Formularen var udløbet|ændret i et andet vindue|"
                          r"Fristen er overskredet|kontroltegn")

NASTY_TEXT = st.sampled_from([
    "", " ", "1", "2", "0", "-1", "7", "99", "10000", "4294967296", "9" * 40, "1e3", "0x1F", "١٢", "²", "½", "NaN",
    "inf", "1.5", "1,5", " 3 ", "31-02-2024", "2024-13-40", "0000-00-00", "9999-12-31", "01-01-1899", "29-02-2023",
    "2008-08-20", "20-08-2008", "20082008", "a\x00b", "\x00", "\x1b[31m", "\x7f", "\x0b\x0c", "\u202e", "\ufeff",
    "\u200b", "\ud7ff", "<script>alert(1)</script>", "' OR 1=1 --", "😀", "x" * 5000, "æ" * 120, "\r\n\r\n",
    "true", "null", "[]", "{}", "=HYPERLINK(\"http://x\")", "+45 12 34 56 78", "010203-1234", "K-00001",
    "national", "m:1", "u:1", "m:999999", "u:abc", "skp", "admin", "coordinator", "on", "y",
])
VALUES = st.one_of(NASTY_TEXT, st.text(max_size=40), st.integers(-10**12, 10**12).map(str),
                   st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=4))
UNKNOWN_KEYS = st.one_of(st.sampled_from(["worker_id", "status", "submitted_at", "id", "user_id", "roles[]",
                                          "q999", "q3\x00", "", "__proto__", "csrf_token"]),
                         st.text(min_size=1, max_size=12))


def pairs_for(names: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    key = st.one_of(st.sampled_from(names), UNKNOWN_KEYS) if names else UNKNOWN_KEYS
    return st.lists(st.tuples(key, VALUES), max_size=20)


def field_names(html: str) -> list[str]:
    names = re.findall(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"', html)
    return sorted(set(names) - {"csrf_token"})


def stored_text_problems(app: Flask) -> list[str]:
    """Text columns holding control characters or more characters than the column allows."""
    problems = []
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name == "parked_post":  # holds raw posts on purpose, until the same session returns
                continue
            columns = [c for c in table.columns if isinstance(c.type, String)]
            if not columns:
                continue
            for row in conn.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if not isinstance(value, str):
                        continue
                    if CONTROL.search(value):
                        problems.append(f"{table.name}.{column.name}: control character in {value[:40]!r}")
                    if column.type.length and len(value) > column.type.length:
                        problems.append(f"{table.name}.{column.name}: {len(value)} > {column.type.length}")
    return problems


def report_problems(app: Flask) -> list[str]:
    """Stored reports whose answers the questionnaire engine would not store as they are."""
    problems = []
    with app.app_context():
        for report in db.session.scalars(select(Report)):
            again = normalise(DEFINITION, to_formdata(DEFINITION, report.answers), None, mode="draft",
                              today=SEPT_2008.date())
            if again.answers != report.answers or again.errors:
                problems.append(f"report {report.id}: {report.answers} re-normalises to {again}")
            if report.status == "submitted" and cross_field_errors(report.answers):
                problems.append(f"report {report.id}: failed visits do not add up")
            if report.status not in ("draft", "submitted") or report.version < 1:
                problems.append(f"report {report.id}: status {report.status} version {report.version}")
    return problems


def assert_answered_in_danish(response: Any, where: str) -> None:
    assert response.status_code < 500, (where, response.status_code)
    if response.status_code >= 400 and response.mimetype == "text/html":
        assert DANISH_ERROR.search(response.get_data(as_text=True)), (where, response.status_code)


# --------------------------------------------------------------------------------------------
# The report form: every answer field, hidden questions, the hidden fields and the action
# --------------------------------------------------------------------------------------------

REPORT_FIELDS = sorted({name for slot in DEFINITION.slots
                        for name in ([f"{slot.key}_timer", f"{slot.key}_minutter"] if slot.kind == "duration_hm"
                                     else [slot.key])} | {"version", "submission_token", "closing"})
ACTIONS = st.sampled_from(["save", "submit", "autosave", "closing", "submit", "save", "", "delete", "submit\x00"])


@pytest.fixture
def report_world(make_app) -> Iterator[tuple[Flask, FlaskClient, str]]:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=SEPT_2008)
    client = app.test_client()
    with app.app_context():
        number = factories.client(factories.user("skp", email="sara@example.com"), "Hund 7")
    assert login(client, "sara@example.com").status_code == 302
    yield app, client, number


@EXAMPLES
@given(noise=pairs_for(REPORT_FIELDS), action=ACTIONS, start_valid=st.booleans(), closing=st.booleans())
def test_malformed_report_posts(report_world, noise: list[tuple[str, str]], action: str, start_valid: bool,
                                closing: bool) -> None:
    app, client, number = report_world
    path = report_url(number, "2008-08")
    page = client.get(path + ("?closing=1" if closing else ""))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    base = to_formdata(DEFINITION, intake_answers()) if start_valid else {}
    data = MultiDict([(k, v) for k, values in base.items() for v in values])
    version = re.search(r'name="version" value="([^"]*)"', html)
    data.add("version", version.group(1) if version else "")
    data.add("csrf_token", csrf_token(client, path))
    for key, value in noise:
        data.add(key, value)
    data.add("action", action)
    response = client.post(path, data=data)
    assert_answered_in_danish(response, f"report {action}")
    if response.status_code in (200, 422) and response.mimetype == "text/html":
        body = response.get_data(as_text=True)
        for message in re.findall(r'<span class="form-error-message"[^>]*><span class="sr-only">Fejl: </span>'
                                  r"([^<]*)</span>", body):
            assert message.strip(), "an empty error message"
    assert report_problems(app) == []
    assert stored_text_problems(app) == []


def test_raw_bytes_that_are_not_utf8_are_answered_in_danish(report_world) -> None:  # type: ignore[no-untyped-def]
    app, client, number = report_world
    path = report_url(number, "2008-08")
    token = csrf_token(client, path).encode()
    body = b"csrf_token=" + token + b"&action=save&q39=%FF%FE%00%C3&q3=%C0%AF&%FF=1"
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert_answered_in_danish(response, "raw bytes")
    assert report_problems(app) == [] and stored_text_problems(app) == []


# --------------------------------------------------------------------------------------------
# Every other form: every route that takes a POST, as a user its policy admits
# --------------------------------------------------------------------------------------------


def _post_endpoints() -> list[str]:
    from reporting.app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    skip = {"reports.report_form", "auth.logout"}  # the report form above; logout has no input
    return sorted({rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods} - skip)


def _world(make_app, endpoint: str) -> tuple[Flask, FlaskClient, str]:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=SEPT_2008)
    client = app.test_client()
    policy = policy_for(app, endpoint)
    role = None if policy.kind == "public" else next(r for r in ROLES if policy.allows(_Role(r)))
    values = TABLE[endpoint][1] if TABLE[endpoint][1] is not None else POST_ONLY_SAMPLES.get(endpoint, {})
    with app.app_context():
        if role is not None:
            user = factories.user(role, email=f"{role}@example.com", unit_name="SKP-teamet")
            _create_sample_objects(user)
        if endpoint == "invitation.accept":
            values = {"token": _invitation_token(app)}
        if endpoint == "password_reset.reset":
            values = {"token": _reset_token(app)}
        if endpoint in ("mfa.code", "mfa.enrol"):
            _half_logged_in(app, client, enrolled=endpoint == "mfa.code")
    if role is not None:
        assert login(client, f"{role}@example.com").status_code == 302
    with app.test_request_context():
        path = url_for(endpoint, **values)
    return app, client, path


class _Role:
    """A stand-in user holding one role, to ask a policy which role to fuzz a route as."""

    is_authenticated = True

    def __init__(self, role: str) -> None:
        self.roles = {role}

    def has_role(self, *names: str) -> bool:
        return bool(self.roles & set(names)) or ("admin" in self.roles and "coordinator" in names)


def _invitation_token(app: Flask) -> str:
    from reporting.auth.invitations import send_invitation

    invited = factories.user("skp", email="ny@example.com", password="")
    send_invitation(invited, None)
    db.session.commit()
    body = app.extensions["mailman"].outbox[-1].body
    return re.search(r"/invitation/([A-Za-z0-9_-]{20,})", body).group(1)  # type: ignore[union-attr]


def _reset_token(app: Flask) -> str:
    from reporting.auth.password_reset import send_reset

    factories.user("skp", email="glemsom@example.com")
    assert send_reset("glemsom@example.com")
    body = app.extensions["mailman"].outbox[-1].body
    return re.search(r"/password-reset/([A-Za-z0-9_-]{20,})", body).group(1)  # type: ignore[union-attr]


def _half_logged_in(app: Flask, client: FlaskClient, enrolled: bool) -> None:
    """A coordinator past the password, at the second-factor step (or its enrolment)."""
    from reporting.auth.mfa import encrypt_secret
    from reporting.auth.models import SecondFactor

    app.config["MFA_REQUIRED_ROLES"] = "coordinator"
    person = factories.user("coordinator", email="tofaktor@example.com")
    if enrolled:
        db.session.add(SecondFactor(user_id=person.id, secret_encrypted=encrypt_secret("JBSWY3DPEHPK3PXP"),
                                    confirmed_at=SEPT_2008, last_step=0))
        db.session.commit()
    assert login(client, "tofaktor@example.com").status_code == 302


#: Valid values the empty forms need, so that a corrupted field is often the only problem.
VALID = {
    "auth.login": {"email": "nobody@example.com", "password": "forkert-adgangskode"},
    "auth.change_password": {"current": factories.PASSWORD, "new": "en-ny-lang-adgangskode",
                             "repeat": "en-ny-lang-adgangskode"},
    "invitation.accept": {"new": "en-ny-lang-adgangskode", "repeat": "en-ny-lang-adgangskode"},
    "clients.new": {"nickname": "Blå bil"},
    "clients.index": {"q": "Hund"},
    "people.invite": {"name": "Nina Ny", "email": "nina@example.com", "roles": "skp", "placement": "u:1"},
    "organisation.index": {"name": "Aarhus"},
    "organisation.unit": {"name": "Team Syd", "contact_email": "team@example.com"},
    "organisation.settings": {"reminder_days": "10, 14", "escalation_day": "16", "audit_retention_months": "24"},
}


class _Values(HTMLParser):
    """The values a browser would post from a page's forms as they stand (filled-in edit forms)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        name = attr.get("name")
        if tag == "input" and name and name != "csrf_token":
            if attr.get("type") in ("checkbox", "radio"):
                if "checked" in attr:
                    self.values.append((name, attr.get("value", "on")))
            elif attr.get("type") not in ("submit", "button"):
                self.values.append((name, attr.get("value", "")))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((attr.get("value", ""), "selected" in attr))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected] or [v for v, _ in self._options[:1]]
            self.values += [(self._select, v) for v in chosen]
            self._select = None


def current_values(html: str) -> dict[str, list[str]]:
    parser = _Values()
    parser.feed(html)
    values: dict[str, list[str]] = {}
    for name, value in parser.values:
        values.setdefault(name, []).append(value)
    return values


@pytest.mark.parametrize("endpoint", _post_endpoints())
def test_malformed_posts_to_every_form(make_app, endpoint: str) -> None:  # type: ignore[no-untyped-def]
    app, client, path = _world(make_app, endpoint)
    page = client.get(path)
    html = page.get_data(as_text=True) if page.status_code == 200 else ""
    names = field_names(html)
    base = {**current_values(html), **{k: [v] for k, v in VALID.get(endpoint, {}).items()}}
    token = csrf_token(client, path if page.status_code == 200 else "/")

    @EXAMPLES
    @given(noise=pairs_for(names), replace=st.lists(st.booleans(), min_size=20, max_size=20),
           start_valid=st.booleans(), with_token=st.integers(0, 9))
    def post_noise(noise: list[tuple[str, str]], replace: list[bool], start_valid: bool, with_token: int) -> None:
        data = MultiDict([(k, v) for k, values in base.items() for v in values] if start_valid else [])
        for (key, value), instead in zip(noise, replace, strict=False):
            if instead:
                data.setlist(key, [value])  # a wrong value instead of the right one
            else:
                data.add(key, value)  # a duplicated or unknown key
        data.setlist("csrf_token", [token] if with_token else [token + "x"])
        response = client.post(path, data=data)
        assert_answered_in_danish(response, endpoint)
        assert stored_text_problems(app) == []
        with app.app_context():
            assert db.session.scalar(select(User).where(User.email == "")) is None

    post_noise()


@pytest.mark.parametrize("path", ["/coordinator/users?q=%00", "/coordinator/users?q=" + "x" * 5000,
                                  "/coordinator/audit?user=%00", "/coordinator/audit?user=abc&action=%00",
                                  "/coordinator/audit?from=2024-13-01&to=%00", "/coordinator/quality/%00",
                                  "/questionnaires/%00", "/coordinator/compliance?unit=%00&month=%00",
                                  "/coordinator/reports/K-00001%00/2020-01", "/invitation/%00"])
def test_malformed_query_strings_and_paths(make_app, path: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=SEPT_2008)
    client = app.test_client()
    with app.app_context():
        _create_sample_objects(factories.user("coordinator", email="coordinator@example.com"))
    assert login(client, "coordinator@example.com").status_code == 302
    assert_answered_in_danish(client.get(path), path)


def test_login_with_nul_and_control_characters(app: Flask) -> None:
    client = app.test_client()
    for email in ("sara\x00@example.com", "\x1b@example.com", "a" * 300 + "@example.com", "æøå@example.com"):
        token = csrf_token(client)
        response = client.post("/login", data={"csrf_token": token, "email": email, "password": "x\x00y" * 10})
        assert_answered_in_danish(response, f"login {email[:20]!r}")
        assert response.status_code in (400, 401)
