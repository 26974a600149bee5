"""Helpers for testing rule plugins, also a pytest plugin (loaded automatically where xlcheck is
installed) with two fixtures:

``xlcheck_workbook``
    ``make(values=None, *, fmt="2021", year=2022, cover=None, rules="national", plugins=(),
    name="report.xlsx")``
    writes a filled report in the standard layout to the test's temporary folder and returns its path.
    Every value cell holds 0 (a report that passes every national rule) except the ones ``values``
    sets by field key (``{"t3.public.natural": 2}``; a string is written as typed, ``None`` leaves the
    cell blank); ``cover`` fills cover fields by key (``{"uscc": "..."}``); ``plugins`` are registered
    while the template is written, so that a rule set they add can name its cover fields.

``xlcheck_check``
    ``run(path, *, plugins=(), rules="national", year=None, blocked=())`` checks a workbook with the
    installed plugins plus ``plugins`` (modules or objects with ``@hookimpl`` functions) registered for
    this call only, less the installed plugins named in ``blocked``, and returns the ``Report``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from .check import check
from .findings import Report
from .plugins import Registry, load
from .template import build_template


def write_report(path: str | os.PathLike[str], values: Mapping[str, Any] | None = None, *, fmt: str = "2021",
                 year: int | None = 2022, cover: Mapping[str, Any] | None = None, rules: str = "national",
                 plugins: Sequence[object] = (), registry: Registry | None = None) -> dict[str, str]:
    """Write a filled report workbook; return field key -> ``Sheet!A1`` (see the module docstring)."""
    from openpyxl import load_workbook

    registry = registry or load(extra=plugins)
    layout = next(x for x in registry.layouts if x.format == fmt)
    cells = build_template(layout, path, registry.fields(rules))
    unknown = set(values or {}) - set(layout.fields)
    if unknown:
        raise KeyError(f"not a field of the {fmt} format: {sorted(unknown)}")
    wb = load_workbook(path)
    fill: dict[str, Any] = {key: 0 for key in layout.fields}
    fill.update(values or {})
    fill.update({f"cover.{k}": v for k, v in (cover or {}).items()})
    if year is not None:
        fill["year"] = year
    for key, value in fill.items():
        if key not in cells:
            raise KeyError(f"the template has no cell for {key}")
        sheet, ref = cells[key].rsplit("!", 1)
        wb[sheet][ref] = value
    wb.save(path)
    return cells


def check_with(path: str | os.PathLike[str], *, plugins: Sequence[object] = (), rules: str = "national",
               year: int | None = None, blocked: Sequence[str] = ()) -> Report:
    """Check ``path`` with the installed plugins plus ``plugins``, registered for this call only;
    ``blocked`` names installed plugins to leave out (as ``-p no:NAME`` does)."""
    return check(path, rules=rules, year=year, registry=load(extra=plugins, blocked=blocked))


@pytest.fixture
def xlcheck_workbook(tmp_path: Path) -> Callable[..., Path]:
    def make(values: Mapping[str, Any] | None = None, *, name: str = "report.xlsx", **options: Any) -> Path:
        path = tmp_path / name
        write_report(path, values, **options)
        return path

    return make


@pytest.fixture
def xlcheck_check() -> Callable[..., Report]:
    return check_with
