"""Login, logout and password change (Danish UI).

Sessions are ended on the server: the user's session version is part of the login cookie and is
rotated at logout, password change and deactivation, so a copied cookie stops working.

A correct password is the first factor only: :func:`reporting.auth.mfa.begin` then logs the user
in, or asks for the second factor (or its enrolment) first. Where single sign-on is configured
and the user's municipality has switched password login off, a correct password is refused with
a pointer to the municipality's login (a wrong one gets the usual answer, so nothing is revealed).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from werkzeug.urls import iri_to_uri
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from reporting.auth import mfa, sessions, sso, throttle
from reporting.auth.access import authenticated, public
from reporting.auth.passwords import dummy_hash, hash_password, needs_rehash, password_problem, verify_password
from reporting.core import audit
from reporting.core.extensions import db, login_manager
from reporting.core.models import User

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "E-mail eller adgangskode er forkert."
SSO_ONLY = "Din kommune logger ind med kommunens eget login. Brug knappen \u201dLog ind med kommunens login\u201d."


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired("Skriv din e-mail."), Length(max=254)])
    password = PasswordField("Adgangskode", validators=[DataRequired("Skriv din adgangskode.")])


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Nuværende adgangskode", validators=[DataRequired("Skriv din nuværende adgangskode.")])
    new = PasswordField("Ny adgangskode", validators=[DataRequired("Skriv en ny adgangskode.")])
    repeat = PasswordField("Gentag ny adgangskode", validators=[DataRequired("Gentag den nye adgangskode.")])


class LogoutForm(FlaskForm):
    """Carries only the CSRF token of the logout button."""


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """Accept a session only while its session version is the user's current one."""
    user_id, _, version = token.partition(":")
    if not user_id.isdigit() or not version:
        return None
    # Every request needs the roles (access policy): one joined query instead of two.
    user = db.session.get(User, int(user_id), options=[joinedload(User.role_rows)])
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def safe_next(target: str | None) -> str | None:
    """A local path to return to after login, or None (prevents open redirects).

    Judged as the browser will read the ``Location`` header: any whitespace or control character
    is refused (Werkzeug and browsers strip tab, CR and LF, so ``/<tab>/evil`` would become
    ``//evil``), and the value as sent must have no scheme or host and start with a single ``/``.
    """
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in target):
        return None
    sent = urlsplit(iri_to_uri(target))
    if sent.scheme or sent.netloc or not sent.path.startswith("/") or sent.path.startswith("//"):
        return None
    if "\\" in target or "%5c" in target.lower():
        return None
    return target


def _throttled():  # type: ignore[no-untyped-def]
    return throttle.refused()


def _login_page(form: LoginForm, status: int):  # type: ignore[no-untyped-def]
    page = render_template("auth/login.html", form=form, sso=sso.configured(),
                           label=current_app.config.get("OIDC_LABEL"), next_url=safe_next(request.args.get("next")))
    return page, status


@bp.route("/login", methods=["GET", "POST"])
@public
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        account = throttle.account_key(form.email.data or "")
        if throttle.blocked(account):
            return _throttled()
        user = _check_password(form.email.data or "", form.password.data or "")
        if user is None:
            throttle.record_failure(account)
            form.form_errors.append(LOGIN_FAILED)
            return _login_page(form, 401)
        if not sso.password_login_allowed(user):
            form.form_errors.append(SSO_ONLY)
            return _login_page(form, 403)
        return _start_session(user, form.password.data or "")
    return _login_page(form, 400 if request.method == "POST" else 200)


def _check_password(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None.

    Exactly one argon2 verification runs whatever the outcome: against a dummy hash when the
    e-mail is unknown or the account inactive, so the response time does not tell them apart.
    """
    user = User.by_email(email)
    usable = user is not None and user.active and bool(user.password_hash)
    stored_hash = user.password_hash if usable else dummy_hash()
    # End the read transaction before argon2 runs (~0.3 s of CPU): nothing must be held
    # while hashing (on SQLite a rehash below takes the write lock only when it writes).
    db.session.rollback()
    matches = verify_password(stored_hash, password)
    return user if usable and matches else None


def _start_session(user: User, password: str):  # type: ignore[no-untyped-def]
    """The password was right: log in, or go on to the second factor (a redirect either way)."""
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return mfa.begin(user, "password", safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
@authenticated
def logout():  # type: ignore[no-untyped-def]
    form = LogoutForm()
    if not form.validate_on_submit():
        return redirect(url_for("main.index"))
    user = current_user._get_current_object()
    user.end_sessions()
    audit.record("logout", "user", user.id)
    db.session.commit()
    logout_user()
    flash("Du er logget ud.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@authenticated
def change_password():  # type: ignore[no-untyped-def]
    """Change one's own password. Wrong current passwords count against the login throttle (per
    user and per address); a refused attempt answers 400, a throttled one 429."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/change_password.html", form=form), (400 if request.method == "POST" else 200)
    user = current_user._get_current_object()
    account = throttle.password_change_key(user.id)
    if throttle.blocked(account):
        return _throttled()
    db.session.rollback()  # nothing held while argon2 runs
    if not verify_password(user.password_hash, form.current.data or ""):
        throttle.record_failure(account)
        return _refuse_change(form, "Den nuværende adgangskode er forkert.")
    problem = _new_password_problem(form, user)
    if problem is not None:
        return _refuse_change(form, problem)
    user.password_hash = hash_password(form.new.data or "")
    user.end_sessions()
    audit.record("password_changed", "user", user.id)
    db.session.commit()
    login_user(user)  # this session continues under the new version; every other one ends
    sessions.mark_login()
    flash("Din adgangskode er ændret. Du er logget ud alle andre steder.", "success")
    return redirect(url_for("main.index"))


def _refuse_change(form: ChangePasswordForm, problem: str):  # type: ignore[no-untyped-def]
    form.form_errors.append(problem)
    return render_template("auth/change_password.html", form=form), 400


def _new_password_problem(form: ChangePasswordForm, user: User) -> str | None:
    if form.new.data != form.repeat.data:
        return "De to nye adgangskoder er ikke ens."
    return password_problem(form.new.data or "", email=user.email, name=user.name, current_hash=user.password_hash)
