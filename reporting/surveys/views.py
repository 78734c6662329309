"""The caseworker's survey pages: the open and past waves, and answering one wave.

Every view loads only the current user's own response (:func:`reporting.surveys.waves.own_response`);
a wave that does not ask the caseworker's unit, and that they have not answered, is 404. The form
posts ``action=save`` (draft) or ``action=submit``; a submitted response and a closed wave are
shown read-only. The start page lists the open surveys through the ``open_surveys`` template
function registered here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from forms import Questionnaire, to_formdata
from reporting.auth.access import roles
from reporting.auth.sessions import parks_posts, take_parked
from reporting.core.clock import now
from reporting.core.display import format_instant
from reporting.core.extensions import db
from reporting.core.schedule import format_date_da
from reporting.questionnaires.markup import questionnaire_markup
from reporting.questionnaires.tokens import new_submission_token
from reporting.surveys.flow import SurveyContext, context_for, save
from reporting.surveys.models import SurveyResponse, SurveyWave
from reporting.surveys.waves import may_answer, open_waves_for

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

ACTIONS = {"save", "submit"}


@bp.app_context_processor
def start_page_context() -> dict[str, Any]:
    return {"open_surveys": _open_surveys}


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
    return render_template("surveys/index.html", open_rows=open_rows, past=past, format_date=format_date_da,
                           format_instant=format_instant)


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
    submit = action == "submit"
    outcome = save(ctx, request.form, submit=submit, expected_version=_int(request.form.get("version")),
                   token=request.form.get("submission_token") if submit else None)
    target = url_for("surveys.answer", wave_id=ctx.wave.id)
    if outcome.replayed:
        flash("Dine svar var allerede indsendt.", "success")
        return redirect(url_for("surveys.index"))
    if outcome.closed:
        db.session.rollback()
        flash("Dine svar er allerede indsendt, eller målingen er lukket. Ændringerne er ikke gemt.", "error")
        return redirect(target)
    if outcome.conflict:
        db.session.rollback()
        flash("Dine svar er ændret i et andet vindue, siden du åbnede siden. Ændringerne her er ikke gemt: "
              "genindlæs siden.", "error")
        return _render(ctx, request.form, {}, status=409)
    if outcome.errors and submit:
        db.session.rollback()
        return _render(ctx, request.form, outcome.errors, status=422)
    db.session.commit()
    if submit:
        flash("Tak. Dine svar er indsendt.", "success")
        return redirect(url_for("surveys.index"))
    if outcome.errors:
        flash("Kladden er gemt. Nogle svar kunne ikke gemmes; ret dem, før du indsender.", "info")
        return _render(ctx, request.form, outcome.errors)
    flash("Kladden er gemt.", "success")
    return redirect(target)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def answer_rows(definition: Questionnaire, sections: list[str], answers: dict[str, Any]) -> list[tuple[str, list]]:
    """(section title, [(question label, answer text)]) of the caseworker's own answers, read-only."""
    rows = []
    for section in definition.sections:
        if section.key not in sections:
            continue
        lines = []
        for question in section.questions:
            value = answers.get(question.key)
            choice = question.choice(value)
            text = choice.label if choice else (value if isinstance(value, str) else "Ikke besvaret")
            lines.append((question.label, text))
        rows.append((section.title, lines))
    return rows


def _render(ctx: SurveyContext, formdata: Any, errors: dict[str, list[str]], status: int = 200) -> Any:
    response = ctx.response
    html = render_template(
        "surveys/answer.html", ctx=ctx,
        questionnaire=questionnaire_markup(ctx.definition, ctx.sections, (), formdata, errors),
        version=response.version if response else "", submission_token=new_submission_token(),
        rows=answer_rows(ctx.definition, ctx.sections, response.answers if response else {}),
        open_now=ctx.wave.is_open(now()), format_date=format_date_da, format_instant=format_instant,
    )
    return html, status
