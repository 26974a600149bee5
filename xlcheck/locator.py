"""Finding the report tables in a workbook by their labels, wherever they are.

Tables may sit on one sheet or several, start anywhere, carry extra title rows, blank rows, repeated
header blocks (a printed table broken across pages) and notes beside them, and their labels drift
("(一)" for "（一）", "1、" for "1.", spaces and line breaks). Each value cell is found from its row
label and its column label; a row whose label is misspelt is recognised by its place among its
neighbours and its likeness to the official label, and reported as non-standard.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from typing import NamedTuple

from .cells import column_letter
from .labels import match_by_place, normalize
from .layout import Block, Column, Layout, Table
from .reader import Sheet, Workbook, cell_ref
from .rules import LabeledField
from .values import CellValue, parse, show

#: documented drift of official labels, normalised; anything else that differs is "non-standard"
ALIASES = {
    normalize("2.没有现成信息需要另行制作"): (normalize("2.没有现成信息需另行制作"),),
    normalize("四、结转下年度继续办理"): (normalize("四、结转下一年度继续办理"),),
}


class NotAReportError(Exception):
    """The workbook holds none of the report tables."""


class Issue(NamedTuple):
    """Something about the workbook's structure, turned into an S1/S2 finding by the rules."""

    rule: str
    #: "missing" (an official row, column or block is absent), "unknown" (a row that is not in the
    #: format), "nonstandard" (a label that differs from the official one), "foreign" (a label of
    #: another format), "year" (the workbook states no report year, or several)
    kind: str
    message: str
    cells: tuple[str, ...] = ()


@dataclass
class Located:
    """Where every value of one layout sits in a workbook, and what did not fit."""

    layout: Layout
    values: dict[str, CellValue] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    year: int | None = None
    year_ref: str | None = None
    unit: str | None = None
    #: cover fields: key -> (value as text, cell)
    cover: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: fields of the layout read from a legacy row instead (``Block.legacy``): not missing
    replaced: set[str] = field(default_factory=set)

    @property
    def missing(self) -> frozenset[str]:
        """The layout's fields the workbook does not have: rules that need one of them are not checked."""
        return frozenset(self.layout.fields.keys() - self.values.keys() - self.replaced)


class _Index:
    """Normalised text -> positions, over every sheet, so that each label lookup is a dict hit."""

    def __init__(self, sheets: Sequence[Sheet]) -> None:
        self.sheets = sheets
        self.at: dict[str, list[tuple[int, int, int]]] = {}
        for s, sheet in enumerate(sheets):
            for r, c, norm in sheet.texts:
                self.at.setdefault(norm, []).append((s, r, c))

    def find(self, label: str) -> list[tuple[int, int, int]]:
        norm = normalize(label)
        hits = list(self.at.get(norm, ()))
        for alias in ALIASES.get(norm, ()):
            hits.extend(self.at.get(alias, ()))
        return sorted(hits)


@functools.lru_cache(maxsize=32)
def _labels(layout: Layout) -> frozenset[str]:
    out: set[str] = set()
    for table in layout.tables:
        for block in table.blocks:
            out.update(normalize(x) for x in (block.heading, *(c.label for c in block.columns)) if x)
            out.update(normalize(row.label) for row in block.rows if row.label)
    return frozenset(out)


def choose_layout(present: Set[str], layouts: Sequence[Layout], year: int | None = None) -> Layout:
    """The layout whose own labels (those no other layout has) the workbook's texts ``present`` carry
    most of; a tie goes to the layout that fits the year, then to the newer one."""
    labels = {layout.format: _labels(layout) for layout in layouts}

    def score(layout: Layout) -> tuple[int, int, int]:
        others = set().union(*(v for k, v in labels.items() if k != layout.format))
        own = labels[layout.format] - others
        return (len(own & present), int(year is not None and layout.fits_year(year)), layout.first_year)

    return max(layouts, key=score)


def locate(book: Workbook, layouts: Sequence[Layout], year: int | None = None,
           fields: Sequence[LabeledField] = ()) -> Located:
    """Find every value cell of the best-fitting layout and the cover ``fields``; raise
    NotAReportError when no table is there."""
    index = _Index(book.sheets)
    stated = _find_year(book, index)
    found, year_issue = _settle_year(stated, explicit=year is not None)
    layout = choose_layout(index.at.keys(), layouts, year or (found.year if found else None))
    # the file's name only when the workbook names no unit: a title or 填报单位 says it better
    located = Located(layout, issues=[year_issue] if year_issue else [],
                      unit=stated.units[0] if stated.units else file_unit(book.path))
    if found is not None:
        located.year, located.year_ref = found.year, found.ref or None
    found_any = False
    for table in layout.tables:
        locator = _TABLE_LOCATORS[table.key]
        found_any |= locator(index, table, located)
    if not found_any:
        raise NotAReportError("不是政府信息公开工作年度报告：找不到表二、表三、表四中的任何一张表 "
                         "(not an annual report workbook: none of the report tables was found)")
    _foreign_labels(index, layouts, located)
    _locate_fields(index, fields, located)
    return located


def _locate_fields(index: _Index, fields: Sequence[LabeledField], located: Located) -> None:
    for fld in fields:
        hits = index.find(fld.label)
        if not hits:
            continue
        s, r, c = hits[0]
        sheet = index.sheets[s]
        col, value = _right_of(sheet, r, c)
        located.cover[fld.key] = (_as_text(value), cell_ref(sheet.name, r, col))


def _right_of(sheet: Sheet, r: int, c: int) -> tuple[int, object]:
    """The value beside a label: the cell just right of the label's merged area, which may be blank.

    Where merged ranges are unknown, the first filled cell of the next two (a label merged over two
    cells) — never further, where a hint or the next label may stand.
    """
    if sheet.merged is not None:
        col = sheet.merged_end(r, c) + 1
        return col, sheet.value(r, col)
    for col in (c + 1, c + 2):
        value = sheet.value(r, col)
        if value not in ("", None):
            return col, value
    return c + 1, ""


def _as_text(value: object) -> str:
    """A cover value as text: codes typed as numbers (440103) must not read as "440103.0"."""
    if isinstance(value, float) and math.isfinite(value):
        return show(value)
    return "" if value is None else str(value).strip()


def _put(located: Located, index: _Index, key: str, s: int, r: int, c: int) -> None:
    sheet = index.sheets[s]
    fld = located.layout.fields.get(key)
    located.values[key] = parse(key, cell_ref(sheet.name, r, c), sheet.value(r, c), fld.column.unit if fld else "")


def _put_row(located: Located, sheet: Sheet, r: int, keys: Sequence[tuple[str, int]]) -> None:
    """Every value of one grid row: ``keys`` are (field key, column). The hot loop of locating."""
    cells = sheet.rows[r] if r < len(sheet.rows) else []
    prefix, row = f"{sheet.name}!", str(r + 1)
    for key, c in keys:
        located.values[key] = parse(key, prefix + column_letter(c) + row, cells[c] if c < len(cells) else "")


class _T3Spec(NamedTuple):
    """What locating table 三 needs of its layout, in normalised form, worked out once per table."""

    official: dict[str, int]
    #: the official row labels, in order
    names: tuple[str, ...]
    columns: tuple[str, ...]
    #: a parent label ("（三）不予公开") -> the indices of its sub-rows
    children: dict[str, tuple[int, ...]]
    #: a legacy row's label -> its index in ``Block.legacy``
    legacy: dict[str, int]
    headers: frozenset[str]
    stops: frozenset[str]
    keys: tuple[tuple[str, ...], ...]


@functools.lru_cache(maxsize=32)
def _t3_spec(table: Table) -> _T3Spec:
    block = table.blocks[0]
    official = {normalize(row.label): i for i, row in enumerate(block.rows)}
    for i, row in enumerate(block.rows):
        for alias in ALIASES.get(normalize(row.label), ()):
            official[alias] = i
    children: dict[str, list[int]] = {}
    for i, row in enumerate(block.rows):
        for parent in row.parents:
            children.setdefault(normalize(parent), []).append(i)
    return _T3Spec(
        official=official,
        names=tuple(normalize(row.label) for row in block.rows),
        columns=tuple(normalize(column.label) for column in block.columns),
        children={k: tuple(v) for k, v in children.items()},
        legacy={normalize(row.label): i for i, row in enumerate(block.legacy)},
        headers=frozenset(normalize(x) for x in (table.corner, table.header, "法人或其他组织",
                                                   *(col.label for col in block.columns[:2]))),
        stops=frozenset(normalize(t) for t in ("行政复议", "四、政府信息公开行政复议、行政诉讼情况",
                                                "五、存在的主要问题及改进情况", "二、主动公开政府信息情况")),
        keys=tuple(tuple(f"t3.{row.key}.{column.key}" for column in block.columns) for row in block.rows))


def _nonstandard(located: Located, sheet: Sheet, r: int, c: int, what: str, official: str) -> None:
    located.issues.append(Issue("S2", "nonstandard", (
        f"{what}“{sheet.value(r, c)}”与标准格式不一致，按“{official}”处理"), (cell_ref(sheet.name, r, c),)))


# ── 表三 ─────────────────────────────────────────────────────────────────────────────────────────
def _locate_t3(index: _Index, table: Table, located: Located) -> bool:
    import bisect

    block = table.blocks[0]
    spec = _t3_spec(table)
    best: tuple[int, int, int, dict[str, int], int] | None = None
    # each other column's label hits by (sheet, row), columns sorted: every header candidate looks at
    # five rows of each, so a sheet of repeated headers costs hits × columns, not hits squared
    by_row: list[dict[tuple[int, int], list[int]]] = []
    for column in block.columns[1:]:
        rows: dict[tuple[int, int], list[int]] = {}
        for ss, rr, cc in index.find(column.label):
            rows.setdefault((ss, rr), []).append(cc)
        by_row.append(rows)
    for s, r, c in index.find(block.columns[0].label):
        cols = {block.columns[0].key: c}
        bottom, last = r, c
        for column, rows in zip(block.columns[1:], by_row, strict=True):
            near = None
            for rr in range(r - 1, r + 4):
                hits = rows.get((s, rr))
                if hits:
                    at = bisect.bisect_right(hits, last)
                    if at < len(hits) and (near is None or (hits[at], rr) < near):
                        near = (hits[at], rr)
            if near is not None:
                cc, rr = near
                cols[column.key], last, bottom = cc, cc, max(bottom, rr)
        if best is None or len(cols) > len(best[3]):
            best = (s, r, c, cols, bottom)
    if best is None:
        located.issues.append(Issue("S2", "missing", f"找不到表{table.number}（{table.title}）：没有“自然人”等列标题"))
        return False
    s, top, first_col, cols, bottom = best
    sheet = index.sheets[s]
    if len(cols) < len(block.columns):
        _t3_columns_by_place(sheet, table, spec, (top, first_col, max(bottom, top + 2)), cols, located)
    for column in block.columns:
        if column.key not in cols:
            located.issues.append(Issue("S2", "missing", f"表{table.number}缺少“{column.label}”列"))
    matched: dict[int, int] = {}          # official row index -> grid row
    pending: list[tuple[int, int, str]] = []  # grid row, label column, label
    for r in range(bottom + 1, min(len(sheet.rows), bottom + 150)):
        texts = sheet.row_texts(r)
        if any(t in spec.stops for _, t in texts):
            break
        if any(t in spec.headers for _, t in texts):
            continue
        labels = [(c, t) for c, t in texts if c < first_col]
        if not labels:
            continue
        label_col, leaf = labels[-1]
        found = spec.official.get(leaf)
        if found is not None and found not in matched:
            matched[found] = r
        else:
            pending.append((r, label_col, leaf))
    explained: set[int] = set()
    if pending:
        explained = _t3_rows_by_place(sheet, table, spec, pending, matched, cols, located)
    if not matched and not explained:
        located.issues.append(Issue("S2", "missing", f"找不到表{table.number}（{table.title}）的行标签"))
        return True
    for i, row in enumerate(block.rows):
        if i not in matched:
            if i not in explained:
                located.issues.append(Issue("S2", "missing", f"表{table.number}缺少“{row.name}”一行"))
            continue
        _put_row(located, sheet, matched[i], [(key, cols[column.key]) for key, column
                                              in zip(spec.keys[i], block.columns, strict=True) if column.key in cols])
    return True


def _t3_columns_by_place(sheet: Sheet, table: Table, spec: _T3Spec, where: tuple[int, int, int],
                         cols: dict[str, int], located: Located) -> None:
    """Table 三's column headers that are not official text ("社会公组织"), by place and likeness."""
    top, first_col, bottom = where
    block = table.blocks[0]
    taken = set(cols.values())
    candidates = sorted({c: t for r in range(top - 1, bottom + 1) for c, t in sheet.row_texts(r)
                         if c > first_col and c not in taken and t not in spec.headers
                         and t not in spec.columns}.items())
    found = {i: cols[column.key] for i, column in enumerate(block.columns) if column.key in cols}
    for (c, _), i in zip(candidates, match_by_place(found, candidates, spec.columns), strict=True):
        if i >= 0:
            column = block.columns[i]
            cols[column.key] = c
            r = next(r for r in range(top - 1, bottom + 1) if any(cc == c for cc, _ in sheet.row_texts(r)))
            _nonstandard(located, sheet, r, c, f"表{table.number}的列标题", column.label)


def _t3_rows_by_place(sheet: Sheet, table: Table, spec: _T3Spec, pending: Sequence[tuple[int, int, str]],
                      matched: dict[int, int], cols: dict[str, int], located: Located) -> set[int]:
    """Table 三's rows whose labels are not official text: a misspelt or bare-numbered row is taken by
    its place and likeness, a subtotal or an old-format row is reported (the old single （六） row of
    2019 is read in place of the 2021 sub-rows). Returns the rows whose absence is already explained."""
    block = table.blocks[0]
    fmt = located.layout.format
    value_cols = list(cols.values())
    explained: set[int] = set()
    parents = [(r, c, leaf) for r, c, leaf in pending if leaf in spec.children]
    others = [(r, c, leaf) for r, c, leaf in pending if leaf not in spec.children]
    for (r, c, _), i in zip(others, match_by_place(matched, [(r, leaf) for r, _, leaf in others], spec.names),
                               strict=True):
        if i >= 0:
            _nonstandard(located, sheet, r, c, f"表{table.number}的行标签", block.rows[i].label)
        elif _has_values(sheet, r, value_cols):
            located.issues.append(Issue("S2", "unknown", (
                f"表{table.number}中有一行“{sheet.value(r, c)}”不是 {fmt} 版格式中的行，请删除或改为标准行"),
                (cell_ref(sheet.name, r, c),)))
    for r, c, leaf in parents:
        if not _has_values(sheet, r, value_cols):
            continue  # a group label on a row of its own
        subs = spec.children[leaf]
        where = (cell_ref(sheet.name, r, c),)
        typed = sheet.value(r, c)
        if any(i in matched for i in subs):
            located.issues.append(Issue("S2", "unknown", (
                f"表{table.number}的“{typed}”一行是小计行，不是格式中的行（格式中没有小计行），请删除这一行；"
                "它的数值没有参与核对"), where))
            continue
        explained.update(subs)
        names = "、".join(block.rows[i].label for i in subs)
        if leaf in spec.legacy:
            legacy = block.legacy[spec.legacy[leaf]]
            _put_row(located, sheet, r, [(f"t3.{legacy.key}.{column.key}", cols[column.key])
                                         for column in block.columns if column.key in cols])
            located.replaced.update(key for i in subs for key in spec.keys[i])
            located.issues.append(Issue("S2", "unknown", (
                f"表{table.number}的“{typed}”是旧格式的单独一行；{fmt} 版格式中它分为 {len(subs)} 行（{names}），"
                "请按新格式分行填写；本次按这一行的数值核对"), where))
        else:
            located.issues.append(Issue("S2", "unknown", (
                f"表{table.number}的“{typed}”应分为 {len(subs)} 行（{names}）填写；用到这些行的核对未能进行"),
                where))
    return explained


def _has_values(sheet: Sheet, r: int, cols: Iterable[int]) -> bool:
    return any(sheet.value(r, c) not in ("", None) for c in cols)


# ── 表二 ─────────────────────────────────────────────────────────────────────────────────────────
#: what ends table 二's last block: the next table, or the next section
_AFTER_T2 = ("三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
             "五、存在的主要问题及改进情况", "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")


def _locate_t2(index: _Index, table: Table, located: Located) -> bool:
    headings = {block.key: index.find(block.heading)[:1] for block in table.blocks}
    if not all(headings.values()):
        _t2_headings_by_place(index, table, headings, located)
    starts = sorted(pos for hits in headings.values() for pos in hits)
    starts += [pos for label in _AFTER_T2 for pos in index.find(label)]
    found = False
    for block in table.blocks:
        if not headings[block.key]:
            located.issues.append(Issue("S2", "missing", f"表{table.number}缺少“{block.heading}”部分"))
            continue
        found = True
        s, r, c = headings[block.key][0]
        end = min([rr for ss, rr, _ in starts if ss == s and rr > r] + [r + 2 + len(block.rows) + 4])
        _locate_block(index, table, block, (s, r, c, end), located)
    return found


def _t2_headings_by_place(index: _Index, table: Table, headings: dict[str, list[tuple[int, int, int]]],
                          located: Located) -> None:
    """Block headings that are not official text ("第二十条第五项"), by place and likeness."""
    officials = [normalize(block.heading) for block in table.blocks]
    # a position orders sheets before rows
    found = {i: s * 100_000 + r for i, block in enumerate(table.blocks) for s, r, _ in headings[block.key]}
    candidates = sorted((s * 100_000 + r, (s, r, c), norm) for norm, hits in index.at.items()
                        if norm.startswith("第二十条") and norm not in officials for s, r, c in hits)
    places = match_by_place(found, [(pos, norm) for pos, _, norm in candidates], officials)
    for (_, (s, r, c), _), i in zip(candidates, places, strict=True):
        if i >= 0:
            headings[table.blocks[i].key] = [(s, r, c)]
            _nonstandard(located, index.sheets[s], r, c, f"表{table.number}的标题", table.blocks[i].heading)


@functools.lru_cache(maxsize=32)
def _foreign(layout: Layout) -> frozenset[str]:
    return frozenset(normalize(label) for label in layout.foreign_labels)


def _locate_block(index: _Index, table: Table, block: Block, where: tuple[int, int, int, int],
                  located: Located) -> None:
    s, top, heading_col, end = where
    sheet = index.sheets[s]
    rows: dict[str, tuple[int, int]] = {}
    for row in block.rows:
        hits = [(rr, cc) for ss, rr, cc in index.find(row.label) if ss == s and top < rr < end]
        if hits:
            rows[row.key] = hits[0]
    header = [(rr, cc) for ss, rr, cc in index.find(block.label_header) if ss == s and top < rr < end]
    label_col = header[0][1] if header else min((cc for _, cc in rows.values()), default=heading_col)
    cols: dict[str, int] = {}
    header_rows: set[int] = {rr for rr, _ in header}
    for column in block.columns:
        hits = [(rr, cc) for ss, rr, cc in index.find(column.label) if ss == s and top <= rr < end]
        if hits:
            cols[column.key] = hits[0][1]
            header_rows.add(hits[0][0])
        elif block.merged_value:
            cols[column.key] = label_col + 1
    if len(cols) < len(block.columns):
        _t2_columns_by_place(sheet, table, block, (min(header_rows, default=top + 1), label_col), cols, located)
    _t2_rows_by_place(sheet, table, block, (top, end, label_col, header_rows), rows, cols, located)
    for row in block.rows:
        if row.key not in rows:
            located.issues.append(Issue("S2", "missing", f"表{table.number}“{block.heading}”缺少“{row.label}”一行"))
    for column in block.columns:
        if column.key not in cols:
            located.issues.append(Issue("S2", "missing",
                                        f"表{table.number}“{block.heading}”缺少“{column.label}”列"))
    for row in block.rows:
        if row.key in rows:
            for column in block.columns:
                if column.key in cols:
                    _put(located, index, f"t2.{block.key}.{row.key}.{column.key}", s, rows[row.key][0],
                         cols[column.key])


def _t2_columns_by_place(sheet: Sheet, table: Table, block: Block, where: tuple[int, int], cols: dict[str, int],
                         located: Located) -> None:
    header_row, label_col = where
    officials = [normalize(column.label) for column in block.columns]
    taken = set(cols.values())
    candidates = [(c, t) for c, t in sheet.row_texts(header_row) if c > label_col and c not in taken]
    found = {i: cols[column.key] for i, column in enumerate(block.columns) if column.key in cols}
    for (c, _), i in zip(candidates, match_by_place(found, candidates, officials), strict=True):
        if i >= 0:
            cols[block.columns[i].key] = c
            _nonstandard(located, sheet, header_row, c, f"表{table.number}“{block.heading}”的列标题",
                         block.columns[i].label)


def _t2_rows_by_place(sheet: Sheet, table: Table, block: Block, where: tuple[int, int, int, set[int]],
                      rows: dict[str, tuple[int, int]], cols: dict[str, int], located: Located) -> None:
    """Rows of a block whose labels are not official text: a misspelt one ("规范文件") is taken by its
    place and likeness, one that is not in the format and holds values is an error on its cell."""
    top, end, label_col, header_rows = where
    officials = [normalize(row.label) for row in block.rows]
    used = {rr for rr, _ in rows.values()}
    foreign = _foreign(located.layout)
    candidates = [(r, t) for r in range(top + 1, end) if r not in used and r not in header_rows
                  for c, t in sheet.row_texts(r) if c == label_col and t not in foreign]
    found = {i: rows[row.key][0] for i, row in enumerate(block.rows) if row.key in rows}
    for (r, _), i in zip(candidates, match_by_place(found, candidates, officials), strict=True):
        if i >= 0:
            rows[block.rows[i].key] = (r, label_col)
            _nonstandard(located, sheet, r, label_col, f"表{table.number}“{block.heading}”的行标签",
                         block.rows[i].label)
        elif _has_values(sheet, r, cols.values()):
            located.issues.append(Issue("S2", "unknown", (
                f"表{table.number}“{block.heading}”中有一行“{sheet.value(r, label_col)}”不是 "
                f"{located.layout.format} 版格式中的行，请删除或改为标准行"), (cell_ref(sheet.name, r, label_col),)))


# ── 表四 ─────────────────────────────────────────────────────────────────────────────────────────
def _locate_t4(index: _Index, table: Table, located: Located) -> bool:
    block = table.blocks[0]
    groups: dict[str, str] = {}
    for column in block.columns:
        groups.setdefault(column.key.split(".")[0], column.group)
    anchors = index.find(groups["review"])
    if not anchors:
        located.issues.append(Issue("S2", "missing", f"找不到表{table.number}（{table.title}）"))
        return False
    s, top, left = anchors[0]
    sheet = index.sheets[s]
    starts = {"review": left}
    for key, label in groups.items():
        hits = [cc for ss, rr, cc in index.find(label) if ss == s and top <= rr <= top + 3 and cc >= left]
        if hits:
            starts[key] = hits[0]
    known = {normalize(x) for column in block.columns for x in (column.label, column.group, column.supergroup)
             if x} | {normalize(table.title)}
    if len(starts) < len(groups):
        texts = sorted({c: (r, t) for r in range(top, top + 4) for c, t in sheet.row_texts(r)
                        if c > left and t not in known and c not in starts.values()}.items())
        officials = [normalize(label) for label in groups.values()]
        found = {i: starts[key] for i, key in enumerate(groups) if key in starts}
        for (c, (r, _)), i in zip(texts, match_by_place(found, [(c, t) for c, (_, t) in texts], officials),
                                  strict=True):
            if i >= 0:
                key = list(groups)[i]
                starts[key] = c
                _nonstandard(located, sheet, r, c, f"表{table.number}的列标题", groups[key])
    order = sorted(starts.values())
    subs: dict[str, tuple[int, int]] = {}
    for group in groups:
        if group not in starts:
            continue
        span = (starts[group], min([c for c in order if c > starts[group]], default=1 << 20))
        columns = [column for column in block.columns if column.key.startswith(f"{group}.")]
        for column in columns:
            under = [(rr, cc) for ss, rr, cc in index.find(column.label)
                     if ss == s and top <= rr <= top + 4 and span[0] <= cc < span[1]]
            if under:
                subs[column.key] = min(under, key=lambda h: h[1])
        if len(columns) > sum(column.key in subs for column in columns):
            _t4_columns_by_place(sheet, table, columns, (top, span), known, subs, located)
    for column in block.columns:
        if column.key not in subs:
            located.issues.append(Issue("S2", "missing", f"表{table.number}缺少“{column.group}·{column.label}”列"))
    if not subs:
        return True
    value_row = max(rr for rr, _ in subs.values()) + 1
    value_cols = [cc for _, cc in subs.values()]
    for candidate in range(value_row, value_row + 3):
        if _has_values(sheet, candidate, value_cols) and not _is_note_row(sheet, candidate, value_cols):
            value_row = candidate
            break
    if _is_section_row(sheet, value_row, value_cols):
        # the next section straight under the headers: the value row was published empty, and a web
        # page drops an empty row; its values are blank, named by their column headers
        for key, (rr, cc) in subs.items():
            located.values[f"t4.{key}"] = parse(f"t4.{key}", cell_ref(sheet.name, rr, cc), "")
        return True
    for key, (_, cc) in subs.items():
        _put(located, index, f"t4.{key}", s, value_row, cc)
    return True


def _is_section_row(sheet: Sheet, r: int, cols: Iterable[int]) -> bool:
    """The heading of a report section ("五、存在的主要问题及改进情况"), not a row of values."""
    for c in cols:
        if isinstance(v := sheet.value(r, c), str):
            norm = normalize(v)
            if norm[:1] in "一二三四五六" and norm[1:2] in "、." and norm.endswith(_SECTION_ENDS):
                return True
    return False


def _t4_columns_by_place(sheet: Sheet, table: Table, columns: Sequence[Column], where: tuple[int, tuple[int, int]],
                         known: Set[str], subs: dict[str, tuple[int, int]], located: Located) -> None:
    top, (first, stop) = where
    taken = {cc for _, cc in subs.values()}
    texts = sorted({c: (r, t) for r in range(top, top + 5) for c, t in sheet.row_texts(r)
                    if first <= c < stop and t not in known and c not in taken}.items())
    officials = [normalize(column.label) for column in columns]
    found = {i: subs[column.key][1] for i, column in enumerate(columns) if column.key in subs}
    for (c, (r, _)), i in zip(texts, match_by_place(found, [(c, t) for c, (_, t) in texts], officials),
                              strict=True):
        if i >= 0:
            subs[columns[i].key] = (r, c)
            _nonstandard(located, sheet, r, c, f"表{table.number}“{columns[i].group}”的列标题", columns[i].label)


#: how the report's six section headings end
_SECTION_ENDS = ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况", "行政复议、行政诉讼情况",
                 "存在的主要问题及改进情况", "其他需要报告的事项")


def _is_note_row(sheet: Sheet, r: int, cols: Iterable[int]) -> bool:
    """A note written under a table ("注：行政复议、行政诉讼数量含上年度结转数量。"), not its values."""
    return any(isinstance(v := sheet.value(r, c), str) and normalize(v).startswith(("注", "备注", "说明"))
               for c in cols)


_TABLE_LOCATORS = {"t2": _locate_t2, "t3": _locate_t3, "t4": _locate_t4}


# ── 年度、单位、旧格式标签 ───────────────────────────────────────────────────────────────────────────
#: cells that are notes or instructions, not the title, even when they name the report
_NOT_A_TITLE = ("注", "请", "本表", "根据", "依据", "按照", "说明", "填报说明", "备注")


@functools.cache
def _year_token() -> re.Pattern[str]:
    # "2023年" or "2023年度", but not the year of a date ("2024年1月20日"); compiled on first use, as
    # only a few title-like cells ever reach it
    return re.compile(r"(?<!\d)((?:19|20)\d\d)年(?!\d)(度)?")


@functools.cache
def _sheet_year() -> re.Pattern[str]:
    return re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)(?!年\d)")


class _Seen(NamedTuple):
    """One place the workbook states its report year."""

    year: int
    ref: str
    #: how a message names the place: "标题", "“报告年度”栏"
    where: str


def _cell_year(value: object) -> int | None:
    """A 报告年度 cell's value as a year: 2023, "2023", "2023年", "2023年度"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        year = int(value) if float(value).is_integer() else 0
    elif isinstance(value, str):
        text = normalize(value).removesuffix("度").removesuffix("年")
        year = int(text) if text.isascii() and text.isdigit() and len(text) == 4 else 0
    else:
        return None
    return year if 1990 < year < 2100 else None


def _title_year(norm: str) -> tuple[int, str | None] | None:
    """The report year (0 when it names none) and unit of a title such as
    "××镇人民政府2020年政府信息公开工作年度报告"; None for any other text, notes and instructions that
    mention the report included."""
    if (len(norm) > 60 or not norm.endswith("报告") or "政府信息公开" not in norm or "报送" in norm
            or norm.startswith(_NOT_A_TITLE)):
        return None
    year, unit = _year_and_unit(norm, norm.index("政府信息公开"))
    return year, unit or None


def _year_and_unit(norm: str, subject: int) -> tuple[int, str]:
    """The year (0 when none) and the unit of a report's name, ``subject`` where its "政府信息公开"
    stands: the year that names the report stands just before it, and a name with the year first
    names the unit between them."""
    tokens = list(_year_token().finditer(norm))
    before = [m for m in tokens if m.start() < subject]
    match = before[-1] if before else (tokens[0] if tokens else None)
    if match is None:
        return 0, norm[:subject]
    if match.start() > subject:  # "……年度报告（2023年）"
        return int(match.group(1)), norm[:subject]
    return int(match.group(1)), norm[:match.start()] or norm[match.end():subject]


@functools.cache
def _file_prefix() -> re.Pattern[str]:
    # what a report's file name carries before its unit (normalised: brackets folded to ASCII):
    # an attachment's label and a serial number, "附件2:", "0016-", "(3)"
    return re.compile(r"^(?:附件\d*[:\-_.、]*)?(?:\(?\d{1,4}\)?[\-_.、]*)?")


#: names that stand for a unit in a template, not for one
_PLACEHOLDERS = ("XX", "xx", "××", "某", "本单位", "我单位")


def file_title(path: str) -> tuple[int, str | None] | None:
    """The report year (0 when it names none) and unit a report's file is named after
    ("0016-青山镇人民政府2023年政府信息公开工作年度报告报表.xlsx": 2023, 青山镇人民政府); None for a
    name that is no report's. Reviewers receive the units' files named so, and many workbooks hold
    the tables alone, without a title or 填报单位. Looser than a title in the workbook: whatever
    follows (报表, 定稿, a date) is no part of it."""
    stem = normalize(os.path.splitext(os.path.basename(path))[0])
    subject = stem.find("政府信息公开")
    # a notice about the reports ("关于报送……的通知") names no unit's report
    if subject < 0 or "报送" in stem or "通知" in stem or stem.startswith(("关于", *_NOT_A_TITLE)):
        return None
    year, unit = _year_and_unit(stem, subject)
    unit = _file_prefix().sub("", unit).strip("-_.、:")
    if len(unit) < 2 or unit.isascii() or any(p in unit for p in _PLACEHOLDERS):
        unit = ""
    return year, unit or None


def file_unit(path: str) -> str | None:
    """The unit a report's file is named after (see :func:`file_title`)."""
    title = file_title(path)
    return title[1] if title else None


@dataclass
class _Stated:
    """What a workbook says about its year and unit."""

    #: 报告年度 cells and titles
    years: list[_Seen] = field(default_factory=list)
    #: sheet names and the file's name: weaker signs, used only when nothing else says
    weak: list[_Seen] = field(default_factory=list)
    #: 报告年度 cells left blank (or unreadable): where a missing year belongs
    blank: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)


def _find_year(book: Workbook, index: _Index) -> _Stated:
    out = _Stated()
    for label in ("报告年度", "年度"):
        for s, r, c in index.find(label):
            col, value = _right_of(book.sheets[s], r, c)
            ref = cell_ref(book.sheets[s].name, r, col)
            if (year := _cell_year(value)) is not None:
                out.years.append(_Seen(year, ref, f"“{label}”栏"))
            else:
                out.blank.append(ref)
    for sheet in book.sheets:
        for r, c, norm in sheet.texts:
            if "报告" not in norm:
                continue
            if norm.startswith("报告年度") and (year := _cell_year(norm[4:].lstrip(":"))) is not None:
                out.years.append(_Seen(year, cell_ref(sheet.name, r, c), "“报告年度”栏"))
            elif (title := _title_year(norm)) is not None:
                if title[0]:
                    out.years.append(_Seen(title[0], cell_ref(sheet.name, r, c), "标题"))
                if title[1]:
                    out.units.append(title[1])
        years = {int(m.group(1)) for m in _sheet_year().finditer(sheet.name)}
        if len(years) == 1:
            out.weak.append(_Seen(years.pop(), "", f"工作表名“{sheet.name}”"))
    name = os.path.basename(book.path)
    if (title := file_title(name)) is not None and title[0]:
        out.weak.append(_Seen(title[0], "", f"文件名“{name}”"))
    return out


def _settle_year(stated: _Stated, explicit: bool) -> tuple[_Seen | None, Issue | None]:
    """The report year the workbook states (at its first place); an S1 issue when it states none or
    several, unless the year was given."""
    seen = stated.years or stated.weak
    years = {x.year for x in seen}
    if len(years) == 1:
        return seen[0], None
    if explicit:  # the given year decides; what the workbook says does not matter
        return None, None
    if not years:
        return None, Issue("S1", "year", (
            "找不到报告年度：标题中没有“××××年”，“报告年度”栏也没有填写；请在标题或“报告年度”栏写明年度。"
            "表格格式与年度是否相符未能核对"), tuple(stated.blank))
    places = "，".join(f"{x.where}为 {x.year} 年" for x in seen)
    return None, Issue("S1", "year", f"报告年度不一致：{places}；请改为同一年度。表格格式与年度是否相符未能核对",
                       tuple(dict.fromkeys(x.ref for x in seen if x.ref)))


def _foreign_labels(index: _Index, layouts: Sequence[Layout], located: Located) -> None:
    """Labels that belong to another format (S1: e.g. 政府集中采购 in a 2021-format workbook)."""
    own = _labels(located.layout)
    for label in located.layout.foreign_labels:
        norm = normalize(label)
        if norm in own:
            continue
        other = next((x.format for x in layouts if x is not located.layout and norm in _labels(x)), "其他")
        for s, r, c in index.at.get(norm, ()):
            sheet = index.sheets[s]
            located.issues.append(Issue("S1", "foreign", (
                f"“{sheet.value(r, c)}”是 {other} 版格式的内容，{located.layout.format} 版格式中没有这一项"),
                (cell_ref(sheet.name, r, c),)))


