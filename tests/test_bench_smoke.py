"""Smoke run of the benchmarks (``make bench``) at tiny sizes: they run and print their figure lines.

Proves the scripts work, nothing about speed: figures are printed by ``make bench``, never asserted
here. Both scripts run concurrently (own temp databases, gunicorn on 127.0.0.1, bounded).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NUMBER = r"-?[0-9][0-9,]*(?:\.[0-9]+)?"


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _figure(out: str, prefix: str, name: str, value: str = NUMBER) -> None:
    assert re.search(rf"^{re.escape(prefix)} {name} {value}\b", out, re.M), f"no '{prefix} {name}' line in:\n{out}"


def test_export_and_web_benchmarks_print_their_figures() -> None:
    export = _start("bench/export_bench.py", "--sizes", "200", "--pandas-max", "0", "--repeat", "2")
    web = _start("bench/web_bench.py", "--clients", "2", "--per-client", "1", "--workers", "1", "--threads", "2",
                 "--max-seconds", "30")
    try:
        export_out, _ = export.communicate(timeout=120)
        web_out, _ = web.communicate(timeout=120)
    finally:
        for proc in (export, web):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert export.returncode == 0, export_out
    assert web.returncode == 0, web_out
    for name in ("seed_seconds", "export_seconds", "rows_per_second", "peak_rss_mib", "bound_seconds",
                 "ratio_to_bound", "inprocess_seconds"):
        _figure(export_out, "export[200]", name)
    _figure(export_out, "export[200]", "pandas_seconds", "skipped")
    assert "best of 2" in export_out
    for endpoint in ("form", "submit", "bare"):
        for name in ("requests_per_second", "p50_ms", "p95_ms", "p99_ms"):
            _figure(web_out, f"web {endpoint}", name)
    _figure(web_out, "web form", "ratio_to_bare")
    _figure(web_out, "web submit", "ratio_to_bare")
    assert "submits stored as new reports: 2 of 2 measured" in web_out
