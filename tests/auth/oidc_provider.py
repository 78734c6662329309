"""A real OpenID provider for the SSO tests: tests/auth/oidc/provider.mjs (npm ``oidc-provider``)
started with node on a free port of 127.0.0.1, and stopped after the test.

Without node or the package the tests skip on a developer machine and fail in CI (``CI=true``):
``make`` installs the package (package.json devDependencies).
"""

from __future__ import annotations

import json
import select
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import IN_CI, free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).parent / "oidc" / "provider.mjs"
CLIENT_ID = "skp-indberetning"
CLIENT_SECRET = "test-client-secret-0123456789abcdef"  # noqa: S105 - a throwaway test provider


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(f"{message}; the SSO tests must run in CI (run make)")
    pytest.skip(message)


class Provider:
    """A running provider: ``issuer`` and the app configuration that points at it."""

    def __init__(self, process: subprocess.Popen[str], issuer: str) -> None:
        self.process, self.issuer = process, issuer

    def config(self, **extra: object) -> dict[str, object]:
        return {"OIDC_ISSUER": self.issuer, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "OIDC_SCOPES": "openid email profile", **extra}


@pytest.fixture
def start_oidc_provider() -> Iterator[object]:
    """``start(redirect_uri, accounts, acr=None) -> Provider``; every provider stops after the test."""
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed")
    if not (ROOT / "node_modules" / "oidc-provider" / "package.json").exists():
        _unavailable("the npm package oidc-provider is not installed")
    started: list[subprocess.Popen[str]] = []

    def start(redirect_uri: str, accounts: dict[str, dict[str, object]], acr: str | None = None) -> Provider:
        port = free_port()
        config = {"port": port, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                  "redirect_uri": redirect_uri, "accounts": accounts, "acr": acr}
        process = subprocess.Popen([node, str(SCRIPT), json.dumps(config)], cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True)
        started.append(process)
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 20)
        line = process.stdout.readline() if ready else ""
        if not line.startswith("READY "):
            pytest.fail(f"the OpenID provider did not start: {line!r} (exit {process.poll()})")
        return Provider(process, line.split()[1])

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
