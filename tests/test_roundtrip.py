"""Nothing is lost on write: annotate, then clean, and every workbook of a varied corpus is as it was.

Each workbook is a real report (with one wrong value, so there are marks to add and remove) carrying
one more kind of content people put in workbooks: an image, a chart, a chart sheet, macros, data
validation, defined names, number formats, formulas, hidden sheets, their own notes and rules.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import corpus
import openpyxl
import pytest
from lxml import etree
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from test_writer import VBA_BYTES, VBA_CT, PngImage, tiny_png

import xlcheck
from xlcheck.annotated_copy import annotate, default_output
from xlcheck.writer import MARK_FORMULA, clean

Build = Callable[[openpyxl.Workbook, dict[str, str]], None]


def _value_cells(wb: openpyxl.Workbook, cells: dict[str, str]) -> list[tuple[Any, str]]:
    out = []
    for ref in cells.values():
        sheet, cell = ref.split("!")
        out.append((wb[sheet], cell))
    return out


def _main(wb: openpyxl.Workbook, cells: dict[str, str]) -> Any:
    """The report's first sheet, wherever other sheets were put."""
    return wb[next(iter(cells.values())).split("!")[0]]


def with_image(wb: openpyxl.Workbook, cells: dict[str, str]) -> None:
    _main(wb, cells).add_image(PngImage(tiny_png(), "M2"))


def with_chart(wb: openpyxl.Workbook, cells: dict[str, str], chartsheet: bool = True) -> None:
    ws = _main(wb, cells)
    chart = BarChart()
    chart.title = "申请数量"
    chart.add_data(Reference(ws, min_col=4, min_row=20, max_row=30))
    ws.add_chart(chart, "N5")
    if not chartsheet:
        return
    sheet = wb.create_chartsheet("图表")
    other = BarChart()
    other.add_data(Reference(ws, min_col=5, min_row=20, max_row=30))
    sheet.add_chart(other)


def with_validation_and_formats(wb: openpyxl.Workbook, cells: dict[str, str]) -> None:
    for ws in wb.worksheets:
        dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                            showErrorMessage=True, error="请填写不小于 0 的整数")
        ws.add_data_validation(dv)
        for sheet, cell in _value_cells(wb, cells):
            if sheet is ws:
                dv.add(cell)
    for i, (sheet, cell) in enumerate(_value_cells(wb, cells)):
        sheet[cell].number_format = ("0", "#,##0", "0.00", '0"件"')[i % 4]


def with_names_and_formulas(wb: openpyxl.Workbook, cells: dict[str, str]) -> None:
    ws = _main(wb, cells)
    calc = wb.create_sheet("计算")
    first = cells["t3.new.natural"].split("!")[1]
    calc["A1"] = "本年新收（自然人）"
    calc["B1"] = f"='{ws.title}'!{first}*2"
    calc["B2"] = "=SUM(B1,1)"
    calc["B3"] = "=B2/2"
    wb.defined_names["本年新收"] = DefinedName("本年新收", attr_text=f"'{ws.title}'!${first[0]}${first[1:]}")
    wb.defined_names["合计"] = DefinedName("合计", attr_text="计算!$B$2")
    calc.defined_names["局部"] = DefinedName("局部", attr_text="计算!$A$1")
    ws.print_area = "A1:J40"
    ws.freeze_panes = "B3"


def with_hidden_sheets(wb: openpyxl.Workbook, cells: dict[str, str]) -> None:
    hidden = wb.create_sheet("隐藏")
    hidden["A1"] = "口径说明"
    hidden.sheet_state = "hidden"
    very = wb.create_sheet("参数", 0)
    very["A1"] = 2022
    very.sheet_state = "veryHidden"
    wb.active = 1


def with_their_own_marks(wb: openpyxl.Workbook, cells: dict[str, str]) -> None:
    ws = _main(wb, cells)
    for sheet, cell in _value_cells(wb, cells)[:5]:
        sheet[cell].comment = Comment("核对过", "张三")
    ws.conditional_formatting.add("D20:J60", CellIsRule(operator="lessThan", formula=["0"],
                                                        fill=PatternFill(bgColor="FFC7CE", fill_type="solid")))
    ws["L1"].hyperlink = "https://www.gov.cn/"
    ws["L1"] = "链接"


def everything(wb: openpyxl.Workbook, cells: dict[str, str]) -> None:
    # no chart sheet here: openpyxl numbers sheet-local names wrongly when a chart sheet precedes them
    with_chart(wb, cells, chartsheet=False)
    for build in (with_hidden_sheets, with_image, with_validation_and_formats, with_names_and_formulas,
                  with_their_own_marks):
        build(wb, cells)


VARIANTS: dict[str, tuple[Build, str]] = {
    "image": (with_image, "one"),
    "chart": (with_chart, "one"),
    "validation-and-formats": (with_validation_and_formats, "three"),
    "names-and-formulas": (with_names_and_formulas, "one"),
    "hidden-sheets": (with_hidden_sheets, "three"),
    "their-own-marks": (with_their_own_marks, "one"),
    "macros": (with_image, "three"),
    "everything-macros": (everything, "three"),
}


def _make_xlsm(path: Path) -> None:
    """Turn an .xlsx into an .xlsm with a VBA project, laid out the way Excel writes it."""
    with zipfile.ZipFile(path) as zin:
        parts = {n: zin.read(n) for n in zin.namelist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
        b"<Default ", f'<Default Extension="bin" ContentType="{VBA_CT}"/><Default '.encode(), 1)
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
        b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
    parts["xl/vbaProject.bin"] = VBA_BYTES
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)


def build(folder: Path, variant: str) -> tuple[Path, str]:
    """The variant's workbook and the cell of its wrong value."""
    make, sheets = VARIANTS[variant]
    values = corpus.consistent_values("2021", 11)
    values["t3.public.natural"] = int(values["t3.public.natural"]) + 1
    plain = folder / f"{variant}.plain.xlsx"
    cells = corpus.write_report(plain, "2021", values, year=2022, sheets=sheets)
    wb = openpyxl.load_workbook(plain)
    make(wb, cells)
    path = folder / f"{variant}.xlsx"
    wb.save(path)
    plain.unlink()
    if "macros" in variant:
        xlsm = path.with_suffix(".xlsm")
        path.rename(xlsm)
        _make_xlsm(xlsm)
        path = xlsm
    return path, cells["t3.public.natural"]


# ---------------------------------------------------------------------------------------- snapshots


def _our_rule(rule: Any) -> bool:
    return list(getattr(rule, "formula", None) or []) == [MARK_FORMULA]


def snapshot(path: Path, *, skip_summary: bool = False) -> dict[str, Any]:
    """What a person would miss: values, formulas, formats, merges, validation, names, order, notes."""
    wb = openpyxl.load_workbook(path, keep_vba=path.suffix == ".xlsm")
    sheets = [ws for ws in wb.worksheets
              if isinstance(ws, Worksheet) and not (skip_summary and ws.title == "校验结果")]
    out: dict[str, Any] = {
        "order": [s.title for s in wb._sheets if not (skip_summary and s.title == "校验结果")],
        "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()),
        "chartsheets": [(c.title, len(c._charts)) for c in wb.chartsheets],
    }
    for ws in sheets:
        cells = {c.coordinate: (c.value, c.number_format) for row in ws.iter_rows() for c in row
                 if c.value is not None}
        notes = {c.coordinate: (c.comment.author, c.comment.text) for row in ws.iter_rows() for c in row
                 if c.comment is not None and c.comment.author != "xlcheck"}
        theirs = sorted(((r.priority, str(rng.sqref), r.type, tuple(r.formula or ()))
                         for rng in ws.conditional_formatting for r in rng.rules if not _our_rule(r)),
                        key=lambda rule: rule[0])
        # while marked, their rules keep their order but step down behind ours: compare ranks then
        rules = [(rank if skip_summary else priority, *rest) for rank, (priority, *rest) in enumerate(theirs, 1)]
        out[ws.title] = {
            "state": ws.sheet_state,
            "cells": cells,
            "notes": notes,
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "validation": sorted((dv.type, dv.operator, dv.formula1, str(dv.sqref), dv.error)
                                 for dv in ws.data_validations.dataValidation),
            "local_names": sorted((n, d.attr_text) for n, d in ws.defined_names.items()),
            "print_area": ws.print_area,
            "freeze": ws.freeze_panes,
            "images": len(ws._images),
            "charts": len(ws._charts),
            "rules": rules,
            "links": sorted((h.ref, h.target) for h in ws._hyperlinks),
        }
    return out


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def c14n(data: bytes) -> bytes:
    try:
        return etree.tostring(etree.fromstring(data), method="c14n")
    except etree.XMLSyntaxError:
        return data


#: parts the writer never edits (a person's own notes drawing, *.vml, gets our note shapes added)
UNTOUCHED = re.compile(r"\.(bin|png|jpe?g|gif|emf|wmf)$|^xl/charts/|^xl/drawings/[^/]+\.xml$|^xl/media/")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_annotate_then_clean_gives_back_everything(variant: str, tmp_path: Path) -> None:
    path, wrong = build(tmp_path, variant)
    before = snapshot(path)
    report = xlcheck.check(path)
    assert report.error is None and not report.ok
    assert any(wrong in f.cells for f in report.findings)

    copy = annotate(report)
    assert copy == default_output(path) and copy.suffix == path.suffix
    marked = snapshot(copy, skip_summary=True)
    assert marked == before  # the annotated copy keeps everything; only marks were added
    original_parts, copied = parts(path), parts(copy)
    for name, data in original_parts.items():
        if UNTOUCHED.search(name):  # images, charts, drawings, macros: byte for byte
            assert copied[name] == data, name

    cleaned = tmp_path / f"cleaned{path.suffix}"
    clean(copy, cleaned)
    assert snapshot(cleaned) == before
    after = parts(cleaned)
    assert set(after) == set(original_parts)
    for name, data in original_parts.items():
        assert after[name] == data or c14n(after[name]) == c14n(data), name


def test_annotating_twice_then_cleaning_is_still_lossless(tmp_path: Path) -> None:
    path, _ = build(tmp_path, "everything-macros")
    before = snapshot(path)
    once = annotate(xlcheck.check(path))
    again = tmp_path / "again.xlsm"
    shutil.copy(once, again)
    report = xlcheck.check(again)
    report.path = str(again)
    annotate(report, again)
    cleaned = tmp_path / "cleaned.xlsm"
    clean(again, cleaned)
    assert snapshot(cleaned) == before
    assert parts(cleaned)["xl/vbaProject.bin"] == VBA_BYTES
