"""Error localization's cost, as ratios to the check of a clean report in the same run:

    a report with one slip, and with three, checks in <= 2 x the time of the clean report
    a clean report pays 0 for the localizer: neither xlcheck.localize nor the solver is imported
    (and, as a whole `xlcheck check` process, the slipped reports stay within 2 x as well)

Run: python benchmarks/localize.py [--runs N]

Each format (2019 and 2021) gets a consistent report from the test corpus, then the same report with
one cell slipped (a part left at 0: the commonest slip, solved by the small brute force) and with three
cells slipped in three rows and columns (more than the brute force tries: HiGHS solves it). The clean
and the slipped checks are timed turn about, in process with plugins loaded, so that both see the same
machine load; the solver's one-off import is reported on its own, measured in a fresh process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from xlcheck.threads import one_blas_thread  # noqa: E402

one_blas_thread()  # as the CLI does, before the corpus' openpyxl loads numpy

from report import _xlcheck, alternating_ms, alternating_process_ms  # noqa: E402

TARGET = 2.0


def _t3_cells(values: dict[str, object], count: int) -> list[str]:
    """``count`` non-zero table-三 cells in distinct rows and columns."""
    rows: set[str] = set()
    columns: set[str] = set()
    chosen: list[str] = []
    for key, value in values.items():
        if len(chosen) == count:
            break
        if not key.startswith("t3.") or not value:
            continue
        _, row, col = key.split(".")
        if row not in rows and col not in columns:
            chosen.append(key)
            rows.add(row)
            columns.add(col)
    return chosen


def reports(folder: Path, fmt: str) -> dict[str, tuple[Path, int]]:
    """The clean report and its slipped versions, each with the number of cells slipped."""
    import corpus

    values = corpus.consistent_values(fmt, seed=8)
    year = 2020 if fmt == "2019" else 2022
    out = {}
    for name, count in (("clean", 0), ("one slip", 1), ("three slips", 3)):
        keys = _t3_cells(values, count)
        typed = dict(values)
        for key in keys:
            typed[key] = 0 if count == 1 else int(str(values[key])) * 11 + 1
        path = folder / f"{fmt}-{count}.xlsx"
        corpus.write_report(path, fmt, typed, year=year)
        out[name] = (path, count)
    return out


def _solver_import_ms() -> float:
    code = ("import time; t = time.perf_counter(); import numpy, highspy, xlcheck.localize; "
            "print((time.perf_counter() - t) * 1000)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def _clean_imports(path: Path) -> list[str]:
    code = ("import sys, xlcheck; r = xlcheck.check(sys.argv[1]); assert not r.findings, r.findings; "
            "print(' '.join(m for m in ('xlcheck.localize', 'highspy', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"the clean check of {path} failed:\n{out.stderr}")
    return out.stdout.split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each check (default 30)")
    args = parser.parse_args()

    import xlcheck

    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("2019", "2021"):
            cases = reports(Path(tmp), fmt)
            clean_path, _ = cases["clean"]
            imported = _clean_imports(clean_path)
            print(f"{fmt}: a clean check imports {' '.join(imported) if imported else 'nothing of the localizer'}")
            if imported:
                worst = float("inf")
            for name, (path, count) in cases.items():
                if not count:
                    continue
                report = xlcheck.check(path)
                fixed = len(report.suggestions) or f"{len(report.candidates)} candidate fixes"
                clean_ms, slipped_ms = alternating_ms(lambda c=clean_path: xlcheck.check(c),
                                                      lambda p=path: xlcheck.check(p), args.runs)
                ratio = slipped_ms / clean_ms
                worst = max(worst, ratio)
                print(f"{fmt} {name:<12} {slipped_ms:7.1f} ms = {ratio:4.2f} x the clean check "
                      f"({clean_ms:.1f} ms); suggestions: {fixed}")
                clean_ms, slipped_ms = alternating_process_ms(
                    _xlcheck("check", str(clean_path), "--no-annotate", "--format", "json"),
                    _xlcheck("check", str(path), "--no-annotate", "--format", "json"), max(3, args.runs // 5))
                ratio = slipped_ms / clean_ms
                worst = max(worst, ratio)
                print(f"{fmt} {name:<12} {slipped_ms:7.1f} ms = {ratio:4.2f} x the clean check, as whole processes "
                      f"({clean_ms:.1f} ms)")
    print(f"solver import, once per process: {_solver_import_ms():.0f} ms")
    verdict = "within" if worst <= TARGET else "over"
    print(f"worst ratio {worst:.2f} x: {verdict} the {TARGET:g} x target")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
