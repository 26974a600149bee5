"""The live path (the Excel button) driven against xlwings' real classes, without Excel.

Every xlwings object is ``create_autospec(..., instance=True, spec_set=True)`` of the real class, so
a misspelt attribute, a property that does not exist or a call with the wrong arguments fails
here. The autospecs are backed by a small "workbook open in Excel" (values, merged areas,
conditional-format rules, notes with their authors, names, links) built from the real sample
township report, and they count every call, each of which is a round trip into Excel.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import openpyxl
import pytest

xw = pytest.importorskip("xlwings")
from xlwings.main import (  # noqa: E402
    App,
    ConditionalFormat,
    ConditionalFormats,
    Font,
    Name,
    Names,
    Note,
    Sheets,
)

import xlcheck.excel  # noqa: E402
from xlcheck.check import check  # noqa: E402
from xlcheck.excel import live  # noqa: E402
from xlcheck.findings import Finding, Report, Severity  # noqa: E402
from xlcheck.marks import (  # noqa: E402
    FILL,
    FONT,
    MARK_FORMULA,
    NOTE_AUTHOR,
    SUMMARY_HEADER,
    SUMMARY_MARKER,
    SUMMARY_SHEET,
    SUSPECT_FILL,
    SUSPECT_FONT,
    cell_marks,
    describe,
    report_marks,
    summary_rows,
    verdict,
)
from xlcheck.reader import read_workbook  # noqa: E402

try:  # tests/ as a package, or tests/ itself on sys.path (pytest's rootdir-less "prepend" mode)
    from tests import corpus
except ImportError:
    import corpus  # type: ignore[no-redef]

Cell = tuple[int, int]
Box = tuple[int, int, int, int]
MAX = 1_048_576


def _spec(cls: type) -> Any:
    return mock.create_autospec(cls, instance=True, spec_set=True)


def _parse(ref: str) -> Cell:
    m = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+)", ref.upper())
    assert m, ref
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def _addr(cell: Cell) -> str:
    row, col = cell
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


def _box_cells(box: Box) -> Iterator[Cell]:
    r1, c1, r2, c2 = box
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            yield r, c


def _part(text: str) -> Box:
    a, _, b = text.partition(":")
    (r1, c1), (r2, c2) = _parse(a), _parse(b or a)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


@dataclass
class Rule:
    """A conditional-format rule as Excel holds it: the formula as Excel reports it (with "=")."""

    formula: str
    fill: tuple[int, int, int] | None
    font: tuple[int, int, int] | None
    cells: set[Cell] = field(default_factory=set)
    kind: str = "custom"


@dataclass
class Comment:
    text: str
    author: str


class FakeSheet:
    def __init__(self, excel: FakeExcel, name: str):
        self.excel = excel
        self.name = name
        self.values: dict[Cell, Any] = {}
        self.formulas: dict[Cell, str] = {}
        self.formats: dict[Cell, str] = {}
        self.fills: dict[Cell, tuple[int, int, int]] = {}
        self.notes: dict[Cell, Comment] = {}
        self.rules: list[Rule] = []  # first = highest priority
        self.names: dict[str, list[Box]] = {}
        self.bold: set[Cell] = set()
        self.font_colours: dict[Cell, tuple[int, int, int]] = {}
        self.widths: dict[int, float] = {}
        self.wrapped: set[tuple[int, int]] = set()
        self.merged: list[Box] = []
        self.protected = False
        self.visible = True
        self._ranges: dict[tuple[tuple[Box, ...], int | None], Any] = {}
        self.mock = self._build()

    def _build(self) -> Any:
        p, m = self.excel.prop, self.excel.method
        sheet = _spec(xw.Sheet)
        p(sheet, "name", lambda: self.name)
        p(sheet, "used_range", self._used_range)
        p(sheet, "visible", lambda: self.visible, lambda v: setattr(self, "visible", bool(v)))
        p(sheet, "book", lambda: self.excel.book)
        p(sheet, "cells", lambda: self.make_range(((1, 1, MAX, 16384),)))
        p(sheet, "notes", self._notes_iter)
        p(sheet, "names", self._names)
        m(sheet.range, self._range)
        m(sheet.delete, lambda: self.excel.delete(self))
        m(sheet.activate, lambda: setattr(self.excel, "active", self))
        return sheet

    def _notes_iter(self) -> Iterator[Any]:
        self.excel.calls += len(self.notes)  # Excel hands out the Comments collection one item a call
        return iter([self.note(c) for c in sorted(self.notes)])

    def _names(self) -> Any:
        names = _spec(Names)

        def add(name: str, refers_to: str) -> Any:
            assert name not in self.names, "a name xlcheck leaves behind"
            assert refers_to.startswith("=") and len(refers_to) <= 8192
            boxes = []
            for part in refers_to[1:].split(","):
                sheet, _, ref = part.rpartition("!")
                assert sheet.strip("'").replace("''", "'") == self.name, part
                boxes.append(_part(ref))
            self.names[name] = boxes
            defined = _spec(Name)
            self.excel.method(defined.delete, lambda: self.names.pop(name))
            return defined

        self.excel.method(names.add, add)
        return names

    def _used_range(self) -> Any:
        cells = set(self.values) | set(self.fills) | set(self.notes)
        if not cells:
            return self.make_range(((1, 1, 1, 1),))
        return self.make_range(((1, 1, max(r for r, _ in cells), max(c for _, c in cells)),))

    def _range(self, cell1: Any, cell2: Any = None) -> Any:
        if isinstance(cell1, str) and cell2 is None:
            if cell1 in self.names:
                return self.make_range(tuple(self.names[cell1]))
            assert len(cell1) <= 255, "Excel's Range() takes at most 255 characters"
            return self.make_range(tuple(_part(p) for p in cell1.split(",")))

        def point(x: Any) -> Cell:
            return _parse(x) if isinstance(x, str) else (int(x[0]), int(x[1]))

        r1, c1 = point(cell1)
        r2, c2 = point(cell2) if cell2 is not None else (r1, c1)
        return self.make_range(((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)),))

    def make_range(self, boxes: tuple[Box, ...], ndim: int | None = None) -> Any:
        key = (boxes, ndim)
        if key not in self._ranges:  # autospec of Range is slow; the mocks keep no state of their own
            self._ranges[key] = self._new_range(boxes, ndim)
        return self._ranges[key]

    def _new_range(self, boxes: tuple[Box, ...], ndim: int | None) -> Any:
        p, m = self.excel.prop, self.excel.method
        rng = _spec(xw.Range)
        r1, c1, r2, c2 = boxes[0]
        single = len(boxes) == 1 and (r1, c1) == (r2, c2)

        def cells() -> Iterator[Cell]:
            for box in boxes:
                yield from _box_cells(box)

        def get_value() -> Any:
            assert len(boxes) == 1
            grid = [[self.values.get((r, c)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
            if ndim == 2:
                return grid
            if single:
                return grid[0][0]
            if r1 == r2:
                return grid[0]
            if c1 == c2:
                return [row[0] for row in grid]
            return grid

        def set_value(value: Any) -> None:
            assert len(boxes) == 1
            rows = value if isinstance(value, list) and value and isinstance(value[0], list) else (
                [value] if isinstance(value, list) else [[value]])
            for i, row in enumerate(rows):
                for j, v in enumerate(row):
                    cell = (r1 + i, c1 + j)
                    if isinstance(v, str) and v.startswith("=") and self.formats.get(cell) != "@":
                        raise AssertionError(f"{v!r} would become a formula in {_addr(cell)}")
                    if v is None or v == "":
                        self.values.pop(cell, None)
                    else:
                        self.values[cell] = v

        def set_formula(value: Any) -> None:
            assert len(boxes) == 1
            for i, row in enumerate(value):
                for j, v in enumerate(row):
                    cell = (r1 + i, c1 + j)
                    self.formulas[cell] = v
                    link = re.fullmatch(r'=HYPERLINK\("((?:[^"]|"")*)","((?:[^"]|"")*)"\)', v)
                    self.values[cell] = link.group(2).replace('""', '"') if link else v

        def set_format(value: str) -> None:
            for cell in cells():
                self.formats[cell] = value

        def set_colour(colour: Any) -> None:
            for cell in cells():
                if colour is None:
                    self.fills.pop(cell, None)
                else:
                    self.fills[cell] = colour

        def get_note() -> Any:
            assert single
            return self.note((r1, c1)) if (r1, c1) in self.notes else None

        def add_note(text: str) -> Any:
            assert single and (r1, c1) not in self.notes, "xlwings refuses a second note on a cell"
            assert isinstance(text, str) and text
            self.refuse_if_protected()
            self.notes[(r1, c1)] = Comment(text, self.excel.user_name)
            # xlwings' add_note asks the range's shape (Rows.Count, Columns.Count) and whether the cell
            # has a note before AddComment: 5 calls more than the one counted
            self.excel.calls += 5
            return self.note((r1, c1))

        def merge_cells() -> bool | None:
            inside = [cell for cell in cells() if any(a <= cell[0] <= c and b <= cell[1] <= d
                                                      for a, b, c, d in self.merged)]
            if not inside:
                return False
            return True if len(inside) == sum(1 for _ in cells()) else None

        def merge_area() -> Any:
            for a, b, c, d in self.merged:
                if a <= r1 <= c and b <= c1 <= d:
                    return self.make_range(((a, b, c, d),))
            return rng

        def width(value: float) -> None:
            for c in range(c1, c2 + 1):
                self.widths[c] = value

        p(rng, "value", get_value, set_value)
        p(rng, "formula", lambda: self.formulas.get((r1, c1)), set_formula)
        p(rng, "number_format", lambda: self.formats.get((r1, c1), "General"), set_format)
        p(rng, "color", lambda: self.fills.get((r1, c1)), set_colour)
        p(rng, "note", get_note)
        p(rng, "row", lambda: r1)
        p(rng, "column", lambda: c1)
        p(rng, "last_cell", lambda: self.make_range(((r2, c2, r2, c2),), ndim))
        p(rng, "merge_area", merge_area)
        p(rng, "merge_cells", merge_cells)
        p(rng, "font", lambda: self.font(list(cells())))
        p(rng, "column_width", lambda: self.widths.get(c1), width)
        p(rng, "wrap_text", lambda: all(cell in self.wrapped for cell in cells()),
          lambda on: self.wrapped.update(cells()) if on else self.wrapped.difference_update(cells()))
        p(rng, "sheet", lambda: self.mock)
        p(rng, "conditional_formats", lambda: self.conditional_formats(set(cells()) if len(boxes) > 1 or
                                                                        boxes[0] != (1, 1, MAX, 16384) else None))
        m(rng.add_note, add_note)
        native = types.SimpleNamespace(AddComment=lambda text: add_note(text) and None)

        def api() -> Any:
            self.excel.calls -= 5  # AddComment alone: none of add_note's checks
            return native

        p(rng, "api", api)
        m(rng.options, lambda convert=None, **options: self.make_range(boxes, options.get("ndim", ndim)))
        return rng

    def refuse_if_protected(self) -> None:
        if self.protected:
            raise RuntimeError("(-2146827284, 'The cell or chart is on a protected sheet.')")

    def conditional_formats(self, cells: set[Cell] | None) -> Any:
        """FormatConditions of a range: the rules touching it (all of them for the whole sheet)."""
        formats = _spec(ConditionalFormats)
        m = self.excel.method
        def rules() -> Iterator[Any]:
            touching = [self.rule(r) for r in list(self.rules) if cells is None or r.cells & cells]
            self.excel.calls += len(touching)  # one call per item, as for notes
            return iter(touching)

        m(formats.__iter__, rules)

        def add_custom(formula: str, *, fill_color: Any = None, font_color: Any = None, font_bold: Any = None,
                       font_italic: Any = None, stop_if_true: bool = False) -> Any:
            assert cells is not None and formula.startswith("=")
            assert isinstance(fill_color, tuple) and isinstance(font_color, tuple)
            assert font_bold is None and font_italic is None and stop_if_true is False
            self.refuse_if_protected()
            rule = Rule(formula, fill_color, font_color, set(cells))
            self.rules.insert(0, rule)  # xlwings calls SetFirstPriority on a new rule
            self.excel.calls += 5  # Add, Interior.Color, Font.Color, StopIfTrue, SetFirstPriority
            return self.rule(rule)

        m(formats.add_custom, add_custom)
        return formats

    def rule(self, rule: Rule) -> Any:
        p = self.excel.prop
        spec = _spec(ConditionalFormat)
        p(spec, "type", lambda: rule.kind)
        p(spec, "formula", lambda: rule.formula if rule.kind == "custom" else None)
        p(spec, "fill_color", lambda: rule.fill)
        p(spec, "font_color", lambda: rule.font)
        self.excel.method(spec.delete, lambda: self.rules.remove(rule))
        return spec

    def note(self, cell: Cell) -> Any:
        p = self.excel.prop
        note = _spec(Note)

        def set_text(value: str) -> None:
            self.notes[cell].text = value

        p(note, "text", lambda: self.notes[cell].text, set_text)
        p(note, "author", lambda: self.notes[cell].author)
        p(note, "location", lambda: self.make_range(((*cell, *cell),)))
        self.excel.method(note.delete, lambda: self.notes.pop(cell))
        return note

    def font(self, cells: list[Cell]) -> Any:
        p = self.excel.prop
        font = _spec(Font)

        def bold(value: bool) -> None:
            for cell in cells:
                (self.bold.add if value else self.bold.discard)(cell)

        def colour(value: tuple[int, int, int]) -> None:
            for cell in cells:
                self.font_colours[cell] = value

        p(font, "bold", lambda: cells[0] in self.bold, bold)
        p(font, "color", lambda: self.font_colours.get(cells[0]), colour)
        return font

    def rows(self) -> list[list[Any]]:
        """Values as a grid from A1, like the summary sheet read back."""
        if not self.values:
            return []
        height = max(r for r, _ in self.values)
        width = max(c for _, c in self.values)
        return [[self.values.get((r, c)) for c in range(1, width + 1)] for r in range(1, height + 1)]

    def our_rules(self) -> list[Rule]:
        return [r for r in self.rules if r.formula == "=" + MARK_FORMULA]


class FakeExcel:
    """One workbook open in Excel, as xlwings would show it."""

    def __init__(self, name: str, fullname: str, user_name: str = "张三"):
        self.calls = 0
        self.name = name
        self.fullname = fullname
        self.user_name = user_name
        self.screen_updating = True
        self.sheets: list[FakeSheet] = []
        self.alerts: list[dict[str, Any]] = []
        self.active: FakeSheet | None = None
        self.book = _spec(xw.Book)
        self.prop(self.book, "name", lambda: self.name)
        self.prop(self.book, "fullname", lambda: self.fullname)
        self.prop(self.book, "sheets", lambda: self.sheets_mock)
        self.prop(self.book, "app", lambda: self.app)
        self.sheets_mock = self._sheets()
        self.app = _spec(App)
        # the native Application object: Excel names its UserName as the author of a new note
        self.api = type("Application", (), {"UserName": property(lambda _: self.user_name,
                                                                   lambda _, v: setattr(self, "user_name", v))})()
        self.prop(self.app, "api", lambda: self.api)
        self.prop(self.app, "screen_updating", lambda: self.screen_updating,
                  lambda v: setattr(self, "screen_updating", bool(v)))

        def alert(prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
                  callback: str | None = None) -> str:
            self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode,
                                "screen_updating": self.screen_updating})
            return "ok"

        self.method(self.app.alert, alert)

    def prop(self, obj: Any, name: str, getter: Callable[[], Any], setter: Callable[[Any], Any] | None = None) -> None:
        """Back a property of an autospec mock with functions (each autospec has its own class)."""

        def side_effect(*args: Any) -> Any:
            self.calls += 1
            if args:
                if setter is None:
                    raise AttributeError(f"{name} is read-only")
                return setter(args[0])
            return getter()

        setattr(type(obj), name, mock.PropertyMock(side_effect=side_effect))

    def method(self, attr: Any, fn: Callable[..., Any]) -> None:
        def side_effect(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return fn(*args, **kwargs)

        attr.side_effect = side_effect

    def _sheets(self) -> Any:
        sheets = _spec(Sheets)
        self.method(sheets.__iter__, lambda: iter([s.mock for s in self.sheets]))
        self.method(sheets.__len__, lambda: len(self.sheets))

        def add(name: str | None = None, before: Any = None, after: Any = None) -> Any:
            assert name and all(s.name.casefold() != name.casefold() for s in self.sheets), name
            sheet = FakeSheet(self, name)
            if before is not None:
                index = [s.mock for s in self.sheets].index(before)
            elif after is not None:
                index = [s.mock for s in self.sheets].index(after) + 1
            else:
                index = 0
            self.sheets.insert(index, sheet)
            self.active = sheet  # Excel activates a new sheet
            return sheet.mock

        self.method(sheets.add, add)
        self.prop(sheets, "active", lambda: self.active.mock if self.active else None)
        return sheets

    def add_sheet(self, name: str, rows: list[list[Any]]) -> FakeSheet:
        sheet = FakeSheet(self, name)
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row, 1):
                if value is not None and value != "":
                    sheet.values[(r, c)] = value
        self.sheets.append(sheet)
        if self.active is None:
            self.active = sheet
        return sheet

    def delete(self, sheet: FakeSheet) -> None:
        self.sheets.remove(sheet)
        if self.active is sheet:
            self.active = self.sheets[0] if self.sheets else None

    def sheet(self, name: str) -> FakeSheet:
        return next(s for s in self.sheets if s.name == name)

    def names(self) -> list[str]:
        return [s.name for s in self.sheets]


def open_in_fake_excel(path: Path) -> FakeExcel:
    """The workbook at ``path`` as Excel would hold it: values, merged ranges, rules and notes."""
    excel = FakeExcel(path.name, str(path))
    grid = read_workbook(path)
    wb = openpyxl.load_workbook(path)
    for sheet in grid.sheets:
        fake = excel.add_sheet(sheet.name, [[None if v == "" else v for v in row] for row in sheet.rows])
        ws = wb[sheet.name]
        for rng in ws.merged_cells.ranges:
            fake.merged.append((rng.min_row, rng.min_col, rng.max_row, rng.max_col))
        ordered = sorted(((rule.priority, cf, rule) for cf in ws.conditional_formatting for rule in cf.rules),
                         key=lambda item: item[0])
        for _, cf, rule in ordered:
            cells = {cell for box in cf.sqref.ranges for cell in
                     _box_cells((box.min_row, box.min_col, box.max_row, box.max_col))}
            fill = rule.dxf.fill.bgColor.rgb if rule.dxf and rule.dxf.fill is not None else None
            font = rule.dxf.font.color.rgb if rule.dxf and rule.dxf.font is not None else None
            fake.rules.append(Rule("=" + rule.formula[0], live.rgb(fill) if fill else None,
                                   live.rgb(font) if font else None, cells))
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment is not None:
                    fake.notes[(cell.row, cell.column)] = Comment(cell.comment.text, cell.comment.author)
    return excel


def save_as_excel_would(excel: FakeExcel, path: Path) -> None:
    """The open workbook saved to ``path``: values, rules (with their colours) and notes (with authors)."""
    from openpyxl.comments import Comment as XlComment
    from openpyxl.formatting.rule import Rule as XlRule
    from openpyxl.styles import Font as XlFont
    from openpyxl.styles import PatternFill
    from openpyxl.styles.differential import DifferentialStyle

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in excel.sheets:
        ws = wb.create_sheet(sheet.name)
        for (r, c), value in sheet.values.items():
            ws.cell(r, c, sheet.formulas.get((r, c), value))
        for priority, rule in enumerate(sheet.rules, 1):
            style = DifferentialStyle(
                font=XlFont(color="FF{:02X}{:02X}{:02X}".format(*rule.font)) if rule.font else None,
                fill=PatternFill(bgColor="FF{:02X}{:02X}{:02X}".format(*rule.fill)) if rule.fill else None)
            xl_rule = XlRule(type="expression", dxf=style, formula=[rule.formula.lstrip("=")], priority=priority)
            ws.conditional_formatting.add(" ".join(_addr(c) for c in sorted(rule.cells)), xl_rule)
        for (r, c), comment in sheet.notes.items():
            ws.cell(r, c).comment = XlComment(comment.text, comment.author)
    wb.save(path)


@pytest.fixture
def xiaolou(tmp_path: Path) -> Path:
    path = tmp_path / "小楼镇2020年报.xlsx"
    corpus.write_xiaolou(path)
    return path


def _rules(excel: FakeExcel) -> dict[str, list[tuple[tuple[int, int, int] | None, tuple[int, int, int] | None,
                                                     frozenset[str]]]]:
    """Our rules per sheet, in priority order: (fill, font, cells)."""
    return {s.name: [(r.fill, r.font, frozenset(_addr(c) for c in r.cells)) for r in s.our_rules()]
            for s in excel.sheets if s.our_rules()}


def _notes(excel: FakeExcel, author: str = NOTE_AUTHOR) -> dict[tuple[str, str], str]:
    return {(s.name, _addr(c)): n.text for s in excel.sheets for c, n in s.notes.items() if n.author == author}


def _copy_marks(copy: Path) -> tuple[dict[str, list[Any]], dict[tuple[str, str], str]]:
    """The annotated copy's rules and notes, read back as :func:`_rules` and :func:`_notes` read the fake."""
    fake = open_in_fake_excel(copy)
    return _rules(fake), _notes(fake)


# --------------------------------------------------------------------------------------------
# The marks are the annotated copy's


def test_live_marks_are_the_annotated_copys_rules_cells_and_notes(xiaolou: Path, tmp_path: Path) -> None:
    from xlcheck import writer

    report = check(xiaolou)
    copy = tmp_path / "copy.xlsx"
    writer.annotate(xiaolou, copy, report)
    copy_rules, copy_notes = _copy_marks(copy)

    excel = open_in_fake_excel(xiaolou)
    live_report = live.check_active(excel.book)
    assert live_report.findings == report.findings

    assert _rules(excel) == copy_rules
    assert _notes(excel) == copy_notes
    # one rule per look on the sheet, the suspects (cells to change) first, in marks.py's colours
    sheet_rules = copy_rules["Sheet1"]
    assert [(fill, font) for fill, font, _ in sheet_rules] == [(live.rgb(SUSPECT_FILL), live.rgb(SUSPECT_FONT))] + [
        (live.rgb(FILL[s]), live.rgb(FONT[s])) for s in (Severity.ERROR, Severity.WARNING)]
    assert set(sheet_rules[0][2]) == {"D58", "J58"}
    errors = {cell for fill, _, cells in sheet_rules if fill == live.rgb(FILL[Severity.ERROR]) for cell in cells}
    # T3-ID's four cells and every cell of T3-RES's sum (D35..D57 bar the group headers), zeros
    # included; the two suspects carry the suspect rule instead
    assert errors == {f"{col}{row}" for col in "DJ" for row in (33, 34, *range(35, 44), *range(48, 60))
                      } - {"D58", "J58"}
    marks = report_marks(report)
    assert _notes(excel)[("Sheet1", "D58")].startswith("[FIX] 最可能填错：这一格填的是 0，应为 1")
    assert _notes(excel) == {(m.sheet, m.cell): m.note for m in marks}
    # no cell's own format was touched, no state sheet, no name left behind
    assert all(not s.fills and not s.names for s in excel.sheets)
    assert excel.names() == [SUMMARY_SHEET, "Sheet1"]
    # the person's name is back as Excel's user name
    assert excel.user_name == "张三"


def test_summary_sheet_is_the_copys(xiaolou: Path, tmp_path: Path) -> None:
    from xlcheck import writer

    report = check(xiaolou)
    copy = tmp_path / "copy.xlsx"
    writer.annotate(xiaolou, copy, report)
    summary = openpyxl.load_workbook(copy).worksheets[0]
    copy_rows = [list(row) for row in summary.iter_rows(values_only=True)]
    copy_links = {(c.row, c.column): "#" + c.hyperlink.location for row in summary.iter_rows() for c in row
                  if c.hyperlink is not None}

    excel = open_in_fake_excel(xiaolou)
    live.check_active(excel.book)
    live_summary = excel.sheet(SUMMARY_SHEET)
    width = len(SUMMARY_HEADER)
    rows = live_summary.rows()
    assert [r + [None] * (width - len(r)) for r in rows] == copy_rows
    assert rows[0][0] == f"{SUMMARY_MARKER}：{xiaolou.name}"
    assert rows[1][0] == verdict(report) == "未通过：发现 4 个错误、1 个警告"
    assert rows[2][0] == describe(report)
    assert [tuple(r) for r in rows[5:]] == [row.values for row in summary_rows(report.findings)]
    links = {cell: re.match(r'=HYPERLINK\("([^"]+)"', f).group(1)  # type: ignore[union-attr]
             for cell, f in live_summary.formulas.items()}
    assert links == copy_links
    assert (1, 1) in live_summary.bold and live_summary.font_colours[(2, 1)] == live.rgb(FONT[Severity.ERROR])
    assert excel.active is not None and excel.active.name == "Sheet1"


def test_a_message_starting_with_equals_stays_text(tmp_path: Path) -> None:
    excel = FakeExcel("b.xlsx", str(tmp_path / "b.xlsx"))
    excel.add_sheet("Sheet1", [["x"]])
    report = Report(str(tmp_path / "b.xlsx"), findings=[Finding("X1", Severity.ERROR, "=1+1 不对", ("Sheet1!A1",))])
    live.mark_report(excel.book, report)  # the fake refuses a string that Excel would turn into a formula
    assert excel.sheet(SUMMARY_SHEET).values[(6, 4)] == "=1+1 不对"


def test_message_box_counts_errors_and_warnings(xiaolou: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    excel = open_in_fake_excel(xiaolou)
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: excel.book))
    xlcheck.excel.check("national")
    assert len(excel.alerts) == 1
    alert = excel.alerts[0]
    assert "错误 4 个，警告 1 个" in alert["prompt"] and alert["title"] == "xlcheck" and alert["mode"] == "info"
    assert alert["screen_updating"] is True  # the box is shown with the screen back on
    assert _rules(excel)


def test_the_rule_set_the_ribbon_passes_is_the_one_that_runs(xiaolou: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    excel = open_in_fake_excel(xiaolou)
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: excel.book))
    monkeypatch.setenv("XLCHECK_RULES", "national")
    seen: list[str] = []
    real = live.check_active

    def spy(book: Any, rules: str = "national", **kwargs: Any) -> Report:
        seen.append(rules)
        return real(book, rules, **kwargs)

    monkeypatch.setattr(live, "check_active", spy)
    xlcheck.excel.check("guangdong")
    assert seen == ["guangdong"]
    xlcheck.excel.check("no-such-rules")
    assert excel.alerts[-1]["mode"] == "critical" and "规则集" in excel.alerts[-1]["prompt"]


def test_second_check_leaves_one_set_of_marks(xiaolou: Path) -> None:
    excel = open_in_fake_excel(xiaolou)
    live.check_active(excel.book)
    first = (_rules(excel), _notes(excel), excel.sheet(SUMMARY_SHEET).rows(), excel.names())
    live.check_active(excel.book)
    assert (_rules(excel), _notes(excel), excel.sheet(SUMMARY_SHEET).rows(), excel.names()) == first


def test_a_persons_own_format_note_and_fill_stay(xiaolou: Path) -> None:
    excel = open_in_fake_excel(xiaolou)
    sheet = excel.sheet("Sheet1")
    own_rule = Rule("=D33>100", (0, 176, 240), None, {_parse("D33"), _parse("D34")})
    sheet.rules.append(own_rule)
    sheet.fills[_parse("D33")] = (1, 2, 3)
    sheet.notes[_parse("J58")] = Comment("此数待核", "张三")
    sheet.notes[_parse("B2")] = Comment("备注", "李四")

    live.check_active(excel.book)
    # ours come first, so the mark shows over the person's own rule, which stays as it was
    assert sheet.rules[-1] is own_rule and sheet.rules.index(own_rule) == len(sheet.our_rules())
    assert sheet.notes[_parse("J58")] == Comment("此数待核", "张三")  # the person's note wins, as in the copy
    assert sheet.notes[_parse("J59")].text.startswith("[T3-ID]")
    assert sheet.fills == {_parse("D33"): (1, 2, 3)}

    cleared = live.clear_marks(excel.book)
    # the suspect, error and warning rules
    assert cleared.rules == 3 and cleared.notes == len(cell_marks(check(xiaolou).findings)) - 1
    assert sheet.rules == [own_rule] and sheet.fills == {_parse("D33"): (1, 2, 3)}
    assert {_addr(c): n.author for c, n in sheet.notes.items()} == {"J58": "张三", "B2": "李四"}
    assert excel.names() == ["Sheet1"]
    assert "已清除" in live.clear_message(cleared)


def test_clear_removes_an_annotated_copys_marks(xiaolou: Path, tmp_path: Path) -> None:
    """清除标记 on a copy written by the CLI, opened in Excel."""
    from xlcheck import writer

    source = tmp_path / "mine.xlsx"
    wb = openpyxl.load_workbook(xiaolou)
    from openpyxl.comments import Comment as XlComment
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import PatternFill

    wb["Sheet1"]["M3"].comment = XlComment("我的备注", "李四")
    wb["Sheet1"].conditional_formatting.add("D33:D40", FormulaRule(formula=["D33>100"],
                                                                   fill=PatternFill(bgColor="FF00B0F0")))
    wb.save(source)
    copy = tmp_path / "mine.checked.xlsx"
    writer.annotate(source, copy, check(source))

    excel = open_in_fake_excel(copy)
    assert _rules(excel) and _notes(excel) and excel.names()[0] == SUMMARY_SHEET
    cleared = live.clear_marks(excel.book)
    assert cleared.rules == 3 and cleared.summaries == 1
    assert not _rules(excel) and not _notes(excel)
    assert excel.names() == ["Sheet1"]
    sheet = excel.sheet("Sheet1")
    assert [r.formula for r in sheet.rules] == ["=D33>100"]
    assert {_addr(c): (n.text, n.author) for c, n in sheet.notes.items()} == {"M3": ("我的备注", "李四")}


def test_xlcheck_clean_removes_the_buttons_marks(xiaolou: Path, tmp_path: Path) -> None:
    """The CLI's clean on a workbook marked by the button and saved by Excel."""
    from xlcheck import writer

    excel = open_in_fake_excel(xiaolou)
    sheet = excel.sheet("Sheet1")
    sheet.rules.append(Rule("=D33>100", (0, 176, 240), None, {_parse("D33")}))
    sheet.notes[_parse("B2")] = Comment("我的备注", "李四")
    live.check_active(excel.book)
    saved = tmp_path / "saved.xlsx"
    save_as_excel_would(excel, saved)
    cleaned = tmp_path / "cleaned.xlsx"
    writer.clean(saved, cleaned)

    back = open_in_fake_excel(cleaned)
    assert back.names() == ["Sheet1"]
    assert not _rules(back) and not _notes(back)
    assert [r.formula for r in back.sheet("Sheet1").rules] == ["=D33>100"]
    assert {_addr(c): n.author for c, n in back.sheet("Sheet1").notes.items()} == {"B2": "李四"}
    # and what the button wrote, saved, is what the CLI writes
    copy = tmp_path / "copy.xlsx"
    writer.annotate(xiaolou, copy, check(xiaolou))
    assert _copy_marks(saved) == (_rules(excel), _notes(excel)) == _copy_marks(copy)


def test_first_version_marks_are_cleared(xiaolou: Path) -> None:
    """The first button filled cells and kept a hidden ``_xlcheck`` sheet of JSON; clearing undoes it."""
    excel = open_in_fake_excel(xiaolou)
    sheet = excel.sheet("Sheet1")
    sheet.fills[_parse("D33")] = (255, 199, 206)  # set by the old button over no fill
    sheet.fills[_parse("D34")] = (255, 199, 206)  # over the person's blue
    sheet.fills[_parse("D35")] = (9, 9, 9)  # recoloured by hand since
    sheet.notes[_parse("D33")] = Comment("[T3-ID] 错误：旧", "张三")
    state = excel.add_sheet(live.LEGACY_STATE_SHEET, [
        ['{"xlcheck": 1, "summary": null}'],
        ['{"sheet": "Sheet1", "cell": "D33", "original": null, "fill": "#ffc7ce", "note": "[T3-ID] 错误：旧"}'],
        ['{"sheet": "Sheet1", "cell": "D34", "original": "#0000ff", "fill": "#ffc7ce", "note": null}'],
        ['{"sheet": "Sheet1", "cell": "D35", "original": null, "fill": "#ffc7ce", "note": null}'],
    ])
    state.visible = False
    cleared = live.clear_marks(excel.book)
    assert cleared.legacy_fills == 2 and cleared.notes == 1
    assert sheet.fills == {_parse("D34"): (0, 0, 255), _parse("D35"): (9, 9, 9)}
    assert excel.names() == ["Sheet1"] and not sheet.notes


# --------------------------------------------------------------------------------------------
# Batched calls, screen updating, note authors on every path


def _many_marks(excel: FakeExcel, count: int) -> Report:
    """A report with ``count`` marked cells on Sheet1 (columns C..J of a table), errors and warnings."""
    cells = [f"Sheet1!{_addr((r, c))}" for c in range(3, 11) for r in range(10, 10 + count // 8)][:count]
    findings = [Finding("T3-ID" if i % 3 else "T3-RES", Severity.ERROR if i % 4 else Severity.WARNING,
                        f"第 {i} 处", (ref,)) for i, ref in enumerate(cells)]
    return Report(excel.fullname, format="2019", year=2020, findings=findings)


@pytest.mark.parametrize("native", [False, True], ids=["xlwings-notes", "windows-notes"])
def test_a_200_mark_report_costs_a_bounded_number_of_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           native: bool) -> None:
    monkeypatch.setattr(live, "_NATIVE_NOTES", native)
    excel = FakeExcel("big.xlsx", str(tmp_path / "big.xlsx"))
    sheet = excel.add_sheet("Sheet1", [[f"r{r}c{c}" for c in range(12)] for r in range(40)])
    sheet.merged.append((1, 1, 2, 12))  # a merged title, as report tables have
    report = _many_marks(excel, 200)
    assert len(cell_marks(report.findings)) == 200

    excel.calls = 0
    live.mark_report(excel.book, report)
    marking = excel.calls
    notes = len(_notes(excel))
    assert notes == 200
    # Bound: 60 calls per marked sheet (Sheet1 and the summary) plus, per note, one to reach the
    # cell and one AddComment on Windows, or six inside xlwings' add_note elsewhere (Excel has no
    # call that adds many notes). The first version made over 15 calls per mark.
    per_note = 2 if native else 7
    assert marking <= 60 * 2 + per_note * notes, marking
    assert len(sheet.our_rules()) == 2  # one per severity, over unions longer than Range() takes

    excel.calls = 0
    cleared = live.clear_marks(excel.book)
    # clearing fetches each rule and note, reads its formula or author and deletes ours: 3 calls a note
    assert cleared.notes == 200 and excel.calls <= 60 * 2 + 3 * notes, excel.calls
    assert not sheet.rules and not sheet.notes and excel.names() == ["Sheet1"]


def test_merged_cells_are_looked_up_only_where_there_are_some(xiaolou: Path) -> None:
    excel = FakeExcel("m.xlsx", "/tmp/m.xlsx")
    sheet = excel.add_sheet("Sheet1", [["x"] * 6 for _ in range(30)])
    sheet.merged += [(20, 2, 21, 3)]  # B20:C21
    report = Report("/tmp/m.xlsx", findings=[
        Finding("A", Severity.ERROR, "a", tuple(f"Sheet1!D{r}" for r in range(1, 15))),
        Finding("B", Severity.WARNING, "b", ("Sheet1!C21", "Sheet1!B20")),
    ])
    live.mark_report(excel.book, report)
    warning = next(cells for fill, _, cells in _rules(excel)["Sheet1"] if fill == live.rgb(FILL[Severity.WARNING]))
    assert warning == {"B20"}  # inside a merged area: its top-left cell, as in the copy
    assert sheet.notes[_parse("B20")].text == "[B] 警告：b"


def test_screen_updating_and_user_name_are_restored_when_excel_refuses(xiaolou: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    excel = open_in_fake_excel(xiaolou)
    excel.sheet("Sheet1").protected = True
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: excel.book))
    xlcheck.excel.check("national")
    alert = excel.alerts[-1]
    assert alert["mode"] == "critical" and "撤销保护" in alert["prompt"]
    assert excel.screen_updating is True and excel.user_name == "张三"
    assert alert["screen_updating"] is True

    excel.screen_updating = False  # a person's macro had it off: it stays as it was
    excel.sheet("Sheet1").protected = False
    live.check_active(excel.book)
    assert excel.screen_updating is False


def test_screen_updating_is_off_while_marking(xiaolou: Path) -> None:
    excel = open_in_fake_excel(xiaolou)
    states: list[bool] = []
    sheet = excel.sheet("Sheet1")
    real = sheet._new_range

    def watching(boxes: Any, ndim: Any) -> Any:
        states.append(excel.screen_updating)
        return real(boxes, ndim)

    sheet._new_range = watching  # type: ignore[method-assign]
    live.check_active(excel.book)
    assert states and not any(states)
    assert excel.screen_updating is True


# --------------------------------------------------------------------------------------------
# Messages and odd workbooks


def test_not_a_report_gets_a_message_and_no_marks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "名单.xlsx"
    corpus.write_not_a_report(path)
    excel = open_in_fake_excel(path)
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: excel.book))
    live.run_check()
    assert excel.alerts and excel.alerts[0]["mode"] == "critical" and "无法校验" in excel.alerts[0]["prompt"]
    assert excel.names() == [s.name for s in read_workbook(path).sheets]
    assert not _rules(excel) and not _notes(excel)


def test_run_clear_says_what_it_removed(xiaolou: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    excel = open_in_fake_excel(xiaolou)
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: excel.book))
    live.check_active(excel.book)
    xlcheck.excel.clear()
    assert excel.names() == ["Sheet1"] and not _rules(excel) and not _notes(excel)
    notes = len(cell_marks(check(xiaolou).findings))
    assert excel.alerts[-1]["prompt"].startswith(f"已清除 xlcheck 的标记：3 条条件格式规则、{notes} 条批注")
    xlcheck.excel.clear()
    assert excel.alerts[-1]["prompt"] == "这个工作簿中没有 xlcheck 的标记。"


def test_unsaved_and_xls_workbooks_are_told_what_to_expect(xiaolou: Path) -> None:
    report = check(xiaolou)
    assert "还没有保存" in live.message(report, "工作簿1")
    assert "兼容模式" in live.message(report, r"D:\年报\小楼镇.xls")
    assert "还没有保存" not in live.message(report, r"D:\年报\小楼镇.xlsx")
    assert "兼容模式" not in live.message(report, r"D:\年报\小楼镇.xlsx")


def test_single_cell_and_single_row_sheets_read_as_grids() -> None:
    excel = FakeExcel("b.xlsx", "/tmp/b.xlsx")
    excel.add_sheet("one", [["x"]])
    excel.add_sheet("row", [["a", "b", "c"]])
    excel.add_sheet("col", [["a"], ["b"]])
    excel.add_sheet("empty", [])
    book = live.read_book(excel.book)
    assert [(s.name, s.rows) for s in book.sheets] == [
        ("one", [["x"]]), ("row", [["a", "b", "c"]]), ("col", [["a"], ["b"]]), ("empty", [[None]])]


def test_xlwings_is_imported_by_the_live_module_only() -> None:
    root = Path(live.__file__).resolve().parents[1]
    importers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                       if re.search(r"^\s*(import|from)\s+xlwings\b", p.read_text(encoding="utf-8"), re.M))
    assert importers == ["excel/live.py"]
    # and only inside functions: importing them does not import xlwings
    code = ("import sys; import xlcheck, xlcheck.excel, xlcheck.excel.live, xlcheck.excel.commands, "
            "xlcheck.excel.addin; print('xlwings' in sys.modules)")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_staff_pages_smoke_test_expects_what_the_button_does() -> None:
    """docs/excel.zh.md's smoke test names cells and counts; they must be what the sample gives."""
    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "excel.zh.md").read_text(encoding="utf-8")
    sample = root / "examples" / "xiaolou-2020.xlsx"
    excel = open_in_fake_excel(sample)
    report = live.check_active(excel.book)
    assert f"“{verdict(report)}”" in page
    # the message box names the cells to change, and the page says so
    fix = live.message(report, str(sample)).split("\n")[2]
    assert fix.startswith("最可能填错：Sheet1!D58") and f"“{fix}”" in page
    step3 = re.search(r"Sheet1 中 (\S+) 为鲜红底、白字（[^）]*），(\S+) 为浅红底、深红字，(\S+) 为浅黄底", page)
    assert step3 is not None

    def expand(text: str) -> set[str]:
        return {_addr(c) for part in text.split("、") for c in _box_cells(_part(part))}

    by_fill = {fill: cells for fill, _, cells in _rules(excel)["Sheet1"]}
    assert expand(step3.group(1)) == by_fill[live.rgb(SUSPECT_FILL)]
    assert expand(step3.group(2)) == by_fill[live.rgb(FILL[Severity.ERROR])]
    assert expand(step3.group(3)) == by_fill[live.rgb(FILL[Severity.WARNING])]
    cleared = live.clear_marks(excel.book)
    assert f"“{live.clear_message(cleared).split('。')[0][:40]}" in page
