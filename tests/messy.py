"""Workbooks with the mess real and published reports carry, built on :mod:`corpus`'s writers.

Each helper writes a consistent report with :func:`corpus._build_report` (so the map of value cells
stays right) and then changes what a clerk or a publishing system changed: a note above the title, a
填报说明 sheet in front, a label with characters dropped, an extra row, a note inside a value cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import corpus
import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

#: one-sheet, three-sheet and shifted layouts (room above the first sheet's first row for a note)
LAYOUTS: dict[str, dict[str, Any]] = {
    "one-sheet": {"origin": (3, 1)},
    "three-sheet": {"sheets": "three", "origin": (3, 1)},
    "shifted": {"origin": (6, 4), "extra_rows": True, "notes": True, "drift": True},
}
FORMATS = ("2019", "2021")
YEAR = {"2019": 2020, "2021": 2022}


def build(path: Path, fmt: str, *, layout: str = "one-sheet", year: int | None = None, seed: int = 1,
          values: Mapping[str, Any] | None = None, **options: Any) -> dict[str, str]:
    """A consistent report of ``fmt`` in one of :data:`LAYOUTS`; returns field key -> ``Sheet!A1``."""
    year = YEAR[fmt] if year is None else year
    data = dict(corpus.consistent_values(fmt, seed) if values is None else values)
    return corpus._build_report(path, fmt, data, year=year or None, **{**LAYOUTS[layout], **options})


def edit(path: Path, change: Callable[[openpyxl.Workbook], None]) -> None:
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)


def cells_with(ws: Worksheet, text: str) -> Iterator[Any]:
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                yield cell


def relabel(path: Path, old: str, new: str) -> str:
    """Retype the one label ``old`` as ``new`` (on whichever sheet); return its ``Sheet!A1``."""
    found: list[str] = []

    def change(wb: openpyxl.Workbook) -> None:
        for ws in wb.worksheets:
            for cell in cells_with(ws, old):
                cell.value = new
                found.append(f"{ws.title}!{cell.coordinate}")

    edit(path, change)
    assert len(found) == 1, (old, found)
    return found[0]


def ref(cells: Mapping[str, str], key: str) -> tuple[str, int, int]:
    """Sheet name, row and column (1-based) of a field's cell."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    sheet, coordinate = cells[key].rsplit("!", 1)
    letters, row = coordinate_from_string(coordinate)
    return sheet, row, column_index_from_string(letters)
