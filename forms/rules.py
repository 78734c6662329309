"""Skip logic: the authoritative evaluator of rules, mirrored by ``forms/static/skiplogic.js``.

Semantics (docs/questionnaire-format.md, "Rules"): an unanswered question makes every operator
false except ``answered = false`` (and ``not`` of a false rule); equality is strict, so the int 1
equals neither ``True`` nor ``"1"``; a hidden question counts as unanswered for later rules.
The shared cases in ``tests/forms/rules_cases.json`` run against both evaluators.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from forms.model import AnswerSlot, Questionnaire, Rule

COMPARISONS = ("eq", "ne", "in", "gt", "gte", "lt", "lte", "has", "answered")
COMBINATORS = ("all", "any", "not")


def is_unanswered(value: object) -> bool:
    """None, an empty string and an empty list all mean "no answer"."""
    return value is None or (isinstance(value, str | list | tuple) and len(value) == 0)


def _same(a: object, b: object) -> bool:
    # Strict: bool is a subclass of int in Python, and 1 == 1.0 == True; none of that counts.
    return type(a) is type(b) and a == b


def _is_int(value: object) -> bool:
    return type(value) is int


def _compare(op: str, value: object, operand: Any) -> bool:
    if op == "eq":
        return _same(value, operand)
    if op == "ne":
        return not _same(value, operand)
    if op == "in":
        return any(_same(value, option) for option in operand)
    if op == "has":
        return isinstance(value, list | tuple) and any(_same(v, operand) for v in value)
    if not (_is_int(value) and _is_int(operand)):
        return False
    if op == "gt":
        return value > operand
    if op == "gte":
        return value >= operand
    if op == "lt":
        return value < operand
    return value <= operand  # lte


def evaluate(rule: Rule | None, answers: Mapping[str, Any]) -> bool:
    """Whether ``rule`` holds for ``answers`` (answer key -> stored value). No rule holds.

    Raises ValueError for a malformed rule; the loader refuses those, so this is a bug.
    """
    if rule is None:
        return True
    if "all" in rule:
        return all(evaluate(part, answers) for part in rule["all"])
    if "any" in rule:
        return any(evaluate(part, answers) for part in rule["any"])
    if "not" in rule:
        return not evaluate(rule["not"], answers)
    ops = [op for op in COMPARISONS if op in rule]
    if "q" not in rule or len(ops) != 1:
        raise ValueError(f"malformed rule: {dict(rule)!r}")
    op = ops[0]
    value = answers.get(rule["q"])
    if op == "answered":
        return (not is_unanswered(value)) is rule[op]
    if is_unanswered(value):
        return False
    return _compare(op, value, rule[op])


def asked_slots(
    q: Questionnaire, sections: Iterable[str] | None = None, extra: Iterable[str] = ()
) -> list[AnswerSlot]:
    """The slots asked in a report: those of the due ``sections`` (None = all) and of the
    ``extra`` question keys asked outside their section; rules not yet applied."""
    due = None if sections is None else frozenset(sections)
    extra_keys = frozenset(extra)
    return [s for s in q.slots if due is None or s.section.key in due or s.top.key in extra_keys]


def applicable_keys(
    q: Questionnaire,
    answers: Mapping[str, Any],
    sections: Iterable[str] | None = None,
    extra: Iterable[str] = (),
) -> list[str]:
    """The answer keys that apply, in document order.

    ``sections``: the section keys due in this report (None = all sections). ``extra``: question
    keys asked although their section is not due (the schedule re-asks q17/q18). A key applies
    when its section is due (or its question is extra) and every condition of its slot holds,
    evaluated against the answers of the keys that apply before it, so that an answer to a
    hidden question never shows a later one.

    Results are memoised per questionnaire (:class:`ApplicabilityMemo`): an export evaluates the
    same few answer patterns hundreds of thousands of times.
    """
    return list(_memo_for(q).keys(answers, sections, extra)[0])


def applicable_set(
    q: Questionnaire,
    answers: Mapping[str, Any],
    sections: Iterable[str] | None = None,
    extra: Iterable[str] = (),
) -> frozenset[str]:
    """:func:`applicable_keys` as a set, for membership tests in bulk (shared, never copied)."""
    return _memo_for(q).keys(answers, sections, extra)[1]


def rule_keys(q: Questionnaire) -> tuple[str, ...]:
    """Every answer key some condition of ``q`` reads, sorted."""
    found: set[str] = set()

    def walk(rule: Rule) -> None:
        for combinator in ("all", "any"):
            if combinator in rule:
                for part in rule[combinator]:
                    walk(part)
                return
        if "not" in rule:
            walk(rule["not"])
            return
        found.add(rule["q"])

    for slot in q.slots:
        for rule in slot.conditions:
            walk(rule)
    return tuple(sorted(found))


class ApplicabilityMemo:
    """:func:`applicable_keys` of one questionnaire, remembered per answer pattern.

    The applicable keys depend on the answers only through the keys that rules read
    (:func:`rule_keys`), so answer sets that agree on those and on the due sections share one
    evaluation. Answers are compared by ``repr``, which keeps 1, True, 1.0, "1" and [1] apart as
    the rules do (stored answers are JSON values). At most ``max_entries`` patterns are kept (then it starts over),
    so memory stays bounded whatever is evaluated.
    """

    def __init__(self, q: Questionnaire, max_entries: int = 4096) -> None:
        self.q = q
        self.max_entries = max_entries
        self._read = rule_keys(q)
        self._known: dict[object, tuple[tuple[str, ...], frozenset[str]]] = {}

    def keys(self, answers: Mapping[str, Any], sections: Iterable[str] | None = None,
             extra: Iterable[str] = ()) -> tuple[tuple[str, ...], frozenset[str]]:
        """The applicable keys in document order, and the same as a set."""
        due = None if sections is None else frozenset(sections)
        extra_keys = frozenset(extra)
        get = answers.get
        pattern = (due, extra_keys, repr([get(key) for key in self._read]))
        found = self._known.get(pattern)
        if found is None:
            keys = tuple(_evaluate_applicable(self.q, answers, due, extra_keys))
            found = (keys, frozenset(keys))
            if len(self._known) >= self.max_entries:
                self._known.clear()
            self._known[pattern] = found
        return found


def _memo_for(q: Questionnaire) -> ApplicabilityMemo:
    memo = q.__dict__.get("_applicability_memo")
    if memo is None:  # the questionnaire is frozen; the memo is a cache beside its fields, like its slots
        memo = q.__dict__["_applicability_memo"] = ApplicabilityMemo(q)
    return memo


def _evaluate_applicable(
    q: Questionnaire, answers: Mapping[str, Any], sections: Iterable[str] | None, extra: Iterable[str]
) -> list[str]:
    visible: dict[str, Any] = {}
    keys: list[str] = []
    for slot in asked_slots(q, sections, extra):
        if all(evaluate(rule, visible) for rule in slot.conditions):
            keys.append(slot.key)
            if slot.key in answers:
                visible[slot.key] = answers[slot.key]
    return keys


def visible_answers(
    q: Questionnaire,
    answers: Mapping[str, Any],
    sections: Iterable[str] | None = None,
    extra: Iterable[str] = (),
) -> dict[str, Any]:
    """``answers`` restricted to the keys that apply, in document order."""
    return {key: answers[key] for key in applicable_keys(q, answers, sections, extra) if key in answers}
