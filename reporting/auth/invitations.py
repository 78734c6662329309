"""One-time links that let an invited user choose a password (``/invitation/<token>``).

Contract:
- The token (32 random bytes) appears only in the delivered mail. The database keeps its SHA-256
  (:class:`Invitation`), and the outbox copy of the mail shows the link masked, so neither a
  database reader nor a coordinator reading the outbox can use it.
- A link works once (``used_at`` is set by a conditional UPDATE, so two concurrent posts cannot
  both use it), until ``expires_at`` (``INVITATION_HOURS``, default 72), and only while the user
  is active. Issuing a new link expires the user's earlier ones.
- The same rows and rules serve the "Glemt adgangskode?" links (``purpose="reset"``,
  ``/password-reset/<token>``, valid ``PASSWORD_RESET_MINUTES``; :mod:`reporting.auth.password_reset`):
  a token works only on the page of its own purpose.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select, update
from wtforms import PasswordField
from wtforms.validators import DataRequired

from reporting.auth.access import public
from reporting.auth.models import Invitation
from reporting.auth.passwords import hash_password, password_problem
from reporting.core import audit
from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.links import external_url
from reporting.core.mailer import deliver
from reporting.core.models import OutboxMail, User

bp = Blueprint("invitation", __name__)

DEFAULT_HOURS = 72
SUBJECT = "Invitation til SKP-indberetning"
_LINK_RE = re.compile(r"(/(?:invitation|password-reset)/)[A-Za-z0-9_-]+")
INVITATION = "invitation"
RESET = "reset"
MASK = r"\1[skjult]"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mask_links(text: str) -> str:
    """``…/invitation/<token>`` → ``…/invitation/[skjult]``, likewise ``/password-reset/`` (outbox, logs)."""
    return _LINK_RE.sub(MASK, text)


def valid_hours() -> int:
    return int(current_app.config.get("INVITATION_HOURS", DEFAULT_HOURS))


def expire_open(user: User, moment: datetime) -> None:
    """End every unused link of ``user`` now (a new link, deactivation)."""
    db.session.execute(
        update(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None),
                                 Invitation.expires_at > moment).values(expires_at=moment)
    )


def issue(user: User, created_by_id: int | None, purpose: str = INVITATION) -> tuple[Invitation, str]:
    """A new link for ``user`` (flushed); returns the row and the token for the mail."""
    moment = now()
    expire_open(user, moment)
    token = secrets.token_urlsafe(32)
    lifetime = (timedelta(minutes=int(current_app.config.get("PASSWORD_RESET_MINUTES", 60))) if purpose == RESET
                else timedelta(hours=valid_hours()))
    row = Invitation(user_id=user.id, token_hash=token_hash(token), created_at=moment,
                     expires_at=moment + lifetime, created_by_id=created_by_id, purpose=purpose)
    db.session.add(row)
    db.session.flush()
    return row, token


def _body(user: User, link: str, expires: datetime) -> str:
    from reporting.core.display import format_instant

    return (
        f"Kære {user.name}\n\n"
        "Du er inviteret til SKP-indberetning. Vælg din adgangskode her:\n\n"
        f"{link}\n\n"
        f"Linket kan bruges én gang og udløber {format_instant(expires)}. "
        "Er det udløbet, kan din koordinator sende et nyt.\n\n"
        f"Du logger ind med din e-mail: {user.email}\n"
    )


def send_invitation(user: User, created_by_id: int | None) -> OutboxMail:
    """Issue a link and mail it; the outbox keeps the mail with the link masked (flushed)."""
    invitation, token = issue(user, created_by_id)
    link = external_url("invitation.accept", token=token)
    row = send_link_mail(user, SUBJECT, _body(user, link, invitation.expires_at))
    audit.record("invitation_sent", "user", user.id, municipality_id=user.municipality_id,
                 invitation_id=invitation.id)
    return row


def send_link_mail(user: User, subject: str, real: str) -> OutboxMail:
    """Mail ``real`` (which holds a secret link) to ``user``; the outbox row keeps it masked (flushed)."""
    row = OutboxMail(recipient=user.email, subject=subject, body=mask_links(real))
    db.session.add(row)
    db.session.flush()
    row.body = real  # only the delivered message carries the link
    try:
        deliver(row)
    finally:
        row.body = mask_links(real)
    return row


def find_valid(token: str, purpose: str = INVITATION) -> Invitation | None:
    """The usable link for ``token`` and ``purpose``, or None (unknown, used, expired, other
    purpose, or user inactive)."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(Invitation).join(User, Invitation.user_id == User.id)
        .where(Invitation.token_hash == token_hash(token), Invitation.used_at.is_(None),
               Invitation.purpose == purpose, Invitation.expires_at > now(), User.active.is_(True))
    )


def claim(invitation: Invitation) -> bool:
    """Mark the invitation used; False if another request used it first."""
    result = db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=now())
    )
    return result.rowcount == 1


class AcceptForm(FlaskForm):
    new = PasswordField("Ny adgangskode", validators=[DataRequired("Skriv en adgangskode.")])
    repeat = PasswordField("Gentag adgangskode", validators=[DataRequired("Gentag adgangskoden.")])


def new_password_problem(form: AcceptForm, user: User) -> str | None:
    if form.new.data != form.repeat.data:
        return "De to adgangskoder er ikke ens."
    return password_problem(form.new.data or "", email=user.email, name=user.name, current_hash=user.password_hash)


def _invalid():  # type: ignore[no-untyped-def]
    """Unknown, used or expired links all get the same answer: to the login page, with a message."""
    flash("Linket er allerede brugt, er udløbet eller er ugyldigt. Bed din koordinator om et nyt link.", "error")
    return redirect(url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept(token: str):  # type: ignore[no-untyped-def]
    invitation = find_valid(token)
    if invitation is None:
        return _invalid()
    form = AcceptForm()
    if form.validate_on_submit():
        problem = new_password_problem(form, invitation.user)
        if problem is None:
            if not claim(invitation):
                db.session.rollback()
                return _invalid()
            user = invitation.user
            user.password_hash = hash_password(form.new.data or "")
            user.end_sessions()
            audit.record("invitation_accepted", "user", user.id, user_id=user.id,
                         municipality_id=user.municipality_id)
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            flash("Din adgangskode er gemt. Log ind med din e-mail og den nye adgangskode.", "success")
            return redirect(url_for("auth.login"))
        form.form_errors.append(problem)
    return render_template("auth/invitation_accept.html", form=form, user=invitation.user), (
        400 if form.errors or form.form_errors else 200)
