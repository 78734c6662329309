"""The anonymised export is k-anonymous on the declared quasi-identifiers, measured independently.

The workbook is built from seeded, skewed courses (tests/exports/skewed.py) of 60, 600 and 6,000
courses. The measurement reads only the written file (openpyxl → pandas) and the declaration
(tomllib): for every course it counts the courses whose released values agree with its own, a
suppressed value (-888 / "*") agreeing with anything — pandas boolean masks, not the numpy
matrix of exports.disclosure. It also checks that no other sheet carries a quasi-identifier more
precisely than "Forløb" does, and that the seeded data are risky before protection.
"""

from __future__ import annotations

import io
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from skewed import SKP, courses

import forms
from exports.pseudonyms import Pseudonymizer
from exports.workbook import ExportOptions, build_workbook

CW = forms.get_definition("caseworker")
DECLARATION = tomllib.loads((Path(__file__).parents[2] / "exports" / "quasi_identifiers.toml").read_text("utf-8"))
QUASI = [q["name"] for q in DECLARATION["quasi"]]
MARKERS = {DECLARATION["suppressed_code"], DECLARATION["suppressed_text"]}
SOURCES = {"q3", "q4", "q5", "q6", "q7", "q8"}
CALENDAR = re.compile(r"^\d{4}-\d{2}$")


def _export(records: list, **options: object) -> tuple[bytes, object]:
    out = io.BytesIO()
    result = build_workbook(
        out, reports=lambda: iter(records), survey=lambda: iter(()), skp_definition=SKP, caseworker_definition=CW,
        options=ExportOptions(Pseudonymizer.keyed(b"k" * 32), datetime(2026, 12, 7, tzinfo=UTC), **options),
    )
    return out.getvalue(), result


def _frame(data: bytes, sheet: str, columns: int | None = None) -> pd.DataFrame:
    """A sheet as a DataFrame (only its first ``columns`` columns, if given)."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    header = next(book[sheet].iter_rows(values_only=True))
    width = columns or len(header)
    rows = [row[:width] for row in book[sheet].iter_rows(min_row=2, max_col=width, values_only=True)]
    frame = pd.DataFrame(rows, columns=list(header[:width]))
    frame.attrs["header"] = list(header)
    return frame


def _matching(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """For every row, how many rows agree on every column (a suppressed value agrees with anything).

    Counted once per distinct combination, with pandas masks over the distinct combinations
    weighted by how many rows have each."""
    combos = frame[columns].astype(object).where(frame[columns].notna(), "<tom>")
    distinct = combos.value_counts(dropna=False).reset_index(name="rows")
    wild = {c: distinct[c].isin(MARKERS) for c in columns}
    found = {}
    for combo in distinct.itertuples(index=False):
        mask = pd.Series(True, index=distinct.index)
        for c, value in zip(columns, combo, strict=False):
            if value not in MARKERS:
                mask &= distinct[c].eq(value) | wild[c]
        found[tuple(combo[:len(columns)])] = int(distinct.loc[mask, "rows"].sum())
    return pd.Series([found[tuple(row)] for row in combos.itertuples(index=False)], index=frame.index)


def _about(data: bytes) -> list[tuple[str, str]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [(str(a), str(b)) for a, b in book["Om udtrækket"].iter_rows(min_row=2, values_only=True)]


SIZES = [(60, 3), (600, 10), (6000, 25)]


@pytest.fixture(scope="module", params=SIZES, ids=[f"{n}-courses" for n, _ in SIZES])
def exported(request: pytest.FixtureRequest) -> dict[str, object]:
    n, municipalities = request.param
    records = courses(n, municipalities=municipalities)
    data, result = _export(records)
    return {"n": n, "records": records, "data": data, "result": result, "courses": _frame(data, "Forløb")}


def test_the_seeded_data_are_risky_before_protection(exported: dict) -> None:
    """Raw municipality, gender, age band and contact-start month single out courses."""
    first = {}
    for r in exported["records"]:
        first.setdefault(r.course_id, r)
    raw = pd.DataFrame([{"kommune": r.municipality, "q3": r.answers.get("q3"), "q4": r.answers.get("q4"),
                         "start": r.contact_start} for r in first.values()])
    sizes = raw.groupby(list(raw.columns), dropna=False).size()
    assert sizes.min() == 1


def test_every_course_matches_at_least_k_courses_on_the_quasi_identifiers(exported: dict) -> None:
    frame = exported["courses"]
    assert len(frame) == exported["n"]
    counts = _matching(frame, QUASI)
    assert counts.min() >= DECLARATION["k"]
    disclosure = exported["result"].disclosure
    assert disclosure["k"] == counts.min()  # the file reports what an independent count finds
    suppressed = int(sum(frame[c].isin(MARKERS).sum() for c in QUASI))
    assert disclosure["suppressed_values"] == suppressed
    about = dict(_about(exported["data"]))
    assert f"Opnået k = {counts.min()}" in " ".join(text for key, text in _about(exported["data"])
                                                   if key == "Kvasi-identifikatorer")
    assert "Anonymiseret" in about["Udtrækstype"]
    print(f"\n{exported['n']} courses: k = {counts.min()}, suppressed values = {suppressed} "
          f"({suppressed / (len(frame) * len(QUASI)):.1%}), courses touched = {disclosure['suppressed_courses']}, "
          f"levels = {disclosure['levels']}")


def test_no_other_sheet_holds_a_quasi_identifier_more_precisely(exported: dict) -> None:
    data = exported["data"]
    reports = _frame(data, "Indberetninger", columns=3)
    header = reports.attrs["header"]
    assert not [c for c in header if c.split("_")[0] in SOURCES or c in ("klient", "medarbejder", "maaned")]
    released = exported["courses"].set_index("forloeb")
    per_course = reports.groupby("forloeb")[["kommune", "forloeb_nr"]].nunique()
    assert (per_course <= 1).all().all()
    joined = reports.drop_duplicates("forloeb").set_index("forloeb")
    assert (joined["kommune"] == released.loc[joined.index, "kommune"]).all()
    assert (joined["forloeb_nr"] == released.loc[joined.index, "forloeb_nr"]).all()
    forloeb = exported["courses"]
    assert not [c for c in forloeb.columns if c.split("_")[0] in SOURCES or c in ("klient", "medarbejder")]
    scales = _frame(data, "Skalaer")
    assert scales.loc[scales["kilde"] == "indberetning", "person"].isna().all()
    for frame in (reports, forloeb, scales):
        text = frame.select_dtypes(include=["object", "str"]).astype(str)
        assert not text.apply(lambda col: col.str.fullmatch(CALENDAR.pattern)).any().any()


def test_a_selection_smaller_than_k_withholds_the_client_rows_and_says_why() -> None:
    records = courses(3, municipalities=1)
    data, result = _export(records)
    assert result.disclosure["reached"] is False
    assert result.row_counts["Indberetninger"] == 0 and result.row_counts["Forløb"] == 0
    lines = " ".join(text for key, text in _about(data) if key == "Kvasi-identifikatorer")
    assert "færre end k = 5" in lines and "udeladt" in lines


def test_the_pre_pass_reads_its_own_source_and_the_reports_once() -> None:
    records = courses(20, municipalities=2)
    calls: list[str] = []

    def reports():  # type: ignore[no-untyped-def]
        calls.append("reports")
        return iter(records)

    def thin():  # type: ignore[no-untyped-def]
        calls.append("quasi")
        return iter(records)

    build_workbook(io.BytesIO(), reports=reports, survey=lambda: iter(()), skp_definition=SKP,
                   caseworker_definition=CW, quasi_reports=thin,
                   options=ExportOptions(Pseudonymizer.keyed(b"k" * 32), datetime(2026, 12, 7, tzinfo=UTC)))
    assert calls == ["quasi", "reports"]


def test_pseudonymised_microdata_need_a_recipient_and_never_say_anonymous() -> None:
    records = courses(12, municipalities=2)
    with pytest.raises(ValueError):
        ExportOptions(Pseudonymizer.keyed(b"k" * 32), datetime(2026, 12, 7, tzinfo=UTC), mode="pseudonymised")
    data, result = _export(records, mode="pseudonymised", legal_basis="Databehandleraftale 12/2026",
                           recipient="Evaluator A")
    assert result.disclosure is None
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for cell in row:
                assert "anonym" not in str(cell).lower(), (sheet.title, cell)
    about = dict(_about(data))
    assert about["Modtager"] == "Evaluator A" and about["Hjemmel"] == "Databehandleraftale 12/2026"


def _survey(users: int, unit: int) -> list:
    from datetime import date

    from exports.workbook import SurveyRecord

    answers = {"b1": 4, "b2": 4, "b3": 3, "b4": 4, "b5": 2, "b6": 5}
    return [SurveyRecord(user, unit, "Esbjerg", 1, "baseline", date(2026, 1, 1), answers, 1)
            for user in range(1, users + 1)]


@pytest.mark.parametrize(("users", "named"), [(4, False), (5, True)])
def test_a_caseworker_unit_is_named_only_with_at_least_five_respondents(users: int, named: bool) -> None:
    records = courses(12, municipalities=1)
    out = io.BytesIO()
    build_workbook(out, reports=lambda: iter(records), survey=lambda: iter(_survey(users, 7)), skp_definition=SKP,
                   caseworker_definition=CW,
                   options=ExportOptions(Pseudonymizer.keyed(b"k" * 32), datetime(2026, 12, 7, tzinfo=UTC)))
    units = set(_frame(out.getvalue(), "Sagsbehandlere", columns=3)["enhed"])
    assert (units != {None}) == named and len(units) == 1
