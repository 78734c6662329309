"""Skip logic in the browser mirrors the server, on the real report form."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from forms import applicable_keys, get_definition
from reporting.core.extensions import db
from reporting.core.schedule import SECTIONS
from reporting.skp.models import Report

import factories

DEFINITION = get_definition("skp_monthly")


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=datetime(2008, 9, 10, 10, 0, tzinfo=UTC))


def log_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name="Mine opgaver")).to_be_visible()


def shown(page: Page, key: str):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-key="{key}"]').first


def test_skip_logic_in_the_browser_matches_the_server(app, live_server: str, page: Page) -> None:
    with app.app_context():
        number = factories.client(factories.user("skp", email="sara@example.com"))
    log_in(page, live_server, "sara@example.com")
    page.goto(f"{live_server}/skp/clients/{number}/reports/2008-08?closing=1")
    expect(page.get_by_role("heading", name="Indskrivning for august 2008")).to_be_visible()

    page.locator('input[name="q12"][value="2"]').check()
    expect(shown(page, "q13")).to_be_hidden()
    expect(shown(page, "q14")).to_be_visible()

    page.locator('input[name="q41"][value="4"]').check()
    expect(shown(page, "q42")).to_be_visible()
    page.locator('input[name="q42"][value="1"]').check()
    page.locator('input[name="q42"][value="3"]').check()
    for key, visible in (("q43", True), ("q45", True), ("q44", False), ("q46", False)):
        (expect(shown(page, key)).to_be_visible if visible else expect(shown(page, key)).to_be_hidden)()

    page.locator('input[name="q41"][value="2"]').check()  # not "formålet indfriet": Q42-Q46 go away
    expect(shown(page, "q42")).to_be_hidden()
    expect(shown(page, "q43")).to_be_hidden()
    page.locator('input[name="q41"][value="4"]').check()
    expect(shown(page, "q43")).to_be_visible()

    page.get_by_role("button", name="Gem kladde").click()
    expect(page.get_by_text("Kladden er gemt.")).to_be_visible()

    with app.app_context():
        answers = db.session.scalars(select(Report)).one().answers
    assert answers["q12"] == 2 and answers["q42"] == [1, 3]
    server_keys = set(applicable_keys(DEFINITION, answers, SECTIONS))
    assert {"q14", "q42", "q43", "q45"} <= server_keys
    assert not {"q13", "q44", "q46"} & server_keys
    for key in ("q13", "q14", "q42", "q43", "q44", "q45", "q46"):  # after the reload, once skiplogic.js has run
        question = expect(shown(page, key))
        (question.to_be_visible if key in server_keys else question.to_be_hidden)()


def test_without_javascript_every_question_is_shown(app, live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False, locale="da-DK")
    page = context.new_page()
    with app.app_context():
        number = factories.client(factories.user("skp", email="sara@example.com"))
    log_in(page, live_server, "sara@example.com")
    page.goto(f"{live_server}/skp/clients/{number}/reports/2008-08?closing=1")
    for key in ("q13", "q14", "q43", "q44", "q45", "q46", "q50"):
        expect(shown(page, key)).to_be_visible()
    context.close()


def test_typing_is_saved_automatically_as_a_draft(app, live_server: str, page: Page) -> None:
    with app.app_context():
        number = factories.client(factories.user("skp", email="sara@example.com"))
    log_in(page, live_server, "sara@example.com")
    page.goto(f"{live_server}/skp/clients/{number}/reports/2008-08")
    page.locator('input[name="q3"][value="2"]').check()
    page.locator('input[name="q26_tid_timer"]').fill("3")
    expect(page.locator("#autosave-status")).to_contain_text("Kladden er gemt automatisk", timeout=10_000)
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        assert report.status == "draft" and report.answers["q3"] == 2 and report.answers["q26_tid"] == 180
    page.reload()
    expect(page.locator('input[name="q3"][value="2"]')).to_be_checked()
    page.locator('input[name="q4"][value="1"]').check()
    page.get_by_role("button", name="Gem kladde").click()  # the version from autosave is current: no conflict
    expect(page.get_by_text("Kladden er gemt.")).to_be_visible()


LAYOUT_SHIFTS = """() => { window.__shifts = []; new PerformanceObserver(list => {
  for (const entry of list.getEntries()) { if (!entry.hadRecentInput) window.__shifts.push(entry.value); }
}).observe({type: 'layout-shift', buffered: true}); }"""


def test_an_intake_on_a_phone_shows_progress_per_part_without_moving_the_page(app, live_server: str,  # type: ignore[no-untyped-def]
                                                                             browser) -> None:
    """The parts' progress ("0 af 10 besvaret") is filled in after load into a line the page
    reserves: nothing the worker is looking at jumps (layout shift, as Lighthouse counts it)."""
    with app.app_context():
        number = factories.client(factories.user("skp", email="sara@example.com"))
    context = browser.new_context(locale="da-DK", viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, live_server, "sara@example.com")
    page.add_init_script(f"({LAYOUT_SHIFTS})()")
    page.goto(f"{live_server}/skp/clients/{number}/reports/2008-08")
    toc = page.get_by_role("navigation", name="Dele i rapporten")
    first_part = toc.locator(".toc-progress").first
    expect(first_part).to_have_text(re.compile(r"^0 af \d+ besvaret$"))
    asked = first_part.text_content().split()[2]
    page.locator('input[name="q4"]').first.check()
    expect(first_part).to_have_text(f"1 af {asked} besvaret")
    page.wait_for_timeout(300)
    shifts = page.evaluate("window.__shifts")
    context.close()
    assert sum(shifts) < 0.01, shifts
