"""Demo data for ``make run``: three municipalities, their units and one user per role."""

from __future__ import annotations

from dataclasses import dataclass

from reporting.auth.users import create_user, get_or_create_municipality, get_or_create_unit
from reporting.core.extensions import db
from reporting.core.models import User

DEMO_PASSWORD = "demo-adgangskode"  # noqa: S105 - printed demo login, never used in production

DEMO_UNITS = {
    "Esbjerg": ["Socialpsykiatrien Esbjerg", "SKP-teamet Esbjerg"],
    "København": ["Voksenteam Nørrebro", "SKP-teamet København"],
    "Odense": ["SKP-teamet Odense"],
}


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str
    municipality: str | None
    unit: str | None


DEMO_USERS = [
    DemoUser("skp@example.com", "Sara Kristensen", "skp", "Esbjerg", "SKP-teamet Esbjerg"),
    # A colleague in the same team, so a coordinator can try moving a caseload (D22).
    DemoUser("skp3@example.com", "Jonas Berg", "skp", "Esbjerg", "SKP-teamet Esbjerg"),
    DemoUser("skp2@example.com", "Peter Holm", "skp", "København", "SKP-teamet København"),
    DemoUser("sagsbehandler@example.com", "Mette Jensen", "caseworker", "København", "Voksenteam Nørrebro"),
    DemoUser("koordinator@example.com", "Lars Nielsen", "coordinator", "Esbjerg", None),
    DemoUser("evaluator@example.com", "Anne Møller", "coordinator", None, None),
    DemoUser("admin@example.com", "Admin Andersen", "admin", None, None),
]


def seed_demo() -> list[DemoUser]:
    """Create what is missing (idempotent) and return the demo logins."""
    units = {}
    for municipality_name, unit_names in DEMO_UNITS.items():
        municipality = get_or_create_municipality(municipality_name)
        for unit_name in unit_names:
            units[unit_name] = get_or_create_unit(municipality, unit_name)
    for demo in DEMO_USERS:
        if User.by_email(demo.email) is not None:
            continue
        create_user(
            demo.email,
            demo.name,
            {demo.role},
            DEMO_PASSWORD,
            municipality=get_or_create_municipality(demo.municipality) if demo.municipality else None,
            unit=units[demo.unit] if demo.unit else None,
        )
    db.session.commit()
    return DEMO_USERS


def seed_demo_reports(clients_per_worker: int, months: int) -> int:
    """Clients with reports for the demo SKP workers that have no clients yet (idempotent)."""
    from sqlalchemy import exists, select

    from reporting.core.clock import now
    from reporting.demo.reports import seed_reports
    from reporting.skp.models import Client

    workers = [
        user for user in (User.by_email(d.email) for d in DEMO_USERS if d.role == "skp")
        if user is not None and not db.session.scalar(select(exists().where(Client.worker_id == user.id)))
    ]
    return seed_reports(workers, clients_per_worker, months, now()) if workers else 0
