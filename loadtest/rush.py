"""The deadline rush (``make loadtest``): simulated SKP workers against gunicorn on 127.0.0.1.

Each simulated worker logs in once, then loops: open "Mine indberetninger", open the first report
it offers to file, autosave three times while "typing", and submit, waiting 1-5 s between steps
(``--think``). The run stops by itself: no new step after ``--duration`` seconds, and at most
``--max-iterations`` reports per worker. Afterwards :mod:`loadtest.check` proves that every
acknowledged report is stored exactly once and that the database is intact, and the figures are
printed. The exit status is 0 only with 0 errors, 0 lost and 0 duplicated reports.

    python -m loadtest.rush --db sqlite
    scripts/with-postgres.sh python -m loadtest.rush --db postgres   # TEST_DATABASE_URL

Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from loadtest import flows
from loadtest.check import Ack, Verdict, check
from loadtest.server import PASSWORD, Gunicorn, Worker, prepare_database, seed_workers
from perf.http import Session
from perf.machine import machine as machine_facts

KINDS = ("login", "overview", "open", "autosave", "submit")


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


class Stop(Exception):
    """The run's time is up."""


class SimulatedWorker(threading.Thread):
    def __init__(self, worker: Worker, base: str, args: argparse.Namespace, stats: Stats, start_at: float,
                 deadline: float, seed: int) -> None:
        super().__init__(daemon=True, name=worker.email)
        self.worker, self.base, self.args, self.stats = worker, base, args, stats
        self.start_at, self.deadline = start_at, deadline
        self.rng = random.Random(seed)
        self.session = Session(base, timeout=60)

    def think(self) -> None:
        pause = self.rng.uniform(self.args.think_min, self.args.think_max)
        if time.monotonic() + pause >= self.deadline:
            raise Stop
        time.sleep(pause)

    def call(self, kind: str, method: str, path: str, data: dict | None = None, expect: int = 200):  # type: ignore[no-untyped-def]
        if time.monotonic() >= self.deadline:
            raise Stop
        try:
            response = self.session.request(method, path, data)
        except OSError as error:
            self.stats.error(f"{kind} {path}: {type(error).__name__}")
            raise Stop from error
        self.stats.record(kind, response.seconds)
        if response.status != expect:
            self.stats.error(f"{kind} {path}: HTTP {response.status}")
            raise Stop
        return response

    def run(self) -> None:
        time.sleep(max(0.0, self.start_at - time.monotonic()))
        try:
            page = self.call("login_page", "GET", "/login")
            self.call("login", "POST", "/login", {"csrf_token": self.session.csrf(page.text),
                                                  "email": self.worker.email, "password": PASSWORD}, expect=302)
            for _ in range(self.args.max_iterations):
                if not self.file_one_report():
                    break
        except Stop:
            pass
        finally:
            self.session.close()

    def file_one_report(self) -> bool:
        self.think()
        due = flows.due_reports(self.call("overview", "GET", "/skp/reports").text)
        if not due:
            return False
        path, number, month = due[0]
        self.think()
        state = flows.read_form(self.call("open", "GET", path).text)
        full = flows.answers(state, month, self.rng)
        version = state.version
        for share in (0.3, 0.6, 1.0):
            self.think()
            typed = flows.partial(full, share)
            data = flows.formdata(state, typed, "autosave") | {"version": version}
            reply = self.call("autosave", "POST", path, data)
            body = json.loads(reply.body)
            if body.get("status") != "saved":
                self.stats.error(f"autosave {path}: {body.get('status')}")
                raise Stop
            version = str(body["version"])
        self.think()
        data = flows.formdata(state, full, "submit") | {"version": version}
        reply = self.call("submit", "POST", path, data, expect=302)
        if not reply.location.endswith("/kvittering"):  # the receipt
            self.stats.error(f"submit {path}: answered {reply.location}")
            raise Stop
        with self.stats.lock:
            self.stats.acks.append(Ack(number, month, state.token))
        return True


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def machine() -> str:
    return f"{machine_facts()} sqlite={sqlite3.sqlite_version}"


def database_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=FULL, write lock from the first write)"
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return "PostgreSQL " + str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def report(args: argparse.Namespace, url: str, stats: Stats, verdict: Verdict, elapsed: float) -> str:
    lines = [
        f"== Deadline rush on {args.db}: {database_version(url)}",
        f"   machine: {machine()}",
        f"   server: gunicorn {args.workers} workers x {args.threads} threads (gthread) on 127.0.0.1, "
        f"APP_ENV=production, argon2id RFC 9106 low-memory",
        f"   load: {args.users} simulated workers, ramp {args.ramp}/s, {args.duration:.0f} s, "
        f"think {args.think_min:g}-{args.think_max:g} s; ran {elapsed:.1f} s",
        f"   requests: {stats.requests}   errors: {len(stats.errors)}   "
        f"throughput: {stats.requests / elapsed:.1f} req/s",
        f"   {'kind':<10} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}",
    ]
    everything = [s for values in stats.latencies.values() for s in values]
    for kind in (*KINDS, "all"):
        values = everything if kind == "all" else stats.latencies.get(kind, [])
        if not values:
            continue
        lines.append(f"   {kind:<10} {len(values):>6} {percentile(values, .5) * 1000:>8.0f} "
                     f"{percentile(values, .95) * 1000:>8.0f} {percentile(values, .99) * 1000:>8.0f} "
                     f"{max(values) * 1000:>8.0f}")
    lines += [
        f"   reports acknowledged: {verdict.acknowledged}   stored (submitted): {verdict.reports}   "
        f"lost: {len(verdict.lost)}   duplicated: {verdict.duplicated}   "
        f"stored but unacknowledged: {verdict.unacknowledged}",
        f"   database integrity: {verdict.integrity}",
    ]
    for message in stats.errors[:10]:
        lines.append(f"   error: {message}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.db == "postgres":
        url = os.environ.get("TEST_DATABASE_URL", "")
        if not url:
            print("loadtest: --db postgres needs TEST_DATABASE_URL (run it under scripts/with-postgres.sh)",
                  file=sys.stderr)
            return 2
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='skp-loadtest-')) / 'loadtest.db'}"
    print(f"loadtest: preparing {args.db}: {args.users} workers x {args.clients} clients", flush=True)
    prepare_database(url)
    workers = seed_workers(url, args.users, args.clients)
    stats = Stats()
    log = Path(tempfile.gettempdir()) / f"skp-loadtest-gunicorn-{args.db}.log"
    with Gunicorn(url, workers=args.workers, threads=args.threads, log_path=log) as server:
        print(f"loadtest: gunicorn on {server.base}; {args.users} workers for {args.duration:.0f} s", flush=True)
        started = time.monotonic()
        deadline = started + args.duration
        threads = [SimulatedWorker(w, server.base, args, stats, started + i / args.ramp, deadline, args.seed + i)
                   for i, w in enumerate(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.duration + 120)
        elapsed = time.monotonic() - started
    verdict = check(url, stats.acks)
    text = report(args, url, stats, verdict, elapsed)
    print(text, flush=True)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0 if verdict.ok and not stats.errors and verdict.acknowledged > 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--users", type=int, default=40, help="simulated SKP workers")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    parser.add_argument("--ramp", type=float, default=10.0, help="workers started per second")
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=12, help="clients per worker (each with reports due)")
    parser.add_argument("--max-iterations", type=int, default=40, help="reports per worker at most")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--seed", type=int, default=20260915)
    parser.add_argument("--out", help="also write the figures to this file")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
