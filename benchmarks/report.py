"""One report-sized workbook, timed step by step (medians of many runs), with the ratios the targets
are stated in:

    check  <= 5 x the bare fast read of the same file
    fresh-process `xlcheck check --no-annotate FILE`  <= 200 ms
    annotate  <= 1/2 of a naive openpyxl load + marks + save

Run: python benchmarks/report.py [WORKBOOK ...] [--runs N]

By default it times two workbooks: the shipped sample (the real township report as published) and a
report-sized one formatted the way offices format them (a 2021 report with title rows, a page-break
header block, notes, every cell bordered), generated with the test corpus. The bare read and the check
are timed alternately, so that both see the same machine load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "xiaolou-2020.xlsx"


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm caches and imports, as a long-running process would have them
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def alternating_ms(first: Callable[[], object], second: Callable[[], object], runs: int) -> tuple[float, float]:
    """Medians of two steps timed turn about, so that a busy moment of the machine hits both."""
    first(), second()
    a, b = [], []
    for _ in range(runs):
        start = time.perf_counter()
        first()
        middle = time.perf_counter()
        second()
        a.append(middle - start)
        b.append(time.perf_counter() - middle)
    return statistics.median(a) * 1000, statistics.median(b) * 1000


def report_sized(folder: Path) -> Path:
    """A 2021 report as an office formats it: title rows, a repeated header block, notes, borders."""
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]
    import corpus
    import make_corpus

    path = folder / "report-sized-2021.xlsx"
    values = corpus.consistent_values("2021", 1)
    values["t3.public.natural"] += 1  # one real slip, so that annotate has something to mark
    corpus.write_report(path, "2021", values, year=2022, title=True, extra_rows=True, notes=True, drift=True)
    make_corpus._style(path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workbooks", nargs="*", metavar="WORKBOOK")
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    paths = [Path(p) for p in args.workbooks] or [SAMPLE, report_sized(folder)]
    ok = True
    for path in paths:
        ok &= bench(path, args.runs)
        print()
    shutil.rmtree(folder)
    return 0 if ok else 1


def bench(path: Path, runs: int) -> bool:
    import openpyxl
    import python_calamine
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    import xlcheck
    from xlcheck.writer import annotate

    tmp = Path(tempfile.mkdtemp())
    out = tmp / "out.xlsx"
    report = xlcheck.check(path)
    marked = [ref for f in report.findings for ref in f.cells]

    def bare_read() -> None:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
        book.close()

    def naive_load() -> None:
        openpyxl.load_workbook(path)

    def naive_annotate() -> None:
        wb = openpyxl.load_workbook(path)
        fill = PatternFill("solid", fgColor="FFFFC7CE")
        for ref in marked:
            sheet, cell = ref.rsplit("!", 1)
            wb[sheet][cell].fill = fill
            wb[sheet][cell].comment = Comment("xlcheck", "xlcheck")
        summary = wb.create_sheet("校验结果", 0)
        for i, f in enumerate(report.findings, 1):
            summary.append([i, f.rule, f.message, "、".join(f.cells)])
        wb.save(out)

    bare, check = alternating_ms(bare_read, lambda: xlcheck.check(path), runs)
    figures = {
        "bare fast read (python-calamine)": bare,
        "naive openpyxl load_workbook": median_ms(naive_load, max(10, runs // 10)),
        "naive openpyxl load + marks + save": median_ms(naive_annotate, max(10, runs // 10)),
        "xlcheck check (in process)": check,
        "xlcheck annotate": median_ms(lambda: annotate(path, out, report), max(20, runs // 4)),
    }
    exe = shutil.which("xlcheck") or sys.executable
    command = [exe, "check", "--no-annotate", str(path)] if exe != sys.executable else \
        [sys.executable, "-m", "xlcheck", "check", "--no-annotate", str(path)]
    # a user's Python caches compiled modules; this sandbox sets PYTHONDONTWRITEBYTECODE, which would
    # recompile every xlcheck module at every start (any value, even "0", switches caching off)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    figures["fresh process: xlcheck check --no-annotate"] = median_ms(
        lambda: subprocess.run(command, stdout=subprocess.DEVNULL, env=env, check=False), max(11, runs // 20))

    print(f"workbook: {path.name} ({path.stat().st_size / 1024:.0f} KiB), {len(report.findings)} findings, "
          f"{len(marked)} marked cells; medians of up to {runs} runs\n")
    for name, ms in figures.items():
        print(f"  {name:<46} {ms:8.2f} ms")
    fresh = figures["fresh process: xlcheck check --no-annotate"]
    ann = figures["xlcheck annotate"]
    naive = figures["naive openpyxl load + marks + save"]
    rows = [
        ("check / bare read", check / bare, 5.0, "<="),
        ("fresh-process check (ms)", fresh, 200.0, "<="),
        ("annotate / naive load+save", ann / naive, 0.5, "<="),
    ]
    print()
    ok = True
    for name, value, target, _ in rows:
        met = value <= target
        ok &= met
        print(f"  {name:<30} {value:8.2f}   target <= {target:g}   {'met' if met else 'MISSED'}")
    print(f"\n  check is {naive / check:.0f}x faster than a naive openpyxl load + annotate + save")
    shutil.rmtree(tmp)
    return ok


if __name__ == "__main__":
    sys.exit(main())
