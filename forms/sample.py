"""Plausible answer sets for a questionnaire: for demo data, tests and benchmarks.

Walks the slots in document order, answering each one that applies given the answers so far,
so the result follows every skip rule and passes ``normalise`` in submit mode.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from forms.model import AnswerSlot, Questionnaire
from forms.rules import asked_slots, evaluate

Chooser = Callable[[AnswerSlot], Any]


def sample_answers(
    q: Questionnaire,
    sections: Iterable[str] | None = None,
    extra: Iterable[str] = (),
    *,
    rng: random.Random | None = None,
    overrides: dict[str, Any] | None = None,
    reference: date = date(2008, 8, 20),
) -> dict[str, Any]:
    """A complete answer set (stored form) for the due ``sections``.

    ``overrides`` fixes chosen keys (e.g. ``{"q12": 2}``); other values are the first ordinary
    option, or random ones when ``rng`` is given. Dates lie on or shortly before ``reference``.
    """
    overrides = overrides or {}
    answers: dict[str, Any] = {}
    for slot in asked_slots(q, sections, extra):
        if not all(evaluate(rule, answers) for rule in slot.conditions):
            continue
        answers[slot.key] = overrides[slot.key] if slot.key in overrides else _value(slot, rng, reference)
    return answers


def _ordinary_codes(slot: AnswerSlot) -> list[int]:
    choices = slot.question.choices
    plain = [c.code for c in choices if not c.missing_kind and not c.exclusive]
    return plain or [c.code for c in choices]


def _value(slot: AnswerSlot, rng: random.Random | None, reference: date) -> Any:
    kind = slot.kind
    if kind == "single":
        codes = _ordinary_codes(slot)
        return rng.choice(codes) if rng else codes[0]
    if kind == "multi":
        codes = _ordinary_codes(slot)
        if not rng:
            return codes[:1]
        return sorted(rng.sample(codes, rng.randint(1, min(3, len(codes)))))
    if kind in ("integer", "duration_hm"):
        low = slot.question.min if slot.question.min is not None else 0
        high = min(slot.question.max if slot.question.max is not None else 10, 600 if kind == "duration_hm" else 10)
        return rng.randint(low, max(low, high)) if rng else max(low, min(high, 2))
    if kind == "date":
        return (reference - timedelta(days=rng.randint(0, 60) if rng else 0)).isoformat()
    return "Tekst" if kind == "text" else "Kort tekst"
