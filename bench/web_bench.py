"""Web benchmark: the monthly report form and a full submit under gunicorn, against a bare Flask endpoint.

Usage::

    .venv/bin/python bench/web_bench.py                        # 40 clients x 8 forms + 8 submits each
    .venv/bin/python bench/web_bench.py --clients 2 --per-client 2 --workers 1 --threads 2   # smoke

What runs (all on 127.0.0.1, bounded in requests and in time, stopped by this script):

1. a temporary SQLite database, migrated and seeded in this process: one SKP worker per simulated
   client (browser), each with clients whose intake report is already submitted, so that every
   measured month is a monthly report (Del 3/4 only) of a distinct client-month;
2. the real app under ``gunicorn -w 4 -k gthread --threads 4`` (as README's production line) with
   ``APP_ENV=production``, a generated ``SECRET_KEY``. Production cookies are ``Secure``; over plain
   http this client simply sends the cookie back itself (nothing in the app is changed);
3. every simulated browser logs in once (``/login`` with the CSRF token from the page), warms up with
   one form + submit (not counted), then **phase form**: all browsers concurrently GET their
   month forms (each client-month once), keeping the CSRF and submission tokens; **phase submit**:
   all browsers concurrently POST ``action=submit`` with a complete answer set
   (``forms.sample.sample_answers`` along the real skip logic + ``forms.to_formdata``) for each of
   those months: every submit is a real insert (checked: 302 and the row count afterwards);
4. the same load against ``bench/bare_app.py`` (one view, validates nothing, inserts one row into its
   own SQLite table) under the same gunicorn settings, with the same request bodies.

Output: one figure per line, ``web <endpoint> <figure> <value>``, then ``ratio_to_bare`` lines.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BIN, ROOT, app_in, bench_env, load_average, machine, say

PASSWORD = "bench-adgangskode-9f3k2"  # noqa: S105 - throwaway users in a temporary database
HOST = "127.0.0.1"
CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"'
                     r'|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"')


def hidden(html: str, name: str) -> str:
    m = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(rf'value="([^"]*)"[^>]*name="{name}"', html)
    return m.group(1) if m else ""


def csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    if not m:
        raise RuntimeError("no CSRF token on the page")
    return m.group(1) or m.group(2)


# -- seeding -----------------------------------------------------------------------------------


@dataclass
class Target:
    path: str
    answers: dict


@dataclass
class Browser:
    email: str
    targets: list[Target]
    cookies: dict[str, str] = field(default_factory=dict)
    conn: http.client.HTTPConnection | None = None
    tokens: list[dict[str, str]] = field(default_factory=list)


def seed(env: dict[str, str], browsers: int, months_each: int, seed_value: int = 7) -> list[Browser]:
    """One SKP worker per browser; clients with a submitted intake 13 months ago; monthly-only months."""
    app = app_in(env, upgrade=True)
    out: list[Browser] = []
    with app.app_context():
        from sqlalchemy import insert

        from bench.seed import bench_workers
        from forms import get_definition, to_formdata  # noqa: F401 - to_formdata used by the caller
        from forms.sample import sample_answers
        from reporting.clients import create_client, start_course
        from reporting.clients_models import Report
        from reporting.clock import now
        from reporting.extensions import db
        from reporting.schedule import CourseFacts, Period, due_parts

        rng = random.Random(seed_value)
        definition = get_definition("skp_monthly")
        current = Period.containing(now())
        intake = current - 13
        workers = bench_workers(browsers, PASSWORD, prefix="web-skp")
        for worker in workers:
            targets: list[Target] = []
            number = 0
            while len(targets) < months_each:
                number += 1
                contact = intake.first_day
                client = create_client(worker.id, f"Web {worker.id}-{number}")
                course = start_course(client, intake, contact_start=contact)
                facts = CourseFacts(intake=intake, contact_start=contact)
                due = due_parts(facts, intake)
                while True:
                    answers = sample_answers(definition, sorted(due.sections), rng=rng,
                                             overrides={"q16": 2, "q16_dato": contact.isoformat()})
                    if answers.get("q17") != 3:
                        break
                stamp = intake.ends_at
                db.session.execute(insert(Report.__table__), [{
                    "course_id": course.id, "period": intake.first_day, "status": "submitted", "answers": answers,
                    "definition_key": "skp_monthly", "definition_version": definition.version,
                    "created_at": stamp, "updated_at": stamp, "submitted_at": stamp, "version": 1,
                    "closes_course": False}])
                period = intake + 1
                while period < current and len(targets) < months_each:
                    due = due_parts(facts, period)
                    if set(due.sections) == {"del3", "del4"} and not due.reask:
                        answers = sample_answers(definition, sorted(due.sections), rng=rng)
                        targets.append(Target(f"/skp/clients/{client.system_number}/reports/{period}",
                                              dict(to_formdata(definition, answers))))
                    period = period + 1
            out.append(Browser(worker.email, targets))
        db.session.commit()
    return out


def count_reports(db_path: str) -> int:
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(*) FROM report WHERE status = 'submitted'").fetchone()[0]


# -- HTTP --------------------------------------------------------------------------------------


def request(b: Browser, port: int, method: str, path: str, data: dict | None = None,
            timeout: float = 30.0) -> tuple[int, str, float]:
    body = urlencode(data, doseq=True).encode() if data is not None else None
    headers = {"Host": f"{HOST}:{port}", "User-Agent": "skp-bench/1", "Accept-Encoding": "identity"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if b.cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in b.cookies.items())
    for attempt in (1, 2):
        if b.conn is None:
            b.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        started = time.perf_counter()
        try:
            b.conn.request(method, path, body=body, headers=headers)
            resp = b.conn.getresponse()
            payload = resp.read()
        except (OSError, http.client.HTTPException):
            b.conn.close()
            b.conn = None
            if attempt == 2:
                raise
            continue  # a keep-alive connection the server had closed: once more on a new one
        seconds = time.perf_counter() - started
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                b.cookies[key.strip()] = rest.split(";", 1)[0]
        if (resp.getheader("connection") or "").lower() == "close":
            b.conn.close()
            b.conn = None
        return resp.status, payload.decode("utf-8", "replace"), seconds
    raise AssertionError("unreachable")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn started by us on 127.0.0.1, stopped by us (its own pid, SIGTERM then SIGKILL)."""

    def __init__(self, app: str, env: dict[str, str], workers: int, threads: int, log: str) -> None:
        self.port = free_port()
        self.log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, fixed arguments
            [str(BIN / "gunicorn"), "-w", str(workers), "-k", "gthread", "--threads", str(threads),
             "-b", f"{HOST}:{self.port}", "--graceful-timeout", "5", "--timeout", "60", app],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log.name}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", path)
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()


def run_phase(browsers: list[Browser], work, deadline: float) -> tuple[list[float], float, list[str]]:  # type: ignore[no-untyped-def]
    """Each browser in its own thread runs ``work(browser)`` (a generator of latencies); bounded by time."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(browsers) + 1)

    def body(b: Browser) -> None:
        start.wait()
        mine, bad = [], []
        try:
            for seconds in work(b):
                mine.append(seconds)
                if time.monotonic() > deadline:
                    bad.append("deadline reached")
                    break
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            bad.append(f"{type(error).__name__}: {error}")
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=body, args=(b,), daemon=True) for b in browsers]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join(max(1.0, deadline - time.monotonic() + 35))
    return latencies, time.perf_counter() - began, errors


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def report(endpoint: str, latencies: list[float], wall: float, errors: list[str], clients: int) -> float:
    rps = len(latencies) / wall if wall > 0 else 0.0
    say(f"web {endpoint} requests_per_second {rps:.1f}  ({len(latencies)} requests in {wall:.2f} s, "
        f"{clients} concurrent clients, errors {len(errors)}; load {load_average()})")
    for p in (50, 95, 99):
        say(f"web {endpoint} p{p}_ms {pct(latencies, p) * 1000:.1f}")
    if errors:
        say(f"# {endpoint} errors (first 3): {errors[:3]}")
    return rps


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_WEB_CLIENTS", "40")),
                        help="concurrent simulated browsers (one SKP worker each)")
    parser.add_argument("--per-client", type=int, default=int(os.environ.get("BENCH_WEB_PER_CLIENT", "8")),
                        help="forms opened and reports submitted per browser in each phase")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="time bound per phase")
    args = parser.parse_args()
    say(f"# web bench: {machine()}; gunicorn -w {args.workers} -k gthread --threads {args.threads}, "
        f"{args.clients} concurrent clients x {args.per_client} requests per phase")
    with tempfile.TemporaryDirectory(prefix="skp-web-bench-") as tmp:
        env = bench_env(tmp)
        started = time.perf_counter()
        browsers = seed(env, args.clients, args.per_client + 1)
        say(f"# seeded {args.clients} workers with {args.per_client + 1} open monthly client-months each "
            f"in {time.perf_counter() - started:.1f} s")
        db_path = env["DATABASE_URL"].removeprefix("sqlite:///")
        before = count_reports(db_path)
        server = Server("wsgi:app", env, args.workers, args.threads, os.path.join(tmp, "app.log"))
        try:
            server.wait_ready("/login")
            port = server.port

            def login(b: Browser) -> None:
                status, html, _ = request(b, port, "GET", "/login")
                status, _, _ = request(b, port, "POST", "/login",
                                       {"csrf_token": csrf(html), "email": b.email, "password": PASSWORD})
                if status != 302:
                    raise RuntimeError(f"login of {b.email} answered {status}")

            def open_form(b: Browser, target: Target) -> float:
                status, html, seconds = request(b, port, "GET", target.path)
                if status != 200:
                    raise RuntimeError(f"form {target.path} answered {status}")
                b.tokens.append({"csrf_token": csrf(html), "submission_token": hidden(html, "submission_token"),
                                 "version": hidden(html, "version"), "closing": hidden(html, "closing")})
                return seconds

            def submit(b: Browser, target: Target, tokens: dict[str, str]) -> float:
                status, html, seconds = request(b, port, "POST", target.path,
                                                {**target.answers, **tokens, "action": "submit"})
                if status != 302:
                    errors = re.findall(r'class="form-error-message"[^>]*>(.*?)<', html)[:3]
                    raise RuntimeError(f"submit {target.path} answered {status} {errors}")
                return seconds

            def warm(b: Browser):  # type: ignore[no-untyped-def]
                login(b)
                open_form(b, b.targets[0])
                yield submit(b, b.targets[0], b.tokens.pop())

            def forms_phase(b: Browser):  # type: ignore[no-untyped-def]
                for target in b.targets[1:]:
                    yield open_form(b, target)

            def submit_phase(b: Browser):  # type: ignore[no-untyped-def]
                for target, tokens in zip(b.targets[1:], b.tokens, strict=True):
                    yield submit(b, target, tokens)

            _, _, errors = run_phase(browsers, warm, time.monotonic() + args.max_seconds)
            if errors:
                raise RuntimeError(f"warm-up failed: {errors[:3]}")
            form_lat, form_wall, form_err = run_phase(browsers, forms_phase, time.monotonic() + args.max_seconds)
            sub_lat, sub_wall, sub_err = run_phase(browsers, submit_phase, time.monotonic() + args.max_seconds)
        finally:
            server.stop()
        inserted = count_reports(db_path) - before - len(browsers)  # minus the warm-up submits
        form_rps = report("form", form_lat, form_wall, form_err, len(browsers))
        sub_rps = report("submit", sub_lat, sub_wall, sub_err, len(browsers))
        say(f"# submits stored as new reports: {inserted} of {len(sub_lat)} measured")

        bare_env = {**env, "BARE_DB": os.path.join(tmp, "bare.db")}
        bare = Server("bench.bare_app:app", bare_env, args.workers, args.threads, os.path.join(tmp, "bare.log"))
        try:
            bare.wait_ready("/hit")
            for b in browsers:
                if b.conn is not None:
                    b.conn.close()
                    b.conn = None
                b.cookies.clear()

            def bare_phase(b: Browser):  # type: ignore[no-untyped-def]
                for target, tokens in zip(b.targets[1:], b.tokens, strict=True):
                    status, _, seconds = request(b, bare.port, "POST", "/hit",
                                                 {**target.answers, **tokens, "action": "submit"})
                    if status != 200:
                        raise RuntimeError(f"bare answered {status}")
                    yield seconds

            run_phase(browsers[:2], lambda b: (request(b, bare.port, "GET", "/hit")[2] for _ in range(3)),
                      time.monotonic() + 30)
            bare_lat, bare_wall, bare_err = run_phase(browsers, bare_phase, time.monotonic() + args.max_seconds)
        finally:
            bare.stop()
        bare_rps = report("bare", bare_lat, bare_wall, bare_err, len(browsers))
        say(f"web form ratio_to_bare {form_rps / bare_rps:.2f}  (form requests/s over bare requests/s)")
        say(f"web submit ratio_to_bare {sub_rps / bare_rps:.2f}  (target >= 0.50)")
        say(f"web targets: submit ratio_to_bare >= 0.50 {'met' if sub_rps / bare_rps >= 0.5 else 'NOT met'}; "
            f"form p95 <= 100 ms {'met' if pct(form_lat, 95) <= 0.1 else 'NOT met'}; "
            f"submit p95 <= 250 ms {'met' if pct(sub_lat, 95) <= 0.25 else 'NOT met'} "
            f"({len(browsers)} concurrent clients)")
        if form_err or sub_err or bare_err or inserted != len(sub_lat):
            sys.exit(1)


if __name__ == "__main__":
    main()
