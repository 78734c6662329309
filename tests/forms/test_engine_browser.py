"""skiplogic.js in a real browser: the rendered fixture under a strict CSP, compared with rules.py.

Runs in Debian's headless Chromium through the shared ``browser`` fixture (tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

import forms
from forms import applicable_keys, build_form_class, load_definition, normalise

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

TEMPLATES = Path(__file__).parents[2] / "templates"
SKIPLOGIC = Path(forms.__file__).parent / forms.SKIPLOGIC_JS
ORIGIN = "http://forms.test"
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'"


@pytest.fixture(scope="module")
def q() -> forms.Questionnaire:
    return load_definition(Path(__file__).parent / "fixtures" / "good.toml")


@pytest.fixture(scope="module")
def page_html(q: forms.Questionnaire) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    template = env.from_string(
        '<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Test</title></head><body>'
        '<form method="post" action="/send">'
        '{% from "_macros/questionnaire.html" import questionnaire %}{{ questionnaire(q, form) }}'
        '</form><script src="/skiplogic.js"></script></body></html>'
    )
    return template.render(q=q, form=build_form_class(q)())


def open_page(browser, page_html: str, javascript: bool = True):
    context = browser.new_context(java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    files = {
        "/form": (page_html, "text/html; charset=utf-8"),
        "/skiplogic.js": (SKIPLOGIC.read_text(encoding="utf-8"), "text/javascript"),
    }

    def serve(route) -> None:
        path = "/" + route.request.url.removeprefix(ORIGIN).lstrip("/")
        body, content_type = files.get(path, ("", "text/plain"))
        status = 200 if path in files else 404
        route.fulfill(
            status=status, body=body, headers={"Content-Type": content_type, "Content-Security-Policy": CSP}
        )

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/form")
    return context, page, problems


@pytest.fixture
def page(browser, page_html: str):
    context, page, problems = open_page(browser, page_html)
    yield page
    assert not problems, problems  # no script error, no CSP violation
    context.close()


#: Shown containers; the date of a date_or_before (always shown with its question, D17) counts
#: only while it is in effect: written and not disabled by a ticked box, as the server reads it.
VISIBLE_JS = """els => els.filter(e => !e.hidden).filter(e => {
  const owner = e.parentElement.closest('[data-date-code]');
  if (!owner) return true;
  const day = e.querySelector('input');
  return !day.disabled && day.value.trim() !== '';
}).map(e => e.dataset.key)"""


def visible_keys(page, q: forms.Questionnaire) -> list[str]:
    shown = page.eval_on_selector_all("[data-key]", VISIBLE_JS)
    answer_keys = set(q.answer_keys())
    return [key for key in shown if key in answer_keys]


def submitted(page) -> dict[str, list[str]]:
    pairs = page.evaluate("() => Array.from(new FormData(document.forms[0]).entries())")
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


def assert_same_as_server(page, q: forms.Questionnaire) -> None:
    answers = normalise(q, submitted(page), mode="draft").answers
    assert visible_keys(page, q) == applicable_keys(q, answers)


def test_initial_page_hides_what_is_not_asked_yet(page, q) -> None:
    shown = visible_keys(page, q)
    for hidden in ("q1_andet", "q4", "q5", "q6_dato", "q11_2", "q13", "q22"):
        assert hidden not in shown
    assert_same_as_server(page, q)


def test_a_chain_of_rules_follows_the_answers(page, q) -> None:
    page.check("#q3-0")  # Ja
    assert "q4" in visible_keys(page, q)
    page.check("#q4-1")  # Praktiserende læge
    assert "q5" in visible_keys(page, q)
    assert_same_as_server(page, q)
    page.check("#q3-1")  # Nej: q4 hides, and with it q5 although q4 still holds "2"
    shown = visible_keys(page, q)
    assert "q4" not in shown and "q5" not in shown
    assert_same_as_server(page, q)


def test_follow_ups_open_with_their_option(page, q) -> None:
    page.check("#q1-2")  # Et andet sted
    page.check("#q2-2")  # Andre
    page.fill("#q6_dato", "05-03-2021")  # a date: code 2 (D17)
    shown = visible_keys(page, q)
    assert {"q1_andet", "q2_andet", "q6_dato"} <= set(shown)
    assert_same_as_server(page, q)
    page.check("#q1-1")  # Hjemløs hides q2 and so q2's follow-up
    assert "q2_andet" not in visible_keys(page, q)
    assert_same_as_server(page, q)


def test_numbers_grids_and_nested_rules(page, q) -> None:
    page.fill("#q12", "2")
    page.check("#q11_1-2")
    page.check("#q21-0")
    shown = visible_keys(page, q)
    assert {"q13", "q11_2", "q22"} <= set(shown)
    assert_same_as_server(page, q)
    page.fill("#q12", "0")
    page.check("#q11_1-0")
    shown = visible_keys(page, q)
    assert "q13" not in shown and "q11_2" not in shown and "q22" not in shown
    assert_same_as_server(page, q)


def test_without_javascript_everything_is_shown(browser, page_html, q) -> None:
    context, page, _ = open_page(browser, page_html, javascript=False)
    try:
        shown = page.eval_on_selector_all("[data-key]", "els => els.filter(e => !e.hidden).map(e => e.dataset.key)")
        assert [key for key in shown if q.has_slot(key)] == q.answer_keys()
    finally:
        context.close()


def test_a_box_under_the_date_disables_it_and_the_boxes_exclude_each_other(page, q) -> None:
    page.fill("#q6_dato", "05-03-2021")
    assert "q7" in visible_keys(page, q)
    page.check("#q6-1")  # Intet møde endnu (code 3) hides q7
    assert page.is_disabled("#q6_dato") and "q7" not in visible_keys(page, q)
    assert_same_as_server(page, q)
    page.check("#q6-0")  # Før 1.6. 2007 unticks Intet møde endnu at once
    assert not page.is_checked("#q6-1") and "q7" in visible_keys(page, q)
    assert_same_as_server(page, q)
    page.uncheck("#q6-0")  # the date is back
    assert page.is_enabled("#q6_dato") and submitted(page)["q6_dato"] == ["05-03-2021"]
    assert_same_as_server(page, q)


def test_an_exclusive_option_unticks_the_others_at_once(page, q) -> None:
    page.check("#q1-0")  # single-choice answer that keeps q2 (who lives with) shown
    page.check("#q2-1")
    page.check("#q2-2")
    page.check("#q2-0")  # exclusive "Bor alene"
    assert submitted(page)["q2"] == ["1"]
    page.check("#q2-1")  # a non-exclusive option unticks the exclusive one
    assert submitted(page)["q2"] == ["2"]
