"""A monthly report filed with the keyboard only (issue #9): Tab, Shift+Tab, Space, Enter and
typing, never the mouse. Every element that takes focus on the way shows a visible focus
indicator, the skip link comes first, and a refused submission puts the focus on the error
summary, whose links lead to the fields to correct.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from reporting.core.extensions import db
from reporting.core.schedule import Period
from reporting.skp.models import Report

import factories

NOW = datetime(2008, 10, 6, 9, 0, tzinfo=UTC)

FOCUSED_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const group = el.name ? [...document.querySelectorAll(`input[name="${el.name}"]`)] : [];
  return {
    tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '', id: el.id || '',
    text: (el.innerText || el.value || '').trim().slice(0, 80), inputmode: el.inputMode || '',
    value: el.value || '', groupChecked: group.some(i => i.checked),
    firstOfGroup: group.length > 0 && group[0] === el,
    visibleFocus: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
                  || style.boxShadow !== 'none',
  };
}"""


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=NOW, IDLE_TIMEOUT_MINUTES=10**6)


def focused(page: Page) -> dict | None:
    return page.evaluate(FOCUSED_JS)


def tab_to(page: Page, wanted, limit: int = 60, unfocused: list | None = None) -> dict:  # type: ignore[no-untyped-def]
    """Press Tab until ``wanted(element)`` holds; records elements without a visible focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if element is None:
            continue
        if unfocused is not None and not element["visibleFocus"]:
            unfocused.append(element)
        if wanted(element):
            return element
    raise AssertionError("the keyboard never reached the element")


def typed_value(element: dict) -> str | None:
    """What a worker types into an empty text field of the monthly report (None: leave it)."""
    name = element["name"]
    if name.endswith("_minutter"):
        return "15"
    if name.endswith("_timer"):
        return "2"
    if "dato" in name:
        return "05-09-2008"
    if element["inputmode"] == "numeric":
        return "1"
    return None


def test_a_worker_files_a_monthly_report_with_the_keyboard_only(app: Flask, live_server: str, page: Page) -> None:
    with app.app_context():
        worker = factories.user("skp", email="sara@example.com")
        factories.submitted_report(worker, "K-00001", Period(2008, 8))
    unfocused: list[dict] = []

    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Gå til sidens indhold"  # the skip link comes first
    tab_to(page, lambda e: e["name"] == "email", unfocused=unfocused)
    page.keyboard.type("sara@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Mine opgaver")).to_be_visible()

    tab_to(page, lambda e: e["tag"] == "a" and e["text"] == "Mine indberetninger", unfocused=unfocused)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Mine indberetninger")).to_be_visible()
    tab_to(page, lambda e: e["tag"] == "a" and e["text"].startswith("Indberet")
           and "september 2008" in page.evaluate("() => document.activeElement.textContent"), unfocused=unfocused)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Indberetning for september 2008")).to_be_visible()

    # Submitting at once is refused: the focus lands on the error summary, whose first link
    # takes the worker to the first field to answer.
    tab_to(page, lambda e: e["tag"] == "button" and e["text"] == "Indsend rapporten", limit=400)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Der er fejl i skemaet")).to_be_visible()
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'error-summary'")
    page.keyboard.press("Tab")
    first_error = focused(page)
    assert first_error["tag"] == "a"
    page.keyboard.press("Enter")
    target = focused(page)
    assert target["tag"] == "input" and target["name"], target

    # Now answer every question the form shows, in document order, as the skip logic unfolds.
    page.keyboard.press("Shift+Tab")
    for _ in range(500):
        page.keyboard.press("Tab")
        element = focused(page)
        if element is None:
            continue
        if not element["visibleFocus"]:
            unfocused.append(element)
        if element["tag"] == "button" and element["text"] == "Indsend rapporten":
            page.keyboard.press("Enter")
            break
        if element["type"] in ("radio", "checkbox") and not element["groupChecked"]:
            page.keyboard.press("Space")
        elif element["tag"] == "input" and element["type"] == "text" and not element["value"]:
            value = typed_value(element)
            if value is not None:
                page.keyboard.type(value)
    else:
        raise AssertionError("the keyboard never reached the submit button")
    expect(page.get_by_role("heading", name="Rapporten for september 2008 er indsendt")).to_be_visible()
    assert unfocused == [], f"elements without a visible focus indicator: {unfocused[:5]}"
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.period == Period(2008, 9).first_day))
        assert report is not None and report.status == "submitted"
        assert report.answers["q26_tid"] == 135 and report.answers["q26_tlf"] == 1
