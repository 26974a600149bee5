"""Tables 三 and 四 as the page shows them, marked as the annotated copy marks them.

The tables are found where the locator found their value cells, widened to the label columns on the
left and the header rows above; the marks come from :mod:`xlcheck.marks` (the same cells, the same
severities, the same notes as the annotated copy), and so do the colours (:func:`marks_css`). A cell
of the localization's unique fix is a suspect, as in the copy (``suspect``, its note's first line
saying what to type), and carries ``suggested``, the value the tables call for; a cell of one of
several equally small fixes carries ``candidate``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..cells import address, parse_cell
from ..check import _is_summary
from ..findings import Report, Severity, split_cell_ref
from ..marks import place, report_marks, style_of
from ..plugins import Registry
from ..reader import Formula, Sheet, Workbook, read_workbook

TABLES = (("t3", "表三"), ("t4", "表四"))
#: header rows looked at above a table's first value row
HEADER_ROWS = 6
#: the most rows and columns one preview shows
MAX_ROWS, MAX_COLS = 120, 30
MAX_TEXT = 60


def marks_css() -> str:
    """One CSS class per look of :mod:`xlcheck.marks`, in the annotated copy's fill and font colours:
    ``.mark-error`` … by severity, then ``.mark-suspect`` (last, so it wins on a cell that has both)."""
    looks = [(s.value, style_of(s)) for s in Severity] + [("suspect", style_of(Severity.ERROR, True))]
    return "".join(f".mark-{name} {{ background: #{look.fill[2:]}; color: #{look.font[2:]}; }}\n"
                   for name, look in looks)


def tables(path: str | os.PathLike[str], report: Report, registry: Registry, year: int | None) -> list[dict[str, Any]]:
    """The preview of tables 三 and 四: one entry per table and sheet it sits on."""
    from ..locator import NotAReportError, locate

    book = read_workbook(path)
    sheets = [s for s in book.sheets if not _is_summary(s)]  # what the check looked at
    try:
        located = locate(Workbook(book.path, sheets, book.kind), registry.layouts, year)
    except NotAReportError:
        return []
    by_name = {s.name: s for s in sheets}
    marks = report_marks(report)
    # the localization's cells: the value the tables call for, and the cells one of which is wrong
    suggested: dict[tuple[str, str], object] = {}
    for suggestion in report.suggestions:
        suggested[split_cell_ref(suggestion.cell)] = suggestion.to_dict()["suggested"]
    candidates = {split_cell_ref(s.cell) for fix in report.candidates for s in fix}
    out = []
    for key, title in TABLES:
        spots: dict[str, list[tuple[int, int]]] = {}
        for field_key, value in located.values.items():
            if field_key.startswith(key + ".") and value.ref:
                sheet, cell = split_cell_ref(value.ref)
                where = parse_cell(cell)
                if where is not None and sheet in by_name:
                    spots.setdefault(sheet, []).append(where)
        for sheet_name, cells in spots.items():
            sheet_marks = [m for m in marks if m.sheet == sheet_name]
            fixes = _Fixes({c: v for (sh, c), v in suggested.items() if sh == sheet_name},
                           {c for sh, c in candidates if sh == sheet_name})
            out.append({"table": key, "title": title, "sheet": sheet_name,
                        **_grid(by_name[sheet_name], cells, sheet_marks, fixes)})
    return out


@dataclass(frozen=True)
class _Fixes:
    """One sheet's localization: suggested values by cell, and the cells of ambiguous fixes."""

    suggested: dict[str, object]
    candidates: set[str]


def _grid(sheet: Sheet, cells: list[tuple[int, int]], marks: list[Any], fixes: _Fixes) -> dict[str, Any]:
    first = min(r for r, _ in cells)
    last = min(max(r for r, _ in cells), first + MAX_ROWS - 1)
    right = min(max(c for _, c in cells), MAX_COLS)
    top = first
    while top > 1 and first - top < HEADER_ROWS and _filled(sheet, top - 1, right):
        top -= 1
    merged = _merged(sheet)
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for (r1, c1), (r2, c2) in merged:
        if top <= r1 <= last and c1 <= right:
            r2, c2 = min(r2, last), min(c2, right)
            spans[(r1, c1)] = (r2 - r1 + 1, c2 - c1 + 1)
            covered.update((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1) if (r, c) != (r1, c1))

    def anchor(cell: str) -> tuple[int, int] | None:
        where = parse_cell(cell)
        if where is None:
            return None
        for (r1, c1), (r2, c2) in merged:
            if r1 <= where[0] <= r2 and c1 <= where[1] <= c2:
                return (r1, c1)
        return where

    placed = {(p.row, p.col): p for p in place(marks, anchor)}
    suggested = {where: value for cell, value in fixes.suggested.items() if (where := anchor(cell)) is not None}
    candidates = {where for cell in fixes.candidates if (where := anchor(cell)) is not None}
    rows = []
    for r in range(top, last + 1):
        row: list[dict[str, Any] | None] = []
        for c in range(1, right + 1):
            if (r, c) in covered:
                row.append(None)
                continue
            cell: dict[str, Any] = {"ref": address(r, c), "text": _text(sheet.value(r - 1, c - 1))}
            rowspan, colspan = spans.get((r, c), (1, 1))
            if rowspan > 1:
                cell["rowspan"] = rowspan
            if colspan > 1:
                cell["colspan"] = colspan
            mark = placed.get((r, c))
            if mark is not None:
                cell["mark"] = mark.severity.value
                cell["note"] = mark.note
                if mark.suspect:
                    cell["suspect"] = True
            if (r, c) in suggested:
                cell["suggested"] = suggested[(r, c)]
            elif (r, c) in candidates:
                cell["candidate"] = True
            row.append(cell)
        rows.append(row)
    return {"first_row": top, "rows": rows}


def _merged(sheet: Sheet) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The sheet's merged ranges, one-based."""
    return [((r1 + 1, c1 + 1), (r2 + 1, c2 + 1)) for (r1, c1), (r2, c2) in sheet.merged or ()]


def _filled(sheet: Sheet, row: int, right: int) -> bool:
    return any(_text(sheet.value(row - 1, c)) for c in range(right))


def _text(value: object) -> str:
    if isinstance(value, Formula):
        value = value.value if value.value is not None else value.text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    text = "" if value is None else str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"
