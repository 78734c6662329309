"""The questionnaire engine: definitions as data (``forms/definitions/*.toml``) and the code that
loads, checks and evaluates them. Pure Python: imports neither Flask, ``reporting`` nor ``exports``.

The vocabulary is ``docs/questionnaire-format.md``.
"""

from forms.answers import FormData, Result, normalise, to_formdata
from forms.codebook import CodeLabel, Variable, codebook, describe_rule
from forms.errors import DefinitionError, Problem
from forms.loader import (
    DEFINITIONS_DIR,
    clear_cache,
    get_definition,
    load_definition,
    load_shipped,
    parse_definition,
)
from forms.model import AnswerSlot, Choice, GridItem, Question, Questionnaire, Rule, Scale, Section, rule_json
from forms.rules import applicable_keys, asked_slots, evaluate, visible_answers
from forms.wtf import build_form_class

SKIPLOGIC_JS = "static/skiplogic.js"
"""Path of the browser mirror of the rules, relative to this package."""

__all__ = [
    "DEFINITIONS_DIR",
    "SKIPLOGIC_JS",
    "AnswerSlot",
    "Choice",
    "CodeLabel",
    "DefinitionError",
    "FormData",
    "GridItem",
    "Problem",
    "Question",
    "Questionnaire",
    "Result",
    "Rule",
    "Scale",
    "Section",
    "Variable",
    "applicable_keys",
    "asked_slots",
    "build_form_class",
    "clear_cache",
    "codebook",
    "describe_rule",
    "evaluate",
    "get_definition",
    "load_definition",
    "load_shipped",
    "normalise",
    "parse_definition",
    "rule_json",
    "to_formdata",
    "visible_answers",
]
