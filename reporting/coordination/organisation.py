"""Admin pages: municipalities and units (with the unit's "Kommunal myndighed" block), and settings.

Admins only (decisions §1). Names are unique (a municipality nationally, a unit within its
municipality); a clash is answered with a Danish message, not a database error.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.validators import Email as EmailValidator

from reporting.auth import sso
from reporting.auth.access import roles
from reporting.auth.input_guard import single_line
from reporting.core import audit, settings_store
from reporting.core.extensions import db
from reporting.core.models import Municipality, Unit, User
from reporting.core.settings_store import SPECS, SettingError

bp = Blueprint("organisation", __name__, url_prefix="/admin")


class NameForm(FlaskForm):
    name = StringField("Navn", validators=[DataRequired("Skriv et navn."), Length(max=100), single_line])


class UnitForm(FlaskForm):
    name = StringField("Enhedens navn", validators=[DataRequired("Skriv enhedens navn."), Length(max=100),
                                                    single_line])
    authority_name = StringField("Kommunal myndighed", validators=[Length(max=200), single_line])
    contact_name = StringField("Kontaktperson", validators=[Length(max=200), single_line])
    contact_phone = StringField("Telefon", validators=[Length(max=50), single_line])
    contact_email = EmailField("E-mail", validators=[Optional(), Length(max=200),
                                                     EmailValidator("Skriv en gyldig e-mailadresse.")])


def _municipality_or_404(municipality_id: int) -> Municipality:
    return db.session.get(Municipality, municipality_id) or abort(404)


def _name_taken(name: str, exclude_id: int | None = None) -> bool:
    query = select(Municipality.id).where(func.lower(Municipality.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Municipality.id != exclude_id)
    return db.session.scalar(query) is not None


def _unit_taken(municipality_id: int, name: str, exclude_id: int | None = None) -> bool:
    query = select(Unit.id).where(Unit.municipality_id == municipality_id, func.lower(Unit.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Unit.id != exclude_id)
    return db.session.scalar(query) is not None


@bp.route("/organisation", methods=["GET", "POST"])
@roles("admin")
def index():  # type: ignore[no-untyped-def]
    form = NameForm()
    if form.validate_on_submit():
        name = (form.name.data or "").strip()
        if _name_taken(name):
            form.name.errors = [f"Kommunen {name} findes allerede."]
        else:
            municipality = Municipality(name=name)
            db.session.add(municipality)
            db.session.flush()
            audit.record("municipality_created", "municipality", municipality.id, municipality_id=municipality.id)
            db.session.commit()
            flash(f"Kommunen {name} er oprettet.", "success")
            return redirect(url_for("organisation.municipality", municipality_id=municipality.id))
    counts = dict(db.session.execute(
        select(User.municipality_id, func.count(User.id)).group_by(User.municipality_id)).all())
    municipalities = db.session.scalars(select(Municipality).order_by(Municipality.name)).all()
    status = 400 if request.method == "POST" else 200
    return render_template("coordination/organisation.html", form=form, municipalities=municipalities,
                           counts=counts), status


@bp.route("/municipalities/<int:municipality_id>", methods=["GET", "POST"])
@roles("admin")
def municipality(municipality_id: int):  # type: ignore[no-untyped-def]
    """Rename the municipality (``rename-`` form) or add a unit to it (``unit-`` form)."""
    found = _municipality_or_404(municipality_id)
    rename = NameForm(prefix="rename", obj=None if request.method == "POST" else found)
    new_unit = UnitForm(prefix="unit")
    if request.method == "POST" and not {"rename-name", "unit-name"} & request.form.keys():
        abort(400)  # neither form was posted: the Danish error page, not this page without a message
    if "rename-name" in request.form and rename.validate_on_submit():
        name = (rename.name.data or "").strip()
        if _name_taken(name, found.id):
            rename.name.errors = [f"Kommunen {name} findes allerede."]
        else:
            found.name = name
            audit.record("municipality_renamed", "municipality", found.id, municipality_id=found.id)
            db.session.commit()
            flash("Navnet er gemt.", "success")
            return redirect(url_for("organisation.municipality", municipality_id=found.id))
    elif "unit-name" in request.form and new_unit.validate_on_submit():
        name = (new_unit.name.data or "").strip()
        if _unit_taken(found.id, name):
            new_unit.name.errors = [f"Enheden {name} findes allerede i {found.name}."]
        else:
            unit = Unit(municipality_id=found.id)
            _fill_unit(unit, new_unit)
            db.session.add(unit)
            db.session.flush()
            audit.record("unit_created", "unit", unit.id, municipality_id=found.id)
            db.session.commit()
            flash(f"Enheden {name} er oprettet.", "success")
            return redirect(url_for("organisation.municipality", municipality_id=found.id))
    status = 400 if request.method == "POST" else 200
    page = render_template("coordination/municipality.html", municipality=found, rename=rename, new_unit=new_unit,
                           sso=sso.configured(), login_form=LoginMethodForm(password_login=found.password_login))
    return page, status


class LoginMethodForm(FlaskForm):
    password_login = BooleanField("Brugerne kan også logge ind med e-mail og adgangskode")


@bp.route("/municipalities/<int:municipality_id>/login", methods=["POST"])
@roles("admin")
def login_methods(municipality_id: int):  # type: ignore[no-untyped-def]
    """Switch password login on or off for the municipality's users (only while SSO is configured)."""
    found = _municipality_or_404(municipality_id)
    form = LoginMethodForm()
    if not form.validate_on_submit() or not sso.configured():
        abort(400)
    found.password_login = bool(form.password_login.data)
    audit.record("municipality_login_changed", "municipality", found.id, municipality_id=found.id,
                 password_login=found.password_login)
    db.session.commit()
    flash("Kommunens brugere kan nu " + ("også logge ind med adgangskode." if found.password_login
                                          else "kun logge ind med kommunens login."), "success")
    return redirect(url_for("organisation.municipality", municipality_id=found.id))


def _fill_unit(unit: Unit, form: UnitForm) -> None:
    unit.name = (form.name.data or "").strip()
    unit.authority_name = (form.authority_name.data or "").strip()
    unit.contact_name = (form.contact_name.data or "").strip()
    unit.contact_phone = (form.contact_phone.data or "").strip()
    unit.contact_email = (form.contact_email.data or "").strip()


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@roles("admin")
def unit(unit_id: int):  # type: ignore[no-untyped-def]
    found = db.session.get(Unit, unit_id) or abort(404)
    form = UnitForm(obj=None if request.method == "POST" else found)
    if form.validate_on_submit():
        name = (form.name.data or "").strip()
        if _unit_taken(found.municipality_id, name, found.id):
            form.name.errors = [f"Enheden {name} findes allerede i {found.municipality.name}."]
        else:
            _fill_unit(found, form)
            audit.record("unit_updated", "unit", found.id, municipality_id=found.municipality_id)
            db.session.commit()
            flash("Enheden er gemt.", "success")
            return redirect(url_for("organisation.municipality", municipality_id=found.municipality_id))
    status = 400 if request.method == "POST" else 200
    return render_template("coordination/unit.html", unit=found, form=form), status


@bp.route("/settings", methods=["GET", "POST"])
@roles("admin")
def settings():  # type: ignore[no-untyped-def]
    form = FlaskForm()
    current = {key: spec.render(settings_store.get(key)) for key, spec in SPECS.items()}
    # A setting missing from the post keeps its value (never silently switched off).
    values = {key: request.form.get(key, current[key]) for key in SPECS} if request.method == "POST" else current
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        for key in SPECS:
            try:
                settings_store.parse(key, values[key])
            except SettingError as error:
                errors[key] = str(error)
        if not errors:
            for key in SPECS:
                settings_store.put(key, values[key], current_user.id)
            audit.record("settings_changed", "setting", "", municipality_id=None,
                         **{key: SPECS[key].render(settings_store.parse(key, values[key])) for key in SPECS})
            db.session.commit()
            flash("Indstillingerne er gemt.", "success")
            return redirect(url_for("organisation.settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("coordination/settings.html", form=form, specs=SPECS, values=values, errors=errors), status
