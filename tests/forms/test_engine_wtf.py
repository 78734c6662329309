"""Generated WTForms classes: one field per form field name, for rendering and CSRF only."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

import forms
from forms import build_form_class, load_definition, to_formdata

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def q() -> forms.Questionnaire:
    return load_definition(Path(__file__).parent / "fixtures" / "good.toml")


def test_field_names_are_the_answer_keys_with_hours_and_minutes_split(q: forms.Questionnaire) -> None:
    form = build_form_class(q)()
    assert [field.name for field in form] == [
        "q1", "q1_andet", "q2", "q2_andet", "q3", "q4", "q5", "q6", "q6_dato", "q7", "q8",
        "q10_tid_timer", "q10_tid_minutter", "q10_antal", "q11_1", "q11_2", "q11_3", "q12", "q13", "q14",
        "q20", "q21", "q22",
    ]  # fmt: skip


def test_only_the_asked_sections_and_extra_questions_get_fields(q: forms.Questionnaire) -> None:
    form = build_form_class(q, sections=["del2"], extra=["q6"])()
    assert [field.name for field in form][:3] == ["q6", "q6_dato", "q10_tid_timer"]
    assert "q1" not in form and "q20" not in form


def test_labels_and_choices_come_from_the_definition(q: forms.Questionnaire) -> None:
    form = build_form_class(q)()
    assert form.q3.label.text == "Er sagen overdraget fra en anden?"
    assert [(option.data, option.label.text) for option in form.q3] == [
        ("1", "Ja"),
        ("2", "Nej"),
        ("77", "Ved ikke"),
    ]
    assert form.q11_2.label.text == "Samarbejder godt med de pårørende"
    assert (form.q10_tid_timer.label.text, form.q10_tid_minutter.label.text) == ("Timer", "Minutter")
    assert form.q6_dato.label.text == "Dato (dd-mm-åååå)"


def test_every_field_renders_without_deprecation_warnings(q: forms.Questionnaire) -> None:
    # WTForms 3.3 warns about tuple choices with a stacklevel that blames the caller, so
    # pyproject's module filter alone would miss them.
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        form = build_form_class(q)(formdata=to_formdata(q, {"q1": 1, "q2": [2]}))
        html = "".join(str(field()) for field in form) + "".join(str(option()) for option in form.q2)
    assert 'type="checkbox"' in html and 'type="radio"' in html and "<textarea" in html
    assert 'inputmode="numeric"' in html


def test_stored_answers_are_shown_again(q: forms.Questionnaire) -> None:
    answers = {"q1": 3, "q1_andet": "hos søster", "q2": [2, 3], "q10_tid": 95, "q20": "2024-05-31"}
    form = build_form_class(q)(formdata=to_formdata(q, answers))
    assert [option.checked for option in form.q1] == [False, False, True, False]
    assert [option.data for option in form.q2 if option.checked] == ["2", "3"]
    assert (form.q10_tid_timer.data, form.q10_tid_minutter.data) == ("1", "35")
    assert form.q20.data == "31-05-2024"
    assert form.q1_andet.data == "hos søster"


def test_wtforms_validation_never_speaks_for_the_engine(q: forms.Questionnaire) -> None:
    """normalise() is the validation authority: an empty or odd submission is no WTForms error."""
    form = build_form_class(q)(formdata=MultiDict([("q1", "99"), ("q2", "x"), ("q12", "abc")]))
    assert form.validate(), form.errors
    assert build_form_class(q)(formdata=MultiDict()).validate()


def test_flask_wtf_base_adds_csrf(q: forms.Questionnaire) -> None:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "test"
    form_class = build_form_class(q, sections=["del3"], base=FlaskForm)
    assert issubclass(form_class, FlaskForm)
    with app.test_request_context():
        form = form_class()
        assert [field.name for field in form] == ["q20", "q21", "q22", "csrf_token"]


def test_the_engine_imports_neither_flask_nor_the_other_packages() -> None:
    code = (
        "import sys, forms, forms.wtf, forms.codebook\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'reporting', 'exports'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
