"""The worker's monthly reports: the overview ("Mine indberetninger") and the report form.

Field names are question keys; the form posts ``action=save`` (draft), ``action=submit``,
``action=autosave`` (from the browser, answered with JSON) or ``action=discard`` (throw a draft or
unsent corrections away). Whether the report closes the course is the answer ``closing`` (D21); a
closing report is submitted only with ``confirm_closing=1``, after a confirmation that names the
client and month. A submitted report opens as a summary; ``?ret=1`` corrects it. Every view loads
the client through ``own_client_or_404``: another worker's client is 404.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from forms.answers import normalise, to_formdata
from reporting.auth.access import roles
from reporting.auth.sessions import parks_posts, take_parked
from reporting.core import audit
from reporting.core.clock import now
from reporting.core.db_failures import MESSAGE as DATABASE_MESSAGE
from reporting.core.db_failures import TRANSIENT, database_unavailable, log_incident, rollback_quietly
from reporting.core.display import format_instant
from reporting.core.extensions import db
from reporting.core.schedule import Period, deadline_date, format_date_da, format_period_da, report_status
from reporting.questionnaires.markup import questionnaire_markup
from reporting.questionnaires.tokens import new_submission_token
from reporting.skp.clients import own_client_or_404
from reporting.skp.models import Report
from reporting.skp.overview import worker_overview
from reporting.skp.report_flow import (
    NotFileable,
    Outcome,
    ReportContext,
    cross_field_errors,
    differing_answers,
    discard,
    resolve,
    save,
    stored_submission,
)
from reporting.skp.summary import summary
from reporting.skp.tasks import build_tasks

bp = Blueprint("reports", __name__, url_prefix="/skp")

ACTIONS = {"save", "submit", "autosave", "discard"}
#: What new_submission_token() issues; anything else posted as a token is ignored.
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


@bp.route("/reports")
@roles("skp")
def overview():  # type: ignore[no-untyped-def]
    rows = worker_overview(current_user.id, now(), current_app.config["DEADLINE_DAY"])
    return render_template("skp/overview.html", rows=rows, format_period=format_period_da,
                           format_date=format_date_da, current=Period.containing(now()))


def _context(system_number: str, month: str, closing: bool | None = None) -> ReportContext:
    try:
        period = Period.parse(month)
    except ValueError:
        abort(404)
    client = own_client_or_404(system_number)
    try:
        return resolve(client, period, closing)
    except NotFileable:
        abort(404)


@bp.route("/clients/<system_number>/reports/<month>", methods=["GET", "POST"])
@roles("skp")
@parks_posts
def report_form(system_number: str, month: str):  # type: ignore[no-untyped-def]
    if request.method == "POST":
        return _post(system_number, month)
    ctx = _context(system_number, month, closing=True if request.args.get("closing") == "1" else None)
    audit.record("report_viewed", "report", f"{system_number}/{ctx.period}")
    parked = take_parked(request.path)
    if parked is not None:
        return _restore(ctx, MultiDict([(k, v) for k, values in parked.items() for v in values]))
    db.session.commit()
    report = ctx.report
    if report is not None and report.status == "submitted" and not _editing():
        return _render_summary(ctx)
    stored = {**ctx.prefill, **(_working_answers(report) if report else {})}
    return _render(ctx, MultiDict(to_formdata(ctx.definition, stored)), {})


def _editing() -> bool:
    return request.args.get("ret") == "1" or request.form.get("editing") == "1"


def _working_answers(report: Report) -> dict[str, Any]:
    """What the form shows: unsent corrections of a submitted report, else its answers."""
    return report.correction_answers if report.correction_answers is not None else report.answers


@bp.route("/clients/<system_number>/reports/<month>/kvittering")
@roles("skp")
def receipt(system_number: str, month: str):  # type: ignore[no-untyped-def]
    """After submit: what was submitted, on time or late, whether the course closed, and the next task."""
    ctx = _context(system_number, month)
    report = ctx.report
    if report is None or report.status != "submitted":
        return redirect(url_for("reports.report_form", system_number=system_number, month=month))
    day = current_app.config["DEADLINE_DAY"]
    state = report_status(ctx.period, report.submitted_at, now(), day)
    tasks = build_tasks(worker_overview(current_user.id, now(), day), Period.containing(now()), day)
    upcoming = [task for task in tasks.due if not (task.client.id == ctx.client.id and task.period == ctx.period)]
    return render_template("skp/receipt.html", ctx=ctx, report=report, status=state, next_task=upcoming[0]
                           if upcoming else None, remaining=len(upcoming), month_label=format_period_da(ctx.period),
                           submitted=format_instant(report.submitted_at), format_period=format_period_da,
                           course_closed=report.closes_course and ctx.course is not None
                           and ctx.course.status != "open", course=ctx.course)


def _restore(ctx: ReportContext, formdata: MultiDict) -> Any:
    """Store what was posted while the login had timed out as a draft, and show it as typed."""
    if formdata.get("closing") == "1" and ctx.report is None:
        ctx = resolve(ctx.client, ctx.period, True)
    draft = ctx.report is None or ctx.report.status == "draft"
    if draft and not ctx.locked:
        save(ctx, formdata, submit=False, expected_version=ctx.report.version if ctx.report else None)
        flash("Det, du skrev, før du blev logget ud, er gemt som kladde. Tjek det, og indsend rapporten.", "info")
    else:
        flash("Det, du skrev, før du blev logget ud, er sat ind igen, men ikke gemt. Tjek det, og indsend igen.",
              "info")
    db.session.commit()
    return _render(ctx, formdata, {})


def _post(system_number: str, month: str):  # type: ignore[no-untyped-def]
    action = request.form.get("action", "save")
    if action not in ACTIONS:
        abort(400)
    try:
        return _apply_post(system_number, month, action)
    except (IntegrityError, StaleDataError):
        # Another request for the same report committed first (a double click, two tabs, two
        # devices): the unique constraints and the version counter refused this one.
        rollback_quietly()
        return _lost_race(system_number, month, action)
    except TRANSIENT as error:
        rollback_quietly()
        return _database_failed(system_number, month, action, error)


def _posted_token() -> str | None:
    token = request.form.get("submission_token") or ""
    return token if TOKEN_RE.fullmatch(token) else None


def _stored_submission(ctx: ReportContext, action: str) -> Report | None:
    """The report this very submission (its token) already stored: a retry or a double click."""
    token = _posted_token()
    if action != "submit" or token is None:
        return None
    return stored_submission(ctx.client, token)


def _lost_race(system_number: str, month: str, action: str) -> Any:
    ctx = _context(system_number, month, request.form.get("closing") == "1")
    stored = _stored_submission(ctx, action)
    if stored is not None:  # the same submission won in the other request
        return _after_save(ctx, action, Outcome(stored, {}, replayed=True))
    if action == "autosave":
        return _autosave_conflict(ctx)
    return _render_conflict(ctx)


def _database_failed(system_number: str, month: str, action: str, error: Exception) -> Any:
    """The database failed mid-request: nothing was stored; show the form again with the input."""
    incident = log_incident(error)
    if action == "autosave":
        return jsonify(status="error", message="Kladden kunne ikke gemmes lige nu. Prøv igen om lidt.",
                       incident=incident), 503
    flash(f"{DATABASE_MESSAGE} (fejlnummer {incident})", "error")
    try:
        ctx = _context(system_number, month, request.form.get("closing") == "1")
        html, _ = _render(ctx, request.form, {}, token=_posted_token())
        db.session.rollback()
    except TRANSIENT as again:  # still down: the page that needs no database, with the fields
        session.pop("_flashes", None)
        return database_unavailable(again, incident=incident)
    return html, 503, {"Retry-After": "5"}


def _apply_post(system_number: str, month: str, action: str) -> Any:
    ctx = _context(system_number, month, request.form.get("closing") == "1")
    if ctx.locked:
        stored = _stored_submission(ctx, action)  # a late report's retry is acknowledged, not refused
        if stored is not None:
            return _after_save(ctx, action, Outcome(stored, {}, replayed=True))
        return _locked(ctx, action)
    if action == "discard":
        return _discard(ctx)
    submit = action == "submit"
    if submit and _needs_closing_confirmation(ctx):
        return _confirm_closing(ctx)
    outcome = save(ctx, request.form, submit=submit, expected_version=_int(request.form.get("version")),
                   token=_posted_token() if submit else None)
    if action == "autosave":
        return _autosave_reply(ctx, outcome)
    if outcome.conflict:
        db.session.rollback()
        return _render_conflict(ctx)
    if outcome.errors and submit:
        db.session.rollback()
        return _render(ctx, request.form, outcome.errors, status=422)
    db.session.commit()
    return _after_save(ctx, action, outcome)


def _needs_closing_confirmation(ctx: ReportContext) -> bool:
    """D21: a report that closes the course is submitted only after the worker confirmed it."""
    already = ctx.report is not None and ctx.report.status == "submitted" and ctx.report.closes_course
    return ctx.closing and not ctx.closing_fixed and not already and request.form.get("confirm_closing") != "1"


def _confirm_closing(ctx: ReportContext) -> Any:
    """Check the answers as a submit would; if they hold, ask "Afslut forløbet for K-… ?" first.

    Nothing is stored: the confirmation page posts the same answers again with ``confirm_closing``.
    """
    result = normalise(ctx.definition, request.form, sections=ctx.sections, extra=ctx.extra, mode="submit",
                       report_month=ctx.period.first_day)
    errors = {**result.errors, **cross_field_errors(result.answers)}
    if errors:
        return _render(ctx, request.form, errors, status=422)
    fields = [(key, value) for key, values in request.form.lists() if key not in {"action", "confirm_closing"}
              for value in values]
    html = render_template("skp/confirm_closing.html", ctx=ctx, fields=fields,
                           month_label=format_period_da(ctx.period), postponed=result.answers.get("q41") == 7)
    return html, 200


def _discard(ctx: ReportContext) -> Any:
    had_course = ctx.course is not None
    if not discard(ctx):
        flash("Der er ingen kladde at slette.", "info")
        return redirect(url_for("reports.report_form", system_number=ctx.client.system_number, month=str(ctx.period)))
    db.session.commit()
    submitted = ctx.report is not None and ctx.report.status == "submitted"
    if submitted:
        flash("Dine rettelser er slettet. Rapporten er, som den blev indsendt.", "success")
        return redirect(url_for("reports.report_form", system_number=ctx.client.system_number, month=str(ctx.period)))
    flash(f"Kladden for {format_period_da(ctx.period)} ({ctx.client.system_number}) er slettet."
          + (" Forløbet er ikke startet." if had_course and ctx.due.is_intake else ""), "success")
    return redirect(url_for("main.index"))


def _after_save(ctx: ReportContext, action: str, outcome) -> Any:  # type: ignore[no-untyped-def]
    # No database access after the commit (the URL's system number is the client's): once the
    # report is stored, nothing may fail before the worker is told so.
    system_number = request.view_args["system_number"]
    if action == "submit":
        if outcome.replayed:
            flash(f"Indberetningen for {format_period_da(ctx.period)} var allerede indsendt.", "info")
        return redirect(url_for("reports.receipt", system_number=system_number, month=str(ctx.period)))
    target = url_for("reports.report_form", system_number=system_number, month=str(ctx.period),
                     **({"ret": "1"} if _editing() else {}))
    if outcome.errors:
        flash("Kladden er gemt. Nogle svar kunne ikke gemmes; ret dem, før du indsender.", "info")
        return _render(ctx, request.form, outcome.errors, status=200)
    flash("Dine rettelser er gemt. Husk at indsende rapporten igen." if _editing() else "Kladden er gemt.", "success")
    return redirect(target)


def _autosave_reply(ctx: ReportContext, outcome) -> Any:  # type: ignore[no-untyped-def]
    if outcome.conflict:
        db.session.rollback()
        return _autosave_conflict(ctx)
    version = outcome.report.version  # read before the commit expires it
    db.session.commit()
    return jsonify(status="saved", version=version, errors=sorted(outcome.errors))


def _autosave_conflict(ctx: ReportContext) -> Any:
    fresh = _context(ctx.client.system_number, str(ctx.period), ctx.closing)
    return jsonify(status="conflict", message="Rapporten er ændret i et andet vindue eller på en anden enhed.",
                   version=fresh.report.version if fresh.report else None,
                   differing=differing_answers(fresh, request.form)), 409


def _render_conflict(ctx: ReportContext) -> Any:
    """Two tabs: show what was typed, list the answers that differ from the stored report, and offer
    "Behold mine svar" (the form now carries the stored version, so saving overwrites) or
    "Hent de gemte svar" (reload)."""
    fresh = _context(ctx.client.system_number, str(ctx.period), ctx.closing)
    differing = differing_answers(fresh, request.form)
    return _render(fresh, request.form, {}, status=409, conflict=differing)


def _locked(ctx: ReportContext, action: str) -> Any:
    message = ("Fristen er overskredet, og indberetningen er indsendt. Bed din koordinator om at genåbne den, "
               "hvis den skal rettes.")
    if action == "autosave":
        return jsonify(status="locked", message=message), 409
    flash(message, "error")
    return _render_summary(ctx, status=409)


def _int(value: str | None) -> int | None:
    return int(value) if value and re.fullmatch(r"[0-9]{1,9}", value) else None


def _render(ctx: ReportContext, formdata: Any, errors: dict[str, list[str]], status: int = 200,
            token: str | None = None, conflict: list[str] | None = None) -> Any:
    reveal = {key: CLOSING_RULE for key in ctx.closing_parts}
    markup = questionnaire_markup(ctx.definition, ctx.form_sections, ctx.extra, formdata, errors, reveal)
    report = ctx.report
    html = render_template(
        "skp/report_form.html", ctx=ctx, questionnaire=markup, status=_state(ctx), errors=errors,
        deadline=format_date_da(deadline_date(ctx.period, current_app.config["DEADLINE_DAY"])),
        month_label=format_period_da(ctx.period), version=report.version if report else "",
        submission_token=token or new_submission_token(), locked=ctx.locked, conflict=conflict,
        editing=report is not None and report.status == "submitted", closing_answer=_closing_answer(ctx, formdata),
        parts=[s for s in ctx.definition.sections if s.key in ctx.form_sections],
    )
    return html, status


#: D21: the closing parts are shown when "Afsluttes forløbet med denne rapport?" is answered Ja (1).
CLOSING_RULE = '{"q":"closing","eq":1}'


def _closing_answer(ctx: ReportContext, formdata: Any) -> str:
    posted = formdata.get("closing") if hasattr(formdata, "get") else None
    return posted if posted in ("0", "1") else ("1" if ctx.closing else "0")


def _state(ctx: ReportContext):  # type: ignore[no-untyped-def]
    report = ctx.report
    return report_status(ctx.period, report.submitted_at if report else None, now(),
                         current_app.config["DEADLINE_DAY"])


def _render_summary(ctx: ReportContext, status: int = 200) -> Any:
    """A submitted report as a read-only summary, with "Ret" where a correction is still allowed."""
    report = ctx.report
    parts = summary(ctx.definition, report.answers, ctx.sections, ctx.extra)
    html = render_template(
        "skp/report_summary.html", ctx=ctx, report=report, parts=parts, status=_state(ctx), locked=ctx.locked,
        month_label=format_period_da(ctx.period), submitted=format_instant(report.submitted_at),
        deadline=format_date_da(deadline_date(ctx.period, current_app.config["DEADLINE_DAY"])),
    )
    return html, status
