"""The roster of units that must report (``--roster 名单.xlsx|.csv``): who has not reported (未报送),
whose workbook is not on it (名单外), and each unit's 行政层级 for the rules that need it.

One unit per row: the unit's name, optionally its 统一社会信用代码 and its 行政层级. A first row of
headers (单位名称 / 统一社会信用代码 / 行政层级, or 名称 / 代码 / 层级) says which column is which;
without one, the columns are taken in that order. Units are matched to workbooks as years are
paired (``xlcheck.pairing``): by code when both carry one, else by the normalised name.

A level is one of the national rule set's, as written, or a township's usual short forms (乡镇,
街道, 镇街…), which can only mean 乡镇人民政府（街道办事处）. Rows with a level that is neither are
reported once per level written, with their row numbers.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Report
from .pairing import normalize_unit

NAME_HEADERS = ("单位名称", "单位全称", "填报单位", "报送单位", "单位", "名称")
CODE_HEADERS = ("统一社会信用代码", "信用代码", "社会信用代码", "代码")
LEVEL_HEADERS = ("行政层级", "层级", "级别")

REPORTED, MISSING, OFF_ROSTER = "已报送", "未报送", "名单外"

TOWNSHIP = "乡镇人民政府（街道办事处）"
#: how rosters write the township level (as cells are read: width-folded); no other level has a
#: short form that cannot mean two (县级 is a county's government or its departments)
_TOWNSHIP_FORMS = frozenset(unicodedata.normalize("NFKC", f) for f in (
    "乡镇", "街道", "乡镇街道", "乡镇（街道）", "乡镇/街道", "乡镇、街道", "镇街", "镇（街）", "乡镇人民政府",
    "乡镇政府", "镇人民政府", "镇政府", "街道办事处", "街道办", "乡镇人民政府（街道）", "乡镇政府（街道办事处）"))


class RosterError(Exception):
    """The roster cannot be used; the message names the file (and row) for the user."""


@dataclass(frozen=True)
class Unit:
    name: str
    code: str | None = None
    level: str | None = None
    #: the row of the roster it is on (1-based), for messages
    row: int = 0


@dataclass
class Status:
    """One line of the roster status: a unit on the roster and its files, or a file off the roster."""

    status: str
    unit: str
    code: str | None
    level: str | None
    files: list[str] = field(default_factory=list)


@dataclass
class Roster:
    path: str
    units: list[Unit]
    #: rows that could not be used as given (an unknown level), for the user
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_code = {u.code: u for u in self.units if u.code}
        self._by_name = {normalize_unit(u.name): u for u in self.units}

    def find(self, unit: str | None, code: str | None) -> Unit | None:
        """The roster's unit for a workbook naming ``unit`` with ``code``."""
        code = _code(code)
        if code and code in self._by_code:
            return self._by_code[code]
        hit = self._by_name.get(normalize_unit(unit)) if unit else None
        if hit is not None and code and hit.code and hit.code != code:
            return None  # the same name, another unit's code
        return hit

    def level_for(self, unit: str | None, code: str | None) -> str | None:
        found = self.find(unit, code)
        return found.level if found is not None else None

    def status(self, reports: Sequence[Report]) -> list[Status]:
        """未报送 and 已报送 for every unit on the roster (in its order), then 名单外 for every
        checked workbook of a unit not on it."""
        files: dict[Unit, list[str]] = {u: [] for u in self.units}
        outside: list[Status] = []
        for report in reports:
            if report.error is not None:
                continue
            code = report.values.code if report.values is not None else None
            unit = self.find(report.unit, code)
            if unit is None:
                outside.append(Status(OFF_ROSTER, report.unit or "（未识别出单位名称）", code, None, [report.path]))
            else:
                files[unit].append(report.path)
        listed = [Status(REPORTED if files[u] else MISSING, u.name, u.code, u.level, files[u]) for u in self.units]
        return listed + outside


def _code(code: str | None) -> str | None:
    text = unicodedata.normalize("NFKC", code or "").strip().upper()
    return text or None


def _levels() -> tuple[str, ...]:
    try:
        from xlcheck_national import LEVELS
    except ImportError:  # the national plugin is not installed: any level is taken as written
        return ()
    return tuple(LEVELS)


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else unicodedata.normalize("NFKC", str(value)).strip()


def _rows(path: Path) -> list[list[str]]:
    if path.suffix.lower() == ".csv":
        import csv

        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RosterError(f"无法读取名单 {path}：{exc.strerror} (cannot read the roster)") from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:  # saved by Excel on a Chinese Windows
            text = data.decode("gb18030", errors="replace")
        return [[_text(v) for v in row] for row in csv.reader(text.splitlines())]
    from .reader import ReadError, read_workbook

    try:
        book = read_workbook(path)
    except ReadError as exc:
        raise RosterError(f"无法读取名单：{exc}") from None
    if not book.sheets:
        return []
    return [[_text(v) for v in row] for row in book.sheets[0].rows]


def _column(header: list[str], names: Sequence[str]) -> int | None:
    for name in names:
        for i, text in enumerate(header):
            if text.replace(" ", "") == name:
                return i
    return None


def read_roster(path: str | os.PathLike[str]) -> Roster:
    """Read a roster (.xlsx/.xls/.ods or .csv); RosterError when it cannot be read or names no unit."""
    target = Path(path)
    rows = _rows(target)
    first = next((i for i, row in enumerate(rows) if any(row)), None)
    if first is None:
        raise RosterError(f"名单 {target.name} 中没有单位 (the roster is empty)")
    header = rows[first]
    name_col = _column(header, NAME_HEADERS)
    if name_col is not None:
        code_col, level_col, start = _column(header, CODE_HEADERS), _column(header, LEVEL_HEADERS), first + 1
    else:
        name_col, code_col, level_col, start = 0, 1, 2, first
    levels = _levels()
    units: list[Unit] = []
    unknown: dict[str, list[int]] = {}
    for number, row in enumerate(rows[start:], start + 1):
        def cell(col: int | None, row: list[str] = row) -> str:
            return row[col] if col is not None and col < len(row) else ""

        name = cell(name_col)
        if not name:
            continue
        level = cell(level_col).replace(" ", "") or None
        if level and levels:  # the cell was read width-folded: （街道办事处） came back as (街道办事处)
            level = next((x for x in levels if unicodedata.normalize("NFKC", x) == level), level)
            if level not in levels and TOWNSHIP in levels and level in _TOWNSHIP_FORMS:
                level = TOWNSHIP
        if level and levels and level not in levels:
            unknown.setdefault(level, []).append(number)
            level = None
        units.append(Unit(name, _code(cell(code_col)), level, number))
    if not units:
        raise RosterError(f"名单 {target.name} 中没有单位 (the roster is empty)")
    allowed = "、".join(levels)
    problems = [f"名单 {target.name} {_row_numbers(numbers)}：行政层级“{level}”不在规定的选项中（{allowed}），"
                f"{'这一行' if len(numbers) == 1 else '这些行'}的层级不予采用" for level, numbers in unknown.items()]
    return Roster(str(target), units, problems)


def _row_numbers(numbers: Sequence[int], most: int = 8) -> str:
    """``第 2 行``, ``第 2–40、45 行（共 40 行）``, ``第 2、4、…、16 等 29 行``: runs of rows as ranges."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    shown = "、".join(f"{a}–{b}" if b > a else str(a) for a, b in runs[:most])
    if len(runs) > most:
        return f"第 {shown} 等 {len(numbers)} 行"
    return f"第 {shown} 行" + (f"（共 {len(numbers)} 行）" if len(numbers) > 1 else "")
