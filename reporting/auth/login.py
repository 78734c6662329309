"""Login, logout and password change (Danish UI).

Sessions are ended on the server: the user's session version is part of the login cookie and is
rotated at logout, password change and deactivation, so a copied cookie stops working.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from reporting.auth.access import authenticated, public
from reporting.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from reporting.core import audit
from reporting.core.extensions import db, limiter, login_manager
from reporting.core.models import User

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "E-mail eller adgangskode er forkert."


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


def _failed_login(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code != 302


def _email_key() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()[:254]


def safe_next(target: str | None) -> str | None:
    """A local path to return to after login, or None (prevents open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit("30 per minute", methods=["POST"], deduct_when=_failed_login)
@limiter.limit("5 per minute", methods=["POST"], key_func=_email_key, deduct_when=_failed_login)
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = User.by_email(form.email.data or "")
        stored_hash = user.password_hash if user is not None and user.active else ""
        # End the read transaction before argon2 runs (~0.3 s of CPU): nothing must be held
        # while hashing (on SQLite a rehash below takes the write lock only when it writes).
        db.session.rollback()
        if stored_hash and verify_password(stored_hash, form.password.data or ""):
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data or "")
            login_user(user)
            audit.record("login", "user", user.id)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
        form.form_errors.append(LOGIN_FAILED)
        return render_template("auth/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


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
    form = ChangePasswordForm()
    if form.validate_on_submit():
        problem = _new_password_problem(form)
        if problem is None:
            user = current_user._get_current_object()
            user.password_hash = hash_password(form.new.data or "")
            user.end_sessions()
            audit.record("password_changed", "user", user.id)
            db.session.commit()
            login_user(user)  # this session continues under the new version; every other one ends
            flash("Din adgangskode er ændret. Du er logget ud alle andre steder.", "success")
            return redirect(url_for("main.index"))
        form.form_errors.append(problem)
    return render_template("auth/change_password.html", form=form)


def _new_password_problem(form: ChangePasswordForm) -> str | None:
    if not verify_password(current_user.password_hash, form.current.data or ""):
        return "Den nuværende adgangskode er forkert."
    if form.new.data != form.repeat.data:
        return "De to nye adgangskoder er ikke ens."
    return password_problem(form.new.data or "")
