"""The open workbook behind the Excel button: read it through xlwings, check it, mark it in place.

This is the only module of xlcheck that talks to xlwings, and it imports xlwings inside functions
only, so ``import xlcheck`` never pays for it. The check itself is :func:`xlcheck.check.check_workbook`
on a grid of values, exactly as for a file; the marks are the annotated copy's (:mod:`xlcheck.marks`
decides them, :mod:`xlcheck.writer` writes the same into a file):

* on each sheet, one conditional-format rule per severity over the union of its marked cells, with
  the formula :data:`~xlcheck.marks.MARK_FORMULA` and the fill and font colours of
  :data:`~xlcheck.marks.FILL` / :data:`~xlcheck.marks.FONT`, ahead of the person's own rules; the
  cells' own formats are never touched;
* a note on each marked cell whose author is :data:`~xlcheck.marks.NOTE_AUTHOR` (a person's own
  note on that cell wins, as in the copy);
* a first sheet ``校验结果`` (or ``校验结果(2)``) whose A1 starts with the summary marker.

Nothing else is kept, in the workbook or anywhere: clearing deletes the rules whose formula is
ours, the notes whose author is ours and our summary sheet. So ``xlcheck clean`` removes the
button's marks once the workbook is saved, and 清除标记 removes an annotated copy's marks.

Excel is driven across processes, so calls are batched per sheet: the values are read in one call,
merged cells are looked up only where a rectangle of marks contains some, each severity's rule is
one call over a union of cells, and the summary is written block by block with its links as
``HYPERLINK`` formulas. What cannot be batched is one note per marked cell (Excel has no call that
adds many notes). Screen updating is off while marking and restored on every path.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cells import address, parse_cell
from ..findings import FIX_RULE, Report, Severity
from ..marks import (
    FONT,
    MARK_FORMULA,
    NOTE_AUTHOR,
    SUMMARY_HEADER,
    SUMMARY_MARKER,
    SUMMARY_SHEET,
    SUMMARY_WIDTHS,
    CellMark,
    MarkStyle,
    PlacedMark,
    describe,
    free_summary_name,
    is_summary_name,
    link_location,
    place,
    report_marks,
    summary_rows,
    verdict,
)
from ..reader import MAX_COLS, MAX_ROWS, Sheet, Workbook

if TYPE_CHECKING:
    import xlwings as xw

__all__ = [
    "Cleared",
    "check_active",
    "clear_marks",
    "mark_report",
    "read_book",
    "run_check",
    "run_clear",
]

TITLE = "xlcheck"
DEFAULT_RULES = "national"
#: The record sheet of the first version of the button (fills set directly); cleared, never written.
LEGACY_STATE_SHEET = "_xlcheck"
#: Excel's Range("A1,B2,...") takes at most 255 characters; longer unions go through a sheet name.
_ADDRESS_LIMIT = 255
_NAME_LIMIT = 8000
_UNION_NAME = "xlcheck_marks"


def rgb(argb: str) -> tuple[int, int, int]:
    """``"FFFFC7CE"`` -> ``(255, 199, 206)``: an ARGB colour of :mod:`xlcheck.marks` as xlwings' RGB tuple."""
    hex6 = argb[-6:]
    return int(hex6[0:2], 16), int(hex6[2:4], 16), int(hex6[4:6], 16)


def is_our_formula(formula: str | None) -> bool:
    """Whether a rule's formula is the mark's: Excel reports it with a leading ``=``."""
    return formula is not None and formula.strip().lstrip("=").strip() == MARK_FORMULA


# --------------------------------------------------------------------------------------------
# Reading


def _caller(book: xw.Book | None) -> xw.Book:
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _find_sheet(sheets: list[tuple[str, xw.Sheet]], name: str) -> tuple[str, xw.Sheet] | None:
    """Excel compares sheet names case-insensitively; prefer the exact spelling. ``sheets`` are
    (name, sheet) pairs, the names read once (each read is a call into Excel)."""
    exact = next((s for s in sheets if s[0] == name), None)
    return exact or next((s for s in sheets if s[0].casefold() == name.casefold()), None)


def _sheet_values(sheet: xw.Sheet) -> list[list[Any]]:
    last = sheet.used_range.last_cell
    rows, cols = min(last.row, MAX_ROWS), min(last.column, MAX_COLS)
    values = sheet.range((1, 1), (rows, cols)).options(ndim=2, err_to_str=True).value
    return [list(row) for row in values or []]


def _named_sheets(book: xw.Book) -> list[tuple[str, xw.Sheet]]:
    return [(s.name, s) for s in book.sheets]


def read_book(book: xw.Book, sheets: list[tuple[str, xw.Sheet]] | None = None) -> Workbook:
    """The open workbook's values, sheet by sheet, as the grid the file reader would give."""
    named = _named_sheets(book) if sheets is None else sheets
    return Workbook(book.fullname, [Sheet(name, _sheet_values(s)) for name, s in named if name != LEGACY_STATE_SHEET])


# --------------------------------------------------------------------------------------------
# What Excel must be told around the work


@contextlib.contextmanager
def _screen_off(app: xw.App) -> Iterator[None]:
    """Screen updating off while marking; put back as it was whatever happens."""
    try:
        before = app.screen_updating
    except Exception:
        before = True
    app.screen_updating = False
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # Excel gone: nothing left to restore
            app.screen_updating = before


@contextlib.contextmanager
def _note_author(app: xw.App) -> Iterator[None]:
    """Excel names ``Application.UserName`` as the author of a note it adds, and xlwings has no other
    way to set it; the person's name is put back whatever happens."""
    try:
        api = app.api
        mac = sys.platform == "darwin"
        before = api.user_name.get() if mac else api.UserName
    except Exception:  # no native object (a remote backend): notes keep Excel's author
        yield
        return
    try:
        if mac:
            api.user_name.set(NOTE_AUTHOR)
        else:
            api.UserName = NOTE_AUTHOR
        yield
    finally:
        with contextlib.suppress(Exception):
            if mac:
                api.user_name.set(before)
            else:
                api.UserName = before


# --------------------------------------------------------------------------------------------
# Clearing


@dataclass
class Cleared:
    """What :func:`clear_marks` removed."""

    rules: int = 0
    notes: int = 0
    summaries: int = 0
    legacy_fills: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.rules or self.notes or self.summaries or self.legacy_fills)


def _is_our_summary(sheet: xw.Sheet) -> bool:
    if not is_summary_name(sheet.name):
        return False
    first = sheet.range("A1").value
    return isinstance(first, str) and first.startswith(SUMMARY_MARKER)


def _clear_sheet(sheet: xw.Sheet, cleared: Cleared) -> None:
    rules = [r for r in sheet.cells.conditional_formats if r.type == "custom" and is_our_formula(r.formula)]
    for rule in rules:
        rule.delete()
    cleared.rules += len(rules)
    notes = [n for n in sheet.notes if n.author == NOTE_AUTHOR]
    for note in notes:
        note.delete()
    cleared.notes += len(notes)


def _clear_legacy_state(book: xw.Book, sheets: list[tuple[str, xw.Sheet]], cleared: Cleared) -> None:
    """Undo what the first version of the button did: it filled cells directly and recorded them,
    with their original fills, on a hidden sheet ``_xlcheck``."""
    state = next((s for name, s in sheets if name == LEGACY_STATE_SHEET), None)
    if state is None:
        return
    last = state.used_range.last_cell
    column = state.range((1, 1), (max(last.row, 1), 1)).options(ndim=2).value or []
    by_name = dict(sheets)
    for row in column:
        try:
            item = json.loads(row[0]) if row and isinstance(row[0], str) else None
        except ValueError:
            item = None
        if not isinstance(item, dict) or not isinstance(item.get("cell"), str) or item.get("sheet") not in by_name:
            continue
        cell = by_name[item["sheet"]].range(item["cell"])
        colour = cell.color
        if colour is not None and "#{:02x}{:02x}{:02x}".format(*(int(c) for c in colour)) == item.get("fill"):
            original = item.get("original")
            cell.color = (int(original[1:3], 16), int(original[3:5], 16), int(original[5:7], 16)) if original else None
            cleared.legacy_fills += 1
        if item.get("note"):
            note = cell.note
            if note is not None and note.text.strip() == str(item["note"]).strip():
                note.delete()
                cleared.notes += 1
    with contextlib.suppress(Exception):  # Excel refuses to delete some hidden sheets
        state.visible = True
    state.delete()


def clear_marks(book: xw.Book | None = None) -> Cleared:
    """Remove every mark xlcheck made, by the button or in an annotated copy; return what went.

    The rules whose formula is :data:`~xlcheck.marks.MARK_FORMULA`, the notes whose author is
    :data:`~xlcheck.marks.NOTE_AUTHOR` and the summary sheets whose A1 carries the marker; a
    person's own colours, rules, notes and sheets stay.
    """
    book = _caller(book)
    cleared = Cleared()
    with _screen_off(book.app):
        _clear(book, cleared)
    return cleared


def _clear(book: xw.Book, cleared: Cleared) -> None:
    sheets = _named_sheets(book)
    _clear_legacy_state(book, sheets, cleared)
    for name, sheet in sheets:
        if name == LEGACY_STATE_SHEET:
            continue
        if _is_our_summary(sheet):
            sheet.delete()
            cleared.summaries += 1
            continue
        _clear_sheet(sheet, cleared)


# --------------------------------------------------------------------------------------------
# Marking


def _anchors(sheet: xw.Sheet, cells: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, int]]:
    """Each marked cell -> the cell that shows it (the top-left of its merged area).

    A rectangle of marks Excel reports as holding no merged cell resolves in one call; only
    rectangles that hold some are split, down to single cells asked for their merged area.
    """
    out: dict[tuple[int, int], tuple[int, int]] = {}

    def solve(group: list[tuple[int, int]]) -> None:
        r1, r2 = min(r for r, _ in group), max(r for r, _ in group)
        c1, c2 = min(c for _, c in group), max(c for _, c in group)
        box = sheet.range((r1, c1), (r2, c2))
        if box.merge_cells is False:
            out.update((cell, cell) for cell in group)
            return
        if len(group) == 1:
            area = box.merge_area
            out[group[0]] = (area.row, area.column)
            return
        by_rows = r2 - r1 >= c2 - c1
        ordered = sorted(group, key=(lambda rc: rc) if by_rows else (lambda rc: (rc[1], rc[0])))
        middle = len(ordered) // 2
        solve(ordered[:middle])
        solve(ordered[middle:])

    if cells:
        solve(sorted(set(cells)))
    return out


def _placed(sheet: xw.Sheet, marks: list[CellMark]) -> list[PlacedMark]:
    """Marks on the cells that show them, as in the annotated copy (:func:`xlcheck.marks.place`)."""
    refs = {m.cell: parse_cell(m.cell) for m in marks}
    anchors = _anchors(sheet, [rc for rc in refs.values() if rc is not None])

    def anchor(ref: str) -> tuple[int, int] | None:
        cell = refs.get(ref)
        return anchors.get(cell) if cell is not None else None

    return place(marks, anchor)


def _blocks(cells: Iterable[tuple[int, int]]) -> list[str]:
    """Cells as the shortest address parts: vertical runs become ``D33:D35``."""
    by_column: dict[int, list[int]] = {}
    for row, col in cells:
        by_column.setdefault(col, []).append(row)
    parts = []
    for col in sorted(by_column):
        runs: list[list[int]] = []
        for row in sorted(set(by_column[col])):
            if runs and row == runs[-1][1] + 1:
                runs[-1][1] = row
            else:
                runs.append([row, row])
        parts += [address(a, col) if a == b else f"{address(a, col)}:{address(b, col)}" for a, b in runs]
    return parts


def _absolute(part: str) -> str:
    cells = part.split(":")
    out = []
    for ref in cells:
        rc = parse_cell(ref)
        assert rc is not None
        letters = address(rc[0], rc[1])[: -len(str(rc[0]))]
        out.append(f"${letters}${rc[0]}")
    return ":".join(out)


def _unions(sheet: xw.Sheet, parts: list[str]) -> Iterator[xw.Range]:
    """The union of ``parts`` as few ranges as Excel allows: one, unless it is very long."""
    text = ",".join(parts)
    if len(text) <= _ADDRESS_LIMIT:
        yield sheet.range(text)
        return
    # A longer union is reached through a name defined on the sheet for the moment.
    prefix = "'" + sheet.name.replace("'", "''") + "'!"
    chunk: list[str] = []
    size = 1
    for part in [*parts, None]:
        piece = prefix + _absolute(part) if part is not None else ""
        if part is None or size + len(piece) + 1 > _NAME_LIMIT:
            if chunk:
                name = sheet.names.add(_UNION_NAME, "=" + ",".join(chunk))
                try:
                    yield sheet.range(_UNION_NAME)
                finally:
                    name.delete()
            chunk, size = [], 1
        if part is not None:
            chunk.append(piece)
            size += len(piece) + 1


def _add_rules(sheet: xw.Sheet, targets: list[PlacedMark]) -> None:
    by_style: dict[MarkStyle, list[tuple[int, int]]] = {}
    for target in targets:
        by_style.setdefault(target.style, []).append((target.row, target.col))
    # xlwings puts each new rule first: the least severe goes in first so the worst (a suspect)
    # ends up on top, priorities 1..n as in the annotated copy.
    for style in sorted(by_style, key=lambda s: s.rank):
        for union in _unions(sheet, _blocks(by_style[style])):
            union.conditional_formats.add_custom("=" + MARK_FORMULA, fill_color=rgb(style.fill),
                                                 font_color=rgb(style.font))


def _add_notes(sheet: xw.Sheet, targets: list[PlacedMark]) -> int:
    # A person's own note on a cell wins, as in the annotated copy; the rule still marks the cell.
    taken = set()
    for note in sheet.notes:
        location = note.location
        taken.add((location.row, location.column))
    added = 0
    for target in targets:
        if (target.row, target.col) not in taken:
            _add_note(sheet.range((target.row, target.col)), target.note)
            added += 1
    return added


_NATIVE_NOTES = sys.platform.startswith("win")


def _add_note(cell: xw.Range, text: str) -> None:
    """xlwings' add_note first asks the range's shape and whether it has a note (five calls into
    Excel); on Windows the cell is known to be single and free, so Excel's own AddComment is used."""
    if _NATIVE_NOTES:
        cell.api.AddComment(text)
    else:
        cell.add_note(text)


def _mark_cells(book: xw.Book, report: Report, sheets: list[tuple[str, xw.Sheet]]) -> None:
    grouped: dict[str, list[CellMark]] = {}
    for mark in report_marks(report):
        grouped.setdefault(mark.sheet, []).append(mark)
    for name, sheet_marks in grouped.items():
        found = _find_sheet(sheets, name)
        if found is None:  # a finding about a sheet the workbook lacks marks nothing
            continue
        sheet = found[1]
        targets = _placed(sheet, sheet_marks)
        if targets:
            _add_rules(sheet, targets)
            _add_notes(sheet, targets)


def _hyperlink(target: str, text: str) -> str | None:
    """The summary's link cell as a formula (one call for every row); None when Excel could not
    take it (each argument of HYPERLINK is limited to 255 characters)."""
    if len(target) > 255 or len(text) > 255:
        return None
    return '=HYPERLINK("{}","{}")'.format(target.replace('"', '""'), text.replace('"', '""'))


def _add_summary(book: xw.Book, report: Report, file_name: str, sheets: list[tuple[str, xw.Sheet]]) -> str:
    names = [name for name, _ in sheets]
    name = free_summary_name(names)
    summary = book.sheets.add(name, before=sheets[0][1])
    rows = summary_rows(report.findings)
    width = len(SUMMARY_HEADER)
    head: list[list[Any]] = [[f"{SUMMARY_MARKER}：{file_name}"], [verdict(report)], [describe(report)], [None],
                             list(SUMMARY_HEADER)]
    summary.range("A1").value = [row + [None] * (width - len(row)) for row in head]
    if rows:
        # Text as text: a message or cell list starting with "=" must not become a formula.
        summary.range((6, 2), (5 + len(rows), width - 1)).number_format = "@"
        summary.range("A6").value = [list(row.values) for row in rows]
        message = SUMMARY_HEADER.index("说明") + 1  # wrapped, as in the annotated copy
        summary.range((6, message), (5 + len(rows), message)).wrap_text = True
        links = []
        for row in rows:
            text = str(row.values[-1])
            found = _find_sheet(sheets, row.link[0]) if row.link else None
            cell = row.link[1].replace("$", "").upper() if row.link and parse_cell(row.link[1]) else None
            formula = _hyperlink(f"#{link_location(found[0], cell)}", text) if found and cell else None
            links.append([formula if formula is not None else text])
        if any(link[0] != str(row.values[-1]) for link, row in zip(links, rows, strict=True)):
            column = summary.range((6, width), (5 + len(rows), width))
            column.number_format = "General"
            column.formula = links
    summary.range((1, 1), (2, 1)).font.bold = True
    if not report.ok:
        summary.range("A2").font.color = rgb(FONT[Severity.ERROR])
    summary.range((5, 1), (5, width)).font.bold = True
    for col, column_width in enumerate(SUMMARY_WIDTHS, 1):
        summary.range((1, col)).column_width = column_width
    return name


def mark_report(book: xw.Book, report: Report) -> None:
    """Mark ``report``'s findings on the open ``book`` (its marks already cleared)."""
    sheets = _named_sheets(book)
    active = _active_sheet(book)
    try:
        with _note_author(book.app):
            _mark_cells(book, report, sheets)
        _add_summary(book, report, book.name, sheets)
    finally:
        if active is not None:
            with contextlib.suppress(Exception):  # keep the person's sheet in front, as the copy does
                active.activate()


def check_active(book: xw.Book | None = None, rules: str = DEFAULT_RULES, *,
                 year: int | None = None) -> Report:
    """Check the open workbook (the one whose button was pressed) and mark it in place.

    Marks of an earlier run (or of an annotated copy) are cleared first, so checking twice leaves
    one set of marks. A workbook that is not a report (``Report.error``) gets no marks, as the CLI
    writes no copy.
    """
    from ..check import check_workbook
    from ..plugins import default_registry

    book = _caller(book)
    registry = default_registry()
    registry.compiled(rules)  # an unknown rule set fails before anything is touched
    with _screen_off(book.app):
        _clear(book, Cleared())
        report = check_workbook(read_book(book), rules=rules, year=year, registry=registry)
        if report.error is None:
            mark_report(book, report)
    return report


def _active_sheet(book: xw.Book) -> xw.Sheet | None:
    try:
        return book.sheets.active
    except Exception:
        return None


# --------------------------------------------------------------------------------------------
# What the message box says


def _kind_note(fullname: str) -> str:
    """A line about the workbook itself: never saved, or a legacy .xls in compatibility mode."""
    if not os.path.splitext(fullname)[1] and not any(sep in fullname for sep in "\\/:"):
        return "这个工作簿还没有保存过：标记只在 Excel 中，请记得保存（报送前先点“清除标记”）。"
    if fullname.lower().endswith(".xls"):
        return ("这是 Excel 97-2003 格式（.xls，兼容模式）的工作簿：颜色按旧格式的调色板显示，保存时如果出现"
                "“兼容性检查器”，点“继续”即可；标记和清除都不受影响。")
    return ""


def message(report: Report, fullname: str = "") -> str:
    """What the message box says after a check."""
    if report.error is not None:
        return f"无法校验：{report.error}"
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    lines = [verdict(report), f"错误 {errors} 个，警告 {warnings} 个。"]
    # what to change comes before the rest: the clerk reads the first lines of a message box
    lines += [f.message for f in report.findings if f.rule == FIX_RULE]
    lines.append(describe(report))
    if report.findings:
        lines.append(f"有问题的单元格已标上颜色和批注，清单见最前面的「{SUMMARY_SHEET}」工作表；报送前请点“清除标记”。")
    note = _kind_note(fullname)
    if note:
        lines.append(note)
    return "\n".join(lines)


def clear_message(cleared: Cleared) -> str:
    if not cleared.anything:
        return "这个工作簿中没有 xlcheck 的标记。"
    parts = [f"{cleared.rules} 条条件格式规则", f"{cleared.notes} 条批注"]
    if cleared.summaries:
        parts.append(f"「{SUMMARY_SHEET}」工作表")
    if cleared.legacy_fills:
        parts.append(f"旧版按钮留下的 {cleared.legacy_fills} 处填充颜色")
    return "已清除 xlcheck 的标记：" + "、".join(parts) + "。您自己的颜色、条件格式和批注没有改动。"


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
    """macOS: RunPython needs the AppleScript of this xlwings version in Excel's script folder
    (what ``xlwings runpython install`` does); the add-in built here calls exactly that version."""
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


def run_check(rules: str | None = None) -> None:
    """Button 校验当前工作簿: check the calling workbook with ``rules``, mark it, say how it went."""
    book = None
    try:
        book = _caller(None)
        chosen = rules or os.environ.get("XLCHECK_RULES", "").strip() or DEFAULT_RULES
        report = check_active(book, chosen)
        _alert(book, message(report, book.fullname), critical=report.error is not None)
    except Exception as exc:
        _alert(book, _failure("校验", exc), critical=True)


def run_clear() -> None:
    """Button 清除标记: remove xlcheck's marks from the calling workbook."""
    book = None
    try:
        book = _caller(None)
        _alert(book, clear_message(clear_marks(book)))
    except Exception as exc:
        _alert(book, _failure("清除标记", exc), critical=True)


def _failure(action: str, exc: Exception) -> str:
    from ..plugins import PluginError

    if isinstance(exc, PluginError):
        return (f"{action}失败：规则集设置有误。{exc}\n请在 xlcheck 选项卡的“规则集”中另选一个，或运行 "
                "xlcheck excel install 重新安装加载项。")
    return (f"{action}失败：Excel 拒绝了 xlcheck 的操作。如果工作簿或工作表设置了保护，请先在“审阅”选项卡中撤销保护；"
            "如果单元格正在编辑（光标在单元格里），请先按 Enter 或 Esc，再点按钮。\n"
            f"({type(exc).__name__}: {exc})")
