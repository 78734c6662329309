"""The row spool: rows of the later sheets wait on disk, in order, in constant memory."""

from __future__ import annotations

import os

from exports.spool import RowSpool


def _rows(n: int) -> list[list[object]]:
    return [[f"K{i:09d}", i, -999, None, 1.5, "2024-05", True, "Æ ø å"] for i in range(n)]


def test_rows_come_back_in_order_as_often_as_asked() -> None:
    rows = _rows(2345)
    with RowSpool(batch=100) as spool:
        for row in rows[:1000]:
            spool.add(row)
        spool.extend(rows[1000:])
        assert spool.count == len(rows)
        assert list(spool) == rows
        assert list(spool) == rows


def test_two_replays_can_run_side_by_side() -> None:
    rows = _rows(250)
    with RowSpool(batch=7) as spool:
        spool.extend(rows)
        pairs = list(zip(spool, spool, strict=True))
    assert [a for a, _ in pairs] == [b for _, b in pairs] == rows


def test_an_empty_spool_replays_as_empty() -> None:
    with RowSpool() as spool:
        assert list(spool) == []


def test_memory_holds_one_batch_and_no_file_is_left_behind(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with RowSpool(batch=50, directory=str(tmp_path)) as spool:
        spool.extend(_rows(1000))
        assert len(spool._pending) < 50  # the rest is on disk
        assert os.listdir(tmp_path) == []  # anonymous from the start: never visible by name
        assert len(list(spool)) == 1000
    assert spool._file is None
