"""A coordinator makes the evaluators' export in the browser: progress page (static script, strict
CSP) and the download of the finished workbook."""

from __future__ import annotations

import io
import re

import openpyxl
from playwright.sync_api import Page, expect

from reporting.core.clock import now
from reporting.demo.reports import seed_reports

import factories


def test_a_coordinator_downloads_the_export_in_the_browser(app, live_server: str, page: Page) -> None:
    with app.app_context():
        workers = [factories.user("skp", email=f"skp{i}@example.com") for i in range(2)]
        seed_reports(workers, clients_per_worker=2, months=5, now=now())
        factories.user("coordinator", email="tovholder@example.com")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "favicon" not in message.location.get("url", "") else None)
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("tovholder@example.com")
    page.get_by_label("Adgangskode").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    menu = page.get_by_role("navigation", name="Hovedmenu")
    expect(page.locator("html")).to_have_attribute("data-dkfds", "ready")  # init.js loads DKFDS after the first paint
    menu.get_by_role("button", name="Data og skemaer").click()  # a DKFDS submenu (dkfds.min.js)
    menu.get_by_role("link", name="Udtræk til evaluatorerne").click()
    expect(page.get_by_role("heading", name="Udtræk til evaluatorerne")).to_be_visible()
    page.get_by_label("Tilfældige for dette udtræk").check()
    page.get_by_role("button", name="Lav udtræk").click()
    link = page.get_by_role("link", name="Hent Excel-filen")
    expect(link).to_be_visible(timeout=60_000)  # the status script reloads the page when the file is ready
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("skp-udtraek-") and download.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True)
    assert "Indberetninger" in book.sheetnames and "Om udtrækket" in book.sheetnames
    # The file can be fetched once: the page says when it was fetched instead of offering it again.
    expect(page.get_by_text(re.compile(r"Filen er hentet kl\. \d\d\.\d\d\."))).to_be_visible()
    expect(link).to_be_hidden()
    assert errors == []


def test_the_statistics_zip_from_the_page_at_desktop_and_phone_width(app, live_server: str, page: Page,
                                                                      tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import zipfile
    from pathlib import Path

    with app.app_context():
        workers = [factories.user("skp", email=f"skp{i}@example.com") for i in range(2)]
        seed_reports(workers, clients_per_worker=2, months=5, now=now())
        factories.user("coordinator", email="tovholder@example.com")
    shots = Path(os.environ.get("EXPORT_SCREENSHOTS", tmp_path))
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("tovholder@example.com")
    page.get_by_label("Adgangskode").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server}/coordinator/export")
        choice = page.get_by_label(re.compile(r"Statistikfiler i en zip"))
        expect(choice).to_be_visible()
        choice.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"export-format-{width}.png"))
        page.screenshot(path=str(shots / f"export-page-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
    choice.check()
    page.get_by_role("button", name="Lav udtræk").click()
    link = page.get_by_role("link", name="Hent zip-filen")
    expect(link).to_be_visible(timeout=60_000)
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.path()) as archive:
        assert {"forloeb.sav", "forloeb.dta", "forloeb.csv", "kodebog.csv"} <= set(archive.namelist())
