"""Findings: what a rule reports, and the report of one workbook."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .yearvalues import YearValues


class Severity(str, enum.Enum):
    """How serious a finding is; the order matters for colouring a cell by its worst finding."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def label(self) -> str:
        """The word a report clerk reads."""
        return _LABEL[self]


_RANK = {Severity.ERROR: 2, Severity.WARNING: 1, Severity.INFO: 0}
_LABEL = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}


@dataclass(frozen=True)
class Finding:
    """One problem found in a workbook.

    ``cells`` holds every cell involved as ``Sheet!A1`` (sheet name unquoted); it is empty only for a
    finding about the whole workbook, such as a missing row, and for a published report (a web page,
    Word file, PDF or text), where ``where`` says instead where it was published: ``表三 第 N 行 第 M 列``
    with a short quote, or the paragraph of the narrative.
    """

    rule: str
    severity: Severity
    message: str
    cells: tuple[str, ...] = ()
    where: str | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "cells": list(self.cells),
        }
        if self.where is not None:
            out["where"] = self.where
        return out


#: id of the info finding that says which cells to change (``xlcheck.localize``)
FIX_RULE = "FIX"


def json_number(number: float) -> int | float:
    """3.0 -> 3: JSON shows a count as the clerk typed it."""
    return int(number) if float(number).is_integer() else number


@dataclass(frozen=True)
class Suggestion:
    """One cell of the smallest change that makes every failing equality hold.

    ``current`` is the number the rules used (None for a cell with no number: blank, unreadable text,
    a formula that cannot be computed); ``suggested`` the value the tables call for; ``rules`` the
    failing rules this cell takes part in.
    """

    cell: str
    current: float | None
    suggested: float
    rules: tuple[str, ...]
    #: a published report: where the cell was published (表三 第 N 行 第 M 列), as on a Finding
    where: str | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"cell": self.cell, "current": None if self.current is None else
                                  json_number(self.current), "suggested": json_number(self.suggested),
                                  "rules": list(self.rules)}
        if self.where is not None:
            out["where"] = self.where
        return out


def split_cell_ref(ref: str) -> tuple[str, str]:
    """``"Sheet 1!C12"`` -> ``("Sheet 1", "C12")``; the sheet name may itself contain ``!``."""
    sheet, _, cell = ref.rpartition("!")
    return sheet, cell


@dataclass
class Report:
    """The outcome of checking one workbook."""

    path: str
    format: str | None = None
    year: int | None = None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    #: the unit named in the workbook (title or 填报单位), when found
    unit: str | None = None
    #: where the annotated copy was written, when it was
    annotated: str | None = None
    #: the workbook carries an earlier xlcheck summary sheet (it is an annotated copy)
    marked: bool = False
    #: last year's report of the same unit it was compared with (cross-year rules), when one was
    previous: str | None = None
    #: the values the cross-year rules and the aggregate need, kept when asked (``keep_values``);
    #: not part of the JSON
    values: YearValues | None = field(default=None, repr=False, compare=False)
    #: the cells of the unique smallest fix of the failing equalities (empty when not unique)
    suggestions: list[Suggestion] = field(default_factory=list)
    #: the equally small fixes when the tables do not say which one it is
    candidates: list[list[Suggestion]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the workbook could be checked and has no error-severity finding."""
        return self.error is None and not any(f.severity is Severity.ERROR for f in self.findings)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def to_dict(self) -> dict[str, object]:
        from .names import readable

        out: dict[str, object] = {
            "path": readable(self.path),
            "format": self.format,
            "year": self.year,
            "findings": [f.to_dict() for f in self.findings],
            "previous": None if self.previous is None else readable(self.previous),
            "suggestions": [s.to_dict() for s in self.suggestions],
            "candidates": [[s.to_dict() for s in fix] for fix in self.candidates],
        }
        if self.error is not None:
            out["error"] = readable(self.error)
        return out
