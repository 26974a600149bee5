"""What a report says in one line, for the console and the summary sheet alike; apart from
:mod:`xlcheck.marks` (which re-exports them) so that a check without a copy does not build the marks'
classes and patterns at start-up."""

from __future__ import annotations

from .findings import Report, Severity

#: Text that starts the summary sheet's first cell; how a later run tells its own sheet from a person's.
SUMMARY_MARKER = "xlcheck 校验结果"


def verdict(report: Report) -> str:
    """The one-line verdict at the top of the summary sheet and at the end of the console output."""
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    if errors:
        head = f"未通过：发现 {errors} 个错误、{warnings} 个警告"
    elif warnings:
        head = f"通过，但有 {warnings} 个警告需要核实"
    else:
        head = "通过：未发现问题"
    return head


def describe(report: Report) -> str:
    """Which format and year the workbook was checked as, for the summary sheet's second line."""
    fmt = f"{report.format} 版格式" if report.format else "格式未识别"
    year = f"{report.year} 年度" if report.year else "年度未识别"
    return f"按 {fmt}、{year} 校验"
