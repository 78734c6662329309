"""Command-line jobs: each feature package defines its commands; this module registers them."""

from __future__ import annotations

from flask import Flask

from reporting.audit.retention import purge_audit_command
from reporting.auth.commands import create_user_command
from reporting.coordination.reminders import send_reminders_command
from reporting.core.backup import backup_command
from reporting.demo.commands import seed_demo_command
from reporting.evaluation.source import export_command


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(purge_audit_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(export_command)
