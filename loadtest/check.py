"""After a run: is every acknowledged report stored exactly once, and is the database intact?

An acknowledgement is the 302 to "Mine indberetninger" that a submit answers when its commit has
returned. Each submission carries the form's one-time ``submission_token``, which the report
keeps, so the checker finds the very row each acknowledgement promised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import create_engine, text


@dataclass(frozen=True)
class Ack:
    """A submission the server acknowledged."""

    system_number: str
    month: str  # YYYY-MM
    token: str


@dataclass
class Verdict:
    acknowledged: int = 0
    lost: list[Ack] = field(default_factory=list)  # acknowledged, but no such submitted report
    duplicated: int = 0  # client-months stored more than once, or acks of one token twice
    reports: int = 0  # submitted reports in the database
    unacknowledged: int = 0  # stored, but the client never heard (a connection dropped); not an error
    integrity: str = ""

    @property
    def ok(self) -> bool:
        return not self.lost and self.duplicated == 0 and self.integrity == "ok"


def check(url: str, acks: list[Ack]) -> Verdict:
    engine = create_engine(url)
    verdict = Verdict(acknowledged=len(acks))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT r.submission_token, c.system_number, r.period, r.status FROM report r "
                "JOIN course co ON co.id = r.course_id JOIN client c ON c.id = co.client_id"
            )).all()
            by_token = {row[0]: row for row in rows if row[0]}
            for ack in acks:
                row = by_token.get(ack.token)
                if row is None or row[1] != ack.system_number or _month(row[2]) != ack.month or row[3] != "submitted":
                    verdict.lost.append(ack)
            verdict.duplicated = len(acks) - len({a.token for a in acks})
            verdict.duplicated += conn.execute(text(
                "SELECT count(*) FROM (SELECT c.id, r.period FROM report r JOIN course co ON co.id = r.course_id "
                "JOIN client c ON c.id = co.client_id GROUP BY c.id, r.period HAVING count(*) > 1) AS d"
            )).scalar_one()
            verdict.duplicated += conn.execute(text(
                "SELECT count(*) FROM (SELECT client_id FROM course WHERE status = 'open' "
                "GROUP BY client_id HAVING count(*) > 1) AS d"
            )).scalar_one()
            verdict.reports = sum(1 for row in rows if row[3] == "submitted")
            acked = {a.token for a in acks}
            verdict.unacknowledged = sum(1 for row in rows if row[3] == "submitted" and row[0] not in acked)
            verdict.integrity = _integrity(conn, url)
    finally:
        engine.dispose()
    return verdict


def _month(value: object) -> str:
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{day.year:04d}-{day.month:02d}"


def _integrity(conn: object, url: str) -> str:
    """SQLite: integrity_check and foreign_key_check. PostgreSQL: amcheck over every B-tree index
    of the schema (when the extension is available) and a foreign-key orphan scan."""
    if url.startswith("sqlite"):
        result = conn.execute(text("PRAGMA integrity_check")).scalar_one()  # type: ignore[attr-defined]
        orphans = conn.execute(text("PRAGMA foreign_key_check")).all()  # type: ignore[attr-defined]
        return result if not orphans else f"{len(orphans)} foreign-key violations"
    problems = []
    available = conn.execute(text(  # type: ignore[attr-defined]
        "SELECT count(*) FROM pg_available_extensions WHERE name = 'amcheck'")).scalar_one()
    if available:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))  # type: ignore[attr-defined]
        indexes = conn.execute(text(  # type: ignore[attr-defined]
            "SELECT c.oid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam "
            "WHERE n.nspname = 'public' AND a.amname = 'btree'")).scalars().all()
        for oid in indexes:
            conn.execute(text("SELECT bt_index_check(:oid, true)"), {"oid": oid})  # type: ignore[attr-defined]
        conn.commit()  # type: ignore[attr-defined]
    orphans = conn.execute(text(  # type: ignore[attr-defined]
        "SELECT (SELECT count(*) FROM report r LEFT JOIN course c ON c.id = r.course_id WHERE c.id IS NULL)"
        " + (SELECT count(*) FROM course c LEFT JOIN client k ON k.id = c.client_id WHERE k.id IS NULL)")).scalar_one()
    if orphans:
        problems.append(f"{orphans} orphaned rows")
    return "; ".join(problems) or ("ok" if available else "ok (no amcheck)")
