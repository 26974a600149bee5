"""Reading a workbook's cell values for checking, with python-calamine.

Checking needs only values and merged ranges, and calamine reads a whole report in about a millisecond
(openpyxl's default load takes over a hundred). openpyxl is used only to write.

Workbooks come from strangers, so before calamine parses anything the file is looked at cheaply:
what it really is (its first bytes, not its name), and for a zip package its declared member sizes
and the span its sheets' cells cover, from their parsed structure (:mod:`xlcheck.prescan`, which
holds the bounds). A file beyond them is refused with a reason rather than parsed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .cells import column_letter
from .labels import normalize
from .names import encodable, readable
from .prescan import (
    MAX_CELLS,
    MAX_ENTRIES,
    MAX_PART,
    MAX_RATIO,
    MAX_SHARED_STRINGS,
    MAX_SHEETS,
    MAX_UNPACKED,
    Package,
    ScanError,
    scan,
)
from .prescan import PASSWORD as _PASSWORD

__all__ = ["MAX_CELLS", "MAX_COLS", "MAX_ENTRIES", "MAX_PART", "MAX_RATIO", "MAX_ROWS", "MAX_SHARED_STRINGS",
           "MAX_SHEETS", "MAX_UNPACKED", "Formula", "ReadError", "Sheet", "Workbook", "read_workbook"]

#: Cells beyond this many rows or columns of a sheet are not read: a report fits in a few hundred rows,
#: and a sheet claiming a million rows must not cost a million rows of memory.
MAX_ROWS = 2000
MAX_COLS = 60


SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


class ReadError(Exception):
    """A workbook that cannot be read; the message is for the user (Chinese, then English)."""


class WebPageError(ReadError):
    """A file named as a workbook that is a web page (HTML, or MHTML, a web page archive), as many
    government systems' "export to Excel" write: the published reader may still read its tables."""

    def __init__(self, message: str, kind: str, what: str) -> None:
        super().__init__(message)
        #: "html" or "mhtml"
        self.kind = kind
        #: what the file is, for a message: 网页（HTML）文件，其中有表格
        self.what = what


@dataclass(frozen=True)
class Formula:
    """A formula cell saved without its result (files written by scripts): what the grid holds there.

    ``value`` is the result xlcheck computed (:mod:`xlcheck.formulas`), or None with ``reason`` saying
    why it could not; calamine alone would return an empty string, indistinguishable from a blank.
    """

    text: str
    value: float | None = None
    reason: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass
class Sheet:
    """One sheet's values as a grid starting at A1 (row and column 0)."""

    name: str
    rows: list[list[Any]]
    #: merged ranges as ((first row, first col), (last row, last col)), zero-based; None when the
    #: source cannot say (the open workbook behind the Excel button)
    merged: list[tuple[tuple[int, int], tuple[int, int]]] | None = None
    _texts: list[tuple[int, int, str]] | None = field(default=None, repr=False)
    _by_row: dict[int, list[tuple[int, str]]] | None = field(default=None, repr=False)

    def value(self, row: int, col: int) -> Any:
        if 0 <= row < len(self.rows):
            cells = self.rows[row]
            if 0 <= col < len(cells):
                return cells[col]
        return ""

    @property
    def texts(self) -> list[tuple[int, int, str]]:
        """Every non-empty text cell as ``(row, col, normalised text)``, in reading order."""
        if self._texts is None:
            # most cells are "" or a number: the truth test turns the empty ones away before isinstance
            self._texts = [(r, c, norm) for r, cells in enumerate(self.rows) for c, value in enumerate(cells)
                           if value and isinstance(value, str) and (norm := normalize(value))]
        return self._texts

    def merged_end(self, row: int, col: int) -> int:
        """The last column of the merged area that starts at (row, col); ``col`` when not merged."""
        for (r1, c1), (r2, c2) in self.merged or ():
            if r1 <= row <= r2 and c1 == col:
                return c2
        return col

    def row_texts(self, row: int) -> list[tuple[int, str]]:
        """The non-empty text cells of one row as ``(col, normalised text)``."""
        if self._by_row is None:
            self._by_row = {}
            for r, c, norm in self.texts:
                self._by_row.setdefault(r, []).append((c, norm))
        return self._by_row.get(row, [])


@dataclass
class Workbook:
    path: str
    sheets: list[Sheet]
    #: "xlsx" (any OOXML zip: .xlsx/.xlsm), "xls", "xlsb" or "ods": what the file really is
    kind: str = "xlsx"


def cell_ref(sheet: str, row: int, col: int) -> str:
    return f"{sheet}!{column_letter(col)}{row + 1}"


def is_lock_file(name: str | os.PathLike[str]) -> bool:
    """``~$report.xlsx``: the owner file Excel and WPS keep beside a workbook while it is open."""
    return os.path.basename(os.fspath(name)).startswith("~$")


# ------------------------------------------------------------------------------------------------
# What a file really is


_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_UNREADABLE = "没有读取该文件的权限，或文件正被其他程序独占 (permission denied)"


def _refuse_special(name: str, base: str) -> None:
    """Only a regular file is opened: opening a FIFO waits for a writer forever, a device never ends."""
    import stat

    try:
        mode = os.stat(name).st_mode
    except OSError as exc:
        raise ReadError(f"{base}：无法打开文件 (cannot open: {exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        what = ("命名管道（FIFO）" if stat.S_ISFIFO(mode) else "套接字" if stat.S_ISSOCK(mode)
                else "设备文件" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "特殊文件")
        raise ReadError(f"{base}：这是{what}，不是普通文件，已跳过 (not a regular file, skipped)")


def _sniff(name: str, base: str) -> str:
    """"zip", "cfb" or "xlsb-zip"; raise ReadError for everything that is no workbook at all."""
    try:
        with open(name, "rb") as handle:
            head = handle.read(512)
    except PermissionError:
        raise ReadError(f"{base}：{_UNREADABLE}") from None
    except IsADirectoryError:
        raise ReadError(f"{base}：这是一个文件夹，不是工作簿 (a directory, not a workbook)") from None
    except OSError as exc:
        raise ReadError(f"{base}：无法打开文件 (cannot open: {exc.strerror or exc})") from None
    if not head:
        raise ReadError(f"{base}：文件是空的（0 字节），可能下载或复制未完成 (empty file)")
    if head.startswith(_ZIP):
        return "zip"
    if head.startswith(_CFB):
        return "cfb"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    page = web_page(head)
    if page is not None:
        kind, what = page
        raise WebPageError(f"{base}：扩展名是工作簿，实际是{what}，常见于政务系统“导出 Excel”或“另存为网页”；"
                           f"请用 Excel 或 WPS 打开后另存为 .xlsx ({_WEB_PAGE_EN[kind]})", kind, what)
    if head.startswith(b"%PDF"):
        what = "PDF 文件 (a PDF file)"
    elif text.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        what = "“XML 电子表格 2003”文件；请用 Excel 或 WPS 打开后另存为 .xlsx (an XML Spreadsheet 2003 file)"
    elif head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        what = "图片文件 (an image)"
    elif head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        what = "压缩包，请先解压 (an archive)"
    elif _looks_like_text(head):
        what = "文本文件（如 CSV 或 TXT）；请用 Excel 或 WPS 打开后另存为 .xlsx (a text file)"
    else:
        what = "无法识别的文件，不是 Excel 工作簿 (not a spreadsheet)"
    raise ReadError(f"{base}：扩展名是工作簿，实际是{what}")


_WEB_PAGE_EN = {"html": "an HTML table saved as a spreadsheet", "mhtml": "an MHTML web archive"}


def web_page(head: bytes) -> tuple[str, str] | None:
    """("html" | "mhtml", what it is in Chinese) when a file's first bytes are a web page or a web
    page archive; None otherwise (a workbook, a PDF, anything else)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"mime-version:") or b"multipart/related" in text:
        return "mhtml", "单个文件网页（MHTML，.mht）"
    if text.startswith((b"<html", b"<!doctype html", b"<table", b"<meta", b"<head")) or b"<html" in text:
        return "html", "网页（HTML）文件" + ("，其中有表格" if b"<table" in text else "")
    return None


def is_web_page(path: str | os.PathLike[str]) -> bool:
    """True for a regular file whose content is a web page or a web page archive, whatever its name."""
    import stat

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would never answer
            return False
        with open(path, "rb") as handle:
            return web_page(handle.read(512)) is not None
    except OSError:
        return False


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return head.startswith((b"\xff\xfe", b"\xfe\xff"))
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a character cut by the 512-byte window
                return True
    return False


def _check_cfb(name: str, base: str) -> None:
    """An OLE2 file: a legacy .xls, or an encrypted OOXML package (Excel's "Encrypt with password")."""
    # The stream directory is small and near the start or end; file size is bounded by the OS read.
    with open(name, "rb") as handle:
        data = handle.read(64 * 1024 * 1024)
    if _ENCRYPTED_PACKAGE in data:
        raise ReadError(f"{base}：{_PASSWORD}")


# ------------------------------------------------------------------------------------------------
# Reading


def read_workbook(path: str | os.PathLike[str]) -> Workbook:
    """Read every visible and hidden worksheet's values; raise ReadError for anything unreadable."""
    import python_calamine

    name = os.fspath(path)
    base = readable(os.path.basename(name))
    if os.path.isdir(name):
        raise ReadError(f"{base}：这是一个文件夹，不是工作簿 (a directory, not a workbook)")
    if not os.path.exists(name):
        raise ReadError(f"{base}：文件不存在 (no such file)")
    _refuse_special(name, base)
    if is_lock_file(base):
        raise ReadError(f"{base}：这是 Excel/WPS 打开工作簿时生成的锁定文件（~$ 开头），不是工作簿，已跳过；"
                        "请校验旁边的同名工作簿 (an Office lock file, skipped)")
    suffix = os.path.splitext(base)[1].lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(f"{base}：不支持的文件类型，请使用 .xlsx、.xlsm、.xls、.xlsb 或 .ods (unsupported file type)")
    magic = _sniff(name, base)
    package: Package | None = None
    if magic == "cfb":
        _check_cfb(name, base)
        kind = "xls"  # a legacy workbook, whatever its extension says
    else:
        try:
            package = scan(name)
        except ScanError as exc:
            raise ReadError(f"{base}：{exc}") from None
        kind = package.kind
    try:
        if kind == _SUFFIX_KIND.get(suffix, kind) and encodable(name):
            book = python_calamine.CalamineWorkbook.from_path(name)
        else:  # another format's extension (calamine goes by content), or a name Rust cannot take
            with open(name, "rb") as handle:
                book = python_calamine.CalamineWorkbook.from_filelike(handle)
    except python_calamine.PasswordError:
        raise ReadError(f"{base}：{_PASSWORD}") from None
    except PermissionError:
        raise ReadError(f"{base}：{_UNREADABLE}") from None
    except Exception as exc:  # calamine raises several unrelated types for a damaged file
        if "entity" in str(exc):
            raise ReadError(f"{base}：含有 Excel 不会写出的 XML 实体，可能是恶意文件，已拒绝读取 "
                            f"(XML entities are refused: {_short(exc)})") from None
        raise ReadError(f"{base}：无法读取，文件可能已损坏或不是 Excel 工作簿 (cannot read: {_short(exc)})") from None
    sheets = []
    try:
        for meta in book.sheets_metadata:
            if str(meta.typ).endswith("WorkSheet"):
                sheet = book.get_sheet_by_name(meta.name)
                rows = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS)
                merged = [(tuple(a), tuple(b)) for a, b in (getattr(sheet, "merged_cell_ranges", None) or ())]
                sheets.append(Sheet(meta.name, [r[:MAX_COLS] for r in rows], merged))
    except BaseException as exc:  # a Rust panic surfaces as PanicException, a BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        raise ReadError(f"{base}：读取工作表时出错，文件可能已损坏 (cannot read a sheet: {_short(exc)})") from None
    finally:
        book.close()
    workbook = Workbook(name, sheets, kind)
    if package is not None and package.formulas:
        from .formulas import fill_uncached

        fill_uncached(workbook, package.formulas)
    return workbook


_SUFFIX_KIND = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".xlsb": "xlsb", ".ods": "ods"}


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
