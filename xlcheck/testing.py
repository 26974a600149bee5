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

``xlcheck_loads_cleanly``
    ``assert_clean(*plugins, blocked=())`` loads the installed plugins plus ``plugins`` and fails the
    test, listing every problem as ``xlcheck plugins --check`` prints it (the rule-set sanity warnings
    included), unless each of ``plugins`` loads with no error and no warning and contributes
    something; returns their ``PluginInfo``s.

This module needs pytest (the fixtures); ``write_report``, ``check_with`` and ``assert_loads_cleanly``
are the same without it, for other test runners.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from .check import check
from .findings import Report
from .plugins import PluginInfo, Registry, load
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


def assert_loads_cleanly(*plugins: object, blocked: Sequence[str] = ()) -> list[PluginInfo]:
    """Load the installed plugins plus ``plugins``; raise AssertionError listing every problem unless
    each of ``plugins`` loads with no error and no warning and contributes something."""
    from .sanity import sanity_problems

    registry = load(extra=plugins, blocked=blocked)
    extra = sanity_problems(registry)
    infos, complaints = [], []
    for plugin in plugins:
        info = next(i for i in registry.plugins if i.plugin is plugin)
        infos.append(info)
        problems = [*info.problems, *(p for p in extra if p.plugin == info.name)]
        complaints += [f"  {'错误' if p.severity == 'error' else '警告'}  {p}" for p in problems]
        if not info.problems and not info.contributes:
            complaints.append(f"  错误  插件 {info.name} 没有提供任何内容：没有带 @hookimpl 的钩子 "
                              "(contributes nothing)")
    if complaints:
        raise AssertionError("plugin does not load cleanly (xlcheck plugins --check):\n" + "\n".join(complaints))
    return infos


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


@pytest.fixture
def xlcheck_loads_cleanly() -> Callable[..., list[PluginInfo]]:
    return assert_loads_cleanly
