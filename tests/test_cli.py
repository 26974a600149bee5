"""The command-line contract that scripts rely on: JSON shape, exit codes, files written."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import corpus
import pytest

from xlcheck.cli import main


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def clean_report(tmp_path: Path) -> Path:
    path = tmp_path / "clean.xlsx"
    corpus.write_report(path, "2021", corpus.consistent_values("2021", 5), year=2022, sheets="three")
    return path


def test_json_contract_for_a_report_with_errors(capsys: pytest.CaptureFixture[str],
                                                xiaolou: tuple[Path, dict[str, str]]) -> None:
    path, cells = xiaolou
    code, out = run_json(capsys, str(path), "--no-annotate")
    assert code == 1
    assert list(out) == ["reports"]
    (report,) = out["reports"]
    assert set(report) == {"path", "format", "year", "findings", "previous", "suggestions", "candidates"}
    assert report["previous"] is None
    assert [s["suggested"] for s in report["suggestions"]] == [1, 1] and report["candidates"] == []
    assert (report["path"], report["format"], report["year"]) == (str(path), "2019", 2020)
    for finding in report["findings"]:
        assert set(finding) == {"rule", "severity", "message", "cells"}
        assert finding["severity"] in {"error", "warning", "info"}
        assert all("!" in cell for cell in finding["cells"])
    res = next(f for f in report["findings"] if f["message"] == "三（七）总计（自然人）为 0，但各办理结果之和为 1")
    assert res["rule"] == "T3-RES" and res["severity"] == "error"
    assert res["cells"][:3] == [cells["t3.total.natural"], cells["t3.public.natural"], cells["t3.partial.natural"]]
    assert cells["t3.withheld_1.natural"] in res["cells"]  # a part holding 0 is listed too


def test_exit_codes_clean_errors_unreadable(capsys: pytest.CaptureFixture[str], tmp_path: Path, clean_report: Path,
                                            xiaolou: tuple[Path, dict[str, str]]) -> None:
    assert run_json(capsys, str(clean_report), "--no-annotate")[0] == 0
    assert run_json(capsys, str(clean_report), str(xiaolou[0]), "--no-annotate")[0] == 1
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not a workbook")
    code, out = run_json(capsys, str(clean_report), str(broken), str(xiaolou[0]), "--no-annotate")
    assert code == 3
    reports = {Path(r["path"]).name: r for r in out["reports"]}
    assert "broken.xlsx" in reports["broken.xlsx"]["error"] and reports["broken.xlsx"]["findings"] == []
    assert reports["clean.xlsx"]["findings"] == [] and "error" not in reports["clean.xlsx"]


@pytest.mark.parametrize("args", [["check"], ["check", "a.xlsx", "--format", "xml"], ["nope"],
                                  ["check", "a.xlsx", "b.xlsx", "--output", "x.xlsx"],
                                  ["check", "a.xlsx", "--output", "x.xlsx", "--no-annotate"],
                                  ["check", "a.xlsx", "--year", "twenty"], ["check", "a.xlsx", "--rules", "nowhere"]])
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        code = main(args)
        raise SystemExit(code)
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_text_output_is_a_table_with_chinese_messages_and_a_count(capsys: pytest.CaptureFixture[str],
                                                                   xiaolou: tuple[Path, dict[str, str]]) -> None:
    assert main(["check", str(xiaolou[0]), "--no-annotate"]) == 1
    out = capsys.readouterr().out
    assert "三（七）总计（自然人）为 0，但各办理结果之和为 1" in out
    assert "未通过：发现 4 个错误、1 个警告" in out
    assert out.rstrip().splitlines()[-1] == "共 1 个文件：0 个通过，1 个有错误，0 个无法校验；错误 4 个，警告 1 个"


def test_unreadable_file_text_output_names_file_without_traceback(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    missing = tmp_path / "没有这个文件.xlsx"
    assert main(["check", str(missing)]) == 3
    captured = capsys.readouterr()
    assert "没有这个文件.xlsx" in captured.out and "文件不存在" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_rules_lists_every_national_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    for rule in ("S1", "S2", "D1", "D2", "D3", "D4", "T3-ID", "T3-RES", "T3-ROW", "T4-SUM", "T2-19a", "T2-19b"):
        assert re.search(rf"^{rule} +(错误|警告) ", out, re.M), rule
    assert re.search(r"^T2-LVL +警告 ", out, re.M)  # silent until a level is known (roster, cover, level=)


def test_help_explains_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = capsys.readouterr().out
    assert "退出码" in out and "--no-annotate" in out and "--format" in out


def test_console_script_runs_in_a_fresh_process(xiaolou: tuple[Path, dict[str, str]]) -> None:
    path, _ = xiaolou
    before = digest(path)
    proc = subprocess.run([sys.executable, "-m", "xlcheck", "check", str(path), "--no-annotate", "--format", "json"],
                          capture_output=True, text=True, encoding="utf-8", check=False)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["reports"][0]["format"] == "2019"
    assert digest(path) == before
    assert not path.with_name(f"{path.stem}.checked.xlsx").exists()


def test_output_naming_the_input_is_refused(capsys: pytest.CaptureFixture[str],
                                            xiaolou: tuple[Path, dict[str, str]]) -> None:
    path, _ = xiaolou
    before = digest(path)
    with pytest.raises(SystemExit) as exit_info:
        main(["check", str(path), "--output", str(path)])
    assert exit_info.value.code == 2 and "--in-place" in capsys.readouterr().err
    assert digest(path) == before


def test_in_place_leaves_a_clean_file_and_no_backups(tmp_path: Path, clean_report: Path) -> None:
    for _ in range(3):
        assert main(["check", "--in-place", str(clean_report)]) == 0
    assert sorted(p.name for p in clean_report.parent.iterdir()) == ["clean.xlsx"]


def test_in_place_marks_and_keeps_one_backup(xiaolou: tuple[Path, dict[str, str]]) -> None:
    path, _ = xiaolou
    original = path.read_bytes()
    assert main(["check", "--in-place", str(path)]) == 1
    backups = sorted(path.parent.glob("*.backup*.xlsx"))
    assert [b.read_bytes() for b in backups] == [original]
    assert path.read_bytes() != original
