"""axe-core on every page, as every role, in headless Chromium: zero serious or critical
violations (issue #9). Also the pages people meet when something goes wrong: a report form with
validation errors, a refused new client, a failed login, 403/404 pages and the database-down page.

axe-core comes from npm (package.json; ``make`` installs node_modules) and is injected by the
test with ``page.add_script_tag`` into a context that bypasses the CSP; the app never serves it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask, url_for
from playwright.sync_api import Browser, Page, expect
from test_access_policy import TABLE

from reporting.core.extensions import db
from reporting.core.schedule import Period

import factories
import survey_seed
from hardening import FaultInjector
from support import IN_CI

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
NOW = datetime(2008, 9, 10, 10, 0, tzinfo=UTC)
BLOCKING = {"serious", "critical"}


@pytest.fixture(autouse=True)
def _axe_installed() -> None:
    if not AXE.exists():
        message = "axe-core is not installed (run make, or npm install)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=NOW, IDLE_TIMEOUT_MINUTES=10**6)


@pytest.fixture
def world(app: Flask) -> dict[str, object]:
    from reporting.auth.invitations import send_invitation

    with app.app_context():
        worker = factories.user("skp", email="skp@example.com", unit_name="SKP-teamet")
        factories.submitted_report(worker, "K-00001", Period(2008, 8))
        factories.client(worker, "Blå bil")
        factories.user("caseworker", email="caseworker@example.com", unit_name="SKP-teamet")
        wave = survey_seed.wave([worker.unit], title="Baseline 2008", end=datetime(2008, 12, 31).date())
        factories.user("coordinator", email="coordinator@example.com")
        factories.user("admin", email="admin@example.com", municipality_name=None)
        invited = factories.user("skp", email="ny@example.com", password="")
        send_invitation(invited, None)
        db.session.commit()
        token = re.search(r"/invitation/([A-Za-z0-9_-]{20,})", app.extensions["mailman"].outbox[-1].body).group(1)
        return {"system_number": "K-00001", "month": "2008-08", "user_id": worker.id,
                "municipality_id": worker.municipality_id, "unit_id": worker.unit_id, "wave_id": wave.id,
                "token": token}


def pages_for(app: Flask, values: dict[str, object], role: str | None) -> list[str]:
    """Every HTML page (GET route) the role may open, with the world's objects."""
    from reporting.auth.access import policy_for
    from reporting.core.models import User

    urls = []
    with app.app_context():
        user = User.by_email(f"{role}@example.com") if role else None
        with app.test_request_context():
            for rule in app.url_map.iter_rules():
                if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.startswith("assets."):
                    continue
                if rule.endpoint in ("main.healthz",):
                    continue
                policy = policy_for(app, rule.endpoint)
                if not (policy.kind == "public" or (user is not None and policy.allows(user))):
                    continue
                sample = {**(TABLE.get(rule.endpoint, (None, {}))[1] or {}),
                          **{k: v for k, v in values.items() if k in rule.arguments}}
                urls.append(url_for(rule.endpoint, **{k: sample[k] for k in rule.arguments}))
    return sorted(set(urls))


def violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in result["violations"]:
        if violation["impact"] in BLOCKING:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
            found.append(f"{violation['impact']} {violation['id']}: {violation['help']} [{targets}]")
    return found


def new_page(browser: Browser) -> Page:
    context = browser.new_context(locale="da-DK", bypass_csp=True)
    context.set_default_timeout(10_000)
    return context.new_page()


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name=re.compile("Velkommen|Mine opgaver"))).to_be_visible()


def test_axe_finds_violations_on_a_page_that_has_them(browser: Browser) -> None:
    """The check itself works: an unlabeled input, an image without alt text, no lang, no title."""
    page = new_page(browser)
    page.set_content("<html><body><input type=text><img src=data:,></body></html>")
    found = " ".join(violations(page))
    assert "label" in found and "image-alt" in found and "html-has-lang" in found
    page.context.close()


@pytest.mark.parametrize("role", [None, "skp", "caseworker", "coordinator", "admin"])
def test_every_page_has_no_serious_accessibility_violations(app: Flask, world: dict[str, object],
                                                             live_server: str, browser: Browser,
                                                             role: str | None) -> None:
    page = new_page(browser)
    if role:
        log_in(page, live_server, f"{role}@example.com")
    problems = {}
    urls = pages_for(app, world, role)
    assert len(urls) >= (2 if role is None else 3)
    for url in urls:
        page.goto(live_server + url)
        found = violations(page)
        if found:
            problems[url] = found
    assert problems == {}, "\n".join(f"{url}: {v}" for url, found in problems.items() for v in found)
    page.context.close()


def test_pages_with_errors_have_no_serious_accessibility_violations(app: Flask, world: dict[str, object],
                                                                    live_server: str, browser: Browser) -> None:
    page = new_page(browser)
    problems = {}

    def audit(name: str) -> None:
        found = violations(page)
        if found:
            problems[name] = found

    page.goto(f"{live_server}/login")  # a failed login
    page.get_by_label("E-mail").fill("skp@example.com")
    page.get_by_label("Adgangskode").fill("forkert-adgangskode")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_text("E-mail eller adgangskode er forkert.")).to_be_visible()
    audit("failed login")

    log_in(page, live_server, "skp@example.com")
    page.goto(f"{live_server}/skp/clients/K-00002/reports/2008-08")  # an intake submitted half-answered
    page.locator('input[name="q3"]').first.check()
    page.get_by_role("button", name="Indsend rapporten").click()
    expect(page.get_by_role("heading", name="Der er fejl i skemaet")).to_be_visible()
    audit("report form with validation errors")

    page.goto(f"{live_server}/skp/clients/new")  # a refused nickname
    page.get_by_label("Kaldenavn").fill("0102031234")
    page.get_by_role("button", name="Opret klient").click()
    expect(page.locator(".form-error-message").first).to_be_visible()
    audit("new client refused")

    page.goto(f"{live_server}/skp/clients/K-99999")
    audit("404 page")
    page.goto(f"{live_server}/coordinator/compliance")
    audit("403 page")
    with FaultInjector(app).armed(statement=1, down=True):
        page.goto(f"{live_server}/skp/reports")
    expect(page.get_by_role("heading", name="Databasen svarer ikke lige nu")).to_be_visible()
    audit("database down")
    assert problems == {}, "\n".join(f"{name}: {v}" for name, found in problems.items() for v in found)
    page.context.close()
