"""The live path (the Excel button) driven against xlwings' real classes, without Excel.

Every xlwings object is ``create_autospec(..., instance=True, spec_set=True)`` of the real class, so
a misspelt attribute, a property that does not exist or a call with the wrong arguments fails
here. The autospecs are backed by dicts (values, fills, notes, links per sheet): a small "workbook
open in Excel" built from the real sample township report.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import openpyxl
import pytest

xw = pytest.importorskip("xlwings")
from xlwings.main import App, Font, Note, Sheets  # noqa: E402

from xlcheck.check import check  # noqa: E402
from xlcheck.excel import live  # noqa: E402
from xlcheck.findings import Severity  # noqa: E402
from xlcheck.marks import (  # noqa: E402
    FILL,
    FONT,
    SUMMARY_HEADER,
    SUMMARY_MARKER,
    SUMMARY_SHEET,
    cell_marks,
    describe,
    summary_rows,
    verdict,
)
from xlcheck.reader import read_workbook  # noqa: E402

try:  # tests/ as a package, or tests/ itself on sys.path (pytest's rootdir-less "prepend" mode)
    from tests import corpus
except ImportError:
    import corpus  # type: ignore[no-redef]

Cell = tuple[int, int]


def _spec(cls: type) -> Any:
    return mock.create_autospec(cls, instance=True, spec_set=True)


def _prop(obj: Any, name: str, getter: Any, setter: Any = None) -> None:
    """Back a property of an autospec mock with functions (each autospec has its own class)."""

    def side_effect(*args: Any) -> Any:
        if args:
            if setter is None:
                raise AttributeError(f"{name} is read-only")
            return setter(args[0])
        return getter()

    setattr(type(obj), name, mock.PropertyMock(side_effect=side_effect))


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


class FakeSheet:
    def __init__(self, excel: FakeExcel, name: str):
        self.excel = excel
        self.name = name
        self.values: dict[Cell, Any] = {}
        self.fills: dict[Cell, tuple[int, int, int]] = {}
        self.notes: dict[Cell, str] = {}
        self.links: dict[Cell, tuple[str, str, str]] = {}
        self.bold: set[Cell] = set()
        self.font_colours: dict[Cell, tuple[int, int, int]] = {}
        self.widths: dict[int, float] = {}
        self.merged: list[tuple[int, int, int, int]] = []
        self.visible = True
        self._ranges: dict[tuple[int, int, int, int, int | None], Any] = {}
        self.mock = self._build()

    def _build(self) -> Any:
        sheet = _spec(xw.Sheet)
        _prop(sheet, "name", lambda: self.name)
        _prop(sheet, "used_range", self._used_range)
        _prop(sheet, "visible", lambda: self.visible, lambda v: setattr(self, "visible", bool(v)))
        _prop(sheet, "book", lambda: self.excel.book)
        api = types.SimpleNamespace(Visible=None)
        _prop(sheet, "api", lambda: api)
        self.api = api
        sheet.range.side_effect = self._range
        sheet.delete.side_effect = lambda: self.excel.delete(self)
        sheet.activate.side_effect = lambda: setattr(self.excel, "active", self)
        return sheet

    def _used_range(self) -> Any:
        cells = set(self.values) | set(self.fills) | set(self.notes)
        if not cells:
            return self.make_range(1, 1, 1, 1)
        return self.make_range(1, 1, max(r for r, _ in cells), max(c for _, c in cells))

    def _range(self, cell1: Any, cell2: Any = None) -> Any:
        def point(x: Any) -> Cell:
            return _parse(x) if isinstance(x, str) else (int(x[0]), int(x[1]))

        if isinstance(cell1, str) and ":" in cell1:
            a, b = cell1.split(":")
            (r1, c1), (r2, c2) = point(a), point(b)
        else:
            r1, c1 = point(cell1)
            r2, c2 = point(cell2) if cell2 is not None else (r1, c1)
        return self.make_range(min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))

    def cells(self, r1: int, c1: int, r2: int, c2: int) -> Iterator[Cell]:
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                yield r, c

    def make_range(self, r1: int, c1: int, r2: int, c2: int, ndim: int | None = None) -> Any:
        key = (r1, c1, r2, c2, ndim)
        if key not in self._ranges:  # autospec of Range is slow; the mocks keep no state of their own
            self._ranges[key] = self._new_range(r1, c1, r2, c2, ndim)
        return self._ranges[key]

    def _new_range(self, r1: int, c1: int, r2: int, c2: int, ndim: int | None) -> Any:
        rng = _spec(xw.Range)
        single = (r1, c1) == (r2, c2)

        def get_value() -> Any:
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
            rows = value if isinstance(value, list) and value and isinstance(value[0], list) else (
                [value] if isinstance(value, list) else [[value]])
            for i, row in enumerate(rows):
                for j, v in enumerate(row):
                    if v is None or v == "":
                        self.values.pop((r1 + i, c1 + j), None)
                    else:
                        self.values[(r1 + i, c1 + j)] = v

        def set_colour(colour: Any) -> None:
            for cell in self.cells(r1, c1, r2, c2):
                if colour is None:
                    self.fills.pop(cell, None)
                else:
                    assert isinstance(colour, tuple) and len(colour) == 3
                    self.fills[cell] = colour

        def get_note() -> Any:
            assert single
            return self.note((r1, c1)) if (r1, c1) in self.notes else None

        def add_note(text: str) -> Any:
            assert single and (r1, c1) not in self.notes, "xlwings refuses a second note on a cell"
            assert isinstance(text, str) and text
            self.notes[(r1, c1)] = text
            return self.note((r1, c1))

        def add_hyperlink(address: str, text_to_display: str | None = None, screen_tip: str | None = None) -> None:
            assert single
            self.links[(r1, c1)] = (address, text_to_display or address, screen_tip or "")

        def merge_area() -> Any:
            for a, b, c, d in self.merged:
                if a <= r1 <= c and b <= c1 <= d:
                    return self.make_range(a, b, c, d)
            return rng

        def width(value: float) -> None:
            for c in range(c1, c2 + 1):
                self.widths[c] = value

        _prop(rng, "value", get_value, set_value)
        _prop(rng, "color", lambda: self.fills.get((r1, c1)), set_colour)
        _prop(rng, "note", get_note)
        _prop(rng, "row", lambda: r1)
        _prop(rng, "column", lambda: c1)
        _prop(rng, "last_cell", lambda: self.make_range(r2, c2, r2, c2, ndim))
        _prop(rng, "merge_area", merge_area)
        _prop(rng, "font", lambda: self.font(r1, c1, r2, c2))
        _prop(rng, "column_width", lambda: self.widths.get(c1), width)
        _prop(rng, "sheet", lambda: self.mock)
        rng.add_note.side_effect = add_note
        rng.add_hyperlink.side_effect = add_hyperlink
        rng.options.side_effect = lambda convert=None, **options: self.make_range(
            r1, c1, r2, c2, options.get("ndim", ndim))
        return rng

    def note(self, cell: Cell) -> Any:
        note = _spec(Note)

        def set_text(value: str) -> None:
            self.notes[cell] = value

        _prop(note, "text", lambda: self.notes[cell], set_text)
        note.delete.side_effect = lambda: self.notes.pop(cell)
        return note

    def font(self, r1: int, c1: int, r2: int, c2: int) -> Any:
        font = _spec(Font)

        def bold(value: bool) -> None:
            for cell in self.cells(r1, c1, r2, c2):
                (self.bold.add if value else self.bold.discard)(cell)

        def colour(value: tuple[int, int, int]) -> None:
            for cell in self.cells(r1, c1, r2, c2):
                self.font_colours[cell] = value

        _prop(font, "bold", lambda: (r1, c1) in self.bold, bold)
        _prop(font, "color", lambda: self.font_colours.get((r1, c1)), colour)
        return font

    def rows(self) -> list[list[Any]]:
        """Values as a grid from A1, like the summary sheet read back."""
        if not self.values:
            return []
        height = max(r for r, _ in self.values)
        width = max(c for _, c in self.values)
        return [[self.values.get((r, c)) for c in range(1, width + 1)] for r in range(1, height + 1)]


class FakeExcel:
    """One workbook open in Excel, as xlwings would show it."""

    def __init__(self, name: str, fullname: str, startup_path: str = ""):
        self.name = name
        self.fullname = fullname
        self.startup_path = startup_path
        self.sheets: list[FakeSheet] = []
        self.alerts: list[dict[str, Any]] = []
        self.active: FakeSheet | None = None
        self.book = _spec(xw.Book)
        _prop(self.book, "name", lambda: self.name)
        _prop(self.book, "fullname", lambda: self.fullname)
        _prop(self.book, "sheets", lambda: self.sheets_mock)
        _prop(self.book, "app", lambda: self.app)
        self.sheets_mock = self._sheets()
        self.app = _spec(App)
        _prop(self.app, "startup_path", lambda: self.startup_path)

        def alert(prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
                  callback: str | None = None) -> str:
            self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
            return "ok"

        self.app.alert.side_effect = alert

    def _sheets(self) -> Any:
        sheets = _spec(Sheets)
        sheets.__iter__.side_effect = lambda: iter([s.mock for s in self.sheets])
        sheets.__len__.side_effect = lambda: len(self.sheets)

        def getitem(key: int | str) -> Any:
            if isinstance(key, int):
                return self.sheets[key].mock
            for s in self.sheets:
                if s.name.casefold() == key.casefold():
                    return s.mock
            raise KeyError(key)

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

        sheets.__getitem__.side_effect = getitem
        sheets.add.side_effect = add
        _prop(sheets, "active", lambda: self.active.mock if self.active else None)
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
    """The workbook at ``path`` as Excel would hold it: values (None for empty) and merged ranges."""
    excel = FakeExcel(path.name, str(path))
    grid = read_workbook(path)
    merged = openpyxl.load_workbook(path)
    for sheet in grid.sheets:
        fake = excel.add_sheet(sheet.name, [[None if v == "" else v for v in row] for row in sheet.rows])
        for rng in merged[sheet.name].merged_cells.ranges:
            fake.merged.append((rng.min_row, rng.min_col, rng.max_row, rng.max_col))
    return excel


@pytest.fixture
def xiaolou(tmp_path: Path) -> Path:
    path = tmp_path / "小楼镇2020年报.xlsx"
    corpus.write_xiaolou(path)
    return path


def _marked(excel: FakeExcel) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {(s.name, _addr(c)): colour for s in excel.sheets if not s.name.startswith(("_", SUMMARY_SHEET))
            for c, colour in s.fills.items()}


def _notes(excel: FakeExcel) -> dict[tuple[str, str], str]:
    return {(s.name, _addr(c)): text for s in excel.sheets if not s.name.startswith(("_", SUMMARY_SHEET))
            for c, text in s.notes.items()}


# --------------------------------------------------------------------------------------------


# T3-ID's four cells and every cell of T3-RES's sum (D35..D57 bar the group headers), zeros included
EXPECTED_ERROR_CELLS = {f"{col}{row}" for col in "DJ" for row in (33, 34, *range(35, 44), *range(48, 60))}


def test_check_active_marks_the_known_errors(xiaolou: Path) -> None:
    excel = open_in_fake_excel(xiaolou)
    report = live.check_active(excel.book)

    assert report.error is None and report.format == "2019" and report.year == 2020
    errors = {cell for (_, cell), colour in _marked(excel).items() if colour == live.rgb(FILL[Severity.ERROR])}
    assert errors == EXPECTED_ERROR_CELLS
    # the same findings as checking the file
    assert report.findings == check(xiaolou).findings
    # exactly the cells marks.py marks, in its colours, with its notes
    marks = cell_marks(report.findings)
    assert _marked(excel) == {(m.sheet, m.cell): live.rgb(FILL[m.severity]) for m in marks}
    assert _notes(excel) == {(m.sheet, m.cell): m.note for m in marks}
    assert {note.split("]")[0] for note in _notes(excel).values()} >= {"[T3-ID", "[T3-RES"}


def test_summary_sheet_is_first_and_lists_every_finding(xiaolou: Path) -> None:
    excel = open_in_fake_excel(xiaolou)
    report = live.check_active(excel.book)

    assert excel.names()[0] == SUMMARY_SHEET
    summary = excel.sheet(SUMMARY_SHEET)
    rows = summary.rows()
    assert rows[0][0] == f"{SUMMARY_MARKER}：{xiaolou.name}"
    assert rows[1][0] == verdict(report) == "未通过：发现 4 个错误、1 个警告"
    assert rows[2][0] == describe(report)
    assert tuple(rows[4]) == SUMMARY_HEADER
    expected = summary_rows(report.findings)
    assert [tuple(r) for r in rows[5:]] == [row.values for row in expected]
    for index, row in enumerate(expected, 6):
        assert row.link is not None
        address, text, _tip = summary.links[(index, len(SUMMARY_HEADER))]
        assert address == f"#'{row.link[0]}'!{row.link[1]}"
        assert text == row.values[-1]
    assert (1, 1) in summary.bold and summary.font_colours[(2, 1)] == live.rgb(FONT[Severity.ERROR])
    # the person's sheet stays in front; the record is hidden
    assert excel.active is not None and excel.active.name == "Sheet1"
    state = excel.sheet(live.STATE_SHEET)
    assert state.visible is False


def test_message_box_counts_errors_and_warnings(xiaolou: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    excel = open_in_fake_excel(xiaolou)
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: excel.book))
    monkeypatch.delenv("XLCHECK_RULES", raising=False)
    live.run_check()

    assert len(excel.alerts) == 1
    alert = excel.alerts[0]
    assert "错误 4 个，警告 1 个" in alert["prompt"] and alert["title"] == "xlcheck" and alert["mode"] == "info"
    assert _marked(excel)


def test_second_check_leaves_one_set_of_marks(xiaolou: Path) -> None:
    excel = open_in_fake_excel(xiaolou)
    live.check_active(excel.book)
    first = (_marked(excel), _notes(excel), excel.sheet(SUMMARY_SHEET).rows(), excel.names())
    live.check_active(excel.book)
    assert (_marked(excel), _notes(excel), excel.sheet(SUMMARY_SHEET).rows(), excel.names()) == first


def test_clear_restores_fills_and_keeps_a_persons_note(xiaolou: Path) -> None:
    excel = open_in_fake_excel(xiaolou)
    sheet = excel.sheet("Sheet1")
    own_fill = (0, 176, 240)
    sheet.fills[_parse("D33")] = own_fill  # a person's own colour on a cell xlcheck will mark
    sheet.fills[_parse("A1")] = (255, 255, 0)  # and on a cell it will not
    sheet.notes[_parse("J58")] = "张三：此数待核"  # a person's note on a marked cell
    sheet.notes[_parse("B2")] = "李四：备注"  # and on another cell
    before_fills, before_notes = dict(sheet.fills), dict(sheet.notes)

    live.check_active(excel.book)
    assert sheet.fills[_parse("D33")] == live.rgb(FILL[Severity.ERROR])
    assert sheet.notes[_parse("J58")] == "张三：此数待核"  # the person's note wins, as in the copy
    assert sheet.notes[_parse("J59")].startswith("[T3-ID]")

    restored = live.clear_marks(excel.book)
    assert restored == len(cell_marks(check(xiaolou).findings))
    assert sheet.fills == before_fills
    assert sheet.notes == before_notes
    assert excel.names() == ["Sheet1"]


def test_clear_keeps_what_a_person_changed_after_the_check(xiaolou: Path) -> None:
    excel = open_in_fake_excel(xiaolou)
    sheet = excel.sheet("Sheet1")
    live.check_active(excel.book)
    sheet.fills[_parse("D34")] = (1, 2, 3)  # recoloured by hand after the check
    sheet.notes[_parse("D35")] += "\n已核实"  # our note, edited by a person
    live.clear_marks(excel.book)
    assert sheet.fills == {_parse("D34"): (1, 2, 3)}
    assert list(sheet.notes) == [_parse("D35")]


def test_clear_works_from_the_record_after_reopening(xiaolou: Path) -> None:
    """The record lives in the workbook: a new session (new objects) can still clear exactly."""
    excel = open_in_fake_excel(xiaolou)
    excel.sheet("Sheet1").fills[_parse("J35")] = (10, 20, 30)
    live.check_active(excel.book)
    reopened = FakeExcel(excel.name, excel.fullname)
    for old in excel.sheets:
        new = reopened.add_sheet(old.name, [])
        new.values, new.fills, new.notes, new.links = dict(old.values), dict(old.fills), dict(old.notes), old.links
        new.visible = old.visible
    live.clear_marks(reopened.book)
    assert reopened.names() == ["Sheet1"]
    assert reopened.sheet("Sheet1").fills == {_parse("J35"): (10, 20, 30)}
    assert reopened.sheet("Sheet1").notes == {}


def test_a_persons_summary_named_sheet_is_left_alone(xiaolou: Path) -> None:
    excel = open_in_fake_excel(xiaolou)
    excel.add_sheet(SUMMARY_SHEET, [["我自己的汇总"]])
    live.check_active(excel.book)
    assert excel.names()[0] == f"{SUMMARY_SHEET}(2)"
    live.clear_marks(excel.book)
    assert excel.names() == ["Sheet1", SUMMARY_SHEET]


def test_not_a_report_gets_a_message_and_no_marks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "名单.xlsx"
    corpus.write_not_a_report(path)
    excel = open_in_fake_excel(path)
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: excel.book))
    live.run_check()
    assert excel.alerts and excel.alerts[0]["mode"] == "critical" and "无法校验" in excel.alerts[0]["prompt"]
    assert excel.names() == [s.name for s in read_workbook(path).sheets]
    assert not _marked(excel) and not _notes(excel)


def test_run_clear_and_errors_become_message_boxes(xiaolou: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    excel = open_in_fake_excel(xiaolou)
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: excel.book))
    live.check_active(excel.book)
    live.run_clear()
    assert excel.names() == ["Sheet1"] and not _marked(excel)
    assert "已清除" in excel.alerts[-1]["prompt"]

    monkeypatch.setenv("XLCHECK_RULES", "no-such-rules")
    live.run_check()  # must not raise into Excel
    assert excel.alerts[-1]["mode"] == "critical" and "规则集" in excel.alerts[-1]["prompt"]
    assert excel.names() == ["Sheet1"]


def test_single_cell_and_single_row_sheets_read_as_grids() -> None:
    excel = FakeExcel("b.xlsx", "/tmp/b.xlsx")
    excel.add_sheet("one", [["x"]])
    excel.add_sheet("row", [["a", "b", "c"]])
    excel.add_sheet("col", [["a"], ["b"]])
    excel.add_sheet("empty", [])
    book = live.read_book(excel.book)
    assert [(s.name, s.rows) for s in book.sheets] == [
        ("one", [["x"]]), ("row", [["a", "b", "c"]]), ("col", [["a"], ["b"]]), ("empty", [[None]])]


def test_rules_setting_reads_the_installed_addin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from xlcheck.excel.addin import build_addin

    monkeypatch.delenv("XLCHECK_RULES", raising=False)
    excel = FakeExcel("b.xlsx", "/tmp/b.xlsx", startup_path=str(tmp_path))
    assert live.rules_setting(excel.book) == "national"
    build_addin(tmp_path, rules="guangdong")
    assert live.rules_setting(excel.book) == "guangdong"
    monkeypatch.setenv("XLCHECK_RULES", "national")
    assert live.rules_setting(excel.book) == "national"


def test_live_marks_match_the_annotated_copy(xiaolou: Path, tmp_path: Path) -> None:
    """Cell for cell: the same marked cells and colours, notes and summary rows as the CLI copy."""
    writer = pytest.importorskip("xlcheck.writer")
    report = check(xiaolou)
    copy = tmp_path / "copy.xlsx"
    writer.annotate(xiaolou, copy, report)
    wb = openpyxl.load_workbook(copy)

    copy_fills: dict[tuple[str, str], tuple[int, int, int]] = {}
    copy_notes: dict[tuple[str, str], str] = {}
    for ws in wb.worksheets[1:]:
        for cf in ws.conditional_formatting:
            for rule in cf.rules:
                if rule.formula == [writer.MARK_FORMULA]:
                    colour = live.rgb(rule.dxf.fill.bgColor.rgb)
                    for rng in cf.sqref.ranges:
                        for row in ws.iter_rows(min_row=rng.min_row, max_row=rng.max_row,
                                                min_col=rng.min_col, max_col=rng.max_col):
                            for cell in row:
                                copy_fills[(ws.title, cell.coordinate)] = colour
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment is not None:
                    copy_notes[(ws.title, cell.coordinate)] = cell.comment.text
    summary = wb.worksheets[0]
    copy_rows = [[v for v in row] for row in summary.iter_rows(values_only=True)]
    copy_links = {(c.row, c.column): c.hyperlink.location for row in summary.iter_rows() for c in row
                  if c.hyperlink is not None}

    excel = open_in_fake_excel(xiaolou)
    live.check_active(excel.book)
    live_summary = excel.sheet(SUMMARY_SHEET)

    assert summary.title == excel.names()[0] == SUMMARY_SHEET
    assert _marked(excel) == copy_fills
    assert _notes(excel) == copy_notes
    width = len(SUMMARY_HEADER)
    assert [r + [None] * (width - len(r)) for r in live_summary.rows()] == copy_rows
    assert {cell: address.lstrip("#") for cell, (address, _, _) in live_summary.links.items()} == copy_links


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
