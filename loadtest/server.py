"""Preparing a database, seeding SKP workers with clients, and running gunicorn on 127.0.0.1.

Used by ``python -m loadtest.rush`` and by tests/core/test_process_faults.py. The gunicorn server runs
``loadtest.serve:app`` as ``APP_ENV=production`` (real clock, argon2 as configured, debug off)
against the given database URL.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perf.http import Session

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "belastning-adgangskode"  # noqa: S105 - a test account on a throwaway database
MUNICIPALITY = "Belastningskommune"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def admin_app(url: str, **config: Any) -> Iterator[Any]:
    """The app in this process, on ``url``, inside an app context (for migrating and seeding)."""
    if not os.environ.get("INSTANCE_PATH"):
        os.environ["INSTANCE_PATH"] = tempfile.mkdtemp(prefix="skp-loadtest-instance-")
    saved = os.environ.get("APP_ENV")
    os.environ["APP_ENV"] = "testing"
    try:
        from reporting.app import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 48, "MAIL_BACKEND": "locmem",
                          **config})
    finally:
        if saved is None:
            os.environ.pop("APP_ENV", None)
        else:
            os.environ["APP_ENV"] = saved
    with app.app_context():
        yield app
        from reporting.core.extensions import db

        db.session.remove()
        db.engine.dispose()


def prepare_database(url: str) -> None:
    """An empty database at the migrations' head (PostgreSQL: the public schema is recreated)."""
    import flask_migrate
    from sqlalchemy import text

    with admin_app(url):
        from reporting.core.extensions import db

        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade()


@dataclass(frozen=True)
class Worker:
    email: str
    clients: tuple[str, ...]


def seed_workers(url: str, count: int, clients_each: int, hash_profile: str = "standard") -> list[Worker]:
    """``count`` SKP workers, each with ``clients_each`` clients without reports (so every client
    has an intake due). One password hash is computed and shared, which keeps seeding fast."""
    with admin_app(url, PASSWORD_HASH_PROFILE=hash_profile):
        from reporting.auth.passwords import hash_password
        from reporting.auth.users import create_user, get_or_create_municipality, get_or_create_unit
        from reporting.core.extensions import db
        from reporting.skp.clients import create_client

        municipality = get_or_create_municipality(MUNICIPALITY)
        unit = get_or_create_unit(municipality, "Team Travl")
        shared_hash = hash_password(PASSWORD)
        workers = []
        for n in range(1, count + 1):
            user = create_user(f"travl{n:03d}@example.com", f"Travl Medarbejder {n}", {"skp"}, None,
                               municipality=municipality, unit=unit)
            user.password_hash = shared_hash
            numbers = tuple(create_client(user.id, f"Fugl {n}-{c}").system_number for c in range(1, clients_each + 1))
            workers.append(Worker(user.email, numbers))
        db.session.commit()
        return workers


@dataclass
class Gunicorn:
    """``gunicorn loadtest.serve:app`` on a free port of 127.0.0.1; use as a context manager."""

    database_url: str
    workers: int = 4
    threads: int = 4
    config: dict[str, Any] = field(default_factory=dict)
    fault_dir: Path | None = None
    log_path: Path | None = None
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.port = self.port or free_port()
        env = {
            **os.environ,
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": self.database_url,
            "SKP_CONFIG": json.dumps(self.config),
            "PYTHONPATH": str(ROOT),
        }
        if self.fault_dir is not None:
            env["SKP_FAULT_DIR"] = str(self.fault_dir)
        command = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--worker-class", "gthread",
                   "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}", "--timeout", "60",
                   "--graceful-timeout", "5", "--log-level", "warning", "loadtest.serve:app"]
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
        self.wait_ready()

    def wait_ready(self, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode} (log: {self.log_path})")
            try:
                if Session(self.base, timeout=5).get("/healthz").status == 200 and \
                        len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not come up")

    def worker_pids(self) -> list[int]:
        """The pids of gunicorn's worker processes (children of the master)."""
        assert self.process is not None
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def kill_worker(self, pid: int) -> None:
        """SIGKILL one worker (never the master); gunicorn starts a new one."""
        assert pid in self.worker_pids(), "only this gunicorn's workers are killed"
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
