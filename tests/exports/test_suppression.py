"""exports.suppression: no count 1-4 is shown, and no hidden count can be recomputed from the rest."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exports.suppression import MARKER, TOTAL_LABEL, is_small_group, suppress_table


def augmented(counts: dict[str, dict[str, int]], columns: list[str]) -> list[list[int]]:
    grid = [[counts[r].get(c, 0) for c in columns] for r in counts]
    for row in grid:
        row.append(sum(row))
    grid.append([sum(row[j] for row in grid) for j in range(len(columns) + 1)])
    return grid


def hidden_cells(table) -> set[tuple[int, int]]:
    n_rows, n_cols = len(table.row_labels), len(table.column_labels)
    hidden = set()
    for i in range(n_rows + 1):
        for j in range(n_cols + 1):
            if i < n_rows and j < n_cols:
                value = table.cells[i][j]
            elif i < n_rows:
                value = table.row_totals[i]
            elif j < n_cols:
                value = table.column_totals[j]
            else:
                value = table.grand_total
            if value is None:
                hidden.add((i, j))
    return hidden


def rank(rows: list[list[Fraction]]) -> int:
    rows = [r[:] for r in rows]
    r = 0
    for col in range(len(rows[0]) if rows else 0):
        pivot = next((k for k in range(r, len(rows)) if rows[k][col] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        for k in range(r + 1, len(rows)):
            factor = rows[k][col] / rows[r][col]
            rows[k] = [a - factor * b for a, b in zip(rows[k], rows[r], strict=True)]
        r += 1
    return r


def recoverable(hidden: set[tuple[int, int]], n_rows: int, n_cols: int) -> list[tuple[int, int]]:
    """Hidden cells fixed by the row/column equations: removing the cell's column lowers the rank.

    Written independently of the module (rank test instead of reduced echelon rows).
    """
    cells = sorted(hidden)
    lines = [[(i, j) for j in range(n_cols + 1)] for i in range(n_rows + 1)]
    lines += [[(i, j) for i in range(n_rows + 1)] for j in range(n_cols + 1)]
    matrix = [[Fraction(-1 if c == line[-1] else 1) if c in line else Fraction(0) for c in cells] for line in lines]
    full = rank(matrix)
    found = []
    for k, cell in enumerate(cells):
        without = [row[:k] + row[k + 1 :] for row in matrix]
        if rank(without) < full:
            found.append(cell)
    return found


def test_small_counts_are_hidden_zeros_and_large_counts_shown():
    table = suppress_table({"Esbjerg": {"Mand": 3, "Kvinde": 12, "Uoplyst": 0},
                            "Odense": {"Mand": 20, "Kvinde": 9, "Uoplyst": 0}})
    assert table.value("Esbjerg", "Mand") is None
    assert table.value("Esbjerg", "Uoplyst") == 0 and table.value("Odense", "Uoplyst") == 0
    # Secondary: Esbjerg's row and the Mand column each need a second hidden cell.
    assert table.value("Esbjerg", "Kvinde") is None and table.value("Odense", "Mand") is None
    assert table.value("Odense", "Kvinde") is None
    assert table.row_totals == (15, 29) and table.column_totals == (23, 21, 0) and table.grand_total == 44


def test_classic_two_by_two_hides_the_whole_inner_table_but_keeps_the_totals():
    table = suppress_table({"A": {"x": 3, "y": 10}, "B": {"x": 10, "y": 10}})
    assert table.cells == ((None, None), (None, None))
    assert table.row_totals == (13, 20) and table.column_totals == (13, 20) and table.grand_total == 33


def test_small_totals_are_hidden_too():
    table = suppress_table({"Lille enhed": {"Ja": 2, "Nej": 1}, "Stor enhed": {"Ja": 30, "Nej": 40}})
    assert table.row_totals[0] is None
    assert recoverable(hidden_cells(table), 2, 2) == []


def test_a_cell_fixed_only_by_combining_equations_is_protected():
    """Two blocks of hidden cells joined by one hidden cell: every row and column holds two or more
    hidden cells, yet the joining cell equals (rows 0+1) − (columns 0+1). It must not stay recoverable."""
    big = 20
    counts = {
        "r0": {"c0": 1, "c1": 1, "c2": 2, "c3": big, "c4": big},
        "r1": {"c0": 1, "c1": 1, "c2": big, "c3": big, "c4": big},
        "r2": {"c0": big, "c1": big, "c2": 1, "c3": 1, "c4": big},
        "r3": {"c0": big, "c1": big, "c2": 1, "c3": 1, "c4": big},
        "r4": {"c0": big, "c1": big, "c2": big, "c3": big, "c4": big},
    }
    columns = ["c0", "c1", "c2", "c3", "c4"]
    primary = {(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3)}
    assert recoverable(primary, 5, 5) == [(0, 2)]  # the trap exists before secondary suppression
    table = suppress_table(counts, columns=columns)
    hidden = hidden_cells(table)
    assert primary <= hidden
    assert recoverable(hidden, 5, 5) == []


def test_display_uses_one_marker_for_every_hidden_cell():
    table = suppress_table({"A": {"x": 3, "y": 10}, "B": {"x": 10, "y": 10}})
    rows = table.as_rows(corner="Enhed")
    assert rows[0] == ["Enhed", "x", "y", TOTAL_LABEL]
    assert rows[1] == ["A", MARKER, MARKER, 13]
    assert rows[-1] == [TOTAL_LABEL, 13, 20, 33]


def test_logs_never_contain_hidden_counts_and_the_file_summary_does_not_say_which_is_primary():
    table = suppress_table({"Vest": {"Ja": 2, "Nej": 17}, "Øst": {"Ja": 26, "Nej": 38}})
    assert table.suppressed_count == 4
    reasons = {(e.row, e.column): e.reason for e in table.log}
    assert reasons[("Vest", "Ja")] == "primær" and reasons[("Øst", "Nej")] == "sekundær"
    texts = [e.explanation for e in table.log] + table.summary_da()
    numbers = {int(n) for text in texts for n in re.findall(r"\d+", text)}
    assert numbers.isdisjoint({2, 17, 26, 38}), numbers  # only the threshold and cell counts appear
    summary = " ".join(table.summary_da())
    assert "Vest / Ja" in summary and "primær" in summary
    assert "Vest / Ja (primær" not in summary and "sekundær)" not in summary.split("Undertrykte celler")[-1]


def test_zeros_can_be_suppressed_by_policy():
    table = suppress_table({"A": {"x": 0, "y": 30}, "B": {"x": 12, "y": 30}}, suppress_zeros=True)
    assert table.value("A", "x") is None
    assert recoverable(hidden_cells(table), 2, 2) == []


def test_threshold_is_configurable():
    table = suppress_table({"A": {"x": 7, "y": 30}, "B": {"x": 12, "y": 30}}, threshold=10)
    assert table.value("A", "x") is None and table.threshold == 10


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        suppress_table({"A": {"x": -1}})
    with pytest.raises(ValueError):
        suppress_table({"A": {"x": 2.5}})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="not listed"):
        suppress_table({"A": {"x": 1, "z": 2}}, columns=["x"])


def test_small_group_rule():
    assert [is_small_group(n) for n in (0, 1, 4, 5, 20)] == [False, True, True, False, False]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4).flatmap(lambda r: st.integers(1, 4).flatmap(
    lambda c: st.lists(st.lists(st.one_of(st.integers(0, 6), st.integers(5, 60)), min_size=c, max_size=c),
                       min_size=r, max_size=r))))
def test_any_table_shows_no_small_count_and_leaves_nothing_recoverable(grid):
    columns = [f"k{j}" for j in range(len(grid[0]))]
    counts = {f"r{i}": dict(zip(columns, row, strict=True)) for i, row in enumerate(grid)}
    table = suppress_table(counts, columns=columns)
    full = augmented(counts, columns)
    hidden = hidden_cells(table)
    n_rows, n_cols = len(grid), len(columns)
    for i in range(n_rows + 1):
        for j in range(n_cols + 1):
            value = full[i][j]
            if 0 < value < 5:
                assert (i, j) in hidden
            if (i, j) not in hidden:  # what is shown is the true count
                shown = (table.cells[i][j] if i < n_rows and j < n_cols else
                         table.row_totals[i] if i < n_rows else
                         table.column_totals[j] if j < n_cols else table.grand_total)
                assert shown == value
    assert recoverable(hidden, n_rows, n_cols) == []
    assert len(table.log) == len(hidden)
