"""The audit log of a coordinator's scope: filter by user, action, object and period; export to Excel.

The scope is part of every query (events whose ``municipality_id`` is the coordinator's
municipality; national coordinators and admins see every event). The page speaks Danish
(:mod:`reporting.audit.labels`, :mod:`reporting.audit.objects`): actions as verbs, people by name
within the scope, reports as system number and month. The export is a POST with a CSRF token, keeps
the raw codes beside the Danish text, and is itself recorded in the log (filters, row count, file hash).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, render_template, request
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, select
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from reporting.audit.export import workbook_bytes
from reporting.audit.labels import action_label, object_type_label
from reporting.audit.objects import load, register_scope_resolvers, rows
from reporting.auth.access import roles
from reporting.auth.scope import scope_filter, scope_label, scoped_users
from reporting.core import audit
from reporting.core.display import HELPERS
from reporting.core.extensions import db
from reporting.core.models import AuditEvent, User
from reporting.core.paging import page_count, requested_page
from reporting.core.schedule import COPENHAGEN

bp = Blueprint("auditlog", __name__, url_prefix="/coordinator/audit")
bp.record_once(lambda state: register_scope_resolvers())

PAGE_SIZE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _sane_date(form: FlaskForm, field: DateField) -> None:
    """Dates far outside the service's life overflow date arithmetic: refused (400), not a 500."""
    if field.data is not None and not EARLIEST <= field.data <= LATEST:
        raise ValidationError("Vælg en dato mellem 2000 og 2100.")


class FilterForm(FlaskForm):
    """The filters; read from the query string on the page and from the posted form on export."""

    user = SelectField("Bruger", default="")
    action = SelectField("Handling", default="")
    object_type = SelectField("Objekttype", default="")
    object_id = StringField("Objekt-id", validators=[Optional(), Length(max=50)])
    date_from = DateField("Fra og med dato", validators=[Optional(), _sane_date])
    date_to = DateField("Til og med dato", validators=[Optional(), _sane_date])


class PageFilterForm(FilterForm):
    class Meta:
        csrf = False


def _scoped_events() -> Select[tuple[AuditEvent]]:
    return select(AuditEvent).where(scope_filter(AuditEvent.municipality_id))


def _distinct(column) -> list[str]:  # type: ignore[no-untyped-def]
    rows = db.session.scalars(select(column).where(scope_filter(AuditEvent.municipality_id)).distinct())
    return sorted(value for value in rows if value)


def _prepare(form: FilterForm) -> FilterForm:
    people = db.session.execute(scoped_users().with_only_columns(User.id, User.name, User.email)
                                .order_by(User.name)).all()
    form.user.choices = [("", "Alle brugere")] + [(str(p.id), f"{p.name} ({p.email})") for p in people]
    actions = sorted(_distinct(AuditEvent.action), key=lambda code: action_label(code).lower())
    form.action.choices = [("", "Alle handlinger")] + [(a, action_label(a)) for a in actions]
    types = sorted(_distinct(AuditEvent.object_type), key=lambda code: object_type_label(code).lower())
    form.object_type.choices = [("", "Alle typer")] + [(t, object_type_label(t)) for t in types]
    return form


def _local_start(day) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.combine(day, datetime.min.time(), tzinfo=COPENHAGEN)


def filtered(form: FilterForm) -> Select[tuple[AuditEvent]]:
    """The scoped events matching the (validated) filters, newest first."""
    query = _scoped_events()
    if form.user.data:
        query = query.where(AuditEvent.user_id == int(form.user.data))
    if form.action.data:
        query = query.where(AuditEvent.action == form.action.data)
    if form.object_type.data:
        query = query.where(AuditEvent.object_type == form.object_type.data)
    if form.object_id.data:
        query = query.where(AuditEvent.object_id == form.object_id.data.strip())
    if form.date_from.data:
        query = query.where(AuditEvent.at >= _local_start(form.date_from.data))
    if form.date_to.data:
        query = query.where(AuditEvent.at < _local_start(form.date_to.data + timedelta(days=1)))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def filter_summary(form: FilterForm) -> dict[str, str]:
    return {name: str(field.data) for name, field in form._fields.items()
            if name != "csrf_token" and field.data not in (None, "")}


@bp.route("")
@roles("coordinator")
def index():  # type: ignore[no-untyped-def]
    form = _prepare(PageFilterForm(request.args))
    valid = form.validate() if request.args else True
    query = filtered(form) if valid else _scoped_events().where(AuditEvent.id.is_(None))
    count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = requested_page(count, PAGE_SIZE)
    events = list(db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("audit/log.html", form=form, export_form=FilterForm(formdata=None),
                           events=rows(events), count=count, page=page,
                           pages=page_count(count, PAGE_SIZE), args=args, scope=scope_label(),
                           **HELPERS), (200 if valid else 400)


@bp.route("/export", methods=["POST"])
@roles("coordinator")
def export():  # type: ignore[no-untyped-def]
    form = _prepare(FilterForm())
    if not form.validate_on_submit():
        return render_template("error.html", title="Ugyldigt filter",
                               text="Filteret kunne ikke bruges. Gå tilbage og prøv igen."), 400
    events = db.session.scalars(filtered(form)).all()
    data = workbook_bytes(events, load(events))
    digest = hashlib.sha256(data).hexdigest()
    audit.record("audit_exported", "audit_log", "", rows=len(events), sha256=digest, filters=filter_summary(form))
    db.session.commit()
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = 'attachment; filename="auditlog.xlsx"'
    return response
