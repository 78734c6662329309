# ruff: noqa: S105, S310, S323, S603  (a measuring script: fixed commands, URLs and its own certificate on 127.0.0.1)
"""``make lighthouse``: Lighthouse (npm, 12.2.3) with Debian's Chromium against the running app, mobile.

Starts the app on 127.0.0.1 with a throwaway SQLite database seeded with the demo data
(``seed-demo --clients 8 --months 12``), logs in as the demo SKP worker and audits four pages: the
login page, the SKP front page, a monthly report and an intake (a client created for the run).

The browser meets the app as it does in production, where gunicorn sits behind a TLS proxy that
speaks HTTP/2 (README "Production"): the same WSGI app is served by Hypercorn over TLS with HTTP/2,
with a certificate made for the run (Chromium is told to accept it). Plain HTTP/1.1 on 127.0.0.1 is
what no phone ever gets, and Lighthouse's simulation charges it a new TCP connection per parallel
request.

Each page is audited ``LIGHTHOUSE_RUNS`` times (default 5) and the median of each figure counts, as
Lighthouse's own guidance on variability says (its simulated timings follow the observed trace, so a
run on a busy 2-core machine differs from the next by ±300 ms). Prints one line per page and
category, then per page the largest contentful paint (every run), the first-load transfer
(Lighthouse's total byte weight) and the transfer of a repeat visit (measured separately in
Chromium: the page opened again in the same browser profile, bytes on the wire only). Exits non-zero
when a median misses the issue 16 targets. Not part of ``make test``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import http.cookiejar
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv/bin"
LIGHTHOUSE = ROOT / "node_modules/.bin/lighthouse"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# Lighthouse 12's mobile emulation sends this User-Agent; the session cookie is minted with it.
MOBILE_UA = ("Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/119.0.0.0 Mobile Safari/537.36")
CATEGORIES = ["performance", "accessibility", "best-practices"]
TARGETS = {"performance": 98, "accessibility": 100, "best-practices": 100}
MAX_LCP_MS, MAX_FIRST_KIB, MAX_REPEAT_KIB = 1200, 200, 40
PASSWORD = "demo-adgangskode"
RUNS = int(os.environ.get("LIGHTHOUSE_RUNS", "5"))
UNVERIFIED = ssl._create_unverified_context()  # the run's own self-signed certificate on 127.0.0.1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browserless:
    """A tiny HTTP client with a cookie jar and the Lighthouse User-Agent (for logging in)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  urllib.request.HTTPSHandler(context=UNVERIFIED))

    def get(self, path: str) -> str:
        request = urllib.request.Request(self.base + path, headers={"User-Agent": MOBILE_UA})
        with self.opener.open(request, timeout=30) as response:
            return response.read().decode("utf-8")

    def post(self, path: str, fields: dict[str, str]) -> str:
        html = self.get(path)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        data = urllib.parse.urlencode({**fields, "csrf_token": token.group(1) if token else ""}).encode()
        # Over https Flask-WTF also checks that the form was posted from the app's own pages.
        headers = {"User-Agent": MOBILE_UA, "Referer": self.base + path}
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        with self.opener.open(request, timeout=30) as response:
            return response.geturl()

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def make_certificate(workdir: Path) -> tuple[Path, Path, str]:
    """A self-signed certificate for 127.0.0.1, valid for a day (the run's TLS), and its key's SPKI hash.

    Chromium trusts it through ``--ignore-certificate-errors-spki-list`` (the hash): a certificate
    that is only ignored (``--ignore-certificate-errors``) turns Chromium's HTTP cache off, and the
    repeat visit would then fetch everything again.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    spki = base64.b64encode(hashlib.sha256(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest()).decode()
    cert_file, key_file = workdir / "cert.pem", workdir / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file, spki


def start_app(workdir: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """The app on https://127.0.0.1:<port>: the server, its base URL and the Chromium flag that trusts it."""
    env = {**os.environ, "APP_ENV": "development", "INSTANCE_PATH": str(workdir / "instance"),
           "DATABASE_URL": f"sqlite:///{workdir / 'skp.db'}"}
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seed-demo", "--clients", "8", "--months", "12"], ["build-assets"]):
        subprocess.run(flask + command, env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    cert_file, key_file, spki = make_certificate(workdir)
    server = subprocess.Popen([str(BIN / "hypercorn"), "-w", "2", "--certfile", str(cert_file), "--keyfile",
                               str(key_file), "-b", f"127.0.0.1:{port}", "wsgi:app"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"https://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1, context=UNVERIFIED).close()
            return server, base, f"--ignore-certificate-errors-spki-list={spki}"
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the app did not start")


def pages(client: Browserless) -> list[tuple[str, str]]:
    """(name, path) of the four audited pages, logged in as the demo SKP worker."""
    client.post("/login", {"email": "skp@example.com", "password": PASSWORD})
    landed = client.post("/skp/clients/new", {"nickname": "Lighthouse"})
    number = re.search(r"K-\d{5}", landed) or re.search(r"K-\d{5}", client.get(urllib.parse.urlsplit(landed).path))
    months = sorted(set(re.findall(r"/skp/clients/" + re.escape(number.group(0)) + r"/reports/(\d{4}-\d{2})",
                                   client.get("/skp/reports") + client.get(f"/skp/clients/{number.group(0)}"))))
    intake = f"/skp/clients/{number.group(0)}/reports/{months[0] if months else time.strftime('%Y-%m')}"
    monthly = sorted(set(re.findall(r"/skp/clients/K-00001/reports/\d{4}-\d{2}", client.get("/skp/reports"))))
    return [("login", "/login"), ("SKP front page", "/"), ("monthly report", monthly[len(monthly) // 2]),
            ("intake", intake)]


def lighthouse(url: str, cookie: str | None, out: Path, trust: str) -> dict[str, object]:
    command = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
               "--only-categories=" + ",".join(CATEGORIES), "--form-factor=mobile", "--throttling-method=simulate",
               f"--chrome-path={CHROMIUM}",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
               f"{trust} --disable-background-networking --no-first-run"]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    for attempt in range(3):  # Lighthouse 12 in new headless mode sometimes loses the trace (NO_NAVSTART)
        if subprocess.run(command, cwd=ROOT, timeout=300).returncode == 0:
            return json.loads(out.read_text())
        print(f"Lighthouse failed on {url} (attempt {attempt + 1}); running it again", file=sys.stderr)
    raise SystemExit(f"Lighthouse failed three times on {url}")


def repeat_visit_kib(url: str, cookie: str | None, trust: str) -> float:
    """Bytes on the wire when the page is opened a second time in the same profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                            args=["--no-sandbox", "--disable-gpu", trust])
        context = browser.new_context(user_agent=MOBILE_UA, viewport={"width": 412, "height": 823},
                                      extra_http_headers={"Cookie": cookie} if cookie else {})
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.goto("about:blank")
        session = context.new_cdp_session(page)
        session.send("Network.enable")
        sizes: dict[str, float] = {}
        session.on("Network.loadingFinished", lambda event: sizes.__setitem__(event["requestId"],
                                                                              event["encodedDataLength"]))
        page.goto(url, wait_until="load")
        page.wait_for_timeout(500)
        browser.close()
    return sum(sizes.values()) / 1024


def report_page(name: str, reports: list[dict], repeat: float) -> list[str]:
    """Print the medians of the runs (and every run's LCP); return the targets they miss."""
    misses = []
    for category in CATEGORIES:
        score = round(statistics.median(r["categories"][category]["score"] for r in reports) * 100)
        print(f"{name:15} {category:15} {score:4d}")
        misses += [f"{name} {category} {score}"] if score < TARGETS[category] else []
    lcps = [r["audits"]["largest-contentful-paint"]["numericValue"] for r in reports]
    lcp = statistics.median(lcps)
    first = statistics.median(r["audits"]["total-byte-weight"]["numericValue"] for r in reports) / 1024
    protocols = {item.get("protocol") for r in reports for item in r["audits"]["network-requests"]["details"]["items"]}
    runs = ", ".join(f"{value / 1000:.2f}" for value in lcps)
    print(f"{name:15} {'lcp':15} {lcp / 1000:.2f} s (runs: {runs})\n{name:15} {'first-load':15} {first:.0f} KiB"
          f"\n{name:15} {'repeat-visit':15} {repeat:.0f} KiB\n{name:15} {'protocol':15} {', '.join(sorted(protocols))}")
    misses += [f"{name} LCP {lcp:.0f} ms"] if lcp > MAX_LCP_MS else []
    misses += [f"{name} first load {first:.0f} KiB"] if first > MAX_FIRST_KIB else []
    misses += [f"{name} repeat visit {repeat:.0f} KiB"] if repeat > MAX_REPEAT_KIB else []
    return misses


def main() -> int:
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: run make (npm install)")
    workdir = Path(tempfile.mkdtemp(prefix="skp-lighthouse-"))
    server, base, trust = start_app(workdir)
    misses = []
    try:
        client = Browserless(base)
        for name, path in pages(client):
            cookie = None if path == "/login" else client.cookie_header()
            slug = re.sub(r"\W+", "-", name)
            reports = [lighthouse(base + path, cookie, workdir / f"{slug}-{run}.json", trust)
                       for run in range(RUNS)]
            if any(r.get("finalDisplayedUrl", "").endswith("/login") for r in reports) and path != "/login":
                raise SystemExit(f"{name}: Lighthouse was sent to the login page (cookie refused)")
            misses += report_page(name, reports, repeat_visit_kib(base + path, cookie, trust))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    print(f"reports: {workdir}")
    if misses:
        print("missed targets: " + "; ".join(misses))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
