"""Located, coded problems of a questionnaire definition (for developers, in English).

Codes (docs/questionnaire-format.md, "Errors"):

DEF000 not valid TOML               DEF006 unknown question type
DEF001 unknown field                DEF007 unknown timing, wave, missing_kind, scoring or latest
DEF002 missing required field       DEF008 duplicate code within a question
DEF003 wrong value type             DEF009 invalid or reserved key
DEF004 duplicate key                DEF010 field does not fit the question type
DEF005 unknown choice list          DEF011 scale refers to an unknown or unsuitable item
DEF012 seed text equals the text on screen (label_seed = label …)
DEF013 screen_order does not list each code of the question once
RULE001 rule refers to an unknown key
RULE002 rule refers forward (or to its own question)
RULE003 operator does not fit the question type
RULE004 operand is not among the question's codes
RULE005 malformed rule
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: ``location`` like ``sections[0].questions[3] (q6).choices[2]``."""

    code: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} {self.location}: {self.message}"


class DefinitionError(ValueError):
    """A definition was refused; ``problems`` lists everything found, in document order."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s) in questionnaire definition\n{lines}")

    @property
    def codes(self) -> list[str]:
        return [problem.code for problem in self.problems]
