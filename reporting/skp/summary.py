"""A submitted report read as a summary: each part with its questions and the answers given.

Only answers that were stored are listed (hidden questions have none), in the questionnaire's
order, with the screen texts the worker saw. Free text is shown to the worker who owns the client
only; this module formats, the view decides who sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from forms.model import AnswerSlot, Questionnaire

NOT_ANSWERED = "Ikke besvaret"


@dataclass(frozen=True)
class SummaryRow:
    key: str
    label: str
    answer: str


@dataclass(frozen=True)
class SummaryPart:
    key: str
    title: str
    rows: tuple[SummaryRow, ...]


def summary(definition: Questionnaire, answers: Mapping[str, Any], sections: Iterable[str],
            extra: Iterable[str] = ()) -> list[SummaryPart]:
    """The parts of a report with one row per stored answer (parts without answers are left out)."""
    wanted, asked_again = frozenset(sections), frozenset(extra)
    parts = []
    for section in definition.sections:
        rows = tuple(
            SummaryRow(slot.key, _label(slot), format_answer(slot, answers[slot.key]))
            for slot in definition.slots
            if slot.section.key == section.key and slot.key in answers
            and (section.key in wanted or slot.top.key in asked_again)
        )
        if rows:
            parts.append(SummaryPart(section.key, section.title, rows))
    return parts


def _label(slot: AnswerSlot) -> str:
    if slot.role == "item" and slot.item is not None:
        return f"{slot.top.label} – {slot.item.label}"
    if slot.role in ("other_text", "date") and slot.choice is not None:
        return f"{slot.top.label} – {slot.choice.label}"
    return slot.label


def format_answer(slot: AnswerSlot, value: Any) -> str:
    """The answer as the worker would read it: option texts, numbers, dates as dd-mm-åååå."""
    if value is None or value == "" or value == []:
        return NOT_ANSWERED
    if slot.kind == "single":
        choice = slot.question.choice(value)
        return choice.label if choice is not None else str(value)
    if slot.kind == "multi":
        labels = [slot.question.choice(code) for code in value]
        return ", ".join(choice.label if choice else str(code) for choice, code in zip(labels, value, strict=True))
    if slot.kind == "duration_hm" and isinstance(value, int):
        hours, minutes = divmod(value, 60)
        return f"{hours} t {minutes} min"
    if slot.kind == "date" and isinstance(value, str):
        return date.fromisoformat(value).strftime("%d-%m-%Y")
    return str(value)
