"""The committed blank templates are what ``xlcheck template`` generates, and they read back whole."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import xlcheck
from xlcheck.cli import main
from xlcheck.formats import FORMAT_2019, FORMAT_2021
from xlcheck.template import INPUT_FILL

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def snapshot(path: Path) -> dict[str, object]:
    """Everything a person sees in a blank workbook, without file timestamps."""
    wb = openpyxl.load_workbook(path)
    out: dict[str, object] = {"sheets": wb.sheetnames}
    for ws in wb.worksheets:
        out[ws.title] = {
            "cells": {c.coordinate: (c.value, c.fill.fgColor.rgb, c.protection.locked, c.border.left.style,
                                     c.font.b, c.alignment.horizontal)
                      for row in ws.iter_rows() for c in row},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "protected": ws.protection.sheet,
            "validations": sorted((dv.type, dv.formula1, str(dv.sqref)) for dv in ws.data_validations.dataValidation),
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
        }
    return out


@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_committed_template_matches_the_generated_one(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"{fmt}.xlsx"
    assert main(["template", fmt, "-o", str(out)]) == 0
    assert snapshot(out) == snapshot(TEMPLATES / f"{fmt}.xlsx")


@pytest.mark.parametrize("layout", [FORMAT_2019, FORMAT_2021], ids=["2019", "2021"])
def test_template_value_cells_are_unlocked_marked_and_exactly_the_layouts_fields(layout: object) -> None:
    path = TEMPLATES / f"{layout.format}.xlsx"  # type: ignore[attr-defined]
    report = xlcheck.check(path)
    # a blank template is read as its own format with every table empty (one D2 each, on its first
    # value cell) and its 报告年度 cell empty (S1 warning on that cell), and nothing else
    assert report.format == layout.format  # type: ignore[attr-defined]
    (year,) = [f for f in report.findings if f.rule == "S1"]
    findings = [f for f in report.findings if f.rule != "S1"]
    assert [f.rule for f in findings] == ["D2"] * 3 and all("整张表是空的" in f.message for f in findings)
    cells = _cells_of(report)
    assert set(cells) == set(layout.fields)  # type: ignore[attr-defined]
    assert {f.cells[0].split("!")[1] for f in findings} <= set(cells.values())
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws.protection.sheet
    assert year.cells == (f"{ws.title}!F2",) and "找不到报告年度" in year.message
    for ref in [*cells.values(), year.cells[0].split("!")[1]]:
        cell = ws[ref]
        assert cell.protection.locked is False
        assert cell.fill.fgColor.rgb == INPUT_FILL


def test_template_labels_are_verbatim() -> None:
    ws = openpyxl.load_workbook(TEMPLATES / "2021.xlsx").worksheets[0]
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for label in ("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "3.危及“三安全一稳定”",
                  "本年收费金额（单位：万元）",
                  "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                  "未经复议直接起诉", "第二十条第（八）项"):
        assert any(label in t for t in texts), label


def test_filled_template_checks_clean(tmp_path: Path) -> None:
    import corpus

    values = corpus.consistent_values("2021", seed=11)
    blank = xlcheck.check(TEMPLATES / "2021.xlsx")
    wb = openpyxl.load_workbook(TEMPLATES / "2021.xlsx")
    ws = wb.worksheets[0]
    for key, ref in _cells_of(blank).items():
        ws[ref] = values[key]
    ws["F2"] = 2022
    wb.save(tmp_path / "filled.xlsx")
    report = xlcheck.check(tmp_path / "filled.xlsx")
    assert (report.year, report.findings) == (2022, [])


def _cells_of(report: xlcheck.Report) -> dict[str, str]:
    from xlcheck.locator import locate
    from xlcheck.plugins import default_registry
    from xlcheck.reader import read_workbook

    located = locate(read_workbook(report.path), default_registry().layouts)
    return {key: value.ref.split("!")[1] for key, value in located.values.items()}
