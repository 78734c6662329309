"""A municipal coordinator opens "Effektmåling" in the browser: only their municipality, charts drawn
by the static script under the strict CSP, no sideways scrolling on a phone."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from reporting.core.clock import now
from reporting.demo.reports import seed_reports
from reporting.evaluation import effect as page_module

import factories

#: Where the screenshots go (looked at by hand; EFFECT_SCREENSHOTS=dir to keep them).
SHOTS = os.environ.get("EFFECT_SCREENSHOTS")


def _no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_a_municipal_coordinator_sees_only_their_municipality(app, live_server: str, page: Page,
                                                              tmp_path: Path) -> None:
    page_module.clear_memory()
    with app.app_context():
        esbjerg = [factories.user("skp", email=f"skp{i}@example.com") for i in range(2)]
        aarhus = [factories.user("skp", email="aarhus@example.com", municipality_name="Aarhus")]
        seed_reports([*esbjerg, *aarhus], clients_per_worker=14, months=13, now=now(), seed=5)
        factories.user("coordinator", email="tovholder@example.com")
        esbjerg_courses = page_module.compute(esbjerg[0].municipality_id,
                                              page_module.ExportRequest()).courses
        all_courses = page_module.compute(None, page_module.ExportRequest()).courses
    assert esbjerg_courses < all_courses
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "favicon" not in message.location.get("url", "") else None)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("tovholder@example.com")
    page.get_by_label("Adgangskode").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    menu = page.get_by_role("navigation", name="Hovedmenu")
    menu.get_by_role("button", name="Data og skemaer").click()
    menu.get_by_role("link", name="Effektmåling").click()
    expect(page.get_by_role("heading", name="Effektmåling", level=1)).to_be_visible()
    # only their municipality: the one choice, its courses, nothing of Aarhus
    options = page.locator("#kommune option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_text("Esbjerg")
    expect(page.locator('[data-col="forloeb"]')).to_have_text(str(esbjerg_courses))
    assert "Aarhus" not in page.content()
    for key in ("psykisk_tilstand", "tillid", "livskvalitet", "vaergemaal"):
        expect(page.locator(f"#chart-{key}")).to_have_attribute("data-chart-ready", re.compile(r"^[2-9]"),
                                                                  timeout=10_000)
    page.get_by_label("Gruppe").select_option(label="Kvinder")
    page.get_by_role("button", name="Vis").click()
    expect(page.get_by_role("heading", name="Ændring – Kvinder").first).to_be_visible()
    shots = Path(SHOTS) if SHOTS else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "effect-1366.png"), full_page=False)
    page.locator("#skala-tillid").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "effect-1366-chart.png"), full_page=False)
    page.locator("#grupper").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "effect-1366-groups.png"), full_page=False)
    assert _no_sideways_scroll(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.get_by_role("heading", name="Effektmåling", level=1)).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "effect-390.png"), full_page=False)
    page.locator("#changes-tillid").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "effect-390-table.png"), full_page=False)
    assert _no_sideways_scroll(page)
    assert errors == []
