"""Single sign-on with OpenID Connect (issue 19, D25) against a real provider on 127.0.0.1
(npm ``oidc-provider``, tests/auth/oidc/provider.mjs): code flow with PKCE, state and nonce, users
matched by verified e-mail to existing accounts, the required ``acr``, and password login switched
off per municipality."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from oidc_provider import start_oidc_provider  # noqa: F401 - the fixture
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from werkzeug.serving import make_server

from reporting.core.extensions import db
from reporting.core.models import AuditEvent, User

import factories
from support import csrf_token, login, post_form

ACCOUNTS = {
    "sara": {"password": "idp-kode", "email": "sara@example.com", "email_verified": True, "name": "Sara IdP"},
    "ulla": {"password": "idp-kode", "email": "ulla@example.com", "email_verified": False, "name": "Ulla"},
    "fremmed": {"password": "idp-kode", "email": "fremmed@example.com", "email_verified": True, "name": "F"},
}
ACR = "urn:dk:gov:saml:attribute:AssuranceLevel:3"


@pytest.fixture
def served(make_app) -> Iterator[tuple[Flask, str]]:  # type: ignore[no-untyped-def]
    """An app served on a free port, with ``BASE_URL`` pointing at it (the redirect URI)."""
    app = make_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        factories.user("skp", email="sara@example.com", unit_name="SKP-teamet")
        factories.user("skp", email="ulla@example.com")
    yield app, base
    server.shutdown()
    server.server_close()


@pytest.fixture
def sso_app(served, start_oidc_provider) -> tuple[Flask, str]:  # type: ignore[no-untyped-def]  # noqa: F811
    app, base = served
    provider = start_oidc_provider(f"{base}/login/sso/callback", ACCOUNTS)
    app.config.update(provider.config())
    return app, base


def through_provider(client: FlaskClient, login_name: str, start: str = "/login/sso") -> str:
    """Start at the app, log in at the provider like a browser would; the callback path and query."""
    started = client.get(start)
    assert started.status_code == 302, started.status_code
    authorize = started.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    browser = requests.Session()
    interaction = browser.get(authorize, allow_redirects=True)
    assert interaction.status_code == 200 and "Kommunens login" in interaction.text
    answer = browser.post(interaction.url + "/login", data={"login": login_name, "password": "idp-kode"},
                          allow_redirects=False)
    location = urljoin(answer.url, answer.headers["Location"])
    while not location.startswith(client.application.config["BASE_URL"]):
        answer = browser.get(location, allow_redirects=False)
        assert answer.status_code in (302, 303), (answer.status_code, answer.text[:300])
        location = urljoin(answer.url, answer.headers["Location"])
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def test_a_worker_with_a_verified_email_logs_in(sso_app) -> None:  # type: ignore[no-untyped-def]
    app, _ = sso_app
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Log ind med kommunens login" in page
    callback = through_provider(client, "sara", "/login/sso?next=/skp/clients")
    done = client.get(callback)
    assert done.status_code == 302 and done.headers["Location"] == "/skp/clients"
    assert client.get("/skp/clients").status_code == 200
    with app.app_context():
        user = User.by_email("sara@example.com")
        assert user.name == "Test Skp" and user.roles == {"skp"}  # nothing taken from the provider
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login")).one()
        assert event.details == {"method": "sso"} and event.user_id == user.id


def test_the_callback_refuses_a_replayed_or_forged_state(sso_app) -> None:  # type: ignore[no-untyped-def]
    app, _ = sso_app
    client = app.test_client()
    callback = through_provider(client, "sara")
    forged = callback.replace("state=", "state=x")
    assert client.get(forged).headers["Location"].endswith("/login")
    assert client.get("/skp/clients").status_code == 302
    other = app.test_client()  # another browser cannot use the code: its session has no state
    assert other.get(callback).headers["Location"].endswith("/login")
    assert other.get("/skp/clients").status_code == 302


def test_unverified_and_unknown_emails_are_refused_and_nobody_is_created(sso_app) -> None:  # type: ignore[no-untyped-def]
    app, _ = sso_app
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(User))
    for name, message in (("ulla", "mislykkedes"), ("fremmed", "ingen aktiv bruger")):
        client = app.test_client()
        refused = client.get(through_provider(client, name))
        assert refused.headers["Location"].endswith("/login")
        assert message in client.get("/login").get_data(as_text=True)
        assert client.get("/skp/clients").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_the_required_acr_is_asked_for_and_checked(served, start_oidc_provider) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app, base = served
    weak = start_oidc_provider(f"{base}/login/sso/callback", ACCOUNTS)  # asserts no acr
    app.config.update(weak.config(OIDC_REQUIRED_ACR=ACR))
    client = app.test_client()
    assert client.get(through_provider(client, "sara")).headers["Location"].endswith("/login")
    assert client.get("/skp/clients").status_code == 302
    strong = start_oidc_provider(f"{base}/login/sso/callback", ACCOUNTS, acr=ACR)
    app.config.update(strong.config(OIDC_REQUIRED_ACR=ACR))
    client = app.test_client()
    started = client.get("/login/sso")
    assert parse_qs(urlsplit(started.headers["Location"]).query)["acr_values"] == [ACR]
    assert client.get(through_provider(client, "sara")).headers["Location"] == "/"
    assert client.get("/skp/clients").status_code == 200


def test_without_a_required_acr_a_coordinator_still_gives_the_code(sso_app) -> None:  # type: ignore[no-untyped-def]
    app, _ = sso_app
    app.config["MFA_REQUIRED_ROLES"] = "coordinator,admin"
    with app.app_context():
        factories.user("coordinator", email="fremmed@example.com")
    client = app.test_client()
    answer = client.get(through_provider(client, "fremmed"))
    assert answer.headers["Location"].endswith("/login/second-factor")


def test_password_login_switched_off_per_municipality(sso_app) -> None:  # type: ignore[no-untyped-def]
    app, _ = sso_app
    with app.app_context():
        factories.user("admin", email="ada@example.com", municipality_name=None)
        sara = User.by_email("sara@example.com")
        municipality_id = sara.municipality_id
    admin = app.test_client()
    assert login(admin, "ada@example.com").status_code == 302
    page = admin.get(f"/admin/municipalities/{municipality_id}").get_data(as_text=True)
    assert "Brugerne kan også logge ind med e-mail og adgangskode" in page
    assert post_form(admin, f"/admin/municipalities/{municipality_id}/login", {}).status_code == 302
    client = app.test_client()
    refused = login(client, "sara@example.com")
    assert refused.status_code == 403 and "kommunens eget login" in refused.get_data(as_text=True)
    wrong = login(client, "sara@example.com", "forkert-adgangskode")
    assert wrong.status_code == 401 and "kommunens eget login" not in wrong.get_data(as_text=True)
    assert client.get("/skp/clients").status_code == 302
    assert client.get(through_provider(client, "sara")).status_code == 302
    assert client.get("/skp/clients").status_code == 200  # SSO still works
    assert post_form(admin, f"/admin/municipalities/{municipality_id}/login", {"password_login": "y"}
                     ).status_code == 302
    assert login(app.test_client(), "sara@example.com").status_code == 302
    with app.app_context():
        assert [e.details["password_login"] for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "municipality_login_changed").order_by(AuditEvent.id))
        ] == [False, True]


def test_without_configuration_sso_is_off(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    client = app.test_client()
    assert "kommunens login" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/sso").headers["Location"].endswith("/login")
    assert client.get("/login/sso/callback?code=x&state=y").headers["Location"].endswith("/login")
    with app.app_context():
        factories.user("skp", email="sara@example.com")
        User.by_email("sara@example.com").municipality.password_login = False  # ignored while SSO is off
        db.session.commit()
    assert login(client, "sara@example.com").status_code == 302
    admin = app.test_client()
    with app.app_context():
        factories.user("admin", email="ada@example.com", municipality_name=None)
    login(admin, "ada@example.com")
    assert post_form(admin, "/admin/municipalities/1/login", {"password_login": "y"}).status_code == 400


def test_a_worker_logs_in_through_the_provider_in_a_browser(sso_app, page: Page) -> None:  # type: ignore[no-untyped-def]
    _, base = sso_app
    page.goto(f"{base}/")
    page.get_by_role("link", name="Log ind med kommunens login").click()
    expect(page.get_by_role("heading", name="Kommunens login (test)")).to_be_visible()
    page.get_by_label("Brugernavn").fill("sara")
    page.get_by_label("Adgangskode").fill("idp-kode")
    page.get_by_role("button", name="Log ind hos kommunen").click()
    expect(page.get_by_role("heading", name="Mine opgaver")).to_be_visible()


def test_password_login_refused_in_a_browser_when_switched_off(sso_app, page: Page) -> None:  # type: ignore[no-untyped-def]
    app, base = sso_app
    with app.app_context():
        User.by_email("sara@example.com").municipality.password_login = False
        db.session.commit()
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill("sara@example.com")
    page.get_by_label("Adgangskode").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("kommunens eget login")
    page.goto(f"{base}/skp/clients")
    expect(page.get_by_role("heading", name="Log ind", exact=True)).to_be_visible()


def test_the_csrf_token_helper_sees_the_login_page(sso_app) -> None:  # type: ignore[no-untyped-def]
    app, _ = sso_app
    assert csrf_token(app.test_client(), "/login")
