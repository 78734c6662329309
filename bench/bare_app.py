"""The reference endpoint of the web benchmark: a bare Flask app, one view, one database insert.

``gunicorn bench.bare_app:app`` with ``BARE_DB=/tmp/…/bare.db`` (SQLite) or
``BARE_DATABASE_URL=postgresql://…`` (PostgreSQL, the same server the real app was measured on).
The view validates nothing: it takes the posted form (parsed by Werkzeug, as any Flask view
would) and inserts one row into its own table, committed: on SQLite in WAL mode with
``synchronous=FULL``, ``BEGIN IMMEDIATE`` and a busy timeout like the real app's SQLite setup,
so the comparison isolates what the real app does on top of "receive a request, write a row".
Never part of the service.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from flask import Flask, request

app = Flask(__name__)
_local = threading.local()


def _postgres():  # type: ignore[no-untyped-def]
    conn = getattr(_local, "pg", None)
    if conn is None:
        import psycopg

        conn = psycopg.connect(os.environ["BARE_DATABASE_URL"], autocommit=True)  # table made by the bench
        _local.pg = conn
    return conn


def _connection() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(os.environ.get("BARE_DB", "bare.db"), timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE IF NOT EXISTS hit (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        _local.conn = conn
    return conn


@app.route("/hit", methods=["GET", "POST"])
def hit():  # type: ignore[no-untyped-def]
    if os.environ.get("BARE_DATABASE_URL"):
        _postgres().execute("INSERT INTO bare_hit (body) VALUES (%s)", (str(len(request.form)),))
        return "ok"
    conn = _connection()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO hit (body) VALUES (?)", (str(len(request.form)),))
    conn.execute("COMMIT")
    return "ok"
