"""Smoke run of the Effektmåling benchmark (``make bench-effect``) at a tiny size: it runs and prints
its figure lines. Proves the script works, nothing about speed (figures are never asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_effect_benchmark_prints_its_figures() -> None:
    out = subprocess.run([sys.executable, "bench/effect_bench.py", "--sizes", "300", "--views", "3"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    for name in ("seed_seconds", "imports_seconds", "cold_seconds", "warm_p50_ms", "warm_p95_ms", "fingerprint_ms",
                 "other_process_seconds", "after_change_seconds", "municipal_cold_seconds", "municipal_warm_p95_ms"):
        assert re.search(rf"^effect\[300\] {name} [0-9.]+", out.stdout, re.M), (name, out.stdout)
    assert re.search(r"^effect\[300\] within_1s (yes|no)", out.stdout, re.M)
