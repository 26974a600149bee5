"""End to end: `xlcheck check` on the sample township report writes an annotated copy whose red
cells, notes and summary sheet are right, and does so again, idempotently, on its own output."""

from __future__ import annotations

import hashlib
from pathlib import Path

import corpus
import openpyxl
import pytest

import xlcheck
from xlcheck.cli import main
from xlcheck.marks import FILL, NOTE_AUTHOR, SUMMARY_SHEET, SUSPECT_FILL
from xlcheck.writer import MARK_FORMULA


def marked(path: Path) -> dict[str, dict[str, str]]:
    """sheet -> cell -> fill colour of xlcheck's conditional formats, as a person sees them."""
    wb = openpyxl.load_workbook(path)
    out: dict[str, dict[str, str]] = {}
    for ws in wb.worksheets:
        for cf in ws.conditional_formatting:
            for rule in cf.rules:
                if rule.formula == [MARK_FORMULA]:
                    for rng in cf.sqref.ranges:
                        out.setdefault(ws.title, {})[rng.coord] = rule.dxf.fill.bgColor.rgb
    return out


def notes(path: Path) -> dict[str, str]:
    ws = openpyxl.load_workbook(path)["Sheet1"]
    return {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row
            if c.comment is not None and c.comment.author == NOTE_AUTHOR}


def test_sample_report_comes_back_marked_on_the_right_cells(xiaolou: tuple[Path, dict[str, str]]) -> None:
    path, cells = xiaolou
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    assert main(["check", str(path)]) == 1
    copy = path.with_name(path.stem + ".checked.xlsx")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before

    red, yellow = FILL[xlcheck.Severity.ERROR], FILL[xlcheck.Severity.WARNING]
    # T3-ID's four cells and every cell of T3-RES's sum, zeros included, in both failing columns
    rows = {key.split(".")[1] for key in cells if key.startswith("t3.")}
    expected = {cells[f"t3.{row}.{col}"].split("!")[1]: red for row in rows for col in ("natural", "total")}
    expected[cells["t2.art20_9.procurement.amount"].split("!")[1]] = yellow
    # the two cells to change stand out from the cells their equalities merely involve
    for key in ("t3.total.natural", "t3.total.total"):
        expected[cells[key].split("!")[1]] = SUSPECT_FILL
    assert marked(copy) == {"Sheet1": expected}

    found = notes(copy)
    total_natural = cells["t3.total.natural"].split("!")[1]
    assert found[total_natural].splitlines()[0] == "[FIX] 最可能填错：这一格填的是 0，应为 1；改后 T3-ID、T3-RES 成立"
    assert "[T3-RES] 错误：三（七）总计（自然人）为 0，但各办理结果之和为 1" in found[total_natural].splitlines()
    assert any(line.startswith("[T3-ID] 错误：") for line in found[total_natural].splitlines())
    assert set(found) == set(expected)

    wb = openpyxl.load_workbook(copy)
    summary = wb.worksheets[0]
    assert summary.title == SUMMARY_SHEET and wb.sheetnames[1:] == ["Sheet1"]
    assert summary["A2"].value == "未通过：发现 4 个错误、1 个警告"
    links = {summary.cell(r, 5).hyperlink.location for r in range(6, 11)}
    assert "'Sheet1'!" + total_natural in links


def test_checking_the_annotated_copy_gives_the_same_findings_and_one_set_of_marks(
        xiaolou: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, _ = xiaolou
    first = tmp_path / "first.xlsx"
    again = tmp_path / "again.xlsx"
    assert main(["check", str(path), "-o", str(first)]) == 1
    assert main(["check", str(first), "-o", str(again)]) == 1
    assert xlcheck.check(first).findings == xlcheck.check(path).findings
    assert marked(again) == marked(first)
    assert notes(again) == notes(first)
    assert openpyxl.load_workbook(again).sheetnames == [SUMMARY_SHEET, "Sheet1"]


def test_a_fixed_report_loses_its_marks(xiaolou: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, cells = xiaolou
    marked_copy = tmp_path / "marked.xlsx"
    assert main(["check", str(path), "-o", str(marked_copy)]) == 1
    wb = openpyxl.load_workbook(marked_copy)
    ws = wb["Sheet1"]
    for col in ("natural", "total"):
        ws[cells[f"t3.total.{col}"].split("!")[1]] = 1
    ws[cells["t2.art20_9.procurement.amount"].split("!")[1]] = 426796
    wb.save(marked_copy)  # the clerk fixes the values in the annotated copy and saves it
    fixed = tmp_path / "fixed.xlsx"
    assert main(["check", str(marked_copy), "-o", str(fixed)]) == 0
    assert marked(fixed) == {} and notes(fixed) == {}
    assert openpyxl.load_workbook(fixed).worksheets[0]["A2"].value == "通过：未发现问题"


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_default_copy_keeps_the_suffix(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"r{suffix}"
    corpus.write_report(path, "2021", corpus.consistent_values("2021", 1), year=2022)
    assert main(["check", str(path)]) == 0
    assert (tmp_path / f"r.checked{suffix}").exists()


def test_python_api_check_then_annotate(xiaolou: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    import xlcheck.annotated_copy  # importing the module must not shadow the function

    path, cells = xiaolou
    report = xlcheck.check(path)
    written = xlcheck.annotate(report)
    assert written == path.with_name(path.stem + ".checked.xlsx") and written.exists()
    assert cells["t3.total.natural"].split("!")[1] in marked(written)["Sheet1"]
    assert xlcheck.annotate(report, tmp_path / "elsewhere.xlsx") == tmp_path / "elsewhere.xlsx"
