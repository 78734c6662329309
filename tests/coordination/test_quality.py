"""Data-quality checks before export: one seeded case per check, counted and listed by system number."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask

from reporting.coordination.quality import not_applicable_answers

import coord_seed as seed
import factories
from support import login

NOW = seed.at(2026, 12, 20)


@pytest.fixture
def cases(make_app) -> tuple[Flask, dict[str, str]]:  # type: ignore[no-untyped-def]
    app = make_app(FIXED_NOW=NOW)
    with app.app_context():
        worker = factories.user("skp", email="sara@example.com").id
        numbers = {}
        a = seed.client(worker, "Anker")
        course = seed.course(a, "2026-09")
        seed.report(course, "2026-09", seed.at(2026, 10, 1))
        seed.report(course, "2026-10", seed.at(2026, 11, 1), answers={"q23": 1})  # Del 2 is not due in October
        seed.report(course, "2026-11", None)  # still a draft after 15 December
        numbers["not-applicable"] = numbers["late-drafts"] = a.system_number
        b = seed.client(worker, "Bølge")
        seed.report(seed.course(b, "2026-05"), "2026-06", seed.at(2026, 7, 1))  # no intake report
        numbers["missing-intake"] = b.system_number
        c = seed.client(worker, "Citron")
        closed = seed.course(c, "2026-03", "2026-04", contact_start=date(2026, 6, 10))
        seed.report(closed, "2026-03", seed.at(2026, 4, 1))
        seed.report(closed, "2026-04", seed.at(2026, 5, 1), closes=True)
        numbers["closing-before-contact"] = c.system_number
        d = seed.client(worker, "Delfin")
        first = seed.course(d, "2026-01", "2026-03")
        for month in ("2026-01", "2026-02", "2026-03"):
            seed.report(first, month, seed.at(2026, int(month[-2:]) + 1, 2))
        second = seed.course(d, "2026-03")
        seed.report(second, "2026-03", seed.at(2026, 4, 3))  # the same client-month again
        for month in ("2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"):
            seed.report(second, month, seed.at(2026, int(month[-2:]) + 1, 2))
        numbers["duplicates"] = d.system_number
        factories.user("coordinator", email="tovholder@example.com")
        factories.user("coordinator", email="fyn@example.com", municipality_name="Odense")
    return app, numbers


def page(app: Flask, path: str, email: str = "tovholder@example.com") -> str:
    client = app.test_client()
    assert login(client, email).status_code == 302
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_each_check_counts_exactly_its_seeded_case(cases) -> None:
    app, numbers = cases
    body = page(app, "/coordinator/quality")
    counts = dict(re.findall(r'<tr data-check="([a-z-]+)">.*?data-count="(\d+)"', body, re.S))
    assert counts == {key: "1" for key in numbers}
    for key, number in numbers.items():
        listing = page(app, f"/coordinator/quality/{key}")
        assert re.findall(r">(K-\d{5})<", listing.split('id="cases-table"')[1]) == [number], key
        assert not any(name in listing for name in ("Anker", "Bølge", "Citron", "Delfin"))


def test_cases_link_to_the_report_and_the_worker(cases) -> None:
    app, numbers = cases
    listing = page(app, "/coordinator/quality/late-drafts")
    assert f'href="/coordinator/reports/{numbers["late-drafts"]}/' in listing
    assert 'href="/coordinator/compliance/workers/' in listing


def test_the_stray_answer_is_named_by_question_key(cases) -> None:
    app, _ = cases
    assert "Svar på: q23" in page(app, "/coordinator/quality/not-applicable")


def test_another_municipality_has_no_findings(cases) -> None:
    app, _ = cases
    body = page(app, "/coordinator/quality", "fyn@example.com")
    assert set(re.findall(r'data-count="(\d+)"', body)) == {"0"}
    assert page(app, "/coordinator/quality/duplicates", "fyn@example.com").count("K-") == 0


def test_q17_reasked_while_no_first_meeting_is_not_a_finding(make_app) -> None:
    app = make_app(FIXED_NOW=NOW)
    with app.app_context():
        worker = factories.user("skp").id
        course = seed.course(seed.client(worker, "Eg"), "2026-09")
        seed.report(course, "2026-09", seed.at(2026, 10, 1), answers={"q17": 3})
        seed.report(course, "2026-10", seed.at(2026, 11, 1), answers={"q17": 3})  # asked again (E18)
        seed.report(course, "2026-11", seed.at(2026, 12, 1), answers={"q17": 1, "q18": 1})
        assert not_applicable_answers(None, NOW, 15) == []
        seed.report(seed.course(seed.client(worker, "Ask"), "2026-09"), "2026-10", seed.at(2026, 11, 1),
                    answers={"q17": 1})
        assert [case.detail for case in not_applicable_answers(None, NOW, 15)] == ["Svar på: q17"]


def test_an_unknown_check_is_not_found(cases) -> None:
    app, _ = cases
    client = app.test_client()
    login(client, "tovholder@example.com")
    assert client.get("/coordinator/quality/nonsense").status_code == 404
