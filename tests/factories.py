"""Factories for test data; each returns committed rows."""

from __future__ import annotations

from itertools import count

from reporting.auth.users import create_user, get_or_create_municipality, get_or_create_unit
from reporting.core.extensions import db
from reporting.core.models import Municipality, Unit, User

PASSWORD = "korrekt-hest-batteri"
_serial = count(1)


def municipality(name: str = "Esbjerg") -> Municipality:
    row = get_or_create_municipality(name)
    db.session.commit()
    return row


def unit(municipality_name: str = "Esbjerg", name: str = "SKP-teamet") -> Unit:
    row = get_or_create_unit(get_or_create_municipality(municipality_name), name)
    db.session.commit()
    return row


def user(role: str = "skp", *, email: str | None = None, municipality_name: str | None = "Esbjerg",
         unit_name: str | None = None, roles: set[str] | None = None, password: str = PASSWORD) -> User:
    """A user with ``role`` (or ``roles``) scoped to a municipality (None = national)."""
    muni = get_or_create_municipality(municipality_name) if municipality_name else None
    unit_row = get_or_create_unit(muni, unit_name) if (muni and unit_name) else None
    row = create_user(
        email or f"{role}{next(_serial)}@example.com",
        f"Test {role.capitalize()}",
        roles or {role},
        password,
        municipality=muni,
        unit=unit_row,
    )
    db.session.commit()
    return row


def client(worker: User, nickname: str = "Hund 7") -> str:
    """A client of ``worker``; returns its system number."""
    from reporting.skp.clients import create_client

    row = create_client(worker.id, nickname)
    db.session.commit()
    return row.system_number


def submitted_report(worker: User, system_number: str, period: object, answers: dict | None = None) -> None:
    """A client of ``worker`` with a course whose intake report for ``period`` is submitted."""
    from reporting.core.models import utcnow
    from reporting.skp.clients import create_client, start_course
    from reporting.skp.models import Report

    client_row = create_client(worker.id, f"Prøve {system_number}")
    assert client_row.system_number == system_number
    course = start_course(client_row, period)  # type: ignore[arg-type]
    db.session.add(Report(course=course, period=period.first_day, status="submitted",  # type: ignore[attr-defined]
                          answers=answers or {}, definition_key="skp_monthly", definition_version=1,
                          submitted_at=utcnow()))
    db.session.commit()
