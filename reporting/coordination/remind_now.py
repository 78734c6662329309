"""A coordinator's "Send påmindelse nu" for one worker (issue 17).

The mail is the worker's ordinary digest (system numbers and months, never nicknames), sent through
the outbox. At most one per worker and Copenhagen day: the reminder send log's unique row
(kind ``worker_now``) refuses a second one, also when two coordinators press at the same moment.
"""

from __future__ import annotations

from datetime import datetime

from reporting.coordination.compliance import ClientMonth, client_months, load_courses
from reporting.coordination.reminders import send_once, worker_body, worker_subject
from reporting.core import audit
from reporting.core.extensions import db
from reporting.core.links import external_url, first_available
from reporting.core.models import User
from reporting.core.schedule import COPENHAGEN, Period

KIND = "worker_now"


def open_months(worker: User, moment: datetime, day: int) -> list[ClientMonth]:
    """The worker's client-months that are due or overdue, oldest first."""
    months = client_months(load_courses(None, worker_id=worker.id), None, Period.containing(moment), moment, day)
    return sorted((m for m in months if m.status.kind in ("due", "missing")), key=lambda m: (m.period, m.system_number))


def remind_now(worker: User, moment: datetime, day: int) -> str:
    """Send the digest now: ``sent``, ``nothing`` (nothing is due) or ``already`` (sent today). Commits."""
    months = open_months(worker, moment, day)
    if not months:
        return "nothing"
    due = [m for m in months if m.status.kind == "due"]
    overdue = [m for m in months if m.status.kind == "missing"]
    link = external_url(first_available("main.index", "reports.overview"))
    today = moment.astimezone(COPENHAGEN).date()
    audit.record("reminder_sent_now", "user", worker.id, municipality_id=worker.municipality_id, months=len(months))
    if not send_once(KIND, worker, today, worker_subject(len(months)), worker_body(worker, due, overdue, link)):
        db.session.rollback()  # the audit event of a reminder that was not sent
        return "already"
    return "sent"
