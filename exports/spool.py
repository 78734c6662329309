"""Rows kept for a later sheet, in constant memory.

The workbook reads the submitted reports once, ordered by course, and builds three sheets from
them at the same time (report rows, course rows, scale rows). An .xlsx is written one sheet after
the other, so the rows of the later sheets wait in a :class:`RowSpool`: pickled and deflated in
batches in an anonymous temporary file (created ``0600`` and already unlinked, so nothing is left
behind even if the process dies; the rows are the export's own anonymised cells). Memory holds
one batch at a time whatever the number of rows.
"""

from __future__ import annotations

import pickle
import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from typing import IO

BATCH = 1000
_LENGTH = struct.Struct("<Q")


class RowSpool:
    """Append rows (lists of cell values), then replay them in the same order, as often as needed.

    Use as a context manager (or call :meth:`close`). Add every row before replaying.
    """

    def __init__(self, *, batch: int = BATCH, directory: str | None = None) -> None:
        self._batch = batch
        self._directory = directory
        self._file: IO[bytes] | None = None
        self._pending: list[list[object]] = []
        self.count = 0

    def add(self, row: list[object]) -> None:
        self._pending.append(row)
        self.count += 1
        if len(self._pending) >= self._batch:
            self._write()

    def extend(self, rows: Iterable[list[object]]) -> None:
        for row in rows:
            self.add(row)

    def _write(self) -> None:
        if not self._pending:
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(dir=self._directory)  # noqa: SIM115 - closed by close()
        blob = zlib.compress(pickle.dumps(self._pending, protocol=pickle.HIGHEST_PROTOCOL), 1)
        self._file.seek(0, 2)
        self._file.write(_LENGTH.pack(len(blob)))
        self._file.write(blob)
        self._pending = []

    def __iter__(self) -> Iterator[list[object]]:
        self._write()
        if self._file is None:
            return iter(())
        return self._replay(self._file)

    @staticmethod
    def _replay(handle: IO[bytes]) -> Iterator[list[object]]:
        handle.flush()
        position = 0
        while True:
            handle.seek(position)
            head = handle.read(_LENGTH.size)
            if not head:
                return
            (length,) = _LENGTH.unpack(head)
            blob = handle.read(length)
            position = handle.tell()
            # Our own file, written above in this process and unlinked on creation: trusted data.
            yield from pickle.loads(zlib.decompress(blob))  # noqa: S301

    def close(self) -> None:
        self._pending = []
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> RowSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
