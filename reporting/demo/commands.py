"""``flask --app wsgi seed-demo``: demo organisation, users and reports for ``make run``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from reporting.core.models import ROLES
from reporting.demo.seed import DEMO_PASSWORD, seed_demo, seed_demo_reports


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
