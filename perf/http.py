"""A small HTTP session for 127.0.0.1 only: keep-alive, cookies, form posts, no redirects followed.

The standard library only, so the load generator needs nothing beyond the project's venv.
"""

from __future__ import annotations

import http.client
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class NotLoopback(ValueError):
    """Refused: this client only talks to the machine itself."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class Session:
    """One browser: a connection to ``base`` (http://127.0.0.1:PORT) and its cookies."""

    base: str
    timeout: float = 60.0
    cookies: dict[str, str] = field(default_factory=dict)
    idle_reconnect: float = 1.0  # seconds; below gunicorn's keep-alive timeout
    _conn: http.client.HTTPConnection | None = None
    _last_used: float = 0.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.base)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK:
            raise NotLoopback(self.base)
        self._host, self._port = parts.hostname, parts.port or 80

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, data: dict | list | None = None,
                headers: dict[str, str] | None = None) -> Response:
        """One request; a dropped connection raises (the caller decides whether to retry)."""
        body = urlencode(data, doseq=True).encode() if data is not None else None
        sent = {"Host": f"{self._host}:{self._port}", "Accept-Encoding": "identity", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self._conn is not None and time.monotonic() - self._last_used > self.idle_reconnect:
            self.close()  # the server closes idle keep-alive connections (gunicorn: 2 s); so does a browser
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        started = time.perf_counter()
        try:
            self._conn.request(method, path, body=body, headers=sent)
            raw = self._conn.getresponse()
            payload = raw.read()
        except OSError:
            self.close()
            raise
        except http.client.HTTPException as error:  # a cut-off answer: the connection died
            self.close()
            raise ConnectionError(f"{type(error).__name__}: {error}") from error
        seconds = time.perf_counter() - started
        self._last_used = time.monotonic()
        for header, value in raw.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if raw.getheader("connection", "").lower() == "close":
            self.close()
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, payload, seconds)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict | list, headers: dict[str, str] | None = None) -> Response:
        return self.request("POST", path, data, headers)

    def csrf(self, html: str) -> str:
        match = CSRF_RE.search(html)
        if not match:
            raise ValueError("no CSRF token on the page")
        return match.group(1)

    def login(self, email: str, password: str) -> tuple[Response, Response]:
        """GET the login page, POST the form; returns both responses (302 on success)."""
        page = self.get("/login")
        return page, self.post("/login", {"csrf_token": self.csrf(page.text), "email": email, "password": password})
