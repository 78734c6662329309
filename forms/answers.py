"""Normalising submitted form data into stored answers: the server's validation authority.

Stored value types follow docs/questionnaire-format.md ("Types and stored values"); only the
answers of applicable questions are kept (decisions.md §2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from forms.model import AnswerSlot, Questionnaire
from forms.rules import applicable_keys, asked_slots
from forms.values import (
    BLANK,
    Parsed,
    date_bounds,
    format_date_input,
    parse_code,
    parse_codes,
    parse_date,
    parse_date_choice,
    parse_duration,
    parse_integer,
    parse_text,
    required_message,
)

Mode = Literal["submit", "draft"]


class FormData(dict[str, list[str]]):
    """Field name -> submitted strings, readable like a werkzeug MultiDict (``getlist``)."""

    def getlist(self, name: str) -> list[str]:
        return list(self.get(name, []))


@dataclass(frozen=True)
class Result:
    """``answers``: what to store (applicable keys only, document order). ``errors``: answer key
    -> Danish messages, in document order; empty when the data may be stored as it is."""

    answers: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _getlist(formdata: Any, name: str) -> list[Any]:
    if hasattr(formdata, "getlist"):
        return list(formdata.getlist(name))
    value = formdata.get(name) if isinstance(formdata, Mapping) else None
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def hours_field(key: str) -> str:
    return f"{key}_timer"


def minutes_field(key: str) -> str:
    return f"{key}_minutter"


def parse_slot(slot: AnswerSlot, formdata: Any, today: date, report_month: date | None = None) -> Parsed:
    """The submitted value of one answer key (not yet checked for applicability or required).

    ``report_month`` (any day of it) bounds the dates of questions with ``latest = "report_month"``.
    """
    values = _getlist(formdata, slot.key)
    question = slot.question
    if slot.kind == "single" and question.date_key:
        return parse_date_choice(question, values, _getlist(formdata, question.date_key))
    if slot.kind == "single":
        return parse_code(question, values)
    if slot.kind == "multi":
        return parse_codes(question, values)
    if slot.kind == "integer":
        return parse_integer(question, values)
    if slot.kind == "duration_hm":
        return parse_duration(
            question, _getlist(formdata, hours_field(slot.key)), _getlist(formdata, minutes_field(slot.key))
        )
    if slot.kind == "date":
        return parse_date(values, today, date_bounds(question, today, report_month))
    if slot.kind in ("text", "short_text"):
        return parse_text(values, slot.kind)
    return BLANK


def normalise(
    q: Questionnaire,
    formdata: Any,
    sections: Iterable[str] | None = None,
    extra: Iterable[str] = (),
    mode: Mode = "submit",
    today: date | None = None,
    report_month: date | None = None,
) -> Result:
    """Parse and check submitted form data (field name -> list of strings, or a MultiDict).

    ``sections``/``extra`` as in :func:`forms.rules.applicable_keys`. Answers to questions that
    do not apply are dropped, whatever was sent; an invalid answer counts as unanswered for the
    rules. ``mode="submit"`` also requires an answer to every applicable required key;
    ``"draft"`` keeps whatever is valid and still reports invalid input. ``today`` anchors the
    date range check (default: the server's date). ``report_month`` (any day of the month
    reported on) is the upper bound of dates declared ``latest = "report_month"`` (D17); without
    it those dates may lie up to a year after ``today``. Unknown field names are ignored.
    """
    if mode not in ("submit", "draft"):
        raise ValueError(f"mode must be 'submit' or 'draft', not {mode!r}")
    sections = None if sections is None else list(sections)
    extra = list(extra)
    today = today or date.today()
    parsed: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for slot in asked_slots(q, sections, extra):
        result = parse_slot(slot, formdata, today, report_month)
        if result.errors:
            problems[slot.key] = list(result.errors)
        elif result.value is not None:
            parsed[slot.key] = result.value
    answers: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in applicable_keys(q, parsed, sections, extra):
        if key in parsed:
            answers[key] = parsed[key]
        elif key in problems:
            errors[key] = problems[key]
        elif mode == "submit" and q.slot(key).required:
            slot = q.slot(key)
            errors[key] = [required_message(slot.question, slot.kind)]
    return Result(answers, errors)


def _date_carries_code(slot: AnswerSlot, value: Any, answers: Mapping[str, Any]) -> bool:
    """Whether ``value`` is the date option of a date_or_before whose date is in ``answers``."""
    question = slot.question
    return (slot.role == "value" and question.date_key is not None and value in question.date_codes
            and answers.get(question.date_key) is not None)


def to_formdata(q: Questionnaire, answers: Mapping[str, Any]) -> FormData:
    """Stored answers as form data (field name -> strings) to fill the form again.

    The result has ``getlist``, so it can be passed as ``formdata`` to a generated form.
    Keys the questionnaire does not know are left out, and so is the date option's code of a
    date_or_before with its date (the browser posts the date alone, D17).
    """
    data = FormData()
    for key, value in answers.items():
        if not q.has_slot(key) or value is None:
            continue
        slot = q.slot(key)
        kind = slot.kind
        if _date_carries_code(slot, value, answers):
            continue  # D17: the written date is the answer; the browser posts no code for it
        if kind == "multi" and isinstance(value, list | tuple):
            data[key] = [str(code) for code in value]
        elif kind == "duration_hm" and type(value) is int:
            hours, minutes = divmod(value, 60)
            data[hours_field(key)] = [str(hours)]
            data[minutes_field(key)] = [str(minutes)]
        elif kind == "date":
            data[key] = [format_date_input(value)]
        else:
            data[key] = [str(value)]
    return data
