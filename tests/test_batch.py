"""Batch checking: which files a folder, glob or list names, annotated copies only where needed, in
parallel with the same results, Ctrl-C and a dying worker handled."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import corpus
import pytest

from xlcheck import batch
from xlcheck.cli import main
from xlcheck.findings import Report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import make_corpus


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A collection folder: 16 reports in subfolders (some with errors), 4 unreadable files, decoys."""
    root = tmp_path_factory.mktemp("inbox")
    manifest = make_corpus.build(root, 16, seed=3, workers=1, error_rate=0.35)
    return root, manifest


def rel(root: Path, path: str) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_a_folder_is_walked_skipping_lock_hidden_and_other_files(folder: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = folder
    found = batch.expand([str(root)])
    assert found.collected
    assert sorted(rel(root, f.path) for f in found.files) == sorted(manifest["files"])
    names = {Path(f.path).name for f in found.files}
    assert not any(n.startswith(("~$", ".")) for n in names)
    assert all(".Trash" not in f.path for f in found.files)


def test_own_outputs_and_the_output_folder_are_not_inputs(tmp_path: Path) -> None:
    for name in ("a.xlsx", "a.checked.xlsx", "a.backup.xlsx", "a.backup-2.xlsx", "b.xlsm", "c.XLSX", "d.csv"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "e.xlsx").write_bytes(b"")
    found = batch.expand([str(tmp_path)], exclude=tmp_path / "out")
    assert [Path(f.path).name for f in found.files] == ["a.xlsx", "b.xlsm", "c.XLSX"]
    assert len(batch.expand([str(tmp_path)]).files) == 4


def test_globs_list_files_and_plain_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "区").mkdir()
    for name in ("区/甲.xlsx", "区/乙.xlsx", "丙.xlsx", "~$丙.xlsx", "说明.txt"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    assert [f.path for f in batch.expand(["**/*.xlsx"]).files] == ["丙.xlsx", os.path.join("区", "乙.xlsx"),
                                                                   os.path.join("区", "甲.xlsx")]
    assert [f.path for f in batch.expand(["*"]).files][:1] == ["丙.xlsx"]  # a folder matched is walked
    (tmp_path / "list.txt").write_text("# 本月收到\n区/甲.xlsx\n\n丙.xlsx\n区/甲.xlsx\n缺失.xlsx\n", encoding="utf-8")
    found = batch.expand(["@list.txt"])
    assert [f.path for f in found.files] == ["区/甲.xlsx", "丙.xlsx", "缺失.xlsx"]  # each once, missing kept
    (tmp_path / "gbk.txt").write_bytes("丙.xlsx\r\n".encode("gb18030"))
    assert [f.path for f in batch.expand(["@gbk.txt"]).files] == ["丙.xlsx"]
    plain = batch.expand(["丙.xlsx", "没有.xlsx"])
    assert not plain.collected and [f.path for f in plain.files] == ["丙.xlsx", "没有.xlsx"]
    empty = batch.expand(["*.xlsm"])
    assert empty.files == [] and empty.empty == ["*.xlsm"]
    with pytest.raises(batch.InputError):
        batch.expand(["@nowhere.txt"])


def test_folder_run_writes_copies_only_for_files_with_findings_mirroring_the_tree(
        capsys: pytest.CaptureFixture[str], folder: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    root, manifest = folder
    out = tmp_path / "已标注"
    code, data = run_json(capsys, str(root), "--out-dir", str(out), "-j", "2")
    assert code == 3  # some files are unreadable
    reports = {rel(root, r["path"]): r for r in data["reports"]}
    assert set(reports) == set(manifest["files"])
    for key, report in reports.items():
        # the JSON contract
        assert set(report) <= {"path", "format", "year", "findings", "error", "previous", "suggestions",
                               "candidates"}
        kind = manifest["files"][key]
        assert ("error" in report) == (kind == "unreadable"), key
        assert any(f["severity"] == "error" for f in report["findings"]) == (kind == "error"), key
    copies = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xlsx"))
    with_findings = sorted(k for k, r in reports.items() if r["findings"] and "error" not in r)
    assert copies == [k.removesuffix(".xlsx") + ".checked.xlsx" for k in with_findings]
    assert copies  # the fixture has errors
    assert not list(root.rglob("*.checked.xlsx"))  # nothing written among the inputs


def test_folder_without_out_dir_writes_no_copies(capsys: pytest.CaptureFixture[str],
                                                 folder: tuple[Path, dict[str, Any]]) -> None:
    root, _ = folder
    assert main(["check", "--format", "json", str(root), "-j", "1"]) == 3
    assert "--out-dir" in capsys.readouterr().err
    assert not list(root.rglob("*.checked.xlsx"))


def test_explicit_files_keep_the_default_copy_beside_them(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    paths = []
    for i in range(9):  # enough for the process pool
        path = tmp_path / f"r{i}.xlsx"
        corpus.write_report(path, "2021", corpus.consistent_values("2021", i), year=2022)
        paths.append(str(path))
    code, data = run_json(capsys, *paths, "-j", "2")
    assert code == 0
    assert [r["path"] for r in data["reports"]] == paths
    for path in paths:  # every file, clean or not, as a single-file run always did
        assert Path(path).with_name(Path(path).stem + ".checked.xlsx").exists()


def test_parallel_run_gives_the_same_reports_in_input_order(folder: tuple[Path, dict[str, Any]]) -> None:
    root, _ = folder
    settings = batch.Settings()
    tasks = batch.plan(batch.expand([str(root)]).files, settings)
    alone = batch.run(tasks, settings, jobs=1)
    together = batch.run(tasks, settings, jobs=2)
    assert [o.report for o in together.outcomes] == [o.report for o in alone.outcomes]
    assert [o.index for o in together.outcomes] == list(range(len(tasks)))
    assert together.peak_rss > 0 or sys.platform == "win32"


def test_outcomes_pickle() -> None:
    report = Report("a.xlsx", "2021", 2022, unit="青山镇人民政府")
    outcome = batch.Outcome(0, report, copy="a.checked.xlsx")
    assert pickle.loads(pickle.dumps(outcome)) == outcome


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_keeps_what_was_done(folder: tuple[Path, dict[str, Any]], jobs: int) -> None:
    root, _ = folder
    settings = batch.Settings()
    tasks = batch.plan(batch.expand([str(root)]).files, settings)
    seen: list[int] = []

    def interrupt_at_five(outcome: batch.Outcome) -> None:
        seen.append(outcome.index)
        if len(seen) == 5:
            raise KeyboardInterrupt

    result = batch.run(tasks, settings, jobs=jobs, on_outcome=interrupt_at_five)
    assert result.interrupted and result.total == len(tasks)
    assert 5 <= len(result.outcomes) < len(tasks)
    indexes = [o.index for o in result.outcomes]
    assert indexes == sorted(indexes)


def test_ctrl_c_on_the_command_line_exits_130_with_a_partial_summary(
        capsys: pytest.CaptureFixture[str], folder: tuple[Path, dict[str, Any]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = folder
    real = batch.check_task
    calls = []

    def interrupted(task: batch.Task, settings: batch.Settings, registry: Any) -> batch.Outcome:
        calls.append(task)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(task, settings, registry)

    monkeypatch.setattr(batch, "check_task", interrupted)
    summary = tmp_path / "partial.json"
    code = main(["check", str(root), "--format", "json", "-j", "1", "--summary", str(summary)])
    assert code == 130
    assert len(json.loads(capsys.readouterr().out)["reports"]) == 3
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["summary"]["interrupted"] is True
    assert (data["summary"]["checked"], len(data["files"])) == (3, 3)
    assert data["summary"]["files"] == len(batch.expand([str(root)]).files)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the pool forks only on Linux")
def test_a_worker_dying_costs_only_its_files(folder: tuple[Path, dict[str, Any]],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = folder
    real = batch.check_task
    settings = batch.Settings()
    tasks = batch.plan(batch.expand([str(root)]).files, settings)
    victim = tasks[5].path

    def crash(task: batch.Task, settings: batch.Settings, registry: Any) -> batch.Outcome:
        if task.path == victim:
            os._exit(1)  # what a segfault in a reader would look like
        return real(task, settings, registry)

    monkeypatch.setattr(batch, "check_task", crash)
    result = batch.run(tasks, settings, jobs=2)
    assert not result.interrupted
    assert [o.index for o in result.outcomes] == list(range(len(tasks)))
    died = [o.report.path for o in result.outcomes if o.report.error and "校验进程意外退出" in o.report.error]
    assert died == [victim]  # reported alone: every other file of its chunk was checked
    alone = {o.report.path: o.report.error for o in batch.run(
        [t for t in tasks if t.path != victim], settings, jobs=1).outcomes}
    assert {o.report.path: o.report.error for o in result.outcomes if o.report.path != victim} == alone


def test_usage_errors(capsys: pytest.CaptureFixture[str], folder: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    root, _ = folder
    for args in (["--output", "x.xlsx"], ["--summary", "s.txt"], ["--executor", "dask"], ["--scheduler", "tcp://x:1"],
                 ["-j", "0"], ["--out-dir", "o", "--no-annotate"]):
        with pytest.raises(SystemExit) as info:
            main(["check", str(root), *args])
        assert info.value.code == 2, args
    assert main(["check", str(tmp_path / "*.xlsx")]) == 2  # nothing to check
    assert main(["check", "@" + str(tmp_path / "none.txt")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_one_file_does_not_import_pool_or_cluster_machinery(xiaolou: tuple[Path, dict[str, str]]) -> None:
    path, _ = xiaolou
    code = ("import sys\nfrom xlcheck.cli import main\n"
            f"main(['check', '--no-annotate', '--format', 'json', {str(path)!r}])\n"
            "heavy = ('multiprocessing', 'concurrent', 'dask', 'distributed', 'openpyxl')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy), file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr
