"""Outgoing mail: every message is kept in the outbox table before it is handed to SMTP.

Without ``MAIL_SERVER`` the console backend prints each mail; either way the outbox row stays, so
a reminder or an invitation is never lost when no SMTP server answers.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_mailman import EmailMessage

from reporting.core.extensions import db
from reporting.core.models import OutboxMail, utcnow

log = logging.getLogger(__name__)


def send_mail(recipient: str, subject: str, body: str) -> OutboxMail:
    """Store the mail in the outbox, then try to deliver it; the caller commits."""
    row = OutboxMail(recipient=recipient, subject=subject, body=body)
    db.session.add(row)
    db.session.flush()
    deliver(row)
    return row


def deliver(row: OutboxMail) -> None:
    """Hand one outbox row to the configured backend and record the outcome on the row."""
    backend = current_app.config.get("MAIL_BACKEND", "console")
    message = EmailMessage(subject=row.subject, body=row.body, to=[row.recipient])
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001 - any SMTP failure must leave the mail queued, not lost
        row.status = "failed"
        row.error = f"{type(exc).__name__}: {exc}"[:500]
        log.warning("mail %s not delivered: %s", row.id, type(exc).__name__)
        return
    row.status = "printed" if backend == "console" else "sent"
    row.sent_at = utcnow()
