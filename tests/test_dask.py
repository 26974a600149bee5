"""The same batch on a Dask cluster gives the same summary as the local run (a LocalCluster on the
loopback interface, started by the test)."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from xlcheck import batch, yearcache
from xlcheck.cli import main

distributed = pytest.importorskip("distributed")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import make_corpus  # noqa: E402


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    # threads in this process (processes=False): quick to start, and two threads per worker exercise
    # the per-thread registries; bounded waits everywhere
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False, host="127.0.0.1",
                                  dashboard_address=None, protocol="tcp://") as local:
        yield local


def sheet_values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = load_workbook(path)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_dask_run_gives_the_same_summary_as_the_local_run(cluster: Any, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "inbox"
    make_corpus.build(root, 30, seed=7, workers=1)
    out = tmp_path / "out"
    results = {}
    # Dask first: its workers read last year's workbooks and hand them to the cache, which the local
    # run then takes them from
    for name, extra in (("dask", ["--executor", "dask", "--scheduler", cluster.scheduler_address]),
                        ("local", ["-j", "2"])):
        shutil.rmtree(out, ignore_errors=True)
        code = main(["check", str(root), "--out-dir", str(out), "--format", "json",
                     "--summary", str(tmp_path / f"{name}.json"), *extra])
        main(["check", str(root), "--no-annotate", "--format", "json",
              "--summary", str(tmp_path / f"{name}.xlsx"), *extra])
        copies = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xlsx"))
        stdout = capsys.readouterr().out
        results[name] = (code, copies, json.loads(tmp_path.joinpath(f"{name}.json").read_text(encoding="utf-8")),
                         stdout)
    local, dask = results["local"], results["dask"]
    assert local[0] == dask[0] == 3  # the folder holds unreadable files
    assert local[1] == dask[1] and local[1]  # the same annotated copies, in the same places
    assert local[2] == dask[2]  # the same summary, row for row
    assert len(local[2]["files"]) == 34
    assert sheet_values(tmp_path / "local.xlsx") == sheet_values(tmp_path / "dask.xlsx")


def test_unreachable_scheduler_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "DASK_CONNECT_TIMEOUT", "1s")
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"")
    assert main(["check", str(path), "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "Dask" in err and "Traceback" not in err


def test_dask_pairs_years_as_the_local_run_does(cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                _cache_of_this_test: Path) -> None:
    """Pairing happens in the parent after the workers read the files: the same cross-year findings,
    summary and annotated copies whichever executor read them."""
    this, last = tmp_path / "2023", tmp_path / "2022"
    make_corpus.build(this, 12, seed=3, year=2023, unique=True, bad=False, workers=1)
    make_corpus.build(last, 12, seed=2, year=2022, unique=True, bad=False, workers=1)
    results = {}
    # Dask first: its workers read last year's workbooks and hand them to the cache, which the local
    # run then takes them from
    for name, extra in (("dask", ["--executor", "dask", "--scheduler", cluster.scheduler_address]),
                        ("local", ["-j", "2"])):
        out = tmp_path / "out"
        shutil.rmtree(out, ignore_errors=True)
        code = main(["check", str(this), "--previous", str(last), "--out-dir", str(out), "--format", "json",
                     "--summary", str(tmp_path / f"{name}.xlsx"), *extra])
        reports = json.loads(capsys.readouterr().out)["reports"]
        copies = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xlsx"))
        results[name] = (code, reports, copies)
        assert yearcache.size(_cache_of_this_test)[0] == 12
    local, dask = results["local"], results["dask"]
    assert local == dask
    # every unit found last year, except where a workbook names no unit (no title): told so
    assert sum(1 for r in local[1] if r["previous"]) >= 6
    assert all(r["previous"] or any(f["rule"] == "XY-NONE" for f in r["findings"]) for r in local[1])
    assert any(f["rule"] == "T3-XY" for r in local[1] for f in r["findings"])
    assert sheet_values(tmp_path / "local.xlsx") == sheet_values(tmp_path / "dask.xlsx")
    assert "跨年度比对" in sheet_values(tmp_path / "dask.xlsx")
