"""One sheet's bytes deflated on a second thread while the next rows are built.

Deflating the sheet XML (zlib level 6) is about a quarter of an export's time, and ``zlib``,
``zlib.crc32`` and ``hashlib`` release the GIL on large buffers. :class:`SheetDeflater` hands each
~256k-character chunk to one background thread that writes it into the zip entry (deflate, CRC,
the output file and its SHA-256), so that work overlaps with building the next rows on the
caller's thread. Chunks are written in order by that single thread; a bounded queue keeps memory
flat. The output bytes are exactly those of writing on the caller's thread.

An error raised by the entry (a full disk, a closed HTTP stream) is re-raised on the caller's
thread at its next :meth:`write` or at :meth:`finish`; after an error later chunks are dropped.
"""

from __future__ import annotations

import queue
import threading
from typing import IO

_STOP = object()


class SheetDeflater:
    """Writes chunks to ``handle`` on a background thread, then closes it in :meth:`finish`."""

    def __init__(self, handle: IO[bytes], *, max_pending: int = 4) -> None:
        self._handle = handle
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_pending)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="xlsx-deflate", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        """Queue ``data`` for the entry (blocks while ``max_pending`` chunks wait)."""
        self._raise_error()
        self._queue.put(data)

    def finish(self) -> None:
        """Write what is queued, close the entry, stop the thread; re-raise its error if any."""
        self._stop()
        self._raise_error()
        self._handle.close()

    def abandon(self) -> None:
        """Stop the thread without caring for errors (the output is being thrown away)."""
        self._stop()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if self._error is None:
                try:
                    self._handle.write(item)  # type: ignore[arg-type]
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    self._error = exc
