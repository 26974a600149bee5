"""Laying a published report out as the grid of values the workbook reader yields.

Paragraphs become one-cell rows and table rows follow in reading order, all on one sheet, so the
locator finds the tables by their labels exactly as in a workbook. Published tables lose what a
workbook keeps: text copied from a browser drops the cells a row-spanning label covers, a table
broken across pages starts again with fewer label columns, a Word export pads rows with empty cells.
Value cells are always the last cells of a row, so a row whose run of values does not end under its
header's last column is moved there (see :func:`_align`).

Every grid cell of a table remembers where it was published (``表三 第 N 行 第 M 列``), for findings.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..labels import normalize
from ..values import Published
from .model import Block, Paragraph, Table

SHEET = "正文"
#: how many grid columns are kept; a report's widest table has 15 value columns
MAX_COLS = 40

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?", re.ASCII)
# a cell that holds a value: a number (full-width, with a unit, a sign word or a note) or a placeholder
_NUMERIC = re.compile(r"[+\-−]?(?:减|增)?[\d０-９][\d０-９,，.．]*\s*(?:万元|元|件|个|项|条|次)?\s*(?:[（(].*[）)])?")
_PLACEHOLDER = frozenset({"/", "-", "--", "—", "——", "－", "无", "\\"})
_SECTION = re.compile(r"^([一二三四五六])[、.．，,]")
#: the section titles, for telling a section heading from a numbered sentence
SECTION_WORDS = {"一": "总体情况", "二": "主动公开", "三": "收到和处理", "四": "行政复议", "五": "存在的主要问题",
                 "六": "其他需要报告"}
_TITLE = re.compile(r"((?:19|20)\d\d)\s*年(?:度)?.{0,6}政府信息公开.{0,6}报告")


@dataclass(frozen=True)
class Place:
    """Where a grid cell was published: ``表三 第 N 行 第 M 列``."""

    table: str
    row: int
    col: int

    def __str__(self) -> str:
        return f"表{self.table} 第 {self.row} 行 第 {self.col} 列"


@dataclass
class Laid:
    rows: list[list[object]]
    places: dict[tuple[int, int], Place]
    #: the paragraphs, in order, each with the section (一 … 六, or "") it stands in
    paragraphs: list[tuple[str, str]]


def section_of(text: str) -> str | None:
    """"五" for "五、存在的主要问题及改进情况" (after normalising); None for any other paragraph."""
    norm = normalize(text)
    match = _SECTION.match(norm)
    if match and len(norm) <= 40 and SECTION_WORDS[match.group(1)] in norm:
        return match.group(1)
    return None


def title_year(text: str) -> int | None:
    norm = normalize(text)
    match = _TITLE.search(norm) if len(norm) <= 80 else None
    return int(match.group(1)) if match else None


def choose_report(blocks: Sequence[Block], year: int | None) -> tuple[list[Block], list[tuple[int, str]]]:
    """A page holding several years' reports, one after the other: the blocks of one report (the one of
    ``year``, else the first), and the others' (year, title)."""
    starts = [(i, y, b.text) for i, b in enumerate(blocks) if isinstance(b, Paragraph) and (y := title_year(b.text))]
    years = {y for _, y, _ in starts}
    if len(years) < 2:
        return list(blocks), []
    # the unit's name usually stands in the paragraph just above each title
    chosen = next((k for k, (_, y, _) in enumerate(starts) if y == year), 0)
    begin = starts[chosen][0]
    end = next((i for i, y, _ in starts[chosen + 1:] if y != starts[chosen][1]), len(blocks))
    if chosen + 1 < len(starts) and end > 0 and end < len(blocks) and _short(blocks[end - 1]):
        end -= 1
    if begin > 0 and _short(blocks[begin - 1]) and (chosen == 0 or begin - 1 > starts[chosen - 1][0]):
        begin -= 1
    others = [(y, t) for k, (_, y, t) in enumerate(starts) if y != starts[chosen][1]]
    return list(blocks[begin:end]), others


def unfold(blocks: Sequence[Block]) -> list[Block]:
    """Tables that hold the whole report, as a form system's "export to Excel" writes it (the title,
    the section headings and the narrative as rows of one cell): those rows become the paragraphs
    they are, and the rows between them the tables of their sections, so each is named and numbered
    as a page would be. Rows of one cell inside sections 二 to 四 (a block's heading) stay."""
    out: list[Block] = []
    section = ""
    for block in blocks:
        if isinstance(block, Paragraph):
            section = section_of(block.text) or section
            out.append(block)
            continue
        rows: list[list[str]] = []
        for row in block.rows:
            texts = [t for t in row if t.strip()]
            text = texts[0].strip() if len(texts) == 1 else ""
            heading = section_of(text) if text else None
            if text and (heading is not None or title_year(text) is not None or section not in ("二", "三", "四")) \
                    and not _NUMERIC.fullmatch(text):
                if rows:
                    out.append(Table(rows))
                    rows = []
                out.append(Paragraph(text))
                section = heading or section
            else:
                rows.append(row)
        if rows:
            out.append(Table(rows) if len(rows) < len(block.rows) else block)
    return out


def _short(block: Block) -> bool:
    return isinstance(block, Paragraph) and len(block.text) <= 40 and section_of(block.text) is None


def lay_out(blocks: Sequence[Block]) -> Laid:
    rows: list[list[object]] = []
    places: dict[tuple[int, int], Place] = {}
    paragraphs: list[tuple[str, str]] = []
    section = ""
    counters: Counter[str] = Counter()
    groups: dict[str, dict[frozenset[str], tuple[int, int]]] = {}
    last_group: dict[str, tuple[int, int]] = {}
    for block in blocks:
        if isinstance(block, Paragraph):
            found = section_of(block.text)
            if found is not None:
                section = found
            paragraphs.append((section, block.text))
            rows.append([block.text])
            continue
        name = section if section in ("二", "三", "四") else _table_name(block)
        aligned = _align(block, groups.setdefault(name, {}), last_group, name)
        top = len(rows)
        for r, cells in enumerate(aligned):
            counters[name] += 1
            row: list[object] = []
            for c, text in enumerate(cells[:MAX_COLS]):
                row.append(_value(text))
                # an empty cell has its place too: a blank value is named where it was published
                places[(top + r, c)] = Place(name, counters[name], c + 1)
            rows.append(row)
    return Laid(rows, places, paragraphs)


def _table_name(table: Table) -> str:
    """A table outside any numbered section (a spreadsheet's HTML export): named by what it holds."""
    text = normalize("".join(c for row in table.rows[:6] for c in row))
    if "自然人" in text:
        return "三"
    if "行政复议" in text or "行政诉讼" in text:
        return "四"
    if "第二十条" in text or "信息内容" in text:
        return "二"
    return "?"


def _value(text: str) -> object:
    """A table cell as a workbook would hold it: a number typed as a number is a number (which
    keeps its digits as published, for messages)."""
    if _PLAIN_NUMBER.fullmatch(text):
        return Published(text)
    return text


def is_value(text: str) -> bool:
    return bool(text) and (text in _PLACEHOLDER or bool(_NUMERIC.fullmatch(text)))


def _numeric(text: str) -> bool:
    return bool(text) and bool(_NUMERIC.fullmatch(text))


def _align(table: Table, groups: dict[frozenset[str], tuple[int, int]], last: dict[str, tuple[int, int]],
           name: str) -> list[list[str]]:
    """Move each data row's values under its header's value columns.

    A header group (rows holding no number) fixes the last value column E and, from the data rows
    below it, the usual number of values V. A data row with at least V values that does not end at
    E is moved so that its last V values end there and its labels stand just left of them. A header
    repeated after a page break (the same labels) reuses the first one's E and V, so both parts of a
    table line up; a table part without a header continues the one before it.
    """
    rows = [list(r) for r in table.rows]
    spans: list[tuple[int, int]] = []  # (first row, end row) of each header group and its data rows
    i = 0
    while i < len(rows):
        start = i
        while i < len(rows) and not any(_numeric(c) for c in rows[i]):
            i += 1
        while i < len(rows) and any(_numeric(c) for c in rows[i]):
            i += 1
        spans.append((start, i))
    for start, end in spans:
        header = [r for r in rows[start:end] if not any(_numeric(c) for c in r)]
        data = [r for r in rows[start:end] if any(_numeric(c) for c in r)]
        key = frozenset(normalize(c) for r in header for c in r if c)
        if key and key in groups:
            edge, width = groups[key]
        elif header:
            edge = max((_last(r) for r in header), default=-1)
            runs = Counter(len(_run(r)[1]) for r in data)
            width = runs.most_common(1)[0][0] if runs else 0
            if edge < 0 or width == 0:
                continue
            groups[key] = (edge, width)
        elif name in last:
            edge, width = last[name]
        else:
            continue
        last[name] = (edge, width)
        for r in data:
            _move(r, edge, width)
    return rows


def _last(row: Sequence[str]) -> int:
    return max((c for c, text in enumerate(row) if text), default=-1)


def _run(row: Sequence[str]) -> tuple[list[int], list[int]]:
    """The columns of a row's labels, and of its values (from its first value to its last filled cell)."""
    labels = [c for c, text in enumerate(row) if text and not is_value(text)]
    after = labels[-1] + 1 if labels else 0
    filled = [c for c in range(after, len(row)) if row[c]]
    if not filled:
        return labels, []
    return labels, list(range(filled[0], filled[-1] + 1))


def _move(row: list[str], edge: int, width: int) -> None:
    labels, values = _run(row)
    if len(values) < width or values[-1] == edge:
        return
    kept = [row[c] for c in values[-width:]]
    names = [row[c] for c in labels]
    start = edge - width + 1
    if start < 0:
        return
    new = [""] * (edge + 1)
    new[start:] = kept
    names = names[-start:] if start else []
    new[start - len(names):start] = names
    row[:] = new
