"""Issue 17 in Chromium: a coordinator deactivates a worker and hands their 8 clients to a colleague
in one flow; the colleague files the next report of one of them; the old worker's routes of those
clients answer 404; the dashboard and the next reminder digest follow the move."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from reporting.coordination import reminders
from reporting.core import settings_store
from reporting.core.extensions import db
from reporting.core.models import OutboxMail, User
from reporting.core.schedule import Period
from reporting.skp.clients import create_client, start_course
from reporting.skp.models import Client, Report

import factories
from support import login

NOW = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=NOW, IDLE_TIMEOUT_MINUTES=10**6)


@pytest.fixture
def team(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        sara = factories.user("skp", email="sara@example.com")
        bo = factories.user("skp", email="bo@example.com")
        factories.user("coordinator", email="tove@example.com")
        numbers = []
        for n in range(8):
            client = create_client(sara.id, f"Sara {n + 1}")
            course = start_course(client, Period(2026, 11))
            db.session.add(Report(course=course, period=Period(2026, 11).first_day, status="submitted",
                                  answers={}, definition_key="skp_monthly", definition_version=1,
                                  submitted_at=datetime(2026, 12, 1, tzinfo=UTC)))
            numbers.append(client.system_number)
        db.session.commit()
        return {"sara": sara.id, "bo": bo.id, "numbers": numbers}


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind").click()


def test_a_coordinator_hands_a_leaving_workers_clients_to_a_colleague(app, team, live_server: str,
                                                                      page: Page, browser) -> None:
    sara = app.test_client()
    login(sara, "sara@example.com")
    sara_routes = [route for number in team["numbers"] for route in (
        f"/skp/clients/{number}", f"/skp/clients/{number}/reports/2026-12", f"/skp/clients/{number}/rename",
        f"/skp/clients/{number}/delete", f"/skp/clients/{number}/reports/2026-11/kvittering")]
    assert all(sara.get(route).status_code == 200 for route in sara_routes[:2])

    log_in(page, live_server, "tove@example.com")
    page.goto(f"{live_server}/coordinator/users/{team['sara']}/status")
    successor = page.get_by_label("Hvem overtager Test Skps 8 klienter?")
    successor.select_option(str(team["bo"]))
    page.get_by_role("button", name="Deaktiver brugeren og overfør klienterne").click()
    expect(page.get_by_text("er deaktiveret. 8 klienter er overført.")).to_be_visible()

    # The old worker's session ended with the deactivation; even so, every route of the clients is
    # 404 for their account, never a page with the clients.
    with app.app_context():
        db.session.get(User, team["sara"]).active = True  # only to show the routes are closed by ownership
        db.session.commit()
    login(sara, "sara@example.com")
    assert all(sara.get(route).status_code == 404 for route in sara_routes), "the old worker still sees a client"

    # The colleague sees the clients on the task list and files the next report of one of them.
    context = browser.new_context(locale="da-DK")
    colleague = context.new_page()
    log_in(colleague, live_server, "bo@example.com")
    expect(colleague.locator("#task-list .task")).to_have_count(8)
    first = team["numbers"][0]
    colleague.locator(f'#task-list .task[data-client="{first}"] .button').click()
    expect(colleague.get_by_role("heading", name="Indberetning for december 2026")).to_be_visible()
    for name, value in (("q26_tid_timer", "1"), ("q26_tlf", "1"), ("q26_moeder", "1"), ("q26_forgaeves", "0"),
                        ("q30_tid_timer", "0"), ("q30_antal", "0")):
        field = colleague.locator(f'input[name="{name}"]')
        if field.count():
            field.fill(value)
    answer_remaining(colleague)
    colleague.get_by_role("button", name="Indsend rapporten").click()
    expect(colleague.locator("#receipt")).to_contain_text(first)
    context.close()

    # The drill-downs count the moved months under the colleague, and the digest goes to them.
    page.goto(f"{live_server}/coordinator/compliance/workers/{team['bo']}")
    expect(page.locator('#worker-months li[data-status="due"]')).to_have_count(7)
    page.goto(f"{live_server}/coordinator/compliance/workers/{team['sara']}")
    expect(page.get_by_text("Ingen åbne eller for sent indsendte rapporter.")).to_be_visible()
    with app.app_context():
        db.session.get(User, team["sara"]).active = False
        db.session.commit()
        reminders.run(date(2027, 1, settings_store.reminder_days()[0]))
        mails = {m.recipient: m.body for m in db.session.scalars(select(OutboxMail))}
        owners = set(db.session.scalars(select(Client.worker_id)))
    assert owners == {team["bo"]}
    assert all(number in mails.get("bo@example.com", "") for number in team["numbers"][1:])
    assert "sara@example.com" not in mails


def answer_remaining(page: Page) -> None:
    """Tick the first option of each visible, unanswered question (as the skip logic unfolds)."""
    script = """() => {
      const form = document.getElementById('report-form'); const out = []; const seen = new Set();
      for (const input of form.querySelectorAll('input[type=radio], input[type=checkbox]')) {
        if (input.offsetParent === null || input.name === 'closing' || seen.has(input.name)) continue;
        seen.add(input.name);
        if (![...form.querySelectorAll(`input[name="${input.name}"]`)].some(i => i.checked)) out.push(input.id);
      }
      for (const input of form.querySelectorAll('input[inputmode=numeric]')) {
        if (input.offsetParent !== null && !input.value) out.push(input.id);
      }
      return out;
    }"""
    for _ in range(10):
        pending = page.evaluate(script)
        if not pending:
            return
        for element_id in pending:
            element = page.locator(f"#{element_id}")
            if element.get_attribute("type") in ("radio", "checkbox"):
                element.check()
            else:
                element.fill("1")
