"""The thin adapter between ``exports`` and the ``forms`` package.

This is the only module in ``exports`` that knows how ``forms`` represents a questionnaire; the
rest works on plain values (:class:`exports.anonymise.Field`, :class:`exports.scales.ScaleSpec`).
It reads a loaded definition by duck typing — ``questionnaire.slots`` (each with ``key``,
``kind``, ``section.key``, ``question.choices``), ``questionnaire.scales`` and
``questionnaire.slot(key)`` — so a change in ``forms`` is fixed here only.
"""

from __future__ import annotations

from typing import Any

from exports.anonymise import Field
from exports.scales import ScaleSpec

__all__ = ["answer_fields", "get_definition", "missing_codes", "scale_specs"]


def get_definition(key: str, version: int | None = None) -> Any:
    """The shipped questionnaire ``key`` (newest version unless ``version``), via ``forms``."""
    import forms

    getter = getattr(forms, "get_definition", None)
    if getter is None:
        from forms.loader import get_definition as getter
    return getter(key, version)


def answer_fields(questionnaire: Any) -> list[Field]:
    """Every answer key of the definition with its value kind and section, in document order."""
    return [Field(slot.key, slot.kind, getattr(slot.section, "key", None)) for slot in questionnaire.slots]


def missing_codes(questionnaire: Any, key: str) -> tuple[int, ...]:
    """The codes of answer ``key`` marked ``missing_kind`` (77 Ved ikke, Uoplyst …)."""
    slot = questionnaire.slot(key)
    return tuple(c.code for c in slot.question.choices if getattr(c, "missing_kind", None))


def scale_specs(questionnaire: Any) -> list[ScaleSpec]:
    """The definition's scales, with each scale's valid code range taken from its items' choices
    (the lowest and highest code that is not a missing code), needed for reverse scoring."""
    specs = []
    for scale in getattr(questionnaire, "scales", ()):
        valid: set[int] = set()
        for item in scale.items:
            slot = questionnaire.slot(item)
            valid.update(c.code for c in slot.question.choices if not getattr(c, "missing_kind", None))
        value_range = (min(valid), max(valid)) if len(valid) >= 2 else None
        specs.append(ScaleSpec.from_definition(scale, value_range=value_range))
    return specs
