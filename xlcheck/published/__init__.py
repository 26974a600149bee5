"""Published reports: web pages, Word files, PDFs and text copied from a browser, read into the same
grid of values as a workbook, plus the narrative text (sections 一, 五, 六).

:func:`read_published` is the one entry point; :func:`sniff` tells by content which form a file is
(also for an HTML page or MHTML file saved under a workbook's name). Nothing here is imported by a
plain workbook check: the heavy parsers (python-docx, pdfplumber) come with ``xlcheck[published]``
and are imported only when such a file is read.

Reading is bounded: a file larger than :data:`MAX_BYTES` is refused, a PDF is read to
:data:`MAX_PAGES` pages, nothing is fetched from the network and no script on a page is run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..reader import ReadError, Sheet, Workbook, is_lock_file

if TYPE_CHECKING:
    from .grid import Place
    from .model import Block

__all__ = ["MAX_BYTES", "MAX_PAGES", "SUFFIXES", "PublishedBook", "read_published", "sniff"]

#: a published report is a few hundred KB; a web page with inline images a few MB
MAX_BYTES = 64 * 1024 * 1024
#: pages of a PDF that are read (pdfplumber takes about a second a page); a report has fewer than 30
MAX_PAGES = 60
#: names of published forms; the form itself is told by content
SUFFIXES = (".html", ".htm", ".shtml", ".mht", ".mhtml", ".docx", ".pdf", ".txt")
#: the forms a folder walk picks up (a .txt beside the workbooks is more often a note than a report)
WALKED_SUFFIXES = tuple(s for s in SUFFIXES if s != ".txt")

@dataclass
class PublishedBook(Workbook):
    """A published report read as a workbook of one sheet (``正文``), with what only it carries."""

    #: the document's ``narrative`` (see :func:`xlcheck.published.narrative.narrative`), None when the
    #: source holds tables only
    narrative: dict[str, object] | None = None
    #: grid (row, col) -> where it was published
    places: dict[tuple[int, int], Place] = field(default_factory=dict)
    #: other years' reports on the same page, (year, title)
    others: list[tuple[int, str]] = field(default_factory=list)
    #: what the file is when it was named as a workbook (a system's "export to Excel" writes a web
    #: page as .xls): 网页（HTML）文件，其中有表格
    disguised: str | None = None

    def where(self, ref: str, label: str = "") -> str:
        """Where a grid cell was published, for a reader of the report: ``表三 第 21 行 第 4 列
        （三（七）总计（自然人）：“0”）`` for a table cell (``label`` names its field), a quote of
        the paragraph otherwise."""
        from ..cells import parse_cell
        from ..findings import split_cell_ref
        from ..values import show
        from .narrative import short

        _sheet, cell = split_cell_ref(ref)
        one_based = parse_cell(cell) or (1, 1)
        pos = (one_based[0] - 1, one_based[1] - 1)
        value = self.sheets[0].value(*pos) if self.sheets else ""
        shown = show(value) if isinstance(value, float) else str(value)
        place = self.places.get(pos)
        if place is None:
            return f"正文“{short(shown)}”"
        if label:
            return f"{place}（{label}：“{shown}”）"
        return f"{place}（“{short(shown)}”）"


def is_published_name(name: str, *, walking: bool = False) -> bool:
    return name.lower().endswith(WALKED_SUFFIXES if walking else SUFFIXES)


def sniff(path: str | os.PathLike[str]) -> str | None:
    """"html", "mhtml", "docx", "pdf" or "text" by the file's first bytes; None for anything else
    (a workbook, an image, an unreadable file)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    return _sniff_bytes(head, os.fspath(path))


def _sniff_bytes(head: bytes, name: str) -> str | None:
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        import zipfile

        try:
            with zipfile.ZipFile(name) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else None
        except (zipfile.BadZipFile, OSError):
            return None
    if head.startswith((b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return None
    from .text import decode

    text = decode(head[:4000]).lstrip("\ufeff \t\r\n").lower()
    if text.startswith(("mime-version:", "from:", "content-type: multipart/related")) or (
            "multipart/related" in text[:2000] and "mime-version" in text[:2000]):
        return "mhtml"
    if text.startswith(("<html", "<!doctype html", "<table", "<meta", "<head", "<body", "<div", "<p", "<!--")) or \
            "<html" in text[:1024] or (text.startswith("<?xml") and "<html" in text):
        return "html"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    return "text"


def read_published(path: str | os.PathLike[str], *, year: int | None = None) -> PublishedBook:
    """Read a published report; raise ReadError (a message for the user) for anything unreadable.

    ``year`` picks the report of that year when a page holds several years' reports.
    """
    name = os.fspath(path)
    base = os.path.basename(name)
    if os.path.isdir(name):
        raise ReadError(f"{base}：这是一个文件夹，不是报告文件 (a directory)")
    if not os.path.exists(name):
        raise ReadError(f"{base}：文件不存在 (no such file)")
    if is_lock_file(base):
        raise ReadError(f"{base}：这是 Word/WPS 打开文档时生成的锁定文件（~$ 开头），已跳过 (an Office lock file)")
    try:
        size = os.path.getsize(name)
        if size > MAX_BYTES:
            raise ReadError(f"{base}：文件有 {size // 2**20} MB，超过 {MAX_BYTES // 2**20} MB 的上限，"
                            f"不像是一份年度报告 (above the {MAX_BYTES // 2**20} MB bound)")
        if size == 0:
            raise ReadError(f"{base}：文件是空的（0 字节），可能下载或复制未完成 (empty file)")
        kind = sniff(name)
        if kind is None:
            raise ReadError(f"{base}：无法识别的文件，不是网页、Word 文档（.docx）、PDF 或文本 "
                            "(not a published report form)")
        blocks = _read_blocks(name, base, kind)
    except PermissionError:
        raise ReadError(f"{base}：没有读取该文件的权限，或文件正被其他程序独占 (permission denied)") from None
    except ReadError as exc:  # a reader's own message names the file once
        message = str(exc)
        raise ReadError(message if message.startswith(base) else f"{base}：{message}") from None
    except OSError as exc:
        raise ReadError(f"{base}：无法打开文件 (cannot open: {exc.strerror or exc})") from None
    from .grid import SHEET, choose_report, lay_out, unfold
    from .narrative import narrative

    blocks, others = choose_report(unfold(blocks), year)
    laid = lay_out(blocks)
    sheet = Sheet(SHEET, laid.rows, None)
    return PublishedBook(name, [sheet], kind, narrative=narrative(laid.paragraphs), places=laid.places,
                         others=others)


def _read_blocks(name: str, base: str, kind: str) -> list[Block]:
    with open(name, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if kind == "text":
        from .text import read_text

        return list(read_text(data))
    if kind in ("html", "mhtml"):
        from .html import read_html, read_mhtml

        return list(read_html(data) if kind == "html" else read_mhtml(data, base))
    if kind == "docx":
        from .docx import read_docx

        return list(read_docx(name, base))
    from .pdf import read_pdf

    return list(read_pdf(name, base, MAX_PAGES))
