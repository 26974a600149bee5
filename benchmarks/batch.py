"""Batch throughput: checking a folder of 1000 report workbooks, beside a naive openpyxl loop.

    python benchmarks/batch.py [--dir DIR] [-n 1000] [--jobs N] [--repeat 3] [--naive 60]

Generates the folder with ``make_corpus.py`` when ``DIR`` does not hold it yet (about 20 % of the
workbooks with errors, four that cannot be read, lock and hidden files to skip), then in one run:

* **check only**: ``xlcheck.batch`` over the folder, ``--jobs`` processes (default: every core), no
  annotated copies: workbooks per second, wall clock from the folder walk to the last result;
* **check + annotate**: the same, writing annotated copies of the files with findings into an
  output folder;
* **peak memory per worker**: the largest ``ru_maxrss`` any worker reported, checking and annotating
  the folder in a fresh process that holds only xlcheck, as the command line forks its workers
  (workers forked from this script would count its own memory, openpyxl and every result, as theirs);
* **the command line end to end**: ``xlcheck check DIR --out-dir OUT --summary S.xlsx --format json``
  in a fresh process, the summary workbook included;
* **with last year's reports**: a folder of this year's workbooks checked with ``--previous`` over a
  folder of as many of last year's (every unit in both; pairing, cross-year rules), against the same
  folder checked without it, turn about in the same run: the ratio of wall clocks (target ≤ 1.5×),
  and of the CPU time of the parent and its workers (steadier on a machine others are using). Three
  ways, as the command line runs them: the reviewer's usual run, last year's values taken from the
  cache an earlier run left (``xlcheck.yearcache``) and the first run, which reads last year's
  workbooks and fills the cache, each against the target; and ``--no-cache``;
* **naive loop**: one process, per file ``openpyxl.load_workbook`` (default options), every cell value
  read into the same grid, then the same locate and rules (``check_workbook``), on every
  ``len/naive``-th file; and xlcheck on one core over the same files, for the per-core ratio.

Prints a table and the ratios; ``--json PATH`` also writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_corpus

from xlcheck import batch, yearcache
from xlcheck.check import check_workbook
from xlcheck.findings import Report
from xlcheck.plugins import default_registry
from xlcheck.reader import Sheet, Workbook

TARGETS = {"check": 200.0, "annotate": 60.0, "rss_mb": 40.0, "naive_ratio": 20.0, "previous_ratio": 1.5}
#: the runs with last year's reports, in the order each repeat times them: (with --previous, the cache)
PREVIOUS_WAYS = {"without": (False, False), "first": (True, True), "cached": (True, True), "no_cache": (True, False)}


def ensure_corpus(root: Path, n: int) -> dict[str, Any]:
    manifest = root / "MANIFEST.json"
    if manifest.exists():
        data: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("n") == n:
            return data
        shutil.rmtree(root)
    print(f"generating {n} workbooks in {root} …", file=sys.stderr)
    return make_corpus.build(root, n)


def timed_run(root: Path, jobs: int, out_dir: Path | None) -> tuple[float, batch.BatchResult]:
    """Wall clock of one batch run: walk, plan, check (and annotate) every file."""
    settings = batch.Settings(annotate=batch.OUT_DIR if out_dir else batch.NONE)
    start = time.perf_counter()
    found = batch.expand([str(root)], exclude=out_dir)
    tasks = batch.plan(found.files, settings, out_dir)
    result = batch.run(tasks, settings, registry=default_registry(), jobs=jobs)
    return time.perf_counter() - start, result


def ensure_years(base: Path, n: int) -> tuple[Path, Path]:
    """Two collections of the same ``n`` units: this year's (2023) and last year's (2022)."""
    folders = []
    for year in (2023, 2022):
        root = base / f"units-{year}"
        manifest = root / "MANIFEST.json"
        if not (manifest.exists() and json.loads(manifest.read_text(encoding="utf-8")).get("n") == n):
            shutil.rmtree(root, ignore_errors=True)
            print(f"generating {n} workbooks of {year} in {root} …", file=sys.stderr)
            make_corpus.build(root, n, seed=year, year=year, unique=True, bad=False)
        folders.append(root)
    return folders[0], folders[1]


_WORKER_MEMORY = """
import sys
from xlcheck import batch
from xlcheck.plugins import default_registry
settings = batch.Settings(annotate=batch.OUT_DIR)
tasks = batch.plan(batch.expand([sys.argv[1]]).files, settings, sys.argv[2])
print(batch.run(tasks, settings, registry=default_registry(), jobs=int(sys.argv[3])).peak_rss)
"""


def worker_memory(root: Path, out: Path, jobs: int) -> int:
    """The peak memory of any worker checking and annotating ``root`` from a process holding only
    xlcheck, as the command line's are."""
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run([sys.executable, "-c", _WORKER_MEMORY, str(root), str(out), str(jobs)],
                          capture_output=True, text=True, check=True)
    shutil.rmtree(out, ignore_errors=True)
    return int(done.stdout.split()[-1])


def _cpu() -> float:
    """CPU seconds of this process and of the finished worker processes (0 where ``resource`` is
    missing: Windows)."""
    try:
        import resource
    except ImportError:
        return 0.0
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def previous_run(this: Path, last: Path | None, jobs: int, cache: bool = False) -> tuple[float, int, float]:
    """Wall clock of checking ``this`` (with ``--previous last`` when given) as the command line runs
    a folder — through ``xlcheck.review`` either way, each report's values kept for pairing and the
    aggregate, last year's in the cache when ``cache`` (the folder ``XLCHECK_CACHE_DIR`` names);
    returns the seconds, how many reports were paired and the CPU seconds of the parent and the
    workers (a figure other processes on a shared machine disturb less than the wall clock)."""
    from xlcheck import review

    settings = batch.Settings(cache=cache)
    cpu = _cpu()
    start = time.perf_counter()
    tasks = batch.plan(batch.expand([str(this)]).files, settings)
    previous = batch.plan(batch.expand([str(last)]).files, settings) if last is not None else []
    reviewed = review.run(tasks, previous, settings, registry=default_registry(), explicit=last is not None,
                          jobs=jobs)
    result = reviewed.result
    paired = sum(1 for r in result.reports if r.previous)
    seconds = time.perf_counter() - start
    assert len(result.outcomes) == len(tasks)
    return seconds, paired, _cpu() - cpu


def naive_check(path: str) -> Report:
    """What a first attempt looks like: openpyxl's default load, every cell read, the same checks."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path)
    except Exception as exc:
        return Report(path, error=str(exc))
    sheets = [Sheet(ws.title, [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)])
              for ws in wb.worksheets]
    return check_workbook(Workbook(path, sheets), registry=default_registry())


def _rules(report: Report) -> list[str]:
    return [f.rule for f in report.findings]


def cli_run(root: Path, out: Path, summary: Path, jobs: int) -> tuple[float, int]:
    cmd = [sys.executable, "-m", "xlcheck", "check", str(root), "--out-dir", str(out), "--summary", str(summary),
           "--format", "json", "--jobs", str(jobs)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, check=False)
    return time.perf_counter() - start, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "xlcheck-batch-corpus"))
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=batch.default_jobs())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive", type=int, default=60, help="files in the naive loop's sample")
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--no-previous", action="store_true", help="skip the run with last year's reports")
    args = parser.parse_args()
    root = Path(args.dir)
    manifest = ensure_corpus(root, args.n)
    registry = default_registry()
    registry.compiled("national")
    import openpyxl  # noqa: F401  (imported once, outside every timing)

    work = Path(tempfile.mkdtemp(prefix="xlcheck-bench-"))
    try:
        check_times, annotate_times = [], []
        rss = worker_memory(root, work / "out", args.jobs)
        result = None
        for _ in range(args.repeat):
            seconds, result = timed_run(root, args.jobs, None)
            check_times.append(seconds)
        assert result is not None
        files = len(result.outcomes)
        expected = manifest["files"]
        verdicts = {os.path.relpath(o.report.path, root).replace(os.sep, "/"):
                    "unreadable" if o.report.error else ("clean" if o.report.ok else "error") for o in result.outcomes}
        agree = sum(verdicts.get(k) == v for k, v in expected.items())
        annotated = 0
        for _ in range(args.repeat):
            out = work / "out"
            shutil.rmtree(out, ignore_errors=True)
            seconds, annotated_result = timed_run(root, args.jobs, out)
            annotate_times.append(seconds)
            annotated = sum(1 for o in annotated_result.outcomes if o.copy)
        shutil.rmtree(work / "out", ignore_errors=True)
        cli_seconds, cli_code = cli_run(root, work / "out", work / "summary.xlsx", args.jobs)

        runs: dict[str, tuple[list[float], list[float]]] = {way: ([], []) for way in PREVIOUS_WAYS}
        paired = 0
        if not args.no_previous:
            this_year, last_year = ensure_years(root.parent / f"{root.name}-years", args.n)
            os.environ[yearcache.ENV] = str(work / "cache")
            for _ in range(args.repeat):  # turn about, so that every way sees the same machine
                yearcache.clear(work / "cache")
                for way, (last, cache) in PREVIOUS_WAYS.items():
                    seconds, paired_now, cpu = previous_run(this_year, last_year if last else None, args.jobs, cache)
                    runs[way][0].append(seconds)
                    runs[way][1].append(cpu)
                    paired = max(paired, paired_now)

        paths = [o.report.path for o in result.outcomes]
        step = max(1, len(paths) // args.naive)
        sample = paths[::step][: args.naive]
        start = time.perf_counter()
        naive_reports = [naive_check(p) for p in sample]
        naive_seconds = time.perf_counter() - start
        start = time.perf_counter()
        fast_reports = batch.run(batch.plan([batch.Found(p, str(root)) for p in sample], batch.Settings()),
                                 batch.Settings(), registry=registry, jobs=1).reports
        one_core_seconds = time.perf_counter() - start
        same = sum((a.error is None) == (b.error is None) and _rules(a) == _rules(b)
                   for a, b in zip(naive_reports, fast_reports, strict=True))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    check_rate = files / statistics.median(check_times)
    annotate_rate = files / statistics.median(annotate_times)
    naive_rate = len(sample) / naive_seconds
    one_core_rate = len(sample) / one_core_seconds
    figures = {
        "files": files, "jobs": args.jobs, "cpus": os.cpu_count(),
        "check_per_s": round(check_rate, 1), "check_annotate_per_s": round(annotate_rate, 1),
        "annotated": annotated, "peak_worker_rss_mb": round(rss / 2**20, 1),
        "cli_end_to_end_s": round(cli_seconds, 2), "cli_per_s": round(files / cli_seconds, 1), "cli_exit": cli_code,
        "naive_per_s": round(naive_rate, 2), "one_core_per_s": round(one_core_rate, 1),
        "ratio_vs_naive": round(check_rate / naive_rate, 1), "per_core_ratio": round(one_core_rate / naive_rate, 1),
        "verdicts_as_expected": f"{agree}/{len(expected)}", "naive_same_findings": f"{same}/{len(sample)}",
    }
    previous_times = runs["cached"][0]
    if previous_times:
        plain_s, plain_cpu = (statistics.median(x) for x in runs["without"])
        figures.update(previous_paired=paired, without_previous_s=round(plain_s, 2))
        for way in ("cached", "first", "no_cache"):
            seconds, cpu = (statistics.median(x) for x in runs[way])
            figures[f"previous_{way}_ratio"] = round(seconds / plain_s, 2)
            figures[f"previous_{way}_s"] = round(seconds, 2)
            if plain_cpu > 0:
                figures[f"previous_{way}_cpu_ratio"] = round(cpu / plain_cpu, 2)
    rows = [
        ("check only", f"{check_rate:.0f} workbooks/s", f"≥ {TARGETS['check']:.0f}", check_rate >= TARGETS["check"]),
        ("check + annotate", f"{annotate_rate:.0f} workbooks/s ({annotated} copies)", f"≥ {TARGETS['annotate']:.0f}",
         annotate_rate >= TARGETS["annotate"]),
        ("peak memory per worker", f"{rss / 2**20:.0f} MB", f"≤ {TARGETS['rss_mb']:.0f} MB",
         rss / 2**20 <= TARGETS["rss_mb"]),
        ("vs naive openpyxl loop", f"{check_rate / naive_rate:.0f}× ({naive_rate:.1f} workbooks/s naive)",
         f"≥ {TARGETS['naive_ratio']:.0f}×", check_rate / naive_rate >= TARGETS["naive_ratio"]),
    ]
    if previous_times:
        for way, name in (("cached", "with --previous, cached"), ("first", "with --previous, first")):
            ratio = figures[f"previous_{way}_ratio"]
            rows.append((name, f"{ratio:.2f}× the run without it ({paired}/{args.n} paired)",
                         f"≤ {TARGETS['previous_ratio']:.1f}×", ratio <= TARGETS["previous_ratio"]))
    print(f"{files} workbooks in {root}, {args.jobs} jobs on {os.cpu_count()} CPUs, median of {args.repeat}")
    for name, value, target, ok in rows:
        print(f"  {name:<24} {value:<40} target {target:<8} {'ok' if ok else 'MISSED'}")
    print(f"  {'one core, same sample':<24} {one_core_rate:.0f} workbooks/s = {one_core_rate / naive_rate:.0f}× naive "
          f"per core; same findings as naive on {same}/{len(sample)}")
    print(f"  {'command line, end to end':<24} {cli_seconds:.2f} s = {files / cli_seconds:.0f} workbooks/s "
          f"(check, annotate, summary.xlsx; exit {cli_code})")
    if previous_times:
        print(f"  {'with --previous, detail':<24} against {figures['without_previous_s']:.2f} s without it:")
        for way, what in (("cached", "last year's values from the cache"),
                          ("first", "first run, reads last year's files and fills the cache"),
                          ("no_cache", "--no-cache, reads last year's files")):
            cpu_ratio = figures.get(f"previous_{way}_cpu_ratio")
            print(f"  {'':<26}{figures[f'previous_{way}_ratio']:.2f}× ({figures[f'previous_{way}_s']:.2f} s"
                  + (f", CPU {cpu_ratio:.2f}×" if cpu_ratio is not None else "") + f") {what}")
    print(f"  verdicts as the generator meant them: {agree}/{len(expected)}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
