"""Pairing each report with last year's report of the same unit.

Units are matched by the 统一社会信用代码 when both workbooks carry one, else by the unit name read
from the workbook (the title's unit or 填报单位), normalised: full-width and half-width forms, spaces,
and the variants 人民政府/政府 and 街道办事处/街道办/街道. Two units whose names differ otherwise
are never matched: "青山镇政府" is not "青山镇财政所", and "增江街道" is not "增城街道".

A batch pairs after every file has been read (the workers keep each report's values) and before the
cross-year rules run, in the parent process: nothing is opened twice.
"""

from __future__ import annotations

import os
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from .findings import Report
from .plugins import Registry
from .yearvalues import YearValues

#: written differently for the same unit; the longer form first
_VARIANTS = (("人民政府", "政府"), ("街道办事处", "街道"), ("街道办", "街道"))
#: characters that carry no meaning in a unit name
_DROP = str.maketrans("", "", " \t\r\n\u3000·•．.、,，\"'“”‘’")


def normalize_unit(name: str) -> str:
    """The unit name as pairing compares it."""
    text = unicodedata.normalize("NFKC", name).translate(_DROP)
    for long, short in _VARIANTS:
        text = text.replace(long, short)
    return text


def _code(values: YearValues) -> str | None:
    return values.code.strip().upper() if values.code and values.code.strip() else None


def _name(values: YearValues) -> str | None:
    return normalize_unit(values.unit) if values.unit and normalize_unit(values.unit) else None


def same_unit(a: YearValues, b: YearValues) -> bool:
    """Both reports are the same unit's: the same code when both carry one, else the same name."""
    code_a, code_b = _code(a), _code(b)
    if code_a and code_b:
        return code_a == code_b
    return _name(a) is not None and _name(a) == _name(b)


@dataclass
class Paired:
    """What pairing found for one report: last year's report, and the notes for the ``xl_pairing``
    rules (``missing``, ``duplicate``)."""

    previous: YearValues | None = None
    notes: dict[str, list[str]] = field(default_factory=dict)


def _names(paths: Sequence[str]) -> str:
    return "、".join(f"“{os.path.basename(p)}”" for p in paths)


class _Index:
    def __init__(self, pool: Sequence[YearValues]) -> None:
        self.by_code: dict[tuple[int, str], list[YearValues]] = defaultdict(list)
        self.by_name: dict[tuple[int, str], list[YearValues]] = defaultdict(list)
        for item in pool:
            if item.year is None:
                continue
            if (code := _code(item)) is not None:
                self.by_code[(item.year, code)].append(item)
            if (name := _name(item)) is not None:
                self.by_name[(item.year, name)].append(item)

    def same(self, item: YearValues, year: int) -> list[YearValues]:
        """The pool's reports of ``year`` from the unit of ``item``."""
        code, name = _code(item), _name(item)
        found: dict[str, YearValues] = {}
        if code is not None:
            found.update((x.path, x) for x in self.by_code.get((year, code), ()))
        if name is not None:
            # a report with another code is another unit, whatever its name
            found.update((x.path, x) for x in self.by_name.get((year, name), ())
                         if code is None or _code(x) is None or _code(x) == code)
        found.pop(item.path, None)
        return list(found.values())


def pair(current: Sequence[YearValues], pool: Sequence[YearValues], *, expect: bool | None = None
         ) -> list[Paired]:
    """For each report of ``current``, its unit's report of the year before among ``pool`` (which may
    include ``current`` itself). A report whose previous year is not found gets a ``missing`` note
    when ``expect`` (True: always, as with ``--previous``; None: when the pool holds an earlier year
    of the same unit, as in a batch holding several years); a unit with two files of one year, a
    ``duplicate`` note naming both."""
    index = _Index([*pool, *current])
    years = sorted({x.year for x in [*pool, *current] if x.year is not None})
    out = []
    for item in current:
        paired = Paired()
        out.append(paired)
        if item.year is not None:
            twins = index.same(item, item.year)
            if twins:
                paired.notes.setdefault("duplicate", []).append(
                    f"本单位 {item.year} 年度还有文件 {_names([x.path for x in twins])}；请确认哪一个是正式报送的报告")
        # without last year's files named, a unit is told only when the batch holds an earlier year of it
        wanted = expect if expect is not None else item.year is not None and any(
            index.same(item, y) for y in years if y < item.year - 1)
        if item.year is None:
            if expect:
                paired.notes.setdefault("missing", []).append("没有识别出报告年度，无法与上年报告比对")
            continue
        if _code(item) is None and _name(item) is None:
            if wanted:
                paired.notes.setdefault("missing", []).append(
                    "工作簿中没有找到单位名称（标题或“填报单位”），无法与上年报告配对")
            continue
        before = index.same(item, item.year - 1)
        if len(before) == 1:
            paired.previous = before[0]
        elif before:
            paired.notes.setdefault("duplicate", []).append(
                f"{item.year - 1} 年度有 {len(before)} 个文件都是本单位的报告：{_names([x.path for x in before])}；"
                "无法确定与哪一个比对，未做跨年度比对")
        elif wanted:
            who = f"（{item.unit}）" if item.unit else ""
            paired.notes.setdefault("missing", []).append(
                f"找不到本单位{who} {item.year - 1} 年度的报告，未做跨年度比对")
    return out


def compare_years(reports: Sequence[Report], previous: Sequence[Report] = (), *, registry: Registry,
                  rules: str, explicit: bool = False) -> bool:
    """Pair ``reports`` (checked with their values kept) with last year's among ``previous`` and
    among themselves, and run the cross-year rules on each; ``explicit``: last year's reports were
    named (``--previous``), so every report without one is told. Returns whether pairing applied
    (a batch of one year, with nothing named, has nothing to pair)."""
    from .crossyear import compare_with

    current = [r.values for r in reports if r.values is not None and r.error is None]
    pool = [r.values for r in previous if r.values is not None and r.error is None]
    years = {x.year for x in [*current, *pool] if x.year is not None}
    if not explicit and len(years) < 2:
        return False
    checked = [r for r in reports if r.values is not None and r.error is None]
    for report, paired in zip(checked, pair(current, pool, expect=True if explicit else None), strict=True):
        compare_with(report, paired.previous, registry=registry, rules=rules, pairing=paired.notes)
    return True
