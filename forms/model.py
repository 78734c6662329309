"""The questionnaire model: immutable objects built by :mod:`forms.loader` from a TOML definition.

Vocabulary: ``docs/questionnaire-format.md``. Everything downstream (rules, normalisation,
WTForms, codebook, templates) works from :attr:`Questionnaire.slots`, the ordered list of
answer keys with the conditions under which each one applies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal, cast

#: A skip-logic rule (``{"q": "q12", "eq": 1}``, ``{"all": [...]}`` …), deeply read-only.
Rule = Mapping[str, Any]

QUESTION_TYPES: tuple[str, ...] = (
    "single",
    "multi",
    "grid",
    "integer",
    "duration_hm",
    "date",
    "date_or_before",
    "text",
    "short_text",
    "group",
)
#: Types whose answers are codes from ``choices``.
CODED_TYPES = frozenset({"single", "multi", "grid", "date_or_before"})
#: Types a group may not contain (a group holds answerable sub-questions, not containers).
CONTAINER_TYPES = frozenset({"grid", "group"})
TIMINGS = ("intake", "monthly", "periodic", "closing")
WAVES = ("baseline", "followup")
MISSING_KINDS = ("ved_ikke", "uoplyst", "ikke_kendt")
SCORINGS = ("prorated_sum",)
#: Upper bounds a date question may declare with ``latest`` (D17): the end of the report month.
LATEST_BOUNDS = ("report_month",)

#: How a slot's value is stored: ``single`` = one int code (single, grid item, date_or_before),
#: ``multi`` = sorted list of codes, ``integer``/``duration_hm`` = int, ``date`` = ISO string,
#: ``text``/``short_text`` = str.
ValueKind = Literal["single", "multi", "integer", "duration_hm", "date", "text", "short_text"]
#: What a slot is: the question's own answer, a grid item, an option's free-text follow-up, or
#: the date that a ``date = true`` option of a date_or_before question opens.
SlotRole = Literal["value", "item", "other_text", "date"]


def freeze(value: Any) -> Any:
    """A deep read-only copy of a TOML value: tables become mapping proxies, arrays tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The plain JSON-compatible form (dicts and lists) of a frozen value."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


def rule_json(rule: Rule | None) -> str:
    """A rule as compact JSON, the form the browser reads from ``data-show-if`` ('' for none)."""
    if rule is None:
        return ""
    return json.dumps(thaw(rule), ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Choice:
    """One answer option of a coded question; ``code`` is stored exactly as printed.

    ``label`` is the text on screen; ``label_seed`` the printed text where it differs (D15).
    ``added`` names the resolution that gave the option its code; ``printed`` says that the
    option's text is printed in the seed form and only its code is new.
    """

    code: int
    label: str
    exclusive: bool = False
    missing_kind: str | None = None
    other_text: str | None = None
    date: bool = False
    added: str | None = None
    label_seed: str | None = None
    printed: bool = False


@dataclass(frozen=True)
class GridItem:
    """One row of a grid: its own answer key, sharing the grid's choices."""

    key: str
    label: str
    show_if: Rule | None = None
    label_seed: str | None = None

    def show_if_json(self) -> str:
        return rule_json(self.show_if)


@dataclass(frozen=True)
class Question:
    """A question as written in the definition. ``fields`` are a group's sub-questions.

    ``label``/``hint`` are the screen texts, ``label_seed``/``hint_seed`` the printed ones where
    they differ (D15). ``choices`` are in printed order (codebook, export); ``screen_order`` lists
    the codes in the order shown on screen (D16; empty: printed order). ``earliest``/``latest``
    bound the date of a date or date_or_before question (D17).
    """

    key: str
    type: str
    label: str
    required: bool = True
    hint: str | None = None
    label_seed: str | None = None
    source: str | None = None
    note: str | None = None
    show_if: Rule | None = None
    choices: tuple[Choice, ...] = ()
    choice_list: str | None = None
    items: tuple[GridItem, ...] = ()
    fields: tuple[Question, ...] = ()
    min: int | None = None
    max: int | None = None
    hint_seed: str | None = None
    screen_order: tuple[int, ...] = ()
    earliest: date | None = None
    latest: str | None = None

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(c.code for c in self.choices)

    @property
    def screen_choices(self) -> tuple[Choice, ...]:
        """The choices in the order shown on screen (``screen_order``, else printed order)."""
        if not self.screen_order:
            return self.choices
        by_code = {choice.code: choice for choice in self.choices}
        return tuple(by_code[code] for code in self.screen_order if code in by_code)

    @property
    def entry_choices(self) -> tuple[Choice, ...]:
        """The options of a date_or_before shown as check boxes under its date (all but the date
        options, D17); every option of any other coded question. Screen order."""
        return tuple(c for c in self.screen_choices if not c.date)

    def choice(self, code: object) -> Choice | None:
        """The option with this code (strictly an int, never a bool), or None."""
        if type(code) is not int:
            return None
        return next((c for c in self.choices if c.code == code), None)

    @property
    def date_key(self) -> str | None:
        """``<key>_dato`` for a date_or_before question, else None."""
        return f"{self.key}_dato" if self.type == "date_or_before" else None

    @property
    def date_codes(self) -> tuple[int, ...]:
        return tuple(c.code for c in self.choices if c.date)

    def show_if_json(self) -> str:
        return rule_json(self.show_if)


@dataclass(frozen=True)
class Section:
    """A part of the questionnaire. ``timing`` (SKP report) or ``waves`` (caseworker survey)."""

    key: str
    title: str
    questions: tuple[Question, ...]
    timing: str | None = None
    waves: tuple[str, ...] = ()
    show_if: Rule | None = None
    title_seed: str | None = None

    def show_if_json(self) -> str:
        return rule_json(self.show_if)


@dataclass(frozen=True)
class Scale:
    """A sum scale over grid items or single questions (scoring is done by ``exports``)."""

    key: str
    label: str
    items: tuple[str, ...]
    reverse: tuple[str, ...] = ()
    scoring: str = "prorated_sum"
    min_fraction: float = 0.5
    missing_codes: tuple[int, ...] = ()


@dataclass(frozen=True)
class AnswerSlot:
    """One answer key, where it comes from and when it applies.

    ``conditions``: every rule that must hold (the section's, the group's, the question's, the
    item's, and for follow-ups the implicit "this option is chosen" rule), outermost first.
    ``own_rule`` is the innermost one, the rule of the slot's own container in the page.
    ``question`` is the owner of the value (the grid for an item, the field for a group field);
    ``top`` is the question as listed in the section (the group for a group field).
    """

    key: str
    kind: ValueKind
    role: SlotRole
    section: Section
    top: Question
    question: Question
    label: str
    required: bool
    conditions: tuple[Rule, ...]
    own_rule: Rule | None = None
    item: GridItem | None = None
    choice: Choice | None = None

    @property
    def codes(self) -> tuple[int, ...]:
        return self.question.codes if self.kind in ("single", "multi") else ()

    def own_rule_json(self) -> str:
        return rule_json(self.own_rule)


@dataclass(frozen=True)
class Questionnaire:
    """A loaded, checked questionnaire definition (one key and version).

    ``instruction`` is the respondent's instruction as shown on screen (the form page shows it
    above the questionnaire); ``instruction_seed`` the printed text where it differs (D15).
    """

    key: str
    version: int
    title: str
    sections: tuple[Section, ...]
    instruction: str | None = None
    instruction_seed: str | None = None
    scales: tuple[Scale, ...] = ()
    choice_lists: Mapping[str, tuple[Choice, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @cached_property
    def slots(self) -> tuple[AnswerSlot, ...]:
        """Every answer key in document order (see :class:`AnswerSlot`)."""
        return tuple(slot for section in self.sections for slot in _section_slots(section))

    @cached_property
    def _slot_index(self) -> Mapping[str, AnswerSlot]:
        return MappingProxyType({slot.key: slot for slot in self.slots})

    @cached_property
    def _question_index(self) -> Mapping[str, tuple[Section, Question]]:
        index: dict[str, tuple[Section, Question]] = {}
        for section in self.sections:
            for question in section.questions:
                index[question.key] = (section, question)
                for sub in question.fields:
                    index[sub.key] = (section, sub)
        return MappingProxyType(index)

    def answer_keys(self) -> list[str]:
        """All answer keys in document order (grid items, group fields, ``_dato``, follow-ups)."""
        return [slot.key for slot in self.slots]

    def slot(self, key: str) -> AnswerSlot:
        """The slot of an answer key; KeyError if there is none."""
        return self._slot_index[key]

    def has_slot(self, key: str) -> bool:
        return key in self._slot_index

    def question(self, key: str) -> Question:
        """A question (or group field) by key; KeyError if there is none."""
        return self._question_index[key][1]

    def questions(self) -> list[Question]:
        """The questions as listed in the sections, in document order (groups not expanded)."""
        return [q for section in self.sections for q in section.questions]

    def section(self, key: str) -> Section:
        """A section by key; KeyError if there is none."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def section_of(self, question_key: str) -> Section:
        """The section that holds a question or group field; KeyError if there is none."""
        return self._question_index[question_key][0]

    def section_keys(self, wave: str | None = None) -> list[str]:
        """Section keys in order; with ``wave``, only the sections asked in that survey wave."""
        return [s.key for s in self.sections if wave is None or wave in s.waves]

    def scales_of(self, answer_key: str) -> list[Scale]:
        return [scale for scale in self.scales if answer_key in scale.items]


def _value_kind(question_type: str) -> ValueKind:
    if question_type in ("grid", "date_or_before"):
        return "single"
    return cast(ValueKind, question_type)


def _section_slots(section: Section) -> list[AnswerSlot]:
    outer = (section.show_if,) if section.show_if else ()
    slots: list[AnswerSlot] = []
    for question in section.questions:
        if question.type == "group":
            group_rules = (*outer, question.show_if) if question.show_if else outer
            for sub in question.fields:
                slots.extend(_question_slots(section, question, sub, group_rules, question.required))
        else:
            slots.extend(_question_slots(section, question, question, outer))
    return slots


def _question_slots(
    section: Section, top: Question, question: Question, outer: tuple[Rule, ...], group_required: bool = True
) -> list[AnswerSlot]:
    # A field of an optional group is optional; follow-up texts always are (vocabulary).
    required = question.required and group_required
    rules = (*outer, question.show_if) if question.show_if else outer
    common = {"section": section, "top": top, "question": question}
    if question.type == "grid":
        return [
            AnswerSlot(
                key=item.key,
                kind="single",
                role="item",
                label=item.label,
                required=required,
                conditions=(*rules, item.show_if) if item.show_if else rules,
                own_rule=item.show_if,
                item=item,
                **common,
            )
            for item in question.items
        ]
    slots = [
        AnswerSlot(
            key=question.key,
            kind=_value_kind(question.type),
            role="value",
            label=question.label,
            required=required,
            conditions=rules,
            own_rule=question.show_if,
            **common,
        )
    ]
    chosen_op = "has" if question.type == "multi" else "eq"
    for choice in question.choices:
        if choice.other_text:
            rule = freeze({"q": question.key, chosen_op: choice.code})
            slots.append(
                AnswerSlot(
                    key=choice.other_text,
                    kind="text",
                    role="other_text",
                    label=choice.label,
                    required=False,
                    conditions=(*rules, rule),
                    own_rule=rule,
                    choice=choice,
                    **common,
                )
            )
    if question.date_key and question.date_codes:
        rule = freeze({"q": question.key, "in": list(question.date_codes)})
        slots.append(
            AnswerSlot(
                key=question.date_key,
                kind="date",
                role="date",
                label=question.label,
                required=required,
                conditions=(*rules, rule),
                own_rule=rule,
                **common,
            )
        )
    return slots
