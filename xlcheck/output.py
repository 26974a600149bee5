"""Showing reports on the console: a table per file for people, one JSON object for scripts."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO

from .findings import Report, Severity
from .marks import describe, verdict


@dataclass(frozen=True)
class OutputFormat:
    """A console output format: ``render(reports, stream)`` writes one run's reports."""

    name: str
    description: str
    render: Callable[[Sequence[Report], IO[str]], None]


_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_json(reports: Sequence[Report], stream: IO[str]) -> None:
    json.dump({"reports": [r.to_dict() for r in reports]}, stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def render_text(reports: Sequence[Report], stream: IO[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    # Piped output is read by grep and by people in wide log viewers: do not wrap it at 80 columns.
    width = None if stream.isatty() else 240
    console = Console(file=stream, highlight=False, soft_wrap=False, width=width)
    for report in reports:
        console.rule(f"[bold]{report.path}")
        if report.error is not None:
            console.print(f"[bold red]无法校验[/]：{report.error}")
            continue
        console.print(describe(report))
        if report.findings:
            table = Table(show_lines=False, expand=False)
            for name in ("级别", "规则", "说明", "单元格"):
                table.add_column(name, overflow="fold")
            for f in sorted(report.findings, key=lambda f: -f.severity.rank):
                table.add_row(f"[{_STYLE[f.severity]}]{f.severity.label}[/]", f.rule, f.message, "\n".join(f.cells))
            console.print(table)
        style = "bold red" if not report.ok else "bold green"
        console.print(f"[{style}]{verdict(report)}[/]")
        if report.annotated:
            console.print(f"标注已写入：{report.annotated}")
    console.print(summary_line(reports))


def summary_line(reports: Sequence[Report]) -> str:
    failed = sum(1 for r in reports if r.error is not None)
    errors = sum(r.count(Severity.ERROR) for r in reports)
    warnings = sum(r.count(Severity.WARNING) for r in reports)
    clean = sum(1 for r in reports if r.error is None and r.ok)
    return (f"共 {len(reports)} 个文件：{clean} 个通过，{len(reports) - clean - failed} 个有错误，"
            f"{failed} 个无法校验；错误 {errors} 个，警告 {warnings} 个")
