"""Writing the blank standard workbook of a layout: merged headers, borders, labels verbatim, value
cells unlocked, marked and validated, the rest of the sheet protected so labels stay as issued."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .layout import Block, Layout, Table
from .output import width as display_width
from .rules import LabeledField

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

SHEET_TITLE = "年度报告"
UNIT_LABEL = "填报单位"
YEAR_LABEL = "报告年度"
#: fill of the cells a person fills in
INPUT_FILL = "FFFFF2CC"
WIDTHS = {"A": 16, "B": 16, "C": 40}
VALUE_WIDTH = 11
ROW_HEIGHT = 15


def _width(col: int) -> float:
    return WIDTHS.get("ABC"[col - 1], VALUE_WIDTH) if col <= 3 else VALUE_WIDTH
_T3_LABEL_COLS = 3


class _Writer:
    def __init__(self, ws: Worksheet, layout: Layout) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

        self.ws = ws
        thin = Side(style="thin")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.left = Alignment(horizontal="left", vertical="center", wrap_text=True)
        self.bold = Font(bold=True)
        self.input_fill = PatternFill("solid", fgColor=INPUT_FILL)
        self.unlocked = Protection(locked=False)
        self.validations: dict[str, object] = {}
        #: field key -> cell, for filling the template in code (``xlcheck.testing``)
        self.cells: dict[str, str] = {}
        self.kinds = {key: f.kind for key, f in layout.fields.items()}

    def label(self, row: int, col: int, text: str, *, to_row: int | None = None, to_col: int | None = None,
              align_left: bool = False, bold: bool = False) -> None:
        cell = self.ws.cell(row, col, text)
        cell.alignment = self.left if align_left else self.center
        if bold:
            cell.font = self.bold
        self._box(row, col, to_row or row, to_col or col)
        if to_row is None:
            self._fit_height(row, text, sum(_width(c) for c in range(col, (to_col or col) + 1)))

    def _fit_height(self, row: int, text: str, columns: float) -> None:
        """Make a wrapped label's row tall enough to show it: nothing grows rows when a file opens."""
        lines = -(-display_width(text) // max(1, int(columns) - 1))
        if lines > 1:
            current = self.ws.row_dimensions[row].height or ROW_HEIGHT
            self.ws.row_dimensions[row].height = max(current, ROW_HEIGHT * lines)

    def value(self, row: int, col: int, key: str, *, to_col: int | None = None, kind: str | None = None) -> None:
        """A cell a person fills in: field ``key``'s cell, validated by its kind (text when it has none)."""
        kind = kind or self.kinds.get(key)
        cell = self.ws.cell(row, col)
        self.cells[key] = f"{self.ws.title}!{cell.coordinate}"
        cell.fill = self.input_fill
        cell.protection = self.unlocked
        cell.alignment = self.center
        self._box(row, col, row, to_col or col)
        if kind is None:
            cell.number_format = "@"
        else:
            self._validation(kind).add(cell.coordinate)  # type: ignore[attr-defined]

    def _box(self, row: int, col: int, to_row: int, to_col: int) -> None:
        for r in range(row, to_row + 1):
            for c in range(col, to_col + 1):
                self.ws.cell(r, c).border = self.border
        if (to_row, to_col) != (row, col):
            self.ws.merge_cells(start_row=row, start_column=col, end_row=to_row, end_column=to_col)

    def choices(self, row: int, col: int, options: Sequence[str]) -> None:
        """A drop-down list on one cell."""
        from openpyxl.worksheet.datavalidation import DataValidation

        dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle="请从列表中选择", error="请从下拉列表中选择一项")
        self.ws.add_data_validation(dv)
        dv.add(self.ws.cell(row, col).coordinate)

    def _validation(self, kind: str) -> object:
        from openpyxl.worksheet.datavalidation import DataValidation

        if kind not in self.validations:
            rule = {"count": ("whole", "greaterThanOrEqual", "0", "请填写不小于 0 的整数，没有请填 0"),
                    "signed": ("whole", "between", "-1000000000", "请填写整数（可为负数）"),
                    "amount": ("decimal", "greaterThanOrEqual", "0", "请填写不小于 0 的数字")}[kind]
            dv = DataValidation(type=rule[0], operator=rule[1], formula1=rule[2],
                                formula2="1000000000" if rule[1] == "between" else None,
                                allow_blank=True, showErrorMessage=True, errorTitle="数据格式",
                                error=rule[3])
            self.ws.add_data_validation(dv)
            self.validations[kind] = dv
        return self.validations[kind]


def build_template(layout: Layout, path: str | os.PathLike[str], fields: Sequence[LabeledField] = ()
                   ) -> dict[str, str]:
    """Write the blank standard workbook of ``layout`` to ``path``, with a cover block for ``fields``
    (the cover fields a rule set reads). Returns field key -> ``Sheet!A1`` of every value cell
    (``cover.<key>`` for cover fields, ``year`` for the report year)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_TITLE
    w = _Writer(ws, layout)
    width = 3 + len(layout.table("t3").blocks[0].columns)
    width = max(width, len(layout.table("t4").blocks[0].columns))
    w.label(1, 1, "政府信息公开工作年度报告", to_col=width, bold=True)
    ws.cell(1, 1).font = Font(size=16, bold=True)
    w.label(2, 1, UNIT_LABEL)
    w.value(2, 2, "cover.unit_name", to_col=3)
    w.label(2, 4, YEAR_LABEL, to_col=5)
    w.value(2, 6, "year", kind="count")
    row = 3
    for fld in fields:
        if fld.label == UNIT_LABEL:
            continue
        w.label(row, 1, fld.label)
        w.value(row, 2, f"cover.{fld.key}", to_col=3)
        if fld.choices:
            w.choices(row, 2, fld.choices)
        if fld.hint:
            ws.cell(row, 4, fld.hint).font = Font(color="FF808080", size=9)
        row += 1
    row += 1
    for table in layout.tables:
        ws.cell(row, 1, table.title).font = w.bold
        row += 1
        row = _TABLES[table.key](w, table, row) + 1
    for letter, size in WIDTHS.items():
        ws.column_dimensions[letter].width = size
    from openpyxl.utils import get_column_letter

    for col in range(4, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = VALUE_WIDTH
    # printed on A4 landscape, one page wide, as the tables are published
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.freeze_panes = None
    wb.properties.creator = "xlcheck"
    wb.save(os.fspath(path))
    return w.cells


def _table2(w: _Writer, table: Table, row: int) -> int:
    for block in table.blocks:
        row = _t2_block(w, block, row) + 1
    return row


def _t2_block(w: _Writer, block: Block, row: int) -> int:
    span = 4
    w.label(row, 1, block.heading, to_col=span, align_left=True, bold=True)
    row += 1
    w.label(row, 1, block.label_header)
    if block.merged_value:
        w.label(row, 2, block.columns[0].label, to_col=span)
    else:
        for i, column in enumerate(block.columns):
            w.label(row, 2 + i, column.label, to_col=span if i == len(block.columns) - 1 else None)
    for r in block.rows:
        row += 1
        w.label(row, 1, r.label)
        for i, column in enumerate(block.columns):
            last = i == len(block.columns) - 1
            key = f"t2.{block.key}.{r.key}.{column.key}"
            w.value(row, 2 + i, key, to_col=span if (block.merged_value or last) else None)
    return row + 1


def _table3(w: _Writer, table: Table, row: int) -> int:
    block = table.blocks[0]
    first = _T3_LABEL_COLS + 1
    last = first + len(block.columns) - 1
    w.label(row, 1, table.corner, to_row=row + 2, to_col=_T3_LABEL_COLS)
    w.label(row, first, table.header, to_col=last)
    group_cols = [i for i, c in enumerate(block.columns) if c.group]
    for i, column in enumerate(block.columns):
        if not column.group:
            w.label(row + 1, first + i, column.label, to_row=row + 2)
        else:
            w.label(row + 2, first + i, column.label)
    group = block.columns[group_cols[0]].group
    w.label(row + 1, first + group_cols[0], group, to_col=first + group_cols[-1])
    row += 3
    spans: dict[tuple[int, str], list[int]] = {}
    for i, r in enumerate(block.rows):
        for depth, parent in enumerate(r.parents):
            spans.setdefault((depth, parent), []).append(row + i)
    for (depth, parent), rows in spans.items():
        w.label(rows[0], 1 + depth, parent, to_row=rows[-1])
    for i, r in enumerate(block.rows):
        depth = len(r.parents)
        w.label(row + i, 1 + depth, r.label, to_col=_T3_LABEL_COLS, align_left=depth == 2)
        for j, column in enumerate(block.columns):
            w.value(row + i, first + j, f"t3.{r.key}.{column.key}")
    return row + len(block.rows)


def _table4(w: _Writer, table: Table, row: int) -> int:
    block = table.blocks[0]
    groups: dict[str, list[int]] = {}
    supers: dict[str, list[int]] = {}
    for i, column in enumerate(block.columns):
        groups.setdefault(column.group, []).append(1 + i)
        if column.supergroup:
            supers.setdefault(column.supergroup, []).append(1 + i)
    for label, cols in supers.items():
        w.label(row, cols[0], label, to_col=cols[-1])
    for label, cols in groups.items():
        nested = any(label == c.group and c.supergroup for c in block.columns)
        w.label(row if not nested else row + 1, cols[0], label, to_row=row + 1, to_col=cols[-1])
    for i, column in enumerate(block.columns):
        w.label(row + 2, 1 + i, column.label)
        w.value(row + 3, 1 + i, f"t4.{column.key}")
    return row + 4


_TABLES = {"t2": _table2, "t3": _table3, "t4": _table4}
