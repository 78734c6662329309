"""Export benchmark: database -> finished .xlsx, against the lower bound and pandas, same run, same machine.

Usage::

    .venv/bin/python bench/export_bench.py                          # sizes 10000,100000 (make bench)
    .venv/bin/python bench/export_bench.py --sizes 10000,100000,500000 --pandas-max 100000

For every size N (client-months, i.e. submitted monthly reports):

1. a fresh SQLite database (``APP_ENV=production``, temporary dir) is migrated and seeded with N
   reports by ``bench/seed.py`` (the real questionnaire and skip logic; timed, reported apart);
2. **export**: ``flask --app wsgi export --out FILE`` (the real CLI: process start, database read,
   anonymisation, writing, closing the file), timed from outside; if the CLI does not exist yet a
   clearly labelled stand-in exporter (``exporter=standin``) is measured instead;
   **in-process**: the same export inside a running app, as the web download runs it (``run_export``
   timed from the first query to the closed file; no process start or imports), interleaved with (2);
3. the cells of every sheet of the produced file are read back (not timed) into a scratch file;
   **statistics**: once more in-process with ``--format zip`` (workbook + SPSS .sav + Stata .dta +
   CSV with the codebook, :mod:`exports.statistics`): total seconds and the seconds writing each
   format (``BENCH_STATISTICS=0`` skips it);
4. **bound**: the same cell values written as minimal sheet XML text (inline strings) and deflated
   with zlib level 6 into a zip file; only the XML building and deflating/writing is timed;
5. **pandas**: one ``pandas.DataFrame`` per sheet (built, not timed) and ``DataFrame.to_excel``
   (openpyxl engine) into one workbook, timed; only for N <= ``--pandas-max`` (it is slow and heavy).

Every step runs in its own child process started by a small fresh wrapper, whose
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the peak RSS of that step alone.

Output: one figure per line, ``export[N] <figure> <value>``.
"""

from __future__ import annotations

import argparse
import codecs
import json
import marshal
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BIN, ROOT, bench_env, say
from perf.machine import load_average, machine

HERE = Path(__file__).resolve()
CHUNK_ROWS = 2000


def child(mode: str, *args: str, env: dict[str, str] | None = None, timeout: float = 3600) -> dict:
    """Run ``mode`` in a child (under a fresh measuring wrapper); returns its JSON + wall/peak RSS."""
    cmd = [sys.executable, str(HERE), "measure", "--", sys.executable, str(HERE), mode, *args]
    return run_measured(cmd, env, timeout)


def run_measured(cmd: list[str], env: dict[str, str] | None, timeout: float) -> dict:
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)  # noqa: S603
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[-4:])} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- child modes -------------------------------------------------------------------------------


def mode_measure(cmd: list[str]) -> None:
    """Run ``cmd``, print its JSON output merged with wall seconds and the peak RSS of its tree."""
    started = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)  # noqa: S603 - our own commands
    wall = time.perf_counter() - started
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        sys.exit(out.returncode)
    record = {}
    lines = out.stdout.strip().splitlines()
    if lines and lines[-1].startswith("{"):
        record = json.loads(lines[-1])
    record["wall"] = wall
    record["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(record))


def mode_seed(n: int) -> None:
    from bench.common import app_in

    app = app_in(dict(os.environ), upgrade=True)
    with app.app_context():
        from bench.seed import seed_client_months

        started = time.perf_counter()
        count = seed_client_months(n)
        cli = "export" in app.cli.commands
        print(json.dumps({"seconds": time.perf_counter() - started, "reports": count, "export_cli": cli}))


def mode_export(out: str) -> None:
    """The real export CLI, run from this process so the wrapper's wall clock covers it."""
    extra = os.environ.get("BENCH_EXPORT_ARGS", "").split()
    started = time.perf_counter()
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "export", "--out", out, *extra],  # noqa: S603
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def mode_inprocess(out: str) -> None:
    """The same export inside a running app, as the web download runs it: only ``run_export`` is timed
    (database read to closed file), not the process start and imports that the CLI figure includes."""
    from bench.common import app_in

    app = app_in(dict(os.environ))
    with app.app_context():
        from reporting.evaluation.source import ExportRequest, run_export

        started = time.perf_counter()
        run_export(out, ExportRequest(), scope=None, user_id=None, via="cli")
        print(json.dumps({"seconds": time.perf_counter() - started}))


def mode_statistics(out: str) -> None:
    """The export with every statistics format (``--format zip``: workbook + .sav + .dta + .csv),
    in-process like ``inprocess``; prints the total and the seconds spent writing each format."""
    from bench.common import app_in

    app = app_in(dict(os.environ))
    with app.app_context():
        from reporting.evaluation.source import ExportRequest, run_export

        started = time.perf_counter()
        result = run_export(out, ExportRequest(file_format="zip"), scope=None, user_id=None, via="cli")
        print(json.dumps({"seconds": time.perf_counter() - started, "formats": result.seconds,
                          "bytes": result.bytes_written}))


def mode_standin(out: str) -> None:
    """Stand-in while the real export is not there: every report, one column per answer slot."""
    from bench.common import app_in

    started = time.perf_counter()
    app = app_in(dict(os.environ))
    with app.app_context():
        from sqlalchemy import select

        from exports.xlsx import Workbook
        from forms import get_definition
        from reporting.core.extensions import db
        from reporting.skp.models import Client, Course, Report

        keys = get_definition("skp_monthly").answer_keys()
        query = (select(Client.system_number, Report.period, Report.answers)
                 .join(Course, Report.course_id == Course.id).join(Client, Course.client_id == Client.id)
                 .where(Report.status == "submitted").order_by(Report.id))
        with Workbook(out) as wb:
            wb.add_sheet("Indberetninger", ["klient", "periode", *keys])
            for number, period, answers in db.session.execute(query.execution_options(yield_per=2000)):
                wb.write_row([number, period.isoformat()[:7],
                              *(_flat(answers.get(k)) for k in keys)])
    print(json.dumps({"seconds": time.perf_counter() - started}))


def _flat(value: object) -> object:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return value


CELL = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
VALUE = re.compile(r"<v>(.*?)</v>", re.S)
TEXT = re.compile(r"<t(?: [^>]*)?>(.*?)</t>", re.S)
TYPE = re.compile(r't="(\w+)"')
ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _unescape(text: str) -> str:
    if "&" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        e = m.group(1)
        if e[0] == "#":
            return chr(int(e[2:], 16) if e[1] == "x" else int(e[1:]))
        return NAMED[e]

    return ENTITY.sub(one, text)


def _col(letters: str, cache: dict[str, int] = {}) -> int:  # noqa: B006 - a deliberate memo
    index = cache.get(letters)
    if index is None:
        index = 0
        for ch in letters:
            index = index * 26 + ord(ch) - 64
        cache[letters] = index - 1
        index -= 1
    return index


def mode_extract(xlsx: str, values: str) -> None:
    """Every sheet's cells -> scratch file of marshal records: ("sheet", name), [(row, cells)...], ("end",)."""
    started = time.perf_counter()
    cells_total = 0
    rows_first = 0
    with zipfile.ZipFile(xlsx) as zf, open(values, "wb") as out:
        names = zf.namelist()
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            xml = zf.read("xl/sharedStrings.xml").decode()
            shared = ["".join(_unescape(t) for t in TEXT.findall(si))
                      for si in re.findall(r"<si>(.*?)</si>", xml, re.S)]
        workbook = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
        targets = {}
        for rel in re.findall(r"<Relationship [^>]*>", rels):
            rid, target = re.search(r'Id="([^"]+)"', rel), re.search(r'Target="([^"]+)"', rel)
            if rid and target:
                targets[rid.group(1)] = target.group(1)
        sheets = re.findall(r'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', workbook)
        for index, (name, rid) in enumerate(sheets):
            target = targets[rid].lstrip("/")
            path = target if target.startswith("xl/") else "xl/" + target
            marshal.dump(("sheet", _unescape(name)), out)
            batch: list = []
            rest = ""
            decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")  # chunks may split a character
            with zf.open(path) as raw:
                while True:
                    data = raw.read(1 << 20)
                    text = rest + decoder.decode(data, final=not data)
                    cut = text.rfind("</row>") + 6 if data else len(text)
                    if cut < 6 and data:
                        rest = text
                        continue
                    body, rest = text[:cut], text[cut:]
                    for row_xml in body.split("</row>"):
                        cells = {}
                        row_no = 0
                        for col, r, attrs, inner in CELL.findall(row_xml):
                            row_no = int(r)
                            if not inner:
                                continue
                            t = TYPE.search(attrs)
                            kind = t.group(1) if t else "n"
                            if kind == "inlineStr":
                                value: object = "".join(_unescape(x) for x in TEXT.findall(inner))
                            else:
                                v = VALUE.search(inner)
                                if v is None:
                                    continue
                                raw_v = v.group(1)
                                if kind == "s":
                                    value = shared[int(raw_v)]
                                elif kind in ("str", "e"):
                                    value = _unescape(raw_v)
                                elif kind == "b":
                                    value = raw_v == "1"
                                else:
                                    value = float(raw_v) if any(c in raw_v for c in ".eE") else int(raw_v)
                            cells[_col(col)] = value
                        if not row_no:
                            continue
                        width = max(cells) + 1 if cells else 0
                        batch.append((row_no, tuple(cells.get(i) for i in range(width))))
                        cells_total += len(cells)
                        if index == 0:
                            rows_first += 1
                        if len(batch) >= CHUNK_ROWS:
                            marshal.dump(batch, out)
                            batch = []
                    if not data:
                        break
            if batch:
                marshal.dump(batch, out)
        marshal.dump(("end",), out)
    print(json.dumps({"seconds": time.perf_counter() - started, "sheets": len(sheets), "cells": cells_total,
                      "rows_first_sheet": rows_first}))


def _records(values: str):  # type: ignore[no-untyped-def]
    with open(values, "rb") as f:
        while True:
            record = marshal.load(f)  # noqa: S302 - our own scratch file
            if isinstance(record, tuple) and record and record[0] == "end":
                return
            yield record


def _column_letters(n: int) -> list[str]:
    out = []
    for i in range(n):
        s, i1 = "", i + 1
        while i1:
            i1, rem = divmod(i1 - 1, 26)
            s = chr(65 + rem) + s
        out.append(s)
    return out


def mode_bound(values: str, target: str) -> None:
    """Minimal sheet XML of the same cells, deflated (zlib level 6) into a zip; XML + deflate timed."""
    letters = _column_letters(16384)
    prefixes = [f'<c r="{c}' for c in letters]
    timed = 0.0
    size = 0

    def esc(s: str) -> str:
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    t0 = time.perf_counter()
    zf = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    sheet = None
    count = 0
    timed += time.perf_counter() - t0
    for record in _records(values):
        if isinstance(record, tuple) and record[0] == "sheet":
            t0 = time.perf_counter()
            if sheet is not None:
                sheet.write(b"</sheetData></worksheet>")
                sheet.close()
            count += 1
            sheet = zf.open(f"xl/worksheets/sheet{count}.xml", "w", force_zip64=True)
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            timed += time.perf_counter() - t0
            continue
        t0 = time.perf_counter()
        parts = []
        for row_no, cells in record:
            rs = str(row_no)
            parts.append(f'<row r="{rs}">')
            for i, v in enumerate(cells):
                if v is None:
                    continue
                if type(v) is str:
                    parts.append(f'{prefixes[i]}{rs}" t="inlineStr"><is><t>{esc(v)}</t></is></c>')
                elif type(v) is bool:
                    parts.append(f'{prefixes[i]}{rs}" t="b"><v>{int(v)}</v></c>')
                else:
                    parts.append(f'{prefixes[i]}{rs}"><v>{v}</v></c>')
            parts.append("</row>")
        sheet.write("".join(parts).encode())  # type: ignore[union-attr]
        timed += time.perf_counter() - t0
    t0 = time.perf_counter()
    if sheet is not None:
        sheet.write(b"</sheetData></worksheet>")
        sheet.close()
    zf.close()
    timed += time.perf_counter() - t0
    size = os.path.getsize(target)
    print(json.dumps({"seconds": timed, "bytes": size, "zlib": zlib.ZLIB_VERSION}))


def mode_pandas(values: str, target: str) -> None:
    """One DataFrame per sheet (not timed), then DataFrame.to_excel into one workbook (timed)."""
    import pandas as pd

    frames: list[tuple[str, pd.DataFrame]] = []
    name, rows = None, []

    def finish() -> None:
        if name is None:
            return
        width = max((len(r) for r in rows), default=0)
        header = list(rows[0]) + [None] * (width - len(rows[0])) if rows else []
        columns = [str(h) if h is not None else f"col{i}" for i, h in enumerate(header)]
        body = [tuple(r) + (None,) * (width - len(r)) for r in rows[1:]]
        frames.append((name, pd.DataFrame.from_records(body, columns=columns)))

    for record in _records(values):
        if isinstance(record, tuple) and record[0] == "sheet":
            finish()
            name, rows = record[1], []
            continue
        rows.extend(cells for _, cells in record)
    finish()
    rows = []
    started = time.perf_counter()
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for sheet, frame in frames:
            frame.to_excel(writer, sheet_name=sheet[:31], index=False)
    print(json.dumps({"seconds": time.perf_counter() - started, "pandas": pd.__version__}))


# -- parent ------------------------------------------------------------------------------------


def export_cli_available(env: dict[str, str]) -> bool:
    probe = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "export", "--help"], cwd=ROOT, env=env,  # noqa: S603
                           capture_output=True, text=True, timeout=120)
    return probe.returncode == 0 and "--out" in probe.stdout


def pandas_available() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def bench_size(n: int, pandas_max: int, exporter: str, keep: bool, repeat: int = 3) -> None:
    tag = f"export[{n}]"
    with tempfile.TemporaryDirectory(prefix=f"skp-bench-{n}-") as tmp:
        env = bench_env(tmp)
        seeded = child("seed", str(n), env=env)
        say(f"{tag} seed_seconds {seeded['seconds']:.2f}  (bench generator, {seeded['reports']} reports; "
            f"not part of the export figure; load {load_average()})")
        xlsx = os.path.join(tmp, "export.xlsx")
        use = exporter
        if use == "auto":
            use = "cli" if seeded["export_cli"] and export_cli_available(env) else "standin"
        run = child("export" if use == "cli" else "standin", xlsx, env=env)
        inside = os.path.join(tmp, "inprocess.xlsx")
        # The in-process run is the default export only: BENCH_EXPORT_ARGS reach the CLI alone.
        same_export = use == "cli" and not os.environ.get("BENCH_EXPORT_ARGS", "").strip()
        inprocess = [child("inprocess", inside, env=env)] if same_export else []
        values = os.path.join(tmp, "values.marshal")
        extracted = child("extract", xlsx, values, env=env)
        note = (f"{extracted['sheets']} sheets, {extracted['cells']:,} cells, "
                f"{extracted['rows_first_sheet']:,} rows in sheet 1")
        bound = child("bound", values, os.path.join(tmp, "bound.zip"), env=env)
        exports, bounds = [run], [bound]
        for _ in range(repeat - 1):  # interleaved, so both see the same drift of a shared machine
            exports.append(child("export" if use == "cli" else "standin", xlsx, env=env))
            bounds.append(child("bound", values, os.path.join(tmp, "bound.zip"), env=env))
            if inprocess:
                inprocess.append(child("inprocess", inside, env=env))
        times = sorted(r["wall"] if use == "cli" else r["seconds"] for r in exports)
        bound_times = sorted(b["seconds"] for b in bounds)
        seconds, bound_seconds = times[0], bound_times[0]
        spread = f"best of {repeat}; all runs {', '.join(f'{t:.2f}' for t in times)}" if repeat > 1 else "one run"
        say(f"{tag} export_seconds {seconds:.2f}  (exporter={use}, database -> finished .xlsx, "
            f"{os.path.getsize(xlsx) / 2**20:.1f} MiB; {spread}; load {load_average()})")
        say(f"{tag} rows_per_second {n / seconds:,.0f}")
        say(f"{tag} peak_rss_mib {max(r['peak_rss_mib'] for r in exports):.1f}  (whole export process, highest run)")
        bound_spread = f"best of {repeat}; all runs {', '.join(f'{t:.2f}' for t in bound_times)}" \
            if repeat > 1 else "one run"
        say(f"{tag} bound_seconds {bound_seconds:.2f}  (same cells as minimal sheet XML, zlib {bound['zlib']} "
            f"level 6 into a zip; {note}; {bound_spread}; load {load_average()})")
        say(f"{tag} ratio_to_bound {seconds / bound_seconds:.2f}  (export_seconds / bound_seconds; "
            f"target <= 2.0 at 100k and 500k)")
        inside_best = min((r["seconds"] for r in inprocess), default=None)
        if inside_best is not None:
            inside_runs = ", ".join(f"{r['seconds']:.2f}" for r in sorted(inprocess, key=lambda r: r["seconds"]))
            say(f"{tag} inprocess_seconds {inside_best:.2f}  (the same export inside a running app, as the web "
                f"download runs it: run_export from the first query to the closed file, no process start; "
                f"all runs {inside_runs})")
        if same_export and os.environ.get("BENCH_STATISTICS", "1") != "0":
            stats = child("statistics", os.path.join(tmp, "export.zip"), env=env)
            formats = ", ".join(f"{fmt} {s:.2f} s" for fmt, s in stats["formats"].items())
            say(f"{tag} statistics_seconds {stats['seconds']:.2f}  (in-process export with every statistics format, "
                f"--format zip: workbook + .sav + .dta + .csv with the codebook, {stats['bytes'] / 2**20:.1f} MiB; "
                f"writing them: {formats}; peak RSS {stats['peak_rss_mib']:.0f} MiB; one run; load {load_average()})")
            for fmt in ("sav", "dta"):
                say(f"{tag} {fmt}_seconds {stats['formats'].get(fmt, 0):.2f}  (writing the .{fmt} files from the "
                    f"kept rows, after the workbook; the export itself: inprocess_seconds)")
        if n <= pandas_max and pandas_available():
            pd_run = child("pandas", values, os.path.join(tmp, "pandas.xlsx"), env=env)
            say(f"{tag} pandas_seconds {pd_run['seconds']:.2f}  (DataFrame.to_excel, openpyxl engine, "
                f"pandas {pd_run['pandas']}; peak RSS {pd_run['peak_rss_mib']:.0f} MiB incl. the DataFrame; "
                f"load {load_average()})")
            say(f"{tag} speedup_vs_pandas {pd_run['seconds'] / seconds:.1f}  (pandas_seconds / best export_seconds; "
                f"one pandas run; target >= 10)")
            if inside_best is not None:
                say(f"{tag} speedup_vs_pandas_inprocess {pd_run['seconds'] / inside_best:.1f}  (pandas_seconds / "
                    f"inprocess_seconds: neither counts process start or imports; pandas not even building "
                    f"its DataFrames)")
        else:
            why = "pandas not installed (pip install '.[bench]')" if not pandas_available() else \
                f"skipped above --pandas-max={pandas_max}"
            say(f"{tag} pandas_seconds skipped  ({why})")
        if keep:
            kept = ROOT / "bench" / f"last-export-{n}.xlsx"
            os.replace(xlsx, kept)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        mode_measure(sys.argv[sys.argv.index("--") + 1:])
        return
    modes = {"seed": lambda a: mode_seed(int(a[0])), "export": lambda a: mode_export(a[0]),
             "standin": lambda a: mode_standin(a[0]),
             "inprocess": lambda a: mode_inprocess(a[0]), "statistics": lambda a: mode_statistics(a[0]),
             "extract": lambda a: mode_extract(a[0], a[1]),
             "bound": lambda a: mode_bound(a[0], a[1]), "pandas": lambda a: mode_pandas(a[0], a[1])}
    if len(sys.argv) > 1 and sys.argv[1] in modes:
        modes[sys.argv[1]](sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "10000,100000"))
    parser.add_argument("--pandas-max", type=int, default=int(os.environ.get("BENCH_PANDAS_MAX", "100000")))
    parser.add_argument("--exporter", choices=["auto", "cli", "standin"], default="auto")
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "3")),
                        help="timed runs of the export and of the bound, interleaved; the best of each counts")
    parser.add_argument("--keep", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    say(f"# export bench: {machine()}")
    for n in [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]:
        bench_size(n, args.pandas_max, args.exporter, args.keep, max(1, args.repeat))


if __name__ == "__main__":
    main()
