"""Command-line jobs: ``flask --app wsgi create-user`` and ``seed-demo``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from reporting.audit_retention import purge_audit_command
from reporting.backup import backup_command
from reporting.demo import DEMO_PASSWORD, seed_demo, seed_demo_reports
from reporting.export_source import export_command
from reporting.extensions import db
from reporting.models import ROLES, Municipality, Unit
from reporting.passwords import password_problem
from reporting.reminders import send_reminders_command
from reporting.users import UserError, create_user


@click.command("create-user")
@click.argument("email")
@click.option("--name", default="", help="Full name (defaults to the e-mail).")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(sorted(ROLES)))
@click.option("--municipality", default=None, help="Municipality name (scope).")
@click.option("--unit", default=None, help="Unit name inside the municipality.")
@click.option("--password", envvar="NEW_USER_PASSWORD", default=None,
              help="Password for scripts (or NEW_USER_PASSWORD); prompted when omitted.")
@with_appcontext
def create_user_command(email: str, name: str, roles: tuple[str, ...], municipality: str | None,
                        unit: str | None, password: str | None) -> None:
    """Create a user with one or more roles."""
    if password is None:
        password = click.prompt("Adgangskode", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password)
    if problem:
        raise click.UsageError(problem)
    muni = _find_municipality(municipality)
    unit_row = _find_unit(muni, unit)
    try:
        user = create_user(email, name or email, set(roles), password, municipality=muni, unit=unit_row)
    except UserError as exc:
        raise click.UsageError(str(exc)) from exc
    db.session.commit()
    click.echo(f"Oprettet: {user.email} ({', '.join(sorted(user.roles))})")


def _find_municipality(name: str | None) -> Municipality | None:
    if name is None:
        return None
    found = db.session.scalar(select(Municipality).where(Municipality.name == name))
    if found is None:
        raise click.UsageError(f"Kommunen findes ikke: {name}")
    return found


def _find_unit(municipality: Municipality | None, name: str | None) -> Unit | None:
    if name is None:
        return None
    if municipality is None:
        raise click.UsageError("--unit kræver --municipality")
    found = db.session.scalar(select(Unit).where(Unit.municipality_id == municipality.id, Unit.name == name))
    if found is None:
        raise click.UsageError(f"Enheden findes ikke i {municipality.name}: {name}")
    return found


@click.command("seed-demo")
@click.option("--clients", default=0, show_default=True, help="Demo clients per demo SKP worker, with reports.")
@click.option("--months", default=12, show_default=True, help="Months of reports per client (at most).")
@with_appcontext
def seed_demo_command(clients: int, months: int) -> None:
    """Create demo municipalities, units and one user per role (safe to run again); with
    ``--clients``, also clients with submitted monthly reports for SKP workers who have none."""
    users = seed_demo()
    if clients > 0:
        inserted = seed_demo_reports(clients, months)
        click.echo(f"Demo-indberetninger oprettet: {inserted}")
    click.echo(f"Demo-logins (adgangskode for alle: {DEMO_PASSWORD}):")
    for demo in users:
        scope = demo.unit or demo.municipality or "hele landet"
        click.echo(f"  {ROLES[demo.role]:<16} {demo.email:<28} {scope}")


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(purge_audit_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(export_command)
