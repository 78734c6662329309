"""Outgoing mail: every message is kept in the outbox table before it is handed to SMTP.

Without ``MAIL_SERVER`` the console backend prints each mail; either way the outbox row stays, so
a reminder or an invitation is never lost when no SMTP server answers.

Retry: a failed delivery is tried again by :func:`retry_due` (run by the daily ``send-reminders``
job and by ``flask retry-mail``) with exponential backoff: the n-th failed attempt waits
``RETRY_BASE * 2 ** (n - 1)`` (1, 2, 4, 8 hours). After :data:`MAX_ATTEMPTS` attempts the mail is
``given_up`` and shown to admins on the outbox page, who can try it again ("Prøv igen",
:func:`retry_now`). The row keeps the attempt count and the time of the next attempt.

A mail whose stored body has a masked secret (an invitation link, ``…/invitation/[skjult]``, see
:mod:`reporting.auth.invitations`) cannot be sent again as stored: it is given up at once instead
of retried, and a new invitation is the way to reach the person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_mailman import EmailMessage
from sqlalchemy import or_, select

from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.models import OutboxMail

log = logging.getLogger(__name__)

#: Attempts in all (the first delivery included) before a mail is given up.
MAX_ATTEMPTS = 5
#: The wait after the first failed attempt; it doubles after each further failure.
RETRY_BASE = timedelta(hours=1)
#: What reporting.auth.invitations.mask_links puts in place of a secret link in the stored body.
MASKED_LINK = "[skjult]"


def send_mail(recipient: str, subject: str, body: str) -> OutboxMail:
    """Store the mail in the outbox, then try to deliver it; the caller commits."""
    row = OutboxMail(recipient=recipient, subject=subject, body=body)
    db.session.add(row)
    db.session.flush()
    deliver(row)
    return row


def retry_delay(attempts: int) -> timedelta:
    """How long a mail waits after its ``attempts``-th failed attempt (1 -> 1 h, 2 -> 2 h, 3 -> 4 h ...)."""
    return RETRY_BASE * 2 ** (max(attempts, 1) - 1)


def deliver(row: OutboxMail) -> bool:
    """Hand one outbox row to the configured backend and record the attempt on the row: sent, or
    failed with the time of the next attempt, or given up after the last. True when delivered."""
    backend = current_app.config.get("MAIL_BACKEND", "console")
    message = EmailMessage(subject=row.subject, body=row.body, to=[row.recipient])
    moment = now()
    row.attempts = (row.attempts or 0) + 1
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001 - any SMTP failure must leave the mail queued, not lost
        row.error = f"{type(exc).__name__}: {exc}"[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.status, row.next_attempt_at = "given_up", None
        else:
            row.status, row.next_attempt_at = "failed", moment + retry_delay(row.attempts)
        log.warning("mail %s not delivered (attempt %s, %s): %s", row.id, row.attempts, row.status,
                    type(exc).__name__)
        return False
    row.status = "printed" if backend == "console" else "sent"
    row.sent_at, row.next_attempt_at, row.error = moment, None, ""
    return True


@dataclass
class RetryResult:
    """What one retry run did."""

    delivered: int = 0
    failed: int = 0
    given_up: int = 0


def resendable(row: OutboxMail) -> bool:
    """False for a mail whose stored body lacks a secret the recipient needs (a masked link)."""
    return MASKED_LINK not in row.body


def due_for_retry(moment: datetime) -> list[OutboxMail]:
    """Failed mails whose next attempt is due at ``moment`` (rows from before retries count as due)."""
    return list(db.session.scalars(
        select(OutboxMail).where(OutboxMail.status == "failed",
                                 or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= moment))
        .order_by(OutboxMail.id)))


def retry_due(moment: datetime | None = None) -> RetryResult:
    """Try every due failed mail once more, committing after each (a crash loses no outcome)."""
    result = RetryResult()
    for row in due_for_retry(moment or now()):
        if not resendable(row):
            row.status, row.next_attempt_at = "given_up", None
            result.given_up += 1
        elif deliver(row):
            result.delivered += 1
        elif row.status == "given_up":
            result.given_up += 1
        else:
            result.failed += 1
        db.session.commit()
    return result


def retry_now(row: OutboxMail) -> bool:
    """An admin's "Prøv igen" on a given-up or failed mail: a fresh round of attempts, the first now.
    Returns whether it was delivered; the caller commits."""
    row.attempts = 0
    return deliver(row)
