"""The small part of a checked report that work across reports needs: last year's values for the
cross-year rules, every value for the aggregate table, and the unit's name and code for pairing.

Batch workers return it beside each report (when the run pairs years or aggregates), so the parent
pairs reports and runs the cross-year rules without opening any workbook a second time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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

    def cells(self) -> Mapping[str, CellValue]:
        """The values as the rules see them (a number, or no usable number)."""
        return _Cells(self.values)


class _Cells(Mapping[str, CellValue]):
    """``YearValues.values`` as cells, each made when a rule first asks for it: the cross-year rules
    run in the parent process over every report of a batch and read a few dozen of its few hundred
    cells, so making them all would cost more than the rules do."""

    def __init__(self, values: dict[str, tuple[float | None, str, str]]) -> None:
        self._values = values
        self._made: dict[str, CellValue] = {}

    def __getitem__(self, key: str) -> CellValue:
        cell = self._made.get(key)
        if cell is None:
            number, ref, unit = self._values[key]
            cell = self._made[key] = CellValue(key, ref, number if number is not None else "", number,
                                               "number" if number is not None else "invalid", unit)
        return cell

    def get(self, key: str, default: CellValue | None = None) -> CellValue | None:  # type: ignore[override]
        return self[key] if key in self._values else default

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)
