"""Web pages: a government CMS page, a Word or spreadsheet program's "save as web page", an MHTML
archive (.mht) of either. Parsed with lxml's HTML parser, which runs no script and fetches nothing;
scripts, styles and Word's conditional comments are dropped before any text is read.
"""

from __future__ import annotations

import re
from typing import Any

from .model import Block, Paragraph, ReadError, Table

#: a cell spanning more rows or columns than this is cut there (a table has 25 rows, 15 columns)
MAX_SPAN = 200
#: a table whose spans lay out more cells than this is refused (a report's largest has ~300)
MAX_TABLE_CELLS = 200_000
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_BLOCK_TAGS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article",
                         "center", "blockquote", "pre", "header", "footer", "main", "dd", "dt", "dl", "form",
                         "tr", "caption", "title", "address", "hr", "figure", "nav"})
_DROPPED = ("script", "style", "noscript", "template", "head", "object", "embed", "iframe", "svg", "xml")
_SPACE = re.compile(r"[ \t\r\n\f\v\xa0\u200b]+")


def encoding_of(data: bytes) -> str:
    """The page's encoding: its byte-order mark, its meta charset, else UTF-8 if it decodes, else GBK.
    GB2312 and GBK pages are decoded as GB18030, their superset (pages labelled gb2312 use GBK
    characters)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    match = _CHARSET.search(data[:8192])
    if match:
        label = match.group(1).decode("ascii", "replace").lower()
        if label in ("gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "hz-gb-2312"):
            return "gb18030"
        if label in ("utf-8", "utf8"):
            return "utf-8"
        try:
            "".encode(label)
            return label
        except LookupError:
            pass
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def read_html(data: bytes) -> list[Block]:
    import lxml.html
    from lxml import etree

    text = data.decode(encoding_of(data), errors="replace")
    text = _XML_DECL.sub("", text)  # lxml refuses a str that declares an encoding
    if not text.strip():
        return []
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ReadError(f"网页无法解析 (cannot parse the page: {exc})") from None
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for element in list(root.iter(*_DROPPED)):
        if element.getparent() is not None:
            element.drop_tree()  # type: ignore[attr-defined]
    body = root.find("body")
    walker = _Walker()
    walker.walk(body if body is not None else root)
    walker.flush()
    return walker.blocks


class _Walker:
    """Document order: text between block-level tags becomes a paragraph, every table a Table."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.buffer: list[str] = []

    def flush(self) -> None:
        text = _SPACE.sub(" ", "".join(self.buffer)).strip()
        self.buffer.clear()
        if text:
            self.blocks.append(Paragraph(text))

    def walk(self, element: Any) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.rsplit("}", 1)[-1].lower()
        if tag == "table":
            self.flush()
            table = _table(element)
            if table.rows:
                self.blocks.append(table)
            self._tail(element)
            return
        if tag == "br":
            self.flush()
            self._tail(element)
            return
        block = tag in _BLOCK_TAGS
        if block:
            self.flush()
        if element.text:
            self.buffer.append(element.text)
        for child in element:
            self.walk(child)
        if block:
            self.flush()
        self._tail(element)

    def _tail(self, element: Any) -> None:
        if element.tail:
            self.buffer.append(element.tail)


def _rows_of(table: Any) -> list[Any]:
    """The table's own rows (in thead/tbody/tfoot or directly), not those of tables nested in cells."""
    rows = []
    for child in table:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if isinstance(r.tag, str) and r.tag.lower() == "tr")
    return rows


def _span(element: Any, name: str) -> int:
    try:
        return max(1, min(MAX_SPAN, int(str(element.get(name, "1")).strip() or 1)))
    except ValueError:
        return 1


def cell_text(element: Any) -> str:
    """A cell's text: line breaks and paragraphs inside it (stacked header characters) as newlines."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag in ("br", "p", "div") and parts:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    lines = (_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _table(element: Any) -> Table:
    grid: list[list[str]] = []
    taken: set[tuple[int, int]] = set()
    for r, tr in enumerate(_rows_of(element)):
        while len(grid) <= r:
            grid.append([])
        c = 0
        for td in tr:
            tag = td.tag.lower() if isinstance(td.tag, str) else ""
            if tag not in ("td", "th"):
                continue
            while (r, c) in taken:
                c += 1
            rows, cols = _span(td, "rowspan"), _span(td, "colspan")
            if len(taken) + rows * cols > MAX_TABLE_CELLS:
                raise ReadError(f"网页中有一张表格的合并单元格展开后超过 {MAX_TABLE_CELLS} 个单元格，"
                                f"不像是年度报告的表格，已拒绝读取 "
                                f"(a table spanning more than {MAX_TABLE_CELLS} cells, above the bound)")
            text = cell_text(td)
            for dr in range(rows):
                for dc in range(cols):
                    taken.add((r + dr, c + dc))
                    while len(grid) <= r + dr:
                        grid.append([])
                    line = grid[r + dr]
                    while len(line) <= c + dc:
                        line.append("")
                    if dr == 0 and dc == 0:
                        line[c] = text
            c += cols
    # rows whose cells are all empty (Word's spacer rows) carry nothing
    return Table([row for row in grid if any(row)])


def read_mhtml(data: bytes, base: str) -> list[Block]:
    """The page of an MHTML archive (Word's and browsers' "single file web page"). Excel's archive of a
    workbook is a frameset page with one part per sheet: when the first page holds no table, the
    tables of the sheets' parts follow it, in the archive's order."""
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    pages = [part for part in message.walk() if part.get_content_type() == "text/html"]
    if not pages:
        raise ReadError(f"{base}：MHTML 文件中没有网页内容 (no text/html part in the MHTML file)")
    blocks = _mhtml_page(pages[0])
    if not any(isinstance(b, Table) for b in blocks):
        for part in pages[1:]:
            sheet = _mhtml_page(part)
            if any(isinstance(b, Table) for b in sheet):
                blocks.extend(sheet)
    return blocks


def _mhtml_page(part: Any) -> list[Block]:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return []
    charset = part.get_content_charset()
    if charset and charset.lower() in ("gb2312", "gbk", "x-gbk"):
        charset = "gb18030"
    if charset:
        try:
            payload = payload.decode(charset, errors="replace").encode("utf-8")
            payload = b'<meta charset="utf-8">' + payload
        except LookupError:
            pass
    return read_html(payload)
