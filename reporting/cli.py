"""Command-line jobs: each feature package defines its commands; this module registers them."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from reporting.audit.retention import purge_audit_command
from reporting.auth.commands import create_user_command
from reporting.coordination.outbox import retry_mail_command
from reporting.coordination.reminders import send_reminders_command
from reporting.core.backup import backup_command
from reporting.core.extensions import db
from reporting.demo.commands import seed_demo_command
from reporting.evaluation.source import export_command


@click.command("cleanup")
@with_appcontext
def cleanup_command() -> None:
    """Delete what has outlived its use: parked posts older than 12 h, login-throttle rows older
    than a day, and export files older than an hour. Run it from cron, e.g. every 15 minutes."""
    from reporting.auth.sessions import purge_expired
    from reporting.auth.throttle import purge_old
    from reporting.evaluation.views import cleanup, export_dir

    parked, failures = purge_expired(), purge_old()
    db.session.commit()
    files = cleanup(export_dir(current_app.instance_path))
    click.echo(f"Slettet: {parked} parkerede formularer, {failures} loginforsøg, {files} udtræksfiler.")


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(retry_mail_command)
    app.cli.add_command(purge_audit_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(export_command)
    app.cli.add_command(cleanup_command)
