"""The codebook: one entry per exported variable, with Danish texts for evaluators.

Variables follow the stored answer keys, except that a multi becomes one 0/1 variable per code,
named ``<key>_<code>`` (``q7_1`` … ``q7_8``; the loader refuses a definition where such a name
collides with another key). Rules are rendered in Danish words ("Vises hvis spørgsmål 12 = 1 (Ja)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forms.model import AnswerSlot, Choice, Questionnaire, Rule, Section

TIMING_TEXTS = {
    "intake": "Ved indskrivning",
    "monthly": "Hver måned",
    "periodic": "Ved indskrivning, hver 4. måned og ved udskrivning",
    "closing": "Ved udskrivning",
}
WAVE_TEXTS = {"baseline": "Baseline", "followup": "Opfølgning"}
MULTI_CODE_LABELS = ((0, "Ikke valgt"), (1, "Valgt"))
_SYMBOLS = {"eq": "=", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}


@dataclass(frozen=True)
class CodeLabel:
    """One code of a variable and what it means: ``label`` as on screen, ``label_seed`` as
    printed where that differs (D15)."""

    code: int
    label: str
    missing_kind: str | None = None
    added: str | None = None
    exclusive: bool = False
    label_seed: str | None = None

    @property
    def text(self) -> str:
        """The label, with the printed text where it differs: "Sindslidende (trykt: …)"."""
        return f"{self.label} (trykt: {self.label_seed})" if self.label_seed else self.label


@dataclass(frozen=True)
class Variable:
    """One exported variable.

    ``type``: single, grid_item, date_or_before, multi_code (0/1 for one option of a multi; the
    option is ``option``), integer, duration_hm (minutes), date, text, short_text.
    ``rule``: when it is asked, in Danish, or None if always asked when its section is due.
    ``free_text``: text written by the worker (excluded from exports unless scanned, decisions §5).
    """

    name: str
    answer_key: str
    label: str
    type: str
    codes: tuple[CodeLabel, ...]
    missing: tuple[CodeLabel, ...]
    rule: str | None
    section: str
    timing: str | None
    timing_text: str
    scales: tuple[str, ...]
    free_text: bool
    required: bool
    source: str | None
    notes: tuple[str, ...]
    option: CodeLabel | None = None


def _code_label(choice: Choice) -> CodeLabel:
    return CodeLabel(choice.code, choice.label, choice.missing_kind, choice.added, choice.exclusive,
                     choice.label_seed)


def question_ref(key: str) -> str:
    """``q12`` -> "spørgsmål 12", ``q38_1`` -> "spørgsmål 38_1", ``b1`` -> "spørgsmål b1"."""
    return "spørgsmål " + (key[1:] if re.match(r"q[0-9]", key) else key)


class _RuleWords:
    def __init__(self, q: Questionnaire) -> None:
        self.q = q

    def code(self, key: str, code: int) -> str:
        choice = self.q.slot(key).question.choice(code) if self.q.has_slot(key) else None
        return (
            f"{code} ({choice.label})"
            if choice and self.q.slot(key).kind in ("single", "multi")
            else str(code)
        )

    def words(self, rule: Rule, nested: bool = False) -> str:
        if "all" in rule or "any" in rule:
            joiner = " og " if "all" in rule else " eller "
            text = joiner.join(self.words(part, nested=True) for part in (rule.get("all") or rule["any"]))
            return f"({text})" if nested else text
        if "not" in rule:
            return f"ikke ({self.words(rule['not'])})"
        return self.comparison(rule)

    def comparison(self, rule: Rule) -> str:
        key = rule["q"]
        ref = question_ref(key)
        if "answered" in rule:
            return f"{ref} er besvaret" if rule["answered"] else f"{ref} er ikke besvaret"
        if "in" in rule:
            return f"{ref} = " + " eller ".join(self.code(key, c) for c in rule["in"])
        if "has" in rule:
            return f"{ref} har {self.code(key, rule['has'])} afkrydset"
        if "ne" in rule:
            return f"{ref} er besvaret og ≠ {self.code(key, rule['ne'])}"
        op = next(op for op in _SYMBOLS if op in rule)
        value = self.code(key, rule[op]) if op == "eq" else str(rule[op])
        return f"{ref} {_SYMBOLS[op]} {value}"


def describe_rule(q: Questionnaire, rule: Rule | None) -> str | None:
    """A rule in Danish words, e.g. "spørgsmål 6 = 3 (Hjemløs/bor på gaden) eller 4 (…)"."""
    return None if rule is None else _RuleWords(q).words(rule)


def _shown_if(q: Questionnaire, rules: tuple[Rule, ...]) -> str | None:
    if not rules:
        return None
    words = _RuleWords(q)
    return "Vises hvis " + " og ".join(words.words(rule, nested=len(rules) > 1) for rule in rules)


def _notes(slot: AnswerSlot) -> list[str]:
    question = slot.question
    notes = []
    if slot.role in ("value", "item") and question.label_seed:
        notes.append(f"Trykt tekst: {question.label_seed}")
    if slot.role == "item" and slot.item is not None and slot.item.label_seed:
        notes.append(f"Trykt tekst (udsagn): {slot.item.label_seed}")
    if slot.role in ("value", "item") and question.hint_seed:
        notes.append(f"Trykt hjælpetekst: {question.hint_seed}")
    if slot.role in ("value", "item") and question.note:
        notes.append(question.note)
    if slot.role in ("value", "item"):
        notes.extend(_added_notes(question.choices))
    if slot.kind == "duration_hm":
        notes.append("Minutter i alt (timer × 60 + minutter).")
    if slot.role == "other_text" and slot.choice is not None:
        notes.append(f"Uddybning af {question_ref(question.key)}, kode {slot.choice.code}.")
    if slot.role == "date":
        notes.append(f"Dato til {question_ref(question.key)}, ISO-format åååå-mm-dd.")
    return notes


def _codes_text(choices: list[Choice]) -> str:
    return ", ".join(f"{c.code} »{c.label}«" for c in choices)


def _added_notes(choices: tuple[Choice, ...]) -> list[str]:
    """What was added to the printed options, per resolution: only the numbering of options that
    are printed (``printed = true``: Q19_PF, Q32c code 4), or whole options (Q21 code 0)."""
    notes = []
    for resolution in dict.fromkeys(c.added for c in choices if c.added):
        numbered = [c for c in choices if c.added == resolution and c.printed]
        new = [c for c in choices if c.added == resolution and not c.printed]
        if len(numbered) == 1:
            notes.append(f"Koden {_codes_text(numbered)} er tilføjet ({resolution}): svarmuligheden er trykt "
                         "i skemaet, kun dens kode er ny.")
        elif numbered:
            notes.append(f"Koderne {_codes_text(numbered)} er tilføjet ({resolution}): svarmulighederne er "
                         "trykt i skemaet uden numre, kun nummereringen er ny.")
        if new:
            word = "Svarmuligheden" if len(new) == 1 else "Svarmulighederne"
            notes.append(f"{word} {_codes_text(new)} er tilføjet ({resolution}) og er ikke trykt i skemaet.")
    return notes


def _variable_type(slot: AnswerSlot) -> str:
    if slot.role == "item":
        return "grid_item"
    if slot.role == "other_text":
        return "text"
    if slot.role == "date":
        return "date"
    return slot.question.type


def _label(slot: AnswerSlot) -> str:
    if slot.role == "item":
        return f"{slot.question.label} – {slot.label}"
    if slot.role == "other_text":
        return f"{slot.question.label} – {slot.label} (uddybning)"
    if slot.role == "date":
        return f"{slot.question.label} (dato)"
    return slot.label


def _timing_text(section: Section) -> str:
    if section.timing:
        return TIMING_TEXTS[section.timing]
    return ", ".join(WAVE_TEXTS.get(wave, wave) for wave in section.waves)


class _Variables:
    """Builds the variables of one slot; what all of them share comes from the slot."""

    def __init__(self, q: Questionnaire, slot: AnswerSlot) -> None:
        self.q = q
        self.slot = slot
        self.notes = tuple(_notes(slot))

    def variable(
        self,
        name: str,
        label: str,
        variable_type: str,
        codes: tuple[CodeLabel, ...],
        option: CodeLabel | None = None,
    ) -> Variable:
        slot = self.slot
        return Variable(
            name=name,
            answer_key=slot.key,
            label=label,
            type=variable_type,
            codes=codes,
            missing=tuple(c for c in codes if c.missing_kind) if option is None else (),
            rule=_shown_if(self.q, slot.conditions),
            section=slot.section.key,
            timing=slot.section.timing,
            timing_text=_timing_text(slot.section),
            scales=tuple(scale.key for scale in self.q.scales_of(slot.key)),
            free_text=slot.kind in ("text", "short_text"),
            required=slot.required,
            source=slot.question.source,
            notes=self.notes,
            option=option,
        )

    def all(self) -> list[Variable]:
        slot = self.slot
        if slot.kind == "multi":
            yes_no = tuple(CodeLabel(code, label) for code, label in MULTI_CODE_LABELS)
            return [
                self.variable(
                    f"{slot.key}_{choice.code}",
                    f"{slot.label} – {choice.label}",
                    "multi_code",
                    yes_no,
                    option=_code_label(choice),
                )  # fmt: skip
                for choice in slot.question.choices
            ]
        codes = tuple(_code_label(c) for c in slot.question.choices) if slot.kind == "single" else ()
        return [self.variable(slot.key, _label(slot), _variable_type(slot), codes)]


def codebook(q: Questionnaire) -> list[Variable]:
    """Every exported variable of ``q`` in document order."""
    return [variable for slot in q.slots for variable in _Variables(q, slot).all()]
