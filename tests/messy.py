"""Workbooks with the mess real and published reports carry, built on :mod:`corpus`'s writers.

Each helper writes a consistent report with :func:`corpus._build_report` (so the map of value cells
stays right) and then changes what a clerk or a publishing system changed: a note above the title, a
填报说明 sheet in front, a label with characters dropped, an extra row, a note inside a value cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest.mock import patch

import corpus
import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from xlcheck.labels import normalize

#: one-sheet, three-sheet and shifted layouts (room above the first sheet's first row for a note)
LAYOUTS: dict[str, dict[str, Any]] = {
    "one-sheet": {"origin": (3, 1)},
    "three-sheet": {"sheets": "three", "origin": (3, 1)},
    "shifted": {"origin": (6, 4), "extra_rows": True, "notes": True, "drift": True},
}
FORMATS = ("2019", "2021")
YEAR = {"2019": 2020, "2021": 2022}


def build(path: Path, fmt: str, *, layout: str = "one-sheet", year: int | None = None, seed: int = 1,
          values: Mapping[str, Any] | None = None, t2_blocks: tuple[corpus.T2Block, ...] | None = None,
          t3_results: tuple[tuple[str, str | None, str], ...] | None = None, **options: Any) -> dict[str, str]:
    """A consistent report of ``fmt`` in one of :data:`LAYOUTS`; returns field key -> ``Sheet!A1``.

    ``t2_blocks`` and ``t3_results`` replace the official rows corpus writes (to add a row that is not
    in the format, or a subtotal); ``values`` must then hold a value for every cell they have. ``year``
    0 writes no year.
    """
    year = YEAR[fmt] if year is None else year
    data = dict(corpus.consistent_values(fmt, seed) if values is None else values)
    with ExitStack() as stack:
        if t2_blocks is not None:
            stack.enter_context(patch.object(corpus, f"T2_BLOCKS_{fmt}", t2_blocks))
        if t3_results is not None:
            stack.enter_context(patch.object(corpus, f"T3_RESULT_ROWS_{options.get('t3_format', fmt)}",
                                             t3_results))
        return corpus._build_report(path, fmt, data, year=year or None, **{**LAYOUTS[layout], **options})


def with_row(blocks: tuple[corpus.T2Block, ...], block: str, after: str, row: tuple[str, str]
             ) -> tuple[corpus.T2Block, ...]:
    """Table 二's blocks with ``row`` (key, label) added to ``block`` after the row ``after``."""
    out = []
    for b in blocks:
        if b.key == block:
            at = [k for k, _ in b.rows].index(after) + 1
            b = replace(b, rows=(*b.rows[:at], row, *b.rows[at:]))
        out.append(b)
    return tuple(out)


def edit(path: Path, change: Callable[[openpyxl.Workbook], None]) -> None:
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)


def cells_with(ws: Worksheet, text: str) -> Iterator[Any]:
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                yield cell


def relabel(path: Path, old: str, new: str | None) -> list[str]:
    """Retype the label ``old`` (as typed, or drifted: compared after normalising) as ``new``, or clear
    it, wherever it stands (a header repeated after a page break, too); return its ``Sheet!A1`` cells."""
    found: list[str] = []
    wanted = normalize(old)

    def change(wb: openpyxl.Workbook) -> None:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and normalize(cell.value) == wanted:
                        cell.value = new
                        found.append(f"{ws.title}!{cell.coordinate}")

    edit(path, change)
    assert found, old
    return found


def ref(cells: Mapping[str, str], key: str) -> tuple[str, int, int]:
    """Sheet name, row and column (1-based) of a field's cell."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    sheet, coordinate = cells[key].rsplit("!", 1)
    letters, row = coordinate_from_string(coordinate)
    return sheet, row, column_index_from_string(letters)
