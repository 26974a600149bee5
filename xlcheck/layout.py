"""The declarative description of a report format: tables, blocks, row and column labels, field keys.

One ``Layout`` per official format is the single source for generating the blank workbook
(``xlcheck.template``), locating the tables in a filled workbook (``xlcheck.locator``) and naming a
field in messages. Field keys join the table, block, row and column keys with dots:
``t3.total.natural``, ``t2.art20_1.regulations.made``, ``t4.review.total``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

ValueKind = Literal["count", "signed", "amount"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    #: header merged above this column and its siblings ("法人或其他组织", "行政复议")
    group: str = ""
    #: header merged above the groups ("行政诉讼")
    supergroup: str = ""
    kind: ValueKind | None = None
    #: the unit amounts are read in: printed in the label ("（单位：万元）"), or assumed where the format
    #: prints none (2019 采购总金额: 元); an amount typed in the other unit is converted to it
    unit: str = ""


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    #: labels merged beside this row and its siblings, outermost first ("三、本年度办理结果", "（三）不予公开")
    parents: tuple[str, ...] = ()
    #: how a message names the row, in the report's own words
    short: str = ""

    @property
    def name(self) -> str:
        return self.short or self.label


@dataclass(frozen=True, eq=False)  # hashed by identity, like Layout
class Block:
    key: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    #: the article heading above the block ("第二十条第（一）项"); empty for tables 三 and 四
    heading: str = ""
    #: label of the row-label column in the header row ("信息内容")
    label_header: str = ""
    #: 2021 blocks whose single value is merged across the block's width
    merged_value: bool = False
    kind: ValueKind = "count"
    #: rows of an older format read in place of their sub-rows (2021 table 三 published with the single
    #: 2019 （六）其他处理 row): their values count where the sub-rows' would, under their own keys
    legacy: tuple[Row, ...] = ()


@dataclass(frozen=True, eq=False)  # hashed by identity, like Layout
class Table:
    key: str
    #: section heading, e.g. "三、收到和处理政府信息公开申请情况"
    title: str
    #: how messages name the table ("二", "三", "四")
    number: str
    blocks: tuple[Block, ...]
    #: table 三's top-left header cell and its column header
    corner: str = ""
    header: str = ""


@dataclass(frozen=True)
class Field:
    key: str
    table: Table
    block: Block
    row: Row
    column: Column

    @property
    def kind(self) -> ValueKind:
        return self.column.kind or self.block.kind

    @property
    def label(self) -> str:
        """The field as a message names it, e.g. ``三（七）总计（自然人）``."""
        if self.table.key == "t3":
            return f"{self.row.name}（{self.column.label}）"
        if self.table.key == "t4":
            group = self.column.group if not self.column.supergroup else f"{self.column.supergroup}·{self.column.group}"
            return f"四、{group}（{self.column.label}）"
        return f"{self.block.heading} {self.row.label}（{self.column.label}）"


# eq=False: a layout is hashed by identity, so the per-layout caches of the locator and the document
# cost a pointer, not a walk over every row and column of the format (10 a check).
@dataclass(frozen=True, eq=False)
class Layout:
    """One format of the report tables."""

    format: str
    #: the document that set the format, for messages
    source: str
    #: report years this format is correct for, inclusive; ``None`` is open-ended
    first_year: int
    last_year: int | None
    tables: tuple[Table, ...]
    #: labels that only occur in other formats; finding one in a workbook of this format is S1
    foreign_labels: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.format} 版（{self.source}）"

    def fits_year(self, year: int) -> bool:
        return year >= self.first_year and (self.last_year is None or year <= self.last_year)

    @cached_property
    def fields(self) -> dict[str, Field]:
        out: dict[str, Field] = {}
        for table, block, row, column in self.cells():
            key = ".".join(part for part in (table.key, block.key, row.key, column.key) if part)
            out[key] = Field(key, table, block, row, column)
        return out

    @cached_property
    def legacy_fields(self) -> dict[str, Field]:
        """The fields of the blocks' legacy rows, keyed like :attr:`fields`."""
        out: dict[str, Field] = {}
        for table in self.tables:
            for block in table.blocks:
                for row in block.legacy:
                    for column in block.columns:
                        key = ".".join(part for part in (table.key, block.key, row.key, column.key) if part)
                        out[key] = Field(key, table, block, row, column)
        return out

    def cells(self) -> Iterator[tuple[Table, Block, Row, Column]]:
        for table in self.tables:
            for block in table.blocks:
                for row in block.rows:
                    for column in block.columns:
                        yield table, block, row, column

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)
