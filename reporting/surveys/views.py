"""The caseworker's survey pages ("Spørgeskema om koordinering"): the open and past waves,
answering one wave, and "Tjek dine svar" before the one submission.

Every view loads only the current user's own response (:func:`reporting.surveys.waves.own_response`);
a wave that does not ask the caseworker's unit, and that they have not answered, is 404. The form
posts ``action=save`` (draft), ``action=autosave`` (from the browser, answered with JSON:
``{"status": "saved", "version": n}``, or 409 with ``conflict``/``closed``) or ``action=review``
(stores the draft and, when every required answer is there, leads to the review page; the
``submit`` of an older page is read as ``review``). Only the review page's "Indsend" submits, and
it submits the stored draft. A submitted response and a closed wave are shown read-only. The start
page lists the open surveys through the ``open_surveys`` template function registered here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from forms import Questionnaire, to_formdata
from reporting.auth.access import roles
from reporting.auth.sessions import parks_posts, take_parked
from reporting.core.clock import now
from reporting.core.display import format_moment_da
from reporting.core.extensions import db
from reporting.core.schedule import format_date_da
from reporting.questionnaires.markup import questionnaire_markup
from reporting.questionnaires.tokens import new_submission_token
from reporting.surveys.flow import Outcome, SurveyContext, context_for, save, stored_problems, submit_stored
from reporting.surveys.models import SURVEY_NAME, SurveyResponse, SurveyWave
from reporting.surveys.waves import may_answer, open_waves_for

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

ACTIONS = {"save", "autosave", "review", "submit"}
#: One date format on every survey page: "15. december 2026", "1. december 2026 kl. 10.00".
DATES = {"format_date": format_date_da, "format_instant": format_moment_da}
CONFLICT = "Dine svar er ændret i et andet vindue, siden du åbnede siden."
CLOSED = "Dine svar er allerede indsendt, eller målingen er lukket. Ændringerne er ikke gemt."


@bp.app_context_processor
def start_page_context() -> dict[str, Any]:
    return {"open_surveys": _open_surveys, "survey_name": SURVEY_NAME, "format_survey_date": format_date_da}


def _open_surveys() -> list[tuple[SurveyWave, SurveyResponse | None]]:
    """The open waves of the logged-in caseworker, for the start page."""
    if not current_user.is_authenticated:
        return []
    return open_waves_for(current_user)


@bp.route("")
@roles("caseworker")
def index():  # type: ignore[no-untyped-def]
    open_rows = open_waves_for(current_user)
    open_ids = {wave.id for wave, _ in open_rows}
    past = [r for r in db.session.scalars(
        select(SurveyResponse).where(SurveyResponse.user_id == current_user.id)
        .order_by(SurveyResponse.created_at.desc())) if r.wave_id not in open_ids]
    return render_template("surveys/index.html", open_rows=open_rows, past=past, **DATES)


def _wave_or_404(wave_id: int) -> SurveyWave:
    wave = db.session.get(SurveyWave, wave_id)
    if wave is None or not may_answer(wave, current_user):
        abort(404)
    return wave


@bp.route("/<int:wave_id>", methods=["GET", "POST"])
@roles("caseworker")
@parks_posts
def answer(wave_id: int):  # type: ignore[no-untyped-def]
    ctx = context_for(_wave_or_404(wave_id), current_user)
    if request.method == "POST":
        return _post(ctx)
    parked = take_parked(request.path)
    if parked is not None:
        return _restore(ctx, MultiDict([(k, v) for k, values in parked.items() for v in values]))
    stored = ctx.response.answers if ctx.response else {}
    return _render(ctx, MultiDict(to_formdata(ctx.definition, stored)), {})


def _restore(ctx: SurveyContext, formdata: MultiDict) -> Any:
    """Keep what was posted while the login had timed out: as a draft when still possible."""
    if ctx.editable:
        outcome = save(ctx, formdata, submit=False, expected_version=ctx.response.version if ctx.response else None)
        if not outcome.conflict:
            db.session.commit()
            flash("Det, du skrev, før du blev logget ud, er gemt som kladde. Tjek det, og indsend dine svar.", "info")
            return _render(ctx, formdata, outcome.errors)
    db.session.rollback()
    flash("Det, du skrev, før du blev logget ud, kunne ikke gemmes, fordi målingen er lukket eller dine svar "
          "allerede er indsendt.", "info")
    return redirect(url_for("surveys.answer", wave_id=ctx.wave.id))


def _post(ctx: SurveyContext) -> Any:
    action = request.form.get("action", "save")
    if action not in ACTIONS:
        abort(400)
    outcome = save(ctx, request.form, submit=False, expected_version=_int(request.form.get("version")))
    if action == "autosave":
        return _autosave_reply(ctx, outcome)
    target = url_for("surveys.answer", wave_id=ctx.wave.id)
    if outcome.closed:
        db.session.rollback()
        flash(CLOSED, "error")
        return redirect(target)
    if outcome.conflict:
        db.session.rollback()
        flash(f"{CONFLICT} Ændringerne her er ikke gemt: genindlæs siden.", "error")
        return _render(ctx, request.form, {}, status=409)
    db.session.commit()
    if action in ("review", "submit"):
        return _to_review(ctx, outcome)
    if outcome.errors:
        flash("Kladden er gemt. Nogle svar kunne ikke gemmes; ret dem, før du indsender.", "info")
        return _render(ctx, request.form, outcome.errors)
    flash("Kladden er gemt.", "success")
    return redirect(target)


def _to_review(ctx: SurveyContext, outcome: Outcome) -> Any:
    """After "Tjek dine svar" on the form (the draft is stored): the review page, or the form with
    what is still missing."""
    problems = stored_problems(ctx) or outcome.errors
    if problems:
        flash("Dine svar er gemt som kladde. Besvar de spørgsmål, der er markeret, før du kan tjekke og "
              "indsende dine svar.", "info")
        return _render(ctx, request.form, {**problems, **outcome.errors}, status=422)
    return redirect(url_for("surveys.review", wave_id=ctx.wave.id))


def _autosave_reply(ctx: SurveyContext, outcome: Outcome) -> Any:
    """JSON for the browser's autosave: the new version, or why nothing was stored (409)."""
    if outcome.closed or outcome.conflict:
        db.session.rollback()
        fresh = context_for(ctx.wave, ctx.user)
        if outcome.closed:
            return jsonify(status="closed", message=CLOSED), 409
        return jsonify(status="conflict", message=CONFLICT,
                       version=fresh.response.version if fresh.response else None), 409
    version = ctx.response.version  # read before the commit expires it
    db.session.commit()
    return jsonify(status="saved", version=version, errors=sorted(outcome.errors))


@bp.route("/<int:wave_id>/tjek", methods=["GET", "POST"])
@roles("caseworker")
def review(wave_id: int):  # type: ignore[no-untyped-def]
    """"Tjek dine svar": the stored draft as a summary with "Ret" links; its "Indsend" submits it."""
    ctx = context_for(_wave_or_404(wave_id), current_user)
    form_page = url_for("surveys.answer", wave_id=wave_id)
    if request.method == "POST":
        return _submit(ctx)
    if not ctx.editable:
        return redirect(form_page)
    if ctx.response is None or stored_problems(ctx):
        flash("Besvar alle spørgsmål, før du tjekker og indsender dine svar.", "info")
        return redirect(form_page)
    return _render_review(ctx)


def _submit(ctx: SurveyContext) -> Any:
    if request.form.get("action") != "submit":
        abort(400)
    outcome = submit_stored(ctx, expected_version=_int(request.form.get("version")),
                            token=request.form.get("submission_token"))
    if outcome.replayed:
        flash("Dine svar var allerede indsendt.", "success")
        return redirect(url_for("surveys.index"))
    if outcome.closed:
        db.session.rollback()
        flash(CLOSED, "error")
        return redirect(url_for("surveys.answer", wave_id=ctx.wave.id))
    if outcome.conflict:
        db.session.rollback()
        flash(f"{CONFLICT} Tjek dine svar igen, før du indsender.", "error")
        return _render_review(context_for(ctx.wave, ctx.user), status=409)
    if outcome.errors:
        db.session.rollback()
        flash("Besvar alle spørgsmål, før du indsender dine svar.", "error")
        return redirect(url_for("surveys.answer", wave_id=ctx.wave.id))
    db.session.commit()
    flash("Tak. Dine svar er indsendt.", "success")
    return redirect(url_for("surveys.index"))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


@dataclass(frozen=True)
class AnswerLine:
    """One question with the caseworker's answer; ``anchor`` is the id of its first field on the form."""

    key: str
    label: str
    text: str
    anchor: str


def answer_rows(definition: Questionnaire, sections: list[str], answers: dict[str, Any]) -> list[tuple[str, list]]:
    """(section title, [AnswerLine]) of the caseworker's own answers, in the questionnaire's order."""
    rows = []
    for section in definition.sections:
        if section.key not in sections:
            continue
        lines = []
        for question in section.questions:
            value = answers.get(question.key)
            choice = question.choice(value)
            text = choice.label if choice else (value if isinstance(value, str) and value else "Ikke besvaret")
            anchor = f"{question.key}-0" if question.choices else question.key
            lines.append(AnswerLine(question.key, question.label, text, anchor))
        rows.append((section.title, lines))
    return rows


def _render(ctx: SurveyContext, formdata: Any, errors: dict[str, list[str]], status: int = 200) -> Any:
    response = ctx.response
    html = render_template(
        "surveys/answer.html", ctx=ctx,
        questionnaire=questionnaire_markup(ctx.definition, ctx.sections, (), formdata, errors),
        version=response.version if response else "", errors=errors,
        rows=answer_rows(ctx.definition, ctx.sections, response.answers if response else {}),
        open_now=ctx.wave.is_open(now()), **DATES,
    )
    return html, status


def _render_review(ctx: SurveyContext, status: int = 200) -> Any:
    response = ctx.response
    html = render_template(
        "surveys/review.html", ctx=ctx, version=response.version, submission_token=new_submission_token(),
        rows=answer_rows(ctx.definition, ctx.sections, response.answers), **DATES,
    )
    return html, status
