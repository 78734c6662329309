"""``flask send-reminders [--today YYYY-MM-DD]``: the daily reminder job (decisions §6).

- On the configured reminder days (default the 10th and 14th) every active SKP worker with
  reports due or overdue gets one Danish digest: counts and system numbers, never nicknames,
  and a link to their overview.
- On the escalation day (default the 16th) every active coordinator gets the overdue counts per
  active worker of their scope, with a link to the dashboard.
- Idempotent: a :class:`ReminderSendLog` row per (kind, recipient, day) is inserted (and its
  unique constraint checked) before the mail is handed on, and committed with it, so a second
  or concurrent run that day sends nothing twice.
- First, every run retries the outbox mails that failed and are due again (exponential backoff,
  given up after the last attempt: :func:`reporting.core.mailer.retry_due`).

Statuses come from :mod:`reporting.coordination.compliance`, i.e. the schedule functions the dashboard and
the worker's overview use. With ``--today`` the job runs as of 00:00 Copenhagen time that day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from reporting.auth.scope import scope_of
from reporting.coordination.compliance import ClientMonth, client_months, load_courses
from reporting.coordination.models import ReminderSendLog
from reporting.core import settings_store
from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.links import external_url, first_available
from reporting.core.mailer import RetryResult, retry_due, send_mail
from reporting.core.models import User, UserRole
from reporting.core.schedule import COPENHAGEN, Period, format_date_da, format_period_da


@dataclass
class RunResult:
    """What one run did: recipients mailed and recipients skipped because the log had them."""

    workers: int = 0
    coordinators: int = 0
    already_sent: int = 0
    kinds: list[str] = field(default_factory=list)
    mail: RetryResult = field(default_factory=RetryResult)


def _line(month: ClientMonth, with_deadline: bool) -> str:
    text = f"  - {month.system_number}: {format_period_da(month.period)}"
    return text + (f" (frist {format_date_da(month.status.deadline)})" if with_deadline else "")


def worker_body(user: User, due: list[ClientMonth], overdue: list[ClientMonth], link: str) -> str:
    """The worker's digest: system numbers and months only (the nickname is never read here)."""
    parts = [f"Kære {user.name}", "", "Du har indberetninger i SKP-indberetning, der mangler at blive indsendt.", ""]
    if overdue:
        parts += [f"Fristen er overskredet for {len(overdue)}:", *(_line(m, True) for m in overdue), ""]
    if due:
        parts += [f"Skal indsendes inden fristen: {len(due)}", *(_line(m, True) for m in due), ""]
    parts += [f"Se dine indberetninger her: {link}", "",
              "Af hensyn til databeskyttelse står klienternes kaldenavne aldrig i e-mails. "
              "Brug systemnumrene til at finde klienterne."]
    return "\n".join(parts) + "\n"


def worker_subject(count: int) -> str:
    return f"Påmindelse: {count} {'indberetning mangler' if count == 1 else 'indberetninger mangler'}"


def coordinator_body(user: User, rows: list[tuple[User, int]], link: str) -> str:
    total = sum(count for _, count in rows)
    lines = [f"  - {worker.name}: {count}" for worker, count in rows]
    return "\n".join([
        f"Kære {user.name}", "",
        f"Der er {total} overskredne indberetninger i dit område. Antal pr. medarbejder:", *lines, "",
        f"Se overblikket her: {link}",
    ]) + "\n"


def _already_sent(kind: str, user_id: int, day: date) -> bool:
    return db.session.scalar(select(ReminderSendLog.id).where(
        ReminderSendLog.kind == kind, ReminderSendLog.user_id == user_id, ReminderSendLog.day == day)) is not None


def send_once(kind: str, user: User, day: date, subject: str, body: str) -> bool:
    """Log, then send, then commit; False (nothing sent) when the log already has this digest."""
    if _already_sent(kind, user.id, day):
        return False
    log = ReminderSendLog(kind=kind, user_id=user.id, day=day)
    try:
        with db.session.begin_nested():
            db.session.add(log)
    except IntegrityError:  # a concurrent run logged it a moment ago
        return False
    log.mail = send_mail(user.email, subject, body)
    db.session.commit()
    return True


def _open_months(moment: datetime, day: int) -> dict[int, list[ClientMonth]]:
    months = client_months(load_courses(None), None, Period.containing(moment), moment, day)
    by_worker: dict[int, list[ClientMonth]] = defaultdict(list)
    for month in sorted(months, key=lambda m: (m.period, m.system_number)):
        if month.status.kind in ("due", "missing"):
            by_worker[month.worker_id].append(month)
    return by_worker


def _active_with_role(role: str) -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.active.is_(True), User.role_rows.any(UserRole.role == role)).order_by(User.id)))


def remind_workers(today: date, moment: datetime, day: int, result: RunResult) -> None:
    link = external_url(first_available("reports.overview", "clients.index"))
    open_months = _open_months(moment, day)
    for user in _active_with_role("skp"):
        months = open_months.get(user.id, [])
        if not months:
            continue
        due = [m for m in months if m.status.kind == "due"]
        overdue = [m for m in months if m.status.kind == "missing"]
        if send_once("worker", user, today, worker_subject(len(months)), worker_body(user, due, overdue, link)):
            result.workers += 1
        else:
            result.already_sent += 1


def remind_coordinators(today: date, moment: datetime, day: int, result: RunResult) -> None:
    link = external_url("coordinator.dashboard")
    overdue: dict[int, int] = defaultdict(int)
    for worker_id, months in _open_months(moment, day).items():
        overdue[worker_id] = sum(1 for m in months if m.status.kind == "missing")
    workers = {u.id: u for u in db.session.scalars(  # deactivated workers cannot be nudged: dashboard only
        select(User).where(User.id.in_(list(overdue)), User.active.is_(True)))}
    for user in _active_with_role("coordinator"):
        scope = scope_of(user)
        rows = sorted(((workers[w], n) for w, n in overdue.items()
                       if n and w in workers and (scope is None or workers[w].municipality_id == scope)),
                      key=lambda row: (-row[1], row[0].name))
        if not rows:
            continue
        total = sum(n for _, n in rows)
        subject = f"Overskredne indberetninger: {total}"
        if send_once("coordinator", user, today, subject, coordinator_body(user, rows, link)):
            result.coordinators += 1
        else:
            result.already_sent += 1


def run(today: date | None = None) -> RunResult:
    """Send what is due on ``today`` (Copenhagen date; default: today, at the current time)."""
    moment = now() if today is None else datetime.combine(today, time(0), tzinfo=COPENHAGEN)
    today = moment.astimezone(COPENHAGEN).date()
    day = int(current_app.config["DEADLINE_DAY"])
    result = RunResult(mail=retry_due(moment))
    if today.day in settings_store.reminder_days():
        result.kinds.append("worker")
        remind_workers(today, moment, day, result)
    if today.day == settings_store.escalation_day():
        result.kinds.append("coordinator")
        remind_coordinators(today, moment, day, result)
    return result


@click.command("send-reminders")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as of 00:00 Copenhagen time on this date (YYYY-MM-DD); default: now.")
@with_appcontext
def send_reminders_command(today: datetime | None) -> None:
    """Send the reminder digests due today (safe to run several times a day)."""
    result = run(today.date() if today else None)
    retried = result.mail
    if retried.delivered or retried.failed or retried.given_up:
        click.echo(f"Fejlede e-mails prøvet igen: {retried.delivered} sendt, {retried.failed} fejlede igen, "
                   f"{retried.given_up} opgivet.")
    if not result.kinds:
        click.echo("Ingen påmindelser i dag.")
        return
    click.echo(f"Påmindelser sendt: {result.workers} medarbejdere, {result.coordinators} koordinatorer; "
               f"{result.already_sent} var allerede sendt i dag.")
