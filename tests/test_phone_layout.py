"""Every page as every role on a phone (390×844, issue 16): nothing scrolls sideways, and "Log af" can
always be reached (on a phone it is in the DKFDS menu drawer, opened by the "Menu" button).

The page list is the accessibility test's (every GET page the role may open, with the same world).
"""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from test_accessibility import app, log_in, pages_for, world  # noqa: F401 - fixtures shared with the axe test

PHONE = {"width": 390, "height": 844}



def phone_page(browser: Browser) -> Page:
    context = browser.new_context(locale="da-DK", viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(10_000)
    return context.new_page()


def sideways(page: Page) -> int:
    """How many pixels the page scrolls sideways (0 when it fits)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def log_off_reachable(page: Page) -> bool:
    """'Log af' is visible, or becomes visible in the drawer the 'Menu' button opens (then closed again)."""
    log_off = page.get_by_role("button", name="Log af")
    if log_off.first.is_visible():
        return True
    menu = page.get_by_role("button", name="Menu")
    if not menu.is_visible():
        return False
    expect(page.locator("html")).to_have_attribute("data-dkfds", "ready")  # init.js loads DKFDS after the first paint
    menu.click()
    drawer = page.get_by_role("dialog", name="Menu")
    reachable = drawer.get_by_role("button", name="Log af").is_visible() and \
        drawer.get_by_role("link", name="Skift adgangskode").is_visible()
    drawer.get_by_role("button", name="Luk menu").click()
    return reachable


@pytest.mark.parametrize("role", [None, "skp", "caseworker", "coordinator", "admin"])
def test_every_page_fits_a_phone_and_can_log_off(app: Flask, world: dict[str, object],  # noqa: F811
                                                 live_server: str, browser: Browser, role: str | None) -> None:
    page = phone_page(browser)
    if role:
        log_in(page, live_server, f"{role}@example.com")
    problems: dict[str, str] = {}
    for url in pages_for(app, world, role):
        page.goto(live_server + url)
        found = []
        if (extra := sideways(page)) > 0:
            found.append(f"scrolls {extra} px sideways")
        if role and not log_off_reachable(page):
            found.append('"Log af" cannot be reached')
        if found:
            problems[url] = "; ".join(found)
    page.context.close()
    assert problems == {}, "\n".join(f"{url}: {problem}" for url, problem in problems.items())


def test_the_menu_drawer_opens_with_navigation_user_and_log_off(app: Flask, world: dict[str, object],  # noqa: F811
                                                                 live_server: str, browser: Browser) -> None:
    page = phone_page(browser)
    log_in(page, live_server, "admin@example.com")
    expect(page.get_by_role("navigation", name="Hovedmenu")).to_be_hidden()  # DKFDS hides it on a phone
    expect(page.locator("html")).to_have_attribute("data-dkfds", "ready")  # init.js loads DKFDS after the first paint
    page.get_by_role("button", name="Menu").click()
    drawer = page.get_by_role("dialog", name="Menu")
    expect(drawer).to_be_visible()
    drawer.get_by_role("button", name="Administration").click()  # a submenu in the drawer
    expect(drawer.get_by_role("link", name="Brugere")).to_be_visible()
    expect(drawer.get_by_text("Administrator")).to_be_visible()
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    drawer.get_by_role("button", name="Log af").click()
    expect(page.get_by_role("heading", name="Log ind")).to_be_visible()
