"""The reviewer's part of the batch summary: cross-year comparisons, the roster status, and per rule
how many files passed it, failed it, or were not checked by it (as R's ``validate`` summary does).

``xlcheck.summary`` writes these sheets and JSON keys when the run paired years or read a roster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .findings import Report

YEARS_SHEET, ROSTER_SHEET, STATUS_SHEET = "跨年度比对", "报送情况", "规则通过情况"
YEARS_HEADER = ("序号", "单位名称", "文件", "年度", "上年报告", "结论", "跨年度问题")
ROSTER_HEADER = ("序号", "状态", "单位名称", "统一社会信用代码", "行政层级", "文件")
STATUS_HEADER = ("规则", "规则说明", "通过", "未通过", "未检查", "通过率")
#: the document fields only a paired report has
_PREVIOUS, _PAIRING = "previous", "pairing"


@dataclass
class RuleStatus:
    rule: str
    title: str
    passed: int = 0
    failed: int = 0
    not_checked: int = 0

    @property
    def rate(self) -> str:
        checked = self.passed + self.failed
        return f"{self.passed * 100 / checked:.0f}%" if checked else "—"

    @property
    def values(self) -> tuple[Any, ...]:
        return (self.rule, self.title, self.passed, self.failed, self.not_checked, self.rate)


def _checked(rule: Any, report: Report, paired: bool) -> bool:
    if report.error is not None or not rule.applies_to(report.format):
        return False
    if _PREVIOUS in rule.schema:
        return report.previous is not None
    if _PAIRING in rule.schema:
        return paired
    if "meta.level" in repr(rule.schema):  # T2-LVL: silent without the unit's level
        return report.values is not None and report.values.level is not None
    return True


def rule_status(reports: Sequence[Report], rules: Sequence[Any], paired: bool) -> list[RuleStatus]:
    """Per rule of the set, in its order: files that passed, failed (a finding of the rule, of any
    severity) and were not checked (unreadable, another format, switched off, no last year's report)."""
    out = []
    for rule in rules:
        stat = RuleStatus(rule.id, rule.description)
        for report in reports:
            if any(f.rule == rule.id for f in report.findings):
                stat.failed += 1
            elif _checked(rule, report, paired):
                stat.passed += 1
            else:
                stat.not_checked += 1
        out.append(stat)
    return out


def cross_year_rules(rules: Sequence[Any]) -> set[str]:
    return {r.id for r in rules if _PREVIOUS in r.schema or _PAIRING in r.schema}


def year_rows(reports: Sequence[Report], rules: Sequence[Any]) -> list[tuple[Any, ...]]:
    ids = cross_year_rules(rules)
    rows = []
    for number, report in enumerate((r for r in reports if r.error is None), 1):
        found = [f for f in report.findings if f.rule in ids]
        if report.previous is None:
            verdict = "未比对"
        elif any(f.rule in ids and f.severity.value != "info" for f in found):
            verdict = "有差异"
        else:
            verdict = "一致"
        text = "\n".join(f"[{f.rule}] {f.severity.label}：{f.message}" for f in found)
        rows.append((number, report.unit or "", report.path, report.year, report.previous or "", verdict, text))
    return rows


def roster_rows(statuses: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [(n, s.status, s.unit, s.code or "", s.level or "", "\n".join(s.files))
            for n, s in enumerate(statuses, 1)]


def to_json(reports: Sequence[Report], rules: Sequence[Any] | None, paired: bool,
            roster: Sequence[Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rules is not None:
        out["rule_status"] = [{"rule": s.rule, "title": s.title, "passed": s.passed, "failed": s.failed,
                               "not_checked": s.not_checked} for s in rule_status(reports, rules, paired)]
    if roster is not None:
        out["roster"] = [{"status": s.status, "unit": s.unit, "code": s.code, "level": s.level, "files": s.files}
                         for s in roster]
    return out


def add_sheets(wb: Any, reports: Sequence[Report], rules: Sequence[Any] | None, paired: bool,
               roster: Sequence[Any] | None, append: Any, header: Any) -> None:
    """The reviewer's sheets, after the summary's own: ``append(ws, values)`` (which returns the row's
    number) and ``header(ws, names, widths)`` are the summary's, so text from strangers' files is
    written the same safe way."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment

    wrap = Alignment(wrap_text=True, vertical="top")
    if rules is not None and paired:
        ws = wb.create_sheet(YEARS_SHEET)
        header(ws, YEARS_HEADER, (6, 28, 48, 7, 48, 10, 90))
        for row in year_rows(reports, rules):
            ws.cell(append(ws, row), 7).alignment = wrap
        ws.auto_filter.ref = f"A1:G{max(ws.max_row, 2)}"
    if roster is not None:
        ws = wb.create_sheet(ROSTER_SHEET)
        header(ws, ROSTER_HEADER, (6, 10, 32, 22, 24, 60))
        for row in roster_rows(roster):
            ws.cell(append(ws, row), 6).alignment = wrap
        ws.auto_filter.ref = f"A1:F{max(ws.max_row, 2)}"
    if rules is not None:
        ws = wb.create_sheet(STATUS_SHEET)
        header(ws, STATUS_HEADER, (12, 60, 8, 8, 8, 8))
        stats = rule_status(reports, rules, paired)
        for stat in stats:
            append(ws, stat.values)
        if stats:
            chart = BarChart()
            chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
            chart.title = "各规则的通过、未通过、未检查文件数"
            chart.x_axis.scaling.orientation = "maxMin"
            chart.x_axis.delete = chart.y_axis.delete = False
            chart.add_data(Reference(ws, min_col=3, max_col=5, min_row=1, max_row=1 + len(stats)),
                           titles_from_data=True)
            chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=1 + len(stats)))
            chart.height, chart.width = max(7.5, 0.5 * len(stats) + 3), 18
            ws.add_chart(chart, "H2")
