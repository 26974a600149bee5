"""Odd paths and names: FIFOs and devices, names that are not UTF-8, unreadable folders, inputs whose
annotated copies would share one name. Every case ends in a clear line, never a hang or a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import corpus
import malformed
import pytest

import xlcheck
from xlcheck import batch
from xlcheck.annotated_copy import default_output
from xlcheck.cli import main

#: a name as a zip made on a Chinese Windows leaves it on Linux: GBK bytes, not UTF-8
GBK_NAME = "报告".encode("gbk") + b".xlsx"
#: how long a run may take before it counts as hanging
TIMEOUT = 60


def _report(path: Path, seed: int = 3) -> None:
    corpus.write_report(path, "2021", corpus.consistent_values("2021", seed), year=2022)


def _cli(*args: str | bytes, cwd: Path, encoding: str = "utf-8:strict") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    return subprocess.run([sys.executable, "-m", "xlcheck", *args], cwd=cwd, env=env, capture_output=True,
                          timeout=TIMEOUT, check=False)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_a_workbook_is_reported_not_opened(tmp_path: Path) -> None:
    _report(tmp_path / "good.xlsx")
    os.mkfifo(tmp_path / "pipe.xlsx")
    direct = xlcheck.check(tmp_path / "pipe.xlsx")
    assert direct.error is not None and "FIFO" in direct.error and "pipe.xlsx" in direct.error
    proc = _cli("check", ".", "--no-annotate", "--format", "json", cwd=tmp_path)  # a folder walk finds it
    reports = {Path(r["path"]).name: r for r in json.loads(proc.stdout)["reports"]}
    assert proc.returncode == 3 and "error" not in reports["good.xlsx"]
    assert "not a regular file" in reports["pipe.xlsx"]["error"]


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_a_device_is_not_a_workbook(tmp_path: Path) -> None:
    os.symlink("/dev/null", tmp_path / "null.xlsx")
    report = xlcheck.check(tmp_path / "null.xlsx")
    assert report.error is not None and "设备文件" in report.error


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux")
def test_a_gbk_file_name_is_checked_and_shown_readably(tmp_path: Path) -> None:
    _report(tmp_path / "x.xlsx")
    os.rename(tmp_path / "x.xlsx", os.path.join(os.fsencode(tmp_path), GBK_NAME))
    for args in ([".", "--no-annotate"], [".", "--format", "json", "--summary", "s.csv", "--no-annotate"],
                 [os.fsdecode(GBK_NAME)]):
        proc = _cli("check", *args, cwd=tmp_path)
        out, err = proc.stdout.decode(), proc.stderr.decode()
        assert proc.returncode == 0, err
        assert "报告.xlsx" in out and "Traceback" not in err
    summary = (tmp_path / "s.csv").read_text(encoding="utf-8-sig")
    assert "报告.xlsx" in summary
    copies = [n for n in os.listdir(os.fsencode(tmp_path)) if b".checked." in n]
    assert copies == ["报告".encode("gbk") + b".checked.xlsx"]


def test_a_strict_ascii_stdout_never_tracebacks(tmp_path: Path) -> None:
    _report(tmp_path / "报告.xlsx")
    proc = _cli("check", "报告.xlsx", "--no-annotate", cwd=tmp_path, encoding="ascii:strict")
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr
    assert b"\\u62a5\\u544a.xlsx" in proc.stdout  # escaped, not lost


def test_an_unreadable_sub_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _report(tmp_path / "a.xlsx")
    locked = tmp_path / "locked"
    locked.mkdir()
    _report(locked / "b.xlsx")
    real = os.scandir

    def scandir(path: str | os.PathLike[str] = ".") -> object:  # chmod 000 does not stop root: refuse here
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = batch.expand([str(tmp_path)])
    assert [Path(f.path).name for f in found.files] == ["a.xlsx"]
    assert found.unreadable == [(str(locked), "Permission denied")]
    assert main(["check", str(tmp_path), "--no-annotate"]) == 3
    err = capsys.readouterr().err
    assert "无法读取文件夹" in err and str(locked) in err


def test_inputs_never_share_an_annotated_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _report(tmp_path / "_source.xlsx", seed=1)
    sheets = malformed.grid_of(tmp_path / "_source.xlsx")
    (tmp_path / "_source.xlsx").rename(tmp_path / "报告.xlsx")
    (tmp_path / "报告.xls").write_bytes(malformed.xls_bytes(sheets))
    (tmp_path / "报告.ods").write_bytes(malformed.ods_bytes(sheets))
    names = ["报告.ods", "报告.xls", "报告.xlsx"]
    for mode in (["--out-dir", str(tmp_path / "out")], []):
        args = [str(tmp_path / n) for n in names]
        tasks = batch.plan(batch.expand(args).files, batch.Settings(annotate=batch.OUT_DIR if mode else batch.BESIDE),
                           tmp_path / "out" if mode else None)
        targets = [t.target_shown or str(default_output(t.path)) for t in tasks]
        assert len(set(targets)) == 3, targets
        assert Path(targets[2]).name == "报告.checked.xlsx"  # the .xlsx keeps the plain name
        assert {Path(t).name for t in targets[:2]} == {"报告.ods.checked.xlsx", "报告.xls.checked.xlsx"}
    # and on the command line each input gets its own copy
    assert main(["check", *[str(tmp_path / n) for n in names], "--format", "json"]) == 0
    reports = json.loads(capsys.readouterr().out)["reports"]
    assert all(r.get("error") is None for r in reports)
    written = sorted(p.name for p in tmp_path.glob("*.checked.xlsx"))
    assert written == ["报告.checked.xlsx", "报告.ods.checked.xlsx", "报告.xls.checked.xlsx"]
