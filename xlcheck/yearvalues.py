"""The small part of a checked report that work across reports needs: last year's values for the
cross-year rules, every value for the aggregate table, and the unit's name and code for pairing.

Batch workers return it beside each report (when the run pairs years or aggregates), so the parent
pairs reports and runs the cross-year rules without opening any workbook a second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .values import CellValue


@dataclass
class YearValues:
    """One report's values: field key -> (number, cell, unit typed in the cell)."""

    path: str
    format: str
    year: int | None
    unit: str | None = None
    #: 统一社会信用代码, when the workbook carries one
    code: str | None = None
    #: 行政层级 the checks used (``meta.level``), when known
    level: str | None = None
    values: dict[str, tuple[float | None, str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, path: str, fmt: str, year: int | None, cells: Mapping[str, CellValue], *, unit: str | None = None,
           code: str | None = None, level: str | None = None) -> YearValues:
        return cls(path, fmt, year, unit, code or None, level,
                   {key: (c.number, c.ref, c.unit) for key, c in cells.items()})

    def cells(self) -> dict[str, CellValue]:
        """The values as the rules see them (a number, or no usable number)."""
        return {key: CellValue(key, ref, number if number is not None else "", number,
                               "number" if number is not None else "invalid", unit)
                for key, (number, ref, unit) in self.values.items()}
