"""SQLite tuning: WAL journal, a busy timeout, foreign keys, and a write lock taken only to write.

A transaction starts as a plain read (``BEGIN``): in WAL mode readers never wait for the writer,
so opening a report form, an overview or an export does not queue behind anyone. At its first
write (any statement other than SELECT) the transaction takes the write lock with
``BEGIN IMMEDIATE``, which waits for the busy timeout instead of failing. A read transaction
cannot simply go on writing: if another connection committed since its reads began, SQLite
refuses the upgrade at once (SQLITE_BUSY_SNAPSHOT, no waiting). So the read part is ended first
(it wrote nothing) and the rest runs under the write lock. Reads before the first write may thus
be older than the write, as under PostgreSQL's READ COMMITTED: what the app must not lose is
guarded by constraints and version counters on both databases (a second report for the same
month, a draft saved over a newer one), not by the read snapshot.

Before this, every transaction took the write lock at BEGIN, and every request of every worker,
reads included, queued behind one another (``make bench-web``). PostgreSQL needs none of this.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

BUSY_TIMEOUT_MS = 10_000
#: connection.info key: None outside a transaction, else "pending", "read" or "write".
_STATE = "skp_sqlite_transaction"


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection: object, _record: object) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let the events below issue BEGIN themselves instead of pysqlite's implicit BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # FULL: an acknowledged report survives power loss; at this load it costs little.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.info[_STATE] = "pending"  # BEGIN is issued with the first statement


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _sqlite_end(connection: Connection) -> None:
    connection.info.pop(_STATE, None)


def _is_read(statement: str) -> bool:
    return statement.lstrip()[:6].upper() == "SELECT"


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_lock_for_writes(connection: Connection, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
    state = connection.info.get(_STATE)
    if state is None or state == "write":
        return
    raw = connection.connection.driver_connection
    if state == "pending":
        raw.execute("BEGIN" if _is_read(statement) else "BEGIN IMMEDIATE")
        connection.info[_STATE] = "read" if _is_read(statement) else "write"
    elif not _is_read(statement):  # "read": end the read snapshot, then wait for the write lock
        raw.execute("COMMIT")
        raw.execute("BEGIN IMMEDIATE")
        connection.info[_STATE] = "write"
