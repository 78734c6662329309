"""Coordinators reopen a submitted report so its worker can correct it after the deadline.

Coordinators see a report's status only (system number, month, dates), never its answers or the
client's nickname. Reports outside the coordinator's scope are 404.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from reporting.auth.access import roles
from reporting.auth.scope import scope_filter
from reporting.core import audit
from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.models import User
from reporting.core.schedule import Period, format_date_da, format_period_da, report_status
from reporting.skp.models import Client, Course, Report

bp = Blueprint("reopen", __name__, url_prefix="/coordinator/reports")


class ReopenForm(FlaskForm):
    """Carries the CSRF token of the reopen button."""


def _report_in_scope_or_404(system_number: str, month: str) -> tuple[Report, Client]:
    try:
        period = Period.parse(month)
    except ValueError:
        abort(404)
    row = db.session.execute(
        select(Report, Client)
        .join(Course, Report.course_id == Course.id)
        .join(Client, Course.client_id == Client.id)
        .join(User, Client.worker_id == User.id)
        .where(Client.system_number == system_number, Report.period == period.first_day,
               scope_filter(User.municipality_id))
    ).first()
    if row is None:
        abort(404)
    return row[0], row[1]


@bp.route("/find")
@roles("coordinator")
def find():  # type: ignore[no-untyped-def]
    """The drill-down's "find a report to reopen" box: system number and month to the report page."""
    number = (request.args.get("system_number") or "").strip().upper()
    month = (request.args.get("month") or "").strip()
    if not number or not month:
        missing = bool(request.args)  # the form was sent with a field left empty
        return render_template("skp/reopen_find.html", number=number, month=month, missing=missing), \
            400 if missing else 200
    return redirect(url_for("reopen.show", system_number=number, month=month))


@bp.route("/<system_number>/<month>")
@roles("coordinator")
def show(system_number: str, month: str):  # type: ignore[no-untyped-def]
    report, client = _report_in_scope_or_404(system_number, month)
    status = report_status(report.month, report.submitted_at if report.status == "submitted" else None, now(),
                           current_app.config["DEADLINE_DAY"])
    return render_template("skp/report_status.html", report=report, client=client, status=status,
                           month_label=format_period_da(report.month), form=ReopenForm(),
                           format_date=lambda d: format_date_da(d if isinstance(d, date) else d.date()))


@bp.route("/<system_number>/<month>/reopen", methods=["POST"])
@roles("coordinator")
def reopen(system_number: str, month: str):  # type: ignore[no-untyped-def]
    report, client = _report_in_scope_or_404(system_number, month)
    if not ReopenForm().validate_on_submit():
        abort(400)
    if report.status != "submitted":
        flash("Rapporten er ikke indsendt endnu, så den kan allerede rettes.", "info")
    else:
        report.reopened_at, report.reopened_by_id = now(), current_user.id
        audit.record("report_reopened", "report", f"{client.system_number}/{report.month}")
        db.session.commit()
        flash(f"Rapporten for {format_period_da(report.month)} ({client.system_number}) er genåbnet. "
              "Medarbejderen kan nu rette og indsende den igen.", "success")
    return redirect(url_for("reopen.show", system_number=system_number, month=month))
