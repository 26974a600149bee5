"""Reading a workbook's cell values for checking, with python-calamine.

Checking needs only values and merged ranges, and calamine reads a whole report in about a millisecond
(openpyxl's default load takes over a hundred). openpyxl is used only to write.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .labels import normalize

#: Cells beyond this many rows or columns of a sheet are not read: a report fits in a few hundred rows,
#: and a sheet claiming a million rows must not cost a million rows of memory.
MAX_ROWS = 2000
MAX_COLS = 60

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


class ReadError(Exception):
    """A workbook that cannot be read; the message is for the user (Chinese, then English)."""


@dataclass
class Sheet:
    """One sheet's values as a grid starting at A1 (row and column 0)."""

    name: str
    rows: list[list[Any]]
    _texts: list[tuple[int, int, str]] | None = field(default=None, repr=False)
    _by_row: dict[int, list[tuple[int, str]]] | None = field(default=None, repr=False)

    def value(self, row: int, col: int) -> Any:
        if 0 <= row < len(self.rows):
            cells = self.rows[row]
            if 0 <= col < len(cells):
                return cells[col]
        return ""

    @property
    def texts(self) -> list[tuple[int, int, str]]:
        """Every non-empty text cell as ``(row, col, normalised text)``, in reading order."""
        if self._texts is None:
            self._texts = [(r, c, norm) for r, cells in enumerate(self.rows) for c, value in enumerate(cells)
                           if isinstance(value, str) and value and (norm := normalize(value))]
        return self._texts

    def row_texts(self, row: int) -> list[tuple[int, str]]:
        """The non-empty text cells of one row as ``(col, normalised text)``."""
        if self._by_row is None:
            self._by_row = {}
            for r, c, norm in self.texts:
                self._by_row.setdefault(r, []).append((c, norm))
        return self._by_row.get(row, [])


@dataclass
class Workbook:
    path: str
    sheets: list[Sheet]


def column_letter(col: int) -> str:
    """0 -> "A", 26 -> "AA"."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(sheet: str, row: int, col: int) -> str:
    return f"{sheet}!{column_letter(col)}{row + 1}"


def read_workbook(path: str | os.PathLike[str]) -> Workbook:
    """Read every visible and hidden worksheet's values; raise ReadError for anything unreadable."""
    import python_calamine

    name = os.fspath(path)
    base = os.path.basename(name)
    if os.path.isdir(name):
        raise ReadError(f"{base}：这是一个文件夹，不是工作簿 (a directory, not a workbook)")
    if not os.path.exists(name):
        raise ReadError(f"{base}：文件不存在 (no such file)")
    if not name.lower().endswith(SUPPORTED_SUFFIXES):
        raise ReadError(f"{base}：不支持的文件类型，请使用 .xlsx 或 .xlsm (unsupported file type)")
    try:
        book = python_calamine.CalamineWorkbook.from_path(name)
    except python_calamine.PasswordError:
        raise ReadError(f"{base}：工作簿设有打开密码，请去掉密码后再校验 (password-protected)") from None
    except PermissionError:
        raise ReadError(f"{base}：没有读取该文件的权限 (permission denied)") from None
    except Exception as exc:  # calamine raises several unrelated types for a damaged file
        raise ReadError(f"{base}：无法读取，文件可能已损坏或不是 Excel 工作簿 (cannot read: {exc})") from None
    sheets = []
    try:
        for meta in book.sheets_metadata:
            if str(meta.typ).endswith("WorkSheet"):
                sheet = book.get_sheet_by_name(meta.name)
                rows = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS)
                sheets.append(Sheet(meta.name, [r[:MAX_COLS] for r in rows]))
    except Exception as exc:
        raise ReadError(f"{base}：读取工作表时出错，文件可能已损坏 (cannot read a sheet: {exc})") from None
    finally:
        book.close()
    return Workbook(name, sheets)
