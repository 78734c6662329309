"""SPSS .sav, Stata .dta and CSV files of the evaluators' export, from the workbook's own rows.

Not a second pipeline: :class:`StatisticsFiles` wraps the workbook writer (:meth:`StatisticsFiles.tee`)
and keeps a copy of every row of the data sheets as :func:`exports.workbook.build_workbook` writes
it, after anonymisation and disclosure control, in compressed spools; :meth:`StatisticsFiles.write`
then turns each sheet into a file per format with the codebook's labels. What the workbook holds,
the statistics files hold, cell for cell, apart from the conversions below.

Conversions (the same for .sav, .dta and .csv: one table per sheet, written three ways)
--------------------------------------------------------------------------------------
* **Months are numbers** ``yyyymm`` (``2025-03`` → 202503): a column holding ``YYYY-MM`` texts
  (with ``'-999'``, the workbook's text for not applicable in a month column, or the suppression
  marker beside them) becomes numeric with -999 and -888, so every column has one type.
  Generalised periods (``2025-H1``, ``2025``) stay text. The month columns of the anonymised
  export are already months since contact start (integers).
* **Text columns** hold text only (a number in a text column, such as -999 in a free-text
  column, becomes its digits); an empty cell is an empty string. The suppression marker ``*`` is
  a user-missing value in SPSS.
* **Missing codes**: -999 (not applicable), -888 (suppressed, disclosure control) and each
  column's printed missing codes from the codebook (77 "Ved ikke", "Uoplyst" …) are declared:
  in SPSS as user-missing values (three discrete values, or the range -999…-888 plus one code), in
  Stata as extended missing values :data:`STATA_MISSING` (.a = -999, .b = -888, .c = 77, .d/.e …
  = other printed codes, per column in the codebook), in the CSV as the codes themselves (the
  codebook CSV says which). Empty cells are system-missing.
* **Labels**: variable labels are the codebook's label cut to 80 bytes (Stata's limit; the
  full text is in ``kodebog.csv``); value labels come from the codebook's codes (and name -999,
  -888 and the missing codes in SPSS).
* **CSV**: UTF-8, comma, point decimals, empty = no value; a text starting with ``=``, ``+``,
  ``-``, ``@`` (other than a plain negative number) gets a leading ``'`` so no spreadsheet reads
  it as a formula.

Memory: one sheet at a time is held as a pandas DataFrame (pyreadstat writes whole frames), about
8 bytes per cell (the report sheet at 100k client-months: ~19 M cells).
"""

from __future__ import annotations

import csv
import math
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exports.sheets_common import NOT_APPLICABLE, NOT_APPLICABLE_MONTH, CodebookRow
from exports.spool import RowSpool

__all__ = ["FORMATS", "STATA_MISSING", "STATISTICS_SHEETS", "StatisticsFiles", "short_label"]

#: The formats this module writes (one file per data sheet each).
FORMATS = ("sav", "dta", "csv")
#: Workbook sheet → file stem (ASCII) for the data sheets that become statistics files.
STATISTICS_SHEETS = {
    "Indberetninger": "indberetninger", "Forløb": "forloeb", "Parret": "parret", "Sagsbehandlere": "sagsbehandlere",
    "Skalaer": "skalaer", "Reliabilitet": "reliabilitet",
}
ABOUT_SHEET = "Om udtrækket"
SUPPRESSED_CODE = -888
SUPPRESSED_TEXT = "*"
#: Stata's extended missing values for the fixed codes; other printed missing codes get .d, .e …
STATA_MISSING = {NOT_APPLICABLE: "a", SUPPRESSED_CODE: "b", 77: "c"}
FIXED_MISSING_LABELS = {NOT_APPLICABLE: "Ikke relevant (ikke spurgt)", SUPPRESSED_CODE: "Undertrykt (anonymisering)"}
MAX_LABEL_BYTES = 80
MAX_VALUE_LABEL_BYTES = 120
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_CODE_TEXT = re.compile(r"(-?\d+) = ([^;]+)")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def short_label(text: str, limit: int = MAX_LABEL_BYTES) -> str:
    """``text`` within ``limit`` UTF-8 bytes: whole, or cut at a word with "…" (Stata allows 80)."""
    text = " ".join(text.split())
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len("…".encode())
    cut = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    if " " in cut[len(cut) // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:(-") + "…"


@dataclass
class Column:
    """One converted column: ``kind`` numeric or text, its values, and what the codebook says."""

    name: str
    kind: str
    values: Any
    label: str = ""
    full_label: str = ""
    value_labels: dict[float, str] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)
    months: bool = False
    integer: bool = True


class _Tee:
    """The workbook writer, with every row of a data sheet also kept (see :class:`StatisticsFiles`)."""

    def __init__(self, book: Any, files: StatisticsFiles) -> None:
        self._book = book
        self._files = files

    def add_sheet(self, name: str, header: Sequence[str] | None = None, **kwargs: Any) -> None:
        self._book.add_sheet(name, header, **kwargs)
        self._files._start(name, header)

    def write_row(self, values: Any) -> None:
        row = values if isinstance(values, list) else list(values)
        self._book.write_row(row)
        self._files._row(row)

    def write_rows(self, rows: Iterable[Any]) -> None:
        for row in rows:
            self.write_row(row)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._book, name)


class StatisticsFiles:
    """Keeps the data sheets' rows while the workbook is written; writes .sav/.dta/.csv afterwards.

    Use as a context manager (the spools are temporary files in ``directory``). The workbook
    builder hands over its codebook rows (:attr:`codebook`) before it closes.
    """

    def __init__(self, formats: Iterable[str] = FORMATS, *, directory: str | None = None) -> None:
        self.formats = tuple(f for f in FORMATS if f in set(formats))
        if not self.formats:
            raise ValueError(f"formats must name at least one of {', '.join(FORMATS)}")
        self.directory = directory
        self.headers: dict[str, list[str]] = {}
        self.spools: dict[str, RowSpool] = {}
        self.about: list[list[object]] = []
        self.codebook: list[CodebookRow] = []
        self._current: RowSpool | list[list[object]] | None = None
        self.seconds: dict[str, float] = {}

    def tee(self, book: Any) -> Any:
        return _Tee(book, self)

    def _start(self, name: str, header: Sequence[str] | None) -> None:
        if name in STATISTICS_SHEETS:
            self.headers[name] = list(header or [])
            self._current = self.spools[name] = RowSpool(directory=self.directory)
        elif name == ABOUT_SHEET:
            self._current = self.about
        else:
            self._current = None

    def _row(self, row: list[object]) -> None:
        current = self._current
        if current is None:
            return
        if isinstance(current, list):
            current.append(list(row))
        else:
            current.add(row)

    def close(self) -> None:
        for spool in self.spools.values():
            spool.close()

    def __enter__(self) -> StatisticsFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------

    def write(self, archive: zipfile.ZipFile, *, prefix: str = "") -> list[str]:
        """Write every format of every collected sheet, ``kodebog.csv`` and ``om_udtraekket.csv``
        into ``archive`` (deflated); returns the names written."""
        import time

        written: list[str] = []
        codebook_rows: list[list[object]] = [["Fil", "Ark", "Variabel", "Kort etiket", "Type i filerne",
                                              "SPSS manglende", "Stata manglende", *CodebookRow.header[2:]]]
        with tempfile.TemporaryDirectory(dir=self.directory) as scratch:
            for sheet, stem in STATISTICS_SHEETS.items():
                if sheet not in self.spools:
                    continue
                columns = self._columns(sheet)
                codebook_rows += self._codebook_rows(sheet, stem, columns)
                for fmt in self.formats:
                    started = time.perf_counter()
                    path = Path(scratch) / f"{stem}.{fmt}"
                    {"sav": _write_sav, "dta": _write_dta, "csv": _write_csv}[fmt](path, sheet, columns)
                    archive.write(path, prefix + path.name)
                    path.unlink()
                    written.append(prefix + path.name)
                    self.seconds[fmt] = self.seconds.get(fmt, 0.0) + time.perf_counter() - started
                del columns
            for name, rows in (("kodebog.csv", codebook_rows), ("om_udtraekket.csv", self._about_rows())):
                path = Path(scratch) / name
                with path.open("w", encoding="utf-8", newline="") as handle:
                    out = csv.writer(handle, lineterminator="\n")
                    for row in rows:
                        out.writerow([_csv_text(v) for v in row])
                archive.write(path, prefix + name)
                written.append(prefix + name)
        return written

    def _about_rows(self) -> list[list[object]]:
        rows: list[list[object]] = [["Emne", "Beskrivelse"], *self.about]
        rows.append(["Statistikfiler", "Én fil pr. dataark: " + ", ".join(
            f"{stem} = {sheet}" for sheet, stem in STATISTICS_SHEETS.items() if sheet in self.spools)
            + ". Formater: " + ", ".join(f".{f}" for f in self.formats) + ". Samme rækker og samme pseudonymer "
            "som Excel-filen, efter samme beskyttelse (se ovenfor)."])
        rows.append(["Statistikfiler", "Måneder (ÅÅÅÅ-MM) er tal ÅÅÅÅMM (fx 202503), så hver kolonne har én type. "
                                       "Tekstkolonner indeholder kun tekst; tom = ingen værdi."])
        rows.append(["Statistikfiler", f"Manglende-koder: {NOT_APPLICABLE} = ikke relevant, {SUPPRESSED_CODE} = "
                                       "undertrykt, samt hver variabels trykte koder (fx 77 = Ved ikke). SPSS: "
                                       "erklæret som brugerdefinerede manglende værdier. Stata: udvidede manglende "
                                       "værdier (.a = -999, .b = -888, .c = 77, .d/.e = øvrige koder; se "
                                       "kodebog.csv). CSV: koderne står som tal."])
        rows.append(["Statistikfiler", "Variabeletiketter er forkortet til 80 tegn (Statas grænse); den fulde tekst "
                                       "står i kodebog.csv (kolonnen Beskrivelse)."])
        rows.append(["Statistikfiler", "CSV: UTF-8, komma som skilletegn, punktum som decimaltegn. En tekst, der "
                                       "begynder med = + - eller @, har fået et ' foran (ingen formler)."])
        return rows

    def _codebook_rows(self, sheet: str, stem: str, columns: list[Column]) -> list[list[object]]:
        rows: list[list[object]] = []
        documented = {r.name: r for r in self.codebook if r.sheet == sheet}
        for column in columns:
            entry = documented.get(column.name)
            text = entry.row()[2:] if entry is not None else [column.name] + [""] * (len(CodebookRow.header) - 3)
            kind = ("tal (ÅÅÅÅMM)" if column.months else "heltal" if column.integer else "tal") \
                if column.kind == "numeric" else "tekst"
            stata = ", ".join(f".{_stata_letters(column)[code]} = {code}" for code in column.missing)
            rows.append([stem, sheet, column.name, column.label, kind, _spss_missing_text(column), stata, *text])
        return rows

    def _columns(self, sheet: str) -> list[Column]:
        """The sheet's columns, converted (see the module docstring) and labelled from the codebook."""
        import numpy as np

        header = self.headers[sheet]
        values: list[list[object]] = [[] for _ in header]
        appends = [v.append for v in values]
        for row in self.spools[sheet]:
            for append, value in zip(appends, row, strict=False):
                append(value)
            for append in appends[len(row):]:
                append(None)
        documented = {r.name: r for r in self.codebook if r.sheet == sheet}
        out = []
        for i, name in enumerate(header):
            raw, values[i] = values[i], []
            column = _convert(name, raw, np)
            del raw
            entry = documented.get(name)
            if entry is not None:
                _label(column, entry)
            else:
                column.label = column.full_label = name
            out.append(column)
        return out


def _convert(name: str, raw: list[object], np: Any) -> Column:
    texts = [v for v in raw if isinstance(v, str)]
    if not texts:
        array = np.array([math.nan if v is None else v for v in raw], dtype=np.float64)
        integer = bool(np.all(np.isnan(array) | (array == np.round(array))))
        return Column(name, "numeric", array, integer=integer)
    if all(_MONTH.match(t) or t in (SUPPRESSED_TEXT, NOT_APPLICABLE_MONTH) for t in texts):
        def month(v: object) -> float:
            if v is None:
                return math.nan
            if isinstance(v, str):
                found = _MONTH.match(v)
                if found:
                    return float(int(found.group(1)) * 100 + int(found.group(2)))
                return float(NOT_APPLICABLE) if v == NOT_APPLICABLE_MONTH else float(SUPPRESSED_CODE)
            return float(v)  # type: ignore[arg-type]
        return Column(name, "numeric", np.array([month(v) for v in raw], dtype=np.float64), months=True)
    return Column(name, "text", ["" if v is None else str(v) for v in raw], integer=False)


def _label(column: Column, entry: CodebookRow) -> None:
    import numpy as np

    column.full_label = entry.label
    column.label = short_label(entry.label)
    if column.kind != "numeric":
        return
    present = set(np.unique(column.values[~np.isnan(column.values)]).tolist()) if len(column.values) else set()
    labels: dict[float, str] = {float(code): _value_label(text) for code, text in entry.code_labels}
    missing_labels = {int(code): text.strip() for code, text in _CODE_TEXT.findall(entry.missing)}
    missing = [int(c) for c in entry.missing_codes]
    for code, text in FIXED_MISSING_LABELS.items():
        if code in present or (code == NOT_APPLICABLE and entry.not_applicable):
            if code not in missing:
                missing.append(code)
            missing_labels.setdefault(code, text)
    for code in missing:
        labels.setdefault(float(code), _value_label(missing_labels.get(code, "Manglende")))
    column.missing = sorted(set(missing))
    column.value_labels = labels


def _value_label(text: str) -> str:
    return short_label(text, MAX_VALUE_LABEL_BYTES)


def _spss_missing(column: Column) -> list[Any]:
    codes = [float(c) for c in column.missing]
    if len(codes) <= 3:
        return codes
    negatives = [c for c in codes if c < 0]
    others = [c for c in codes if c >= 0]
    if negatives and len(others) <= 1:
        return [{"lo": min(negatives), "hi": max(negatives)}, *others]
    return codes[:3]


def _spss_missing_text(column: Column) -> str:
    if column.kind == "text":
        return SUPPRESSED_TEXT if _has_marker(column) else ""
    parts = []
    for item in _spss_missing(column):
        parts.append(f"{item['lo']:g} til {item['hi']:g}" if isinstance(item, dict) else f"{item:g}")
    return ", ".join(parts)


def _has_marker(column: Column) -> bool:
    return any(v == SUPPRESSED_TEXT for v in column.values)


def _stata_letters(column: Column) -> dict[int, str]:
    letters: dict[int, str] = {}
    spare = iter("defghijklmnopqrstuvwxyz")
    for code in column.missing:
        letters[code] = STATA_MISSING.get(code) or next(spare)
    return letters


def _frame(columns: list[Column]) -> Any:
    import pandas as pd

    return pd.DataFrame({c.name: c.values for c in columns}, copy=False)


def _write_sav(path: Path, sheet: str, columns: list[Column]) -> None:
    import pyreadstat

    frame = _frame(columns)
    missing: dict[str, list[Any]] = {}
    for c in columns:
        if c.kind == "numeric" and c.missing:
            missing[c.name] = _spss_missing(c)
        elif c.kind == "text" and _has_marker(c):
            missing[c.name] = [SUPPRESSED_TEXT]
    pyreadstat.write_sav(
        frame, str(path), file_label=short_label(f"SKP-indberetning: {sheet}", 64),
        column_labels={c.name: c.label for c in columns},
        variable_value_labels={c.name: c.value_labels for c in columns if c.kind == "numeric" and c.value_labels},
        missing_ranges=missing,
        variable_format={c.name: "F8.0" if not c.months else "F6.0" for c in columns
                         if c.kind == "numeric" and c.integer},
        compress=True,
    )


class _Tagged(bytes):
    """An extended missing value (.a …) in a numeric column handed to pyreadstat: equal to (and
    hashing like) its letter, as pyreadstat's ``missing_user_values`` expects, but not a ``str``.
    pyreadstat reads an object column's type through narwhals, which sniffs the first 100 values:
    plain letters there (a report sheet whose first 100 rows are all -999 in a column) would make
    it a text column. ``ord()`` of the one byte is the letter pyreadstat writes."""

    letter: str

    def __new__(cls, letter: str) -> _Tagged:
        tagged = super().__new__(cls, letter.encode("ascii"))
        tagged.letter = letter
        return tagged

    def __eq__(self, other: object) -> bool:
        return other == self.letter if not isinstance(other, _Tagged) else other.letter == self.letter

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.letter)


_TAGS = {letter: _Tagged(letter) for letter in "abcdefghijklmnopqrstuvwxyz"}


def _write_dta(path: Path, sheet: str, columns: list[Column]) -> None:
    import numpy
    import pandas as pd
    import pyreadstat

    data: dict[str, Any] = {}
    missing: dict[str, list[str]] = {}
    labels: dict[str, dict[float, str]] = {}
    for c in columns:
        if c.kind != "numeric" or not c.missing:
            data[c.name] = c.values
            if c.kind == "numeric" and c.value_labels:
                labels[c.name] = c.value_labels
            continue
        letters = _stata_letters(c)
        tagged = {float(code): _TAGS[letter] for code, letter in letters.items()}
        present = set(numpy.unique(c.values[~numpy.isnan(c.values)]).tolist())
        if not present & set(tagged):
            data[c.name] = c.values
        else:
            shared: dict[float, Any] = {}
            nan = math.nan
            data[c.name] = pd.Series([nan if v != v else tagged.get(v) or shared.setdefault(v, v)
                                      for v in c.values.tolist()], dtype=object)
            missing[c.name] = sorted(set(letters.values()))
        valid = {code: text for code, text in c.value_labels.items() if code not in tagged}
        if valid:
            labels[c.name] = valid
    frame = pd.DataFrame(data, copy=False)
    pyreadstat.write_dta(
        frame, str(path), file_label=short_label(f"SKP-indberetning: {sheet}", 80),
        column_labels={c.name: c.label for c in columns}, version=15,
        variable_value_labels=labels, missing_user_values=missing,
    )


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _csv_text(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _write_csv(path: Path, sheet: str, columns: list[Column]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow([c.name for c in columns])
        cells = [(_csv_numbers(c.values) if c.kind == "numeric" else [_csv_text(v) for v in c.values])
                 for c in columns]
        out.writerows(zip(*cells, strict=True))


def _csv_numbers(values: Any) -> list[object]:
    return ["" if v != v else int(v) if v.is_integer() else repr(v) for v in values.tolist()]
