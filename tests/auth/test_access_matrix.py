"""The access matrix: every route × every principal × own / another's / a nonexistent object
(issue #9, goal S1). Built on the policy table of tests/auth/test_access_policy.py.

Principals: anonymous, two SKP workers (Esbjerg and Odense), a caseworker, a coordinator of
Esbjerg, a coordinator of Odense, and a (national) administrator. For each route the object
parameters are filled three ways: with the principal's own object (in their municipality), with
another principal's (the other municipality, the other worker), and with one that does not exist.

- The route-level policy holds: refused roles get 403, anonymous visitors are sent to log in.
- Objects: own → served; another's → 404 (or 403), except for the national administrator;
  nonexistent → 404. A route with a parameter this matrix cannot fill fails the suite.
- Zero leaks: no response shows a sentinel (a nickname, a report's free text, a person's or a
  unit's name, a system number) to a principal who may not see it.
- Zero state changes on GET (beyond the audit log, which records reads on purpose), and zero
  state changes from POSTs aimed at another's or a nonexistent object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from test_access_policy import POST_ONLY_SAMPLES, TABLE

from reporting.auth.access import policy_for
from reporting.auth.sessions import PARK_ATTR
from reporting.core.extensions import db
from reporting.core.models import User
from reporting.core.schedule import Period
from reporting.skp.clients import create_client, start_course
from reporting.skp.models import Report

import factories
import survey_seed
from hardening import snapshot
from support import csrf_token, login

NOW = datetime(2008, 9, 10, 10, 0, tzinfo=UTC)
MONTH = "2008-08"
MISSING_ID = 987654
IGNORED_TABLES = {"audit_event"}  # reads are audited on purpose (Datatilsynet: log reading)


@dataclass
class Principal:
    key: str
    email: str | None
    role: str | None
    municipality: str | None
    own: dict[str, Any] = field(default_factory=dict)  # parameter -> own object's value
    other: dict[str, Any] = field(default_factory=dict)  # parameter -> another's object's value
    national: bool = False


PRINCIPALS = [
    Principal("anonymous", None, None, None),
    Principal("skp_esbjerg", "alfa@example.com", "skp", "Esbjerg"),
    Principal("skp_odense", "bravo@example.com", "skp", "Odense"),
    Principal("caseworker", "sag@example.com", "caseworker", "Esbjerg"),
    Principal("coordinator_esbjerg", "tov-esbjerg@example.com", "coordinator", "Esbjerg"),
    Principal("coordinator_odense", "tov-odense@example.com", "coordinator", "Odense"),
    Principal("admin", "admin@example.com", "admin", None, national=True),
]

#: Per municipality: what must never reach anyone outside it (nor, for nicknames and report
#: text, anyone but the worker who owns the client).
SENTINELS = {
    "Esbjerg": {"nickname": "Alfahund", "text": "Hemmelig-alfa-tekst", "person": "Alfa Esbjergsen",
                "unit": "Enhed Alfavej"},
    "Odense": {"nickname": "Bravokat", "text": "Hemmelig-bravo-tekst", "person": "Bravo Odensen",
               "unit": "Enhed Bravovej"},
}


def _other(municipality: str) -> str:
    return "Odense" if municipality == "Esbjerg" else "Esbjerg"


def build_world(app: Flask) -> dict[str, dict[str, Any]]:
    """Objects per municipality: a unit, a worker with a client and reports, a survey wave."""
    objects: dict[str, dict[str, Any]] = {}
    with app.app_context():
        for municipality, email in (("Esbjerg", "alfa@example.com"), ("Odense", "bravo@example.com")):
            marks = SENTINELS[municipality]
            worker = factories.user("skp", email=email, municipality_name=municipality, unit_name=marks["unit"])
            worker.name = marks["person"]
            client = create_client(worker.id, marks["nickname"])
            course = start_course(client, Period.parse(MONTH))
            db.session.add(Report(course=course, period=course.intake_period, status="submitted",
                                  answers={"q3": 1, "q39": marks["text"]}, definition_key="skp_monthly",
                                  definition_version=1, submitted_at=NOW))
            db.session.commit()
            wave = survey_seed.wave([worker.unit], title=f"Måling {municipality}", end=date(2008, 12, 31))
            objects[municipality] = {
                "system_number": client.system_number, "month": MONTH, "user_id": worker.id,
                "municipality_id": worker.municipality_id, "unit_id": worker.unit_id, "wave_id": wave.id,
            }
        factories.user("caseworker", email="sag@example.com", unit_name=SENTINELS["Esbjerg"]["unit"])
        factories.user("coordinator", email="tov-esbjerg@example.com")
        factories.user("coordinator", email="tov-odense@example.com", municipality_name="Odense")
        factories.user("admin", email="admin@example.com", municipality_name=None)
    return objects


#: Parameters that name no one's object: one valid value and one that does not exist.
SHARED = {"check_key": ("late-drafts", "no-such-check"), "key": ("skp_monthly", "no_such_questionnaire"),
          "filename": (None, "no-such-file.css")}
OBJECT_PARAMS = {"system_number", "month", "user_id", "municipality_id", "unit_id", "wave_id"}
#: Unguessable ids handed to one person (an invitation link, an export job): only an unknown value
#: is tried here; that another person's job stays private is tests/evaluation/test_export.py's business.
SECRET_IDS = {"token": "no-such-token", "job_id": "A" * 24}


def variants(endpoint: str, arguments: set[str], principal: Principal,
             objects: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(variant, URL values) for a route: ``own``/``other``/``missing`` or ``plain`` without objects."""
    unknown = arguments - OBJECT_PARAMS - SHARED.keys() - SECRET_IDS.keys()
    assert not unknown, f"{endpoint}: the access matrix cannot fill {unknown}; add the parameter here"
    sample = dict(TABLE[endpoint][1] or POST_ONLY_SAMPLES.get(endpoint, {}))
    base = {name: sample[name] for name in arguments if name in sample}
    for name in arguments & SHARED.keys():
        if SHARED[name][0] is not None:
            base[name] = SHARED[name][0]
    if arguments & SECRET_IDS.keys():
        return [("missing", {**base, **{name: SECRET_IDS[name] for name in arguments & SECRET_IDS.keys()}})]
    if not arguments & OBJECT_PARAMS:
        result = [("plain", base)] if base.keys() >= arguments else []
        missing = {name: SHARED[name][1] for name in arguments & SHARED.keys()}
        return result + ([("missing", {**base, **missing})] if missing else [])
    home = principal.municipality or "Esbjerg"
    own = {**base, **{name: objects[home][name] for name in arguments & OBJECT_PARAMS}}
    other = {**base, **{name: objects[_other(home)][name] for name in arguments & OBJECT_PARAMS}}
    missing = {**own, **{name: (MISSING_ID if name.endswith("_id") else "K-99999" if name == "system_number"
                                else "2008-07") for name in arguments & OBJECT_PARAMS}}
    return [("own", own), ("other", other), ("missing", missing)]


def forbidden_for(principal: Principal, objects: dict[str, dict[str, Any]]) -> list[str]:
    """The sentinels ``principal`` must never be shown."""
    if principal.national:
        return [SENTINELS[m][k] for m in SENTINELS for k in ("nickname", "text")]
    marks: list[str] = []
    for municipality, mark in SENTINELS.items():
        own_worker = principal.role == "skp" and principal.municipality == municipality
        if not own_worker:
            marks += [mark["nickname"], mark["text"]]
        if principal.municipality != municipality:
            marks += [mark["person"], mark["unit"], objects[municipality]["system_number"]]
    return marks


def expected(policy_ok: bool, principal: Principal, variant: str, status: int) -> bool:
    if not policy_ok:
        return status == (302 if principal.role is None else 403)
    if variant in ("own", "plain"):
        return status in (200, 302)
    if variant == "other" and principal.national:
        return status in (200, 302)
    return status in (302, 403, 404) if variant == "missing" else status in (403, 404)


def parks(app: Flask, endpoint: str) -> bool:
    return getattr(app.view_functions[endpoint], PARK_ATTR, False)


def logged_in(app: Flask, principal: Principal) -> FlaskClient:
    client = app.test_client()
    if principal.email:
        assert login(client, principal.email).status_code == 302, principal.key
    return client


@pytest.mark.parametrize("principal", PRINCIPALS, ids=[p.key for p in PRINCIPALS])
def test_every_route_for_every_principal_and_object(make_app, principal: Principal) -> None:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=NOW)
    objects = build_world(app)
    client = logged_in(app, principal)
    user = None
    if principal.email:
        with app.app_context():
            user = User.by_email(principal.email)
            db.session.expunge(user)  # its roles stay loaded for Policy.allows
    forbidden = forbidden_for(principal, objects)
    failures: list[str] = []
    checked = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        policy = policy_for(app, rule.endpoint)
        assert policy is not None, rule.endpoint
        allowed = policy.kind == "public" or (user is not None and policy.allows(user))
        for variant, values in variants(rule.endpoint, set(rule.arguments), principal, objects):
            with app.test_request_context():
                path = url_for(rule.endpoint, **values)
            for method in sorted({"GET", "POST"} & rule.methods):
                if method == "POST" and allowed and (variant in ("own", "plain") or
                                                     (variant == "other" and principal.national)):
                    continue  # allowed changes are the feature tests' business
                if rule.endpoint == "auth.logout":
                    continue
                before = snapshot(app)
                if method == "GET":
                    response = client.get(path)
                else:
                    response = client.post(path, data={"csrf_token": csrf_token(client, "/" if principal.email
                                                                                   else "/login")})
                checked += 1
                where = f"{method} {path} as {principal.key} ({variant}): {response.status_code}"
                if not expected(allowed, principal, variant, response.status_code):
                    failures.append(f"unexpected status: {where}")
                if response.status_code < 300:
                    body = response.get_data(as_text=True)
                    leaks = [mark for mark in forbidden if mark in body]
                    if leaks:
                        failures.append(f"leak of {leaks}: {where}")
                after = snapshot(app)
                ignored = IGNORED_TABLES  # anonymous posts park nothing (only a timed-out login does)
                changed = [t for t in before if t not in ignored and before[t] != after[t]]
                if changed:
                    failures.append(f"state changed ({', '.join(changed)}): {where}")
    assert failures == [], "\n".join(failures)
    assert checked >= 40


def test_the_sentinels_are_visible_where_they_belong(make_app) -> None:  # type: ignore[no-untyped-def]
    """The counter-check: the matrix's sentinels do show up for those who may see them."""
    app = make_app(FIXED_NOW=NOW)
    objects = build_world(app)
    alfa = logged_in(app, PRINCIPALS[1])
    page = alfa.get(f"/skp/clients/{objects['Esbjerg']['system_number']}/reports/{MONTH}").get_data(as_text=True)
    assert "Alfahund" in page and "Hemmelig-alfa-tekst" in page
    coordinator = logged_in(app, PRINCIPALS[4])
    assert "Alfa Esbjergsen" in coordinator.get("/coordinator/users").get_data(as_text=True)
    admin = logged_in(app, PRINCIPALS[6])
    assert "Enhed Bravovej" in admin.get(f"/admin/municipalities/{objects['Odense']['municipality_id']}").get_data(
        as_text=True)
