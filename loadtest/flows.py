"""What a simulated SKP worker does with the report form: read it, answer it, autosave, submit."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta

from forms import get_definition, to_formdata
from forms.sample import sample_answers

DEFINITION = get_definition("skp_monthly")
#: The parts asked; the closing parts (shown only by "Afsluttes forløbet?" = Ja, D21) are left out.
SECTION_RE = re.compile(r'<section class="questionnaire-section" data-key="([^"]+)"(?! data-show-if)')
HIDDEN_RE = {name: re.compile(rf'name="{name}" value="([^"]*)"') for name in ("version", "submission_token", "closing")}
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
DUE_LINK_RE = re.compile(r'<a class="button (?:button-primary|button-secondary)"\s+href="'
                         r'(/skp/clients/(K-[0-9]+)/reports/([0-9]{4}-[0-9]{2}))">\s*(Indberet|Indskrivning)')


@dataclass(frozen=True)
class FormState:
    csrf: str
    version: str
    token: str
    closing: str
    sections: tuple[str, ...]

    def hidden(self) -> dict[str, str]:
        return {"csrf_token": self.csrf, "version": self.version, "submission_token": self.token,
                "closing": self.closing}


def read_form(html: str) -> FormState:
    def value(name: str) -> str:
        match = HIDDEN_RE[name].search(html)
        return match.group(1) if match else ""

    csrf = CSRF_RE.search(html)
    if csrf is None:
        raise ValueError("no report form on the page")
    return FormState(csrf.group(1), value("version"), value("submission_token"), value("closing"),
                     tuple(SECTION_RE.findall(html)))


def due_reports(overview_html: str) -> list[tuple[str, str, str]]:
    """(path, system number, month) of each report the overview offers to file, in page order."""
    return [(m.group(1), m.group(2), m.group(3)) for m in DUE_LINK_RE.finditer(overview_html)]


def answers(state: FormState, month: str, rng: random.Random) -> dict[str, object]:
    """A complete, valid answer set for the parts the form shows (dates inside the month)."""
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    overrides = {"q16": 2, "q16_dato": (first + timedelta(days=4)).isoformat(),
                 "q40": (first + timedelta(days=25)).isoformat(), "q49": 2, "q50": 1, "q51": 1}
    return sample_answers(DEFINITION, list(state.sections), rng=rng, reference=first + timedelta(days=20),
                          overrides=overrides)


def partial(full: dict[str, object], share: float) -> dict[str, object]:
    """What is typed so far: the first ``share`` of the answers (an autosave mid-form)."""
    keys = list(full)
    return {key: full[key] for key in keys[: max(1, int(len(keys) * share))]}


def formdata(state: FormState, answer_set: dict[str, object], action: str) -> dict[str, object]:
    return {**to_formdata(DEFINITION, answer_set), **state.hidden(), "action": action}
