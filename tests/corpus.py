"""Filled annual-report workbooks for tests, laid out the way real offices lay them out.

The workbooks here are deliberately *not* generated from the project's own template: each writer
below places the tables of 政府信息公开工作年度报告 sections 二, 三 and 四 itself, with merged label
cells, title rows, page-break header repeats, remarks beside the tables and drifted labels, as found in
published reports.  Every writer returns where each value went (``{field_key: "Sheet!D12"}``), so a
test can assert that a locator found exactly those cells.

This module has no pytest dependency; it only needs openpyxl.

Field keys (shared with the core):

* table 2: ``t2.<block>.<row>.<col>``, e.g. ``t2.art20_1.normative.made``;
* table 3: ``t3.<row>.<col>``, e.g. ``t3.withheld_3.business``;
* table 4: ``t4.<group>.<sub>``, e.g. ``t4.review.total``.

Main entry points: :func:`consistent_values`, :func:`write_report`, :func:`write_xiaolou`,
:func:`write_not_a_report`, :func:`write_mixed_2021`, :func:`write_typo_label`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Literal

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

Value = int | float
RawContent = str | int | float | None
Fmt = Literal["2019", "2021"]

# --------------------------------------------------------------------------------------------------
# The official tables, as data
# --------------------------------------------------------------------------------------------------

#: Table 3 value columns: (key, official label).
T3_COLS: tuple[tuple[str, str], ...] = (
    ("natural", "自然人"),
    ("business", "商业企业"),
    ("research", "科研机构"),
    ("nonprofit", "社会公益组织"),
    ("legal", "法律服务机构"),
    ("other_org", "其他"),
    ("total", "总计"),
)
T3_PARTS: tuple[str, ...] = tuple(key for key, _ in T3_COLS[:-1])
"""The six applicant columns whose sum is the 总计 column (T3-ROW)."""

T3_BALANCE_HEADER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T3_RESULTS_LABEL = "三、本年度办理结果"

#: Rows above the 三 block, spanning every label column: (key, label).
T3_HEAD_ROWS: tuple[tuple[str, str], ...] = (
    ("new", "一、本年新收政府信息公开申请数量"),
    ("carried_over", "二、上年结转政府信息公开申请数量"),
)
#: The row below the 三 block.
T3_TAIL_ROWS: tuple[tuple[str, str], ...] = (("carry_forward", "四、结转下年度继续办理"),)

_WITHHELD = (
    "1.属于国家秘密",
    "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”",
    "4.保护第三方合法权益",
    "5.属于三类内部事务信息",
    "6.属于四类过程性信息",
    "7.属于行政执法案卷",
    "8.属于行政查询事项",
)
_UNAVAILABLE = (
    "1.本机关不掌握相关政府信息",
    "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确",
)
_UNPROCESSED = (
    "1.信访举报投诉类申请",
    "2.重复申请",
    "3.要求提供公开出版物",
    "4.无正当理由大量反复申请",
    "5.要求行政机关确认或重新出具已获取信息",
)
_OTHER_2021 = (
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "3.其他",
)


def _sub_rows(prefix: str, group: str, labels: Sequence[str]) -> list[tuple[str, str | None, str]]:
    return [(f"{prefix}_{i}", group, label) for i, label in enumerate(labels, 1)]


def _t3_result_rows(fmt: str) -> tuple[tuple[str, str | None, str], ...]:
    """Rows under 三、本年度办理结果: (key, group label or None, label)."""
    single_other: list[tuple[str, str | None, str]] = [("other", None, "（六）其他处理")]
    other = single_other if fmt == "2019" else _sub_rows("other", "（六）其他处理", _OTHER_2021)
    return (
        ("public", None, "（一）予以公开"),
        ("partial", None, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
        *_sub_rows("withheld", "（三）不予公开", _WITHHELD),
        *_sub_rows("unavailable", "（四）无法提供", _UNAVAILABLE),
        *_sub_rows("unprocessed", "（五）不予处理", _UNPROCESSED),
        *other,
        ("total", None, "（七）总计"),
    )


T3_RESULT_ROWS_2019 = _t3_result_rows("2019")
T3_RESULT_ROWS_2021 = _t3_result_rows("2021")


@dataclass(frozen=True)
class T2Block:
    """One block of table 2: its key, its heading, its value columns and its rows."""

    key: str
    heading: str
    cols: tuple[tuple[str, str], ...]
    rows: tuple[tuple[str, str], ...]


_PREV_CHANGE = (("prev_items", "上一年项目数量"), ("change", "本年增/减"))
T2_BLOCKS_2019: tuple[T2Block, ...] = (
    T2Block(
        "art20_1",
        "第二十条第（一）项",
        (
            ("made", "本年新制作数量"),
            ("published", "本年新公开数量"),
            ("total_public", "对外公开总数量"),
        ),
        (("regulations", "规章"), ("normative", "规范性文件")),
    ),
    T2Block(
        "art20_5",
        "第二十条第（五）项",
        (*_PREV_CHANGE, ("decisions", "处理决定数量")),
        (("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")),
    ),
    T2Block(
        "art20_6",
        "第二十条第（六）项",
        (*_PREV_CHANGE, ("decisions", "处理决定数量")),
        (("penalty", "行政处罚"), ("enforcement", "行政强制")),
    ),
    T2Block("art20_8", "第二十条第（八）项", _PREV_CHANGE, (("fees", "行政事业性收费"),)),
    T2Block(
        "art20_9",
        "第二十条第（九）项",
        (("projects", "采购项目数量"), ("amount", "采购总金额")),
        (("procurement", "政府集中采购"),),
    ),
)
_DECISIONS_2021 = (("decisions", "本年处理决定数量"),)
T2_BLOCKS_2021: tuple[T2Block, ...] = (
    T2Block(
        "art20_1",
        "第二十条第（一）项",
        (
            ("made", "本年制发件数"),
            ("repealed", "本年废止件数"),
            ("in_force", "现行有效件数"),
        ),
        (("regulations", "规章"), ("normative", "行政规范性文件")),
    ),
    T2Block("art20_5", "第二十条第（五）项", _DECISIONS_2021, (("licensing", "行政许可"),)),
    T2Block(
        "art20_6",
        "第二十条第（六）项",
        _DECISIONS_2021,
        (("penalty", "行政处罚"), ("enforcement", "行政强制")),
    ),
    T2Block(
        "art20_8",
        "第二十条第（八）项",
        (("amount", "本年收费金额（单位：万元）"),),
        (("fees", "行政事业性收费"),),
    ),
)
T2_WIDTH = 4
"""Table 2 is four columns wide: 信息内容 plus up to three values (fewer values are merged wider)."""

#: Table 4 groups and sub-columns: (key, label).
T4_GROUPS: tuple[tuple[str, str], ...] = (
    ("review", "行政复议"),
    ("direct", "未经复议直接起诉"),
    ("after", "复议后起诉"),
)
T4_SUBS: tuple[tuple[str, str], ...] = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)

SECTION_HEADINGS = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)


def _t2_blocks(fmt: str) -> tuple[T2Block, ...]:
    return T2_BLOCKS_2019 if fmt == "2019" else T2_BLOCKS_2021


def _t3_rows(fmt: str) -> tuple[str, ...]:
    """Table 3 row keys of a format, top to bottom."""
    results = T3_RESULT_ROWS_2019 if fmt == "2019" else T3_RESULT_ROWS_2021
    return (
        *(key for key, _ in T3_HEAD_ROWS),
        *(key for key, _, _ in results),
        *(key for key, _ in T3_TAIL_ROWS),
    )


def _fields(fmt: str) -> tuple[str, ...]:
    t2 = [f"t2.{block.key}.{row}.{col}" for block in _t2_blocks(fmt) for row, _ in block.rows for col, _ in block.cols]
    t3 = [f"t3.{row}.{col}" for row in _t3_rows(fmt) for col, _ in T3_COLS]
    t4 = [f"t4.{group}.{sub}" for group, _ in T4_GROUPS for sub, _ in T4_SUBS]
    return (*t2, *t3, *t4)


FIELDS_2019: tuple[str, ...] = _fields("2019")
"""Every field key of the 2019 format, in reading order (table 2, 3, 4; row by row)."""
FIELDS_2021: tuple[str, ...] = _fields("2021")
"""Every field key of the 2021 format, in reading order (table 2, 3, 4; row by row)."""


def fields(fmt: str) -> tuple[str, ...]:
    """FIELDS_2019 or FIELDS_2021 by format name."""
    if fmt not in ("2019", "2021"):
        raise ValueError(f"unknown format {fmt!r}")
    return FIELDS_2019 if fmt == "2019" else FIELDS_2021


# --------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------


def consistent_values(fmt: str, seed: int = 0) -> dict[str, Value]:
    """Random small values for every field of ``fmt`` that satisfy every national rule.

    Holds: T3-ID, T3-RES, T3-ROW (by construction, per column and row), T4-SUM, T2-19a, T2-19b,
    D1 (counts are ints ≥ 0; only 2019 本年增/减 may be negative; amounts are floats ≥ 0), the 2021
    收费金额 is a two-decimal amount below 100 万元.  规章 is always 0, so T2-LVL holds whatever the
    unit's level (the titles here name a township).  Deterministic for a given ``seed``.
    """
    fmt_fields = fields(fmt)
    rng = random.Random(seed)
    out: dict[str, Value] = {}

    # Table 3, column by column; the 总计 column is the row sum.
    results = [key for key, _, _ in (T3_RESULT_ROWS_2019 if fmt == "2019" else T3_RESULT_ROWS_2021)]
    leaf_results = [key for key in results if key != "total"]
    for col in T3_PARTS:
        busy = col == "natural" or rng.random() < 0.5
        new = rng.randint(1, 12) if busy else rng.randint(0, 2)
        carried = rng.randint(0, 3) if busy else 0
        handled = new + carried
        carry_forward = rng.randint(0, min(handled, 3))
        counts = dict.fromkeys(leaf_results, 0)
        for _ in range(handled - carry_forward):
            counts[rng.choice(leaf_results)] += 1
        counts.update(new=new, carried_over=carried, carry_forward=carry_forward)
        counts["total"] = handled - carry_forward
        for row, n in counts.items():
            out[f"t3.{row}.{col}"] = n
    for row in _t3_rows(fmt):
        out[f"t3.{row}.total"] = sum(int(out[f"t3.{row}.{col}"]) for col in T3_PARTS)

    # Table 4.
    for group, _ in T4_GROUPS:
        parts = [rng.choice((0, 0, 1, 2, 3)) for _ in range(4)]
        for (sub, _), n in zip(T4_SUBS, parts, strict=False):
            out[f"t4.{group}.{sub}"] = n
        out[f"t4.{group}.total"] = sum(parts)

    # Table 2.
    for block in _t2_blocks(fmt):
        for row, _ in block.rows:
            key = f"t2.{block.key}.{row}"
            if fmt == "2019":
                _t2_2019_values(rng, block.key, row, key, out)
            else:
                _t2_2021_values(rng, block.key, row, key, out)

    assert set(out) == set(fmt_fields), set(out) ^ set(fmt_fields)
    return {key: out[key] for key in fmt_fields}


def _t2_2019_values(rng: random.Random, block: str, row: str, key: str, out: dict[str, Value]) -> None:
    if block == "art20_1":
        made = 0 if row == "regulations" else rng.randint(0, 8)
        published = 0 if row == "regulations" else rng.randint(0, made)
        extra = 0 if row == "regulations" else rng.randint(0, 60)
        out.update(
            {
                f"{key}.made": made,
                f"{key}.published": published,
                f"{key}.total_public": published + extra,
            }
        )
    elif block == "art20_9":
        out[f"{key}.projects"] = rng.randint(0, 30)
        out[f"{key}.amount"] = round(rng.uniform(0, 900000), 2)
    else:
        prev = rng.randint(0, 300)
        out[f"{key}.prev_items"] = prev
        out[f"{key}.change"] = rng.randint(-min(prev, 6), 6)
        if block != "art20_8":
            out[f"{key}.decisions"] = rng.randint(0, 500)


def _t2_2021_values(rng: random.Random, block: str, row: str, key: str, out: dict[str, Value]) -> None:
    if block == "art20_1":
        if row == "regulations":
            out.update({f"{key}.made": 0, f"{key}.repealed": 0, f"{key}.in_force": 0})
        else:
            made = rng.randint(0, 6)
            out.update(
                {
                    f"{key}.made": made,
                    f"{key}.repealed": rng.randint(0, 3),
                    f"{key}.in_force": made + rng.randint(0, 40),
                }
            )
    elif block == "art20_8":
        out[f"{key}.amount"] = round(rng.uniform(0, 99.99), 2)
    else:
        out[f"{key}.decisions"] = rng.randint(0, 500)


def as_2019_other(values: Mapping[str, Value]) -> dict[str, Value]:
    """2021 values with the three （六） rows folded into the single 2019 ``other`` row."""
    out = {k: v for k, v in values.items() if not re.match(r"t3\.other_\d\.", k)}
    for col, _ in T3_COLS:
        out[f"t3.other.{col}"] = sum(values[f"t3.other_{i}.{col}"] for i in (1, 2, 3))
    return out


# --------------------------------------------------------------------------------------------------
# Label drift
# --------------------------------------------------------------------------------------------------

_DRIFT_WORDS = (
    ("需要另行制作", "需另行制作"),
    ("“三安全一稳定”", '"三安全一稳定"'),
    ("结转下年度继续办理", "结转下一年度继续办理"),
)


def drift_label(label: str) -> str:
    """A label as a real office might type it: half-width brackets, "1、" numbering, extra spaces,
    "需另行制作", straight quotes, "结转下一年度继续办理"."""
    for official, drifted in _DRIFT_WORDS:
        label = label.replace(official, drifted)
    label = re.sub(r"^（([一二三四五六七八九十])）", r"(\1) ", label)
    label = label.replace("（", "(").replace("）", ")")
    label = re.sub(r"^(\d)\.", r"\1、", label)
    if re.match(r"^[一二三四]、", label):
        label = label + "  "
    return label


_COL_DRIFT = {
    "商业企业": "商业\n企业",
    "社会公益组织": "社会公益\n组织",
    "总计": "总 计",
}


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    """What a writer needs while laying out one workbook."""

    values: Mapping[str, Value | str]
    raw: Mapping[str, RawContent]
    drift: bool = False
    notes: bool = False
    extra_rows: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)

    def put_value(self, ws: Worksheet, row: int, col: int, key: str) -> None:
        if key in self.raw:
            content = self.raw[key]
            ws.cell(row=row, column=col, value=None if content == "" else content)
        else:
            ws.cell(row=row, column=col, value=self.values[key])
        self.cells[key] = f"{ws.title}!{get_column_letter(col)}{row}"

    def label(self, text: str, key: str | None = None) -> str:
        if key is not None and key in self.labels:
            return self.labels[key]
        return drift_label(text) if self.drift else text


def _put(
    ws: Worksheet,
    row: int,
    col: int,
    value: object,
    to_row: int | None = None,
    to_col: int | None = None,
) -> None:
    """Write ``value`` at (row, col) and merge through (to_row, to_col) when that is a wider range."""
    ws.cell(row=row, column=col, value=value)
    to_row = row if to_row is None else to_row
    to_col = col if to_col is None else to_col
    if (to_row, to_col) != (row, col):
        ws.merge_cells(start_row=row, start_column=col, end_row=to_row, end_column=to_col)


def _write_t2(ctx: _Ctx, ws: Worksheet, r: int, c: int, blocks: Sequence[T2Block]) -> int:
    """Table 2 from (r, c); returns the first row after it."""
    last = c + T2_WIDTH - 1
    for i, block in enumerate(blocks):
        if i and ctx.extra_rows:
            r += 1
        _put(ws, r, c, ctx.label(block.heading), to_col=last)
        if ctx.notes and i == 0:
            ws.cell(row=r, column=last + 1, value="注：数据截至12月31日")
        r += 1
        spans = [(c + 1 + j, c + 1 + j if j < len(block.cols) - 1 else last) for j in range(len(block.cols))]
        ws.cell(row=r, column=c, value="信息内容")
        for (start, end), (_, col_label) in zip(spans, block.cols, strict=True):
            _put(ws, r, start, col_label, to_col=end)
        r += 1
        for row_key, row_label in block.rows:
            ws.cell(row=r, column=c, value=ctx.label(row_label))
            for (start, end), (col_key, _) in zip(spans, block.cols, strict=True):
                ctx.put_value(ws, r, start, f"t2.{block.key}.{row_key}.{col_key}")
                if end != start:
                    ws.merge_cells(start_row=r, start_column=start, end_row=r, end_column=end)
            r += 1
    return r


@dataclass(frozen=True)
class _T3Style:
    """How table 3's labels are typed: the official text, or a published report's verbatim text."""

    balance_header: str = T3_BALANCE_HEADER
    results_label: str = T3_RESULTS_LABEL
    head_rows: tuple[tuple[str, str], ...] = T3_HEAD_ROWS
    tail_rows: tuple[tuple[str, str], ...] = T3_TAIL_ROWS
    results: tuple[tuple[str, str | None, str], ...] = T3_RESULT_ROWS_2021
    col_labels: tuple[str, ...] = tuple(label for _, label in T3_COLS)
    applicants: str = "申请人情况"
    organisations: str = "法人或其他组织"
    break_after: str | None = None
    """Row key after which the printed table broke across pages (a blank row and the header repeat)."""
    repeat_labels_after_break: bool = True
    """After the break, repeat 三 and the group label (True) or leave them blank as a Word table's
    continued merged cells come out (False)."""


def _write_t3_header(ctx: _Ctx, ws: Worksheet, r: int, c: int, style: _T3Style) -> int:
    v = c + 3  # first value column
    _put(ws, r, c, style.balance_header, to_row=r + 2, to_col=c + 2)
    _put(ws, r, v, style.applicants, to_col=v + 6)
    labels = [_COL_DRIFT.get(label, label) if ctx.drift else label for label in style.col_labels]
    _put(ws, r + 1, v, labels[0], to_row=r + 2)
    _put(ws, r + 1, v + 1, style.organisations, to_col=v + 5)
    _put(ws, r + 1, v + 6, labels[6], to_row=r + 2)
    for j in range(1, 6):
        ws.cell(row=r + 2, column=v + j, value=labels[j])
    if ctx.notes:
        ws.cell(row=r, column=v + 7, value="注：数据截至12月31日")
    return r + 3


def _write_t3(ctx: _Ctx, ws: Worksheet, r: int, c: int, style: _T3Style) -> int:
    """Table 3 with three label columns from (r, c); returns the first row after it."""
    v = c + 3
    r = _write_t3_header(ctx, ws, r, c, style)

    def value_row(row: int, key: str) -> None:
        for j, (col, _) in enumerate(T3_COLS):
            ctx.put_value(ws, row, v + j, f"t3.{key}.{col}")

    for key, label in style.head_rows:
        _put(ws, r, c, ctx.label(label, key), to_col=c + 2)
        value_row(r, key)
        if ctx.notes and key == "new":
            ws.cell(row=r, column=v + 7, value="注：含网上申请")
        r += 1

    # Split the result rows into the parts on either side of a page break.
    parts: list[list[tuple[str, str | None, str]]] = [[]]
    for row in style.results:
        parts[-1].append(row)
        if row[0] == style.break_after:
            parts.append([])
    for n, part in enumerate(parts):
        if n:
            r += 1  # the blank line where the page broke
            r = _write_t3_header(ctx, ws, r, c, style)
        continued = n > 0 and not style.repeat_labels_after_break
        first = r
        i = 0
        while i < len(part):
            key, group, label = part[i]
            if group is None:
                _put(ws, r, c + 1, ctx.label(label, key), to_col=c + 2)
                value_row(r, key)
                r += 1
                i += 1
                continue
            run = 0
            while i + run < len(part) and part[i + run][1] == group:
                run += 1
            # A group continued from the previous page keeps an empty group cell.
            group_continued = continued and i == 0
            _put(
                ws,
                r,
                c + 1,
                None if group_continued else ctx.label(group),
                to_row=r + run - 1,
            )
            for key, _, label in part[i : i + run]:
                ws.cell(row=r, column=c + 2, value=ctx.label(label, key))
                value_row(r, key)
                r += 1
            i += run
        if not continued:
            _put(ws, first, c, ctx.label(style.results_label), to_row=r - 1)

    for key, label in style.tail_rows:
        _put(ws, r, c, ctx.label(label, key), to_col=c + 2)
        value_row(r, key)
        r += 1
    return r


def _write_t4(
    ctx: _Ctx,
    ws: Worksheet,
    r: int,
    c: int,
    group_labels: Sequence[str] = (
        "行政复议",
        "行政诉讼",
        "未经复议直接起诉",
        "复议后起诉",
    ),
    sub_labels: Sequence[Sequence[str]] | None = None,
) -> int:
    """Table 4 from (r, c); returns the first row after it.

    ``sub_labels`` gives the five sub-column labels of each of the three groups, as typed.
    """
    if sub_labels is None:
        subs = [label for _, label in T4_SUBS]
        typed = [" ".join(s) for s in subs] if ctx.drift else subs
        sub_labels = [typed] * 3
    review, litigation, direct, after = group_labels
    _put(ws, r, c, review, to_col=c + 4)
    _put(ws, r, c + 5, litigation, to_col=c + 14)
    _put(ws, r + 1, c + 5, direct, to_col=c + 9)
    _put(ws, r + 1, c + 10, after, to_col=c + 14)
    for j, label in enumerate(sub_labels[0]):
        _put(ws, r + 1, c + j, label, to_row=r + 2)
    for g in (1, 2):
        for j, label in enumerate(sub_labels[g]):
            ws.cell(row=r + 2, column=c + 5 * g + j, value=label)
    for g, (group, _) in enumerate(T4_GROUPS):
        for j, (sub, _) in enumerate(T4_SUBS):
            ctx.put_value(ws, r + 3, c + 5 * g + j, f"t4.{group}.{sub}")
    if ctx.notes:
        ws.cell(row=r + 3, column=c + 15, value="单位：件")
    return r + 4


_UNIT = "青山镇人民政府"
_OVERVIEW = "本年度，我镇认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进政务公开各项工作。"
_PROBLEMS = "存在的主要问题是公开内容不够全面。下一步将加强业务培训，提升公开质量。"


def _heading(ws: Worksheet, r: int, c: int, text: str) -> int:
    ws.cell(row=r, column=c, value=text)
    return r + 1


def _build_report(
    path: str | PathLike[str],
    fmt: str,
    values: Mapping[str, Value | str],
    *,
    year: int | None = None,
    sheets: str = "one",
    origin: tuple[int, int] = (1, 1),
    title: bool = True,
    extra_rows: bool = False,
    notes: bool = False,
    drift: bool = False,
    raw: Mapping[str, RawContent] | None = None,
    t3_format: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    if fmt not in ("2019", "2021"):
        raise ValueError(f"unknown format {fmt!r}")
    if sheets not in ("one", "three"):
        raise ValueError(f"sheets must be 'one' or 'three', not {sheets!r}")
    t3_format = t3_format or fmt
    ctx = _Ctx(
        values=values,
        raw=raw or {},
        drift=drift,
        notes=notes,
        extra_rows=extra_rows,
        labels=labels or {},
    )
    style = _T3Style(
        results=T3_RESULT_ROWS_2019 if t3_format == "2019" else T3_RESULT_ROWS_2021,
        break_after="withheld_7" if extra_rows else None,
    )
    gap = 2 if extra_rows else 0
    r0, c0 = origin

    wb = Workbook()
    first = wb.active
    assert first is not None
    if sheets == "one":
        first.title = f"{year}年报" if year else "年报"
        sheet_list = [first, first, first]
    else:
        first.title = "主动公开"
        sheet_list = [first, wb.create_sheet("依申请"), wb.create_sheet("复议诉讼")]
    next_row = {id(ws): r0 for ws in sheet_list}

    def start(ws: Worksheet) -> int:
        return next_row[id(ws)]

    ws = sheet_list[0]
    r = start(ws)
    if title:
        _put(ws, r, c0, _UNIT, to_col=c0 + 9)
        year_text = f"{year}年" if year else ""
        _put(ws, r + 1, c0, f"{_UNIT}{year_text}政府信息公开工作年度报告", to_col=c0 + 9)
        r = _heading(ws, r + 2, c0, SECTION_HEADINGS[0])
        r = _heading(ws, r, c0, _OVERVIEW) + gap
    r = _heading(ws, r, c0, ctx.label(SECTION_HEADINGS[1])) + (1 if extra_rows else 0)
    next_row[id(ws)] = _write_t2(ctx, ws, r, c0, _t2_blocks(fmt)) + gap

    ws = sheet_list[1]
    r = _heading(ws, start(ws), c0, ctx.label(SECTION_HEADINGS[2])) + (1 if extra_rows else 0)
    next_row[id(ws)] = _write_t3(ctx, ws, r, c0, style) + gap

    ws = sheet_list[2]
    r = _heading(ws, start(ws), c0, ctx.label(SECTION_HEADINGS[3])) + (1 if extra_rows else 0)
    r = _write_t4(ctx, ws, r, c0) + gap
    if title:
        r = _heading(ws, r, c0, SECTION_HEADINGS[4])
        r = _heading(ws, r, c0, _PROBLEMS)
        r = _heading(ws, r, c0, SECTION_HEADINGS[5])
        _heading(ws, r, c0, "本年度无其他需要报告的事项。")
    wb.save(path)
    return ctx.cells


def write_report(
    path: str | PathLike[str],
    fmt: str,
    values: Mapping[str, Value | str],
    *,
    year: int | None = None,
    sheets: str = "one",
    origin: tuple[int, int] = (1, 1),
    title: bool = True,
    extra_rows: bool = False,
    notes: bool = False,
    drift: bool = False,
    raw: Mapping[str, RawContent] | None = None,
) -> dict[str, str]:
    """Write a filled report workbook of format ``fmt`` ("2019"/"2021"); return ``{key: "Sheet!D12"}``.

    Layout, as real offices lay it out:

    * ``sheets="one"``: one sheet named ``"<year>年报"`` (``"年报"`` without a year) holding the
      report top to bottom; ``sheets="three"``: tables 二/三/四 on sheets ``主动公开``, ``依申请``,
      ``复议诉讼``, each under its section heading.
    * ``origin`` (row, col), 1-based, is the top-left cell of the first thing written on each sheet;
      with ``title=False`` that is the section heading, and the table starts one row below it.
    * ``title``: the unit line and ``青山镇人民政府<year>年政府信息公开工作年度报告`` (merged over ten
      columns) on the first sheet, the 一 section with a sentence, and sections 五/六 after table 4.
    * Table 2: each block's ``第二十条第（x）项`` heading merged over four columns, a 信息内容 header row,
      then its rows; a block with fewer than three values merges its last header and value cells
      to the block's width (2019 (八)/(九); every 2021 single-value block).
    * Table 3: three label columns (三 merged vertically over the result rows, （三）（四）（五） and the
      2021 （六） merged over their sub-rows, 一/二/（一）/（二）/（七）/四 merged across), then seven
      value columns; a three-row header (勾稽 note merged 3×3, 申请人情况 merged over seven columns,
      自然人 and 总计 merged down, 法人或其他组织 merged over five).
    * Table 4: 行政复议 merged over five columns, 行政诉讼 over ten, the two litigation groups over
      five each, 行政复议's sub-headers merged down two rows, one value row of fifteen cells.
    * ``extra_rows``: blank rows after every table, between heading and table and between table 2's
      blocks; table 3 breaks after row 7.属于行政执法案卷 like a printed page: a blank row and the
      three header rows again, then the rest with 三、本年度办理结果 and （三）不予公开 typed again.
    * ``notes``: remarks in the column right next to the tables ("注：数据截至12月31日", "注：含网上申请",
      "单位：件").
    * ``drift``: labels typed with the drift in :func:`drift_label` plus "商业\\n企业", "社会公益\\n组织",
      "总 计" headers and "结 果 维 持"-style table 4 headers.
    * ``raw``: per field key, the exact content to write instead of the number ("" leaves the cell
      empty; a string starting with "=" becomes a formula).
    """
    return _build_report(
        path,
        fmt,
        values,
        year=year,
        sheets=sheets,
        origin=origin,
        title=title,
        extra_rows=extra_rows,
        notes=notes,
        drift=drift,
        raw=raw,
    )


def write_mixed_2021(path: str | PathLike[str], seed: int = 0) -> dict[str, str]:
    """A 2021 report (2021 table 2, year 2021) whose table 3 still has the single 2019 （六）其他处理 row.

    Values are ``as_2019_other(consistent_values("2021", seed))``: the map has ``t3.other.<col>`` keys
    and no ``t3.other_1..3`` keys.  One sheet ``2021年报``.
    """
    values = as_2019_other(consistent_values("2021", seed))
    return _build_report(path, "2021", values, year=2021, t3_format="2019")


TYPO_OFFICIAL = "4.保护第三方合法权益"
TYPO_LABEL = "4.保护第三方权益"


def write_typo_label(path: str | PathLike[str], seed: int = 0) -> dict[str, str]:
    """A 2021 report (values ``consistent_values("2021", seed)``, year 2021, one sheet ``2021年报``)
    whose row ``4.保护第三方合法权益`` is published as ``4.保护第三方权益``, in its usual place."""
    values = consistent_values("2021", seed)
    return _build_report(path, "2021", values, year=2021, labels={"withheld_4": TYPO_LABEL})


def write_not_a_report(path: str | PathLike[str]) -> None:
    """A workbook with unrelated content: a township office's staff list with a 合计 row."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "职工名单"
    _put(ws, 1, 1, "青山镇人民政府机关职工花名册", to_col=7)
    ws.append(["序号", "姓名", "性别", "科室", "职务", "入职年份", "联系电话"])
    staff = [
        ("张伟", "男", "党政办公室", "主任", 2008, "020-8261 0001"),
        ("李娜", "女", "党政办公室", "科员", 2016, "020-8261 0002"),
        ("王强", "男", "经济发展办公室", "副主任", 2012, "020-8261 0003"),
        ("刘洋", "男", "社会事务办公室", "科员", 2019, "020-8261 0004"),
        ("陈静", "女", "综合行政执法队", "队员", 2020, "020-8261 0005"),
        ("杨帆", "男", "公共服务办公室", "科员", 2021, "020-8261 0006"),
    ]
    for n, person in enumerate(staff, 1):
        ws.append([n, *person])
    ws.append(["合计", f"{len(staff)}人"])
    ws2 = wb.create_sheet("科室")
    ws2.append(["科室", "人数"])
    for office, count in (
        ("党政办公室", 2),
        ("经济发展办公室", 1),
        ("社会事务办公室", 1),
        ("其他", 2),
    ):
        ws2.append([office, count])
    ws2.append(["总计", 6])
    wb.save(path)


# --------------------------------------------------------------------------------------------------
# The real sample: 广州市增城区小楼镇人民政府 2020 report
# --------------------------------------------------------------------------------------------------


def _xiaolou_values() -> dict[str, Value | str]:
    values: dict[str, Value | str] = dict.fromkeys(FIELDS_2019, 0)
    values.update(
        {
            "t2.art20_5.licensing.prev_items": 6,
            "t2.art20_5.licensing.decisions": 25,
            "t2.art20_5.other_services.prev_items": 307,
            "t2.art20_5.other_services.decisions": 4261,
            "t2.art20_6.penalty.prev_items": 5,
            "t2.art20_6.penalty.decisions": 7,
            "t2.art20_6.enforcement.prev_items": 14,
            "t2.art20_8.fees.prev_items": 7,
            "t2.art20_9.procurement.projects": 25,
            "t2.art20_9.procurement.amount": "426796元",
            "t3.new.natural": 1,
            "t3.new.total": 1,
            "t3.public.natural": 1,
            "t3.public.total": 1,
        }
    )
    return values


XIAOLOU_VALUES: dict[str, Value | str] = _xiaolou_values()
"""The published numbers of the 小楼镇 2020 report (2019 format), keyed like FIELDS_2019.

All other cells are 0, including every （七）总计 cell: the report breaks T3-RES and T3-ID in the 自然人
and 总计 columns.  采购总金额 is the text "426796元" as published."""

_XIAOLOU_UNIT = "广州市增城区小楼镇人民政府"
_XIAOLOU_OVERVIEW = (
    (
        "2020年度，小楼镇全面贯彻落实省、市及区关于政府信息公开工作的各项要求，认真落实修订后的《中华人民共和国政府信息公开条例》"
        "（以下简称《条例》），紧紧围绕区委、区政府中心工作，持续加强政府信息公开能力，切实提高政府信息公开标准化规范化水平，"
        "有序推进政府信息公开平台建设，不断完善信息公开审批流程，有效提升全镇信息公开的水平与质量，现将工作开展情况报告如下："
    ),
    (
        "（一）加强组织领导，提高公开质量。今年以来，小楼镇不断强化政府信息公开组织领导，坚持高位推进政府信息公开工作，"
        "及时主动、准确、公开政府信息。截止2020年我镇主动公开政府信息共174条。资讯类共29条，其中部门动态26条、通知公告3条；"
        "公开类共85条，其中人事工作2条、公共资源配置领域55条、采购招标28条、基层政务公开1条；机构类9条；"
        "政府信息公开目录类51条，其中政府信息公开指南1条、组织机构3条、部门文件47条；依申请公开1条。"
        "切实落实政府网站集约化工作，确保政务公开工作常态化、规范化、制度化。"
    ),
    (
        "（二）严格遵守政府信息公开依申请公开受理答复各环节的制度规范。认真对照《条例》规范要求，加强对依申请公开事项内容的审核把关，"
        "保证公开程序合规，切实提高依申请公开工作答复效率和水平。"
    ),
    (
        "（三）健全政府信息公开工作机制，加强监督保障。完善《增城区小楼镇人民政府信息公开指南》，建立小楼镇政府信息公开工作组织机构，"
        "明确三级责任人，确立政务公开领导机构、工作机构（科室），机构负责人，切实加强对信息公开工作的监督检查，确保各项工作和措施落实到位。"
        "切实按照政务信息公开工作要求，严格落实信息公开审批流程，明确“一事一审”制度和“三审”原则，层层落实责任，"
        "着力提升政府信息公开常态化、规范化、制度化水平。"
    ),
    (
        "（四）加强政府信息公开平台建设，确保信息公开渠道畅通。小楼镇认真贯彻区委区政府关于政务信息公开的统一部署，"
        "深入落实编制基层政务公开标准化规范化目录工作，进一步规范、细化各部门政务公开业务。同时，设立政务公开体验区，"
        "为群众办理政务服务事项提供自助服务，进一步优化公众体验，切实打造服务型政府，为群众提供一站式服务。"
        "不断加大政府信息公开督促力度，进一步提高政府信息公开次数，确保公开准确、完整、及时、规范。"
    ),
)
_XIAOLOU_PROBLEMS = (
    (
        "2020年，在镇主要领导和所以政务工作人员的共同努力下，小楼镇扎实开展政府信息公开工作，各项任务也得以完成，"
        "整体信息公开业务水平得到一定的提升；但同时也应该清醒的认识到，我镇政府信息公开工作还存在一些不足之处："
        "一是各部门主动公开部门文件、工作动态的意识不强，积极性还不够。二是依申请公开水平有待提高，申请制度流程化、规范化还略显不足。"
        "三是政府信息公开的宣传力度仍显不够，人员业务水平有待进一步提高。"
    ),
    (
        "下一步，小楼镇将持续高位推进政府信息公开标准化规范化工作，准确把握新时代政府信息公开工作的职责定位和新形势新要求，"
        "切实增强新时代政府信息公开能力建设，提高信息公开执行力。开展多渠道加强政府信息公开工作宣传，同时定期组织信息公开业务培训，"
        "强调信息公开工作目的与重要性，深入讲解信息公开工作流程，提升各部门主动公开部门信息的意识。提高依申请公开工作水平，"
        "规范公开程序、过程、结果，明确责任岗位和工作人员，确保及时、精准回复，不断提高人民群众对政府信息公开工作的满意度，"
        "努力建设让人民群众满意的阳光型、服务型政府。"
    ),
)

#: Table 3 as published (labels verbatim from the sample).
XIAOLOU_T3_STYLE = _T3Style(
    balance_header="(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)",
    results=(
        ("public", None, "(一) 予以公开"),
        ("partial", None, "(二) 部分公开(区分处理的, 只计这一情形, 不计其他情形)"),
        *_sub_rows("withheld", "(三) 不予公开", _WITHHELD),
        *_sub_rows(
            "unavailable",
            "(四) 无法提供",
            (
                "1.本机关不掌握相关政府信息",
                "2.没有现成信息需另行制作",
                "3.补正后申请内容仍不明确",
            ),
        ),
        *_sub_rows("unprocessed", "(五) 不予处理", _UNPROCESSED),
        ("other", None, "(六) 其他处理"),
        ("total", None, "(七) 总计"),
    ),
    break_after="withheld_7",
    repeat_labels_after_break=False,
)
XIAOLOU_SHEET = "Sheet1"


def write_xiaolou(path: str | PathLike[str]) -> dict[str, str]:
    """The 小楼镇 2020 report (/work/shared/samples/xiaolou-2020.txt) typed into Excel as published.

    One sheet ``Sheet1`` from A1: the unit line and title (year 2020), the six section headings with
    their paragraphs one per cell, table 二 in columns A–D (five 2019 blocks; "426796元" as text),
    table 三 in A–J with the sample's verbatim labels and its page break after 7.属于行政执法案卷 (a
    blank row, the three header rows again, then 8.属于行政查询事项 with the 三 and （三） cells left
    empty as a continued Word table shows them), table 四 in A–O with the spaced sub-headers.
    Values are :data:`XIAOLOU_VALUES`.
    """
    ctx = _Ctx(values=XIAOLOU_VALUES, raw={})
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = XIAOLOU_SHEET
    _put(ws, 1, 1, _XIAOLOU_UNIT, to_col=10)
    _put(ws, 2, 1, f"{_XIAOLOU_UNIT}2020年政府信息公开工作年度报告", to_col=10)
    r = _heading(ws, 3, 1, SECTION_HEADINGS[0])
    for paragraph in _XIAOLOU_OVERVIEW:
        r = _heading(ws, r, 1, paragraph)
    r = _heading(ws, r, 1, SECTION_HEADINGS[1])
    r = _write_t2(ctx, ws, r, 1, T2_BLOCKS_2019) + 1
    r = _heading(ws, r, 1, SECTION_HEADINGS[2])
    r = _write_t3(ctx, ws, r, 1, XIAOLOU_T3_STYLE) + 1
    r = _heading(ws, r, 1, SECTION_HEADINGS[3])
    spaced_review = ("结果 维持", "结果 纠正", "其他 结果", "尚 未 审 结", "总 计")
    spaced_litigation = (
        "结 果 维 持",
        "结 果 纠 正",
        "其 他 结 果",
        "尚 未 审 结",
        "总 计",
    )
    r = (
        _write_t4(
            ctx,
            ws,
            r,
            1,
            sub_labels=(spaced_review, spaced_litigation, spaced_litigation),
        )
        + 1
    )
    r = _heading(ws, r, 1, SECTION_HEADINGS[4])
    for paragraph in _XIAOLOU_PROBLEMS:
        r = _heading(ws, r, 1, paragraph)
    r = _heading(ws, r, 1, SECTION_HEADINGS[5])
    r = _heading(ws, r, 1, "暂无其他需要报告的事项。")
    r = _heading(ws, r, 1, "增城区小楼镇人民政府")
    _heading(ws, r, 1, "2021年1月8日")
    wb.save(path)
    return ctx.cells
