"""A worker's whole month in Chromium (issue 15): 8 clients, one intake, one periodic report, one
closing and five monthly reports, filed from the front page's task list at a frozen clock.

The test counts what is not answering: navigation clicks (task buttons, "Næste", submit, the
closing confirmation), page loads, and how far down the page each navigation button was. It
prints the figures and holds the issue's bounds: every due report's button is on the front page
above any history, and each report costs at most 3 navigation clicks and 2 page loads.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from reporting.core.extensions import db
from reporting.core.schedule import Period
from reporting.skp.clients import create_client, start_course
from reporting.skp.models import Course, Report

import factories

NOW = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)  # December 2026 is due on 15 January 2027
DECEMBER = Period(2026, 12)
MONTHLY_COUNTS = {"q26_tlf": 2, "q26_moeder": 1, "q26_forgaeves": 0}

PENDING_JS = """() => {
  const form = document.getElementById('report-form');
  const shown = el => el.offsetParent !== null;
  const pending = {choices: [], numbers: [], dates: []};
  const seen = new Set();
  for (const input of form.querySelectorAll('input, textarea')) {
    if (input.type === 'hidden' || !shown(input) || input.disabled || input.name === 'closing') continue;
    // A date question's boxes ("Før 1.6.2007", "Ikke endnu") are left alone: the date is typed.
    if (input.type === 'checkbox' && form.querySelector(`[name="${input.name}_dato"]`)) continue;
    if (input.type === 'radio' || input.type === 'checkbox') {
      if (seen.has(input.name)) continue;
      seen.add(input.name);
      const group = form.querySelectorAll(`input[name="${input.name}"]`);
      if (![...group].some(i => i.checked)) pending.choices.push(input.id);
    } else if (input.name.endsWith('_dato') && !input.value) {
      pending.dates.push(input.id);
    } else if (input.inputMode === 'numeric' && !input.value) {
      pending.numbers.push(input.id);
    }
  }
  return pending;
}"""


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=NOW, IDLE_TIMEOUT_MINUTES=10**6)


def seed_course(worker, nickname: str, intake: Period, until: Period, counts: dict | None = None) -> str:  # type: ignore[no-untyped-def]
    """A client whose course started in ``intake`` with every month up to ``until`` submitted."""
    client = create_client(worker.id, nickname)
    course = start_course(client, intake)
    period = intake
    while period <= until:
        db.session.add(Report(course=course, period=period.first_day, status="submitted",
                              answers=dict(counts or MONTHLY_COUNTS), definition_key="skp_monthly",
                              definition_version=1, submitted_at=datetime(period.year, period.month, 28, tzinfo=UTC)
                              if period.month != 12 else datetime(period.year, 12, 28, tzinfo=UTC)))
        period = period + 1
    db.session.commit()
    return client.system_number


@pytest.fixture
def caseload(app):  # type: ignore[no-untyped-def]
    """8 clients: a new one (intake due), one 4 months from its intake (periodic), six monthly."""
    with app.app_context():
        worker = factories.user("skp", email="sara@example.com")
        numbers = {
            "new": factories.client(worker, "Ny klient"),
            "periodic": seed_course(worker, "Fire måneder", Period(2026, 8), Period(2026, 11)),
            "closing": seed_course(worker, "Slutter nu", Period(2026, 9), Period(2026, 11)),
        }
        for n in range(5):
            numbers[f"monthly{n}"] = seed_course(worker, f"Månedlig {n + 1}", Period(2026, 9), Period(2026, 11))
    return numbers


def log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill("sara@example.com")
    page.get_by_label("Adgangskode").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name="Mine opgaver")).to_be_visible()


def answer_everything_shown(page: Page) -> None:
    """Answer each visible, unanswered question (first option, 1, a date in the month)."""
    for _ in range(20):
        pending = page.evaluate(PENDING_JS)
        if not any(pending.values()):
            return
        for element_id in pending["choices"]:
            page.locator(f"#{element_id}").check()
        for element_id in pending["numbers"]:
            page.locator(f"#{element_id}").fill("1")
        for element_id in pending["dates"]:
            page.locator(f"#{element_id}").fill("05-12-2026")
    raise AssertionError("the form kept asking new questions")


class Meter:
    """Counts navigation clicks and page loads, and how many screens down each button was."""

    def __init__(self, page: Page) -> None:
        self.page, self.clicks, self.loads, self.screens = page, 0, 0, []
        page.on("load", lambda _: self._loaded())

    def _loaded(self) -> None:
        self.loads += 1

    def click(self, locator, finding: bool = False) -> None:  # type: ignore[no-untyped-def]
        """Click a navigation button; ``finding``: the button that opens a report (its position is
        the scrolling it takes to find the report, as opposed to reaching the end of a form)."""
        if finding:
            top = locator.evaluate("el => el.getBoundingClientRect().top + window.scrollY")
            self.screens.append(top / self.page.viewport_size["height"])
        self.clicks += 1
        locator.click()


def test_a_worker_files_a_whole_month_from_the_task_list(app, caseload, live_server: str, page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server)

    # The front page lists all 8 due reports with their buttons, and nothing else above them.
    buttons = page.locator("#task-list .task .button")
    expect(buttons).to_have_count(8)
    expect(page.locator("#task-list h2")).to_have_text(
        "Du mangler 8 indberetninger for december 2026 – frist 15. januar 2027")
    expect(page.locator("#task-list .task").first).to_contain_text(caseload["new"])  # the intake first
    last_button = buttons.last.evaluate("el => el.getBoundingClientRect().bottom + window.scrollY")
    history = page.locator("#early-tasks")
    top_of = "el => el.getBoundingClientRect().top + window.scrollY"
    assert history.count() == 0 or history.evaluate(top_of) > last_button

    meter = Meter(page)
    filed: list[tuple[str, int, int]] = []
    open_next = buttons.first  # the first report from the task list, every next one from its receipt
    for _ in range(8):
        clicks, loads = meter.clicks, meter.loads
        meter.click(open_next, finding=True)
        expect(page.locator("#report-form")).to_be_visible()
        heading = page.locator("h1").inner_text()
        number = page.locator(".font-lead strong").first.inner_text()
        closing = number == caseload["closing"]
        if closing:
            page.get_by_label("Ja, forløbet afsluttes eller udsættes med denne rapport").check()
        answer_everything_shown(page)
        if closing:
            page.locator("#q40").fill("28-12-2026")
            fix_failed_visits(page)
        meter.click(page.get_by_role("button", name="Indsend rapporten"))
        if closing:
            dialog = page.get_by_role("dialog")
            expect(dialog).to_contain_text(number)
            expect(dialog).to_contain_text("december 2026")
            meter.click(dialog.get_by_role("button", name="Ja, indsend og afslut forløbet"))
            expect(page.locator("#course-closed")).to_contain_text("afsluttet pr. december 2026")
        expect(page.locator("#receipt")).to_contain_text("Den kom til tiden.")
        filed.append((f"{number} {heading}", meter.clicks - clicks, meter.loads - loads))
        open_next = page.locator("#next-task")
        if not open_next.count():
            break
    expect(page.locator("#all-done")).to_be_visible()

    print("\nreport                                        nav-clicks  page-loads")
    for name, clicks, loads in filed:
        print(f"{name:<46}{clicks:>10}{loads:>12}")
    print(f"total: {meter.clicks} navigation clicks, {meter.loads} page loads for {len(filed)} reports; "
          f"the button that opens a report at most {max(meter.screens):.2f} screens down (390x844)")
    # Per report: its button (task list or "Næste"), submit, and for the closing report the confirmation.
    assert all(clicks <= 3 and loads <= 2 for _, clicks, loads in filed), filed
    assert max(meter.screens) < 1  # no scrolling to find the next report
    with app.app_context():
        reports = db.session.scalars(select(Report).where(Report.period == DECEMBER.first_day)).all()
        assert len(reports) == 8 and all(r.status == "submitted" for r in reports)
        assert sorted(r.closes_course for r in reports) == [False] * 7 + [True]
        periodic = next(r for r in reports if r.course.client.system_number == caseload["periodic"])
        assert "q33" in periodic.answers  # Del 5 came with the fourth month
        closed = db.session.scalars(select(Course).where(Course.status == "closed")).one()
        assert closed.client.system_number == caseload["closing"]


def fix_failed_visits(page: Page) -> None:
    """Q50 + Q51 must add up to Q49 (E43); the worker splits the failed visits."""
    total = page.locator("#q49").input_value()
    for key, value in (("q50", total), ("q51", "0")):
        field = page.locator(f"#{key}")
        if field.is_visible():
            field.fill(value)


def test_closing_totals_start_as_the_sums_of_the_monthly_counts(app, caseload, live_server: str, page: Page) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server}/skp/clients/{caseload['closing']}/reports/2026-12")
    page.get_by_label("Ja, forløbet afsluttes eller udsættes med denne rapport").check()
    # September to November: 3 reports with 2 phone contacts and 1 meeting each.
    expect(page.locator("#q47")).to_have_value("6")
    expect(page.locator("#q48")).to_have_value("3")
    expect(page.locator("#closing-totals-note")).to_contain_text("3 indsendte månedsrapporter")
    page.locator("#q26_tlf").fill("4")  # this month's count is added as it is typed
    expect(page.locator("#q47")).to_have_value("10")
    page.locator("#q47").fill("12")  # the worker's own figure wins
    page.locator("#q26_tlf").fill("5")
    expect(page.locator("#q47")).to_have_value("12")


def test_the_table_of_contents_shows_progress_per_part(app, caseload, live_server: str, page: Page) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server}/skp/clients/{caseload['monthly0']}/reports/2026-12")
    del3 = page.locator(".report-toc li", has_text="Del 3")
    expect(del3).to_contain_text("0 af")
    page.locator("#q26_tlf").fill("2")
    expect(del3).to_contain_text("1 af")


def test_enter_in_any_field_never_changes_the_parts(app, caseload, live_server: str, page: Page) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server}/skp/clients/{caseload['new']}/reports/2026-12")
    sections = ("() => [...document.querySelectorAll('section.questionnaire-section')]"
                ".filter(s => !s.hidden).map(s => s.dataset.key)")
    before = page.evaluate(sections)
    loads: list[str] = []
    page.on("load", lambda _: loads.append(page.url))
    fields = page.locator("#report-form input[type=text]:visible, #report-form input[type=number]:visible, "
                          "#report-form input[type=date]:visible")
    assert fields.count() > 5
    for index in range(fields.count()):
        fields.nth(index).press("Enter")
    assert loads == [] and page.evaluate(sections) == before
    expect(page.locator("#closing-0")).to_be_checked()
