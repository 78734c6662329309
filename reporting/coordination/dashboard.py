"""The coordinator's compliance dashboard, the drill-down to one worker, and the mail outbox.

Every query is limited to the coordinator's scope (:mod:`reporting.auth.scope`) in the query itself.
Workers are shown by name, clients only by system number; nicknames are never read here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select

from reporting.auth.access import roles
from reporting.auth.invitations import mask_links
from reporting.auth.scope import current_scope, scope_filter, scope_label, user_in_scope_or_404
from reporting.coordination.compliance import (
    ClientMonth,
    Tally,
    client_months,
    last_final_period,
    load_courses,
    on_time_series,
    tally,
    tally_by,
)
from reporting.coordination.models import ReminderSendLog
from reporting.coordination.remind_now import KIND as REMIND_KIND
from reporting.coordination.remind_now import remind_now
from reporting.core import audit
from reporting.core.clock import now
from reporting.core.display import HELPERS, format_period
from reporting.core.extensions import db
from reporting.core.models import Municipality, OutboxMail, Unit, User, UserRole
from reporting.core.paging import page_count, requested_page
from reporting.core.schedule import COPENHAGEN, Period
from reporting.skp.models import Client, Course, Report

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")

CHART_MONTHS = 12
MONTH_CHOICES = 24
OUTBOX_PAGE = 50


@dataclass
class GroupRow:
    """One line of a count table: a unit or a worker."""

    label: str
    tally: Tally
    user: User | None = None


def _deadline_day() -> int:
    return int(current_app.config["DEADLINE_DAY"])


def _selected_month(latest: Period) -> Period:
    raw = request.args.get("month")
    if not raw:
        return latest
    try:
        month = Period.parse(raw)
    except ValueError:
        abort(404)
    if month > latest or month < latest - (MONTH_CHOICES - 1):
        abort(404)
    return month


def _workers(worker_ids: set[int]) -> list[User]:
    """The SKP workers of the scope, plus anyone else who has expected reports (e.g. a changed role)."""
    is_worker = User.role_rows.any(UserRole.role == "skp")
    return list(db.session.scalars(
        select(User).where(scope_filter(User.municipality_id), or_(is_worker, User.id.in_(worker_ids)))
        .order_by(User.name, User.id)
    ))


def _unit_labels() -> dict[tuple[int | None, int | None], str]:
    rows = db.session.execute(
        select(Municipality.id, Municipality.name, Unit.id, Unit.name).outerjoin(Unit)
        .where(scope_filter(Municipality.id))
    ).all()
    labels: dict[tuple[int | None, int | None], str] = {(None, None): "Uden kommune"}
    for municipality_id, municipality_name, unit_id, unit_name in rows:
        labels[(municipality_id, None)] = f"{municipality_name} · uden enhed"
        if unit_id is not None:
            labels[(municipality_id, unit_id)] = f"{municipality_name} · {unit_name}"
    return labels


def _group_rows(selected: list[ClientMonth]) -> tuple[list[GroupRow], list[GroupRow]]:
    """(per unit, per worker) counts of the selected month."""
    workers = _workers({m.worker_id for m in selected})
    by_worker = tally_by(selected, lambda m: m.worker_id)
    worker_rows = [GroupRow(w.name, by_worker.get(w.id, Tally()), w) for w in workers]
    place = {w.id: (w.municipality_id, w.unit_id) for w in workers}
    by_unit = tally_by(selected, lambda m: place.get(m.worker_id, (None, None)))
    labels = _unit_labels()
    unit_rows = [GroupRow(labels.get(key, "Ukendt enhed"), by_unit[key]) for key in by_unit]
    return sorted(unit_rows, key=lambda row: row.label), worker_rows


def _chart_data(series: list[tuple[Period, Tally]]) -> dict[str, list[object]]:
    return {
        "labels": [format_period(period) for period, _ in series],
        "rates": [None if t.on_time_rate is None else round(t.on_time_rate * 100, 1) for _, t in series],
        "expected": [t.expected for _, t in series],
        "on_time": [t.on_time for _, t in series],
    }


@bp.route("/compliance")
@roles("coordinator")
def dashboard():  # type: ignore[no-untyped-def]
    moment, day = now(), _deadline_day()
    latest = Period.containing(moment) - 1
    month = _selected_month(latest)
    chart_last = last_final_period(moment, day)
    first = min(month, chart_last - (CHART_MONTHS - 1))
    months = client_months(load_courses(current_scope()), first, latest, moment, day)
    selected = [m for m in months if m.period == month]
    unit_rows, worker_rows = _group_rows(selected)
    series = on_time_series([m for m in months if m.period <= chart_last], chart_last, CHART_MONTHS)
    return render_template(
        "coordination/dashboard.html", month=month, total=tally(selected), unit_rows=unit_rows,
        worker_rows=worker_rows, series=series, chart=_chart_data(series), scope=scope_label(),
        month_choices=[latest - n for n in range(MONTH_CHOICES)], **HELPERS,
    )


@bp.route("/compliance/workers/<int:user_id>")
@roles("coordinator")
def worker(user_id: int):  # type: ignore[no-untyped-def]
    person = user_in_scope_or_404(user_id)
    moment, day = now(), _deadline_day()
    latest = Period.containing(moment) - 1
    months = client_months(load_courses(current_scope(), worker_id=person.id), None, latest, moment, day)
    rows = worker_rows(person, months)
    audit.record("compliance_worker_viewed", "user", person.id, municipality_id=person.municipality_id)
    db.session.commit()
    return render_template("coordination/worker.html", person=person, rows=rows, total=tally(months),
                           remind_form=RemindForm(), reminded_today=reminded_today(person, moment), **HELPERS)


@dataclass(frozen=True)
class WorkerRow:
    """One client-month of the drill-down: open (not started or a draft) or submitted late."""

    month: ClientMonth
    draft: bool

    @property
    def label(self) -> str:
        if self.month.status.submitted:
            return self.month.status.label
        state = "kladde" if self.draft else "ikke startet"
        return f"{'Mangler' if self.month.status.kind == 'missing' else 'Skal indberettes'} – {state}"


def worker_rows(person: User, months: list[ClientMonth]) -> list[WorkerRow]:
    """The worker's open client-months (overdue first) and the reports submitted late."""
    drafts = set(db.session.execute(
        select(Client.system_number, Report.period).join(Course, Report.course_id == Course.id)
        .join(Client, Course.client_id == Client.id)
        .where(Client.worker_id == person.id, Report.status == "draft")
    ).all())
    shown = [m for m in months if m.status.kind in ("missing", "due", "late")]
    order = {"missing": 0, "due": 1, "late": 2}
    shown.sort(key=lambda m: (order[m.status.kind], m.period, m.system_number))
    return [WorkerRow(m, (m.system_number, m.period.first_day) in drafts) for m in shown]


class RemindForm(FlaskForm):
    """Carries the CSRF token of "Send påmindelse nu"."""


def reminded_today(person: User, moment) -> bool:  # type: ignore[no-untyped-def]
    today = moment.astimezone(COPENHAGEN).date()
    return db.session.scalar(select(ReminderSendLog.id).where(
        ReminderSendLog.kind == REMIND_KIND, ReminderSendLog.user_id == person.id, ReminderSendLog.day == today
    )) is not None


@bp.route("/compliance/workers/<int:user_id>/remind", methods=["POST"])
@roles("coordinator")
def remind(user_id: int):  # type: ignore[no-untyped-def]
    """Send the worker's reminder digest now (through the outbox; at most one per worker and day)."""
    person = user_in_scope_or_404(user_id)
    if not RemindForm().validate_on_submit():
        abort(400)
    if not person.active:
        flash(f"{person.name} er deaktiveret og kan ikke få påmindelser.", "error")
        return redirect(url_for("coordinator.worker", user_id=person.id))
    outcome = remind_now(person, now(), _deadline_day())
    flash({"sent": f"Påmindelsen er sendt til {person.name}.",
           "already": f"{person.name} har allerede fået en påmindelse i dag. Der sendes højst én om dagen.",
           "nothing": f"{person.name} mangler ingen indberetninger, så der er ikke sendt noget."}[outcome],
          "success" if outcome == "sent" else "info")
    return redirect(url_for("coordinator.worker", user_id=person.id))


def _outbox_query():  # type: ignore[no-untyped-def]
    query = select(OutboxMail)
    if current_scope() is not None:
        query = query.where(OutboxMail.recipient.in_(select(User.email).where(scope_filter(User.municipality_id))))
    return query


@bp.route("/outbox")
@roles("coordinator")
def outbox():  # type: ignore[no-untyped-def]
    query = _outbox_query()
    count = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = requested_page(count, OUTBOX_PAGE)
    mails = db.session.scalars(
        query.order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc()).limit(OUTBOX_PAGE)
        .offset((page - 1) * OUTBOX_PAGE)
    ).all()
    return render_template("coordination/outbox.html", mails=mails, count=count, page=page,
                           pages=page_count(count, OUTBOX_PAGE), mask=mask_links,
                           scope=scope_label(), **HELPERS)

