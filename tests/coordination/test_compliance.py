"""The compliance dashboard: its counts equal a direct computation over seeded data (frozen clock)."""

from __future__ import annotations

import html
import json
import random
import re
from collections import Counter
from datetime import date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from reporting.core.extensions import db
from reporting.core.models import AuditEvent

import coord_seed as seed
import factories
from support import login

NOW = seed.at(2026, 12, 20, 10, 0)  # November's deadline (15 December) has passed; December is not due
MONTHS = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)][:23]  # 2025-01 … 2026-11


def direct_status(month: str, submitted: datetime | None, now: datetime = NOW) -> str:
    """The rule written out by hand: due by the end of the 15th of the next month, Copenhagen time."""
    year, mon = map(int, month.split("-"))
    deadline = date(year + (mon == 12), mon % 12 + 1, 15)
    if submitted is not None:
        return "on_time" if submitted.astimezone(seed.CPH).date() <= deadline else "late"
    return "missing" if now.astimezone(seed.CPH).date() > deadline else "due"


def seed_scope(worker_ids: dict[str, int], rng: random.Random) -> list[tuple[int, str, str]]:
    """Random courses and reports; returns (worker id, month, direct status) per expected report."""
    expected = []
    for label, worker_id in worker_ids.items():
        for n in range(6):
            client = seed.client(worker_id, f"Zebra {label}{n}")
            start = rng.randrange(0, len(MONTHS) - 2)
            end = rng.choice([None, None, min(start + rng.randrange(0, 14), len(MONTHS) - 1)])
            course = seed.course(client, MONTHS[start], MONTHS[end] if end is not None else None)
            for month in MONTHS[start:(end if end is not None else len(MONTHS) - 1) + 1]:
                submitted = _random_submission(month, rng)
                if submitted is not None or rng.random() < 0.3:
                    seed.report(course, month, submitted)
                expected.append((worker_id, month, direct_status(month, submitted)))
    return expected


def _random_submission(month: str, rng: random.Random) -> datetime | None:
    year, mon = map(int, month.split("-"))
    ny, nm = year + (mon == 12), mon % 12 + 1
    return rng.choice([
        None,
        seed.at(ny, nm, 3),
        seed.at(ny, nm, 15, 23, 59),  # the last minute of the deadline day: on time
        seed.at(ny, nm, 16, 0, 1),  # one minute later: late
        seed.at(ny, nm, 28) if (ny, nm) < (2026, 12) else None,
    ])


@pytest.fixture
def frozen(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=NOW)


@pytest.fixture
def seeded(frozen: Flask) -> dict[str, object]:
    rng = random.Random(20261220)
    with frozen.app_context():
        workers = {
            "a": factories.user("skp", email="anna@example.com", unit_name="Team Vest").id,
            "b": factories.user("skp", email="bo@example.com", unit_name="Team Øst").id,
            "c": factories.user("skp", email="cira@example.com", municipality_name="Odense").id,
        }
        expected = seed_scope(workers, rng)
        factories.user("coordinator", email="tovholder@example.com")
        factories.user("coordinator", email="evaluator@example.com", municipality_name=None)
    return {"workers": workers, "expected": expected}


def browser(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


ROW_RE = re.compile(r'<tr data-worker="(\d+)">(.*?)</tr>', re.S)
PERIOD_ROW_RE = re.compile(r'<tr data-period="([0-9-]+)">(.*?)</tr>', re.S)
CELL_RE = re.compile(r'data-count="(\w+)">(\d+)<')


def counts_in(fragment: str) -> dict[str, int]:
    return {name: int(value) for name, value in CELL_RE.findall(fragment)}


def direct_counts(rows: list[tuple[int, str, str]]) -> dict[str, int]:
    found = Counter(status for _, _, status in rows)
    return {"expected": len(rows), **{k: found.get(k, 0) for k in ("on_time", "late", "missing", "due")}}


@pytest.mark.parametrize("month", ["2026-11", "2026-06", "2025-12"])
def test_dashboard_counts_equal_a_direct_computation(frozen: Flask, seeded, month: str) -> None:
    page = browser(frozen, "tovholder@example.com").get(f"/coordinator/compliance?month={month}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    esbjerg = [row for row in seeded["expected"] if row[1] == month and row[0] != seeded["workers"]["c"]]
    summary = body.split('id="month-summary"')[1].split("</dl>")[0]
    assert counts_in(summary) == direct_counts(esbjerg)
    per_worker = {int(w): counts_in(cells) for w, cells in ROW_RE.findall(body)}
    for label in ("a", "b"):
        worker_id = seeded["workers"][label]
        assert per_worker[worker_id] == direct_counts([r for r in esbjerg if r[0] == worker_id])
    assert seeded["workers"]["c"] not in per_worker  # Odense is outside the Esbjerg coordinator's scope
    units = body.split('id="units-table"')[1].split("</table>")[0]
    assert "Esbjerg · Team Vest" in html.unescape(units) and "Odense" not in units


def test_national_dashboard_and_twelve_month_chart_data(frozen: Flask, seeded) -> None:
    body = browser(frozen, "evaluator@example.com").get("/coordinator/compliance").get_data(as_text=True)
    everyone = seeded["expected"]
    summary = body.split('id="month-summary"')[1].split("</dl>")[0]
    assert counts_in(summary) == direct_counts([r for r in everyone if r[1] == "2026-11"])
    table = body.split('id="ontime-table"')[1].split("</table>")[0]
    rows = dict(PERIOD_ROW_RE.findall(table))
    assert list(rows) == MONTHS[-12:]
    chart = json.loads(re.search(r'<script type="application/json" id="ontime-data">(.*?)</script>', body, re.S)[1])
    for index, month in enumerate(MONTHS[-12:]):
        direct = direct_counts([r for r in everyone if r[1] == month])
        assert counts_in(rows[month]) == direct
        assert chart["expected"][index] == direct["expected"] and chart["on_time"][index] == direct["on_time"]
        rate = round(direct["on_time"] / direct["expected"] * 100, 1) if direct["expected"] else None
        assert chart["rates"][index] == rate
    assert len(chart["labels"]) == 12


def test_before_the_deadline_last_month_is_due_not_missing(make_app, seeded) -> None:
    app = make_app(FIXED_NOW=seed.at(2026, 12, 15, 23, 0))  # an hour before November's deadline passes
    body = browser(app, "tovholder@example.com").get("/coordinator/compliance").get_data(as_text=True)
    now = seed.at(2026, 12, 15, 23, 0)
    esbjerg = [r for r in seeded["expected"] if r[1] == "2026-11" and r[0] != seeded["workers"]["c"]]
    recomputed = [(w, m, "due" if s == "missing" else s) for w, m, s in esbjerg]
    summary = body.split('id="month-summary"')[1].split("</dl>")[0]
    assert counts_in(summary) == direct_counts(recomputed)
    assert direct_status("2026-11", None, now) == "due"
    table = body.split('id="ontime-table"')[1].split("</table>")[0]
    assert list(dict(PERIOD_ROW_RE.findall(table)))[-1] == "2026-10"  # the chart ends at the last final month


def test_drill_down_lists_the_missing_client_months_of_a_worker(frozen: Flask, seeded) -> None:
    worker_id = seeded["workers"]["a"]
    response = browser(frozen, "tovholder@example.com").get(f"/coordinator/compliance/workers/{worker_id}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    listing = body.split('id="worker-months"')[1].split("</ul>")[0] if 'id="worker-months"' in body else ""
    missing = Counter(m for w, m, s in seeded["expected"] if w == worker_id and s == "missing")
    assert Counter(re.findall(r'<li data-period="([0-9-]+)" data-status="missing"', listing)) == missing
    table = listing
    assert "Zebra" not in body  # nicknames ("Zebra a0" …) never appear; system numbers do
    assert re.search(r"K-\d{5}", table) or not missing
    with frozen.app_context():
        event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "compliance_worker_viewed")).one()
        assert event.object_id == str(worker_id)


def test_nicknames_never_appear_on_the_dashboard(frozen: Flask, seeded) -> None:
    body = browser(frozen, "evaluator@example.com").get("/coordinator/compliance?month=2026-05").get_data(as_text=True)
    assert "Zebra" not in body


def test_month_outside_the_offered_range_is_not_found(frozen: Flask, seeded) -> None:
    client = browser(frozen, "tovholder@example.com")
    assert client.get("/coordinator/compliance?month=2026-12").status_code == 404  # not over yet
    assert client.get("/coordinator/compliance?month=nonsense").status_code == 404
    assert client.get("/coordinator/compliance?month=2020-01").status_code == 404


def test_the_dashboard_and_the_workers_overview_agree(frozen: Flask, seeded) -> None:
    """Both come from the schedule's expected_periods and report_status: same months, same statuses."""
    from reporting.coordination.compliance import client_months, load_courses
    from reporting.core.schedule import Period
    from reporting.skp.overview import worker_overview

    with frozen.app_context():
        for worker_id in seeded["workers"].values():
            overview = {(row.client.system_number, m.period, m.status.kind)
                        for row in worker_overview(worker_id, NOW, 15) for m in row.months}
            ours = {(m.system_number, m.period, m.status.kind)
                    for m in client_months(load_courses(None, worker_id), None, Period(2026, 11), NOW, 15)}
            assert overview == ours and ours
