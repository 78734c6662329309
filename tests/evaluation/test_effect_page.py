"""The page "Effektmåling" (issue 20, D26) on seeded data: the same numbers as the workbook's sheets
Effekt, Grupper and Regression to the last printed decimal; scope; groups under 5; computed once
per change of the data."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import func, select, update

from exports.effect import ALL, MIN_GROUP, group_labels, text_da
from reporting.core.clock import now
from reporting.core.extensions import db
from reporting.core.models import Municipality
from reporting.demo.reports import seed_reports
from reporting.evaluation import effect as page_module
from reporting.evaluation.source import ExportRequest, run_export
from reporting.skp.models import Report

import factories
from support import login

URL = "/coordinator/effect"
#: How each column is printed (exports.effect.text_da kinds).
KINDS = {"n": "n", "gennemsnit": "mean", "gennemsnit_foer": "mean", "gennemsnit_efter": "mean", "ci_nedre": "mean",
         "ci_oevre": "mean", "t": "t", "df": "df", "p": "p", "effektstoerrelse": "effect", "F": "F",
         "df_inden": "df", "koefficient": "coef", "r2": "r2"}


class Rows(HTMLParser):
    """Every element with ``data-type`` (a result row) and the text of its ``data-col`` cells."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self._row: dict[str, Any] | None = None
        self._depth = 0
        self._col: str | None = None
        self._col_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "data-type" in a and tag == "tr":
            self._row = {k[5:]: v for k, v in a.items() if k.startswith("data-")}
            self._row["cells"] = {}
            self._depth = 0
        if self._row is not None:
            self._depth += 1
            if "data-col" in a:
                self._col, self._col_depth = a["data-col"], self._depth
                self._row["cells"][self._col] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._row is None:
            return
        if self._col is not None and self._depth == self._col_depth:
            self._row["cells"][self._col] = self._row["cells"][self._col].strip()
            self._col = None
        self._depth -= 1
        if tag == "tr" and self._depth <= 0:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._col is not None:
            self._row["cells"][self._col] += data


def _rows(html: str) -> list[dict[str, Any]]:
    parser = Rows()
    parser.feed(html)
    return parser.rows


def _seed(app: Flask) -> dict[str, int]:
    with app.app_context():
        esbjerg = [factories.user("skp", email=f"skp{i}@example.com") for i in range(3)]
        aarhus = [factories.user("skp", email="aarhus@example.com", municipality_name="Aarhus")]
        seed_reports([*esbjerg, *aarhus], clients_per_worker=16, months=14, now=now(), seed=11)
        factories.user("coordinator", email="coord@example.com")
        factories.user("coordinator", email="national@example.com", municipality_name=None)
        factories.user("skp", email="worker@example.com")
        return {m.name: m.id for m in db.session.scalars(select(Municipality))}


@pytest.fixture
def seeded(app: Flask) -> dict[str, int]:
    page_module.clear_memory()
    return _seed(app)


def _workbook(app: Flask, municipality_id: int | None, scope: int | None = None) -> dict[str, list[dict]]:
    out = io.BytesIO()
    with app.app_context():
        run_export(out, ExportRequest(municipality_id), scope=scope, user_id=None, via="cli")
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    sheets = {}
    for name in ("Effekt", "Grupper", "Regression"):
        rows = list(book[name].iter_rows(values_only=True))
        sheets[name] = [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]
    return sheets


def _check_cells(cells: dict[str, str], expected: dict[str, Any], kinds: dict[str, str] = KINDS) -> None:
    for col, text in cells.items():
        if col in kinds:
            assert text == text_da(expected[col], kinds[col]), (col, text, expected)
        elif col == "graense":
            assert text == f"p ≤ {text_da(expected[col], 'threshold')}"
        elif col == "opfylder":
            assert text == expected[col]
        elif col == "df_mellem":
            assert int(text) == expected[col]
        elif col == "grupper":
            assert text == expected[col]


def test_every_number_on_the_page_equals_the_workbook(app: Flask, seeded: dict[str, int]) -> None:
    client = app.test_client()
    login(client, "national@example.com")
    esbjerg = seeded["Esbjerg"]
    book = _workbook(app, esbjerg)
    labels = group_labels()
    seen: set[tuple] = set()
    page_rows: list[dict[str, Any]] = []
    for group in labels:
        response = client.get(URL, query_string={"kommune": esbjerg, "gruppe": group})
        assert response.status_code == 200
        page_rows += [r for r in _rows(response.get_data(as_text=True)) if r["type"] in ("niveau", "aendring")
                      and r["group"] == group]
        if group == ALL:
            page_rows += [r for r in _rows(response.get_data(as_text=True)) if r["type"] in ("anova", "regression")]
    effect = {(r["skala"], r["gruppe"], r["type"], r["maaling"]): r for r in book["Effekt"]}
    assert len(effect) == len(book["Effekt"])
    for row in (r for r in page_rows if r["type"] in ("niveau", "aendring")):
        key = (row["scale"], labels[row["group"]], row["type"], row["maaling"])
        _check_cells(row["cells"], effect[key])
        seen.add(key)
    assert seen == set(effect)  # the page shows every row of the sheet, and nothing else
    groups = {(r["skala"], r["inddeling"]): r for r in book["Grupper"]}
    anova_rows = [r for r in page_rows if r["type"] == "anova"]
    assert {(r["scale"], r["inddeling"]) for r in anova_rows} == {
        (r["skala"], k) for r in book["Grupper"] for k, lbl in [("maalgruppe", "Isbryder-målgruppen"),
                                                                 ("koen", "Køn"), ("alder", "Aldersgruppe"),
                                                                 ("etnicitet", "Etnisk minoritet")]
        if r["inddeling"] == lbl}
    for row in anova_rows:
        label = {"maalgruppe": "Isbryder-målgruppen", "koen": "Køn", "alder": "Aldersgruppe",
                 "etnicitet": "Etnisk minoritet"}[row["inddeling"]]
        _check_cells(row["cells"], groups[(row["scale"], label)])
    regression = {(r["skala"], r["variabel"]): r for r in book["Regression"]}
    reg_rows = [r for r in page_rows if r["type"] == "regression"]
    assert {(r["scale"], r["variabel"]) for r in reg_rows} == set(regression)
    for row in reg_rows:
        _check_cells(row["cells"], regression[(row["scale"], row["variabel"])],
                     {**KINDS, "ci_nedre": "coef", "ci_oevre": "coef"})
    assert len(seen) > 50 and reg_rows and anova_rows  # the seeded data give results of every kind


def test_groups_under_five_never_show(app: Flask, seeded: dict[str, int]) -> None:
    client = app.test_client()
    login(client, "national@example.com")
    for group in group_labels():
        html = client.get(URL, query_string={"gruppe": group}).get_data(as_text=True)
        for row in _rows(html):
            if "n" in row["cells"]:
                assert int(row["cells"]["n"].replace(".", "")) >= MIN_GROUP, row
            for n in re.findall(r"n = (\d+)", row["cells"].get("grupper", "")):
                assert int(n) >= MIN_GROUP


def test_a_municipal_coordinator_sees_only_their_municipality(app: Flask, seeded: dict[str, int]) -> None:
    client = app.test_client()
    login(client, "coord@example.com")
    html = client.get(URL).get_data(as_text=True)
    assert "Effektmåling" in html and "Aarhus" not in html
    own = {(r["scale"], r["maaling"], r["type"]): r["cells"]["n"] for r in _rows(html) if r["type"] == "aendring"}
    assert own
    with app.app_context():
        esbjerg_only = page_module.compute(seeded["Esbjerg"], ExportRequest())
    assert {(r.scale, r.label, "aendring"): text_da(r.n, "n") for r in esbjerg_only.changes if r.group == ALL} == own
    refused = client.get(URL, query_string={"kommune": seeded["Aarhus"]})
    assert refused.status_code == 400 and "Vælg en kommune fra listen" in refused.get_data(as_text=True)
    national = app.test_client()
    login(national, "national@example.com")
    everything = national.get(URL).get_data(as_text=True)
    assert "Aarhus" in everything  # national scope may choose any municipality
    basis = re.compile(r'data-col="forloeb">([\d.]+)<')
    assert int(basis.search(html).group(1)) < int(basis.search(everything).group(1))


def test_only_coordinators_open_the_page(app: Flask, seeded: dict[str, int]) -> None:
    client = app.test_client()
    login(client, "worker@example.com")
    assert client.get(URL).status_code == 403
    assert app.test_client().get(URL).status_code == 302  # to the login


def test_results_are_computed_once_per_change_of_the_data(app: Flask, seeded: dict[str, int],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = page_module.compute
    monkeypatch.setattr(page_module, "compute", lambda *a: calls.append(a) or real(*a))
    client = app.test_client()
    login(client, "coord@example.com")
    first = client.get(URL).get_data(as_text=True)
    for group in ("alle", "koen-2", "maalgruppe-0"):
        assert client.get(URL, query_string={"gruppe": group}).status_code == 200
    assert len(calls) == 1  # the group filter only chooses what is shown
    page_module.clear_memory()
    again = client.get(URL).get_data(as_text=True)
    assert _rows(again) == _rows(first) and len(calls) == 1  # the file cache (other workers)
    with app.app_context():
        first_id = db.session.scalar(select(func.min(Report.id)))  # the first worker's: Esbjerg
        db.session.execute(update(Report).where(Report.id == first_id).values(updated_at=now()))
        db.session.commit()
    client.get(URL)
    assert len(calls) == 2  # a corrected report: computed again


def test_bad_filters_are_explained(app: Flask, seeded: dict[str, int]) -> None:
    client = app.test_client()
    login(client, "national@example.com")
    response = client.get(URL, query_string={"fra": "2024-13"})
    assert response.status_code == 400 and "Skriv måneden som ÅÅÅÅ-MM" in response.get_data(as_text=True)
    response = client.get(URL, query_string={"fra": "2024-06", "til": "2024-01"})
    assert response.status_code == 400 and "Til-måneden skal ligge efter" in response.get_data(as_text=True)
    response = client.get(URL, query_string={"gruppe": "<script>"})
    assert response.status_code == 400


def test_a_period_filter_gives_the_workbook_of_that_period(app: Flask, seeded: dict[str, int]) -> None:
    client = app.test_client()
    login(client, "national@example.com")
    with app.app_context():
        months = sorted({p for p in db.session.scalars(select(Report.period))})
    first = f"{months[len(months) // 3]:%Y-%m}"
    html = client.get(URL, query_string={"fra": first}).get_data(as_text=True)
    out = io.BytesIO()
    with app.app_context():
        from reporting.evaluation.source import parse_month

        run_export(out, ExportRequest(None, parse_month(first)), scope=None, user_id=None, via="cli")
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    rows = list(book["Effekt"].iter_rows(values_only=True))
    sheet = [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]
    expected = {(r["skala"], r["type"], r["maaling"]): r for r in sheet if r["gruppe"] == "Alle"}
    shown = [r for r in _rows(html) if r["type"] in ("niveau", "aendring")]
    assert {(r["scale"], r["type"], r["maaling"]) for r in shown} == set(expected)
    for row in shown:
        _check_cells(row["cells"], expected[(row["scale"], row["type"], row["maaling"])])
