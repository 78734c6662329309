"""exports.xlsx: every file is read back with openpyxl and must hold exactly the cells written."""

from __future__ import annotations

import enum
import hashlib
import io
import re
import threading
import tracemalloc
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exports.xlsx import MAX_EXACT_INTEGER, Workbook, check_sheet_name, column_letter, safe_sheet_name


class WriteOnly:
    """An unseekable output (like an HTTP response body): only write()."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


class Discard:
    """Counts bytes and keeps none, so memory measurements see only the writer."""

    def __init__(self) -> None:
        self.count = 0

    def write(self, data: bytes) -> int:
        self.count += len(data)
        return len(data)


def build(sheets: dict[str, tuple[list[str] | None, list[list[object]]]], **options: object) -> bytes:
    out = io.BytesIO()
    with Workbook(out, **options) as wb:
        for name, (header, rows) in sheets.items():
            wb.add_sheet(name, header)
            for row in rows:
                wb.write_row(row)
    return out.getvalue()


def read(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def cells(ws) -> list[list[object]]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def sheet_xml(data: bytes, index: int = 1) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8")


def test_numbers_text_booleans_and_empty_cells_read_back_exactly():
    rows = [
        ["K7F3A9C2D1", 0, 77, None, 3.25, True],
        ["Æble, øl & å <tag> \"citat\" 'x'", -12, MAX_EXACT_INTEGER, 1e-05, -0.5, False],
        [None, None, 1, None, None, None],
    ]
    wb = read(build({"Indberetninger": (["klient", "a", "b", "c", "d", "e"], rows)}))
    ws = wb["Indberetninger"]
    assert cells(ws) == [["klient", "a", "b", "c", "d", "e"], *rows]
    types = [[c.data_type for c in row] for row in ws.iter_rows(min_row=2, max_row=2)]
    assert types == [["s", "n", "n", "n", "n", "b"]]
    assert isinstance(ws["B2"].value, int) and isinstance(ws["E2"].value, float)


@pytest.mark.parametrize(
    "text",
    ["=SUM(A1:A9)", "=1+1", "+45 12 34 56 78", "-3 dage", "@mødested", "\tindrykket", "\rstart", "＝HYPERLINK(1)",
     '=HYPERLINK("http://x","klik")', "=cmd|' /C calc'!A0"],
)
def test_formula_looking_text_stays_a_literal_string(text):
    data = build({"Ark": (["tekst"], [[text]])})
    cell = read(data)["Ark"]["A2"]
    assert cell.value == text
    assert cell.data_type == "s"
    assert cell.quotePrefix is True  # Excel keeps it text even when a user edits the cell
    assert "<f>" not in sheet_xml(data) and "<f " not in sheet_xml(data)


def test_ordinary_text_gets_no_quote_prefix():
    cell = read(build({"Ark": (None, [["Esbjerg 2009"]])}))["Ark"]["A1"]
    assert cell.value == "Esbjerg 2009" and cell.quotePrefix is False


def test_whitespace_newlines_and_carriage_returns_survive():
    texts = ["  to mellemrum foran", "bagved  ", "linje 1\nlinje 2", "crlf\r\nslut", "\n", "tab\tinde"]
    ws = read(build({"Ark": (None, [texts])}))["Ark"]
    assert cells(ws) == [texts]


def test_text_that_looks_like_an_excel_escape_is_kept_literally():
    texts = ["_x0041_", "før _x000D_ efter", "_X00e6_"]
    data = build({"Ark": (None, [texts])})
    assert cells(read(data)["Ark"]) == [texts]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        shared = zf.read("xl/sharedStrings.xml").decode()
    assert "_x005F_x0041_" in shared  # escaped the way Excel expects, so Excel does not show "A"


def test_non_bmp_and_danish_characters_round_trip():
    text = "Brugeren åbnede døren 😀 – ÆØÅ"
    assert cells(read(build({"Ark": (None, [[text]])}))["Ark"]) == [[text]]


def test_xml_illegal_control_characters_are_stripped_and_counted():
    out = io.BytesIO()
    with Workbook(out) as wb:
        wb.add_sheet("Ark")
        wb.write_row(["a\x00b\x01c\x1fd\ufffe", "\ud800ok"])
    assert wb.stripped_characters == 5
    assert cells(read(out.getvalue())["Ark"]) == [["abcd", "ok"]]


def test_texts_repeated_down_a_column_come_back_the_same_in_every_row():
    texts = ["K7QX2MZ0AB", "=1+1", "_x0041_", "bell\x07", "  luft ", "2024-05", "x" * 200]
    out = io.BytesIO()
    with Workbook(out) as wb:
        wb.add_sheet("Ark")
        for _ in range(3):
            wb.write_row(texts)
    assert wb.stripped_characters == 3  # counted in every cell, not once per distinct text
    ws = read(out.getvalue())["Ark"]
    expected = [t.replace("\x07", "") for t in texts]
    assert cells(ws) == [expected] * 3
    assert all(ws.cell(row, 2).quotePrefix for row in (1, 2, 3))


def test_xml_illegal_control_characters_can_be_refused():
    with Workbook(io.BytesIO(), illegal_chars="refuse") as wb:
        wb.add_sheet("Ark")
        wb.write_row(["fint"])
        with pytest.raises(ValueError, match="XML"):
            wb.write_row(["bell\x07"])


def test_empty_string_is_an_empty_cell():
    ws = read(build({"Ark": (None, [["", 1]])}))["Ark"]
    assert ws["A1"].value is None and ws["B1"].value == 1


def test_int_and_str_subclasses_are_written_as_their_base_type():
    class Kode(enum.IntEnum):
        JA = 1

    class Tekst(str):
        pass

    ws = read(build({"Ark": (None, [[Kode.JA, Tekst("=x")]])}))["Ark"]
    assert (ws["A1"].value, ws["A1"].data_type) == (1, "n")
    assert (ws["B1"].value, ws["B1"].data_type) == ("=x", "s")


@pytest.mark.parametrize(
    ("value", "error"),
    [(date(2009, 4, 1), TypeError), (b"bytes", TypeError), (float("nan"), ValueError), (float("inf"), ValueError),
     (MAX_EXACT_INTEGER + 1, ValueError), (-MAX_EXACT_INTEGER - 1, ValueError)],
)
def test_values_that_cannot_be_written_exactly_are_refused(value, error):
    with Workbook(io.BytesIO()) as wb:
        wb.add_sheet("Ark")
        with pytest.raises(error):
            wb.write_row([value])


def test_a_refused_row_leaves_no_trace():
    out = io.BytesIO()
    with Workbook(out) as wb:
        wb.add_sheet("Ark", ["a", "b"])
        wb.write_row([1, 2])
        with pytest.raises(TypeError):
            wb.write_row([3, date(2009, 1, 1)])
        wb.write_row([5, 6])
    assert wb.row_counts == {"Ark": 2}
    assert cells(read(out.getvalue())["Ark"]) == [["a", "b"], [1, 2], [5, 6]]


def test_sheets_come_in_order_with_frozen_bold_headers_and_row_counts():
    out = io.BytesIO()
    with Workbook(out) as wb:
        wb.add_sheet("Indberetninger", ["klient", "periode"])
        wb.write_rows([["K1", "2009-01"], ["K2", "2009-02"]])
        wb.add_sheet("Skalaer", ["skala"])
        wb.add_sheet("Om udtrækket")
        wb.write_row(["Rækker", 2])
    assert wb.row_counts == {"Indberetninger": 2, "Skalaer": 0, "Om udtrækket": 1}
    book = read(out.getvalue())
    assert book.sheetnames == ["Indberetninger", "Skalaer", "Om udtrækket"]
    ws = book["Indberetninger"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b is True and ws["A2"].font.b is False
    assert cells(ws) == [["klient", "periode"], ["K1", "2009-01"], ["K2", "2009-02"]]
    assert cells(book["Om udtrækket"]) == [["Rækker", 2]]


def test_wide_rows_use_the_right_column_letters():
    row = list(range(800))
    ws = read(build({"Ark": (None, [row])}))["Ark"]
    assert ws["A1"].value == 0 and ws["Z1"].value == 25 and ws["AA1"].value == 26 and ws["ADT1"].value == 799


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA"),
                                                (16383, "XFD")])
def test_column_letters(index, letters):
    assert column_letter(index) == letters


def test_unseekable_stream_gets_a_valid_file_and_the_hash_of_exactly_those_bytes():
    sink = WriteOnly()
    with Workbook(sink) as wb:
        wb.add_sheet("Ark", ["a"])
        wb.write_row([1])
    data = sink.data
    assert wb.sha256 == hashlib.sha256(data).hexdigest()
    assert wb.bytes_written == len(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
    assert cells(read(data)["Ark"]) == [["a"], [1]]


def test_output_is_deterministic_and_carries_no_timestamps():
    sheets = {"Ark": (["a", "b"], [[1, "x"], [2, "=y"]])}
    first, second = build(sheets), build(sheets)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
    assert "SKP-indberetning" in core and "dcterms:created" not in core


class _FullDisk(io.RawIOBase):
    """A stream that takes ``room`` bytes and then fails like a full disk."""

    def __init__(self, room: int) -> None:
        self.room = room

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[no-untyped-def, override]
        if len(data) > self.room:
            raise OSError(28, "No space left on device")
        self.room -= len(data)
        return len(data)


def _deflate_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "xlsx-deflate"]


def test_a_failing_target_stops_the_export_with_its_error_and_leaves_no_thread():
    rows = [[i, f"tekst {i}", -999, 7.5] * 40 for i in range(20_000)]  # well beyond the 40 kB of room
    with pytest.raises(OSError, match="No space"), Workbook(_FullDisk(40_000)) as wb:
        wb.add_sheet("Ark")
        for row in rows:
            wb.write_row(row)
    assert _deflate_threads() == []


def test_the_sheet_is_deflated_beside_the_caller_and_the_bytes_come_out_the_same_every_time():
    rows = [[i, "K" + str(i % 97), -999, None, 3] * 30 for i in range(5000)]
    out = io.BytesIO()
    with Workbook(out) as wb:
        wb.add_sheet("Ark")
        wb.write_row(rows[0])
        assert len(_deflate_threads()) == 1  # the open sheet's entry is written on its own thread
        for row in rows[1:]:
            wb.write_row(row)
    assert _deflate_threads() == []
    assert cells(read(out.getvalue())["Ark"]) == [[v for v in row] for row in rows]
    assert build({"Ark": (None, rows)}) == out.getvalue()


def test_path_target_is_written_and_removed_when_the_export_fails(tmp_path: Path):
    good = tmp_path / "ok.xlsx"
    with Workbook(good) as wb:
        wb.add_sheet("Ark")
        wb.write_row([1])
    assert wb.sha256 == hashlib.sha256(good.read_bytes()).hexdigest()
    assert cells(openpyxl.load_workbook(good)["Ark"]) == [[1]]

    bad = tmp_path / "afbrudt.xlsx"
    with pytest.raises(RuntimeError, match="databasen"), Workbook(bad) as wb:
        wb.add_sheet("Ark")
        wb.write_row([1])
        raise RuntimeError("databasen forsvandt")
    assert not bad.exists()


def test_misuse_is_refused():
    wb = Workbook(io.BytesIO())
    with pytest.raises(RuntimeError, match="add_sheet"):
        wb.write_row([1])
    wb.add_sheet("Ark", ["a", "b"])
    with pytest.raises(ValueError, match="columns"):
        wb.write_row([1, 2, 3])
    with pytest.raises(TypeError):
        wb.add_sheet("Andet", ["a", 2])  # type: ignore[list-item]
    wb.close()
    with pytest.raises(RuntimeError, match="closed"):
        wb.add_sheet("Sent")
    with pytest.raises(ValueError, match="at least one sheet"):
        Workbook(io.BytesIO()).close()


@pytest.mark.parametrize("name", ["Om udtrækket", "Indberetninger", "Kodebog", "x" * 31, "Skalaer (bølge 1)"])
def test_valid_danish_sheet_names_are_accepted(name):
    assert check_sheet_name(name) == name
    assert read(build({name: (None, [[1]])})).sheetnames == [name]


@pytest.mark.parametrize("name", ["", "x" * 32, "a/b", "a\\b", "a:b", "a*b", "a?b", "[a]", "'citat'", "History",
                                  "ny\nlinje"])
def test_invalid_sheet_names_are_refused(name):
    with pytest.raises(ValueError):
        check_sheet_name(name)


def test_sheet_names_must_be_unique_ignoring_case_including_danish_letters():
    with pytest.raises(ValueError, match="already used"):
        check_sheet_name("ÆBLE", ["æble"])
    wb = Workbook(io.BytesIO())
    wb.add_sheet("Skalaer")
    with pytest.raises(ValueError, match="already used"):
        wb.add_sheet("SKALAER")
    wb.abort()


def test_safe_sheet_name_makes_a_valid_unique_name():
    name = safe_sheet_name("Enhed: Vest/Øst [2009]*", existing=[])
    assert check_sheet_name(name) == name
    long = safe_sheet_name("x" * 40, existing=["x" * 31])
    assert len(long) <= 31 and long.endswith("(2)")
    assert safe_sheet_name("history") != "history"


def test_memory_stays_flat_while_rows_stream(tmp_path: Path):
    """Constant memory: Python allocations stay far below the size of the sheet XML written."""
    row = [i % 10 for i in range(150)] + ["K7F3A9C2D1", "2009-04"]
    tracemalloc.start()
    try:
        with Workbook(Discard()) as wb:
            wb.add_sheet("Ark", [f"q{i}" for i in range(152)])
            for _ in range(3000):
                wb.write_row(row)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 3000 rows x ~3.2 KB of XML = ~10 MB written; the writer holds at most one 256k-character buffer.
    assert peak < 4 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_sheet_xml_uses_inline_strings_not_formulas():
    xml = sheet_xml(build({"Ark": (None, [["=1+2", 3]])}))
    assert re.search(r'<c r="A1" s="1" t="inlineStr"><is><t>=1\+2</t></is></c>', xml)
    assert '<c r="B1"><v>3</v></c>' in xml


def test_package_structure_is_consistent():
    """Every part is well-formed XML, declared in [Content_Types].xml and reachable from the rels."""
    import xml.etree.ElementTree as ET

    data = build({"Indberetninger": (["a"], [["_x0041_"]]), "Om udtrækket": (None, [["b"]])})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        parts = {name: ET.fromstring(zf.read(name)) for name in names}  # noqa: S314 - our own output
    ns_ct = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    types = parts["[Content_Types].xml"]
    overrides = {o.get("PartName").lstrip("/") for o in types.iter(f"{ns_ct}Override")}
    defaults = {d.get("Extension") for d in types.iter(f"{ns_ct}Default")}
    assert {"xml", "rels"} <= defaults
    assert overrides == {n for n in names if n.endswith(".xml") and n != "[Content_Types].xml"}
    ns_rel = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    targets = {r.get("Target") for r in parts["_rels/.rels"].iter(f"{ns_rel}Relationship")}
    targets |= {"xl/" + r.get("Target") for r in parts["xl/_rels/workbook.xml.rels"].iter(f"{ns_rel}Relationship")}
    assert targets == {n for n in names if not n.endswith(".rels") and n != "[Content_Types].xml"}


_XML_SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff"), max_size=40
).map(lambda s: "".join(ch for ch in s if ch in "\t\n\r" or ord(ch) >= 0x20))
_VALUE = st.one_of(
    st.none(),
    st.integers(-MAX_EXACT_INTEGER, MAX_EXACT_INTEGER),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    # openpyxl itself drops every "x005F_" when it reads shared strings, so that one pattern cannot round-trip.
    _XML_SAFE_TEXT.filter(lambda s: "x005F_" not in s),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_VALUE, min_size=1, max_size=6), min_size=1, max_size=5))
def test_any_cell_values_round_trip_exactly(rows):
    ws = read(build({"Ark": (None, rows)}))["Ark"]
    width = max(len(r) for r in rows)
    got = [[ws.cell(row=i + 1, column=j + 1) for j in range(width)] for i in range(len(rows))]
    for row, cells_ in zip(rows, got, strict=True):
        for value, cell in zip(row, cells_, strict=False):
            expected = None if value == "" else value
            assert cell.value == expected and type(cell.value) is type(expected)
            if isinstance(value, str) and value:
                assert cell.data_type == "s"
