"""SPSS .sav, Stata .dta and CSV files: the workbook's own rows, labelled, missing codes declared, k ≥ 5.

Built from the seeded, skewed courses of tests/exports/skewed.py (60, 600 and 6,000 courses) with
the workbook and the statistics files in one pass. Read back with pyreadstat (the writer's own
library), with pandas.read_stata (pandas' own .dta parser) and, for .sav, with pyspssio (IBM's
SPSS Statistics I/O module, the library SPSS itself uses; skipped where it is not installed).
k is measured on every file by the counting of test_disclosure (pandas masks over the released
values, a suppressed value agreeing with anything), not by exports.disclosure.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from skewed import SKP, courses
from test_disclosure import MARKERS, QUASI, _frame, _matching

import forms
from exports.pseudonyms import Pseudonymizer
from exports.statistics import StatisticsFiles, short_label
from exports.workbook import ExportOptions, SurveyRecord, build_workbook

CW = forms.get_definition("caseworker")
SIZES = [(60, 3), (600, 10), (6000, 25)]


def _build(records: list, survey: list | None = None, **options: object) -> tuple[bytes, dict[str, bytes]]:
    """The workbook and the statistics files (name → bytes) of one export."""
    out, archive = io.BytesIO(), io.BytesIO()
    with StatisticsFiles() as statistics:
        build_workbook(out, reports=lambda: iter(records), survey=lambda: iter(survey or ()), skp_definition=SKP,
                       caseworker_definition=CW,
                       options=ExportOptions(Pseudonymizer.keyed(b"k" * 32), datetime(2026, 12, 7, tzinfo=UTC),
                                             statistics=statistics, **options))
        with zipfile.ZipFile(archive, "w") as z:
            statistics.write(z)
    with zipfile.ZipFile(archive) as z:
        files = {name: z.read(name) for name in z.namelist()}
    return out.getvalue(), files


def _save(tmp: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    return tmp


@pytest.fixture(scope="module", params=SIZES, ids=[f"{n}-courses" for n, _ in SIZES])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    n, municipalities = request.param
    workbook, files = _build(courses(n, municipalities=municipalities))
    return {"n": n, "workbook": workbook, "dir": _save(tmp_path_factory.mktemp(f"stats{n}"), files)}


def _readers(folder: Path, stem: str) -> dict[str, pd.DataFrame]:
    """The sheet as read by every reader (missing codes as values, so suppression stays visible)."""
    frames = {
        "sav/pyreadstat": pyreadstat.read_sav(folder / f"{stem}.sav", user_missing=True)[0],
        "dta/pandas": pd.read_stata(folder / f"{stem}.dta", convert_categoricals=False, convert_missing=True),
        "csv": pd.read_csv(folder / f"{stem}.csv", keep_default_na=False, na_values=[""], dtype=str),
    }
    dta = frames["dta/pandas"]
    letters = _stata_codes(folder, stem)
    for column in dta.columns:  # Stata's extended missing values back to their codes, as the codebook says
        if dta[column].dtype == object:
            dta[column] = [letters[column].get(v.string, math.nan) if isinstance(v, pd.io.stata.StataMissingValue)
                           else v for v in dta[column]]
    return frames


def _stata_codes(folder: Path, stem: str) -> dict[str, dict[str, int]]:
    """Per variable, Stata's extended missing value → the code (from kodebog.csv, ".a = -999, .c = 77")."""
    out: dict[str, dict[str, int]] = {}
    for row in csv.DictReader((folder / "kodebog.csv").open(encoding="utf-8")):
        if row["Fil"] == stem:
            pairs = [p.split(" = ") for p in row["Stata manglende"].split(", ") if p]
            out[row["Variabel"]] = {letter: int(code) for letter, code in pairs}
    return out


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as text (numbers without .0), so that every reader's frame compares alike."""
    def text(v: object) -> object:
        if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, str) and v.endswith(".0") and v[:-2].lstrip("-").isdigit():
            return v[:-2]
        return str(v)
    return frame.map(text)


def test_every_file_is_k_anonymous_on_the_quasi_identifiers(exported: dict) -> None:
    markers = MARKERS | {"-888"}
    for reader, frame in _readers(exported["dir"], "forloeb").items():
        assert len(frame) == exported["n"], reader
        released = _normalise(frame[QUASI])
        counts = _matching_with(released, markers)
        assert counts.min() >= 5, (reader, counts.min())


def _matching_with(frame: pd.DataFrame, markers: set) -> pd.Series:
    import test_disclosure

    saved = test_disclosure.MARKERS
    test_disclosure.MARKERS = markers
    try:
        return _matching(frame, list(frame.columns))
    finally:
        test_disclosure.MARKERS = saved


def test_the_files_hold_the_workbook_rows(exported: dict) -> None:
    sheet = _frame(exported["workbook"], "Forløb")
    months = {c for c in sheet.columns if sheet[c].astype(str).str.fullmatch(r"\d{4}-\d{2}").any()}
    expected = _normalise(sheet.drop(columns=list(months)))
    for reader, frame in _readers(exported["dir"], "forloeb").items():
        got = _normalise(frame[expected.columns])
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True),
                                      check_dtype=False, obj=reader)


def test_labels_value_labels_and_missing_declarations(exported: dict) -> None:
    folder = exported["dir"]
    frame, meta = pyreadstat.read_sav(folder / "indberetninger.sav", user_missing=True)
    labels = meta.column_names_to_labels
    assert all(len((label or "").encode()) <= 80 for label in labels.values())
    # value labels from the codebook; every -999 and 77 in the data is a declared missing value
    item = "q20_1"
    assert meta.variable_value_labels[item][77.0] == "Ved ikke"
    declared = {c: {r["lo"] for r in ranges} for c, ranges in meta.missing_ranges.items()}
    assert {-999.0, 77.0} <= declared[item]
    with_na = [c for c in frame.columns if frame[c].dtype.kind == "f" and (frame[c] == -999).any()]
    assert with_na and all(-999.0 in declared.get(c, ()) for c in with_na)
    dta, dmeta = pyreadstat.read_dta(folder / "indberetninger.dta", user_missing=True)
    assert all(set(dmeta.missing_user_values.get(c, ())) >= {"a"} for c in with_na)
    assert all(len((label or "").encode()) <= 80 for label in dmeta.column_labels)
    assert dmeta.variable_value_labels[item][1.0]
    assert all((dta[c] == "a").sum() == (frame[c] == -999).sum() for c in with_na)
    assert all((dta[c] == "c").sum() == (frame[c] == 77).sum() for c in ("q20_1", "q20_2"))
    stata = pd.io.stata.StataReader(folder / "indberetninger.dta")
    with stata:
        variable_labels = stata.variable_labels()
        value_labels = stata.value_labels()
    assert variable_labels[item] == dmeta.column_names_to_labels[item] and value_labels
    # the quasi-identifiers: -888 declared in both
    course, cmeta = pyreadstat.read_sav(folder / "forloeb.sav", user_missing=True)
    assert cmeta.variable_value_labels["alder"][-888.0].startswith("Undertrykt")
    codebook = list(csv.DictReader((folder / "kodebog.csv").open(encoding="utf-8")))
    long = [r for r in codebook if len(r["Beskrivelse"].encode()) > 80]
    assert long and all(r["Kort etiket"].endswith("…") for r in long)
    assert {r["Fil"] for r in codebook} >= {"indberetninger", "forloeb", "parret", "skalaer", "reliabilitet"}


def test_a_second_sav_reader_opens_the_files(exported: dict) -> None:
    pyspssio = pytest.importorskip("pyspssio")
    folder = exported["dir"]
    for stem in ("forloeb", "indberetninger", "parret", "skalaer"):
        frame, meta = pyspssio.read_sav(str(folder / f"{stem}.sav"))
        ours, _ = pyreadstat.read_sav(folder / f"{stem}.sav", user_missing=True)
        assert frame.shape == ours.shape, stem
        assert meta["var_labels"] == {k: v for k, v in _.column_names_to_labels.items() if v}, stem
    _, meta = pyspssio.read_sav(str(folder / "indberetninger.sav"))
    assert -999.0 in meta["var_missing_values"]["q20_1"]["values"]
    assert meta["var_value_labels"]["q20_1"][77.0] == "Ved ikke"


def test_dates_are_one_type_per_column_in_pseudonymised_microdata(tmp_path: Path) -> None:
    _, files = _build(courses(60, municipalities=3), mode="pseudonymised", legal_basis="Aftale 1", recipient="E. Val",
                      date_mode="year_month")
    folder = _save(tmp_path, files)
    frame, meta = pyreadstat.read_sav(folder / "indberetninger.sav", user_missing=True)
    for column in ("maaned", "q15_dato", "q17_dato"):
        assert frame[column].dtype.kind == "f", column
        values = frame[column].dropna()
        months = values[values != -999]
        assert ((months > 200000) & (months < 210000) & (months % 100 >= 1) & (months % 100 <= 12)).all()
    stata = pd.read_stata(folder / "indberetninger.dta", convert_categoricals=False)
    assert stata["q15_dato"].dtype.kind == "f"
    assert "kontaktstart_maaned" in pd.read_csv(folder / "forloeb.csv").select_dtypes("number").columns
    about = (folder / "om_udtraekket.csv").read_text("utf-8")
    assert "ÅÅÅÅMM" in about and "anonym" not in about.lower()  # pseudonymised microdata never say so


def test_the_paired_sheet_has_the_scale_scores_side_by_side(tmp_path: Path) -> None:
    workbook, files = _build(courses(600, municipalities=10))
    scales = _frame(workbook, "Skalaer")
    paired = _frame(workbook, "Parret")
    assert len(paired) == 600 and paired["forloeb"].is_unique
    scores = scales[scales["kilde"] == "indberetning"]
    for row in scores.sample(200, random_state=1).itertuples():
        course = paired[paired["forloeb"] == row.forloeb].iloc[0]
        if row.maaling == "indskrivning":
            assert course[f"{row.skala}_indskr"] == row.score
        if row.maaling == "afslutning":
            assert course[f"{row.skala}_afsl"] == row.score
        if row.maaling == "periodisk":  # tidspunkt = months since contact start in the anonymised export
            assert course[f"{row.skala}_m{row.tidspunkt}"] == row.score
    intake = [c for c in paired.columns if c.endswith("_indskr")]
    assert paired[intake].notna().any().all() and any(c.endswith("_m4") for c in paired.columns)
    folder = _save(tmp_path, files)
    sav, _ = pyreadstat.read_sav(folder / "parret.sav")
    assert list(sav.columns) == list(paired.columns) and len(sav) == 600


def _caseworkers() -> list[SurveyRecord]:
    answers = {"b1": 4, "b2": 4, "b3": 3, "b4": 4, "b5": 2, "b6": 5}
    out = []
    for user in range(1, 13):
        out.append(SurveyRecord(user, 7, "Esbjerg", 1, "baseline", date(2025, 3, 1), answers, 1))
        if user <= 4:  # a second baseline wave for four of them
            out.append(SurveyRecord(user, 7, "Esbjerg", 2, "baseline", date(2025, 9, 1), {**answers, "b1": 2}, 1))
        out.append(SurveyRecord(user, 7, "Esbjerg", 3, "followup", date(2026, 3, 1), answers, 1))
    return out


def test_caseworker_sheets_hold_the_same_responses_and_say_so() -> None:
    workbook, _ = _build(courses(60, municipalities=3), _caseworkers())
    wide = _frame(workbook, "Sagsbehandlere")
    scales = _frame(workbook, "Skalaer")
    alpha = _frame(workbook, "Reliabilitet")
    rows = scales[scales["kilde"] == "sagsbehandler"]
    assert len(wide) == 12 and len(rows) == 24  # one baseline and one follow-up each, not 28 responses
    assert sorted(rows["tidspunkt"][rows["maaling"] == "baseline"].unique()) == ["2025-03", "2025-09"]
    assert (wide["bl_maaned"] == "2025-09").sum() == 4
    baseline = alpha[(alpha["skala"] == "sagsbehandler_koordinering") & (alpha["maaling"] == "baseline")]
    assert int(baseline["n"].iloc[0]) == 12
    book_about = _about(workbook)
    assert any("4 tidligere besvarelser" in text for _, text in book_about)
    assert any(topic == "Filtre, der ikke gælder alle ark" for topic, _ in book_about)


def test_month_filters_are_stated_where_they_do_not_apply() -> None:
    workbook, _ = _build(courses(60, municipalities=3), filters={"Fra måned": "2025-01", "Til måned": "Ingen grænse"})
    text = " ".join(t for topic, t in _about(workbook) if topic == "Filtre, der ikke gælder alle ark")
    assert "Fra måned gælder kun indberetningerne" in text and "Sagsbehandlere" in text


def _about(workbook: bytes) -> list[tuple[str, str]]:
    from test_disclosure import _about as about

    return about(workbook)


def test_short_labels_fit_stata() -> None:
    assert short_label("kort") == "kort"
    long = "Hvor mange gange har du været i kontakt med borgerens pårørende om boligen i løbet af måneden " * 2
    cut = short_label(long)
    assert len(cut.encode()) <= 80 and cut.endswith("…") and long.startswith(cut[:-1].rstrip())
