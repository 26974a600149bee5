"""The reviewer's summary of a run over many workbooks: ``.xlsx``, ``.csv`` or ``.json`` by suffix.

The workbook has three sheets:

* ``文件汇总``: one row per file: unit, path, format, year, verdict, error and warning counts, the
  rule ids hit, and a link to the annotated copy when one was written;
* ``问题明细``: every finding: file, rule, severity, message, cells (linked to the cell in the
  annotated copy);
* ``规则统计``: the run's totals, then per rule how many files failed it and how many findings it
  made, with a bar chart of the files per rule.

The CSV holds the rows of ``文件汇总`` (UTF-8 with a byte-order mark, so Excel reads the Chinese); the
JSON holds everything. Links are relative to the summary's folder, so the summary and the annotated
copies can be moved or shared together. The summary is a new file, so openpyxl writes it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import FIX_RULE, Report, Severity, split_cell_ref

SUFFIXES = (".xlsx", ".csv", ".json")

FILES_SHEET, FINDINGS_SHEET, RULES_SHEET = "文件汇总", "问题明细", "规则统计"
FILE_HEADER = ("序号", "单位名称", "文件", "格式", "年度", "结论", "错误数", "警告数", "建议改正格数", "命中规则",
               "标注副本", "说明")
FINDING_HEADER = ("序号", "单位名称", "文件", "规则", "级别", "说明", "单元格")
RULE_HEADER = ("规则", "规则说明", "未通过文件数", "问题数", "错误", "警告")

PASS, PASS_WARN, FAIL, UNREADABLE = "通过", "通过（有警告）", "未通过", "无法校验"


class SummaryError(Exception):
    """The summary could not be written; the message is for the user."""


@dataclass
class FileRow:
    """One file as the summary shows it."""

    number: int
    unit: str
    path: str
    format: str
    year: int | None
    verdict: str
    errors: int
    warnings: int
    #: cells of the unique smallest fix (xlcheck.localize): how many a clerk is told to change
    suggestions: int
    rules: list[str]
    copy: str | None
    note: str
    report: Report = field(repr=False)

    @property
    def values(self) -> tuple[Any, ...]:
        return (self.number, self.unit, self.path, self.format, self.year, self.verdict, self.errors,
                self.warnings, self.suggestions, "、".join(self.rules), self.copy or "", self.note)


@dataclass
class RuleRow:
    rule: str
    title: str
    files: int = 0
    findings: int = 0
    errors: int = 0
    warnings: int = 0

    @property
    def values(self) -> tuple[Any, ...]:
        return (self.rule, self.title, self.files, self.findings, self.errors, self.warnings)


def verdict(report: Report) -> str:
    if report.error is not None:
        return UNREADABLE
    if not report.ok:
        return FAIL
    return PASS_WARN if report.count(Severity.WARNING) else PASS


def file_rows(items: Sequence[Any]) -> list[FileRow]:
    """Rows for ``items``: Reports, or batch outcomes (``.report``, ``.copy``, ``.write_error``).

    Paths and messages are made readable (:func:`xlcheck.names.readable`): a summary is Unicode text."""
    from .names import readable

    rows = []
    for number, item in enumerate(items, 1):
        report: Report = item if isinstance(item, Report) else item.report
        copy = report.annotated if isinstance(item, Report) else item.copy
        write_error = None if isinstance(item, Report) else item.write_error
        note = report.error or ""
        if write_error:
            note = f"标注副本未写出：{write_error}"
        # FIX is not a rule a file fails: it says how to mend the rules it does fail
        rule_ids = list(dict.fromkeys(f.rule for f in report.findings if f.rule != FIX_RULE))
        rows.append(FileRow(number, report.unit or "", readable(report.path), report.format or "", report.year,
                            verdict(report), report.count(Severity.ERROR), report.count(Severity.WARNING),
                            len(report.suggestions), rule_ids, readable(copy) if copy else copy, readable(note),
                            report))
    return rows


def rule_rows(rows: Sequence[FileRow], titles: Mapping[str, str] | None = None) -> list[RuleRow]:
    """Per rule that failed somewhere: files and findings, most files first."""
    stats: dict[str, RuleRow] = {}
    for row in rows:
        for finding in row.report.findings:
            if finding.rule == FIX_RULE:
                continue
            stat = stats.setdefault(finding.rule, RuleRow(finding.rule, (titles or {}).get(finding.rule, "")))
            stat.findings += 1
            stat.errors += finding.severity is Severity.ERROR
            stat.warnings += finding.severity is Severity.WARNING
        for rule in row.rules:
            stats[rule].files += 1
    return sorted(stats.values(), key=lambda s: (-s.files, -s.findings, s.rule))


def totals(rows: Sequence[FileRow], total: int | None = None, interrupted: bool = False) -> dict[str, Any]:
    by = {v: sum(1 for r in rows if r.verdict == v) for v in (PASS, PASS_WARN, FAIL, UNREADABLE)}
    return {
        "files": total if total is not None else len(rows),
        "checked": len(rows),
        "passed": by[PASS] + by[PASS_WARN],
        "passed_with_warnings": by[PASS_WARN],
        "failed": by[FAIL],
        "unreadable": by[UNREADABLE],
        "errors": sum(r.errors for r in rows),
        "warnings": sum(r.warnings for r in rows),
        "interrupted": interrupted,
    }


def write_summary(path: str | os.PathLike[str], items: Sequence[Any], *, total: int | None = None,
                  interrupted: bool = False, rule_titles: Mapping[str, str] | None = None,
                  rules: Sequence[Any] | None = None, paired: bool = False,
                  roster: Sequence[Any] | None = None) -> Path:
    """Write the summary of ``items`` (Reports or batch outcomes, in the order to show) to ``path``.

    ``total`` is how many files the run was asked to check (more than ``len(items)`` after Ctrl-C);
    ``rule_titles`` gives each rule id's description. A reviewer's run adds ``rules`` (the rule set's
    rules: a sheet of pass / fail / not checked per rule), ``paired`` (years were paired: a sheet of
    the cross-year comparisons) and ``roster`` (``xlcheck.roster.Status`` lines). Raises
    SummaryError for an unknown suffix or a file that cannot be written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        raise SummaryError(f"汇总文件须为 .xlsx、.csv 或 .json：{target.name} (summary must be .xlsx, .csv or .json)")
    from .atomic import replacing, unsafe_target

    refused = unsafe_target(target)
    if refused is not None:
        raise SummaryError(f"无法写出汇总：{refused}")
    rows = file_rows(items)
    base = target.parent.resolve() if target.parent.exists() else target.parent.absolute()
    try:
        # through a temporary file: a full disk or Ctrl-C leaves the previous summary, never half of one
        target.parent.mkdir(parents=True, exist_ok=True)
        with replacing(target, suffix=suffix) as tmp:
            if suffix == ".json":
                _write_json(tmp, rows, rule_rows(rows, rule_titles), totals(rows, total, interrupted),
                            (rules, paired, roster))
            elif suffix == ".csv":
                _write_csv(tmp, rows)
            else:
                _write_xlsx(tmp, rows, rule_rows(rows, rule_titles), totals(rows, total, interrupted), base,
                            (rules, paired, roster))
    except OSError as exc:
        raise SummaryError(f"无法写出汇总 {target}：{exc.strerror or exc} (cannot write the summary)") from None
    except Exception as exc:  # whatever the files held, the run's other output must still reach the user
        raise SummaryError(f"无法写出汇总 {target}：{type(exc).__name__}: {exc} (cannot write the summary)") from None
    return target


def _append(ws: Any, values: Sequence[Any]) -> int:
    """Append a row of text from strangers' files as text: control characters that openpyxl refuses
    are dropped, file names that are not UTF-8 made readable, and a value starting with "=" stays text
    instead of becoming a formula. Returns the row's number (``ws.max_row`` looks at every cell of the
    sheet, so asking it after each row of a reviewer's thousands made the summary quadratic)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

    from .names import readable

    cells: list[Any] = []
    for value in values:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", readable(value))
            if value.startswith("="):
                value = Cell(ws, value=value)
                value.data_type = "s"
        cells.append(value)
    if not cells or not isinstance(cells[0], Cell):  # a cell of our own, to learn the row it lands in
        cells[:1] = [Cell(ws, value=cells[0] if cells else None)]
    ws.append(cells)
    return int(cells[0].row)


def _write_json(target: Path, rows: Sequence[FileRow], rules: Sequence[RuleRow], summary: dict[str, Any],
                review: tuple[Any, bool, Any] = (None, False, None)) -> None:
    import json

    files = []
    for row in rows:
        entry: dict[str, Any] = {
            "path": row.path, "unit": row.unit or None, "format": row.format or None, "year": row.year,
            "verdict": row.verdict, "errors": row.errors, "warnings": row.warnings, "rules": row.rules,
            "annotated": row.copy, "previous": row.report.previous,
            "findings": [f.to_dict() for f in row.report.findings],
            "suggestions": [s.to_dict() for s in row.report.suggestions],
            "candidates": [[s.to_dict() for s in fix] for fix in row.report.candidates],
        }
        if row.report.error is not None:
            entry["error"] = row.report.error
        if row.note and row.report.error is None:
            entry["note"] = row.note
        files.append(entry)
    data = {"summary": summary, "files": files,
            "rules": [{"rule": r.rule, "title": r.title, "files": r.files, "findings": r.findings,
                       "errors": r.errors, "warnings": r.warnings} for r in rules]}
    data.update(_review_json(rows, review))
    target.write_text(json.dumps(_readable(data), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _readable(data: Any) -> Any:
    """``data`` with file names that are not UTF-8 made readable in every string (paths of last
    year's files and a roster's files, messages naming them): JSON is Unicode text."""
    from .names import readable

    if isinstance(data, str):
        return readable(data)
    if isinstance(data, dict):
        return {k: _readable(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_readable(v) for v in data]
    return data


def _review_json(rows: Sequence[FileRow], review: tuple[Any, bool, Any]) -> dict[str, Any]:
    """A reviewer's run: last year's file of each report, the per-rule status and the roster."""
    rules, paired, roster = review
    if rules is None and roster is None:
        return {}
    from .summary_review import to_json

    return to_json([r.report for r in rows], rules, paired, roster)


def _write_csv(target: Path, rows: Sequence[FileRow]) -> None:
    import csv

    with target.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(FILE_HEADER)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row.values])


def _link(copy: str, base: Path) -> str:
    """A link to ``copy`` relative to the summary's folder (an absolute file URI across drives)."""
    absolute = Path(copy).absolute()
    try:
        return Path(os.path.relpath(absolute, base)).as_posix()
    except ValueError:  # another drive on Windows
        return absolute.as_uri()


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _write_xlsx(target: Path, rows: Sequence[FileRow], rules: Sequence[RuleRow], summary: dict[str, Any],
                base: Path, review: tuple[Any, bool, Any] = (None, False, None)) -> None:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    bold = Font(bold=True)
    link_font = Font(color="FF0563C1", underline="single")
    head_fill = PatternFill("solid", fgColor="FFD9E1F2")
    verdict_fill = {FAIL: PatternFill("solid", fgColor="FFFFC7CE"), PASS_WARN: PatternFill("solid", fgColor="FFFFEB9C"),
                    UNREADABLE: PatternFill("solid", fgColor="FFD9D9D9")}
    wb = Workbook()
    files = wb.active
    assert files is not None
    files.title = FILES_SHEET

    def header(ws: Any, names: Sequence[str], widths: Sequence[int]) -> None:
        _append(ws, names)
        for col, width in enumerate(widths, 1):
            cell = ws.cell(1, col)
            cell.font, cell.fill = bold, head_fill
            ws.column_dimensions[cell.column_letter].width = width
        ws.freeze_panes = "A2"

    header(files, FILE_HEADER, (6, 28, 48, 7, 7, 14, 8, 8, 12, 24, 40, 40))
    links: dict[str, str] = {}
    for row in rows:
        r = _append(files, row.values)
        files.cell(r, 6).fill = verdict_fill.get(row.verdict, PatternFill())
        if row.copy:
            links[row.path] = _link(row.copy, base)
            cell = files.cell(r, FILE_HEADER.index("标注副本") + 1)
            cell.hyperlink = links[row.path]
            cell.font = link_font
    files.auto_filter.ref = f"A1:{chr(64 + len(FILE_HEADER))}{max(files.max_row, 2)}"

    details = wb.create_sheet(FINDINGS_SHEET)
    header(details, FINDING_HEADER, (6, 28, 48, 10, 6, 70, 30))
    n = 0
    for row in rows:
        for finding in sorted(row.report.findings, key=lambda f: -f.severity.rank):
            n += 1
            # a published report's finding says where it was published (表三 第 N 行 第 M 列) instead
            r = _append(details, [n, row.unit, row.path, finding.rule, finding.severity.label, finding.message,
                                  "、".join(finding.cells) or finding.where or ""])
            details.cell(r, 6).alignment = Alignment(wrap_text=True, vertical="top")
            link = links.get(row.path)
            if link:
                cell = details.cell(r, 3)
                cell.hyperlink, cell.font = link, link_font
                if finding.cells:
                    sheet, ref = split_cell_ref(finding.cells[0])
                    cell = details.cell(r, 7)
                    cell.hyperlink = Hyperlink(ref=cell.coordinate, target=link,
                                               location=f"{_quote_sheet(sheet)}!{ref}")
                    cell.font = link_font
    details.auto_filter.ref = f"A1:G{max(details.max_row, 2)}"

    stats = wb.create_sheet(RULES_SHEET)
    lines: list[tuple[str, Any]] = [
        ("文件总数", summary["files"]), ("已校验", summary["checked"]), ("通过", summary["passed"]),
        ("其中有警告", summary["passed_with_warnings"]), ("未通过", summary["failed"]),
        ("无法校验", summary["unreadable"]), ("错误合计", summary["errors"]), ("警告合计", summary["warnings"]),
    ]
    _append(stats, ["校验概况"])
    stats.cell(1, 1).font = Font(bold=True, size=13)
    for label, value in lines:
        _append(stats, [label, value])
    if summary["interrupted"]:
        r = _append(stats, ["注意", f"校验被中断：共 {summary['files']} 个文件，只校验了 {summary['checked']} 个"])
        stats.cell(r, 2).font = Font(bold=True, color="FF9C0006")
    stats.append([])
    top = _append(stats, RULE_HEADER)
    for col in range(1, len(RULE_HEADER) + 1):
        cell = stats.cell(top, col)
        cell.font, cell.fill = bold, head_fill
    for rule in rules:
        _append(stats, rule.values)
    for letter, width in zip("ABCDEF", (12, 50, 14, 10, 8, 8), strict=True):
        stats.column_dimensions[letter].width = width
    if rules:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "各规则未通过的文件数"
        chart.y_axis.title = "文件数"
        chart.x_axis.title = "规则"
        chart.legend = None
        chart.x_axis.scaling.orientation = "maxMin"  # the most frequent rule on top
        chart.x_axis.delete = chart.y_axis.delete = False  # else recent Excel hides both axes
        data = Reference(stats, min_col=3, min_row=top, max_row=top + len(rules))
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(stats, min_col=1, min_row=top + 1, max_row=top + len(rules)))
        chart.height = max(7.5, 0.6 * len(rules) + 3)
        chart.width = 18
        stats.add_chart(chart, "H2")
    if review[0] is not None or review[2] is not None:
        from .summary_review import add_sheets

        add_sheets(wb, [r.report for r in rows], *review, append=_append, header=header)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
