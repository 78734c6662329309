"""In a real browser: a coordinator enrols a second factor, then logs in with a code and with a
recovery code; a worker asks for a new password and chooses one through the mailed link.

With ``SKP_SCREENSHOTS=<dir>`` the pages are also saved at 1366×768 and 390×844 (for review)."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
from flask import Flask
from playwright.sync_api import Page, expect

from reporting.auth import password_reset

import factories

START = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}


def shoot(page: Page, name: str) -> None:
    folder = os.environ.get("SKP_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(Path(folder) / f"{name}-{label}.png"), full_page=True)
    if original:
        page.set_viewport_size(original)


def password_step(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind", exact=True).click()


def test_a_coordinator_enrols_and_logs_in_with_a_code_and_a_recovery_code(app: Flask, live_server: str,
                                                                          page: Page) -> None:
    app.config.update(MFA_REQUIRED_ROLES="coordinator,admin", FIXED_NOW=START)
    with app.app_context():
        factories.user("coordinator", email="tove@example.com")

    password_step(page, live_server, "tove@example.com")
    expect(page.get_by_role("heading", name="Sæt totrinslogin op")).to_be_visible()
    expect(page.locator("svg.totp-qr")).to_be_visible()
    page.get_by_text("Kan du ikke scanne koden?").click()
    shoot(page, "enrol")
    secret = page.locator(".totp-secret").inner_text().replace(" ", "")
    page.get_by_label("6-cifret kode").fill("000000")
    page.get_by_role("button", name="Bekræft og log ind").click()
    expect(page.get_by_role("alert")).to_contain_text("Koden er forkert")
    page.get_by_label("6-cifret kode").fill(pyotp.TOTP(secret).at(START))
    page.get_by_role("button", name="Bekræft og log ind").click()
    expect(page.get_by_role("heading", name="Dine gendannelseskoder")).to_be_visible()
    shoot(page, "recovery-codes")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z0-9]{5}-[a-z0-9]{5}", c) for c in codes)
    page.get_by_role("link", name="Jeg har gemt koderne – fortsæt").click()
    expect(page.get_by_role("button", name="Log af")).to_be_visible()
    page.get_by_role("button", name="Log af").click()

    app.config["FIXED_NOW"] = START + timedelta(minutes=3)
    password_step(page, live_server, "tove@example.com")
    expect(page.get_by_role("heading", name="Kode fra din app")).to_be_visible()
    shoot(page, "code-step")
    page.get_by_label("Kode").fill(pyotp.TOTP(secret).at(START + timedelta(minutes=3)))
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("button", name="Log af")).to_be_visible()
    page.get_by_role("button", name="Log af").click()

    password_step(page, live_server, "tove@example.com")
    page.get_by_label("Kode").fill(codes[0])
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_text("Du har brugt en gendannelseskode. Du har 9 tilbage.")).to_be_visible()
    page.get_by_role("button", name="Log af").click()

    password_step(page, live_server, "tove@example.com")  # the used recovery code is spent
    page.get_by_label("Kode").fill(codes[0])
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("alert")).to_contain_text("Koden er forkert")


def test_a_worker_chooses_a_new_password_through_the_mailed_link(app: Flask, live_server: str,
                                                                 page: Page) -> None:
    with app.app_context():
        factories.user("skp", email="sara@example.com")
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Glemt adgangskode?").click()
    expect(page.get_by_role("heading", name="Glemt adgangskode")).to_be_visible()
    shoot(page, "forgot")
    page.get_by_label("E-mail").fill("sara@example.com")
    page.get_by_role("button", name="Send link").click()
    expect(page.get_by_text("Hvis e-mailen hører til en bruger")).to_be_visible()
    password_reset.wait_for_mail()
    body = app.extensions["mailman"].outbox[-1].body
    path = re.search(r"(/password-reset/[A-Za-z0-9_-]+)", body).group(1)  # type: ignore[union-attr]
    page.goto(f"{live_server}{path}")
    expect(page.get_by_role("heading", name="Vælg ny adgangskode")).to_be_visible()
    shoot(page, "reset")
    page.get_by_label("Ny adgangskode").fill("grøn-cykel-ved-havnen-9")
    page.get_by_label("Gentag adgangskode").fill("grøn-cykel-ved-havnen-9")
    page.get_by_role("button", name="Gem ny adgangskode").click()
    expect(page.get_by_text("Din nye adgangskode er gemt")).to_be_visible()
    page.get_by_label("E-mail").fill("sara@example.com")
    page.get_by_label("Adgangskode").fill("grøn-cykel-ved-havnen-9")
    page.get_by_role("button", name="Log ind", exact=True).click()
    expect(page.get_by_role("heading", name="Mine opgaver")).to_be_visible()
