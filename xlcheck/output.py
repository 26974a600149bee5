"""Showing reports on the console: a table per file for people, one JSON object for scripts.

The text table is drawn here rather than with rich: rich's import and layout cost about 100 ms, more
than the whole check of a file, and `xlcheck check` is run thousands of times from scripts.
"""

from __future__ import annotations

import json
import os
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO

from .findings import FIX_RULE, Report, Severity
from .verdict import describe, verdict


@dataclass(frozen=True)
class OutputFormat:
    """A console output format: ``render(reports, stream)`` writes one run's reports."""

    name: str
    description: str
    render: Callable[[Sequence[Report], IO[str]], None]


def render_json(reports: Sequence[Report], stream: IO[str]) -> None:
    json.dump({"reports": [r.to_dict() for r in reports]}, stream, ensure_ascii=False, indent=2)
    stream.write("\n")


_COLOUR = {Severity.ERROR: "1;31", Severity.WARNING: "33", Severity.INFO: "36"}
_HEADER = ("级别", "规则", "说明", "单元格")


def width(text: str) -> int:
    """Columns a string takes on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(text: str, columns: int) -> list[str]:
    lines, line, used = [], "", 0
    for ch in text:
        w = width(ch)
        if used + w > columns and line:
            lines.append(line)
            line, used = "", 0
        line += ch
        used += w
    return [*lines, line]


def _pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


class _Painter:
    def __init__(self, stream: IO[str]) -> None:
        self.colour = stream.isatty() and not os.environ.get("NO_COLOR")

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text


def render_text(reports: Sequence[Report], stream: IO[str]) -> None:
    paint = _Painter(stream)
    # wrap long messages only on a terminal; piped output keeps one line per finding for grep
    total = shutil.get_terminal_size((120, 24)).columns if stream.isatty() else 0
    from .names import readable

    for report in reports:
        stream.write(paint(f"── {readable(report.path)} ", "1") + "\n")
        if report.error is not None:
            stream.write(paint("无法校验", "1;31") + f"：{readable(report.error)}\n\n")
            continue
        stream.write(describe(report) + "\n")
        if report.findings:
            _table(report, stream, paint, total)
        for fix in report.findings:
            if fix.rule == FIX_RULE:  # the one line a clerk acts on, after the findings it explains
                stream.write(paint("建议", "1;36") + "：" + fix.message + "\n")
        stream.write(paint(verdict(report), "1;31" if not report.ok else "1;32") + "\n")
        if report.annotated:
            stream.write(f"标注已写入：{readable(report.annotated)}\n")
        stream.write("\n")
    stream.write(summary_line(reports) + "\n")


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]], stream: IO[str], *, flex: int,
                 title: str = "") -> None:
    """A plain table: every column padded, column ``flex`` wrapped to the terminal's width (not
    wrapped when piped)."""
    paint = _Painter(stream)
    widths = [max(width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    total = shutil.get_terminal_size((120, 24)).columns if stream.isatty() else 0
    fixed = sum(w + 2 for i, w in enumerate(widths) if i != flex)
    room = max(20, total - fixed) if total else 0
    if title:
        stream.write(paint(title, "1") + "\n")
    for n, row in enumerate([header, *rows]):
        cells = [str(c) for c in row]
        lines = _wrap(cells[flex], room) if room else [cells[flex]]
        for k, line in enumerate(lines):
            out = []
            for i, cell in enumerate(cells):
                text = line if i == flex else (cell if k == 0 else "")
                out.append(text if i == len(cells) - 1 else _pad(text, min(widths[i], room) if i == flex and room
                                                                  else widths[i]))
            text = "  ".join(out).rstrip()
            stream.write((paint(text, "1") if n == 0 else text) + "\n")


def _table(report: Report, stream: IO[str], paint: _Painter, total: int) -> None:
    findings = sorted((f for f in report.findings if f.rule != FIX_RULE), key=lambda f: -f.severity.rank)
    if not findings:
        return
    rule_w = max(width(_HEADER[1]), *(width(f.rule) for f in findings))
    lead = 4 + 2 + rule_w + 2
    stream.write(paint(f"{_pad(_HEADER[0], 4)}  {_pad(_HEADER[1], rule_w)}  {_HEADER[2]}", "1") + "\n")
    for f in findings:
        place = " ".join(f.cells) or f.where  # a published report: where it was published
        text = f"{f.message}　[{place}]" if place else f.message
        lines = _wrap(text, max(30, total - lead)) if total else [text]
        stream.write(f"{paint(_pad(f.severity.label, 4), _COLOUR[f.severity])}  {_pad(f.rule, rule_w)}  {lines[0]}\n")
        for line in lines[1:]:
            stream.write(" " * lead + line + "\n")


def summary_line(reports: Sequence[Report]) -> str:
    failed = sum(1 for r in reports if r.error is not None)
    errors = sum(r.count(Severity.ERROR) for r in reports)
    warnings = sum(r.count(Severity.WARNING) for r in reports)
    clean = sum(1 for r in reports if r.error is None and r.ok)
    return (f"共 {len(reports)} 个文件：{clean} 个通过，{len(reports) - clean - failed} 个有错误，"
            f"{failed} 个无法校验；错误 {errors} 个，警告 {warnings} 个")
