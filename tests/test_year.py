"""The report year comes from the title or a 报告年度 cell, never from a deadline, a date or a document
number; a workbook that states no year, or two, says so."""

from __future__ import annotations

from pathlib import Path

import corpus
import messy
import openpyxl
import pytest

import xlcheck
from xlcheck import Severity

CASES = [(fmt, layout) for fmt in messy.FORMATS for layout in messy.LAYOUTS]
IDS = [f"{fmt}-{layout}" for fmt, layout in CASES]


def s1(report: xlcheck.Report) -> list[xlcheck.Finding]:
    return [f for f in report.findings if f.rule == "S1"]


def first_sheet(wb: openpyxl.Workbook) -> openpyxl.worksheet.worksheet.Worksheet:
    return wb.worksheets[0]


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_a_deadline_above_the_title_is_not_the_year(tmp_path: Path, fmt: str, layout: str) -> None:
    path = tmp_path / "r.xlsx"
    messy.build(path, fmt, layout=layout)
    year = messy.YEAR[fmt]

    def note(wb: openpyxl.Workbook) -> None:
        ws = first_sheet(wb)
        ws.cell(1, 1, f"请于{year + 1}年1月20日前报送政府信息公开工作年度报告")
        ws.cell(2, 1, f"本表由各单位于{year + 1}年1月31日前报送，依据国办公开办函〔2021〕30号")

    messy.edit(path, note)
    report = xlcheck.check(path)
    assert (report.year, report.format, report.findings) == (year, fmt, [])


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_an_instructions_sheet_in_front_is_not_the_year(tmp_path: Path, fmt: str, layout: str) -> None:
    path = tmp_path / "r.xlsx"
    messy.build(path, fmt, layout=layout)

    def instructions(wb: openpyxl.Workbook) -> None:
        ws = wb.create_sheet("填报说明", 0)
        ws.cell(1, 1, "填报说明")
        ws.cell(2, 1, "根据2023年政府信息公开工作年度报告审查情况，现就填报有关事项说明如下")
        ws.cell(3, 1, "2023年政府信息公开工作年度报告填报说明")
        ws.cell(4, 1, "2024年3月1日")

    messy.edit(path, instructions)
    report = xlcheck.check(path)
    assert (report.year, report.findings) == (messy.YEAR[fmt], [])


@pytest.mark.parametrize("fmt", messy.FORMATS)
def test_no_year_anywhere_is_a_warning_and_year_overrides_it(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "report.xlsx"
    messy.build(path, fmt, layout="three-sheet", year=0, title=False)
    report = xlcheck.check(path)
    (finding,) = report.findings
    assert (finding.rule, finding.severity, finding.cells) == ("S1", Severity.WARNING, ())
    assert "找不到报告年度" in finding.message and "未能核对" in finding.message
    assert report.year is None and report.ok
    assert xlcheck.check(path, year=messy.YEAR[fmt]).findings == []
    wrong = 2022 if fmt == "2019" else 2020
    (error,) = s1(xlcheck.check(path, year=wrong))
    assert error.severity is Severity.ERROR and str(wrong) in error.message


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_title_and_year_cell_that_disagree_name_both_cells(tmp_path: Path, fmt: str, layout: str) -> None:
    path = tmp_path / "r.xlsx"
    messy.build(path, fmt, layout=layout, year=2023)
    title = next(c for c in messy.cells_with(first_sheet(openpyxl.load_workbook(path)),
                                             "青山镇人民政府2023年政府信息公开工作年度报告"))
    sheet = first_sheet(openpyxl.load_workbook(path)).title

    def year_cell(wb: openpyxl.Workbook) -> None:
        ws = first_sheet(wb)
        ws.cell(1, 1, "报告年度")
        ws.cell(1, 2, 2020)

    messy.edit(path, year_cell)
    report = xlcheck.check(path)
    (finding,) = s1(report)
    assert finding.severity is Severity.WARNING and report.year is None
    assert set(finding.cells) == {f"{sheet}!B1", f"{sheet}!{title.coordinate}"}
    assert "2023" in finding.message and "2020" in finding.message and "不一致" in finding.message
    # the year given on the command line decides, and then the format is checked against it
    assert s1(xlcheck.check(path, year=2021 if fmt == "2021" else 2020)) == []


def test_blank_year_cell_is_named(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    messy.build(path, "2021", year=0, title=False, sheets="three")

    def blank_year(wb: openpyxl.Workbook) -> None:
        ws = first_sheet(wb)
        ws.cell(1, 1, "报告年度")

    messy.edit(path, blank_year)
    (finding,) = xlcheck.check(path).findings
    assert (finding.rule, finding.cells) == ("S1", ("主动公开!B1",))


@pytest.mark.parametrize(("text", "year", "unit"), [
    ("2022年青山镇人民政府政府信息公开工作年度报告", 2022, "青山镇人民政府"),
    ("青山镇人民政府2021年度政府信息公开工作年度报告", 2021, "青山镇人民政府"),
    ("报告年度：2023年", 2023, "青山镇人民政府"),
])
def test_other_ways_of_stating_the_year(tmp_path: Path, text: str, year: int, unit: str) -> None:
    path = tmp_path / "report.xlsx"
    messy.build(path, "2021", layout="three-sheet", year=0, title=False)

    def state(wb: openpyxl.Workbook) -> None:
        ws = first_sheet(wb)
        ws.cell(1, 1, text)
        if text.startswith("报告年度"):
            ws.cell(2, 1, "青山镇人民政府政府信息公开工作年度报告")

    messy.edit(path, state)
    report = xlcheck.check(path)
    assert (report.year, report.unit, report.findings) == (year, unit, [])


def test_a_year_in_the_file_name_is_used_when_the_workbook_states_none(tmp_path: Path) -> None:
    path = tmp_path / "青山镇2022年政府信息公开工作年度报告.xlsx"
    messy.build(path, "2021", layout="three-sheet", year=0, title=False)
    report = xlcheck.check(path)
    assert (report.year, report.findings) == (2022, [])


# ── the unit's level (D4, T2-LVL) ───────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("layout", messy.LAYOUTS)
def test_d4_knows_the_units_level(tmp_path: Path, layout: str) -> None:
    values = dict(corpus.consistent_values("2021", 9))
    values["t2.art20_8.fees.amount"] = 24252.31
    path = tmp_path / "r.xlsx"
    cells = messy.build(path, "2021", layout=layout, values=values)
    (unknown,) = xlcheck.check(path).findings  # unknown level: judged as a township
    assert (unknown.rule, unknown.cells) == ("D4", (cells["t2.art20_8.fees.amount"],))
    assert "24252.31" in unknown.message and "未提供行政层级" in unknown.message
    (township,) = xlcheck.check(path, level="乡镇人民政府（街道办事处）").findings
    assert township.rule == "D4" and "乡镇" in township.message
    assert xlcheck.check(path, level="设区的市级人民政府").findings == []
    assert xlcheck.check(path, level="省级人民政府").findings == []


def test_a_provincial_set_tunes_d4_by_level(tmp_path: Path) -> None:
    from xlcheck import RuleSet, hookimpl
    from xlcheck.plugins import load
    from xlcheck.testing import check_with
    from xlcheck_national import fee_magnitude_rule

    class Strict:
        @hookimpl
        def xlcheck_rulesets(self) -> list[RuleSet]:
            return [RuleSet("strict", "严格", (fee_magnitude_rule({"设区的市级人民政府": 1000}, replaces="D4"),),
                            extends="national")]

    values = dict(corpus.consistent_values("2021", 9))
    values["t2.art20_8.fees.amount"] = 2425.5
    path = tmp_path / "r.xlsx"
    messy.build(path, "2021", values=values)
    report = check_with(path, plugins=[Strict()], rules="strict")
    assert report.findings == []  # unknown level: 10000 still
    found = xlcheck.check(path, level="设区的市级人民政府", rules="strict", registry=load(extra=[Strict()]))
    assert [f.rule for f in found.findings] == ["D4"]
