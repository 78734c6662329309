"""Users of a coordinator's scope: list, invite, change roles and placement, (de)activate.

Rules: only admins grant or change the admin role, and only admins change an admin; nobody
changes their own roles or deactivates themselves; SKP workers and caseworkers belong to a
municipality. Deactivation ends the user's sessions at once (the session version rotates) and
expires their open invitation links. Audit events carry ids only.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import or_
from wtforms import EmailField, SearchField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length

from reporting.auth import mfa
from reporting.auth.access import roles
from reporting.auth.input_guard import single_line
from reporting.auth.invitations import expire_open, send_invitation
from reporting.auth.scope import current_scope, scope_label, scoped_municipalities, scoped_units, scoped_users
from reporting.auth.scope import user_in_scope_or_404 as _user_or_404
from reporting.auth.users import UserError, create_user
from reporting.coordination.transfers import KEEP, clients_of, move, target_choices
from reporting.core import audit
from reporting.core.clock import now
from reporting.core.display import HELPERS
from reporting.core.extensions import db
from reporting.core.models import ROLES, Municipality, Unit, User
from reporting.skp.caseload import TransferRefused

bp = Blueprint("people", __name__, url_prefix="/coordinator/users")

NATIONAL = "national"
NEEDS_MUNICIPALITY = {"skp", "caseworker"}


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField("Søg på navn eller e-mail", validators=[Length(max=100)])


class PersonForm(FlaskForm):
    name = StringField("Navn", validators=[DataRequired("Skriv brugerens navn."), Length(max=200), single_line])
    roles = SelectMultipleField("Roller", validators=[DataRequired("Vælg mindst én rolle.")])
    placement = SelectField("Kommune og enhed")


class InviteForm(PersonForm):
    email = EmailField("E-mail", validators=[DataRequired("Skriv brugerens e-mail."), Length(max=254),
                                             Email("Skriv en gyldig e-mailadresse.")])


class ConfirmForm(FlaskForm):
    """Only the CSRF token of a confirmation button."""


# --------------------------------------------------------------------------------------------
# Choices and placement (always from the scope)
# --------------------------------------------------------------------------------------------


def grantable_roles() -> list[tuple[str, str]]:
    allowed = set(ROLES) if current_user.has_role("admin") else set(ROLES) - {"admin"}
    return [(key, label) for key, label in ROLES.items() if key in allowed]


def placement_choices() -> list[tuple[str, str]]:
    """``national``, ``m:<id>`` (municipality, no unit) and ``u:<id>`` values within the scope."""
    choices = [(NATIONAL, "Hele landet (ingen kommune)")] if current_scope() is None else []
    units_by_municipality: dict[int, list[Unit]] = {}
    for unit in db.session.scalars(scoped_units()):
        units_by_municipality.setdefault(unit.municipality_id, []).append(unit)
    for municipality in db.session.scalars(scoped_municipalities()):
        choices.append((f"m:{municipality.id}", f"{municipality.name} – ingen enhed"))
        units = units_by_municipality.get(municipality.id, [])
        choices += [(f"u:{u.id}", f"{municipality.name} – {u.name}") for u in units]
    return choices


def placement_of(user: User) -> str:
    if user.unit_id is not None:
        return f"u:{user.unit_id}"
    return f"m:{user.municipality_id}" if user.municipality_id is not None else NATIONAL


def resolve_placement(value: str) -> tuple[int | None, int | None]:
    """(municipality id, unit id) of a placement value that was offered (validated by the form)."""
    if value == NATIONAL:
        return None, None
    kind, _, raw = value.partition(":")
    if kind == "u":
        unit = db.session.get(Unit, int(raw))
        if unit is None:  # offered by scoped_units(), then removed meanwhile
            abort(400)
        return unit.municipality_id, unit.id
    return int(raw), None


def _prepare(form: PersonForm) -> PersonForm:
    form.roles.choices = grantable_roles()
    form.placement.choices = placement_choices()
    return form


def _rule_problem(roles_wanted: set[str], municipality_id: int | None) -> str | None:
    if municipality_id is None and roles_wanted & NEEDS_MUNICIPALITY:
        return "En SKP-medarbejder eller sagsbehandler skal høre til en kommune."
    return None


def may_change(person: User) -> bool:
    """Whether the current user may change ``person``: not oneself, and an admin only as an admin."""
    return person.id != current_user.id and ("admin" not in person.roles or current_user.has_role("admin"))


def _may_change(person: User) -> None:
    if not may_change(person):
        abort(403)


# --------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------


@bp.route("")
@roles("coordinator")
def index():  # type: ignore[no-untyped-def]
    form = SearchForm(request.args)
    query = scoped_users().order_by(User.name, User.id)
    words = (form.q.data or "").strip() if form.validate() else ""
    if words:
        pattern = f"%{words.lower()}%"
        query = query.where(or_(User.email.like(pattern), User.name.ilike(pattern)))
    people = db.session.scalars(query).all()
    return render_template("coordination/users.html", people=people, form=form, words=words, scope=scope_label(),
                           **HELPERS)


@bp.route("/invite", methods=["GET", "POST"])
@roles("coordinator")
def invite():  # type: ignore[no-untyped-def]
    form = _prepare(InviteForm())
    if form.validate_on_submit():
        wanted = set(form.roles.data or [])
        municipality_id, unit_id = resolve_placement(form.placement.data)
        problem = _rule_problem(wanted, municipality_id) or _email_elsewhere(form.email.data or "")
        if problem is None:
            try:
                person = _create(form, wanted, municipality_id, unit_id)
            except UserError as error:
                problem = str(error)
            else:
                send_invitation(person, current_user.id)
                db.session.commit()
                flash(f"{person.name} er inviteret. Der er sendt et link til {person.email}.", "success")
                return redirect(url_for("people.index"))
        form.form_errors.append(problem)
    status = 400 if request.method == "POST" else 200
    return render_template("coordination/user_form.html", form=form, person=None), status


#: Probe I1: an e-mail of an account outside the coordinator's scope is not confirmed as a user.
MSG_EMAIL_ELSEWHERE = ("E-mailen kan ikke bruges til en ny bruger her. Kontakt en administrator, "
                       "hvis personen skal have adgang i din kommune.")


def _email_elsewhere(email: str) -> str | None:
    """A neutral refusal when the e-mail belongs to an account outside the coordinator's scope."""
    existing = User.by_email(email)
    scope = current_scope()
    if existing is None or scope is None or existing.municipality_id == scope:
        return None
    return MSG_EMAIL_ELSEWHERE


def _create(form: InviteForm, wanted: set[str], municipality_id: int | None, unit_id: int | None) -> User:
    municipality = db.session.get(Municipality, municipality_id) if municipality_id else None
    unit = db.session.get(Unit, unit_id) if unit_id else None
    person = create_user(form.email.data or "", (form.name.data or "").strip(), wanted, None,
                         municipality=municipality, unit=unit)
    audit.record("user_invited", "user", person.id, municipality_id=person.municipality_id,
                 roles=sorted(wanted), unit_id=unit_id)
    return person


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@roles("coordinator")
def edit(user_id: int):  # type: ignore[no-untyped-def]
    person = _user_or_404(user_id)
    form = _prepare(PersonForm(obj=None if request.method == "POST" else person))
    if request.method == "GET":
        form.roles.data, form.placement.data = sorted(person.roles), placement_of(person)
    elif form.validate_on_submit():
        _may_change(person)
        wanted = set(form.roles.data or [])
        municipality_id, unit_id = resolve_placement(form.placement.data)
        problem = _rule_problem(wanted, municipality_id)
        if problem is None:
            before = {"roles": sorted(person.roles), "municipality_id": person.municipality_id,
                      "unit_id": person.unit_id}
            person.name = (form.name.data or "").strip()
            person.set_roles(wanted)
            person.municipality_id, person.unit_id = municipality_id, unit_id
            audit.record("user_updated", "user", person.id, municipality_id=municipality_id, before=before,
                         roles=sorted(wanted), unit_id=unit_id, previous_municipality_id=before["municipality_id"])
            db.session.commit()
            flash(f"Ændringerne for {person.name} er gemt.", "success")
            return redirect(url_for("people.index"))
        form.form_errors.append(problem)
    status = 400 if request.method == "POST" else 200
    return render_template("coordination/user_form.html", form=form, person=person, editable=may_change(person),
                           second_factor=mfa.confirmed_factor(person) is not None, confirm=ConfirmForm()), status


@bp.route("/<int:user_id>/status", methods=["GET", "POST"])
@roles("coordinator")
def status(user_id: int):  # type: ignore[no-untyped-def]
    """Confirm and then deactivate an active user or reactivate a deactivated one."""
    person = _user_or_404(user_id)
    clients = clients_of(person) if person.active else []
    form = DeactivateForm()
    form.target.choices = [*target_choices(person), (KEEP, "Overfør ikke – ingen kan indberette for dem")]
    if request.method == "POST":
        _may_change(person)
        if form.validate_on_submit():
            moved = _hand_over(person, clients, form)
            if moved is not None:
                _toggle(person)
                db.session.commit()
                flash(f"{person.name} er {'genaktiveret' if person.active else 'deaktiveret'}."
                      + (f" {len(moved)} klienter er overført." if moved else ""), "success")
                return redirect(url_for("people.index"))
    return render_template("coordination/user_status.html", person=person, form=form, may=may_change(person),
                           clients=clients)


class DeactivateForm(FlaskForm):
    """Confirmation, and for an SKP worker with clients: who takes the clients over (D22)."""

    target = SelectField("Overfør klienterne til", coerce=int, validate_choice=False)


def _hand_over(person: User, clients: list, form: DeactivateForm) -> list[str] | None:
    """Move the worker's clients to the chosen colleague first; None (with a form error) if refused."""
    if not clients or form.target.data in (None, KEEP):
        return []
    try:
        return move(person, clients, form.target.data)
    except TransferRefused as refused:
        form.target.errors = [str(refused)]
        return None


def _toggle(person: User) -> None:
    if person.active:
        person.active = False
        person.end_sessions()  # every session of the user ends with this commit
        expire_open(person, now())
        audit.record("user_deactivated", "user", person.id, municipality_id=person.municipality_id)
    else:
        person.active = True
        audit.record("user_reactivated", "user", person.id, municipality_id=person.municipality_id)


@bp.route("/<int:user_id>/invitation", methods=["GET", "POST"])
@roles("coordinator")
def reinvite(user_id: int):  # type: ignore[no-untyped-def]
    """Send a new one-time link to choose a password (the older links stop working)."""
    person = _user_or_404(user_id)
    form = ConfirmForm()
    if request.method == "POST":
        _may_change(person)
        if not person.active:
            abort(403)
        if form.validate_on_submit():
            send_invitation(person, current_user.id)
            db.session.commit()
            flash(f"Der er sendt et nyt link til {person.email}.", "success")
            return redirect(url_for("people.index"))
    return render_template("coordination/user_reinvite.html", person=person, form=form,
                           may=person.active and may_change(person))


@bp.route("/<int:user_id>/second-factor", methods=["POST"])
@roles("admin")
def reset_second_factor(user_id: int):  # type: ignore[no-untyped-def]
    """Remove the user's authenticator and recovery codes (a lost phone); they enrol at next login."""
    person = _user_or_404(user_id)
    _may_change(person)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    mfa.reset(person)
    db.session.commit()
    flash(f"Totrinslogin for {person.name} er nulstillet. Brugeren sætter det op igen ved næste login.", "success")
    return redirect(url_for("people.edit", user_id=person.id))
