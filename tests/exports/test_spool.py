"""The record spool: the reports are read from the database once and replayed for later sheets."""

from __future__ import annotations

import os
from datetime import date

import pytest

from exports.sheets_common import ReportRecord
from exports.spool import RecordSpool


def _records(n: int) -> list[ReportRecord]:
    return [
        ReportRecord(client_id=i // 12 + 1, worker_id=3, course_id=i // 12 + 1, course_number=1,
                     municipality="Esbjerg", intake=date(2024, 1, 1), contact_start=None, closing=None,
                     course_status="open", period=date(2024 + (i % 12) // 12, i % 12 + 1, 1),
                     answers={"q3": i % 3 + 1, "q21": [1, i % 4], "q40": "2024-05-03", "q7": None},
                     definition_version=1, closes_course=i % 12 == 11,
                     sections=frozenset({"del2", "del3"}), reask=frozenset({"q17"}) if i % 4 == 0 else frozenset())
        for i in range(n)
    ]


def test_every_pass_sees_the_same_records_in_the_same_order_and_the_source_is_read_once() -> None:
    data = _records(1234)
    calls = []

    def source():  # type: ignore[no-untyped-def]
        calls.append(1)
        return iter(data)

    with RecordSpool(source, batch=100) as spool:
        passes = [list(spool) for _ in range(3)]
    assert calls == [1]
    assert all(p == data for p in passes)
    assert spool.count == len(data)


def test_two_replays_can_run_side_by_side() -> None:
    data = _records(250)
    with RecordSpool(lambda: data, batch=7) as spool:
        list(spool)
        pairs = list(zip(spool, spool, strict=True))
    assert [a for a, _ in pairs] == [b for _, b in pairs] == data


def test_a_replay_before_the_first_pass_has_finished_is_refused() -> None:
    with RecordSpool(lambda: _records(30), batch=10) as spool:
        first = iter(spool)
        next(first)
        with pytest.raises(RuntimeError, match="not finished"):
            iter(spool)


def test_an_empty_source_replays_as_empty() -> None:
    with RecordSpool(lambda: []) as spool:
        assert list(spool) == [] and list(spool) == []


def test_the_spool_leaves_no_file_behind(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with RecordSpool(lambda: _records(50), directory=str(tmp_path)) as spool:
        list(spool)
        assert os.listdir(tmp_path) == []  # anonymous from the start: never visible by name
    assert spool._file is None
