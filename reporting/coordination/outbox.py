"""Mails that could not be delivered: the admins' list on the outbox page and "Prøv igen".

The outbox page itself is :func:`reporting.coordination.dashboard.outbox`; this module adds, for
admins, the mails given up after the last automatic attempt (template function ``given_up_mails``)
and the POST that tries one again now (CSRF, audited as ``mail_retried``). ``flask retry-mail``
runs the automatic retries (:func:`reporting.core.mailer.retry_due`) outside the daily job, e.g.
hourly from cron.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Blueprint, abort, flash, redirect, url_for
from flask.cli import with_appcontext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField
from wtforms.validators import InputRequired

from reporting.auth.access import roles
from reporting.core import audit
from reporting.core.extensions import db
from reporting.core.mailer import MAX_ATTEMPTS, resendable, retry_due, retry_now
from reporting.core.models import OutboxMail, User

bp = Blueprint("outbox", __name__, url_prefix="/coordinator/outbox")

#: Shown at most on the outbox page; the rest are behind "Udbakke" paging by status.
GIVEN_UP_LIMIT = 50


class RetryForm(FlaskForm):
    """"Prøv igen" on one mail: its id and the CSRF token."""

    mail_id = IntegerField(validators=[InputRequired()])


@bp.app_context_processor
def outbox_context() -> dict[str, Any]:
    return {"given_up_mails": given_up_mails, "retry_form": lambda: RetryForm(formdata=None),
            "max_mail_attempts": MAX_ATTEMPTS, "resendable": resendable}


def given_up_mails() -> list[OutboxMail]:
    """The mails given up after the last attempt, newest first; only for admins (else empty)."""
    if not (current_user.is_authenticated and "admin" in current_user.roles):
        return []
    return list(db.session.scalars(select(OutboxMail).where(OutboxMail.status == "given_up")
                                   .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
                                   .limit(GIVEN_UP_LIMIT)))


@bp.route("/retry", methods=["POST"])
@roles("admin")
def retry():  # type: ignore[no-untyped-def]
    """Try one failed or given-up mail again now, with a fresh round of automatic attempts."""
    form = RetryForm()
    if not form.validate_on_submit():
        abort(400)
    row = db.session.get(OutboxMail, form.mail_id.data)
    if row is None or row.status not in ("failed", "given_up"):
        abort(404)
    if not resendable(row):
        flash("En invitation kan ikke sendes igen herfra, fordi linket ikke gemmes. Send en ny invitation fra "
              "siden Brugere.", "info")
        return redirect(url_for("coordinator.outbox"))
    delivered = retry_now(row)
    recipient = db.session.scalar(select(User).where(User.email == row.recipient))
    audit.record("mail_retried", "outbox_mail", row.id, municipality_id=recipient.municipality_id if recipient
                 else None, delivered=delivered)
    db.session.commit()
    if delivered:
        flash(f"E-mailen til {row.recipient} er sendt.", "success")
    else:
        flash(f"E-mailen til {row.recipient} kunne heller ikke sendes nu. Den prøves igen automatisk.", "error")
    return redirect(url_for("coordinator.outbox"))


@click.command("retry-mail")
@with_appcontext
def retry_mail_command() -> None:
    """Try the failed outbox mails that are due again (the daily send-reminders job does it too)."""
    result = retry_due()
    click.echo(f"Fejlede e-mails prøvet igen: {result.delivered} sendt, {result.failed} fejlede igen, "
               f"{result.given_up} opgivet.")
