"""``flask --app wsgi create-user``: an account from the command line (the first administrator)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from reporting.auth.passwords import password_problem
from reporting.auth.users import UserError, create_user
from reporting.core.extensions import db
from reporting.core.models import ROLES, Municipality, Unit


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
    problem = password_problem(password, email=email, name=name or "")
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
