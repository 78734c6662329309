"""A caseworker answers the follow-up survey in the browser (autosave, "Tjek dine svar", "Ret", "Indsend");
the coordinator then sees the results chart (Chart.js under the strict CSP) with the table of the same
numbers beside it."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

import coord_seed
import factories
import survey_seed as seed

NOW = coord_seed.at(2026, 12, 1, 10, 0)


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=NOW)


def log_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind").click()


def painted(page: Page, canvas_id: str) -> int:
    return page.evaluate(
        """(id) => {
            const canvas = document.getElementById(id);
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let coloured = 0;
            for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) coloured++; }
            return coloured;
        }""",
        canvas_id,
    )


def test_a_caseworker_answers_and_the_coordinator_sees_the_chart(app, live_server: str, page: Page) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        nord = seed.unit("Team Nord")
        baseline = seed.wave([nord], "baseline", end=date(2026, 6, 30), title="Baseline 2026")
        followup = seed.wave([nord], "followup", end=date(2026, 12, 15), title="Opfølgning 2026", baseline=baseline)
        for n in range(5):
            person = seed.caseworker(f"nord{n}@example.com", "Team Nord")
            seed.response(baseline, person, seed.answers("baseline", 2))
            seed.response(followup, person, seed.answers("followup", 4))
        mette = seed.caseworker("mette@example.com", "Team Nord")
        seed.response(baseline, mette, seed.answers("baseline", 3))
        factories.user("coordinator", email="tovholder@example.com")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"{message.text} {message.location.get('url')}")
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico") else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    log_in(page, live_server, "mette@example.com")
    page.get_by_role("link", name="Opfølgning 2026").click()
    expect(page.get_by_role("heading", name="Spørgeskema om koordinering")).to_be_visible()
    page.locator('input[name="b1"][value="3"]').check()
    expect(page.locator("#autosave-status")).to_contain_text("Kladden er gemt automatisk")  # no button pressed
    for key in seed.B_ITEMS + seed.F_ITEMS:
        page.locator(f'input[name="{key}"][value="5"]').check()
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.get_by_text("Kladden er gemt.")).to_be_visible()
    page.get_by_label("Har du kommentarer til koordineringen af sagsforløb?").fill("Bedre end før.")
    page.get_by_role("button", name="Tjek dine svar").click()
    expect(page.get_by_role("heading", name="Tjek dine svar")).to_be_visible()
    expect(page.locator('[data-key="kommentar"]')).to_contain_text("Bedre end før.")
    page.get_by_role("link", name="Ret svaret på: Har du kommentarer til koordineringen af sagsforløb?").click()
    comment = page.get_by_label("Har du kommentarer til koordineringen af sagsforløb?")
    expect(comment).to_have_value("Bedre end før.")  # the answers are kept
    expect(page.locator('input[name="b1"][value="5"]')).to_be_checked()
    comment.fill("Bedre end før, især med netværkskortet.")
    page.get_by_role("button", name="Tjek dine svar").click()
    expect(page.locator('[data-key="kommentar"]')).to_contain_text("især med netværkskortet")
    page.get_by_role("button", name="Indsend").click()
    expect(page.get_by_text("Tak. Dine svar er indsendt.")).to_be_visible()
    page.get_by_role("link", name="Opfølgning 2026").click()
    expect(page.locator("#own-answers")).to_contain_text("Bedre end før, især med netværkskortet.")
    page.get_by_role("button", name="Log af").click()

    log_in(page, live_server, "tovholder@example.com")
    menu = page.get_by_role("navigation", name="Hovedmenu")
    expect(page.locator("html")).to_have_attribute("data-dkfds", "ready")  # init.js loads DKFDS after the first paint
    menu.get_by_role("button", name="Data og skemaer").click()  # a DKFDS submenu (dkfds.min.js)
    menu.get_by_role("link", name="Spørgeskema om koordinering").click()
    page.get_by_role("link", name="Resultater for Opfølgning 2026").click()
    expect(page.get_by_role("heading", name="Andel positive svar pr. spørgsmål")).to_be_visible()
    chart = page.locator("#survey-chart")
    expect(chart).to_have_attribute("data-chart-ready", "10")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    assert painted(page, "survey-chart") > 1000
    expect(page.locator("#survey-distribution-chart")).to_have_attribute("data-chart-ready", "16")
    assert painted(page, "survey-distribution-chart") > 1000
    expect(page.locator('#share-table tr[data-item="b1"]')).to_contain_text("100 %")  # 6 of 6 answered 4-5
    expect(page.locator('#change-table tr[data-item="b1"]')).to_contain_text("+2,0")
    expect(page.locator("body")).not_to_contain_text("Bedre end før.")
    assert errors == []  # no CSP violations or script errors
