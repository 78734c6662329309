"""A person logs in and out in a real browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect

import factories


def test_worker_logs_in_and_out(app, live_server: str, page: Page) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", name="Log ind")).to_be_visible()
    page.get_by_label("E-mail").fill("sara@example.com")
    page.get_by_label("Adgangskode").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name="Mine opgaver")).to_be_visible()
    expect(page.get_by_role("navigation", name="Hovedmenu")).to_be_visible()
    page.get_by_role("button", name="Log af").click()
    expect(page.get_by_text("Du er logget ud.")).to_be_visible()
    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", name="Log ind")).to_be_visible()


def test_wrong_password_shows_the_error_summary(app, live_server: str, page: Page) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("sara@example.com")
    page.get_by_label("Adgangskode").fill("forkert-kode-123")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("alert")).to_contain_text("E-mail eller adgangskode er forkert.")
    expect(page.get_by_label("E-mail")).to_have_value("sara@example.com")


def test_design_system_stylesheet_is_served(live_server: str, page: Page) -> None:
    response = page.goto(f"{live_server}/assets/dkfds/css/dkfds.min.css")
    assert response is not None and response.ok
    assert "text/css" in response.headers["content-type"]
