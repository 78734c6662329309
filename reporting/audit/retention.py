"""``flask purge-audit [--today YYYY-MM-DD]``: delete audit events older than the retention setting.

The cut-off is 00:00 Copenhagen time on ``today`` minus ``audit_retention_months`` (setting,
default 24). The purge itself is recorded as a new audit event (count and cut-off only).
"""

from __future__ import annotations

from datetime import date, datetime, time

import click
from dateutil.relativedelta import relativedelta
from flask.cli import with_appcontext
from sqlalchemy import delete

from reporting.core import audit, settings_store
from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.models import AuditEvent
from reporting.core.schedule import COPENHAGEN


def cutoff(today: date, months: int) -> datetime:
    """The instant before which events are deleted."""
    return datetime.combine(today - relativedelta(months=months), time(0), tzinfo=COPENHAGEN)


def purge(today: date | None = None) -> tuple[int, datetime]:
    """Delete old events and commit; returns (events deleted, cut-off)."""
    today = today or now().astimezone(COPENHAGEN).date()
    months = settings_store.audit_retention_months()
    limit = cutoff(today, months)
    statement = delete(AuditEvent).where(AuditEvent.at < limit).execution_options(synchronize_session=False)
    deleted = db.session.execute(statement).rowcount or 0
    audit.record("audit_purged", "audit_log", "", deleted=deleted, before=limit.isoformat(), retention_months=months)
    db.session.commit()
    return deleted, limit


@click.command("purge-audit")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Compute the cut-off from this date (YYYY-MM-DD); default: today.")
@with_appcontext
def purge_audit_command(today: datetime | None) -> None:
    """Delete audit events older than the retention setting (run daily)."""
    deleted, limit = purge(today.date() if today else None)
    click.echo(f"Slettet {deleted} loghændelser fra før {limit.date().isoformat()}.")
