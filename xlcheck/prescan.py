"""The pre-scan of a zip workbook (.xlsx/.xlsm, .xlsb, .ods), before python-calamine parses it.

calamine allocates a sheet's whole span (every cell from A1 to the furthest one, 32–64 bytes each)
and aborts the process when it cannot, so a 10 KB file naming cell XFD1048576 would end a batch. The
span is therefore worked out here from the package's parsed structure, the way a spreadsheet reader
sees it, not from one spelling of its text:

* which parts are sheets is decided by the workbook's relationships (any case, any folder), plus
  every part under a ``worksheets/`` folder;
* each sheet part is decompressed once, streamed through expat in chunks (memory stays bounded
  whatever the part's size), and every ``<row>``/``<c>`` element is placed as calamine places it
  (its ``r`` attribute in any quoting, or the next position when it has none); ``<dimension>`` counts
  too;
* an .ods counts ``number-rows-repeated`` × ``number-columns-repeated`` of cells that hold a value;
* an .xlsb's binary sheet records are walked for their row and column numbers.

The same single pass collects what the reader needs next: the sheet names behind each part and the
formula cells saved without a result (:mod:`xlcheck.formulas` computes them).
"""

from __future__ import annotations

import functools
import io
import os
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from xml.parsers import expat

from .cells import column_index
from .zipmember import inflated

#: A zip package whose members unpack to more than this in total is refused.
MAX_UNPACKED = 200 * 1024 * 1024
#: ... and so is one with a single sheet (or content) part larger than this: calamine parses a sheet
#: part whole, ~30 ms and ~2 MB of memory per MB of XML, whatever ``nrows`` asks for.
MAX_PART = 32 * 1024 * 1024
#: ... and one with a member compressed more than this many times over (when it unpacks to > 10 MB).
MAX_RATIO = 100
RATIO_FLOOR = 10 * 1024 * 1024
#: A sheet whose cells span more than this many cells (rows × columns from A1) is refused: calamine
#: allocates the whole span, so two cells at A1 and XFD1048576 would ask for 550 GB.
MAX_CELLS = 4_000_000
#: A package with more members than this is refused: reading the zip directory alone costs ~70 µs
#: a member, and a report has a few dozen.
MAX_ENTRIES = 10_000
#: ... and one with more sheets than this: calamine and the locator cost ~5 ms a sheet.
MAX_SHEETS = 255
#: ... and one whose shared-strings part unpacks to more than this: calamine holds every string.
MAX_SHARED_STRINGS = 16 * 1024 * 1024

_CHUNK = 64 * 1024
#: sheet parts up to this size are read whole and tried with :func:`_provably_small` first
_SMALL_PART = 256 * 1024
PASSWORD = "工作簿设有打开密码，请在 Excel 或 WPS 中去掉密码后再校验 (password-protected)"
_REL_OFFICE_DOCUMENT = "/officeDocument"


class ScanError(Exception):
    """The package breaks a bound or is damaged; the message follows the file name (Chinese, English)."""


@dataclass
class Package:
    """What the pre-scan learnt about a zip workbook."""

    kind: str
    #: sheet name -> the formula cells saved without their result (see :class:`Uncached`)
    formulas: dict[str, list[Uncached]] = field(default_factory=dict)


class Uncached(NamedTuple):
    """A formula cell saved without its result: zero-based ``row``/``col`` and its formula text; a
    shared formula's follower gets its master's text and how far it lies from the master."""

    row: int
    col: int
    text: str
    down: int = 0
    right: int = 0


#: a package up to this size is read into memory at once (:class:`_Archive`); a larger one is read by
#: zipfile from the file, member by member
_IN_MEMORY = 8 * 1024 * 1024


class _Archive(zipfile.ZipFile):
    """A zip package read into memory at once, whose members are inflated straight from its bytes
    (:mod:`xlcheck.zipmember`) and read by zipfile only when they do not come out right, so that
    zipfile raises what is wrong: for a report's few small parts its reading machinery cost more than
    the inflating."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self._data = data

    def read(self, name: str | zipfile.ZipInfo, pwd: bytes | None = None) -> bytes:
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        data = inflated(self._data, info) if pwd is None else None
        return super().read(name, pwd) if data is None else data


def _open(path: str) -> zipfile.ZipFile:
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size <= _IN_MEMORY:
            return _Archive(handle.read(_IN_MEMORY + 1))
    return zipfile.ZipFile(path)


def scan(path: str) -> Package:
    """Check the bounds of the zip workbook at ``path`` and collect its formula cells; raise ScanError."""
    try:
        archive = _open(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ScanError(f"文件已损坏，不是完整的工作簿（可能下载或复制未完成） (damaged zip: {exc})") from None
    with archive:
        try:
            return _scan(archive)
        except ScanError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError,
                ValueError) as exc:  # a damaged local header, a bad CRC, an unsupported method
            raise ScanError(f"文件已损坏，部分内容无法解压 (damaged zip: {_short(exc)})") from None


def _scan(archive: zipfile.ZipFile) -> Package:
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_ENTRIES:
        raise ScanError(f"压缩包里有 {len(infos)} 个文件，超过 {MAX_ENTRIES} 个的上限，年度报告不会这样 "
                        f"({len(infos)} zip entries, above the bound of {MAX_ENTRIES})")
    if any(i.flag_bits & 0x1 for i in infos):
        raise ScanError(PASSWORD)
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise ScanError(f"解压后达 {total // 2**20} MB，超过 {MAX_UNPACKED // 2**20} MB 上限，"
                        f"不像是一份年度报告，可能是恶意的压缩炸弹 (unpacks to {total // 2**20} MB, "
                        f"above the {MAX_UNPACKED // 2**20} MB bound)")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise ScanError(f"其中 {info.filename} 的压缩比高达 {ratio:.0f} 倍，可能是恶意的压缩炸弹，"
                            f"已拒绝读取 (compression ratio {ratio:.0f} above {MAX_RATIO}: a zip bomb)")
    members = {i.filename.lower(): i for i in infos}
    if "mimetype" in members and "content.xml" in members:
        return _scan_ods(archive, members)
    if "xl/workbook.bin" in members:
        return _scan_xlsb(archive, members)
    if "[content_types].xml" in members:
        return _scan_xlsx(archive, members)
    raise ScanError("是 ZIP 压缩包，但不是 Excel 工作簿 (a zip archive, not a workbook)")


# ------------------------------------------------------------------------------------------------
# Streaming XML


class _RefusedError(Exception):
    """Raised from inside an expat handler; carries the ScanError message out of ``Parse``."""


def _refuse_doctype(part: str) -> None:
    raise _RefusedError(f"{part} 含有 XML 实体声明（DOCTYPE/ENTITY），Excel 不会写出这种文件，"
                        "可能是恶意文件，已拒绝读取 (XML entity declarations are refused)")


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            yield chunk


def _stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, bind: Callable[[Any], None],
            chunks: Iterable[bytes] | None = None) -> None:
    """Decompress one member chunk by chunk (or take ``chunks``) into expat, whose handlers ``bind``
    sets."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    refuse: Any = lambda *_: _refuse_doctype(info.filename)  # noqa: E731
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = refuse
    bind(parser)
    first = True
    if chunks is None:
        chunks = (archive.read(info),) if info.file_size <= _SMALL_PART else _chunks(archive, info)
    try:
        for chunk in chunks:
            if first:
                first = False
                if chunk.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
                    raise _RefusedError(f"{info.filename} 是 UTF-16 编码的 XML，Excel 与 WPS 写出的工作簿不会这样，"
                                   f"文件已损坏 (damaged: {info.filename} is UTF-16 XML)")
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _RefusedError as exc:
        raise ScanError(str(exc)) from None
    except expat.ExpatError as exc:
        raise ScanError(f"无法读取，{info.filename} 的 XML 已损坏（第 {exc.lineno} 行）(cannot read: broken XML in "
                        f"{info.filename} at line {exc.lineno}: {expat.ErrorString(exc.code)})") from None


def _elements(archive: zipfile.ZipFile, info: zipfile.ZipInfo, wanted: Iterable[str]
              ) -> list[tuple[str, dict[str, str]]]:
    """The (name, attributes) of every element of a small part whose local name is in ``wanted``."""
    names = set(wanted)
    out: list[tuple[str, dict[str, str]]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        tag = tag.rpartition(":")[2]
        if tag in names:
            out.append((tag, attrs))

    def bind(parser: Any) -> None:
        parser.StartElementHandler = start

    _stream(archive, info, bind)
    return out


def _check_size(info: zipfile.ZipInfo) -> None:
    if info.file_size > MAX_PART:
        raise ScanError(f"{info.filename} 解压后 {info.file_size // 2**20} MB，超过单个工作表 "
                        f"{MAX_PART // 2**20} MB 的上限，年度报告不会这么大 (a sheet of "
                        f"{info.file_size // 2**20} MB, above the {MAX_PART // 2**20} MB bound)")


def _check_span(part: str, rows: int, cols: int) -> None:
    if rows * cols > MAX_CELLS:
        raise ScanError(f"{part} 的单元格分布在 {rows} 行 × {cols} 列的范围里，超过 {MAX_CELLS} 个单元格的"
                        f"上限，已拒绝读取 (cells span {rows} x {cols}, above the bound of {MAX_CELLS} cells)")


def _check_sheet_count(count: int) -> None:
    if count > MAX_SHEETS:
        raise ScanError(f"工作簿有 {count} 个工作表，超过 {MAX_SHEETS} 个的上限，年度报告不会这样 "
                        f"({count} sheets, above the bound of {MAX_SHEETS})")


# ------------------------------------------------------------------------------------------------
# OOXML (.xlsx, .xlsm)


def _resolve(base_dir: str, target: str) -> str:
    """A relationship target as a lower-case part name (targets are matched case-insensitively)."""
    target = target.replace("\\", "/")
    part = target.lstrip("/") if target.startswith("/") else posixpath.join(base_dir, target)
    return posixpath.normpath(part).lower()


def _rels_of(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def _relationships(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], part: str
                   ) -> list[dict[str, str]]:
    info = members.get(_rels_of(part).lower())
    if info is None:
        return []
    return [attrs for _, attrs in _elements(archive, info, ("Relationship",))
            if attrs.get("TargetMode", "").lower() != "external" and "Target" in attrs]


def _workbook_part(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> str | None:
    for rel in _relationships(archive, members, ""):
        if rel.get("Type", "").endswith(_REL_OFFICE_DOCUMENT):
            part = _resolve("", rel["Target"])
            if part in members:
                return part
    return "xl/workbook.xml" if "xl/workbook.xml" in members else None


def _rid(attrs: dict[str, str]) -> str | None:
    for key, value in attrs.items():
        if key.endswith(":id"):
            return value
    return attrs.get("id")


def _scan_xlsx(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> Package:
    workbook = _workbook_part(archive, members)
    if workbook is None:
        raise ScanError("文件已损坏：压缩包里没有工作簿部分 (xl/workbook.xml)，不是完整的 Excel 工作簿 "
                        "(damaged: the package has no workbook part)")
    sheets = _elements(archive, members[workbook], ("sheet",))
    _check_sheet_count(len(sheets))
    base_dir = posixpath.dirname(workbook)
    targets = {rel.get("Id", ""): _resolve(base_dir, rel["Target"])
               for rel in _relationships(archive, members, members[workbook].filename)}
    names: dict[str, str] = {}
    for _, attrs in sheets:
        part = targets.get(_rid(attrs) or "")
        if part is not None and "name" in attrs:
            names.setdefault(part, attrs["name"])
    # every part the workbook names as a sheet, and whatever lies in a worksheets folder
    parts = set(names) | {n for n in members if "worksheets/" in n and not n.endswith(".rels")}
    package = Package("xlsx")
    shared = members.get(_resolve(base_dir, "sharedStrings.xml"))
    if shared is not None and shared.file_size > MAX_SHARED_STRINGS:
        raise ScanError(f"共享字符串部分解压后 {shared.file_size // 2**20} MB，超过 {MAX_SHARED_STRINGS // 2**20} MB "
                        f"的上限，年度报告不会这么大 (shared strings of {shared.file_size // 2**20} MB, above the "
                        f"{MAX_SHARED_STRINGS // 2**20} MB bound)")
    for part in sorted(parts):
        info = members.get(part)
        if info is None:
            continue
        _check_size(info)
        chunks: Iterable[bytes] | None = None
        if info.file_size <= _SMALL_PART:
            data = archive.read(info)
            if _provably_small(data) and not _may_hold_formulas(data):
                continue  # nothing to learn from parsing it
            chunks = (data,)
        sheet = SheetScan()
        _stream(archive, info, sheet.bind, chunks)
        sheet.finish()
        _check_span(info.filename, *sheet.span())
        if sheet.uncached and part in names:
            package.formulas[names[part]] = sheet.uncached
    return package


class _Patterns(NamedTuple):
    unsafe_ref: re.Pattern[bytes]
    dimension: re.Pattern[bytes]


@functools.cache
def _patterns() -> _Patterns:
    return _Patterns(
        # an attribute whose name ends in r (every r attribute, whatever its prefix, and a few
        # others), any quoting, spaces around =, whose value is anything but one letter at most and
        # three digits at most (the leading literal keeps the search fast)
        re.compile(rb"""r\s*=\s*(["'])(?!\s*\$?[A-Za-z]?\$?[0-9]{1,3}\s*\1)"""),
        re.compile(rb"""<(?:\w+:)?dimension\s+ref\s*=\s*(["'])([A-Za-z]{1,3}[0-9]{1,7}(?::[A-Za-z]{1,3}[0-9]{1,7})?)\1\s*/>"""),
    )


_BEFORE_NAME = frozenset((b" ", b"\t", b"\r", b"\n", b":"))


#: occurrences of a pair's second byte :func:`_has_pair` looks at before searching for the pair itself
_PAIR_TRIES = 64


def _has_pair(data: bytes, seconds: bytes, firsts: bytes) -> bool:
    """Whether ``data`` holds a byte of ``firsts`` followed by ``seconds`` (one byte): ``f`` and ``!``
    are rare in a sheet part and ``<`` is everywhere, so the rare byte is searched for and the one
    before it looked at (``b"<f" in data`` stops at every ``<``: three times as slow)."""
    at = data.find(seconds, 1)
    for _ in range(_PAIR_TRIES):
        if at < 0:
            return False
        if data[at - 1] in firsts:
            return True
        at = data.find(seconds, at + 1)
    return any(bytes((first,)) + seconds in data for first in firsts)


def _may_hold_formulas(data: bytes) -> bool:
    """False only when no ``<f>`` element (with or without a prefix) can be in the part: no ``<f``, no
    ``:f``."""
    return _has_pair(data, b"f", b"<:")


def _provably_small(data: bytes) -> bool:
    """True when the bytes alone prove the sheet's span is within :data:`MAX_CELLS`, so the parse can
    be skipped (~3x the cost of calamine's own read on a busy machine).

    Sound, not a guess: every cell's position comes from an ``r`` attribute or from counting
    elements. If every ``r`` value anywhere is at most one letter and three digits (no entity, no
    other spelling), a cell lies at row <= 999 + rows without ``r`` and column <= 26 + cells without
    ``r``; with ``n`` elements in all, that is at most ((n + 1025) / 2)² cells. Anything else (a
    declaration, a comment, another encoding, a larger ``<dimension>``) is left to the parser.
    """
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<") or _has_pair(data, b"!", b"<"):  # a declaration, a comment, CDATA
        return False
    # every element starts with a "<": a count of them is bound enough for a small sheet, and the end
    # tags are counted off only when it is not
    elements = data.count(b"<")
    if ((elements + 1025) / 2) ** 2 > MAX_CELLS:
        elements -= data.count(b"</")
        if ((elements + 1025) / 2) ** 2 > MAX_CELLS:
            return False
    patterns = _patterns()
    at = 0
    while found := patterns.unsafe_ref.search(data, at):
        if data[found.start() - 1:found.start()] in _BEFORE_NAME:  # an r attribute, not footer=
            return False
        at = found.end()
    at = data.find(b"dimension")
    if at >= 0:
        found = patterns.dimension.match(data, data.rfind(b"<", 0, at))
        if found is None:
            return False
        first, _, last = found.group(2).decode().partition(":")
        corner = _ref(last or first)
        if corner is None or corner[0] * corner[1] > MAX_CELLS or data.find(b"dimension", at + 9) >= 0:
            return False
    return True


def scan_sheet_xml(data: bytes) -> SheetScan:
    """The span and uncached formulas of one worksheet part given as bytes (for tests and tools)."""
    sheet = SheetScan()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    sheet.bind(parser)
    parser.Parse(data, True)
    sheet.finish()
    return sheet


def _ref(ref: str) -> tuple[int, int] | None:
    """``"XFD1048576"`` (any case, ``$`` allowed) -> one-based (row, column); None if it is no cell."""
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters):]
    if not (digits and letters.isalpha() and letters.isascii()):
        ref = ref.strip().replace("$", "")
        letters = ref.rstrip("0123456789")
        digits = ref[len(letters):]
        if not (digits and letters.isalpha() and letters.isascii()):
            return None
    return int(digits), column_index(letters.upper()) + 1


class SheetScan:
    """expat handlers for one worksheet part: its span and its formula cells saved without a result.

    Only start tags are handled (a handler per end tag would double the cost of the scan): a cell's
    ``<f>`` and ``<v>`` text is whatever character data follows them up to the next start tag, and a
    formula cell is settled when the next cell, row or the end of the part comes.
    """

    def __init__(self) -> None:
        self.rows = self.cols = 0  # the furthest cell, one-based
        self.dim_rows = self.dim_cols = 0
        self.row = 0  # the current row, one-based
        self.col = 0  # the last column placed in it
        self.uncached: list[Uncached] = []
        self._shared: dict[str, tuple[str, int, int]] = {}
        self._cell: tuple[int, int, str] | None = None  # (row, col, t) of the open formula cell
        self._formula: dict[str, str] | None = None  # attributes of its <f>
        self._buffer: list[str] | None = None  # text of the open <f> or <v>
        self._f_text = self._v_text = ""
        self._capturing = ""
        self._local: dict[str, str] = {}
        self._parser: Any = None

    def bind(self, parser: Any) -> None:
        self._parser = parser
        parser.StartElementHandler = self.start

    def span(self) -> tuple[int, int]:
        return max(self.rows, self.dim_rows), max(self.cols, self.dim_cols)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self._buffer is not None:
            self._stop_capture()
        if ":" in tag:
            local = self._local.get(tag)
            if local is None:
                local = tag.rpartition(":")[2]
                if len(self._local) < 256:
                    self._local[tag] = local
            tag = local
        if tag == "c":
            if self._formula is not None:
                self._settle()
            ref = _ref(attrs["r"]) if "r" in attrs else None
            if ref is not None and ref[1] > 0:
                row, col = ref
            else:
                row, col = max(self.row, 1), self.col + 1
            self.col = col
            if row > self.rows:
                self.rows = row
            if col > self.cols:
                self.cols = col
            self._cell = (row, col, attrs.get("t", ""))
        elif tag == "f" or tag == "v":
            if self._cell is not None and (tag == "f" or self._formula is not None):
                if tag == "f":
                    self._formula = attrs
                self._capturing = tag
                self._buffer = []
                self._parser.CharacterDataHandler = self._buffer.append
        elif tag == "row":
            if self._formula is not None:
                self._settle()
            self._cell = None
            number = attrs.get("r", "").strip()
            self.row = int(number) if number.isdigit() and number.isascii() else self.row + 1
            self.col = 0
        elif tag == "dimension":
            first, _, last = attrs.get("ref", "").partition(":")
            corner = _ref(last or first)
            if corner is not None:
                self.dim_rows, self.dim_cols = corner

    def _stop_capture(self) -> None:
        assert self._buffer is not None
        text = "".join(self._buffer).strip()
        if self._capturing == "f":
            self._f_text = text
        else:
            self._v_text = text
        self._buffer = None
        self._parser.CharacterDataHandler = None

    def finish(self) -> None:
        if self._buffer is not None:
            self._stop_capture()
        if self._formula is not None:
            self._settle()

    def _settle(self) -> None:
        """The formula cell just passed: keep it if it has no saved result."""
        assert self._formula is not None and self._cell is not None
        row, col, kind = self._cell
        formula, text, cached = self._formula, self._f_text, self._v_text
        self._formula = None
        self._f_text = self._v_text = ""
        down = right = 0
        if formula.get("t") == "shared" and "si" in formula:
            si = formula["si"]
            if text:
                self._shared[si] = (text, row, col)
            elif si in self._shared:
                text, r0, c0 = self._shared[si]
                down, right = row - r0, col - c0
        if cached or kind in ("str", "inlineStr"):
            return  # a saved result, which calamine returns
        self.uncached.append(Uncached(row - 1, col - 1, "=" + text if text else "=", down, right))


# ------------------------------------------------------------------------------------------------
# OpenDocument (.ods)


class _OdsScan:
    """expat handlers for content.xml: the span of the cells that hold something, repeats included
    (calamine skips empty cells and trailing empty rows, which LibreOffice repeats a million times)."""

    def __init__(self) -> None:
        self.depth = 0  # nesting of table:table (a sub-table inside a cell counts into its own)
        self.row = 0  # rows before the current one
        self.repeat = 1  # the current row's number-rows-repeated
        self.col = 0  # columns before the next cell
        self.rows = self.cols = 0
        self.name = ""
        self._cell: tuple[int, bool] | None = None  # (columns repeated, holds a value) of the open cell

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "table-cell" or tag == "covered-table-cell":
            self._close_cell()
            repeat = _count(_attr(attrs, "number-columns-repeated"))
            self._cell = (repeat, any(k.endswith(":value-type") for k in attrs))
        elif tag == "table-row":
            self._close_cell()
            self.repeat = _count(_attr(attrs, "number-rows-repeated"))
            self.col = 0
        elif tag == "table":
            self.depth += 1
            if self.depth == 1:
                self.name = attrs.get("table:name", "")
                self.row = self.rows = self.cols = 0
        elif self._cell is not None and tag in ("p", "span", "a"):
            self._cell = (self._cell[0], True)

    def end(self, tag: str) -> None:
        if tag == "table-cell" or tag == "covered-table-cell":
            self._close_cell()
        elif tag == "table-row":
            self._close_cell()
            self.row += self.repeat
            self.repeat = 1
        elif tag == "table":
            if self.depth == 1:
                _check_span(f"content.xml 的工作表“{self.name}”", self.rows, self.cols)
            self.depth -= 1

    def _close_cell(self) -> None:
        if self._cell is None:
            return
        repeat, filled = self._cell
        self._cell = None
        if filled:
            self.rows = max(self.rows, self.row + self.repeat)
            self.cols = max(self.cols, self.col + repeat)
            if self.rows * self.cols > MAX_CELLS:  # say so now, before the rest of a huge part is read
                _check_span(f"content.xml 的工作表“{self.name}”", self.rows, self.cols)
        self.col += repeat


def _attr(attrs: dict[str, str], local: str) -> str | None:
    """An attribute by its local name, whatever prefix the file binds to the table namespace."""
    value = attrs.get("table:" + local)
    if value is None:
        for key, found in attrs.items():
            if key.rpartition(":")[2] == local:
                return found
    return value


def _count(text: str | None) -> int:
    if text is None:
        return 1
    text = text.strip()
    return int(text) if text.isdigit() and text.isascii() else 1


def _scan_ods(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> Package:
    manifest = members.get("meta-inf/manifest.xml")
    if manifest is not None and any(True for _ in _elements(archive, manifest, ("encryption-data",))):
        raise ScanError(PASSWORD)
    info = members["content.xml"]
    _check_size(info)
    content = _OdsScan()
    tables = [0]

    def start(tag: str, attrs: dict[str, str]) -> None:
        tag = tag.rpartition(":")[2]
        if tag == "table" and content.depth == 0:
            tables[0] += 1
            _check_sheet_count(tables[0])
        content.start(tag, attrs)

    def bind(parser: Any) -> None:
        parser.StartElementHandler = start
        parser.EndElementHandler = lambda tag: content.end(tag.rpartition(":")[2])

    _stream(archive, info, bind)
    return Package("ods")


# ------------------------------------------------------------------------------------------------
# Excel binary workbook (.xlsb)

#: BrtRowHdr, the cell records (BrtCellBlank … BrtFmlaError) and BrtWsDim of MS-XLSB 2.3
_ROW_HEADER = 0x0000
_CELLS = frozenset(range(0x0001, 0x000C))
_WS_DIM = 0x0094


def _scan_xlsb(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> Package:
    rels = _relationships(archive, members, members["xl/workbook.bin"].filename)
    parts = {_resolve("xl", rel["Target"]) for rel in rels if rel.get("Type", "").endswith("/worksheet")}
    parts |= {n for n in members if "worksheets/" in n and n.endswith(".bin")}
    _check_sheet_count(len(parts))
    for part in sorted(parts):
        info = members.get(part)
        if info is None:
            continue
        _check_size(info)
        with archive.open(info) as stream:
            data = stream.read()
        _check_span(info.filename, *_xlsb_span(data))
    return Package("xlsb")


def _varint(data: bytes, at: int, most: int) -> tuple[int, int]:
    value = shift = 0
    for _ in range(most):
        if at >= len(data):
            raise ScanError("文件已损坏，工作表记录不完整 (damaged: a truncated .xlsb record)")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return value, at


def _xlsb_span(data: bytes) -> tuple[int, int]:
    """The furthest (row, column), one-based, of a binary sheet part's rows, cells and BrtWsDim."""
    rows = cols = 0
    row = 0
    at = 0
    while at < len(data):
        kind, at = _varint(data, at, 2)
        size, at = _varint(data, at, 4)
        body = data[at:at + size]
        at += size
        if kind == _ROW_HEADER and len(body) >= 4:
            row = struct.unpack_from("<I", body)[0]
            rows = max(rows, row + 1)
        elif kind in _CELLS and len(body) >= 4:
            cols = max(cols, struct.unpack_from("<I", body)[0] + 1)
            rows = max(rows, row + 1)
        elif kind == _WS_DIM and len(body) >= 16:
            _r1, r2, _c1, c2 = struct.unpack_from("<IIII", body)
            rows, cols = max(rows, r2 + 1), max(cols, c2 + 1)
    return rows, cols


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."

