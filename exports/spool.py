"""Read a record stream once, replay it as often as needed, in constant memory.

The workbook needs the submitted reports three times (data sheet, courses, scales). Reading them
from the database three times costs three cursor passes with JSON decoding and schedule checks;
:class:`RecordSpool` pulls them from the source once and keeps them, pickled and deflated in
batches, in an anonymous temporary file (created ``0600`` and already unlinked, so nothing is left
behind even if the process dies; the data are the same pseudonymisable records the export reads,
never written anywhere else). Memory holds one batch at a time whatever the number of records.
"""

from __future__ import annotations

import pickle
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Generic, TypeVar

T = TypeVar("T")

BATCH = 500
_LENGTH = struct.Struct("<Q")


class RecordSpool(Generic[T]):
    """Iterate ``source()`` once, spooling as it goes; later iterations replay the spool.

    Use as a context manager (or call :meth:`close`). The first iteration must run to the end
    before the next one starts (the workbook's sheets are written one after the other); starting
    a replay earlier raises RuntimeError rather than silently returning a partial stream.
    """

    def __init__(self, source: Callable[[], Iterable[T]], *, batch: int = BATCH, directory: str | None = None) -> None:
        self._source = source
        self._batch = batch
        self._directory = directory
        self._file: IO[bytes] | None = None
        self._state = "new"  # new -> reading -> spooled
        self.count = 0

    def __iter__(self) -> Iterator[T]:
        if self._state == "new":
            return self._read_through()
        if self._state == "reading":
            raise RuntimeError("the first pass over the records has not finished")
        return self._replay()

    def _read_through(self) -> Iterator[T]:
        self._state = "reading"
        self._file = tempfile.TemporaryFile(dir=self._directory)  # noqa: SIM115 - closed by close()
        pending: list[T] = []
        for record in self._source():
            self.count += 1
            pending.append(record)
            yield record
            # A batch is written one batch late, once the consumer is done with it: what the first
            # pass caches on a record (its applicable keys) then travels with it into the replays.
            if len(pending) >= 2 * self._batch:
                self._write(pending[: self._batch])
                del pending[: self._batch]
        for start in range(0, len(pending), self._batch):
            self._write(pending[start : start + self._batch])
        self._state = "spooled"

    def _write(self, records: list[T]) -> None:
        assert self._file is not None
        blob = zlib.compress(pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL), 1)
        self._file.write(_LENGTH.pack(len(blob)))
        self._file.write(blob)

    def _replay(self) -> Iterator[T]:
        assert self._file is not None
        handle = self._file
        handle.flush()
        handle.seek(0)
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
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> RecordSpool[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
