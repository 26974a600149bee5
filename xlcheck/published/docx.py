"""Word files (.docx), opened with python-docx: paragraphs and tables in the order of the body, a
table's merged cells (gridSpan, vMerge) laid out by visual column with the text in the first cell."""

from __future__ import annotations

import zipfile
from typing import Any

from .model import Block, Paragraph, ReadError, Table

#: a .docx whose parts unpack to more than this is refused (a report is well under 10 MB)
MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 100
_RATIO_FLOOR = 10 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _check_package(name: str, base: str) -> None:
    try:
        with zipfile.ZipFile(name) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ReadError(f"{base}：文件已损坏，不是完整的 Word 文档 (damaged zip: {exc})") from None
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise ReadError(f"{base}：解压后达 {total // 2**20} MB，超过 {MAX_UNPACKED // 2**20} MB 上限，"
                        "可能是恶意的压缩炸弹 "
                        f"(unpacks to {total // 2**20} MB)")
    for info in infos:
        if info.file_size > _RATIO_FLOOR and info.file_size / max(info.compress_size, 1) > MAX_RATIO:
            raise ReadError(f"{base}：{info.filename} 的压缩比过高，可能是恶意的压缩炸弹，已拒绝读取 (a zip bomb)")
        if info.flag_bits & 0x1:
            raise ReadError(f"{base}：文档设有密码，请在 Word 或 WPS 中去掉密码后再校验 (password-protected)")


def read_docx(name: str, base: str) -> list[Block]:
    _check_package(name, base)
    try:
        import docx
        from docx.table import Table as DocxTable
        from docx.text.paragraph import Paragraph as DocxParagraph
    except ImportError:
        raise ReadError(f"{base}：读取 Word 文档需要安装 python-docx：pip install 'xlcheck[published]' "
                        "(python-docx is not installed)") from None
    try:
        document = docx.Document(name)
    except Exception as exc:  # python-docx raises several types for a damaged or foreign package
        raise ReadError(f"{base}：无法读取 Word 文档，文件可能已损坏 "
                        f"(cannot read: {type(exc).__name__}: {exc})") from None
    blocks: list[Block] = []
    for child in document.element.body.iterchildren():
        if child.tag == f"{_W}p":
            text = DocxParagraph(child, document).text.strip()
            if text:
                blocks.append(Paragraph(text))
        elif child.tag == f"{_W}tbl":
            table = _table(DocxTable(child, document))
            if table.rows:
                blocks.append(table)
    return blocks


def _table(table: Any) -> Table:
    """Visual columns from the cells' own XML: python-docx's ``row.cells`` repeats a merged cell in
    every position it covers, which would copy a label into each row it spans."""
    grid: list[list[str]] = []
    for tr in table._tbl.tr_lst:
        row: list[str] = []
        skip = int(getattr(tr, "grid_before", 0) or 0)
        row.extend([""] * skip)
        for tc in tr.tc_lst:
            span = int(tc.grid_span or 1)
            continued = tc.vMerge == "continue"
            text = "" if continued else "\n".join(
                p.text.strip() for p in _paragraphs(tc, table) if p.text.strip())
            row.append(text)
            row.extend([""] * (span - 1))
        grid.append(row)
    return Table([r for r in grid if any(r)])


def _paragraphs(tc: Any, table: Any) -> list[Any]:
    from docx.text.paragraph import Paragraph as DocxParagraph

    return [DocxParagraph(p, table) for p in tc.iter(f"{_W}p")]
