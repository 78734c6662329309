"""Reads the parsed TOML of a definition into model objects, recording every structural problem.

Reading is lenient: a broken part is recorded (DEF001-DEF003, DEF005-DEF007, DEF009) and read as
well as possible, so that :mod:`forms.checks` can still report the cross-reference problems of
the rest of the file. The caller refuses the definition if any problem was recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, TypeVar

from forms.errors import Problem
from forms.model import (
    CONTAINER_TYPES,
    LATEST_BOUNDS,
    MISSING_KINDS,
    QUESTION_TYPES,
    SCORINGS,
    TIMINGS,
    WAVES,
    Choice,
    GridItem,
    Question,
    Questionnaire,
    Scale,
    Section,
    freeze,
    thaw,
)

T = TypeVar("T")

KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: Names a generated WTForms form (and the web layer's FlaskForm) already uses.
RESERVED_KEYS = frozenset(
    {
        "csrf_token",
        "data",
        "errors",
        "form_errors",
        "meta",
        "populate_obj",
        "process",
        "validate",
        "hidden_tag",
        "is_submitted",
        "validate_on_submit",
        "submit",
    }
)

TOP_FIELDS = {"questionnaire", "choice_lists", "sections", "scales"}
HEADER_FIELDS = {"key", "version", "title", "instruction", "instruction_seed"}
SECTION_FIELDS = {"key", "title", "title_seed", "timing", "waves", "show_if", "questions"}
QUESTION_FIELDS = {
    "key", "type", "label", "label_seed", "hint", "hint_seed", "source", "required", "show_if", "note"
}
TYPE_FIELDS: dict[str, set[str]] = {
    "single": {"choices", "screen_order"},
    "multi": {"choices", "screen_order"},
    "grid": {"choices", "items", "screen_order"},
    "date_or_before": {"choices", "earliest", "latest"},
    "integer": {"min", "max"},
    "duration_hm": {"min", "max"},
    "date": {"earliest", "latest"},
    "text": set(),
    "short_text": set(),
    "group": {"fields"},
}
REQUIRED_TYPE_FIELDS: dict[str, set[str]] = {
    "single": {"choices"},
    "multi": {"choices"},
    "grid": {"choices", "items"},
    "date_or_before": {"choices"},
    "group": {"fields"},
}
CHOICE_FIELDS = {
    "code", "label", "label_seed", "exclusive", "missing_kind", "other_text", "date", "added", "printed"
}
ITEM_FIELDS = {"key", "label", "label_seed", "show_if"}
#: Display texts and the field holding their printed seed text where it differs (D15).
SEED_FIELDS = {"label": "label_seed", "title": "title_seed", "hint": "hint_seed", "instruction": "instruction_seed"}
SCALE_FIELDS = {"key", "label", "items", "reverse", "scoring", "min_fraction", "missing_codes"}


def toml_repr(value: object) -> str:
    """A value as written in TOML (true, "1", [1, 2]) for messages."""
    return json.dumps(thaw(value), ensure_ascii=False, default=str)


def _rule(table: Mapping[str, Any]) -> Any:
    # Rules are checked as a whole by forms.checks (RULE001-RULE005), after reading.
    return freeze(table["show_if"]) if "show_if" in table else None


def _described(value: object) -> str:
    return f"{_type_name(value)} {toml_repr(value)}"


def _type_name(value: object) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "table"}
    return names.get(type(value), type(value).__name__)


class Reader:
    """Builds the model and remembers where each object came from (for located problems)."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._locations: dict[int, str] = {}
        self.choice_lists: dict[str, tuple[Choice, ...]] = {}
        self.list_orders: dict[str, tuple[int, ...]] = {}

    # -- bookkeeping ------------------------------------------------------------------------

    def problem(self, code: str, location: str, message: str) -> None:
        self.problems.append(Problem(code, location, message))

    def located(self, obj: T, location: str) -> T:
        self._locations[id(obj)] = location
        return obj

    def location(self, obj: object) -> str:
        return self._locations.get(id(obj), "?")

    # -- typed field access -----------------------------------------------------------------

    def fields(self, table: Mapping[str, Any], allowed: set[str], required: set[str], loc: str) -> None:
        for name in table:
            if name not in allowed:
                self.problem("DEF001", loc, f"unknown field {name!r} (allowed: {', '.join(sorted(allowed))})")
        for name in sorted(required - set(table)):
            self.problem("DEF002", loc, f"missing required field {name!r}")

    def string(self, table: Mapping[str, Any], name: str, loc: str) -> str | None:
        value = table.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem("DEF003", f"{loc}.{name}", f"expected a non-empty string, got {_described(value)}")
            return None
        return value

    def integer(
        self, table: Mapping[str, Any], name: str, loc: str, minimum: int | None = None
    ) -> int | None:
        value = table.get(name)
        if value is None:
            return None
        if type(value) is not int or (minimum is not None and value < minimum):
            wanted = "an integer" if minimum is None else f"an integer ≥ {minimum}"
            self.problem("DEF003", f"{loc}.{name}", f"expected {wanted}, got {_described(value)}")
            return None
        return value

    def boolean(self, table: Mapping[str, Any], name: str, loc: str, default: bool) -> bool:
        value = table.get(name, default)
        if type(value) is not bool:
            self.problem("DEF003", f"{loc}.{name}", f"expected true or false, got {_described(value)}")
            return default
        return value

    def array(self, table: Mapping[str, Any], name: str, loc: str, of: type) -> list[Any]:
        value = table.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem("DEF003", f"{loc}.{name}", f"expected an array, got {_type_name(value)}")
            return []
        good = []
        for index, element in enumerate(value):
            if type(element) is not of:
                self.problem(
                    "DEF003",
                    f"{loc}.{name}[{index}]",
                    f"expected {_type_name(of())}, got {_described(element)}",
                )
            else:
                good.append(element)
        return good

    def seed(self, table: Mapping[str, Any], name: str, loc: str) -> str | None:
        """The printed seed text of display field ``name`` (``label`` -> ``label_seed``).

        DEF002 when the display field is missing; DEF012 when the seed text equals the display
        text (it only belongs where the two differ).
        """
        seed_name = SEED_FIELDS[name]
        seed = self.string(table, seed_name, loc)
        if seed is None:
            return None
        if name not in table:
            self.problem("DEF002", loc, f"{seed_name!r} needs {name!r} (the text shown on screen)")
        elif table[name] == seed:
            self.problem("DEF012", f"{loc}.{seed_name}", f"{seed_name} equals {name}: leave it out")
        return seed

    def day(self, table: Mapping[str, Any], name: str, loc: str) -> date | None:
        """A TOML local date (``earliest = 2007-06-01``)."""
        value = table.get(name)
        if value is None:
            return None
        if type(value) is not date:
            self.problem("DEF003", f"{loc}.{name}", f"expected a date like 2007-06-01, got {_described(value)}")
            return None
        return value

    def codes_order(self, table: Mapping[str, Any], loc: str) -> tuple[int, ...]:
        """``screen_order``: the codes in screen order (checked against the choices in forms.checks)."""
        return tuple(self.array(table, "screen_order", loc, int))

    def not_empty(self, table: Mapping[str, Any], name: str, loc: str) -> None:
        if table.get(name) == []:
            self.problem("DEF010", f"{loc}.{name}", f"{name} must not be empty")

    def key(self, table: Mapping[str, Any], name: str, loc: str) -> str | None:
        value = self.string(table, name, loc)
        if value is not None and (not KEY_RE.fullmatch(value) or value in RESERVED_KEYS):
            self.problem(
                "DEF009",
                f"{loc}.{name}",
                f"invalid key {toml_repr(value)}: use a-z, 0-9 and _, starting with a letter"
                + (" (the name is reserved)" if value in RESERVED_KEYS else ""),
            )
        return value

    def enum(self, table: Mapping[str, Any], name: str, loc: str, allowed: tuple[str, ...]) -> str | None:
        value = self.string(table, name, loc)
        if value is not None and value not in allowed:
            message = f"unknown {name} {toml_repr(value)} (allowed: {', '.join(allowed)})"
            self.problem("DEF007", f"{loc}.{name}", message)
            return None
        return value

    def tables(self, value: Any, loc: str) -> list[tuple[int, Mapping[str, Any]]]:
        if not isinstance(value, list):
            self.problem("DEF003", loc, f"expected an array of tables, got {_type_name(value)}")
            return []
        good = []
        for index, element in enumerate(value):
            if isinstance(element, dict):
                good.append((index, element))
            else:
                self.problem("DEF003", f"{loc}[{index}]", f"expected a table, got {_type_name(element)}")
        return good

    # -- the definition ---------------------------------------------------------------------

    def questionnaire(self, data: Mapping[str, Any]) -> Questionnaire:
        self.fields(data, TOP_FIELDS, {"questionnaire", "sections"}, "(top level)")
        header = data.get("questionnaire", {})
        if not isinstance(header, dict):
            self.problem("DEF003", "questionnaire", "expected a table")
            header = {}
        self.fields(
            header,
            HEADER_FIELDS,
            {"key", "version", "title"} if "questionnaire" in data else set(),
            "questionnaire",
        )
        self.read_choice_lists(data.get("choice_lists", {}))
        sections = [
            self.section(table, f"sections[{index}]")
            for index, table in self.tables(data.get("sections", []), "sections")
        ]
        scales = [
            self.scale(table, f"scales[{index}]")
            for index, table in self.tables(data.get("scales", []), "scales")
        ]
        return Questionnaire(
            key=self.key(header, "key", "questionnaire") or "",
            version=self.integer(header, "version", "questionnaire", minimum=1) or 0,
            title=self.string(header, "title", "questionnaire") or "",
            instruction=self.string(header, "instruction", "questionnaire"),
            instruction_seed=self.seed(header, "instruction", "questionnaire"),
            sections=tuple(sections),
            scales=tuple(scales),
            choice_lists=MappingProxyType(dict(self.choice_lists)),
        )

    def read_choice_lists(self, lists: Any) -> None:
        if not isinstance(lists, dict):
            self.problem("DEF003", "choice_lists", f"expected a table, got {_type_name(lists)}")
            return
        for name, table in lists.items():
            loc = f"choice_lists.{name}"
            if not isinstance(table, dict):
                self.problem("DEF003", loc, f"expected a table with 'choices', got {_type_name(table)}")
                continue
            self.fields(table, {"choices", "screen_order"}, {"choices"}, loc)
            if not KEY_RE.fullmatch(name):
                self.problem("DEF009", loc, f"invalid choice list name {name!r}")
            self.choice_lists[name] = self.choice_array(table.get("choices", []), f"{loc}.choices")
            self.list_orders[name] = self.codes_order(table, loc)

    def choice_array(self, value: Any, loc: str) -> tuple[Choice, ...]:
        return tuple(self.choice(table, f"{loc}[{index}]") for index, table in self.tables(value, loc))

    def choice(self, table: Mapping[str, Any], loc: str) -> Choice:
        self.fields(table, CHOICE_FIELDS, {"code", "label"}, loc)
        code = self.integer(table, "code", loc, minimum=0)
        choice = Choice(
            code=-1 if code is None else code,  # -1: missing or unreadable, already reported
            label=self.string(table, "label", loc) or "",
            exclusive=self.boolean(table, "exclusive", loc, False),
            missing_kind=self.enum(table, "missing_kind", loc, MISSING_KINDS),
            other_text=self.key(table, "other_text", loc),
            date=self.boolean(table, "date", loc, False),
            added=self.string(table, "added", loc),
            label_seed=self.seed(table, "label", loc),
            printed=self.boolean(table, "printed", loc, False),
        )
        return self.located(choice, loc)

    def section(self, table: Mapping[str, Any], loc: str) -> Section:
        self.fields(table, SECTION_FIELDS, {"key", "title", "questions"}, loc)
        key = self.key(table, "key", loc) or ""
        title = self.string(table, "title", loc) or ""
        timing = self.enum(table, "timing", loc, TIMINGS)
        waves = self.array(table, "waves", loc, str)
        for index, wave in enumerate(waves):
            if wave not in WAVES:
                self.problem(
                    "DEF007", f"{loc}.waves[{index}]", f"unknown wave {wave!r} (allowed: {', '.join(WAVES)})"
                )
        self.not_empty(table, "questions", loc)
        questions = [
            self.question(q_table, f"{loc}.questions[{index}]", in_group=False)
            for index, q_table in self.tables(table.get("questions", []), f"{loc}.questions")
        ]
        section = Section(
            key=key,
            title=title,
            title_seed=self.seed(table, "title", loc),
            questions=tuple(questions),
            timing=timing,
            waves=tuple(w for w in waves if w in WAVES),
            show_if=_rule(table),
        )
        return self.located(section, loc)

    def question(self, table: Mapping[str, Any], loc: str, in_group: bool) -> Question:
        key = self.key(table, "key", loc)
        if key:
            loc = f"{loc} ({key})"
        qtype = self.string(table, "type", loc)
        if qtype is not None and qtype not in QUESTION_TYPES:
            allowed = ", ".join(QUESTION_TYPES)
            self.problem("DEF006", f"{loc}.type", f"unknown question type {qtype!r} (allowed: {allowed})")
            qtype = None
        elif qtype in CONTAINER_TYPES and in_group:
            self.problem("DEF010", f"{loc}.type", f"a group cannot contain a {qtype}")
        extra = TYPE_FIELDS[qtype] if qtype else set().union(*TYPE_FIELDS.values())
        required = {"key", "type", "label"} | REQUIRED_TYPE_FIELDS.get(qtype or "", set())
        self.fields(table, QUESTION_FIELDS | extra, required, loc)
        for name in ("choices", "items", "fields"):
            self.not_empty(table, name, loc)
        choices, list_name = self.question_choices(table, loc)
        question = Question(
            key=key or "",
            type=qtype or "?",
            label=self.string(table, "label", loc) or "",
            required=self.boolean(table, "required", loc, True),
            hint=self.string(table, "hint", loc),
            label_seed=self.seed(table, "label", loc),
            hint_seed=self.seed(table, "hint", loc),
            source=self.string(table, "source", loc),
            note=self.string(table, "note", loc),
            show_if=_rule(table),
            choices=choices,
            choice_list=list_name,
            items=self.items(table, loc),
            fields=self.group_fields(table, loc),
            min=self.integer(table, "min", loc),
            max=self.integer(table, "max", loc),
            screen_order=self.codes_order(table, loc) or self.list_orders.get(list_name or "", ()),
            earliest=self.day(table, "earliest", loc),
            latest=self.enum(table, "latest", loc, LATEST_BOUNDS),
        )
        return self.located(question, loc)

    def items(self, table: Mapping[str, Any], loc: str) -> tuple[GridItem, ...]:
        return tuple(
            self.item(item, f"{loc}.items[{i}]")
            for i, item in self.tables(table.get("items", []), f"{loc}.items")
        )

    def group_fields(self, table: Mapping[str, Any], loc: str) -> tuple[Question, ...]:
        return tuple(
            self.question(sub, f"{loc}.fields[{i}]", in_group=True)
            for i, sub in self.tables(table.get("fields", []), f"{loc}.fields")
        )

    def question_choices(self, table: Mapping[str, Any], loc: str) -> tuple[tuple[Choice, ...], str | None]:
        value = table.get("choices")
        if value is None:
            return (), None
        if isinstance(value, str):
            if value not in self.choice_lists:
                known = ", ".join(sorted(self.choice_lists)) or "none defined"
                message = f"unknown choice list {toml_repr(value)} (known: {known})"
                self.problem("DEF005", f"{loc}.choices", message)
                return (), value
            return self.choice_lists[value], value
        return self.choice_array(value, f"{loc}.choices"), None

    def item(self, table: Mapping[str, Any], loc: str) -> GridItem:
        key = self.key(table, "key", loc)
        if key:
            loc = f"{loc} ({key})"
        self.fields(table, ITEM_FIELDS, {"key", "label"}, loc)
        item = GridItem(key=key or "", label=self.string(table, "label", loc) or "", show_if=_rule(table),
                        label_seed=self.seed(table, "label", loc))
        return self.located(item, loc)

    def scale(self, table: Mapping[str, Any], loc: str) -> Scale:
        key = self.key(table, "key", loc)
        if key:
            loc = f"{loc} ({key})"
        self.fields(table, SCALE_FIELDS, {"key", "label", "items"}, loc)
        min_fraction = table.get("min_fraction", 0.5)
        if type(min_fraction) not in (int, float) or not 0 < min_fraction <= 1:
            self.problem(
                "DEF003", f"{loc}.min_fraction", f"expected a number in (0, 1], got {toml_repr(min_fraction)}"
            )
            min_fraction = 0.5
        scale = Scale(
            key=key or "",
            label=self.string(table, "label", loc) or "",
            items=tuple(self.array(table, "items", loc, str)),
            reverse=tuple(self.array(table, "reverse", loc, str)),
            scoring=self.enum(table, "scoring", loc, SCORINGS) or "prorated_sum",
            min_fraction=float(min_fraction),
            missing_codes=tuple(self.array(table, "missing_codes", loc, int)),
        )
        return self.located(scale, loc)
