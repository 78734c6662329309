"""Shared helpers for the benchmarks: a throwaway production-like environment, machine facts, output.

Every benchmark runs the real app with ``APP_ENV=production``, a freshly generated ``SECRET_KEY``,
``INSTANCE_PATH`` and a ``DATABASE_URL`` pointing into a temporary directory, so nothing under
``instance/`` is touched and nothing is weakened.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def bench_env(tmp: str | os.PathLike[str], db_name: str = "bench.db") -> dict[str, str]:
    """The environment of the app processes: production, a generated secret, a temp SQLite file."""
    tmp = Path(tmp)
    env = {k: v for k, v in os.environ.items() if k not in {"FLASK_DEBUG", "TEST_DATABASE_URL"}}
    env.update({
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": f"sqlite:///{tmp / db_name}",
        "INSTANCE_PATH": str(tmp / "instance"),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def flask(env: dict[str, str], *args: str, capture: bool = True) -> subprocess.CompletedProcess[str]:
    """``flask --app wsgi ARGS`` in the repository, with ``env``; raises on failure."""
    return subprocess.run(  # noqa: S603 - our own venv's flask, fixed arguments
        [str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
        capture_output=capture, text=True,
    )


def migrate(env: dict[str, str]) -> None:
    flask(env, "db", "upgrade")


def app_in(env: dict[str, str], upgrade: bool = False):  # type: ignore[no-untyped-def]
    """The real app, built in this process from ``env`` (for seeding); ``upgrade`` migrates its database."""
    os.environ.update(env)
    from reporting.app import create_app

    app = create_app()
    if upgrade:
        from flask_migrate import upgrade as alembic_upgrade

        with app.app_context():
            alembic_upgrade()
    return app


def say(line: str) -> None:
    print(line, flush=True)
