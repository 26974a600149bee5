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


# ---------------------------------------------------------------------------------------- targets


def _with_error(path: Path) -> dict[str, str]:
    values = corpus.consistent_values("2021", 6)
    values["t3.public.natural"] = values["t3.public.natural"] + 1 if isinstance(values["t3.public.natural"], int) else 1
    return corpus.write_report(path, "2021", values, year=2022)


def test_output_never_replaces_a_device_a_directory_or_a_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                              ) -> None:
    source = tmp_path / "报告.xlsx"
    _report(source)
    elsewhere = tmp_path / "elsewhere.xlsx"
    elsewhere.write_bytes(b"keep me")
    (tmp_path / "dir.xlsx").mkdir()
    os.symlink(elsewhere, tmp_path / "link.xlsx")
    targets = {"dir.xlsx": "directory", "link.xlsx": "symbolic link"}
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo.xlsx")
        targets["fifo.xlsx"] = "not a regular file"
    for name, word in targets.items():
        assert main(["check", str(source), "--output", str(tmp_path / name)]) == 3, name
        assert word in capsys.readouterr().err, name
        assert main(["clean", str(source), "--output", str(tmp_path / name)]) == 3, name
        assert word in capsys.readouterr().err, name
    assert elsewhere.read_bytes() == b"keep me" and (tmp_path / "link.xlsx").is_symlink()
    assert not list(tmp_path.glob(".~xlcheck-*"))


def test_output_suffix_must_match_the_macro_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import zipfile

    plain = tmp_path / "报告.xlsx"
    _report(plain)
    # a plain workbook written as .xlsm is declared macro-enabled, so Excel opens it
    assert main(["clean", str(plain), "--output", str(tmp_path / "out.xlsm")]) == 0
    with zipfile.ZipFile(tmp_path / "out.xlsm") as zf:
        assert b"sheet.macroEnabled.main+xml" in zf.read("[Content_Types].xml")
    macro = tmp_path / "宏.xlsm"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(macro, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            zout.writestr(item, data)
    for command in (["check", str(macro)], ["clean", str(macro)]):
        assert main([*command, "--output", str(tmp_path / "宏.copy.xlsx")]) == 3
        assert "宏.copy.xlsm" in capsys.readouterr().err
    assert main(["clean", str(macro), "--output", str(tmp_path / "宏.copy.xlsm")]) == 0


def test_in_place_refuses_read_only_open_and_hard_linked_files(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "报告.xlsx"
    _with_error(path)
    before = path.read_bytes()
    os.chmod(path, 0o444)
    assert main(["check", str(path), "--in-place"]) == 3
    assert "read-only" in capsys.readouterr().err
    os.chmod(path, 0o644)
    lock = tmp_path / "~$报告.xlsx"
    lock.write_bytes(b"\x0cowner")
    assert main(["check", str(path), "--in-place"]) == 3
    assert "open in Excel" in capsys.readouterr().err
    lock.unlink()
    os.link(path, tmp_path / "hard.xlsx")
    assert main(["check", str(path), "--in-place"]) == 3
    assert "hard links" in capsys.readouterr().err
    assert path.read_bytes() == before and not list(tmp_path.glob("*.backup*"))


def test_in_place_through_a_symlink_marks_its_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = tmp_path / "real" / "报告.xlsx"
    real.parent.mkdir()
    _with_error(real)
    before = real.read_bytes()
    link = tmp_path / "link.xlsx"
    os.symlink(real, link)
    assert main(["check", str(link), "--in-place"]) == 1
    capsys.readouterr()
    assert link.is_symlink() and real.read_bytes() != before  # the target was marked, the link kept
    assert [p.read_bytes() for p in real.parent.glob("*.backup*")] == [before]


def test_a_summary_is_replaced_only_when_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from xlcheck import summary

    _report(tmp_path / "a.xlsx")
    report = xlcheck.check(tmp_path / "a.xlsx")
    for suffix in (".csv", ".json", ".xlsx"):
        target = tmp_path / f"汇总{suffix}"
        target.write_bytes(b"previous")

        def full_disk(*args: object, **kwargs: object) -> None:
            raise OSError(28, "No space left on device")

        with monkeypatch.context() as patch:
            patch.setattr(summary, {".csv": "_write_csv", ".json": "_write_json", ".xlsx": "_write_xlsx"}[suffix],
                          full_disk)
            with pytest.raises(summary.SummaryError, match="No space"):
                summary.write_summary(target, [report])
        assert target.read_bytes() == b"previous"
        summary.write_summary(target, [report])
        assert target.read_bytes() != b"previous"
    assert not list(tmp_path.glob(".~xlcheck-*"))


@pytest.mark.skipif(sys.platform != "linux", reason="POSIX signals")
def test_sigterm_stops_a_run_like_ctrl_c(tmp_path: Path) -> None:
    import signal
    import time

    for i in range(3):
        _report(tmp_path / f"r{i}.xlsx", seed=i)
    code = ("import sys, time\nfrom xlcheck import batch\nreal = batch.check_task\n"
            "def slow(t, s, r):\n    time.sleep(3)\n    return real(t, s, r)\n"
            "batch.check_task = slow\nfrom xlcheck.cli import main\n"
            f"sys.exit(main(['check', {str(tmp_path)!r}, '--no-annotate', '-j', '1', '--summary', "
            f"{str(tmp_path / 's.json')!r}]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(4)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 130, err
    assert (tmp_path / "s.json").exists() and not list(tmp_path.glob(".~xlcheck-*"))


def test_a_sheet_of_repeated_headers_is_located_quickly() -> None:
    import time

    from xlcheck.formats import T3_COLUMNS
    from xlcheck.reader import Sheet, Workbook

    header = [column.label for column in T3_COLUMNS]
    rows = [header * 8 for _ in range(1500)]  # ~12 000 hits of every column label
    book = Workbook("headers.xlsx", [Sheet("表", rows)])
    start = time.perf_counter()
    from xlcheck.check import check_workbook

    report = check_workbook(book)
    # quadratic in the hits this took minutes; the bound is far above the real cost, it only catches a hang
    assert time.perf_counter() - start < 20
    assert report.error is not None or report.findings


def test_the_entry_and_sheet_count_bounds(tmp_path: Path) -> None:
    from xlcheck.reader import MAX_ENTRIES, MAX_SHEETS

    many = tmp_path / "many-entries.xlsx"
    malformed._package(many, malformed.SHEET_HEAD + malformed.SHEET_TAIL,
                       {f"xl/media/p{i}.bin": b"" for i in range(MAX_ENTRIES)})
    report = xlcheck.check(many)
    assert report.error is not None and "zip entries" in report.error
    sheets = "".join(f'<sheet name="S{i}" sheetId="{i + 1}" r:id="rId1"/>' for i in range(MAX_SHEETS + 1))
    workbook = malformed.WORKBOOK.replace('<sheet name="年报" sheetId="1" r:id="rId1"/>', sheets)
    wide = tmp_path / "many-sheets.xlsx"
    malformed._package_at(wide, malformed.SHEET_HEAD + malformed.SHEET_TAIL, "xl/worksheets/sheet1.xml",
                          members={"xl/workbook.xml": workbook})
    report = xlcheck.check(wide)
    assert report.error is not None and f"{MAX_SHEETS + 1} sheets" in report.error


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux")
def test_gbk_names_across_years_reach_every_summary_and_the_aggregate(tmp_path: Path) -> None:
    """Last year's file and the aggregate's listing name the files too: readable there as well."""
    from test_years import LAST, THIS, report_at

    folder = tmp_path / "in"
    for year, values in ((2021, LAST), (2022, THIS)):
        made = report_at(folder / f"{year}.xlsx", values, year)
        os.rename(made, os.path.join(os.fsencode(folder), f"报告{year}".encode("gbk") + b".xlsx"))
    proc = _cli("check", "in", "--no-annotate", "--format", "json", "--summary", "s.xlsx", "--aggregate", "agg.xlsx",
                cwd=tmp_path)
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr.decode()
    previous = {Path(r["path"]).name: r["previous"] for r in json.loads(proc.stdout)["reports"]}
    assert previous["报告2022.xlsx"] == os.path.join("in", "报告2021.xlsx")
    proc = _cli("check", "in", "--no-annotate", "--summary", "s.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    files = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["files"]
    assert [Path(f["previous"]).name for f in files if f["previous"]] == ["报告2021.xlsx"]
    from openpyxl import load_workbook

    years = [row[4] for row in load_workbook(tmp_path / "s.xlsx")["跨年度比对"].iter_rows(min_row=2, values_only=True)]
    assert os.path.join("in", "报告2021.xlsx") in years
    listing = load_workbook(tmp_path / "agg.xlsx")["汇总说明"]
    assert {Path(row[2]).name for row in listing.iter_rows(min_row=2, values_only=True)} == {
        "报告2021.xlsx", "报告2022.xlsx"}
