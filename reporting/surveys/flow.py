"""Answering a survey wave: the caseworker's own response, drafts, and the one submission.

Operations flush but never commit; the view commits once. The questionnaire engine
(:mod:`forms`) normalises the answers for the sections of the wave (``waves`` in
caseworker.toml: the follow-up adds F1-F4). The same patterns as the monthly report
(:mod:`reporting.skp.report_flow`): the form posts the version it was rendered from, so two tabs never
overwrite each other, and a submission token makes a double submit store one submission.
A submitted response is final; after the wave has closed a response is read-only.

Submitting takes two steps: the form stores the answers as a draft and leads to "Tjek dine svar";
only that page's "Indsend" submits, and it submits the stored draft (:func:`submit_stored`), so
what is submitted is exactly what the caseworker checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from forms import Questionnaire, get_definition, to_formdata
from forms.answers import normalise
from reporting.core import audit
from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.models import User
from reporting.core.schedule import COPENHAGEN
from reporting.surveys.models import SurveyResponse, SurveyWave
from reporting.surveys.waves import own_response


@dataclass
class SurveyContext:
    """One caseworker's view of one wave."""

    wave: SurveyWave
    user: User
    response: SurveyResponse | None

    @property
    def definition(self) -> Questionnaire:
        if self.response is not None:
            return get_definition(self.response.definition_key, self.response.definition_version)
        return get_definition(self.wave.definition_key)

    @property
    def sections(self) -> list[str]:
        return self.definition.section_keys(wave=self.wave.kind)

    @property
    def submitted(self) -> bool:
        return self.response is not None and self.response.status == "submitted"

    @property
    def editable(self) -> bool:
        return self.wave.is_open(now()) and not self.submitted


def context_for(wave: SurveyWave, user: User) -> SurveyContext:
    return SurveyContext(wave, user, own_response(wave, user))


@dataclass
class Outcome:
    """What a save or submit did: ``errors`` by answer key, a ``conflict`` with another tab, a
    ``replayed`` submission (already stored), or ``closed`` (the wave or response is read-only)."""

    errors: dict[str, list[str]]
    conflict: bool = False
    replayed: bool = False
    closed: bool = False


def save(ctx: SurveyContext, formdata: Mapping[str, Any], *, submit: bool, expected_version: int | None,
         token: str | None = None) -> Outcome:
    """Store the posted answers as the caseworker's draft, or submit them (all items required)."""
    response = ctx.response
    if response is not None and response.status == "submitted":
        replay = submit and token is not None and token == response.submission_token
        return Outcome({}, replayed=replay, closed=not replay)
    if not ctx.wave.is_open(now()):
        return Outcome({}, closed=True)
    if response is not None and expected_version != response.version:
        return Outcome({}, conflict=True)
    result = normalise(ctx.definition, formdata, sections=ctx.sections, mode="submit" if submit else "draft",
                       today=now().astimezone(COPENHAGEN).date())
    if submit and result.errors:
        return Outcome(result.errors)
    if response is None:
        response = _new_response(ctx, result.answers)
        if response is None:
            return Outcome({}, conflict=True)
    else:
        response.answers = result.answers
    if submit:
        response.status, response.submitted_at, response.submission_token = "submitted", now(), token
    db.session.flush()
    action = "survey_response_submitted" if submit else "survey_response_saved"
    audit.record(action, "survey_response", response.id, wave_id=ctx.wave.id)
    return Outcome({} if submit else result.errors)


def stored_problems(ctx: SurveyContext) -> dict[str, list[str]]:
    """What keeps the stored draft from being submitted (missing or invalid answers), by answer key;
    empty when it can be submitted. No draft at all counts as every required answer missing."""
    answers = ctx.response.answers if ctx.response is not None else {}
    result = normalise(ctx.definition, to_formdata(ctx.definition, answers), sections=ctx.sections, mode="submit",
                       today=now().astimezone(COPENHAGEN).date())
    return result.errors


def submit_stored(ctx: SurveyContext, *, expected_version: int | None, token: str | None) -> Outcome:
    """Submit the stored draft as it is ("Indsend" on the review page); ``expected_version`` is the
    version the review page showed, so answers changed in another tab since are never submitted
    unseen (conflict)."""
    response = ctx.response
    if response is None:
        return Outcome({}, conflict=True)
    return save(ctx, to_formdata(ctx.definition, response.answers), submit=True,
                expected_version=expected_version, token=token)


def _new_response(ctx: SurveyContext, answers: dict[str, Any]) -> SurveyResponse | None:
    """Insert the caseworker's response; None when another tab inserted it first (unique wave, user)."""
    definition = ctx.definition
    response = SurveyResponse(wave_id=ctx.wave.id, user_id=ctx.user.id, unit_id=ctx.user.unit_id, answers=answers,
                              definition_key=definition.key, definition_version=definition.version)
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:
        return None
    ctx.response = response
    return response
