"""Process-level faults against a real gunicorn on 127.0.0.1 (issue #9, goals R2 and R3).

- A worker killed (SIGKILL) mid-submit, with every row written but not committed, stores nothing;
  the worker's browser retries the same form and the report is stored once.
- A worker killed after the commit but before the answer: the report is stored, the retry is
  recognised by its submission token and acknowledged, and it is still stored once.
- Workers killed at random while submissions run: every acknowledged report is stored, none twice,
  and the database passes its integrity checks.
- The same submission posted three times at once, and two tabs submitting at once: one report,
  never a 5xx.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from loadtest import flows
from loadtest.check import Ack, check
from loadtest.server import Gunicorn, seed_workers
from perf.http import Session
from reporting.core.schedule import Period

SERVER_CONFIG = {"PASSWORD_HASH_PROFILE": "fast", "RATELIMIT_ENABLED": False}
LAST_MONTH = str(Period.containing(datetime.now(UTC)) - 1)
MAX_KILLS = 8


@pytest.fixture
def database(app: Flask, database_url: str) -> str:
    """The test database (an SQLite copy, or PostgreSQL emptied after the test by ``make_app``)."""
    return database_url


def server(database: str, tmp_path: Path, **kwargs: object) -> Gunicorn:
    fault_dir = tmp_path / "faults"
    fault_dir.mkdir(exist_ok=True)
    return Gunicorn(database, workers=2, threads=4, config=SERVER_CONFIG, fault_dir=fault_dir,
                    log_path=tmp_path / "gunicorn.log", **kwargs)  # type: ignore[arg-type]


def logged_in(base: str, email: str) -> Session:
    from loadtest.server import PASSWORD

    session = Session(base, timeout=40)
    _, response = session.login(email, PASSWORD)
    assert response.status == 302, response.status
    return session


def open_form(session: Session, number: str, month: str = LAST_MONTH) -> tuple[str, flows.FormState]:
    path = f"/skp/clients/{number}/reports/{month}"
    page = session.get(path)
    assert page.status == 200, page.status
    return path, flows.read_form(page.text)


def wait_for_marker(directory: Path, seconds: float = 20) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for marker in directory.iterdir():
            pid = int(marker.name)
            marker.unlink()
            return pid
        time.sleep(0.02)
    raise AssertionError("the submission never reached the commit")


@pytest.mark.parametrize("point", ["pause-before-commit", "pause-after-commit"])
def test_a_worker_killed_mid_submit_loses_nothing_and_stores_nothing_twice(
        database: str, tmp_path: Path, point: str) -> None:
    [worker] = seed_workers(database, 1, 1, hash_profile="fast")
    number = worker.clients[0]
    with server(database, tmp_path) as gunicorn:
        session = logged_in(gunicorn.base, worker.email)
        path, state = open_form(session, number)
        data = flows.formdata(state, flows.answers(state, LAST_MONTH, random.Random(1)), "submit")
        outcome: dict[str, object] = {}

        def submit() -> None:
            try:
                outcome["response"] = session.post(path, data, headers={"X-Fault": point})
            except OSError as error:  # the connection died with the worker: no acknowledgement
                outcome["error"] = error

        thread = threading.Thread(target=submit)
        thread.start()
        gunicorn.kill_worker(wait_for_marker(gunicorn.fault_dir))  # type: ignore[arg-type]
        thread.join(30)
        assert "error" in outcome and "response" not in outcome, "the killed request was acknowledged"
        before_retry = check(database, [])
        assert before_retry.reports == (1 if point == "pause-after-commit" else 0)
        assert before_retry.integrity.startswith("ok"), before_retry.integrity

        retry = session.post(path, data)  # the browser sends the same form again
        assert retry.status == 302 and retry.location.endswith("/kvittering"), retry.status
        overview = session.get(retry.location).text  # the receipt
        expected = "var allerede indsendt" if point == "pause-after-commit" else "er indsendt"
        assert expected in overview
    verdict = check(database, [Ack(number, LAST_MONTH, state.token)])
    assert verdict.ok and verdict.reports == 1, verdict


def test_random_worker_kills_during_submissions_lose_no_acknowledged_report(database: str, tmp_path: Path) -> None:
    workers = seed_workers(database, 4, 15, hash_profile="fast")
    acks: list[Ack] = []
    kills = 0
    stop = threading.Event()
    with server(database, tmp_path) as gunicorn:

        def file_all(worker: object) -> list[Ack]:
            done = []
            session = None
            for number in worker.clients:  # type: ignore[attr-defined]
                for _attempt in range(20):  # reconnect, reopen and retry until acknowledged
                    try:
                        session = session or logged_in(gunicorn.base, worker.email)  # type: ignore[attr-defined]
                        path, state = open_form(session, number)
                        answer_set = flows.answers(state, LAST_MONTH, random.Random(number))
                        data = flows.formdata(state, answer_set, "submit")
                        for _retry in range(10):  # the same form, the same token
                            try:
                                response = session.post(path, data)
                                break
                            except OSError:
                                time.sleep(0.2)
                        else:
                            continue
                        assert response.status == 302, response.status
                        done.append(Ack(number, LAST_MONTH, state.token))
                        break
                    except OSError:
                        time.sleep(0.2)
            return done

        def chaos() -> None:
            nonlocal kills
            rng = random.Random(9)
            # Short pauses, so that even a fast machine sees several kills before the filing is done.
            while kills < MAX_KILLS and not stop.wait(rng.uniform(0.05, 0.25)):
                pids = gunicorn.worker_pids()
                if pids:
                    try:
                        gunicorn.kill_worker(rng.choice(pids))
                        kills += 1
                    except (AssertionError, ProcessLookupError):
                        pass

        killer = threading.Thread(target=chaos)
        killer.start()
        try:
            with ThreadPoolExecutor(len(workers)) as pool:
                for done in pool.map(file_all, workers):
                    acks.extend(done)
        finally:
            stop.set()
            killer.join()
    assert kills >= 3, "the workers were not killed during the run"
    verdict = check(database, acks)
    assert len(acks) == sum(len(w.clients) for w in workers), "some reports were never acknowledged"
    assert verdict.ok, verdict
    assert verdict.reports == len(acks)


def test_the_same_submission_three_times_at_once_stores_one_report(database: str, tmp_path: Path) -> None:
    workers = seed_workers(database, 2, 5, hash_profile="fast")
    acks: list[Ack] = []
    statuses: list[int] = []
    with server(database, tmp_path) as gunicorn:
        for worker in workers:
            session = logged_in(gunicorn.base, worker.email)
            for number in worker.clients:
                path, state = open_form(session, number)
                data = flows.formdata(state, flows.answers(state, LAST_MONTH, random.Random(number)), "submit")
                browsers = [Session(gunicorn.base, cookies=dict(session.cookies)) for _ in range(3)]
                with ThreadPoolExecutor(3) as pool:
                    statuses += [r.status for r in pool.map(lambda b: b.post(path, data), browsers)]  # noqa: B023
                acks.append(Ack(number, LAST_MONTH, state.token))
        # Two tabs of one draft, each with its own form: both submit at once.
        session = logged_in(gunicorn.base, workers[0].email)
        number = workers[0].clients[0]
        month = str(Period.parse(LAST_MONTH) + 1)
        tabs = [open_form(session, number, month) for _ in range(2)]
        results = []
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(
                lambda tab: Session(gunicorn.base, cookies=dict(session.cookies)).post(
                    tab[0], flows.formdata(tab[1], flows.answers(tab[1], month, random.Random(3)), "submit")),
                tabs))
    assert set(statuses) == {302}, statuses
    assert sorted(r.status for r in results) == [302, 409]  # one wins, the other is told; never a 5xx
    verdict = check(database, acks)
    assert verdict.ok and verdict.reports == len(acks) + 1, verdict
