"""Small-cell suppression for count tables (threshold 5; research reliability-security.md §3.3).

``suppress_table(counts)`` takes a two-way table of counts of persons (e.g. unit × category;
every person counted in exactly one cell per row, so the margins are sums) and returns a
:class:`SuppressedTable` with row totals, column totals and the grand total, where:

* **primary suppression**: every cell or total with ``0 < count < threshold`` is hidden
  (zeros too when ``suppress_zeros=True``: a 0 can disclose "none of the 6 in team X …");
* **secondary suppression**: more cells are hidden until no hidden cell can be computed exactly
  from the published numbers. Two checks, repeated until both hold:

  1. every row and column (totals included) holds either no hidden cell or at least two — so no
     hidden cell is "total minus the others";
  2. no hidden cell is determined by the whole system of row and column equations together
     (exact linear algebra over the hidden cells; catches chains the line rule misses).

  Complements are chosen deterministically: an inner cell before a total, a non-zero count
  before a zero, a cell that also fixes its crossing line, then the smallest count.

Hidden cells are ``None`` in :attr:`SuppressedTable.cells`; :meth:`SuppressedTable.as_rows`
shows them all with one marker (``"x"``), so a reader cannot tell primary from secondary.

Two logs: :attr:`SuppressedTable.log` names every hidden cell with its reason (primary or
secondary, and which line it protects) — for the service's own audit, **not for the file**:
knowing which hidden cell is the small one narrows it (e.g. a primary and a secondary cell in a
row with 6 left over: the secondary is ≥ 5, so the primary is 1). :meth:`SuppressedTable.summary_da`
is the version for the "Om udtrækket" sheet: the rule, how many cells were hidden for each
reason, and which cells are hidden, without saying which is which. Neither log contains a
hidden count.

Limits: this protects against exact recovery, not against every interval estimate (a reader
still knows a hidden count is ≥ 0 and below the published total). Tables from overlapping
populations, or cumulative tables delivered month by month, can be differenced; suppress the
differences too or deliver whole waves (research §3.3).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

__all__ = [
    "DEFAULT_THRESHOLD",
    "MARKER",
    "SuppressedTable",
    "SuppressionEntry",
    "is_small_group",
    "suppress_table",
]

DEFAULT_THRESHOLD = 5
MARKER = "x"
TOTAL_LABEL = "I alt"

Cell = tuple[int, int]


@dataclass(frozen=True)
class SuppressionEntry:
    """One hidden cell: its row and column label (``"I alt"`` for totals) and why it is hidden."""

    row: str
    column: str
    reason: Literal["primær", "sekundær"]
    explanation: str


@dataclass(frozen=True)
class SuppressedTable:
    """A count table after suppression; ``None`` marks a hidden cell or total."""

    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    column_totals: tuple[int | None, ...]
    grand_total: int | None
    threshold: int
    log: tuple[SuppressionEntry, ...]

    def value(self, row: str, column: str) -> int | None:
        return self.cells[self.row_labels.index(row)][self.column_labels.index(column)]

    def as_rows(self, marker: str = MARKER, corner: str = "") -> list[list[object]]:
        """Header, one row per row label with its total, and the totals row; hidden → ``marker``."""

        def show(v: int | None) -> object:
            return marker if v is None else v

        out: list[list[object]] = [[corner, *self.column_labels, TOTAL_LABEL]]
        for label, cells, total in zip(self.row_labels, self.cells, self.row_totals, strict=True):
            out.append([label, *(show(v) for v in cells), show(total)])
        out.append([TOTAL_LABEL, *(show(v) for v in self.column_totals), show(self.grand_total)])
        return out

    def summary_da(self) -> list[str]:
        """Lines for the "Om udtrækket" sheet; no counts of hidden cells, no primary/secondary per cell."""
        primary = sum(1 for e in self.log if e.reason == "primær")
        secondary = len(self.log) - primary
        lines = [
            f"Celler med færre end {self.threshold} personer (men flere end 0) er undertrykt og vist som "
            f"'{MARKER}' (primær undertrykkelse: {primary} celler).",
            f"Yderligere {secondary} celler er undertrykt, så ingen undertrykt celle kan regnes ud fra række- "
            "og kolonnetotaler (sekundær undertrykkelse). Det angives ikke, hvilke celler der er hvilken slags.",
        ]
        if self.log:
            cells = sorted(f"{e.row} / {e.column}" for e in self.log)
            lines.append("Undertrykte celler (række / kolonne): " + "; ".join(cells))
        return lines

    @property
    def suppressed_count(self) -> int:
        return len(self.log)


def is_small_group(n: int, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """Whether a group of ``n`` persons is too small to publish a share or mean for (0 < n < threshold)."""
    return 0 < n < threshold


def suppress_table(
    counts: Mapping[Hashable, Mapping[Hashable, int]],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    columns: Iterable[Hashable] | None = None,
    suppress_zeros: bool = False,
) -> SuppressedTable:
    """Suppress small cells of ``counts`` (row label → column label → count; absent = 0).

    ``columns`` fixes the column order (default: first appearance). Labels are shown with
    ``str()``. Counts must be non-negative ints; raises ValueError otherwise.
    """
    if type(threshold) is not int or threshold < 1:
        raise ValueError("threshold must be a positive int")
    row_keys = list(counts)
    if columns is not None:
        col_keys = list(columns)
    else:
        col_keys = []
        seen: set[Hashable] = set()
        for key in row_keys:
            for col in counts[key]:
                if col not in seen:
                    seen.add(col)
                    col_keys.append(col)
    known_cols = set(col_keys)
    for key in row_keys:
        extra = [c for c in counts[key] if c not in known_cols]
        if extra:
            raise ValueError(f"row {key!r} has counts for columns not listed: {extra!r}")
    n_rows, n_cols = len(row_keys), len(col_keys)
    grid: list[list[int]] = []
    for key in row_keys:
        line = []
        for col in col_keys:
            value = counts[key].get(col, 0)
            if type(value) is not int or value < 0:
                raise ValueError(f"count for ({key!r}, {col!r}) must be a non-negative int")
            line.append(value)
        line.append(sum(line))
        grid.append(line)
    grid.append([sum(grid[i][j] for i in range(n_rows)) for j in range(n_cols + 1)])

    row_labels = tuple(str(k) for k in row_keys)
    col_labels = tuple(str(c) for c in col_keys)
    solver = _Suppressor(grid, n_rows, n_cols, threshold, suppress_zeros)
    solver.run()

    def label(i: int, j: int) -> tuple[str, str]:
        return (row_labels[i] if i < n_rows else TOTAL_LABEL, col_labels[j] if j < n_cols else TOTAL_LABEL)

    log = []
    for (i, j), (reason, why) in sorted(solver.hidden.items()):
        row_label, col_label = label(i, j)
        log.append(SuppressionEntry(row_label, col_label, reason, why))

    def shown(i: int, j: int) -> int | None:
        return None if (i, j) in solver.hidden else grid[i][j]

    return SuppressedTable(
        row_labels=row_labels,
        column_labels=col_labels,
        cells=tuple(tuple(shown(i, j) for j in range(n_cols)) for i in range(n_rows)),
        row_totals=tuple(shown(i, n_cols) for i in range(n_rows)),
        column_totals=tuple(shown(n_rows, j) for j in range(n_cols)),
        grand_total=shown(n_rows, n_cols),
        threshold=threshold,
        log=tuple(log),
    )


class _Suppressor:
    """The augmented (rows+1) × (columns+1) grid, the last row/column being the totals."""

    def __init__(self, grid: list[list[int]], n_rows: int, n_cols: int, threshold: int, zeros: bool) -> None:
        self.grid = grid
        self.n_rows = n_rows
        self.n_cols = n_cols
        self.threshold = threshold
        self.zeros = zeros
        self.hidden: dict[Cell, tuple[Literal["primær", "sekundær"], str]] = {}
        # Each line is one equation: inner cells (+1) sum to its total cell (-1).
        self.lines: list[tuple[str, list[Cell]]] = []
        for i in range(n_rows + 1):
            self.lines.append(("row", [(i, j) for j in range(n_cols + 1)]))
        for j in range(n_cols + 1):
            self.lines.append(("col", [(i, j) for i in range(n_rows + 1)]))

    def run(self) -> None:
        if self.n_rows == 0 or self.n_cols == 0:
            return
        for i in range(self.n_rows + 1):
            for j in range(self.n_cols + 1):
                value = self.grid[i][j]
                if 0 < value < self.threshold:
                    self.hidden[(i, j)] = ("primær", f"Cellen dækker færre end {self.threshold} personer.")
                elif value == 0 and self.zeros:
                    self.hidden[(i, j)] = ("primær", "Cellen er 0, og nuller undertrykkes i dette udtræk.")
        while True:
            self._line_rule()
            determined = self._determined()
            if not determined:
                return
            cell = determined[0]
            candidates = [c for _, line in self._lines_through(cell) for c in line if c not in self.hidden]
            if not candidates:
                candidates = [
                    (i, j) for i in range(self.n_rows + 1) for j in range(self.n_cols + 1) if (i, j) not in self.hidden
                ]
            if not candidates:
                return
            self._hide_complement(min(candidates, key=self._preference), cell)

    def _line_name(self, kind: str, cell: Cell) -> str:
        i, j = cell
        if kind == "row":
            return "totalrækken" if i == self.n_rows else "samme række"
        return "totalkolonnen" if j == self.n_cols else "samme kolonne"

    def _lines_through(self, cell: Cell) -> list[tuple[str, list[Cell]]]:
        i, j = cell
        return [self.lines[i], self.lines[self.n_rows + 1 + j]]

    def _preference(self, cell: Cell) -> tuple[int, int, int, int, int, int]:
        i, j = cell
        margin = int(i == self.n_rows or j == self.n_cols)
        value = self.grid[i][j]
        lonely = 0
        for _, line in self._lines_through(cell):
            if sum(1 for c in line if c in self.hidden) == 1:
                lonely += 1
        return (margin, int(value == 0), -lonely, value, i, j)

    def _hide_complement(self, cell: Cell, protects: Cell) -> None:
        kind = "row" if cell[0] == protects[0] else "col"
        where = self._line_name(kind, protects) if cell[0] == protects[0] or cell[1] == protects[1] else "tabellen"
        self.hidden[cell] = ("sekundær", f"Undertrykt, så en undertrykt celle i {where} ikke kan regnes ud.")

    def _line_rule(self) -> None:
        changed = True
        while changed:
            changed = False
            for _kind, line in self.lines:
                hidden = [c for c in line if c in self.hidden]
                if len(hidden) != 1:
                    continue
                candidates = [c for c in line if c not in self.hidden]
                if not candidates:
                    continue
                self._hide_complement(min(candidates, key=self._preference), hidden[0])
                changed = True

    def _determined(self) -> list[Cell]:
        """Hidden cells whose value follows exactly from the published numbers (reduced row echelon form)."""
        variables = sorted(self.hidden)
        if not variables:
            return []
        index = {cell: k for k, cell in enumerate(variables)}
        rows: list[list[Fraction]] = []
        for _kind, line in self.lines:
            coefficients = [Fraction(0)] * len(variables)
            used = False
            total_cell = line[-1]
            for cell in line:
                if cell in index:
                    coefficients[index[cell]] = Fraction(-1 if cell == total_cell else 1)
                    used = True
            if used:
                rows.append(coefficients)
        pivots = _rref(rows, len(variables))
        determined = []
        for r, col in enumerate(pivots):
            if all(v == 0 for k, v in enumerate(rows[r]) if k != col):
                determined.append(variables[col])
        return determined


def _rref(rows: list[list[Fraction]], n_vars: int) -> list[int]:
    """Bring ``rows`` to reduced row echelon form in place; return the pivot column of each leading row."""
    pivots: list[int] = []
    r = 0
    for col in range(n_vars):
        pivot = next((k for k in range(r, len(rows)) if rows[k][col] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        lead = rows[r][col]
        rows[r] = [v / lead for v in rows[r]]
        for k in range(len(rows)):
            if k != r and rows[k][col] != 0:
                factor = rows[k][col]
                rows[k] = [a - factor * b for a, b in zip(rows[k], rows[r], strict=True)]
        pivots.append(col)
        r += 1
        if r == len(rows):
            break
    return pivots
