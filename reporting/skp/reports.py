"""The worker's monthly reports: the overview ("Mine indberetninger") and the report form.

Field names are question keys; the form posts ``action=save`` (draft), ``action=submit``,
``action=autosave`` (from the browser, answered with JSON) or ``action=closing`` (add or remove
Del 7). Every view loads the client through ``own_client_or_404``: another worker's client is 404.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from forms.answers import to_formdata
from reporting.auth.access import roles
from reporting.auth.sessions import parks_posts, take_parked
from reporting.core import audit
from reporting.core.clock import now
from reporting.core.db_failures import MESSAGE as DATABASE_MESSAGE
from reporting.core.db_failures import TRANSIENT, database_unavailable, log_incident, rollback_quietly
from reporting.core.extensions import db
from reporting.core.schedule import Period, deadline_date, format_date_da, format_period_da, report_status
from reporting.questionnaires.markup import questionnaire_markup
from reporting.questionnaires.tokens import new_submission_token
from reporting.skp.clients import own_client_or_404
from reporting.skp.models import Report
from reporting.skp.overview import worker_overview
from reporting.skp.report_flow import NotFileable, Outcome, ReportContext, resolve, save

bp = Blueprint("reports", __name__, url_prefix="/skp")

ACTIONS = {"save", "submit", "autosave", "closing"}
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
    stored = ctx.report.answers if ctx.report else ctx.prefill
    return _render(ctx, MultiDict(to_formdata(ctx.definition, stored)), {})


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


def _stored_submission(action: str) -> Report | None:
    """The report this very submission (its token) already stored: a retry or a double click."""
    token = _posted_token()
    if action != "submit" or token is None:
        return None
    return db.session.scalar(db.select(Report).where(Report.submission_token == token))


def _lost_race(system_number: str, month: str, action: str) -> Any:
    ctx = _context(system_number, month, request.form.get("closing") == "1")
    stored = _stored_submission(action)
    if stored is not None:  # the same submission won in the other request
        return _after_save(ctx, action, Outcome(stored, {}, replayed=True))
    message = "Indberetningen er ændret i et andet vindue."
    if action == "autosave":
        return jsonify(status="conflict", message=message), 409
    flash(message + " Dine ændringer er ikke gemt: kopiér det, du har skrevet, og genindlæs siden.", "error")
    return _render(ctx, request.form, {}, status=409)


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
    closing = request.form.get("closing") == "1"
    if action == "closing":
        closing = not closing
    ctx = _context(system_number, month, closing)
    if ctx.locked:
        stored = _stored_submission(action)  # a late report's retry is acknowledged, not refused
        if stored is not None:
            return _after_save(ctx, action, Outcome(stored, {}, replayed=True))
        return _locked(ctx, action)
    submit = action == "submit"
    outcome = save(ctx, request.form, submit=submit, expected_version=_int(request.form.get("version")),
                   token=_posted_token() if submit else None)
    if action == "autosave":
        return _autosave_reply(outcome)
    if outcome.conflict:
        db.session.rollback()
        flash("Indberetningen er ændret i et andet vindue, siden du åbnede den. Dine ændringer er ikke gemt: "
              "kopiér det, du har skrevet, og genindlæs siden.", "error")
        return _render(ctx, request.form, {}, status=409)
    if outcome.errors and submit:
        db.session.rollback()
        return _render(ctx, request.form, outcome.errors, status=422)
    db.session.commit()
    return _after_save(ctx, action, outcome)


def _after_save(ctx: ReportContext, action: str, outcome) -> Any:  # type: ignore[no-untyped-def]
    # No database access after the commit (the URL's system number is the client's): once the
    # report is stored, nothing may fail before the worker is told so.
    target = url_for("reports.report_form", system_number=request.view_args["system_number"], month=str(ctx.period))
    if action == "submit":
        verb = "var allerede indsendt" if outcome.replayed else "er indsendt"
        flash(f"Indberetningen for {format_period_da(ctx.period)} {verb}.", "success")
        return redirect(url_for("reports.overview"))
    if outcome.errors:
        flash("Kladden er gemt. Nogle svar kunne ikke gemmes; ret dem, før du indsender.", "info")
        return _render(ctx, request.form, outcome.errors, status=200)
    flash("Kladden er gemt." if action == "save" else "Del 7 (udskrivning) er " +
          ("tilføjet." if ctx.closing else "fjernet."), "success")
    return redirect(target)


def _autosave_reply(outcome) -> Any:  # type: ignore[no-untyped-def]
    if outcome.conflict:
        db.session.rollback()
        return jsonify(status="conflict", message="Indberetningen er ændret i et andet vindue."), 409
    version = outcome.report.version  # read before the commit expires it
    db.session.commit()
    return jsonify(status="saved", version=version, errors=sorted(outcome.errors))


def _locked(ctx: ReportContext, action: str) -> Any:
    message = ("Fristen er overskredet, og indberetningen er indsendt. Bed din koordinator om at genåbne den, "
               "hvis den skal rettes.")
    if action == "autosave":
        return jsonify(status="locked", message=message), 409
    flash(message, "error")
    return _render(ctx, request.form, {}, status=409)


def _int(value: str | None) -> int | None:
    return int(value) if value and re.fullmatch(r"[0-9]{1,9}", value) else None


def _render(ctx: ReportContext, formdata: Any, errors: dict[str, list[str]], status: int = 200,
            token: str | None = None) -> Any:
    markup = questionnaire_markup(ctx.definition, ctx.sections, ctx.extra, formdata, errors)
    report = ctx.report
    state = report_status(ctx.period, report.submitted_at if report else None, now(),
                          current_app.config["DEADLINE_DAY"])
    html = render_template(
        "skp/report_form.html", ctx=ctx, questionnaire=markup, status=state,
        deadline=format_date_da(deadline_date(ctx.period, current_app.config["DEADLINE_DAY"])),
        month_label=format_period_da(ctx.period), version=report.version if report else "",
        submission_token=token or new_submission_token(), locked=ctx.locked,
    )
    return html, status
