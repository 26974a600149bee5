"""What every published-form reader produces: the report as a stream of paragraphs and table rows.

A reader (text, HTML, Word, PDF) only turns its format into this stream; :mod:`.grid` lays the
stream out as the grid the locator reads, and :mod:`.narrative` reads the paragraphs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..reader import ReadError

__all__ = ["Paragraph", "ReadError", "Table"]


@dataclass
class Paragraph:
    text: str


@dataclass
class Table:
    """One table as published (a ``<table>``, a Word table, a run of tab-separated lines).

    ``rows`` holds each row's cells by visual column where the source knows its spans (a merged
    cell's text in its top-left position, ``""`` in the others), else as the source lists them.
    """

    rows: list[list[str]]


Block = Paragraph | Table
