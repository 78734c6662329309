"""A worker's own clients: list and search, create, detail (decisions.md §1, §3). SKP workers only.

Ownership is part of every query: :func:`own_clients` selects ``WHERE worker_id = <current
user>``, so another worker's client is not found (404), never refused (403) — the answer does
not even reveal that the system number exists. Audit events carry the system number only, never
the nickname; flash messages (kept in the signed, unencrypted session cookie) do the same.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, HiddenField, SearchField, StringField
from wtforms.validators import Length

from reporting.auth.access import roles
from reporting.core import audit
from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.schedule import COPENHAGEN, Period, format_date_da, format_period_da
from reporting.skp.caseload import delete_client, has_submitted_report, rename_client
from reporting.skp.models import Client, ClientNumber, Course, format_system_number
from reporting.skp.nicknames import MAX_LENGTH, check_nickname, normalise
from reporting.skp.overview import client_overview

bp = Blueprint("clients", __name__, url_prefix="/skp/clients")

MSG_DUPLICATE = (
    "Du har allerede en klient med dette kaldenavn. Vælg et andet, så du kan kende dine klienter fra hinanden."
)
MSG_CONFIRM = "Sæt kun kryds, hvis kaldenavnet ikke er klientens rigtige navn. Ellers skriv et andet kaldenavn."
NICKNAME_HINT = (
    f"Højst {MAX_LENGTH} tegn, fx »Hund 7« eller »blå bil«. Skriv aldrig klientens navn, CPR-nummer, "
    "telefonnummer eller e-mail. Kun du kan se kaldenavnet; alle andre ser kun systemnummeret."
)


class DuplicateNickname(ValueError):
    """The worker already has a client with this nickname (compared without regard to case)."""


# --------------------------------------------------------------------------------------------
# Queries and operations (flush, never commit)
# --------------------------------------------------------------------------------------------


def own_clients(worker_id: int | None = None) -> Select[tuple[Client]]:
    """The select every client lookup starts from: the worker's own clients only."""
    return select(Client).where(Client.worker_id == (current_user.id if worker_id is None else worker_id))


def own_client_or_404(system_number: str) -> Client:
    """The current worker's client with ``system_number``; 404 if it is missing or someone else's."""
    client = db.session.scalar(
        own_clients().where(Client.system_number == system_number).options(selectinload(Client.courses))
    )
    if client is None:
        abort(404)
    return client


def nickname_taken(worker_id: int, nickname: str) -> bool:
    """Whether the worker already uses ``nickname``, ignoring case (also for æ, ø, å)."""
    wanted = nickname.casefold()
    names = db.session.scalars(select(Client.nickname).where(Client.worker_id == worker_id))
    return any(name.casefold() == wanted for name in names)


def issue_system_number() -> str:
    """A new system number. Counter rows are never deleted, so no number is ever issued twice."""
    row = ClientNumber()
    db.session.add(row)
    db.session.flush()
    return format_system_number(row.id)


def create_client(worker_id: int, nickname: str) -> Client:
    """Add a client (flushed, not committed). ``nickname`` must have passed :func:`check_nickname`.

    Raises :class:`DuplicateNickname` if the worker already has it, also when a concurrent request
    wins the race (the unique constraint, inside a savepoint so the transaction stays usable).
    """
    if nickname_taken(worker_id, nickname):
        raise DuplicateNickname(nickname)
    client = Client(system_number=issue_system_number(), worker_id=worker_id, nickname=nickname)
    try:
        with db.session.begin_nested():
            db.session.add(client)
    except IntegrityError as error:
        raise DuplicateNickname(nickname) from error
    return client


def start_course(client: Client, intake: Period, *, contact_start: date | None = None,
                 reopened_from: Course | None = None) -> Course:
    """Add the client's next course from ``intake`` (flushed, not committed).

    Refused with :class:`ValueError` while the client has an open course: reopen means a new
    course after a closed or postponed one (D5).
    """
    if any(course.status == "open" for course in client.courses):
        raise ValueError(f"{client.system_number} already has an open course")
    last = db.session.scalar(select(func.max(Course.number)).where(Course.client_id == client.id)) or 0
    course = Course(client=client, number=last + 1, status="open", intake_period=intake.first_day,
                    contact_start=contact_start, reopened_from=reopened_from)
    db.session.add(course)
    db.session.flush()
    return course


_NUMBER_QUERY = re.compile(r"(?:k\s*-?\s*)?0*([0-9]{1,9})")


def matches(client: Client, query: str) -> bool:
    """Search: part of the nickname or the system number, ignoring case; ``42``/``k42`` find ``K-00042``."""
    wanted = normalise(query).casefold()
    if not wanted or wanted in client.nickname.casefold() or wanted in client.system_number.casefold():
        return True
    number = _NUMBER_QUERY.fullmatch(wanted)
    return number is not None and client.system_number == format_system_number(int(number.group(1)))


# --------------------------------------------------------------------------------------------
# Forms
# --------------------------------------------------------------------------------------------


class SearchForm(FlaskForm):
    """Posted, not sent in the query string: search words may be nicknames, and URLs reach access logs."""

    q = SearchField("Søg på kaldenavn eller systemnummer", validators=[Length(max=100)])


class NewClientForm(FlaskForm):
    # The length cap here only bounds the work; check_nickname gives the real, explained limit.
    nickname = StringField("Kaldenavn", validators=[Length(max=1000, message="Kaldenavnet er alt for langt.")])
    confirm_name = BooleanField("Ja, brug kaldenavnet alligevel")
    # The nickname the full-name warning was shown for: the confirmation counts for that text only.
    warned_nickname = HiddenField()


# --------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------


def _display_helpers() -> dict[str, object]:
    return {
        "format_period": lambda day: format_period_da(Period.of(day)),
        "format_created": lambda instant: format_date_da(instant.astimezone(COPENHAGEN).date()),
    }


@bp.route("", methods=["GET", "POST"])
@roles("skp")
def index():  # type: ignore[no-untyped-def]
    form = SearchForm()
    query = (form.q.data or "") if form.validate_on_submit() else ""
    rows = db.session.scalars(
        own_clients().options(selectinload(Client.courses)).order_by(Client.system_number)
    ).all()
    shown = [client for client in rows if matches(client, query)]
    return render_template("skp/clients.html", form=form, clients=shown, total=len(rows), query=query)


@bp.route("/new", methods=["GET", "POST"])
@roles("skp")
def new():  # type: ignore[no-untyped-def]
    form = NewClientForm()
    if form.validate_on_submit():
        nickname, warning = checked_nickname(form)
        if warning:
            return _render_new(form, warning, 200)
        if nickname is not None:
            try:
                client = create_client(current_user.id, nickname)
            except DuplicateNickname:  # a concurrent request took it a moment ago
                form.nickname.errors = [*form.nickname.errors, MSG_DUPLICATE]
            else:
                audit.record("client_created", "client", client.system_number,
                             name_warning_confirmed=form.warned_nickname.data == nickname)
                db.session.commit()
                flash(f"Klienten er oprettet med systemnummeret {client.system_number}.", "success")
                return redirect(url_for("clients.detail", system_number=client.system_number))
    return _render_new(form, None, 400 if request.method == "POST" else 200)


def checked_nickname(form: NewClientForm, current: Client | None = None) -> tuple[str | None, str | None]:
    """The nickname to use, or None with the form's errors set; or a full-name warning to confirm.

    The same guards for a new client and a renamed one (D22): CPR numbers, phone numbers and
    e-mail addresses are refused, a duplicate of another of the worker's nicknames is refused, and
    what looks like a full name needs the confirmation box ticked for exactly that text.
    """
    check = check_nickname(form.nickname.data)
    confirmed = bool(form.confirm_name.data) and form.warned_nickname.data == check.nickname
    unchanged = current is not None and check.nickname.casefold() == current.nickname.casefold()
    if check.errors:
        form.nickname.errors = [*form.nickname.errors, *check.errors]
    elif not unchanged and nickname_taken(current_user.id, check.nickname):
        form.nickname.errors = [*form.nickname.errors, MSG_DUPLICATE]
    elif check.warning and not confirmed:
        form.warned_nickname.data = check.nickname
        form.confirm_name.data = False
        return None, check.warning
    else:
        return check.nickname, None
    return None, None


def _render_new(form: NewClientForm, warning: str | None, status: int):  # type: ignore[no-untyped-def]
    html = render_template("skp/client_new.html", form=form, warning=warning, hint=NICKNAME_HINT,
                           confirm_hint=MSG_CONFIRM)
    return html, status


@bp.route("/<system_number>")
@roles("skp")
def detail(system_number: str):  # type: ignore[no-untyped-def]
    client = own_client_or_404(system_number)
    audit.record("client_viewed", "client", client.system_number)
    db.session.commit()
    row = client_overview(client, now(), current_app.config["DEADLINE_DAY"])
    return render_template("skp/client_detail.html", client=client, row=row, format_month=format_period_da,
                           format_date=format_date_da, **_display_helpers())


@bp.route("/<system_number>/rename", methods=["GET", "POST"])
@roles("skp")
def rename(system_number: str):  # type: ignore[no-untyped-def]
    """Correct a nickname (D22), with the same guards as creating a client."""
    client = own_client_or_404(system_number)
    form = NewClientForm(data={"nickname": client.nickname} if request.method == "GET" else None)
    warning = None
    if form.validate_on_submit():
        nickname, warning = checked_nickname(form, current=client)
        if nickname is not None:
            rename_client(client, nickname)
            try:
                db.session.commit()
            except IntegrityError:  # a concurrent request gave another client this nickname
                db.session.rollback()
                form.nickname.errors = [*form.nickname.errors, MSG_DUPLICATE]
            else:
                flash("Kaldenavnet er rettet.", "success")
                return redirect(url_for("clients.detail", system_number=system_number))
    status = 200 if request.method == "GET" or warning else 400
    return render_template("skp/client_rename.html", client=client, form=form, warning=warning, hint=NICKNAME_HINT,
                           confirm_hint=MSG_CONFIRM), status


class DeleteForm(FlaskForm):
    """Carries the CSRF token of the delete confirmation."""


@bp.route("/<system_number>/delete", methods=["GET", "POST"])
@roles("skp")
def delete(system_number: str):  # type: ignore[no-untyped-def]
    """Delete a client created by mistake: only while no report of it was ever submitted (D22)."""
    client = own_client_or_404(system_number)
    form = DeleteForm()
    refused = has_submitted_report(client)
    if request.method == "POST" and form.validate_on_submit() and not refused:
        delete_client(client)
        db.session.commit()
        flash(f"Klienten {system_number} er slettet. Systemnummeret bruges ikke igen.", "success")
        return redirect(url_for("clients.index"))
    status = 409 if refused and request.method == "POST" else 200
    return render_template("skp/client_delete.html", client=client, form=form, refused=refused), status
