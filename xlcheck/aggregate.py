"""The aggregate table (``--aggregate 汇总.xlsx``): the standard blank workbook of the year's format
(``xlcheck.template``) with every value cell the sum over the checked reports that passed, and a
second sheet listing which reports are included and which are left out, and why.

Counts are summed as they are. Amounts are summed in the unit of their column — 2021 收费金额 in
万元, as the table prints it; 2019 采购总金额, which prints none, in 元 — converting a value typed
with the other unit ("5000元" in 万元, "3万元" in 元); each amount cell carries a note saying so. A
unit with two passing files of one year is counted once. The written aggregate is itself checked.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import Report, Severity
from .plugins import Registry

SHEET = "汇总说明"
HEADER = ("序号", "单位名称", "文件", "年度", "是否计入", "原因")
INCLUDED, EXCLUDED = "计入", "未计入"


class AggregateError(Exception):
    """The aggregate cannot be written; the message is for the user."""


@dataclass
class Aggregate:
    path: str
    year: int
    format: str
    included: list[Report] = field(default_factory=list)
    #: (report, why it is left out)
    excluded: list[tuple[Report, str]] = field(default_factory=list)
    sums: dict[str, float] = field(default_factory=dict)
    #: the aggregate's own check
    report: Report = field(default_factory=lambda: Report(""))

    def describe(self) -> str:
        verdict = ("校验通过" if self.report.ok else
                   f"校验未通过（{self.report.count(Severity.ERROR)} 个错误），请查看 {self.path} 的问题")
        return (f"汇总表已写入 {self.path}：{self.year} 年度（{self.format} 版），计入 {len(self.included)} 份报告，"
                f"未计入 {len(self.excluded)} 份；汇总表{verdict}")


def _target_year(reports: Sequence[Report], year: int | None) -> int | None:
    if year is not None:
        return year
    years = Counter(r.year for r in reports if r.error is None and r.year is not None)
    # the latest year the batch holds: the one being collected (earlier ones came to compare with)
    return max(years) if years else None


def select(reports: Sequence[Report], year: int, fmt: str) -> tuple[list[Report], list[tuple[Report, str]]]:
    """Which reports the aggregate sums, and why each other one is left out."""
    from .pairing import same_unit

    included: list[Report] = []
    excluded: list[tuple[Report, str]] = []
    for report in reports:
        if report.error is not None:
            excluded.append((report, "无法校验"))
        elif report.year != year:
            excluded.append((report, f"不是 {year} 年度的报告（{report.year or '年度未识别'}）"))
        elif report.format != fmt:
            excluded.append((report, f"不是 {fmt} 版格式"))
        elif not report.ok:
            excluded.append((report, f"未通过校验（{report.count(Severity.ERROR)} 个错误）"))
        elif report.values is None:
            excluded.append((report, "没有读取到数据"))
        else:
            twin = next((r for r in included if r.values is not None and same_unit(r.values, report.values)), None)
            if twin is not None:
                excluded.append((report, f"与“{os.path.basename(twin.path)}”是同一单位同一年度的报告，只计入一份"))
            else:
                included.append(report)
    return included, excluded


def sums(included: Sequence[Report], layout: Any) -> dict[str, float]:
    # the reader has read every amount in its column's unit (Column.unit): "5000元" in 万元 is 0.5
    out = {key: 0.0 for key in layout.fields}
    for report in included:
        assert report.values is not None
        for key, (number, _ref, _typed) in report.values.values.items():
            if key in out and number is not None:
                out[key] += number
    return {k: round(v, 6) for k, v in out.items()}


def write_aggregate(path: str | os.PathLike[str], reports: Sequence[Report], *, registry: Registry,
                    rules: str = "national", year: int | None = None) -> Aggregate:
    """Write the aggregate of ``reports`` (checked with their values kept) to ``path`` and check it."""
    from .check import check

    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise AggregateError(f"汇总表须为 .xlsx 文件：{target.name} (the aggregate must be .xlsx)")
    if target.is_symlink() or (os.path.lexists(target) and not target.is_file()):
        raise AggregateError(f"{target} 不是普通文件，不写入 (not a regular file)")
    wanted = _target_year(reports, year)
    if wanted is None:
        raise AggregateError("没有可汇总的报告：没有一份报告识别出年度 (nothing to aggregate)")
    layout = next((x for x in registry.layouts if x.fits_year(wanted)), None)
    if layout is None:
        raise AggregateError(f"没有适用于 {wanted} 年度的表格格式 (no layout for {wanted})")
    result = Aggregate(str(target), wanted, layout.format)
    result.included, result.excluded = select(reports, wanted, layout.format)
    result.sums = sums(result.included, layout)
    from .atomic import replacing

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with replacing(target, suffix=".xlsx") as temp:
            _write(temp, result, layout)
            result.report = check(temp, rules=rules, registry=registry, year=wanted)
            result.report.path = str(target)
    except OSError as exc:
        raise AggregateError(f"无法写出汇总表 {target}：{exc.strerror or exc} (cannot write the aggregate)") from None
    return result


def _write(path: Path, result: Aggregate, layout: Any) -> None:
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    from .summary import _append

    cells = build_cells(path, layout)
    wb = load_workbook(path)
    n = len(result.included)

    def put(ref: str, value: Any) -> Any:
        sheet, cell = ref.rsplit("!", 1)
        wb[sheet][cell] = value
        return wb[sheet][cell]

    put(cells["cover.unit_name"], f"汇总（{n} 份报告）")
    put(cells["year"], result.year)
    for key, total in result.sums.items():
        cell = put(cells[key], int(total) if float(total).is_integer() else total)
        if layout.fields[key].kind == "amount":
            unit = layout.fields[key].column.unit
            note = f"单位：{unit}。{n} 份报告之和；填写时带有“元”或“万元”的数已换算为{unit}。"
            cell.comment = Comment(note, "xlcheck")
    ws = wb.create_sheet(SHEET)
    _append(ws, HEADER)
    for col in range(1, len(HEADER) + 1):
        ws.cell(1, col).font = Font(bold=True)
    rows = [(r, INCLUDED, "通过校验") for r in result.included] + [(r, EXCLUDED, why) for r, why in result.excluded]
    for number, (report, status, why) in enumerate(rows, 1):
        _append(ws, (number, report.unit or "", report.path, report.year, status, why))
    for letter, width in zip("ABCDEF", (6, 28, 60, 7, 9, 50), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    wb.save(path)


def build_cells(path: Path, layout: Any) -> dict[str, str]:
    from .template import build_template

    return build_template(layout, path)
