"""One report-sized workbook, timed step by step (medians of many runs), with the ratios the targets
are stated in, each measured against its reference in the same run, turn about:

    in-process check     <= 2.5 x the bare python-calamine read of the same file
    in-process annotate  <= 4 x the bare read
    fresh `xlcheck check --no-annotate FILE`  <= 5 x `python -c pass`; with the copy <= 6 x
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


# a user's Python caches compiled modules; this sandbox sets PYTHONDONTWRITEBYTECODE, which would
# recompile every xlcheck module at every start (any value, even "0", switches caching off)
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _xlcheck(*args: str) -> list[str]:
    exe = shutil.which("xlcheck")
    return [exe, *args] if exe else [sys.executable, "-m", "xlcheck", *args]


def alternating_process_ms(first: list[str], second: list[str], runs: int) -> tuple[float, float]:
    """Medians of two whole processes started turn about."""
    def run(command: list[str]) -> Callable[[], object]:
        return lambda: subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENV,
                                      check=False)
    return alternating_ms(run(first), run(second), runs)


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
    bare_a, ann = alternating_ms(bare_read, lambda: annotate(path, out, report), max(20, runs // 4))
    figures = {
        "bare fast read (python-calamine)": bare,
        "naive openpyxl load_workbook": median_ms(naive_load, max(10, runs // 10)),
        "naive openpyxl load + marks + save": median_ms(naive_annotate, max(10, runs // 10)),
        "xlcheck check (in process)": check,
        "xlcheck annotate (in process)": ann,
    }
    fresh_runs = max(11, runs // 20)
    check_only = _xlcheck("check", "--no-annotate", str(path))
    with_copy = _xlcheck("check", "--output", str(tmp / "fresh.checked.xlsx"), str(path))
    pass_ms, fresh = alternating_process_ms([sys.executable, "-c", "pass"], check_only, fresh_runs)
    calamine_ms, fresh_c = alternating_process_ms([sys.executable, "-c", "import python_calamine"], check_only,
                                                  fresh_runs)
    pass_ms2, fresh_copy = alternating_process_ms([sys.executable, "-c", "pass"], with_copy, fresh_runs)
    figures.update({
        "fresh process: python -c pass": pass_ms,
        "fresh process: python -c 'import python_calamine'": calamine_ms,
        "fresh process: xlcheck check --no-annotate": fresh,
        "fresh process: xlcheck check (writes the copy)": fresh_copy,
    })

    print(f"workbook: {path.name} ({path.stat().st_size / 1024:.0f} KiB), {len(report.findings)} findings, "
          f"{len(marked)} marked cells; medians of up to {runs} runs\n")
    for name, ms in figures.items():
        print(f"  {name:<50} {ms:8.2f} ms")
    naive = figures["naive openpyxl load + marks + save"]
    rows = [
        ("check / bare read", check / bare, 2.5),
        ("annotate / bare read", ann / bare_a, 4.0),
        ("fresh check / python -c pass", fresh / pass_ms, 5.0),
        ("fresh check / python -c 'import python_calamine'", fresh_c / calamine_ms, None),
        ("fresh check with the copy / python -c pass", fresh_copy / pass_ms2, 6.0),
        ("annotate / naive load+save", ann / naive, 0.5),
    ]
    print()
    ok = True
    for name, value, target in rows:
        if target is None:
            print(f"  {name:<50} {value:8.2f}")
            continue
        met = value <= target
        ok &= met
        print(f"  {name:<50} {value:8.2f}   target <= {target:g}   {'met' if met else 'MISSED'}")
    print(f"\n  check is {naive / check:.0f}x faster than a naive openpyxl load + annotate + save")
    shutil.rmtree(tmp)
    return ok


if __name__ == "__main__":
    sys.exit(main())
