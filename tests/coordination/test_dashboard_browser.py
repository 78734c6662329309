"""The coordinator's dashboard draws the on-time chart with Chart.js under the strict CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

import coord_seed as seed
import factories

NOW = seed.at(2026, 12, 20, 10, 0)


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=NOW)


def test_the_dashboard_shows_the_on_time_chart(app, live_server: str, page: Page) -> None:
    with app.app_context():
        worker = factories.user("skp", email="sara@example.com", unit_name="Team Vest").id
        course = seed.course(seed.client(worker, "Hemmelig Hund"), "2026-01")
        for month in range(1, 12):
            if month % 3:
                seed.report(course, f"2026-{month:02d}", seed.at(2026, month + 1, 5))
        factories.user("coordinator", email="tovholder@example.com")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"{message.text} {message.location.get('url')}")
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico") else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("tovholder@example.com")
    page.get_by_label("Adgangskode").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    menu = page.get_by_role("navigation", name="Hovedmenu")
    expect(page.locator("html")).to_have_attribute("data-dkfds", "ready")  # init.js loads DKFDS after the first paint
    menu.get_by_role("button", name="Opfølgning").click()  # a DKFDS submenu (dkfds.min.js)
    menu.get_by_role("link", name="Overblik").click()
    expect(page.get_by_role("heading", name="Overblik over indberetninger")).to_be_visible()
    chart = page.locator("#ontime-chart")
    expect(chart).to_have_attribute("data-chart-ready", "12")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    painted = page.evaluate(
        """() => {
            const canvas = document.getElementById('ontime-chart');
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let coloured = 0;
            for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) coloured++; }
            return coloured;
        }"""
    )
    assert painted > 1000  # the canvas has been drawn on, not just laid out
    expect(page.locator("#ontime-table")).to_contain_text("November 2026")
    assert errors == []  # no CSP violations or script errors
