"""Audit events as coordinators read them: people by name within the scope, objects by system number
and month, Danish actions and details; and the municipality of each object type for
:func:`reporting.core.audit.record` (security-probe I2).

A person outside the viewer's scope is never named: they are "bruger i anden kommune" (or "national
bruger" for admins and national coordinators), also in the Excel export.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from reporting.audit.labels import (
    DETAIL_LABELS,
    HIDDEN_DETAILS,
    action_label,
    detail_value,
    object_type_label,
    report_label,
)
from reporting.auth.scope import current_scope
from reporting.core import audit
from reporting.core.display import format_instant
from reporting.core.extensions import db
from reporting.core.models import AuditEvent, Municipality, Unit, User
from reporting.skp.models import Client
from reporting.surveys.models import SurveyWave

OTHER_MUNICIPALITY = "bruger i anden kommune"
NATIONAL = "national bruger"
UNKNOWN_USER = "slettet bruger"
SYSTEM = "Systemet"
#: Object types whose description is an identifier.
ID_OBJECTS = {"client", "report", "outbox_mail"}
#: Detail keys holding a user id, shown as a person.
PERSON_DETAILS = {"from_user", "to_user"}


@dataclass
class Lookup:
    """Names for one batch of events, loaded with one query per kind."""

    scope: int | None
    users: dict[int, User] = field(default_factory=dict)
    municipalities: dict[int, str] = field(default_factory=dict)
    units: dict[int, Unit] = field(default_factory=dict)
    waves: dict[int, str] = field(default_factory=dict)

    def in_scope(self, user: User) -> bool:
        return self.scope is None or user.municipality_id == self.scope

    def person(self, user_id: int | None) -> str:
        """The user's name within the scope, else a neutral description; "Systemet" for no user."""
        if user_id is None:
            return SYSTEM
        user = self.users.get(user_id)
        if user is None:
            return UNKNOWN_USER
        if self.in_scope(user):
            return user.name
        return NATIONAL if user.municipality_id is None else OTHER_MUNICIPALITY

    def email(self, user_id: int | None) -> str:
        user = self.users.get(user_id) if user_id is not None else None
        return user.email if user is not None and self.in_scope(user) else ""


def _int(text: object) -> int | None:
    value = str(text)
    return int(value) if value.isdigit() and len(value) < 10 else None


def load(events: Iterable[AuditEvent]) -> Lookup:
    """The names the rows of ``events`` need."""
    events = list(events)
    lookup = Lookup(current_scope())
    user_ids = {e.user_id for e in events if e.user_id is not None}
    user_ids |= {_int(e.object_id) for e in events if e.object_type == "user"}
    user_ids |= {_int(v) for e in events for k, v in (e.details or {}).items() if k in PERSON_DETAILS}
    user_ids.discard(None)
    if user_ids:
        lookup.users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    lookup.municipalities = dict(db.session.execute(select(Municipality.id, Municipality.name)).all())
    unit_ids = {_int(e.object_id) for e in events if e.object_type == "unit"} - {None}
    if unit_ids:
        lookup.units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
    wave_ids = {_int(e.object_id) for e in events if e.object_type == "survey_wave"}
    wave_ids |= {_int((e.details or {}).get("wave_id")) for e in events if e.object_type == "survey_response"}
    wave_ids.discard(None)
    if wave_ids:
        lookup.waves = dict(db.session.execute(select(SurveyWave.id, SurveyWave.title)
                                               .where(SurveyWave.id.in_(wave_ids))).all())
    return lookup


def describe_object(event: AuditEvent, lookup: Lookup) -> str:
    """``K-00007, december 2026``, a person's name, a unit, a wave's title, or the object type."""
    kind, ident = event.object_type, event.object_id
    if kind == "report":
        return report_label(ident)
    if kind == "client":
        return ident
    if kind == "user":
        return lookup.person(_int(ident))
    if kind == "municipality":
        return lookup.municipalities.get(_int(ident) or 0, object_type_label(kind))
    if kind == "unit":
        unit = lookup.units.get(_int(ident) or 0)
        return unit.name if unit is not None and (lookup.scope in (None, unit.municipality_id)) else "Enhed"
    if kind == "survey_wave":
        return f"Måling: {lookup.waves.get(_int(ident) or 0, ident)}"
    if kind == "survey_response":
        wave = lookup.waves.get(_int((event.details or {}).get("wave_id")) or 0)
        return f"Besvarelse: {wave}" if wave else "Besvarelse"
    if kind == "outbox_mail":
        return f"E-mail nr. {ident}"
    return object_type_label(kind) if kind else ""


def describe_details(event: AuditEvent, lookup: Lookup) -> list[tuple[str, str]]:
    """(Danish name, short value) of the event's details; people by name within the scope."""
    lines = []
    for key, value in sorted((event.details or {}).items()):
        if key in HIDDEN_DETAILS:
            continue
        text = lookup.person(_int(value)) if key in PERSON_DETAILS else detail_value(value)
        lines.append((DETAIL_LABELS.get(key, key), text))
    return lines


@dataclass(frozen=True)
class EventRow:
    """One event as the log page shows it."""

    id: int
    when: str
    who: str
    action: str
    code: str
    object: str
    municipality: str
    details: list[tuple[str, str]]
    #: The object is an identifier (a system number, "K-00007, december 2026"): never broken mid-token.
    object_is_id: bool = False


def rows(events: list[AuditEvent]) -> list[EventRow]:
    lookup = load(events)
    return [EventRow(e.id, format_instant(e.at), lookup.person(e.user_id), action_label(e.action), e.action,
                     describe_object(e, lookup), lookup.municipalities.get(e.municipality_id or 0, ""),
                     describe_details(e, lookup), e.object_type in ID_OBJECTS) for e in events]


# --- the municipality of an object, for audit.record (I2) ---

def _client_municipality(system_number: str) -> int | None:
    return db.session.scalar(select(User.municipality_id).join(Client, Client.worker_id == User.id)
                             .where(Client.system_number == system_number))


def _report_municipality(object_id: str) -> int | None:
    return _client_municipality(object_id.partition("/")[0])


def _column_by_id(column, key):  # type: ignore[no-untyped-def]
    def resolve(object_id: str) -> int | None:
        ident = _int(object_id)
        return None if ident is None else db.session.scalar(select(column).where(key == ident))

    return resolve


def register_scope_resolvers() -> None:
    """Teach :func:`reporting.core.audit.record` the municipality of clients, reports, users, units
    and survey waves, for events whose actor has none (national users)."""
    audit.register_scope_resolver("client", _client_municipality)
    audit.register_scope_resolver("report", _report_municipality)
    audit.register_scope_resolver("user", _column_by_id(User.municipality_id, User.id))
    audit.register_scope_resolver("unit", _column_by_id(Unit.municipality_id, Unit.id))
    audit.register_scope_resolver("survey_wave", _column_by_id(SurveyWave.municipality_id, SurveyWave.id))
