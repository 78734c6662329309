"""A worker's half year in the browser: intake, monthly, periodic and closing reports, with the
overview's statuses checked before and after each deadline on a frozen clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

import factories

PENDING_JS = """() => {
  const form = document.getElementById('report-form');
  const shown = el => el.offsetParent !== null;
  const pending = {choices: [], numbers: []};
  const seen = new Set();
  for (const input of form.querySelectorAll('input, textarea')) {
    if (input.type === 'hidden' || !shown(input)) continue;
    if (input.type === 'radio' || input.type === 'checkbox') {
      if (seen.has(input.name)) continue;
      seen.add(input.name);
      const dated = input.closest('[data-date-code]');  // D17: a written date answers it
      if (dated && dated.querySelector('input[type="text"]').value) continue;
      const group = form.querySelectorAll(`input[name="${input.name}"]`);
      if (![...group].some(i => i.checked)) pending.choices.push(input.id);
    } else if (input.inputMode === 'numeric' && !input.value) {
      pending.numbers.push(input.id);
    }
  }
  return pending;
}"""


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=datetime(2008, 9, 5, 9, 0, tzinfo=UTC), IDLE_TIMEOUT_MINUTES=10**6)


def at(app, year: int, month: int, day: int) -> None:  # type: ignore[no-untyped-def]
    app.config["FIXED_NOW"] = datetime(year, month, day, 9, 0, tzinfo=UTC)


def answer_everything_shown(page: Page) -> None:
    """Answer each visible, unanswered question with its first option (or 1), as skip logic unfolds."""
    for _ in range(20):
        pending = page.evaluate(PENDING_JS)
        if not pending["choices"] and not pending["numbers"]:
            return
        for element_id in pending["choices"]:
            page.locator(f"#{element_id}").check()
        for element_id in pending["numbers"]:
            page.locator(f"#{element_id}").fill("1")
    raise AssertionError("the form kept asking new questions")


def month_row(page: Page, period: str):  # type: ignore[no-untyped-def]
    return page.locator(f'li[data-period="{period}"]')


def open_overview(page: Page, base: str) -> None:
    page.goto(f"{base}/skp/reports")
    expect(page.get_by_role("heading", name="Mine indberetninger")).to_be_visible()


def file_report(page: Page, base: str, period: str, month_name: str) -> None:
    open_overview(page, base)
    month_row(page, period).get_by_role("link", name="Indberet").click()
    expect(page.get_by_role("heading", name=f"Indberetning for {month_name}")).to_be_visible()


def submit(page: Page) -> None:
    page.get_by_role("button", name="Indsend rapporten").click()
    expect(page.get_by_role("heading", name=re.compile("er indsendt"))).to_be_visible()


def test_a_worker_reports_a_course_from_intake_to_closing(app, live_server: str, page: Page) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("sara@example.com")
    page.get_by_label("Adgangskode").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind").click()

    page.goto(f"{live_server}/skp/clients/new")
    page.get_by_label("Kaldenavn").fill("Hund 7")
    page.get_by_role("button", name="Opret klient").click()
    expect(page.get_by_role("heading", name="Klient K-00001")).to_be_visible()

    # Intake for August 2008, filed 5 September: Del 1-6, contact start 20.08.2008.
    open_overview(page, live_server)
    page.get_by_role("link", name="Indskrivning for august 2008").click()
    for key in ("q3", "q20_1", "q26_tid_timer", "q33", "q37_1"):
        expect(page.locator(f'[name="{key}"]').first).to_be_visible()
    page.locator('input[name="q16_dato"]').fill("20-08-2008")  # D17: the date alone, no choice first
    answer_everything_shown(page)
    submit(page)
    expect(page.get_by_role("heading", name="Indskrivningen for august 2008 er indsendt")).to_be_visible()
    expect(page.locator("#receipt")).to_contain_text("Den kom til tiden.")
    open_overview(page, live_server)
    expect(month_row(page, "2008-08")).to_contain_text("Indberettet til tiden")

    # September, monthly only (Del 3 and 4), before its deadline.
    at(app, 2008, 10, 5)
    open_overview(page, live_server)
    expect(month_row(page, "2008-09")).to_contain_text("Skal indberettes")
    file_report(page, live_server, "2008-09", "september 2008")
    expect(page.locator('[name="q20_1"]').first).to_be_hidden()  # Del 2 only if the course closes (D21)
    expect(page.locator('[name="q3"]')).to_have_count(0)
    answer_everything_shown(page)
    submit(page)

    # October is missed past its deadline (15 November), then filed 5 days late.
    at(app, 2008, 11, 20)
    open_overview(page, live_server)
    expect(month_row(page, "2008-10")).to_contain_text("Mangler")
    file_report(page, live_server, "2008-10", "oktober 2008")
    answer_everything_shown(page)
    submit(page)
    expect(page.locator("#receipt")).to_contain_text("Den kom 5 dage efter fristen.")
    open_overview(page, live_server)
    expect(month_row(page, "2008-10")).to_contain_text("Indberettet 5 dage for sent")

    at(app, 2008, 12, 10)
    file_report(page, live_server, "2008-11", "november 2008")
    answer_everything_shown(page)
    submit(page)

    # December is four months after the contact start: Del 2, 5 and 6 are back.
    at(app, 2009, 1, 10)
    file_report(page, live_server, "2008-12", "december 2008")
    for key in ("q20_1", "q33", "q37_1", "q26_tid_timer"):
        expect(page.locator(f'[name="{key}"]').first).to_be_visible()
    expect(page.locator('[name="q3"]')).to_have_count(0)
    answer_everything_shown(page)
    submit(page)

    # January 2009 closes the course (Del 7 with the end measurement).
    at(app, 2009, 2, 10)
    file_report(page, live_server, "2009-01", "januar 2009")
    expect(page.locator('[name="q40"]')).to_be_hidden()
    page.get_by_label("Ja, forløbet afsluttes eller udsættes med denne rapport").check()
    expect(page.locator('[name="q40"]')).to_be_visible()
    expect(page.locator('[name="q20_1"]').first).to_be_visible()
    page.locator('input[name="q40"]').fill("28-01-2009")
    answer_everything_shown(page)
    page.locator('input[name="q49"]').fill("3")  # failed visits: 1 before + 2 after the first meeting
    page.locator('input[name="q50"]').fill("1")
    page.locator('input[name="q51"]').fill("2")
    page.get_by_role("button", name="Indsend rapporten").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("K-00001")  # the confirmation names the client and the month
    expect(dialog).to_contain_text("januar 2009")
    dialog.get_by_role("button", name="Ja, indsend og afslut forløbet").click()
    expect(page.locator("#course-closed")).to_have_text("Forløbet er afsluttet pr. januar 2009.")
    open_overview(page, live_server)
    for period in ("2008-08", "2008-09", "2008-11", "2008-12", "2009-01"):
        expect(month_row(page, period)).to_contain_text("Indberettet til tiden")
    expect(month_row(page, "2008-10")).to_contain_text("for sent")
    expect(page.get_by_text("Forløb 1: afsluttet")).to_be_visible()

    # A month later nothing is due for the closed course.
    at(app, 2009, 3, 20)
    open_overview(page, live_server)
    expect(page.locator('li[data-status="missing"]')).to_have_count(0)
    expect(month_row(page, "2009-02")).to_have_count(0)
