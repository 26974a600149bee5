"""``xlcheck import``: a published report (or any workbook layout) written into the standard workbook
of its format, so an office can continue in Excel and the annotated copy marks cells again."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..reader import ReadError

if TYPE_CHECKING:
    from ..plugins import Registry
    from ..values import CellValue


class ImportFailedError(Exception):
    """The report cannot be imported (unreadable, no tables, target not writable); for the user."""


@dataclass(frozen=True)
class Imported:
    target: Path
    format: str
    year: int | None
    unit: str | None
    #: value cells filled, and those the published report left empty
    filled: int
    empty: int


def import_report(source: str | os.PathLike[str], target: str | os.PathLike[str], *, registry: Registry,
                  rules: str = "national", year: int | None = None, force: bool = False) -> Imported:
    """Write ``target``: the blank standard workbook of the report's format, filled with its values
    as published (a number as a number, anything else as the text it was, so that checking the new
    workbook reports what checking the published report does)."""
    from ..check import read_source
    from ..locator import NotAReportError, locate
    from ..template import build_template

    out = Path(target)
    base = Path(source).name
    _check_target(out, Path(source), force)
    try:
        book = read_source(source, year=year)
    except ReadError as exc:
        raise ImportFailedError(str(exc)) from None
    fields = registry.fields(rules)
    try:
        located = locate(book, registry.layouts, year, fields)
    except NotAReportError as exc:
        raise ImportFailedError(f"{base}：{exc}") from None
    report_year = year or located.year
    unit = located.cover.get("unit_name", ("", ""))[0] or located.unit
    from ..atomic import replacing

    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with replacing(out, suffix=".xlsx") as temp:
            cells = build_template(located.layout, temp, fields)
            filled, empty = _fill(str(temp), cells, located.values, report_year, unit, located.cover)
            if out.is_symlink() or (out.exists() and not out.is_file()):
                raise ImportFailedError(f"{out}：不是普通文件，不会写入 (not a regular file)")
    except OSError as exc:
        raise ImportFailedError(f"无法写出 {out}：{exc.strerror or exc} (cannot write)") from None
    return Imported(out, located.layout.format, report_year, unit, filled, empty)


def _check_target(out: Path, source: Path, force: bool) -> None:
    if out.suffix.lower() != ".xlsx":
        raise ImportFailedError(f"{out}：输出文件须为 .xlsx (the output must be an .xlsx file)")
    if out.is_symlink() or (out.exists() and not out.is_file()):
        raise ImportFailedError(f"{out}：不是普通文件，不会写入 (not a regular file)")
    try:
        if out.exists() and os.path.samefile(out, source):
            raise ImportFailedError(f"{out}：输出文件就是要导入的文件 (the output names the input)")
    except OSError:
        pass
    if out.exists() and not force:
        raise ImportFailedError(f"{out}：文件已存在；要覆盖请加 --force (exists: use --force to replace it)")


def _fill(path: str, cells: dict[str, str], values: Mapping[str, CellValue], year: int | None, unit: str | None,
          cover: dict[str, tuple[str, str]]) -> tuple[int, int]:
    from openpyxl import load_workbook

    from ..findings import split_cell_ref

    wb = load_workbook(path)
    filled = empty = 0

    def put(ref: str, value: object) -> None:
        sheet, cell = split_cell_ref(ref)
        wb[sheet][cell].value = value

    for key, ref in cells.items():
        cell = values.get(key)
        if cell is not None:
            if cell.status == "blank":
                empty += 1
                continue
            raw = cell.raw
            if cell.status == "number" and isinstance(raw, float):
                raw = int(raw) if raw.is_integer() else raw
            put(ref, raw)
            filled += 1
    if year is not None and "year" in cells:
        put(cells["year"], year)
        # the title as the published report has it: the unit, the year, the report
        sheet, _ = split_cell_ref(cells["year"])
        wb[sheet]["A1"].value = f"{unit or ''}{year}年政府信息公开工作年度报告"
    if unit and "cover.unit_name" in cells:
        put(cells["cover.unit_name"], unit)
    for key, (text, _ref) in cover.items():
        if text and f"cover.{key}" in cells and key != "unit_name":
            put(cells[f"cover.{key}"], text)
    wb.save(path)
    return filled, empty
