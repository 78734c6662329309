"""Web benchmark: the monthly report form and a full submit under gunicorn, against a bare Flask endpoint.

Usage::

    .venv/bin/python bench/web_bench.py                        # SQLite, 40 clients x 40 forms + 40 submits each
    WITH_POSTGRES_DURABLE=1 scripts/with-postgres.sh .venv/bin/python bench/web_bench.py --database postgres
    .venv/bin/python bench/web_bench.py --clients 2 --per-client 2 --workers 1 --threads 2   # smoke

What runs (all on 127.0.0.1, bounded in requests and in time, stopped by this script):

1. a database, migrated and seeded in this process: a temporary SQLite file, or (``--database
   postgres``) the empty PostgreSQL database in ``TEST_DATABASE_URL``; one SKP worker per simulated
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
   own table in the same database) under the same gunicorn settings, with the same request bodies,
   each sent ``BARE_ROUNDS`` (4) times so that the reference phase lasts long enough to be steady.

The simulated browsers are coroutines of one asyncio event loop in this process, each with its own
keep-alive connection and cookies (``bench/aio_http.py``): it sends the next request as soon as
the answer is read (a closed loop), and costs the shared 2 cores far less than threads would.

Output: one figure per line, ``web <endpoint> <figure> <value>``, then ``ratio_to_bare`` lines.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.aio_http import Client
from bench.common import BIN, ROOT, app_in, bench_env, say
from perf.machine import load_average, machine

PASSWORD = "bench-adgangskode-9f3k2"  # noqa: S105 - throwaway users in a temporary database
HOST = "127.0.0.1"
BARE_ROUNDS = 4
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
    client: Client | None = None
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
        from reporting.core.clock import now
        from reporting.core.extensions import db
        from reporting.core.schedule import CourseFacts, Period, due_parts, q17_pending_after
        from reporting.skp.clients import create_client, start_course
        from reporting.skp.models import Report

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
                    if not q17_pending_after(answers, False):  # monthly-only months follow
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


def count_reports(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM report WHERE status = 'submitted'")).scalar_one()
    finally:
        engine.dispose()


def bare_database(env: dict[str, str], tmp: str) -> dict[str, str]:
    """The reference endpoint's database: a SQLite file, or a table in the PostgreSQL the app used."""
    url = env["DATABASE_URL"]
    if url.startswith("sqlite"):
        return {"BARE_DB": os.path.join(tmp, "bare.db")}
    import psycopg

    plain = url.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("CREATE TABLE bare_hit (id serial PRIMARY KEY, body text NOT NULL)")
    return {"BARE_DATABASE_URL": plain}


# -- HTTP --------------------------------------------------------------------------------------


async def request(b: Browser, port: int, method: str, path: str, data: dict | None = None,
                  timeout: float = 30.0) -> tuple[int, str, float]:
    """One request of browser ``b`` over its own keep-alive connection: (status, body, seconds)."""
    if b.client is None or b.client.port != port:
        b.client = Client(HOST, port)
    response = await b.client.request(method, path, data, timeout)
    return response.status, response.text, response.seconds


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

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by gunicorn: its master and its workers."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a process that just ended
            pid, ppid = int(stat.parent.name), int(fields[1])
            if self.proc.pid in (pid, ppid):
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

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
    """All browsers at once, each running ``work(browser)`` (an async generator of latencies); bounded by time."""
    return asyncio.run(_phase(browsers, work, deadline))


async def _phase(browsers: list[Browser], work, deadline: float) -> tuple[list[float], float, list[str]]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    errors: list[str] = []

    async def body(b: Browser) -> None:
        try:
            async for seconds in work(b):
                latencies.append(seconds)
                if time.monotonic() > deadline:
                    errors.append("deadline reached")
                    break
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            errors.append(f"{type(error).__name__}: {error}")

    began = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(body(b) for b in browsers)),
                               max(1.0, deadline - time.monotonic() + 35))
    except TimeoutError:
        errors.append("phase did not finish in time")
    wall = time.perf_counter() - began
    for b in browsers:  # connections belong to this phase's event loop
        if b.client is not None:
            await b.client.close()
    return latencies, wall, errors


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def report(endpoint: str, latencies: list[float], wall: float, errors: list[str], clients: int,
           cpu: float) -> float:
    rps = len(latencies) / wall if wall > 0 else 0.0
    say(f"web {endpoint} requests_per_second {rps:.1f}  ({len(latencies)} requests in {wall:.2f} s, "
        f"{clients} concurrent clients, errors {len(errors)}; load {load_average()})")
    for p in (50, 95, 99):
        say(f"web {endpoint} p{p}_ms {pct(latencies, p) * 1000:.1f}")
    per_request = 1000 * cpu / len(latencies) if latencies else float("nan")
    say(f"web {endpoint} server_cpu_ms_per_request {per_request:.2f}  (gunicorn master and workers, user + "
        f"system; steadier than requests/s on a shared machine)")
    if errors:
        say(f"# {endpoint} errors (first 3): {errors[:3]}")
    return rps


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_WEB_CLIENTS", "40")),
                        help="concurrent simulated browsers (one SKP worker each)")
    parser.add_argument("--per-client", type=int, default=int(os.environ.get("BENCH_WEB_PER_CLIENT", "40")),
                        help="forms opened and reports submitted per browser in each phase")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="time bound per phase")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite",
                        help="postgres: the empty database in TEST_DATABASE_URL (scripts/with-postgres.sh)")
    args = parser.parse_args()
    say(f"# web bench: {machine()}; gunicorn -w {args.workers} -k gthread --threads {args.threads}, "
        f"{args.clients} concurrent clients x {args.per_client} requests per phase; database {args.database}")
    with tempfile.TemporaryDirectory(prefix="skp-web-bench-") as tmp:
        env = bench_env(tmp)
        if args.database == "postgres":
            if not os.environ.get("TEST_DATABASE_URL"):
                sys.exit("web bench: --database postgres needs TEST_DATABASE_URL (scripts/with-postgres.sh)")
            env["DATABASE_URL"] = os.environ["TEST_DATABASE_URL"]
        started = time.perf_counter()
        browsers = seed(env, args.clients, args.per_client + 1)
        say(f"# seeded {args.clients} workers with {args.per_client + 1} open monthly client-months each "
            f"in {time.perf_counter() - started:.1f} s")
        before = count_reports(env["DATABASE_URL"])
        server = Server("wsgi:app", env, args.workers, args.threads, os.path.join(tmp, "app.log"))
        try:
            server.wait_ready("/login")
            port = server.port

            async def login(b: Browser) -> None:
                status, html, _ = await request(b, port, "GET", "/login")
                status, _, _ = await request(b, port, "POST", "/login",
                                       {"csrf_token": csrf(html), "email": b.email, "password": PASSWORD})
                if status != 302:
                    raise RuntimeError(f"login of {b.email} answered {status}")

            async def open_form(b: Browser, target: Target) -> float:
                status, html, seconds = await request(b, port, "GET", target.path)
                if status != 200:
                    raise RuntimeError(f"form {target.path} answered {status}")
                b.tokens.append({"csrf_token": csrf(html), "submission_token": hidden(html, "submission_token"),
                                 "version": hidden(html, "version"), "closing": hidden(html, "closing")})
                return seconds

            async def submit(b: Browser, target: Target, tokens: dict[str, str]) -> float:
                status, html, seconds = await request(b, port, "POST", target.path,
                                                {**target.answers, **tokens, "action": "submit"})
                if status != 302:
                    errors = re.findall(r'class="form-error-message"[^>]*>(.*?)<', html)[:3]
                    raise RuntimeError(f"submit {target.path} answered {status} {errors}")
                return seconds

            async def warm(b: Browser):  # type: ignore[no-untyped-def]
                await login(b)
                await open_form(b, b.targets[0])
                yield await submit(b, b.targets[0], b.tokens.pop())

            async def forms_phase(b: Browser):  # type: ignore[no-untyped-def]
                for target in b.targets[1:]:
                    yield await open_form(b, target)

            async def submit_phase(b: Browser):  # type: ignore[no-untyped-def]
                for target, tokens in zip(b.targets[1:], b.tokens, strict=True):
                    yield await submit(b, target, tokens)

            _, _, errors = run_phase(browsers, warm, time.monotonic() + args.max_seconds)
            if errors:
                raise RuntimeError(f"warm-up failed: {errors[:3]}")
            cpu = [server.cpu_seconds()]
            form_lat, form_wall, form_err = run_phase(browsers, forms_phase, time.monotonic() + args.max_seconds)
            cpu.append(server.cpu_seconds())
            sub_lat, sub_wall, sub_err = run_phase(browsers, submit_phase, time.monotonic() + args.max_seconds)
            cpu.append(server.cpu_seconds())
        finally:
            server.stop()
        inserted = count_reports(env["DATABASE_URL"]) - before - len(browsers)  # minus the warm-up submits
        form_rps = report("form", form_lat, form_wall, form_err, len(browsers), cpu[1] - cpu[0])
        sub_rps = report("submit", sub_lat, sub_wall, sub_err, len(browsers), cpu[2] - cpu[1])
        say(f"# submits stored as new reports: {inserted} of {len(sub_lat)} measured")

        bare_env = {**env, **bare_database(env, tmp)}
        bare = Server("bench.bare_app:app", bare_env, args.workers, args.threads, os.path.join(tmp, "bare.log"))
        try:
            bare.wait_ready("/hit")
            for b in browsers:
                b.client = None  # a new browser: no cookies of the real app

            async def bare_phase(b: Browser):  # type: ignore[no-untyped-def]
                # The same bodies BARE_ROUNDS times: the bare phase is otherwise over too soon to be a
                # steady reference.
                for target, tokens in list(zip(b.targets[1:], b.tokens, strict=True)) * BARE_ROUNDS:
                    status, _, seconds = await request(b, bare.port, "POST", "/hit",
                                                 {**target.answers, **tokens, "action": "submit"})
                    if status != 200:
                        raise RuntimeError(f"bare answered {status}")
                    yield seconds

            async def bare_warm(b: Browser):  # type: ignore[no-untyped-def]
                for _ in range(3):
                    yield (await request(b, bare.port, "GET", "/hit"))[2]

            run_phase(browsers[:2], bare_warm, time.monotonic() + 30)
            bare_cpu = bare.cpu_seconds()
            bare_lat, bare_wall, bare_err = run_phase(browsers, bare_phase, time.monotonic() + args.max_seconds)
            bare_cpu = bare.cpu_seconds() - bare_cpu
        finally:
            bare.stop()
        bare_rps = report("bare", bare_lat, bare_wall, bare_err, len(browsers), bare_cpu)
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
