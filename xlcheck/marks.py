"""What every sink shows: one mark per cell and the rows of the summary sheet.

The annotated copy (``xlcheck.writer``) and the open workbook behind the Excel button
(``xlcheck.excel``) both draw from here, so the two always say the same thing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .cells import address, parse_cell
from .findings import FIX_RULE, Finding, Report, Severity, Suggestion, split_cell_ref
from .values import show

# theirs, re-exported for the sinks
from .verdict import SUMMARY_MARKER as SUMMARY_MARKER
from .verdict import describe as describe
from .verdict import verdict as verdict

SUMMARY_SHEET = "校验结果"
#: Author of every note xlcheck writes; how a later run tells its own notes from a person's.
NOTE_AUTHOR = "xlcheck"
#: Formula of every conditional-formatting rule xlcheck adds (as a file stores it; Excel shows it
#: with a leading "="): always true, and unmistakably ours.
MARK_FORMULA = '"xlcheck"<>""'

#: Fill and font colours (ARGB) by severity: Excel's own "Bad" and "Neutral" cell styles.
FILL = {Severity.ERROR: "FFFFC7CE", Severity.WARNING: "FFFFEB9C", Severity.INFO: "FFDDEBF7"}
FONT = {Severity.ERROR: "FF9C0006", Severity.WARNING: "FF9C5700", Severity.INFO: "FF1F4E78"}
#: A suspect — a cell of the unique smallest fix (``Report.suggestions``) — stands out from the light
#: fills of the cells its equalities merely involve: a strong red with white text.
SUSPECT_FILL, SUSPECT_FONT = "FFFF3B3B", "FFFFFFFF"


@dataclass(frozen=True)
class MarkStyle:
    """How a mark looks: font and fill colours (ARGB); a sink draws higher ``rank`` on top."""

    font: str
    fill: str
    rank: int


@functools.cache  # four looks in all: a mark asks for its own several times
def style_of(severity: Severity, suspect: bool = False) -> MarkStyle:
    if suspect:
        return MarkStyle(SUSPECT_FONT, SUSPECT_FILL, 10)
    return MarkStyle(FONT[severity], FILL[severity], severity.rank)


#: every look an xlcheck mark can have, so a sink can tell its own formats from a person's
STYLES = (style_of(Severity.ERROR, True), *(style_of(s) for s in Severity))

SUMMARY_HEADER = ("序号", "级别", "规则", "说明", "单元格")
#: column widths of the summary sheet, in characters
SUMMARY_WIDTHS = (6, 8, 14, 90, 30)
_SUMMARY_NAME = re.compile(re.escape(SUMMARY_SHEET) + r"(\(\d+\))?")


def is_summary_name(name: str) -> bool:
    """Whether a sheet has a name xlcheck gives its summary sheet (``校验结果`` or ``校验结果(2)``)."""
    return _SUMMARY_NAME.fullmatch(name) is not None


def free_summary_name(taken: Iterable[str]) -> str:
    """The summary sheet's name: a person's own sheet called 校验结果 is theirs, so ours steps aside."""
    used = {name.casefold() for name in taken}
    name, number = SUMMARY_SHEET, 1
    while name.casefold() in used:
        number += 1
        name = f"{SUMMARY_SHEET}({number})"
    return name


def link_location(sheet: str, cell: str) -> str:
    """Where a summary row's link goes, as Excel writes it: ``'Sheet 1'!D20``."""
    return "'" + sheet.replace("'", "''") + "'!" + cell.replace("$", "").upper()


@dataclass(frozen=True)
class CellMark:
    """The mark on one cell: the worst severity among its findings and a note listing them all."""

    sheet: str
    cell: str
    severity: Severity
    note: str
    #: the cell is one the tables say to change (its note's first line says to what)
    suspect: bool = False


def note_line(finding: Finding) -> str:
    return f"[{finding.rule}] {finding.severity.label}：{finding.message}"


def suspect_line(suggestion: Suggestion) -> str:
    """The first note line of a suspect cell."""
    now = "没有可用的数字" if suggestion.current is None else f"填的是 {show(suggestion.current)}"
    rules = "、".join(suggestion.rules)
    return (f"[{FIX_RULE}] 最可能填错：这一格{now}，应为 {show(suggestion.suggested)}"
            + (f"；改后 {rules} 成立" if rules else ""))


def report_marks(report: Report) -> list[CellMark]:
    """Every mark of a report: its findings' (:func:`cell_marks`), the suspects of its suggestions
    standing out with their own first note line."""
    marks = cell_marks(report.findings)
    at = {(m.sheet, m.cell): n for n, m in enumerate(marks)}
    for suggestion in report.suggestions:
        sheet, cell = split_cell_ref(suggestion.cell)
        line = suspect_line(suggestion)
        n = at.get((sheet, cell))
        if n is None:
            at[(sheet, cell)] = len(marks)
            marks.append(CellMark(sheet, cell, Severity.ERROR, line, True))
        else:
            mark = marks[n]
            marks[n] = CellMark(sheet, cell, mark.severity, f"{line}\n{mark.note}", True)
    return marks


def cell_marks(findings: Iterable[Finding]) -> list[CellMark]:
    """Group findings by cell, in the order cells first appear; info findings mark no cell."""
    worst: dict[tuple[str, str], tuple[int, Severity]] = {}  # cell -> its worst finding's (rank, severity)
    lines: dict[tuple[str, str], list[str]] = {}
    for finding in findings:
        severity = finding.severity
        if severity is Severity.INFO:
            continue
        rank = severity.rank
        line = note_line(finding)
        for ref in finding.cells:
            key = split_cell_ref(ref)
            had = worst.get(key)
            if had is None or rank > had[0]:
                worst[key] = (rank, severity)
            seen = lines.setdefault(key, [])
            if line not in seen:
                seen.append(line)
    return [_made(CellMark, {"sheet": sheet, "cell": cell, "severity": worst[(sheet, cell)][1],
                             "note": "\n".join(lines[(sheet, cell)]), "suspect": False})
            for sheet, cell in worst]


_new, _set = object.__new__, object.__setattr__
_Frozen = TypeVar("_Frozen")


def _made(cls: type[_Frozen], fields: dict[str, object]) -> _Frozen:
    """``cls(**fields)`` of a frozen dataclass, every field given in the class' order, without its
    ``__init__`` (one ``object.__setattr__`` a field): a sheet's marks are made by the hundred, as
    :func:`xlcheck.values._plain_cell` makes value cells."""
    made = _new(cls)
    _set(made, "__dict__", fields)
    return made


@dataclass(frozen=True)
class PlacedMark:
    """A mark on the cell that shows it, by 1-based row and column."""

    row: int
    col: int
    severity: Severity
    note: str
    suspect: bool = False

    @property
    def ref(self) -> str:
        return address(self.row, self.col)

    @property
    def style(self) -> MarkStyle:
        return style_of(self.severity, self.suspect)


def place(marks: Iterable[CellMark], anchor: Callable[[str], tuple[int, int] | None]) -> list[PlacedMark]:
    """Put one sheet's marks on the cells that show them.

    ``anchor`` maps a cell reference to the 1-based (row, column) of the cell that shows it — the
    top-left cell of its merged area, since a mark inside a merged area would be invisible — or to
    None to skip it. Marks that land on one cell merge: the worst severity, every note line once.
    """
    placed: dict[tuple[int, int], PlacedMark] = {}
    for mark in marks:
        where = anchor(mark.cell)
        if where is None:
            continue
        seen = placed.get(where)
        if seen is None:
            placed[where] = _made(PlacedMark, {"row": where[0], "col": where[1], "severity": mark.severity,
                                               "note": mark.note, "suspect": mark.suspect})
            continue
        lines = seen.note.split("\n")
        new = [ln for ln in mark.note.split("\n") if ln not in lines]
        # a suspect's own line stays first
        note = "\n".join(new + lines if mark.suspect and not seen.suspect else lines + new)
        placed[where] = PlacedMark(*where, max(seen.severity, mark.severity, key=lambda s: s.rank), note,
                                   seen.suspect or mark.suspect)
    return list(placed.values())


@dataclass(frozen=True)
class SummaryRow:
    number: int
    severity: Severity
    rule: str
    message: str
    cells: tuple[str, ...]

    @property
    def values(self) -> tuple[object, ...]:
        return (self.number, self.severity.label, self.rule, self.message, compact_cells(self.cells))

    @property
    def link(self) -> tuple[str, str] | None:
        """(sheet, cell) the row's hyperlink goes to: the finding's first cell."""
        return split_cell_ref(self.cells[0]) if self.cells else None


def summary_lines(text: str) -> int:
    """How many lines ``text`` takes wrapped in the summary's message column: Chinese characters
    are two of the column's character widths, the rest one, with a little room to spare."""
    import unicodedata

    # no character below U+0378 is wide or full-width (unicodedata calls unassigned ones wide): the
    # ASCII of a message needs no look-up
    width = len(text) + sum(1 for ch in text if ch >= "\u0378" and unicodedata.east_asian_width(ch) in "WF")
    room = SUMMARY_WIDTHS[SUMMARY_HEADER.index("说明")] - 4
    return max(1, -(-width // room))


def compact_cells(cells: Sequence[str]) -> str:
    """A finding's cells as a person writes them: runs of neighbouring cells as ranges, the sheet
    named where it changes, the first cell (the one the link goes to) first —
    ``Sheet1!D58、D35:D43、D48:D57`` rather than twenty references that run off the page."""
    runs: list[tuple[str, int, int, int, int]] = []  # sheet, first row, first col, last row, last col
    loose: list[str] = []
    for ref in cells:
        sheet, cell = split_cell_ref(ref)
        where = None if ":" in cell else parse_cell(cell)
        if where is None:
            loose.append(ref)
            continue
        row, col = where
        if len(runs) > 1 and runs[-1][0] == sheet:  # the first cell stays alone: the link goes there
            _, r1, c1, r2, c2 = runs[-1]
            if (c1 == c2 == col and row == r2 + 1) or (r1 == r2 == row and col == c2 + 1):
                runs[-1] = (sheet, r1, c1, row, col)
                continue
        runs.append((sheet, row, col, row, col))
    shown: list[str] = []
    previous = None
    for sheet, r1, c1, r2, c2 in runs:
        text = address(r1, c1) if (r1, c1) == (r2, c2) else f"{address(r1, c1)}:{address(r2, c2)}"
        shown.append(text if sheet == previous else f"{sheet}!{text}" if sheet else text)
        previous = sheet
    return "、".join(shown + loose)


def summary_rows(findings: Sequence[Finding]) -> list[SummaryRow]:
    """The summary sheet's rows: what to change (FIX) first, then the findings, worst first."""
    ordered = sorted(findings, key=lambda f: (f.rule != FIX_RULE, -f.severity.rank))
    return [SummaryRow(i, f.severity, f.rule, f.message, f.cells) for i, f in enumerate(ordered, 1)]
