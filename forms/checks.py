"""Cross-reference checks of a read definition: keys, codes, type fit, rules and scales.

Runs on the (possibly partial) model built by :class:`forms.schema.Reader` and records problems
in the same reader, so one load reports everything that is wrong with a file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from forms.model import AnswerSlot, Question, Questionnaire, Rule, Section
from forms.rules import COMBINATORS, COMPARISONS
from forms.schema import Reader, toml_repr

#: Which operators fit which stored value (docs/questionnaire-format.md, "Rules").
OPS_FOR_KIND: dict[str, frozenset[str]] = {
    "single": frozenset({"eq", "ne", "in", "answered"}),
    "integer": frozenset({"eq", "ne", "in", "gt", "gte", "lt", "lte", "answered"}),
    "duration_hm": frozenset({"gt", "gte", "lt", "lte", "answered"}),
    "multi": frozenset({"has", "answered"}),
    "date": frozenset({"answered"}),
    "text": frozenset({"answered"}),
    "short_text": frozenset({"answered"}),
}
CODE_OPS = frozenset({"eq", "ne", "in", "has"})


def check(q: Questionnaire, reader: Reader) -> None:
    """Record DEF004, DEF008, DEF010, DEF011, DEF013 and RULE001-RULE005 problems of ``q`` in ``reader``."""
    _check_keys(q, reader)
    for question in _all_questions(q):
        _check_question_fit(question, reader)
    _RuleChecker(q, reader).check_all()
    _check_scales(q, reader)


def _section_questions(section: Section) -> list[Question]:
    """The questions of a section and the fields of its groups, in document order."""
    return [x for question in section.questions for x in (question, *question.fields)]


def _all_questions(q: Questionnaire) -> list[Question]:
    return [question for section in q.sections for question in _section_questions(section)]


# -- DEF004: one namespace for every key, form field name and export column ---------------------


def _check_keys(q: Questionnaire, reader: Reader) -> None:
    seen: dict[str, str] = {}

    def claim(key: str, location: str, what: str) -> None:
        if not key:
            return
        if key in seen:
            reader.problem("DEF004", location, f"duplicate key {key!r} ({what}); first used at {seen[key]}")
        else:
            seen[key] = location

    for section in q.sections:
        claim(section.key, reader.location(section), "section key")
        for question in _section_questions(section):
            loc = reader.location(question)
            claim(question.key, loc, "question key")
            _claim_derived_names(question, loc, reader, claim)
    scale_keys: dict[str, str] = {}
    for scale in q.scales:
        loc = reader.location(scale)
        if scale.key in scale_keys:
            reader.problem(
                "DEF004", loc, f"duplicate scale key {scale.key!r}; first used at {scale_keys[scale.key]}"
            )
        scale_keys.setdefault(scale.key, loc)


Claim = Callable[[str, str, str], None]


def _claim_derived_names(question: Question, loc: str, reader: Reader, claim: Claim) -> None:
    if question.type == "duration_hm":
        claim(f"{question.key}_timer", loc, "hours field of a duration_hm")
        claim(f"{question.key}_minutter", loc, "minutes field of a duration_hm")
    if question.type == "multi":
        for choice in question.choices:
            claim(f"{question.key}_{choice.code}", loc, f"export column of code {choice.code}")
    if question.date_key:
        claim(question.date_key, loc, "date field of a date_or_before")
    for item in question.items:
        claim(item.key, reader.location(item), "grid item key")
    for choice in question.choices:
        if choice.other_text:
            claim(choice.other_text, reader.location(choice), f"other_text of {question.key}")


# -- DEF008, DEF010: choices and fields that fit the question type ------------------------------


def _check_question_fit(question: Question, reader: Reader) -> None:
    loc = reader.location(question)
    choices_loc = f"{loc}.choices"
    _check_duplicate_codes(question, reader)
    for choice in question.choices:
        where = (
            reader.location(choice)
            if question.choice_list is None
            else f"{choices_loc} ({question.choice_list})"
        )
        if choice.exclusive and question.type != "multi":
            reader.problem("DEF010", where, f"exclusive = true only fits a multi, not a {question.type}")
        if choice.other_text and question.type == "grid":
            reader.problem(
                "DEF010", where, "other_text does not fit a grid (its choices are shared by the items)"
            )
        if choice.date and question.type != "date_or_before":
            reader.problem("DEF010", where, f"date = true only fits a date_or_before, not a {question.type}")
        if choice.printed and not choice.added:
            reader.problem("DEF010", where, "printed = true only fits an added code (added = \"…\")")
    if question.type == "date_or_before" and question.choices and not question.date_codes:
        reader.problem("DEF010", choices_loc, "a date_or_before needs a choice with date = true")
    if question.min is not None and question.max is not None and question.min > question.max:
        reader.problem("DEF010", f"{loc}.min", f"min {question.min} is greater than max {question.max}")
    _check_screen_order(question, reader)


def _check_screen_order(question: Question, reader: Reader) -> None:
    """DEF013: ``screen_order`` must list every code of the question exactly once."""
    if not question.screen_order or not question.choices:
        return
    if sorted(question.screen_order) != sorted(question.codes):
        codes = ", ".join(map(str, question.codes))
        order = ", ".join(map(str, question.screen_order))
        reader.problem(
            "DEF013",
            f"{reader.location(question)}.screen_order",
            f"screen_order [{order}] must list each code of {question.key} once (codes: {codes})",
        )


def _check_duplicate_codes(question: Question, reader: Reader) -> None:
    seen: set[int] = set()
    for choice in question.choices:
        if choice.code in seen and choice.code >= 0:
            where = reader.location(choice)
            if question.choice_list is not None:
                where = f"{where} (used by {question.key})"
            reader.problem(
                "DEF008", where, f"code {choice.code} appears twice in the choices of {question.key}"
            )
        seen.add(choice.code)


# -- RULE001-RULE005 ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Owner:
    """Where a rule sits: its location, the slot index it must refer before, its own keys."""

    location: str
    position: int | None
    own_keys: frozenset[str]


class _RuleChecker:
    def __init__(self, q: Questionnaire, reader: Reader) -> None:
        self.q = q
        self.reader = reader
        self.slots = q.slots
        self.index: dict[str, int] = {}
        for i, slot in enumerate(self.slots):
            self.index.setdefault(slot.key, i)
        self.containers = {
            question.key: question.type
            for question in _all_questions(q)
            if question.type in ("grid", "group")
        }

    def owner(self, location: str, belongs: Callable[[AnswerSlot], bool]) -> _Owner:
        mine = [i for i, slot in enumerate(self.slots) if belongs(slot)]
        return _Owner(
            location=f"{location}.show_if",
            position=mine[0] if mine else None,
            own_keys=frozenset(self.slots[i].key for i in mine),
        )

    def check_all(self) -> None:
        for section in self.q.sections:
            if section.show_if is not None:
                owner = self.owner(self.reader.location(section), lambda s, sec=section: s.section is sec)
                self.check(section.show_if, owner.location, owner)
            for question in section.questions:
                self.check_question(question)

    def check_question(self, question: Question) -> None:
        loc = self.reader.location(question)
        if question.show_if is not None:
            if question.type == "group":
                owner = self.owner(loc, lambda s: s.top is question)
            else:
                owner = self.owner(loc, lambda s: s.question is question)
            self.check(question.show_if, owner.location, owner)
        for item in question.items:
            if item.show_if is not None:
                owner = self.owner(self.reader.location(item), lambda s, it=item: s.item is it)
                self.check(item.show_if, owner.location, owner)
        for sub in question.fields:
            self.check_question(sub)

    def check(self, rule: Any, loc: str, owner: _Owner) -> None:
        if not isinstance(rule, Mapping):
            self.reader.problem("RULE005", loc, f"a rule must be a table, got {toml_repr(rule)}")
            return
        unknown = [name for name in rule if name not in (*COMBINATORS, *COMPARISONS, "q")]
        if unknown:
            known = ", ".join((*COMPARISONS, *COMBINATORS))
            self.reader.problem(
                "RULE005", loc, f"unknown operator {', '.join(map(repr, unknown))} (known: {known})"
            )
            return
        combinators = [name for name in COMBINATORS if name in rule]
        if combinators:
            self.check_combinator(rule, loc, owner, combinators)
        else:
            self.check_comparison(rule, loc, owner)

    def check_combinator(self, rule: Rule, loc: str, owner: _Owner, combinators: list[str]) -> None:
        if len(rule) != 1:
            self.reader.problem(
                "RULE005", loc, f"{combinators[0]!r} must stand alone in its table, got {sorted(rule)}"
            )
            return
        name = combinators[0]
        if name == "not":
            self.check(rule["not"], f"{loc}.not", owner)
            return
        parts = rule[name]
        if not isinstance(parts, tuple) or not parts:
            self.reader.problem("RULE005", f"{loc}.{name}", f"{name!r} needs a non-empty array of rules")
            return
        for i, part in enumerate(parts):
            self.check(part, f"{loc}.{name}[{i}]", owner)

    def check_comparison(self, rule: Rule, loc: str, owner: _Owner) -> None:
        ops = [name for name in COMPARISONS if name in rule]
        key = rule.get("q")
        if not isinstance(key, str):
            self.reader.problem("RULE005", loc, 'a comparison needs q = "<answer key>"')
            return
        if len(ops) != 1:
            self.reader.problem(
                "RULE005", loc, f"a comparison needs exactly one operator, got {ops or 'none'}"
            )
            return
        op = ops[0]
        if not self.operand_ok(op, rule[op], f"{loc}.{op}"):
            return
        slot = self.target(key, loc, owner)
        if slot is None or slot.kind not in OPS_FOR_KIND:
            return
        if op not in OPS_FOR_KIND[slot.kind]:
            fitting = ", ".join(sorted(OPS_FOR_KIND[slot.kind]))
            self.reader.problem(
                "RULE003", loc, f"operator {op!r} does not fit {key} ({slot.kind}); use {fitting}"
            )
            return
        if op in CODE_OPS and slot.kind in ("single", "multi") and slot.codes:
            operands = rule[op] if op == "in" else (rule[op],)
            for code in operands:
                if code not in slot.codes:
                    codes = ", ".join(map(str, slot.codes))
                    self.reader.problem(
                        "RULE004", f"{loc}.{op}", f"{code} is not a code of {key} (codes: {codes})"
                    )

    def operand_ok(self, op: str, operand: Any, loc: str) -> bool:
        if op == "answered":
            ok, wanted = type(operand) is bool, "true or false"
        elif op == "in":
            ok = isinstance(operand, tuple) and bool(operand) and all(type(x) is int for x in operand)
            wanted = "a non-empty array of integers"
        else:
            ok, wanted = type(operand) is int, 'an integer (true and "1" are not integers)'
        if not ok:
            got = toml_repr(operand)
            self.reader.problem("RULE005", loc, f"the operand of {op!r} must be {wanted}, got {got}")
        return ok

    def target(self, key: str, loc: str, owner: _Owner) -> AnswerSlot | None:
        if key in self.containers:
            self.reader.problem(
                "RULE003", loc, f"{key} is a {self.containers[key]}; refer to one of its answer keys"
            )
            return None
        if key not in self.index:
            self.reader.problem("RULE001", loc, f"rule refers to unknown key {key!r}")
            return None
        if key in owner.own_keys:
            self.reader.problem("RULE002", loc, f"rule refers to its own question ({key})")
        elif owner.position is not None and self.index[key] >= owner.position:
            message = f"rule refers forward to {key}; rules may only refer to earlier questions"
            self.reader.problem("RULE002", loc, message)
        return self.q.slot(key)


# -- DEF011: scales ------------------------------------------------------------------------------


def _check_scales(q: Questionnaire, reader: Reader) -> None:
    for scale in q.scales:
        loc = reader.location(scale)
        for i, item in enumerate(scale.items):
            if not q.has_slot(item):
                reader.problem("DEF011", f"{loc}.items[{i}]", f"scale item {item!r} is not an answer key")
            elif q.slot(item).kind != "single":
                reader.problem(
                    "DEF011", f"{loc}.items[{i}]", f"scale item {item!r} is not a single-code answer"
                )
            if item in scale.items[:i]:
                reader.problem("DEF011", f"{loc}.items[{i}]", f"scale item {item!r} is listed twice")
        for i, item in enumerate(scale.reverse):
            if item not in scale.items:
                message = f"reverse item {item!r} is not one of the scale's items"
                reader.problem("DEF011", f"{loc}.reverse[{i}]", message)
