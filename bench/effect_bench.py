"""Benchmark of the page "Effektmåling" (issue 20): does it answer within 1 s at national scale?

For each size N (client-months): a fresh SQLite database (``APP_ENV=production``, temporary dir) is
migrated and seeded by ``bench/seed.py`` (the real questionnaire and skip logic; timed, reported
apart). A national coordinator logs in through the real login form with Flask's test client (the
whole app in this process: request hooks, access policy, session, template, compression), then:

* ``imports_seconds``: importing ``scipy.special`` (the t and F distributions of exports/effect.py) once per process;
* ``cold_seconds``: the first view, which computes every analysis from the database;
* ``warm_*_ms``: ``--views`` views with the data unchanged (the group filter varies): the answer
  comes from the cache after one fingerprint query (count, max id, max updated_at);
* ``fingerprint_ms``: that query alone;
* ``other_process_seconds``: a view after the in-memory cache is dropped (another worker process or a
  restart reads ``instance/effect-cache``);
* ``after_change_seconds``: a view after one report changed (computed again);
* ``municipal_cold_seconds`` / ``municipal_warm_p95_ms``: the same for one municipality.

Prints one figure per line, ``effect[N] name value``; ``within_1s`` says whether the warm p95 is
under 1000 ms. Everything runs in this process on a temporary database; nothing else is touched.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import app_in, bench_env, say  # noqa: E402

PASSWORD = "bench-adgangskode-effekt"  # noqa: S105 - a throwaway user in a throwaway database
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
URL = "/coordinator/effect"


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


def _client(app):  # type: ignore[no-untyped-def]
    """A test client speaking https: production's session cookie is Secure."""
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def _login(client, email: str, secret: str) -> None:  # type: ignore[no-untyped-def]
    """Password, then the TOTP code (coordinators must use a second factor, D25)."""
    import pyotp

    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    if "/login/code" in response.headers["Location"]:
        page = client.get("/login/code").get_data(as_text=True)
        token = CSRF.search(page).group(1)  # type: ignore[union-attr]
        response = client.post("/login/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
        assert response.status_code == 302, response.status_code


def _second_factor(user_id: int) -> str:
    """A confirmed TOTP factor for a bench user (as after enrolment); returns its secret."""
    import pyotp

    from reporting.auth.mfa import encrypt_secret
    from reporting.auth.models import SecondFactor
    from reporting.core.clock import now
    from reporting.core.extensions import db

    secret = pyotp.random_base32()
    db.session.add(SecondFactor(user_id=user_id, secret_encrypted=encrypt_secret(secret), created_at=now(),
                                confirmed_at=now(), last_step=0))
    return secret


def _view(client, **args: str) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    response = client.get(URL, query_string=args)
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return seconds


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(v * 1000 for v in values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p95": p95, "max": ordered[-1]}


def bench_size(n: int, views: int) -> None:
    tag = f"effect[{n}]"
    with tempfile.TemporaryDirectory(prefix=f"skp-effect-{n}-") as tmp:
        app = app_in(bench_env(tmp), upgrade=True)
        with app.app_context():
            from sqlalchemy import func, select, update

            from bench.seed import seed_client_months
            from reporting.auth.users import create_user
            from reporting.core.clock import now
            from reporting.core.extensions import db
            from reporting.core.models import Municipality, User
            from reporting.evaluation import effect as page
            from reporting.evaluation.source import ExportRequest
            from reporting.skp.models import Report

            started = time.perf_counter()
            reports = seed_client_months(n)
            say(f"{tag} seed_seconds {time.perf_counter() - started:.2f}  (bench generator, {reports} reports; "
                f"not part of the figures; load {_load()})")
            national = create_user("bench-national@example.com", "Bench Evaluator", {"coordinator"}, PASSWORD)
            busiest = db.session.execute(
                select(User.municipality_id, func.count()).where(User.municipality_id.is_not(None))
                .group_by(User.municipality_id).order_by(func.count().desc())).first()[0]
            municipality = db.session.get(Municipality, busiest)
            local_user = create_user("bench-local@example.com", "Bench Koordinator", {"coordinator"}, PASSWORD,
                                     municipality=municipality)
            db.session.flush()
            secrets = {"national": _second_factor(national.id), "local": _second_factor(local_user.id)}
            db.session.commit()

        started = time.perf_counter()
        import scipy.special  # noqa: F401

        say(f"{tag} imports_seconds {time.perf_counter() - started:.2f}  (scipy.special, the t and F distributions; "
            "once per process)")
        client = _client(app)
        _login(client, "bench-national@example.com", secrets["national"])
        say(f"{tag} cold_seconds {_view(client):.2f}  (first view: every analysis computed from {reports} "
            "client-months)")
        groups = ["alle", "maalgruppe-1", "maalgruppe-0", "koen-1", "koen-2", "alder-3", "etnicitet-0"]
        warm = [_view(client, gruppe=groups[i % len(groups)]) for i in range(views)]
        figures = _ms(warm)
        for name, value in figures.items():
            say(f"{tag} warm_{name}_ms {value:.1f}")
        say(f"{tag} within_1s {'yes' if figures['p95'] < 1000 else 'no'}  (warm p95 over {views} views, data "
            "unchanged)")
        with app.app_context():
            query_times = []
            for _ in range(10):
                started = time.perf_counter()
                page.fingerprint(None, ExportRequest())
                query_times.append(time.perf_counter() - started)
            db.session.remove()
        say(f"{tag} fingerprint_ms {statistics.median(query_times) * 1000:.1f}  (median of 10)")
        page.clear_memory()
        say(f"{tag} other_process_seconds {_view(client):.3f}  (in-memory cache dropped: read from "
            "instance/effect-cache)")
        with app.app_context():
            newest = db.session.scalar(select(func.max(Report.id)))
            db.session.execute(update(Report).where(Report.id == newest).values(updated_at=now()))
            db.session.commit()
            db.session.remove()
        say(f"{tag} after_change_seconds {_view(client):.2f}  (one report changed: computed again)")
        local = _client(app)
        _login(local, "bench-local@example.com", secrets["local"])
        say(f"{tag} municipal_cold_seconds {_view(local):.2f}  ({municipality.name})")
        local_warm = _ms([_view(local, gruppe=groups[i % len(groups)]) for i in range(views)])
        say(f"{tag} municipal_warm_p95_ms {local_warm['p95']:.1f}")
        say(f"{tag} load {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=os.environ.get("BENCH_EFFECT_SIZES", "100000"))
    parser.add_argument("--views", type=int, default=30)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        bench_size(size, args.views)


if __name__ == "__main__":
    main()
