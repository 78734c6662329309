""""Glemt adgangskode?": a one-time link by e-mail to choose a new password.

Contract (the invitation's guarantees, :mod:`reporting.auth.invitations`, whose links and table
this reuses with ``purpose="reset"``):
- The token exists only in the delivered mail; the database keeps its SHA-256, the outbox the mail
  with the link masked. A link works once (conditional UPDATE), for ``PASSWORD_RESET_MINUTES``
  (default 60), only while the user is active; a new link (or invitation) ends the older ones.
- No enumeration: every well-formed request gets the same page and message, whether or not the
  e-mail belongs to an active user. Looking the user up, writing the link and sending the mail
  happen after the answer, in a background thread, so the response time does not tell either.
  Nothing is logged with the e-mail.
- Throttled in the database throttle: every request counts, per typed e-mail
  (``PASSWORD_RESETS_PER_ACCOUNT``, default 3) and per client address, within
  ``LOGIN_THROTTLE_WINDOW_SECONDS``.
- No link is sent to a user whose municipality logs in through single sign-on only.
- After the reset every session of the user ends (``User.end_sessions``). The second factor is
  untouched: a reset password still needs the code at the next login.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from reporting.auth import throttle
from reporting.auth.access import public
from reporting.auth.invitations import RESET, AcceptForm, claim, find_valid, issue, new_password_problem, send_link_mail
from reporting.auth.mfa import PENDING
from reporting.auth.passwords import hash_password
from reporting.auth.sso import password_login_allowed
from reporting.core import audit
from reporting.core.extensions import db
from reporting.core.links import external_url
from reporting.core.models import User

log = logging.getLogger(__name__)
bp = Blueprint("password_reset", __name__)

SUBJECT = "Ny adgangskode til SKP-indberetning"
SENT = ("Hvis e-mailen hører til en bruger af SKP-indberetning, har vi sendt et link til at vælge en ny "
        "adgangskode. Linket kan bruges én gang og udløber om {minutes} minutter. Kommer der ingen e-mail, "
        "så kontakt din koordinator.")
INVALID = ("Linket er allerede brugt, er udløbet eller er ugyldigt. Bed om et nyt under "
           "\u201dGlemt adgangskode?\u201d på login-siden.")
#: Mail threads not yet finished (tests wait for them with :func:`wait_for_mail`).
_threads: list[threading.Thread] = []


class ForgotForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired("Skriv din e-mail."), Length(max=254)])


def _minutes() -> int:
    return int(current_app.config.get("PASSWORD_RESET_MINUTES", 60))


def _body(user: User, link: str, expires: datetime) -> str:
    from reporting.core.display import format_instant

    return (
        f"Kære {user.name}\n\n"
        "Nogen (forhåbentlig dig) har bedt om en ny adgangskode til SKP-indberetning. "
        "Vælg en ny adgangskode her:\n\n"
        f"{link}\n\n"
        f"Linket kan bruges én gang og udløber {format_instant(expires)}.\n\n"
        "Har du ikke bedt om det, kan du se bort fra denne e-mail: din adgangskode er ikke ændret.\n"
    )


def send_reset(email: str) -> bool:
    """Mail a reset link to the active user with ``email`` (committed); False, silently, when there
    is no such user or their municipality uses single sign-on only."""
    user = User.by_email(email)
    if user is None or not user.active or not password_login_allowed(user):
        db.session.rollback()
        return False
    link_row, token = issue(user, None, RESET)
    send_link_mail(user, SUBJECT, _body(user, external_url("password_reset.reset", token=token),
                                        link_row.expires_at))
    audit.record("password_reset_requested", "user", user.id, user_id=user.id,
                 municipality_id=user.municipality_id)
    db.session.commit()
    return True


def _send_in_background(app: Flask, email: str) -> None:
    with app.app_context():
        try:
            send_reset(email)
        except Exception as exc:  # noqa: BLE001 - the answer has gone; log the kind only
            log.warning("password reset mail failed: %s", type(exc).__name__)
            db.session.rollback()
        finally:
            db.session.remove()


def _dispatch(email: str) -> None:
    thread = threading.Thread(target=_send_in_background, args=(current_app._get_current_object(), email),  # type: ignore[attr-defined]
                              daemon=True, name="password-reset-mail")
    _threads[:] = [t for t in _threads if t.is_alive()]
    _threads.append(thread)
    thread.start()


def wait_for_mail(timeout: float = 10) -> None:
    """Wait until the reset mails requested so far have been handled (tests, CLI)."""
    for thread in list(_threads):
        thread.join(timeout)


@bp.route("/login/forgot", methods=["GET", "POST"])
@public
def forgot():  # type: ignore[no-untyped-def]
    form = ForgotForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        key = throttle.reset_key(email)
        if throttle.blocked(key, per_account=int(current_app.config.get("PASSWORD_RESETS_PER_ACCOUNT", 3))):
            return throttle.refused()
        throttle.record_failure(key)  # every request counts
        db.session.rollback()
        _dispatch(email)
        flash(SENT.format(minutes=_minutes()), "success")
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@public
def reset(token: str):  # type: ignore[no-untyped-def]
    link = find_valid(token, RESET)
    if link is None:
        flash(INVALID, "error")
        return redirect(url_for("auth.login"))
    user = link.user
    form = AcceptForm()
    if form.validate_on_submit():
        problem = new_password_problem(form, user)
        if problem is None:
            if not claim(link):
                db.session.rollback()
                flash(INVALID, "error")
                return redirect(url_for("auth.login"))
            user.password_hash = hash_password(form.new.data or "")
            user.end_sessions()  # every session, everywhere, ends with this commit
            audit.record("password_reset", "user", user.id, user_id=user.id, municipality_id=user.municipality_id)
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            session.pop(PENDING, None)
            flash("Din nye adgangskode er gemt, og du er logget ud alle steder. Log ind med den nye adgangskode.",
                  "success")
            return redirect(url_for("auth.login"))
        form.form_errors.append(problem)
    return render_template("auth/reset_password.html", form=form, user=user), (
        400 if form.errors or form.form_errors else 200)
