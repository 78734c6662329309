"""Benchmark: .xlsx writers on an export-shaped sheet (default 100k rows x 150 small-int + 4 text columns).

Usage (run alone on the machine, one writer process at a time)::

    .venv/bin/python bench/xlsx_writers.py                       # all writers, 100k rows, 1 repetition
    .venv/bin/python bench/xlsx_writers.py --rows 10000 --repeat 3
    .venv/bin/python bench/xlsx_writers.py --writers bound,exports

XlsxWriter and lxml are not project dependencies: ``.venv/bin/pip install xlsxwriter lxml`` to include
them in a run (and uninstall afterwards).

Writers (each measured in its own child process; the clock excludes imports and data setup):

* ``bound``      the lower bound: the same cell values as minimal sheet XML (``<c r="B7"><v>3</v></c>``,
                 inline strings) built in Python and deflated with zlib level 6 (raw deflate, as a zip
                 entry), output discarded;
* ``exports``    ``exports.xlsx.Workbook`` (stdlib zipfile streaming writer, level 6);
* ``xlsxwriter`` XlsxWriter ``constant_memory=True`` with strings_to_formulas/urls/numbers off;
* ``openpyxl``   openpyxl ``write_only=True``, every str cell forced to data_type "s" (else "=…" becomes
                 a formula); uses lxml if installed (set OPENPYXL_LXML=False to switch it off).

Missing libraries are reported as "not installed". Every produced file is opened with openpyxl
(read-only) and its first data rows compared with the source rows ("check ok").

Output: one line per writer: median seconds (min-max), rows/s, peak RSS of the child (and RSS before
writing; both VmHWM), file size, and the ratio of the median time to the bound's median time.

Measured 2026-11-23 (2 vCPU shared VM, load from other work ~1.5-3; CPython 3.11.7, zlib 1.2.13,
openpyxl 3.1.5, XlsxWriter 3.3.1, lxml 6.1.3; the last two installed only for this run)::

    $ .venv/bin/python bench/xlsx_writers.py --rows 100000 --repeat 3      (median of 3; peak RSS, before writing)
    bound       11.99 s (11.20-12.28)  8,344 rows/s  21.9 MiB (15.9)  40.64 MiB  1.00x bound
    exports     12.23 s (11.32-12.38)  8,180 rows/s  21.7 MiB (20.7)  40.69 MiB  1.02x bound  check ok
    xlsxwriter  50.80 s (49.63-63.00)  1,969 rows/s  24.8 MiB (24.0)  40.65 MiB  4.24x bound  check ok
    openpyxl    80.14 s (76.04-98.14)  1,248 rows/s  32.9 MiB (32.4)  48.98 MiB  6.69x bound  check ok, lxml=True
    $ OPENPYXL_LXML=False .venv/bin/python bench/xlsx_writers.py --rows 100000 --writers bound,openpyxl
    bound         13.15 s  7,607 rows/s  peak RSS 21.9 MiB  40.64 MiB  1.00x bound
    openpyxl     107.22 s    933 rows/s  peak RSS 32.7 MiB  48.96 MiB  8.16x bound  check ok, lxml=False
    $ .venv/bin/python bench/xlsx_writers.py --rows 500000 --writers bound,exports
    bound         65.32 s  7,654 rows/s  peak RSS 21.8 MiB  207.66 MiB  1.00x bound
    exports       66.68 s  7,499 rows/s  peak RSS 21.7 MiB  207.90 MiB  1.02x bound  check ok

Choice: ``exports.xlsx`` (stdlib only, ~1.0x the bound, RSS flat from 100k to 500k rows).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRITERS = ("bound", "exports", "xlsxwriter", "openpyxl")
INT_COLUMNS = 150
TEXT_HEADER = ["klient", "periode", "maaling", "kommentar"]
HEADER = TEXT_HEADER + [f"q{i}" for i in range(1, INT_COLUMNS + 1)]
POOL_A, POOL_B, POOL_T = 1009, 1013, 997  # co-prime pools: deflate (32 KB window) cannot exploit repeats


def make_pools(seed: int = 7) -> tuple[list[tuple], list[tuple], list[tuple]]:
    rng = random.Random(seed)

    def code() -> int | None:
        x = rng.random()
        if x < 0.10:
            return None
        if x < 0.15:
            return 77
        return rng.randint(0, 9)

    half = INT_COLUMNS // 2
    pool_a = [tuple(code() for _ in range(half)) for _ in range(POOL_A)]
    pool_b = [tuple(code() for _ in range(INT_COLUMNS - half)) for _ in range(POOL_B)]
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    texts = []
    for _ in range(POOL_T):
        client = "K" + "".join(rng.choice(alphabet) for _ in range(9))
        period = f"{rng.randint(2008, 2010)}-{rng.randint(1, 12):02d}"
        kind = rng.choice(["indskrivning", "maanedlig", "maanedlig", "maanedlig", "periodisk", "afslutning"])
        comment = None
        if rng.random() < 0.2:
            comment = rng.choice(["Brugeren åbnede døren & vi drak kaffe", "=1+1", "-3 dage", "@mødested",
                                  "Sygdom <uge 12>", "Ingen kontakt i denne måned"])
        texts.append((client, period, kind, comment))
    return pool_a, pool_b, texts


def rows(n: int, pools: tuple[list[tuple], list[tuple], list[tuple]]):
    pool_a, pool_b, texts = pools
    for i in range(n):
        yield texts[i % POOL_T] + pool_a[i % POOL_A] + pool_b[i % POOL_B]


# -- writers (child side) ------------------------------------------------------------------------


def write_bound(path: str, n: int, pools) -> int:
    """Minimal sheet XML for the same values, deflated (raw, level 6) and discarded; returns compressed size."""
    from exports.xlsx import column_letter

    cols = [f'<c r="{column_letter(i)}' for i in range(len(HEADER))]

    def esc(s: str) -> str:
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    size = 0
    buf: list[str] = []
    buffered = 0
    for r, row in enumerate(rows(n, pools), start=2):
        rs = str(r)
        parts = [f'<row r="{rs}">']
        for i, v in enumerate(row):
            if v is None:
                continue
            if type(v) is str:
                parts.append(f'{cols[i]}{rs}" t="inlineStr"><is><t>{esc(v)}</t></is></c>')
            else:
                parts.append(f'{cols[i]}{rs}"><v>{v}</v></c>')
        parts.append("</row>")
        s = "".join(parts)
        buf.append(s)
        buffered += len(s)
        if buffered > 1 << 18:
            size += len(comp.compress("".join(buf).encode()))
            buf.clear()
            buffered = 0
    size += len(comp.compress("".join(buf).encode()))
    size += len(comp.flush())
    return size


def write_exports(path: str, n: int, pools) -> None:
    from exports.xlsx import Workbook

    with Workbook(path) as wb:
        wb.add_sheet("Indberetninger", HEADER)
        for row in rows(n, pools):
            wb.write_row(row)


def write_xlsxwriter(path: str, n: int, pools) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                    "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet("Indberetninger")
    ws.write_row(0, 0, HEADER)
    for r, row in enumerate(rows(n, pools), start=1):
        ws.write_row(r, 0, row)
    wb.close()


def write_openpyxl(path: str, n: int, pools) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Indberetninger")
    ws.append(HEADER)
    for row in rows(n, pools):
        out = list(row)
        for i in range(len(TEXT_HEADER)):
            if out[i] is not None:
                cell = WriteOnlyCell(ws, value=out[i])
                cell.data_type = "s"  # never a formula
                out[i] = cell
        ws.append(out)
    wb.save(path)


def peak_rss_mib() -> float:
    """Peak resident memory of this process image (VmHWM). ru_maxrss is not used: on Linux it
    survives fork+exec and would report the parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(writer: str, n: int, path: str) -> None:
    sys.path.insert(0, str(ROOT))
    fn = {"bound": write_bound, "exports": write_exports, "xlsxwriter": write_xlsxwriter,
          "openpyxl": write_openpyxl}[writer]
    try:
        if writer == "xlsxwriter":
            import xlsxwriter  # noqa: F401
        if writer == "exports":
            import exports.xlsx  # noqa: F401
        if writer == "openpyxl":
            import openpyxl  # noqa: F401
    except ImportError:
        print(json.dumps({"writer": writer, "missing": True}))
        return
    extra = {}
    if writer == "openpyxl":
        from openpyxl.xml import LXML

        extra["lxml"] = LXML
    pools = make_pools()
    rss_before = peak_rss_mib()
    t0 = time.perf_counter()
    c0 = time.process_time()
    result = fn(path, n, pools)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    rss = peak_rss_mib()
    size = result if writer == "bound" else os.path.getsize(path)
    print(json.dumps({"writer": writer, "seconds": seconds, "cpu": cpu, "rss_before": rss_before,
                      "rss_peak": rss, "bytes": size, **extra}))


# -- parent side ---------------------------------------------------------------------------------


def check_file(path: str, n: int) -> str:
    """Open with openpyxl (read-only) and compare the header and first data rows with the source."""
    from openpyxl import load_workbook

    expected = [tuple(HEADER)] + list(rows(min(n, 5), make_pools()))
    wb = load_workbook(path, read_only=True)
    try:
        ws = wb.worksheets[0]
        got = []
        for row in ws.iter_rows(min_row=1, max_row=len(expected), values_only=True):
            got.append(tuple(row) + (None,) * (len(HEADER) - len(row)))
    finally:
        wb.close()
    return "check ok" if got == expected else "CHECK FAILED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--writers", default=",".join(WRITERS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows, args.out)
        return

    writers = [w.strip() for w in args.writers.split(",") if w.strip()]
    unknown = set(writers) - set(WRITERS)
    if unknown:
        parser.error(f"unknown writers: {', '.join(sorted(unknown))}")
    print(f"# {args.rows} rows x {len(HEADER)} columns ({INT_COLUMNS} int codes 0-9/77/empty, "
          f"{len(TEXT_HEADER)} text), repeat={args.repeat}, python {sys.version.split()[0]}, "
          f"zlib {zlib.ZLIB_VERSION}, cores {os.cpu_count()}")
    results: dict[str, list[dict]] = {w: [] for w in writers}
    checks: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):  # interleaved repetitions spread machine noise over writers
            for writer in writers:
                path = os.path.join(tmp, f"{writer}.xlsx")
                out = subprocess.run(  # noqa: S603 - our own script, fixed arguments
                    [sys.executable, __file__, "--child", writer, "--rows", str(args.rows), "--out", path],
                    check=True, capture_output=True, text=True,
                ).stdout
                record = json.loads(out.strip().splitlines()[-1])
                results[writer].append(record)
                if not record.get("missing") and writer != "bound" and writer not in checks:
                    checks[writer] = check_file(path, args.rows)
                if os.path.exists(path):
                    os.remove(path)
    bound = results.get("bound")
    bound_median = statistics.median(r["seconds"] for r in bound) if bound and not bound[0].get("missing") else None
    for writer in writers:
        runs = results[writer]
        if runs[0].get("missing"):
            print(f"{writer:<11} not installed")
            continue
        secs = [r["seconds"] for r in runs]
        med = statistics.median(secs)
        ratio = f"{med / bound_median:5.2f}x bound" if bound_median else "   - x bound"
        note = checks.get(writer, "deflate only, no file" if writer == "bound" else "")
        if "lxml" in runs[0]:
            note += f", lxml={runs[0]['lxml']}"
        print(
            f"{writer:<11} {med:7.2f} s (min {min(secs):.2f}, max {max(secs):.2f}, n={len(secs)})"
            f"  {args.rows / med:8,.0f} rows/s  peak RSS {max(r['rss_peak'] for r in runs):6.1f} MiB"
            f" (before writing {runs[0]['rss_before']:.1f})  {runs[0]['bytes'] / 2**20:6.2f} MiB"
            f"  {ratio}  {note}"
        )


if __name__ == "__main__":
    main()
