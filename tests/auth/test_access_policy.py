"""Every route has an access policy, the policy is the one this table expects, and it holds.

Add a row here for every new endpoint: a route missing from the table fails the suite.
The table gives each endpoint's policy and, for routes with parameters, sample values.
"""

from __future__ import annotations

import pytest
from flask import Flask

from reporting.auth.access import Policy, policy_for
from reporting.core.extensions import db
from reporting.core.models import User
from reporting.core.schedule import Period
from reporting.skp.clients import create_client

import factories
from support import login

ROLES = ["skp", "caseworker", "coordinator", "admin"]
PUBLIC = Policy("public")
AUTHENTICATED = Policy("authenticated")


def only(*roles: str) -> Policy:
    return Policy("roles", frozenset(roles))


# endpoint -> (policy, sample URL values for GET checks, or None when GET is not allowed)
TABLE: dict[str, tuple[Policy, dict[str, str] | None]] = {
    "static": (PUBLIC, {"filename": "core/app.css"}),
    "assets.dkfds": (PUBLIC, {"filename": "css/dkfds.min.css"}),
    "main.index": (PUBLIC, {}),
    "main.healthz": (PUBLIC, {}),
    "main.help_page": (PUBLIC, {}),
    "main.privacy": (PUBLIC, {}),
    "main.accessibility": (PUBLIC, {}),
    "assets.favicon": (PUBLIC, {}),
    "auth.login": (PUBLIC, {}),
    "auth.logout": (AUTHENTICATED, None),
    "auth.change_password": (AUTHENTICATED, {}),
    "mfa.code": (PUBLIC, {}),
    "mfa.enrol": (PUBLIC, {}),
    "password_reset.forgot": (PUBLIC, {}),
    "password_reset.reset": (PUBLIC, {"token": "no-such-token"}),
    "sso.start": (PUBLIC, {}),
    "sso.callback": (PUBLIC, {}),
    "people.reset_second_factor": (only("admin"), None),
    "organisation.login_methods": (only("admin"), None),
    "clients.index": (only("skp"), {}),
    "clients.new": (only("skp"), {}),
    "clients.detail": (only("skp"), {"system_number": "K-00001"}),
    "assets.chartjs": (PUBLIC, {"filename": "chart.umd.min.js"}),
    "coordinator.dashboard": (only("coordinator"), {}),
    "coordinator.worker": (only("coordinator"), {"user_id": "2"}),
    "coordinator.outbox": (only("coordinator"), {}),
    "outbox.retry": (only("admin"), None),
    "quality.index": (only("coordinator"), {}),
    "quality.cases": (only("coordinator"), {"check_key": "late-drafts"}),
    "exports.index": (only("coordinator"), {}),
    "exports.start": (only("coordinator"), None),
    "exports.job": (only("coordinator"), {"job_id": "AAAAAAAAAAAAAAAAAAAAAAAA"}),
    "exports.progress": (only("coordinator"), {"job_id": "AAAAAAAAAAAAAAAAAAAAAAAA"}),
    "exports.download": (only("coordinator"), {"job_id": "AAAAAAAAAAAAAAAAAAAAAAAA"}),
    "exports.end": (only("coordinator"), None),
    "effect.index": (only("coordinator"), {}),
    "people.index": (only("coordinator"), {}),
    "people.invite": (only("coordinator"), {}),
    "people.edit": (only("coordinator"), {"user_id": "2"}),
    "people.status": (only("coordinator"), {"user_id": "2"}),
    "people.reinvite": (only("coordinator"), {"user_id": "2"}),
    "invitation.accept": (PUBLIC, {"token": "no-such-token"}),
    "auditlog.index": (only("coordinator"), {}),
    "auditlog.export": (only("coordinator"), None),
    "organisation.index": (only("admin"), {}),
    "organisation.municipality": (only("admin"), {"municipality_id": "1"}),
    "organisation.unit": (only("admin"), {"unit_id": "1"}),
    "organisation.settings": (only("admin"), {}),
    "reports.overview": (only("skp"), {}),
    "reports.report_form": (only("skp"), {"system_number": "K-00001", "month": "2020-01"}),
    "reports.receipt": (only("skp"), {"system_number": "K-00001", "month": "2020-01"}),
    "clients.rename": (only("skp"), {"system_number": "K-00001"}),
    "clients.delete": (only("skp"), {"system_number": "K-00001"}),
    "transfers.transfer": (only("coordinator"), {"user_id": "2"}),
    "coordinator.remind": (only("coordinator"), None),
    "reopen.find": (only("coordinator"), {}),
    "assets.skiplogic": (PUBLIC, {}),
    "reopen.show": (only("coordinator"), {"system_number": "K-00001", "month": "2020-01"}),
    "reopen.reopen": (only("coordinator"), None),
    "questionnaires.index": (only("coordinator"), {}),
    "questionnaires.show": (only("coordinator"), {"key": "skp_monthly"}),
    "questionnaires.codebook_view": (only("coordinator"), {"key": "caseworker"}),
    "surveys.index": (only("caseworker"), {}),
    "surveys.answer": (only("caseworker"), {"wave_id": "1"}),
    "surveys.review": (only("caseworker"), {"wave_id": "1"}),
    "survey_admin.index": (only("coordinator"), {}),
    "survey_admin.new": (only("coordinator"), {}),
    "survey_admin.wave": (only("coordinator"), {"wave_id": "1"}),
    "survey_admin.results": (only("coordinator"), {"wave_id": "1"}),
    "survey_admin.close": (only("coordinator"), None),
    "survey_admin.end_date": (only("coordinator"), None),
    "survey_admin.remind": (only("coordinator"), None),
}

# URL values for the POST-only routes (None above), used to check that GET is refused.
POST_ONLY_SAMPLES: dict[str, dict[str, str]] = {
    "reopen.reopen": {"system_number": "K-00001", "month": "2020-01"},
    "coordinator.remind": {"user_id": "2"},
    "people.reset_second_factor": {"user_id": "2"},
    "organisation.login_methods": {"municipality_id": "1"},
    "survey_admin.close": {"wave_id": "1"},
    "survey_admin.end_date": {"wave_id": "1"},
    "survey_admin.remind": {"wave_id": "1"},
}


def _create_sample_objects(user: User) -> None:
    """The rows the sample URL values name, owned by ``user`` where the view checks ownership."""
    if user.has_role("skp"):
        assert create_client(user.id, "Hund 7").system_number == "K-00001"
        db.session.commit()
    if user.has_role("coordinator"):  # user 2, a worker in the coordinator's municipality, in unit 1
        worker = factories.user("skp", email="sample-worker@example.com", unit_name="SKP-teamet")
        assert worker.id == 2
        factories.submitted_report(worker, "K-00001", Period(2020, 1))
    if user.has_role("caseworker", "coordinator"):  # survey wave 1, open, asking the user's (or worker 2's) unit
        import survey_seed

        survey_seed.sample_wave(user)


def test_every_route_is_in_the_policy_table(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - TABLE.keys() == set(), "routes without a row in the access table"
    assert TABLE.keys() - endpoints == set(), "rows for routes that no longer exist"


def test_declared_policies_match_the_table(app: Flask) -> None:
    for endpoint, (expected, _) in TABLE.items():
        assert policy_for(app, endpoint) == expected, endpoint


def _get_urls(app: Flask) -> list[tuple[str, str, Policy]]:
    urls = []
    with app.test_request_context():
        from flask import url_for

        for endpoint, (policy, values) in TABLE.items():
            if values is not None:
                urls.append((endpoint, url_for(endpoint, **values), policy))
    return urls


@pytest.mark.parametrize("role", [None, *ROLES])
def test_each_role_gets_what_the_policy_allows(app: Flask, role: str | None) -> None:
    client = app.test_client()
    if role:
        with app.app_context():
            _create_sample_objects(factories.user(role, email=f"{role}@example.com"))
            user = User.by_email(f"{role}@example.com")
        assert login(client, f"{role}@example.com").status_code == 302
    for endpoint, url, policy in _get_urls(app):
        response = client.get(url)
        allowed = policy.allows(user) if role else policy.kind == "public"
        if allowed:
            assert response.status_code in (200, 302), (role, endpoint, response.status_code)
            if endpoint == "main.index" and not role:
                assert "/login" in response.headers["Location"]
        elif role:
            assert response.status_code == 403, (role, endpoint, response.status_code)
        else:
            assert response.status_code == 302 and "/login" in response.headers["Location"], endpoint


def test_a_route_without_policy_is_refused(app: Flask) -> None:
    @app.route("/no-policy")
    def no_policy():  # type: ignore[no-untyped-def]
        return "should never be served"

    assert app.test_client().get("/no-policy").status_code == 403


def test_state_changing_routes_refuse_get(app: Flask) -> None:
    client = app.test_client()
    for endpoint, (_, values) in TABLE.items():
        if values is None:
            with app.test_request_context():
                from flask import url_for

                url = url_for(endpoint, **POST_ONLY_SAMPLES.get(endpoint, {}))
            assert client.get(url).status_code == 405, endpoint
