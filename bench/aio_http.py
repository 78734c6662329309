"""A minimal asyncio HTTP/1.1 keep-alive client for the web benchmark's load generator.

Why not ``http.client`` in threads: on a 2-core machine the load generator shares the CPU with
the server it measures. Forty threads of ``http.client`` (header parsing through ``email``, the
GIL handed between threads) took a large share of it; one event loop writing prepared request
bytes and reading ``Content-Length`` bodies costs a fraction. Only what the benchmark needs:
plain http on 127.0.0.1, bodies with ``Content-Length`` (what Flask and gunicorn send), cookies
kept per simulated browser, one connection per browser, reopened when the server closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from perf.http import Response


class ProtocolError(RuntimeError):
    """The server's answer was not what this small client understands."""


@dataclass
class Client:
    """One simulated browser: its cookies and its keep-alive connection to ``host:port``."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, data: dict | None = None, timeout: float = 30.0) -> Response:
        """Send one request and read the whole answer; the time is from first byte sent to last read."""
        raw = self._encode(method, path, data)
        for attempt in (1, 2):
            if self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            started = time.perf_counter()
            try:
                self._writer.write(raw)
                response = await asyncio.wait_for(self._read(started), timeout)
            except (OSError, asyncio.IncompleteReadError, ProtocolError):
                await self.close()
                if attempt == 2:
                    raise
                continue  # a keep-alive connection the server had closed: once more on a new one
            if response.headers.get("connection", "").lower() == "close":
                await self.close()
            return response
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    def _encode(self, method: str, path: str, data: dict | None) -> bytes:
        body = urlencode(data, doseq=True).encode() if data is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "User-Agent: skp-bench/2",
                 "Accept-Encoding: identity"]
        if data is not None:
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def _read(self, started: float) -> Response:
        assert self._reader is not None
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ProtocolError(f"bad status line {status_line!r}")
        headers: dict[str, str] = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                name, value = name.strip().lower(), value.strip()
                headers[name] = value
                if name == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
        if "content-length" not in headers:
            raise ProtocolError("answer without Content-Length")
        body = await self._reader.readexactly(int(headers["content-length"]))
        return Response(int(parts[1]), headers, body, time.perf_counter() - started)
