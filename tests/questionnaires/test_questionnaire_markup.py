"""The cached questionnaire markup, filled with answers, equals the macro's own rendering, byte for byte.

Report and survey pages no longer render the questionnaire macro on every request
(``reporting.questionnaires.markup``); these tests are what allows that: for every part
combination a report or survey can ask, with realistic, empty and hostile answers, the filled
markup must be exactly what the macro renders for the same answers.
"""

from __future__ import annotations

import random
from itertools import combinations

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from forms import get_definition, to_formdata
from forms.sample import sample_answers
from reporting.questionnaires.markup import FillableMarkup, questionnaire_markup, render_in_full

MONTHLY = get_definition("skp_monthly")
SURVEY = get_definition("caseworker")
HOSTILE = ['"><script>alert(1)</script>', "a & b < c", "'; DROP TABLE report; --", "æøå ÆØÅ", "  ", "1\r\n2"]


def _part_sets(definition):  # type: ignore[no-untyped-def]
    keys = [section.key for section in definition.sections]
    yield None
    for size in (1, 2, len(keys)):
        yield from (frozenset(combo) for combo in combinations(keys, size))


def _hostile_formdata(definition, rng: random.Random) -> MultiDict:  # type: ignore[no-untyped-def]
    """Every field posted with odd values: repeated radios, unknown codes, markup, quotes."""
    data = MultiDict()
    for name in to_formdata(definition, sample_answers(definition, rng=rng)):
        for value in rng.sample(["1", "2", "99", *HOSTILE], k=rng.randint(1, 3)):
            data.add(name, value)
    data.add("not_a_question", "x")
    return data


def _same(app: Flask, definition, sections, extra, formdata) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        filled = questionnaire_markup(definition, sections, extra, formdata, {})
        full = render_in_full(definition, sections, extra, formdata, {})
    assert str(filled) == str(full)


@pytest.mark.parametrize("definition", [MONTHLY, SURVEY], ids=lambda d: d.key)
def test_filled_markup_equals_the_macro_for_every_part_set(app: Flask, definition) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(8)
    for sections in _part_sets(definition):
        due = None if sections is None else sorted(sections)
        for _ in range(3):
            answers = sample_answers(definition, due, rng=rng)
            _same(app, definition, sections, (), to_formdata(definition, answers))
        _same(app, definition, sections, (), MultiDict())
        _same(app, definition, sections, (), _hostile_formdata(definition, rng))


def test_questions_asked_again_outside_their_part_are_filled_too(app: Flask) -> None:
    rng = random.Random(3)
    answers = sample_answers(MONTHLY, ["del3", "del4"], ["q17", "q18"], rng=rng)
    _same(app, MONTHLY, frozenset({"del3", "del4"}), frozenset({"q17", "q18"}),
          to_formdata(MONTHLY, answers))


def test_answers_are_escaped_and_never_break_out_of_their_attribute(app: Flask) -> None:
    with app.test_request_context():
        html = str(questionnaire_markup(MONTHLY, None, (), MultiDict({"q6_andet": '"><script>x</script>'}), {}))
    assert "<script>x" not in html
    assert 'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in html


def test_pages_with_error_messages_are_rendered_by_the_macro(app: Flask) -> None:
    errors = {"q28": ["Vælg et svar."]}
    with app.test_request_context():
        html = str(questionnaire_markup(MONTHLY, frozenset({"del3"}), (), MultiDict(), errors))
    assert "Der er fejl i skemaet" in html and "Vælg et svar." in html


def test_an_input_the_filler_does_not_know_is_refused_when_the_cache_is_built() -> None:
    with pytest.raises(ValueError, match="does not know"):
        FillableMarkup('<div><input name="x" type="number"></div>')
