"""``flask --app wsgi backup --out FILE``: a consistent copy of the database while the service runs.

- SQLite: the online backup API (``sqlite3.Connection.backup``), which copies a consistent
  snapshot even while other processes write; never ``cp`` a live database (its ``-wal`` holds
  the latest commits). The copy is checked with ``PRAGMA integrity_check`` before it is kept.
- PostgreSQL: ``pg_dump --format=custom`` (consistent, does not block the service), checked with
  ``pg_restore --list``. The connection settings go to pg_dump through ``PG*`` environment
  variables, so the password never appears in a process list. Restore: README "Backup and restore".

The file is written next to FILE under a temporary name, made private (0600: it holds Art. 9
data) and renamed into place only when complete, so a half-written backup never looks finished.
An existing FILE is never overwritten.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from glob import glob
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from reporting.core.extensions import db


class BackupError(click.ClickException):
    """The backup could not be made; the message says why (Danish, like the other commands)."""


def _temporary(out: Path) -> Path:
    return out.with_name(f".{out.name}.partial")


def backup_sqlite(source: Path, out: Path) -> int:
    """Copy the SQLite database ``source`` to ``out``; returns the number of reports in the copy."""
    if not source.exists():
        raise BackupError(f"Databasen findes ikke: {source}")
    partial = _temporary(out)
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        # One step: a single read snapshot. In WAL mode it never blocks writers, and unlike a
        # stepwise copy it cannot be restarted forever by a steady stream of commits.
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"Kopien er ikke i orden (integrity_check: {result}); den er ikke gemt.")
        reports = dst.execute("SELECT count(*) FROM report").fetchone()[0]
    finally:
        dst.close()
        src.close()
    _finish(partial, out)
    return int(reports)


def pg_tool(name: str) -> str:
    """The newest ``name`` (pg_dump, pg_restore) on PATH or under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise BackupError(f"{name} findes ikke. Installér PostgreSQL-klienten (apt-get install postgresql-client).")
    return candidates[-1]


def pg_environment(url: URL) -> dict[str, str]:
    """libpq's environment variables for ``url`` (the password stays out of argv)."""
    env = dict(os.environ)
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[key] = str(value)
    return env


def backup_postgres(url: URL, out: Path) -> int:
    """``pg_dump -Fc`` of the database at ``url`` into ``out``; returns the entries in its table of contents."""
    partial = _temporary(out)
    partial.unlink(missing_ok=True)
    env = pg_environment(url)
    dump = subprocess.run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial)],  # noqa: S603
                          env=env, capture_output=True, text=True, check=False)
    if dump.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump fejlede: {dump.stderr.strip()}")
    listing = subprocess.run([pg_tool("pg_restore"), "--list", str(partial)],  # noqa: S603
                             env=env, capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Kopien kan ikke læses af pg_restore: {listing.stderr.strip()}")
    _finish(partial, out)
    return sum(1 for line in listing.stdout.splitlines() if line and not line.startswith(";"))


def _finish(partial: Path, out: Path) -> None:
    partial.chmod(0o600)
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    if out.exists():  # it appeared meanwhile: keep both, never overwrite
        raise BackupError(f"{out} findes allerede; kopien ligger i {partial}.")
    partial.rename(out)


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The backup file to write (must not exist).")
@with_appcontext
def backup_command(out: Path) -> None:
    """Write a consistent backup of the database to FILE while the service keeps running."""
    if out.exists():
        raise BackupError(f"{out} findes allerede. Vælg et nyt filnavn; en sikkerhedskopi overskrives aldrig.")
    out.parent.mkdir(parents=True, exist_ok=True)
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError("En database i hukommelsen kan ikke sikkerhedskopieres.")
        reports = backup_sqlite(Path(url.database), out)
        click.echo(f"Sikkerhedskopi gemt: {out} ({reports} rapporter, integrity_check ok)")
    elif url.get_backend_name() == "postgresql":
        entries = backup_postgres(url, out)
        click.echo(f"Sikkerhedskopi gemt: {out} (pg_dump custom-format, {entries} elementer)")
    else:
        raise BackupError(f"Sikkerhedskopi understøttes ikke for {url.get_backend_name()}.")
