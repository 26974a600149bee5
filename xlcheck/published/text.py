"""Plain text copied from a browser or a PDF viewer: table rows are tab-separated (or, from some
viewers, space-separated) lines; every other line is a paragraph."""

from __future__ import annotations

import re

from .model import Block, Paragraph, Table

# the start of a row label's numbering, where a space-separated row's labels are split:
# "三、本年度办理结果 (一) 予以公开"
_NUMBERED = re.compile(r"\s+(?=[(（][一二三四五六七八九十]+[)）]|\d+[.、．](?!\d)|[一二三四五六七八九十]+、)")
_VALUE = re.compile(r"^[+\-−]?[\d０-９][\d０-９,，.．]*[元万件个项条次]*$|^[/—\-－无]$")
_WIDE_GAP = re.compile(r"[ \u3000\xa0]{2,}")


def decode(data: bytes) -> str:
    """Text as saved on a Chinese desktop: UTF-8 (with or without BOM), UTF-16 with a BOM, or GBK."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def read_text(data: bytes) -> list[Block]:
    blocks: list[Block] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            blocks.append(Table(list(rows)))
            rows.clear()

    for line in decode(data).splitlines():
        cells = _cells(line)
        if cells is not None:
            rows.append(cells)
            continue
        flush()
        if line.strip():
            blocks.append(Paragraph(line.strip()))
    flush()
    return blocks


def _cells(line: str) -> list[str] | None:
    """A table row's cells, or None for a paragraph line."""
    if "\t" in line:
        return [cell.strip() for cell in line.rstrip("\r\n").split("\t")]
    stripped = line.strip()
    if not stripped or len(stripped) > 200 or stripped.endswith(("。", "：", ":")):
        return None
    tokens = stripped.split()
    values = 0
    while values < len(tokens) and _VALUE.match(tokens[len(tokens) - 1 - values]):
        values += 1
    if values >= 2:  # "规章 0 0 0": a label, then its values
        head = " ".join(tokens[: len(tokens) - values])
        labels = [p for p in _NUMBERED.split(head) if p] if head else []
        return [*labels, *tokens[len(tokens) - values:]]
    pieces = _WIDE_GAP.split(stripped)
    if len(pieces) >= 2:  # a header row set out with wide gaps
        return [p.strip() for p in pieces]
    return None
