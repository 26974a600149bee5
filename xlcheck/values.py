"""Turning what people type into value cells into numbers, and remembering how it was typed.

Rules D1–D3 report how a value was typed; every other rule uses the number alone.

A formula cell saved without its result (a file written by a script) reaches :func:`parse` as a
:class:`~xlcheck.reader.Formula`: status ``formula`` when xlcheck computed it (the number is the
result), ``formula_uncached`` when it could not (no number; ``reason`` says why). It is never read as
a blank or as 0.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from .reader import Formula

Status = Literal["number", "blank", "placeholder", "text", "unit", "invalid", "formula", "formula_uncached"]

#: what people write for "none" instead of 0 (after width folding)
PLACEHOLDERS = frozenset({"/", "-", "--", "—", "——", "－", "无", "空", "暂无", "N/A", "n/a", "NA", "\\"})
_UNITS = ("万元", "元", "件", "个", "项", "条", "次", "宗", "份", "人", "家")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


@dataclass(frozen=True)
class CellValue:
    """One value cell: where it is, what was typed, and the number it stands for."""

    key: str
    ref: str
    raw: Any
    #: the number used by the other rules; blanks and placeholders count as 0, unreadable text as None
    number: float | None
    status: Status
    unit: str = ""
    #: the formula ("=SUM(D5:D9)") of a cell saved without its result, else ""
    formula: str = ""
    #: why a formula could not be computed (status ``formula_uncached``), else ""
    reason: str = ""

    @property
    def shown(self) -> str:
        """The typed value as a message quotes it (a computed formula: its result)."""
        if self.formula and self.number is not None:
            return show(self.number)
        if isinstance(self.raw, float) and self.raw.is_integer():
            return str(int(self.raw))
        return str(self.raw)


def parse(key: str, ref: str, raw: Any) -> CellValue:
    if type(raw) is float and math.isfinite(raw):  # what calamine gives for nearly every value cell
        return CellValue(key, ref, raw, raw, "number")
    if raw is None or raw == "":
        return CellValue(key, ref, "", 0.0, "blank")
    if isinstance(raw, Formula):
        if raw.value is None:
            return CellValue(key, ref, raw.text, None, "formula_uncached", formula=raw.text, reason=raw.reason)
        return CellValue(key, ref, raw.text, raw.value, "formula", formula=raw.text)
    if isinstance(raw, bool):
        return CellValue(key, ref, raw, None, "invalid")
    if isinstance(raw, (int, float)):
        number = float(raw)
        if math.isnan(number) or math.isinf(number):
            return CellValue(key, ref, raw, None, "invalid")
        return CellValue(key, ref, raw, number, "number")
    if not isinstance(raw, str):  # dates, times
        return CellValue(key, ref, raw, None, "invalid")
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return CellValue(key, ref, raw, 0.0, "blank")
    if text in PLACEHOLDERS:
        return CellValue(key, ref, raw, 0.0, "placeholder")
    compact = re.sub(r"[\s,，]", "", text)
    unit = next((u for u in _UNITS if compact.endswith(u)), "")
    digits = compact[: len(compact) - len(unit)]
    if _NUMBER.fullmatch(digits):
        return CellValue(key, ref, raw, float(digits), "unit" if unit else "text", unit)
    return CellValue(key, ref, raw, None, "invalid")


def show(number: float) -> str:
    """A number as a message shows it: 3 rather than 3.0."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"
