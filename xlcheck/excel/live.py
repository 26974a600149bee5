"""The open workbook behind the Excel button: read it through xlwings, check it, mark it in place.

This is the only module of xlcheck that talks to xlwings, and it imports xlwings inside functions
only, so ``import xlcheck`` never pays for it. The check itself is :func:`xlcheck.check.check_workbook`
on a grid of values, exactly as for a file; what is shown comes from :mod:`xlcheck.marks`, exactly
as in the annotated copy the CLI writes:

* each marked cell is filled ``FILL[severity]`` and gets the mark's note (a person's own note on
  that cell wins, as in the copy);
* a first sheet ``校验结果`` (or ``校验结果(2)`` if a person's sheet has that name) holds the
  marker line, the verdict, the format line, the header and one row per finding, its 单元格 cell
  linking to the finding's first cell.

Every cell xlcheck fills is recorded, with its original fill, on a very hidden sheet ``_xlcheck``
in the workbook itself, so :func:`clear_marks` restores exactly what was there, also after the
workbook was saved and reopened. The VBA entry points are :func:`run_check` and
:func:`run_clear`; they never raise into Excel.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cells import address, parse_cell
from ..findings import Report, Severity
from ..marks import (
    FILL,
    FONT,
    SUMMARY_HEADER,
    SUMMARY_MARKER,
    SUMMARY_SHEET,
    SUMMARY_WIDTHS,
    CellMark,
    PlacedMark,
    cell_marks,
    describe,
    free_summary_name,
    is_summary_name,
    link_location,
    place,
    summary_rows,
    verdict,
)
from ..reader import MAX_COLS, MAX_ROWS, Sheet, Workbook

if TYPE_CHECKING:
    import xlwings as xw

__all__ = [
    "STATE_SHEET",
    "check_active",
    "clear_marks",
    "read_book",
    "rules_setting",
    "run_check",
    "run_clear",
]

#: The very hidden sheet recording what xlcheck marked; one JSON object per row in column A.
STATE_SHEET = "_xlcheck"
STATE_VERSION = 1
TITLE = "xlcheck"
DEFAULT_RULES = "national"

_XL_SHEET_VERY_HIDDEN = 2


def rgb(argb: str) -> tuple[int, int, int]:
    """``"FFFFC7CE"`` -> ``(255, 199, 206)``: an openpyxl ARGB colour as xlwings' RGB tuple."""
    hex6 = argb[-6:]
    return int(hex6[0:2], 16), int(hex6[2:4], 16), int(hex6[4:6], 16)


def _hex(colour: Any) -> str | None:
    """An xlwings colour (RGB tuple or None) as ``"#rrggbb"`` for the state sheet."""
    if colour is None:
        return None
    r, g, b = (int(c) for c in colour)
    return f"#{r:02x}{g:02x}{b:02x}"


def _from_hex(text: str | None) -> tuple[int, int, int] | None:
    if not text:
        return None
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


def _same_text(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return s.replace("\r\n", "\n").replace("\r", "\n").strip()

    return norm(a) == norm(b)


# --------------------------------------------------------------------------------------------
# Reading


def _caller(book: xw.Book | None) -> xw.Book:
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _worksheets(book: xw.Book) -> list[xw.Sheet]:
    return [s for s in book.sheets if s.name != STATE_SHEET]


def _find_sheet(sheets: Iterable[xw.Sheet], name: str) -> xw.Sheet | None:
    """Excel compares sheet names case-insensitively; prefer the exact spelling."""
    listed = list(sheets)
    exact = next((s for s in listed if s.name == name), None)
    return exact or next((s for s in listed if s.name.casefold() == name.casefold()), None)


def _sheet_values(sheet: xw.Sheet) -> list[list[Any]]:
    last = sheet.used_range.last_cell
    rows, cols = min(last.row, MAX_ROWS), min(last.column, MAX_COLS)
    values = sheet.range((1, 1), (rows, cols)).options(ndim=2, err_to_str=True).value
    return [list(row) for row in values or []]


def read_book(book: xw.Book) -> Workbook:
    """The open workbook's values, sheet by sheet, as the grid the file reader would give."""
    return Workbook(book.fullname, [Sheet(s.name, _sheet_values(s)) for s in _worksheets(book)])


def rules_setting(book: xw.Book) -> str:
    """The rule set the button uses: ``XLCHECK_RULES`` in the environment, else the installed
    add-in's config sheet (``xlcheck excel install --rules``), else the national baseline."""
    from .addin import CHECK_ADDIN, RULES_KEY, read_setting

    env = os.environ.get(RULES_KEY, "").strip()
    if env:
        return env
    try:
        startup = book.app.startup_path
    except Exception:
        startup = ""
    if startup:
        value = read_setting(Path(startup) / CHECK_ADDIN.file_name, RULES_KEY)
        if value:
            return value
    return DEFAULT_RULES


# --------------------------------------------------------------------------------------------
# The record of what xlcheck marked


@dataclass
class MarkRecord:
    sheet: str
    cell: str
    original: str | None  # "#rrggbb", or None for no fill
    fill: str  # the fill xlcheck set
    note: str | None = None  # the note xlcheck wrote, if it wrote one

    def to_json(self) -> str:
        return json.dumps({"sheet": self.sheet, "cell": self.cell, "original": self.original,
                           "fill": self.fill, "note": self.note}, ensure_ascii=False)


@dataclass
class State:
    summary: str | None = None
    marks: list[MarkRecord] = field(default_factory=list)


def _read_state(book: xw.Book) -> State:
    sheet = _find_sheet(book.sheets, STATE_SHEET)
    if sheet is None:
        return State()
    last = sheet.used_range.last_cell
    column = sheet.range((1, 1), (max(last.row, 1), 1)).options(ndim=2).value or []
    state = State()
    for row in column:
        text = row[0] if row else None
        if not isinstance(text, str) or not text.startswith("{"):
            continue
        try:
            item = json.loads(text)
        except ValueError:
            continue
        if not isinstance(item, dict):
            continue
        if "summary" in item:
            state.summary = item.get("summary")
        elif isinstance(item.get("sheet"), str) and isinstance(item.get("cell"), str):
            state.marks.append(MarkRecord(item["sheet"], item["cell"], item.get("original"),
                                          str(item.get("fill") or ""), item.get("note")))
    return state


def _write_state(book: xw.Book, state: State) -> None:
    sheet = _find_sheet(book.sheets, STATE_SHEET)
    if sheet is None:
        sheets = list(book.sheets)
        sheet = book.sheets.add(STATE_SHEET, after=sheets[-1])
    head = json.dumps({"xlcheck": STATE_VERSION, "summary": state.summary}, ensure_ascii=False)
    rows = [[head], *([m.to_json()] for m in state.marks)]
    sheet.range("A1").value = rows
    sheet.visible = False
    _very_hide(sheet)


def _very_hide(sheet: xw.Sheet) -> None:
    """Hide the record from Format > Unhide too (Windows); elsewhere it stays merely hidden."""
    if not sys.platform.startswith("win"):
        return
    with contextlib.suppress(Exception):  # a plainly hidden record still works
        sheet.api.Visible = _XL_SHEET_VERY_HIDDEN


def _delete_sheet(sheet: xw.Sheet) -> None:
    with contextlib.suppress(Exception):  # Excel refuses to delete some hidden sheets
        sheet.visible = True
    sheet.delete()


def _is_our_summary(sheet: xw.Sheet) -> bool:
    if not is_summary_name(sheet.name):
        return False
    first = sheet.range("A1").value
    return isinstance(first, str) and first.startswith(SUMMARY_MARKER)


# --------------------------------------------------------------------------------------------
# Clearing


def clear_marks(book: xw.Book | None = None) -> int:
    """Remove exactly the marks xlcheck made; return how many cells were restored.

    Fills xlcheck set are put back to what they were (no fill, or a person's own colour); a cell a
    person has recoloured since keeps the new colour. Notes xlcheck wrote are deleted unless a
    person has edited them; a person's own notes are never touched. xlcheck's summary sheet and
    its record sheet are deleted.
    """
    book = _caller(book)
    state = _read_state(book)
    sheets = _worksheets(book)
    restored = 0
    for record in state.marks:
        sheet = _find_sheet(sheets, record.sheet)
        if sheet is None:
            continue
        cell = sheet.range(record.cell)
        if _hex(cell.color) == record.fill:
            cell.color = _from_hex(record.original)
            restored += 1
        if record.note is not None:
            note = cell.note
            if note is not None and _same_text(note.text, record.note):
                note.delete()
    for sheet in list(book.sheets):
        # Ours: the record, and any summary sheet whose first cell carries the marker (also one
        # from an annotated copy opened in Excel).
        if sheet.name == STATE_SHEET or _is_our_summary(sheet):
            _delete_sheet(sheet)
    return restored


# --------------------------------------------------------------------------------------------
# Marking


def _placed(sheet: xw.Sheet, marks: list[CellMark]) -> list[PlacedMark]:
    """Marks on the cells that show them: a mark inside a merged range goes to its top-left cell, as
    in the annotated copy."""

    def anchor(ref: str) -> tuple[int, int] | None:
        if parse_cell(ref) is None:
            return None
        area = sheet.range(ref.replace("$", "")).merge_area
        return area.row, area.column

    return place(marks, anchor)


def _mark_cells(book: xw.Book, report: Report, state: State) -> None:
    marks = cell_marks(report.findings)
    sheets = _worksheets(book)
    grouped: dict[str, list[CellMark]] = {}
    for mark in marks:
        grouped.setdefault(mark.sheet, []).append(mark)
    for name, sheet_marks in grouped.items():
        sheet = _find_sheet(sheets, name)
        if sheet is None:  # a finding about a sheet the workbook lacks marks nothing
            continue
        for target in _placed(sheet, sheet_marks):
            cell = sheet.range((target.row, target.col))
            fill = rgb(FILL[target.severity])
            record = MarkRecord(sheet.name, address(target.row, target.col), _hex(cell.color), _hex(fill) or "")
            cell.color = fill
            if cell.note is None:  # a person's own note on a cell wins, as in the annotated copy
                cell.add_note(target.note)
                record.note = target.note
            state.marks.append(record)


def _link_location(sheets: list[xw.Sheet], link: tuple[str, str] | None) -> tuple[str, str] | None:
    """(``#'Sheet 1'!D20``, ``Sheet 1!D20``) for a finding's first cell, or None."""
    if link is None or parse_cell(link[1]) is None:
        return None
    sheet = _find_sheet(sheets, link[0])
    if sheet is None:
        return None
    cell = link[1].replace("$", "").upper()
    return f"#{link_location(sheet.name, cell)}", f"{sheet.name}!{cell}"


def _add_summary(book: xw.Book, report: Report, file_name: str) -> str:
    sheets = list(book.sheets)
    name = free_summary_name(s.name for s in sheets)
    summary = book.sheets.add(name, before=sheets[0])
    rows = summary_rows(report.findings)
    summary.range("A1").value = [[f"{SUMMARY_MARKER}：{file_name}"], [verdict(report)], [describe(report)]]
    summary.range("A5").value = [list(SUMMARY_HEADER)]
    if rows:
        summary.range("A6").value = [list(row.values) for row in rows]
    for cell in ("A1", "A2"):
        summary.range(cell).font.bold = True
    if not report.ok:
        summary.range("A2").font.color = rgb(FONT[Severity.ERROR])
    summary.range((5, 1), (5, len(SUMMARY_HEADER))).font.bold = True
    for col, width in enumerate(SUMMARY_WIDTHS, 1):
        summary.range((1, col)).column_width = width
    worksheets = _worksheets(book)
    for index, row in enumerate(rows, 6):
        link = _link_location(worksheets, row.link)
        if link is None:
            continue
        target = summary.range((index, len(SUMMARY_HEADER)))
        with contextlib.suppress(Exception):  # the cell still names the cells; only the link is lost
            target.add_hyperlink(link[0], str(row.values[-1]), f"转到 {link[1]}")
    return name


def check_active(book: xw.Book | None = None, rules: str = DEFAULT_RULES, *,
                 year: int | None = None) -> Report:
    """Check the open workbook (the one whose button was pressed) and mark it in place.

    Marks of an earlier run are cleared first, so checking twice leaves one set of marks. A
    workbook that is not a report (``Report.error``) gets no marks, as the CLI writes no copy.
    """
    from ..check import check_workbook
    from ..plugins import default_registry

    book = _caller(book)
    registry = default_registry()
    registry.compiled(rules)  # an unknown rule set fails before anything is touched
    clear_marks(book)
    report = check_workbook(read_book(book), rules=rules, year=year, registry=registry)
    if report.error is not None:
        return report
    active = _active_sheet(book)
    state = State()
    try:
        _mark_cells(book, report, state)
        state.summary = _add_summary(book, report, book.name)
    finally:
        if state.marks or state.summary:
            _write_state(book, state)
        if active is not None:
            with contextlib.suppress(Exception):  # keep the person's sheet in front, as the copy does
                active.activate()
    return report


def _active_sheet(book: xw.Book) -> xw.Sheet | None:
    try:
        return book.sheets.active
    except Exception:
        return None


def message(report: Report) -> str:
    """What the message box says after a check."""
    if report.error is not None:
        return f"无法校验：{report.error}"
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    lines = [verdict(report), f"错误 {errors} 个，警告 {warnings} 个。", describe(report)]
    if report.findings:
        lines.append(f"有问题的单元格已标上颜色和批注，清单见最前面的「{SUMMARY_SHEET}」工作表。")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Installing (``xlcheck excel install``): the few calls into Excel it needs


def startup_dir() -> Path:
    """The user's XLSTART folder, asked from Excel as ``xlwings addin install`` does."""
    import xlwings as xw

    if xw.apps:
        active = xw.apps.active
        if active is not None:
            return Path(active.startup_path)
    with xw.App(visible=False) as app:
        return Path(app.startup_path)


def close_addins(names: Iterable[str]) -> None:
    """Close the named add-ins in every running Excel so their files can be replaced."""
    import xlwings as xw

    wanted = list(names)
    for app in xw.apps:
        for name in wanted:
            with contextlib.suppress(Exception):  # not open
                app.books[name].close()


def install_applescript() -> None:
    """macOS: RunPython needs xlwings' AppleScript in Excel's script folder (xlwings runpython install)."""
    import shutil

    import xlwings as xw

    source = Path(xw.__file__).parent / f"xlwings-{xw.__version__}.applescript"
    target = Path(os.path.expanduser("~/Library/Application Scripts/com.microsoft.Excel"))
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)


# --------------------------------------------------------------------------------------------
# Entry points for VBA (RunPython)


def _alert(book: xw.Book | None, text: str, *, critical: bool = False) -> None:
    try:
        app: xw.App | None
        if book is not None:
            app = book.app
        else:
            import xlwings as xw

            app = xw.apps.active
        if app is not None:
            app.alert(text, title=TITLE, buttons="ok", mode="critical" if critical else "info")
            return
    except Exception:
        pass
    print(text, file=sys.stderr)


def run_check() -> None:
    """Button 校验当前工作簿: check the calling workbook, mark it, say how it went."""
    book = None
    try:
        book = _caller(None)
        rules = rules_setting(book)
        report = check_active(book, rules)
        _alert(book, message(report), critical=report.error is not None)
    except Exception as exc:
        _alert(book, _failure("校验", exc), critical=True)


def run_clear() -> None:
    """Button 清除标记: remove xlcheck's marks from the calling workbook."""
    book = None
    try:
        book = _caller(None)
        restored = clear_marks(book)
        _alert(book, f"已清除 xlcheck 的标记（恢复了 {restored} 个单元格的原有颜色）。")
    except Exception as exc:
        _alert(book, _failure("清除标记", exc), critical=True)


def _failure(action: str, exc: Exception) -> str:
    from ..plugins import PluginError

    if isinstance(exc, PluginError):
        return f"{action}失败：规则集设置有误 {exc}\n请运行 xlcheck excel install --rules national 重新安装加载项。"
    return (f"{action}失败：{exc}\n如果工作簿或工作表设置了保护，请先撤销保护再试。"
            f"\n({type(exc).__name__}: {exc})")
