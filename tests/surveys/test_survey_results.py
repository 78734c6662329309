"""Survey results: shares of positive answers without "Ved ikke", groups under 5 hidden (also by
subtraction), baseline and follow-up paired per caseworker, and the results page with its chart data."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from forms import get_definition
from reporting.core.extensions import db
from reporting.core.models import Unit
from reporting.surveys.results import HIDDEN_TEXT, Respondent, compute, publishable_units

import coord_seed
import factories
import survey_seed as seed
from support import login

DEFINITION = get_definition("caseworker")
NOW = coord_seed.at(2026, 12, 1, 10, 0)


def people(kind: str, codes: list[int], *, start: int = 1, unit: int = 1, **fixed: int) -> list[Respondent]:
    """One respondent per code (every item answered with it, ``fixed`` items overridden)."""
    return [Respondent(start + n, unit, seed.answers(kind, code, **fixed)) for n, code in enumerate(codes)]


def item(results, key: str):  # type: ignore[no-untyped-def]
    return next(i for i in results.items if i.question.key == key)


def test_ved_ikke_is_counted_but_excluded_from_the_percentages() -> None:
    followup = people("followup", [5, 5, 4, 2, 1, 77])
    result = compute(DEFINITION, None, followup)
    b1 = item(result, "b1").followup
    assert not b1.hidden
    assert (b1.tally.respondents, b1.tally.dont_know, b1.tally.valid) == (6, 1, 5)
    assert b1.tally.positive_share == pytest.approx(3 / 5)
    assert b1.tally.share(5) == pytest.approx(2 / 5) and b1.tally.share(3) == 0
    assert item(result, "f4").followup is not None and item(result, "b1").baseline is None


def test_groups_under_five_are_hidden_with_and_without_ved_ikke() -> None:
    baseline = people("baseline", [4, 4, 4, 4])  # four respondents
    followup = people("followup", [4, 4, 4, 77, 77, 3])  # six respondents, but only four besides "Ved ikke"
    result = compute(DEFINITION, baseline, followup)
    assert all(i.baseline.hidden and i.baseline.tally is None for i in result.items if i.baseline is not None)
    assert item(result, "b1").followup.hidden
    assert result.baseline_n.hidden and not result.followup_n.hidden
    chart = result.chart_data("Baseline", "Opfølgning")
    assert chart["series"][0]["values"] == [None] * 6 + [None] * 4  # not asked at baseline, or hidden
    assert chart["series"][1]["values"][0] is None and chart["hidden_text"] == HIDDEN_TEXT


def test_baseline_and_follow_up_pair_up_by_account() -> None:
    baseline = people("baseline", [2, 2, 2, 2, 2, 77], b2=5)  # persons 1-6
    followup = people("followup", [4, 4, 4, 3, 1, 4], b2=5) + people("followup", [5], start=99)  # 1-6 and 99
    result = compute(DEFINITION, baseline, followup)
    assert result.pairs_n.n == 6
    change = item(result, "b1").change
    assert (change.pairs, change.valid, change.improved, change.same, change.worse) == (6, 5, 4, 0, 1)
    assert change.mean_change == pytest.approx((2 + 2 + 2 + 1 - 1) / 5)
    assert item(result, "b2").change.same == 6
    assert item(result, "f1").change is None and not item(result, "f1").change_asked
    few = compute(DEFINITION, baseline[:4], followup)
    assert item(few, "b1").change is None and item(few, "b1").change_asked  # four pairs: hidden


@pytest.mark.parametrize(("sizes", "shown"), [
    ({"a": (6, 6), "b": (0, 0)}, {"a"}),
    ({"a": (6, 6), "b": (7, 7), "c": (3, 3)}, {"b"}),  # c would follow from the total minus a and b
    ({"a": (6, 6), "b": (5, 5)}, {"a", "b"}),
    ({"a": (5, 5), "b": (4, 4)}, set()),
    ({"a": (7, 4), "b": (9, 9)}, set()),  # a: four answers besides "Ved ikke"; then b would reveal a
    ({"a": (6, 6), "b": (6, 6), "c": (2, 2), "d": (3, 3)}, {"a", "b"}),  # c + d together are five
])
def test_units_are_hidden_when_their_neighbours_could_be_computed(sizes: dict, shown: set) -> None:
    assert publishable_units(sizes) == shown


def test_a_unit_view_hides_a_unit_whose_rest_is_small() -> None:
    followup = people("followup", [5, 4, 4, 4, 3, 2], unit=1) + people("followup", [1, 1], start=50, unit=2)
    assert not item(compute(DEFINITION, None, followup), "b1").followup.hidden  # the whole wave: eight
    assert item(compute(DEFINITION, None, followup, unit=1), "b1").followup.hidden  # total - unit 1 = two people
    assert item(compute(DEFINITION, None, followup, unit=2), "b1").followup.hidden
    assert item(compute(DEFINITION, None, followup, unit=3), "b1").followup.empty


# --------------------------------------------------------------------------------------------
# The results page
# --------------------------------------------------------------------------------------------


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(FIXED_NOW=NOW)


@pytest.fixture
def comparison(app: Flask) -> dict[str, int]:
    """Nord: 6 caseworkers answered baseline (b1 = 2) and follow-up (b1 = 4); Syd: 2 answered the follow-up.
    B3 is "Ved ikke" for everyone at baseline and for four at follow-up (four other answers: hidden)."""
    with app.app_context():
        nord, syd = seed.unit("Team Nord"), seed.unit("Team Syd")
        baseline = seed.wave([nord, syd], "baseline", end=date(2026, 6, 30), title="Baseline 2026")
        followup = seed.wave([nord, syd], "followup", end=date(2026, 12, 15), title="Opfølgning 2026",
                             baseline=baseline)
        for n in range(6):
            person = seed.caseworker(f"nord{n}@example.com", "Team Nord")
            seed.response(baseline, person, seed.answers("baseline", 2, b3=77, kommentar="Hemmelig kommentar"))
            seed.response(followup, person, seed.answers("followup", 4, b3=77 if n < 2 else 5))
        for n in range(2):
            seed.response(followup, seed.caseworker(f"syd{n}@example.com", "Team Syd"),
                          seed.answers("followup", 1, b3=77))
        factories.user("coordinator", email="tovholder@example.com")
        return {"baseline": baseline.id, "followup": followup.id, "nord": nord.id, "syd": syd.id}


def chart_json(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="survey-data">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def row(html: str, table: str, key: str, wave: str | None = None) -> str:
    body = html[html.index(f'id="{table}"'):]
    marker = f'data-item="{key}"' + (f' data-wave="{wave}"' if wave else "")
    start = body.index(marker)
    return body[start:body.index("</tr>", start)]


def test_the_results_page_compares_baseline_and_follow_up(client: FlaskClient, comparison: dict[str, int]) -> None:
    login(client, "tovholder@example.com")
    html = client.get(f"/coordinator/surveys/{comparison['followup']}/results").get_data(as_text=True)
    assert "Baseline 2026" in html and "Hemmelig kommentar" not in html
    data = chart_json(html)
    assert [s["kind"] for s in data["series"]] == ["baseline", "followup"]
    assert data["series"][0]["values"][:2] == [0.0, 0.0]  # b1, b2 at baseline: all 2
    assert data["series"][0]["values"][2] is None  # b3 at baseline: all "Ved ikke", nothing to divide
    assert data["series"][1]["values"][0] == 75.0  # b1: 6 of 8 answered 4
    assert data["series"][1]["values"][2] is None  # b3: 4 valid answers at follow-up: hidden
    assert data["series"][1]["values"][6:] == [75.0] * 4  # F1-F4
    assert "75 %" in row(html, "share-table", "b1")
    assert HIDDEN_TEXT in row(html, "share-table", "b3")
    assert HIDDEN_TEXT in row(html, "distribution-table", "b3", "followup")
    assert ">6<" in row(html, "distribution-table", "b3", "baseline")  # six "Ved ikke", no percentages
    b1_change = row(html, "change-table", "b1")
    assert ">6<" in b1_change and "100 %" in b1_change and "+2,0" in b1_change
    assert "data-mean>–<" in row(html, "change-table", "b3")  # no pair with two answers besides "Ved ikke"
    assert "f1" not in html[html.index('id="change-table"'):]


def test_a_unit_filter_never_shows_a_small_unit(client: FlaskClient, comparison: dict[str, int]) -> None:
    login(client, "tovholder@example.com")
    base = f"/coordinator/surveys/{comparison['followup']}/results"
    syd = client.get(f"{base}?unit={comparison['syd']}").get_data(as_text=True)
    assert HIDDEN_TEXT in row(syd, "share-table", "b1") and "1 %" not in syd
    nord = client.get(f"{base}?unit={comparison['nord']}").get_data(as_text=True)
    # Nord has 6 follow-up answers, but showing them would reveal Syd's two (total minus Nord).
    assert HIDDEN_TEXT in row(nord, "share-table", "b1")
    assert "0 %" in row(nord, "share-table", "b1")  # the baseline: Syd has no baseline answers
    assert client.get(f"{base}?unit=999").status_code == 404


def test_a_baseline_wave_shows_its_own_results(client: FlaskClient, comparison: dict[str, int],
                                               app: Flask) -> None:
    login(client, "tovholder@example.com")
    html = client.get(f"/coordinator/surveys/{comparison['baseline']}/results").get_data(as_text=True)
    assert [s["kind"] for s in chart_json(html)["series"]] == ["baseline"]
    assert "Opfølgning 2026" in html and 'id="change-table"' not in html
    with app.app_context():
        assert db.session.get(Unit, comparison["nord"]) is not None
