"""Cell references: ``"C12"`` and ``(row, column)``, one place for the conversions every module needs."""

from __future__ import annotations

import functools
import re

_CELL = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")


@functools.lru_cache(maxsize=1024)
def column_letter(col: int) -> str:
    """0 -> ``"A"``, 26 -> ``"AA"`` (zero-based column)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@functools.lru_cache(maxsize=1024)
def column_index(letters: str) -> int:
    """``"A"`` -> 0, ``"AA"`` -> 26 (zero-based column)."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


@functools.lru_cache(maxsize=4096)
def parse_cell(ref: str) -> tuple[int, int] | None:
    """``"C12"`` (or ``"$C$12"``, or the first cell of ``"C12:D13"``) -> ``(12, 3)``, one-based row and
    column; None for anything that is not a cell reference.

    Remembered: annotating a report asks for the same few hundred references again and again (its
    marks, their merged areas, the summary's cells), and a look-up is a tenth of parsing one."""
    match = _CELL.match(ref.split(":", 1)[0].strip().upper())
    if match is None:
        return None
    return int(match.group(2)), column_index(match.group(1)) + 1


def address(row: int, col: int) -> str:
    """One-based ``(12, 3)`` -> ``"C12"``."""
    return f"{column_letter(col - 1)}{row}"
