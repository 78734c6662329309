"""Generated WTForms form classes: for rendering and CSRF only.

:func:`forms.answers.normalise` stays the validation authority, so the generated fields carry no
validators and never refuse a choice; ``form.validate()`` checks only what ``base`` adds (CSRF
with Flask-WTF's FlaskForm).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import wtforms
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice

from forms.answers import hours_field, minutes_field
from forms.model import AnswerSlot, Question, Questionnaire
from forms.rules import asked_slots

HOURS_LABEL = "Timer"
MINUTES_LABEL = "Minutter"
DATE_LABEL = "Dato (dd-mm-åååå)"
FOLLOWUP_LABEL = "Beskriv"


class CheckboxesField(SelectMultipleField):
    """A multi-choice question rendered as checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _choices(question: Question) -> list[SelectChoice]:
    """The options in screen order (D16); a date_or_before's date options are its date input (D17)."""
    return [SelectChoice(str(choice.code), choice.label) for choice in question.entry_choices]


def _numeric(**extra: Any) -> dict[str, Any]:
    # Text with a numeric keyboard rather than type=number, whose spinner and scroll-to-change
    # cause wrong numbers; the browser mirror reads inputmode=numeric as an integer.
    return {"inputmode": "numeric", "autocomplete": "off", **extra}


def slot_fields(slot: AnswerSlot) -> dict[str, wtforms.Field]:
    """The unbound form fields of one answer key, by form field name."""
    question, key = slot.question, slot.key
    if slot.kind == "single" and question.date_key:  # D17: check boxes under the date, not radios
        return {key: CheckboxesField(slot.label, choices=_choices(question), coerce=str, validate_choice=False)}
    if slot.kind == "single":
        return {key: RadioField(slot.label, choices=_choices(question), coerce=str, validate_choice=False)}
    if slot.kind == "multi":
        return {
            key: CheckboxesField(slot.label, choices=_choices(question), coerce=str, validate_choice=False)
        }
    if slot.kind == "integer":
        return {key: StringField(slot.label, render_kw=_numeric())}
    if slot.kind == "duration_hm":
        return {
            hours_field(key): StringField(HOURS_LABEL, render_kw=_numeric()),
            minutes_field(key): StringField(MINUTES_LABEL, render_kw=_numeric(maxlength=2)),
        }
    if slot.kind == "date":
        label = DATE_LABEL if slot.role == "date" else slot.label
        return {key: StringField(label, render_kw={"autocomplete": "off"})}
    if slot.role == "other_text":
        return {key: StringField(FOLLOWUP_LABEL, render_kw={"maxlength": 4000})}
    if slot.kind == "text":
        return {key: TextAreaField(slot.label, render_kw={"rows": 5, "maxlength": 4000})}
    return {key: StringField(slot.label, render_kw={"maxlength": 100})}


def build_form_class(
    q: Questionnaire,
    sections: Iterable[str] | None = None,
    extra: Iterable[str] = (),
    base: type[wtforms.Form] = wtforms.Form,
) -> type[wtforms.Form]:
    """A form class with a field per form field name of the asked questions, in document order.

    ``sections``/``extra`` select the asked questions as in :func:`forms.rules.applicable_keys`
    (None = all); field names are answer keys, except ``<key>_timer``/``<key>_minutter`` of a
    duration_hm. Pass Flask-WTF's ``FlaskForm`` as ``base`` for CSRF.
    """
    attrs: dict[str, Any] = {}
    for slot in asked_slots(q, sections, extra):
        attrs.update(slot_fields(slot))
    name = f"{''.join(part.title() for part in q.key.split('_'))}V{q.version}Form"
    return type(name, (base,), attrs)
