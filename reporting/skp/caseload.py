"""Caseloads move (D22): transfer clients to another worker, rename a client, delete a client.

Operations flush but never commit; the views commit once. Audit events carry system numbers and
user ids only, never nicknames.

- A transfer moves the client row: its courses, drafts, submitted reports and nickname go with it,
  and every query that starts from ``Client.worker_id`` (the worker's pages, the compliance counts,
  the reminders) follows at once; the old worker gets 404 on the client's pages with the commit.
- A nickname the new worker already uses gets a numbered suffix, so both stay distinguishable.
- A client can be deleted only while no report of it was ever submitted; its system number is
  never issued again (the ``client_number`` counter row stays).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from reporting.core import audit
from reporting.core.extensions import db
from reporting.core.models import User
from reporting.skp.models import Client, Course, Report
from reporting.skp.nicknames import MAX_LENGTH


class TransferRefused(ValueError):
    """The clients cannot go to that worker; the message is Danish and safe to show."""


class ClientHasReports(ValueError):
    """A client with a submitted report cannot be deleted."""


def colleagues(worker: User) -> list[User]:
    """The active SKP workers of ``worker``'s municipality who may take over its clients."""
    if worker.municipality_id is None:
        return []
    candidates = db.session.scalars(
        select(User).where(User.municipality_id == worker.municipality_id, User.id != worker.id,
                           User.active.is_(True)).order_by(User.name)
    )
    return [user for user in candidates if "skp" in user.roles]


def transfer_clients(clients: Iterable[Client], source: User, target: User) -> list[str]:
    """Give ``clients`` of ``source`` to ``target``; returns the system numbers moved."""
    if target.id == source.id or not target.active or "skp" not in target.roles:
        raise TransferRefused("Klienterne kan kun overføres til en anden aktiv SKP-medarbejder.")
    if target.municipality_id is None or target.municipality_id != source.municipality_id:
        raise TransferRefused("Klienterne kan kun overføres til en SKP-medarbejder i samme kommune.")
    moved = []
    for client in clients:
        if client.worker_id != source.id:
            raise TransferRefused("En af klienterne hører ikke til medarbejderen.")
        renamed = _free_nickname(target.id, client.nickname)
        client.nickname, client.worker_id = renamed or client.nickname, target.id
        db.session.flush()
        audit.record("client_transferred", "client", client.system_number, municipality_id=source.municipality_id,
                     from_user=source.id, to_user=target.id, nickname_suffixed=renamed is not None)
        moved.append(client.system_number)
    return moved


def _free_nickname(worker_id: int, nickname: str) -> str | None:
    """None if ``worker_id`` does not use ``nickname`` yet, else the first free "nickname (n)"."""
    names = db.session.scalars(select(Client.nickname).where(Client.worker_id == worker_id))
    taken = {name.casefold() for name in names}
    if nickname.casefold() not in taken:
        return None
    for n in range(2, 1000):
        suffix = f" ({n})"
        candidate = nickname[:MAX_LENGTH - len(suffix)] + suffix
        if candidate.casefold() not in taken:
            return candidate
    raise TransferRefused("Den nye medarbejder har for mange klienter med samme kaldenavn.")


def rename_client(client: Client, nickname: str) -> None:
    """Give ``client`` a nickname that passed the same checks as a new client's."""
    client.nickname = nickname
    db.session.flush()
    audit.record("client_renamed", "client", client.system_number)


def has_submitted_report(client: Client) -> bool:
    return db.session.scalar(
        select(Report.id).join(Course, Report.course_id == Course.id)
        .where(Course.client_id == client.id, Report.status == "submitted").limit(1)
    ) is not None


def delete_client(client: Client) -> None:
    """Delete a client that has no submitted report, with its drafts and courses."""
    if has_submitted_report(client):
        raise ClientHasReports(client.system_number)
    for course in list(client.courses):
        for report in list(course.reports):
            db.session.delete(report)
        db.session.flush()
    for course in sorted(client.courses, key=lambda c: c.number, reverse=True):  # later courses point back
        db.session.delete(course)
        db.session.flush()
    number = client.system_number
    db.session.delete(client)
    db.session.flush()
    audit.record("client_deleted", "client", number)
