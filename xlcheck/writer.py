"""Write findings back into a copy of the workbook by patching its OOXML parts in place.

Loading and re-saving with openpyxl is slow and silently drops images, charts, shapes, form
controls, pivot tables, slicers and external links. Instead the package is treated as a zip of
parts: only the parts that must change are parsed (with lxml, which keeps namespace prefixes and
therefore ``mc:Ignorable``) and every other member is copied unchanged, so macros survive too.

Every mark is recognisable on a later run, which removes it before adding new ones:

* fills are conditional-formatting rules whose formula is :data:`~xlcheck.marks.MARK_FORMULA`, so the cells' own
  styles are never touched and clearing is exact even after Excel re-saves the file;
* notes are legacy comments whose author is :data:`~xlcheck.marks.NOTE_AUTHOR`;
* the summary sheet is named after :data:`~xlcheck.marks.SUMMARY_SHEET` and its A1 starts with
  :data:`~xlcheck.marks.SUMMARY_MARKER`.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import posixpath
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from . import deflate
from .cells import address, column_index, parse_cell
from .findings import Report, Severity
from .marks import (
    FONT,
    MARK_FORMULA,
    NOTE_AUTHOR,
    STYLES,
    SUMMARY_HEADER,
    SUMMARY_MARKER,
    SUMMARY_WIDTHS,
    CellMark,
    MarkStyle,
    PlacedMark,
    describe,
    free_summary_name,
    is_summary_name,
    link_location,
    place,
    report_marks,
    summary_lines,
    summary_rows,
    verdict,
)
from .zipmember import inflated, stored

__all__ = ["MARK_FORMULA", "WriteError", "annotate", "clean"]

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

RT_OFFICE_DOC = REL + "/officeDocument"
RT_WORKSHEET = REL + "/worksheet"
RT_STYLES = REL + "/styles"
RT_SHARED_STRINGS = REL + "/sharedStrings"
RT_COMMENTS = REL + "/comments"
RT_VML = REL + "/vmlDrawing"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"

#: Every member is held in memory; refuse zip bombs long before that hurts.
MAX_UNPACKED = 512 * 1024 * 1024

XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'

# Child order Excel insists on (CT_Worksheet, CT_Workbook, CT_Stylesheet); a wrong order makes it
# call the file corrupt.
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
    "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks",
    "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
    "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst",
)
WORKBOOK_ORDER = (
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
    "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
    "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
    "fileRecoveryPr", "webPublishObjects", "extLst",
)
STYLESHEET_ORDER = (
    "numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
    "tableStyles", "colors", "extLst",
)

_RANGE_RE = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7}):\$?([A-Z]{1,3})\$?([0-9]{1,7})$")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DXF_REF_RE = re.compile(rb'[dD]xfId="(\d+)"')
# VML is edited as bytes: Excel's VML is not always well-formed XML (form controls may hold <br>).
_VML_SHAPE_RE = re.compile(rb"<(\w+):shape\b[^>]*(?<!/)>.*?</\1:shape>", re.S)
_VML_ANY_SHAPE_RE = re.compile(
    rb"<(?:\w+:)?(?:shape|rect|roundrect|oval|line|polyline|curve|arc|image|group)\b"
)
_VML_NOTE_RE = re.compile(rb"ObjectType\s*=\s*[\"']Note[\"']")
_VML_ROW_RE = re.compile(rb"<\w+:Row>\s*(\d+)\s*</\w+:Row>")
_VML_COL_RE = re.compile(rb"<\w+:Column>\s*(\d+)\s*</\w+:Column>")
_VML_SHAPE_ID_RE = re.compile(rb"_x0000_s(\d+)")
_VML_IDMAP_RE = re.compile(rb"idmap\b[^>]*\bdata\s*=\s*[\"']([\d,\s]*)[\"']")
_VML_NS = (
    b'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    b'xmlns:x="urn:schemas-microsoft-com:office:excel"'
)
_VML_SHAPETYPE = (
    b'<v:shapetype %s id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    b'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
    b'<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)

_LINK_COLOUR = "FF0563C1"


def escape(text: str) -> str:
    """``text`` as XML character data (what ``xml.sax.saxutils.escape`` gives: that module imports
    urllib.request, and with it ssl, http and email, a third of writing a copy's start-up)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(text: str) -> str:
    """``text`` as a quoted XML attribute value, as ``xml.sax.saxutils.quoteattr`` quotes it."""
    text = escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"{}"'.format(text.replace('"', "&quot;"))


class WriteError(Exception):
    """The workbook cannot be read or the annotated copy cannot be written; the message is for a clerk."""


def annotate(src: str | os.PathLike[str], dst: str | os.PathLike[str], report: Report) -> None:
    """Write a copy of ``src`` to ``dst`` with the findings of ``report`` marked on it.

    Marks from an earlier run are removed first, so re-checking a workbook leaves one set of marks
    and a clean report leaves none. ``dst`` may be ``src``; it is replaced atomically.
    """
    package = _Package.read(src)
    book = _Book(package)
    _remove_marks(book)
    marks = report_marks(report)
    for sheet, sheet_marks in _group_by_sheet(book, marks):
        _mark_sheet(book, sheet, sheet_marks)
    from .names import readable

    name = readable(Path(report.path).name if report.path else Path(src).name)
    _match_suffix(book, dst)
    _insert_summary(book, report, name)
    package.write(dst)


def clean(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Write a copy of ``src`` to ``dst`` with every mark of an earlier xlcheck run removed."""
    package = _Package.read(src)
    book = _Book(package)
    _match_suffix(book, dst)
    _remove_marks(book)
    package.write(dst)


_MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def _match_suffix(book: _Book, dst: str | os.PathLike[str]) -> None:
    """Make the copy's suffix and its workbook type agree, or refuse: Excel will not open a
    macro-enabled workbook named .xlsx, nor a plain one named .xlsm ("file format or file extension is
    not valid"). A plain workbook written as .xlsm is declared macro-enabled (valid without macros);
    a macro-enabled one is never written as .xlsx, which would mean dropping its macros."""
    suffix = Path(dst).suffix.lower()
    if suffix not in (".xlsx", ".xlsm"):
        return
    override = book.types._find("Override", "PartName", "/" + book.part)
    macro = override is not None and override.get("ContentType", "") == _MACRO_MAIN
    if suffix == ".xlsx" and macro:
        raise WriteError(f"输出文件 {Path(dst).name} 的扩展名与工作簿类型不符：这是含宏的工作簿（.xlsm），请把输出文件"
                         f"命名为 {Path(dst).with_suffix('.xlsm').name}，否则 Excel 无法打开 (the output of a "
                         "macro-enabled workbook must end in .xlsm)")
    if suffix == ".xlsm" and not macro and override is not None:
        override.set("ContentType", _MACRO_MAIN)
        book.package.touch(book.types.PART)


# --------------------------------------------------------------------------------------------
# The zip package


def _parser() -> etree.XMLParser:
    # Workbooks come from strangers: no entity expansion, no network, no billion-laughs trees.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


class _Package:
    """The members of an OOXML zip, read fully into memory so ``dst`` may equal ``src``."""

    def __init__(self, path: Path, members: dict[str, bytes], infos: dict[str, zipfile.ZipInfo],
                 source: bytes = b""):
        self.path = path
        self.members = members
        self.infos = infos
        # the source package's bytes: members never changed are copied as they are stored in it
        self._source = source
        self._changed: set[str] = set()
        self._lower = {name.lower(): name for name in members}
        self._trees: dict[str, etree._Element] = {}
        self._dirty: set[str] = set()
        # Worksheets parsed without their cell data: the bytes before and after the parsed tail.
        self._spliced: dict[str, tuple[bytes, bytes]] = {}

    @classmethod
    def read(cls, src: str | os.PathLike[str]) -> _Package:
        path = Path(src)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise WriteError(f"无法读取文件 {path.name}：{exc.strerror or exc}") from exc
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = {info.filename: info for info in zf.infolist() if not info.is_dir()}
                if sum(info.file_size for info in infos.values()) > MAX_UNPACKED:
                    raise WriteError(f"{path.name} 解压后过大，不像是一份年度报告工作簿")
                members = {name: _unpack(zf, data, info) for name, info in infos.items()}
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, RuntimeError,
                NotImplementedError, zlib.error) as exc:
            raise WriteError(
                f"{path.name} 不是有效的 Excel 工作簿（.xlsx/.xlsm），可能已损坏或加密"
            ) from exc
        return cls(path, members, infos, data)

    def name(self, part: str) -> str | None:
        """The member's actual name: part names are case-insensitive in OOXML."""
        return self._lower.get(part.lower())

    def has(self, part: str) -> bool:
        return self.name(part) is not None

    def data(self, part: str) -> bytes:
        name = self.name(part)
        if name is None:
            raise KeyError(part)
        if name in self._dirty:
            self._serialise(name)
        return self.members[name]

    def xml(self, part: str) -> etree._Element:
        """The parsed root of a part, parsed once; call :meth:`touch` after changing it."""
        name = self.name(part)
        if name is None:
            raise KeyError(part)
        assert name not in self._spliced, "a worksheet is read with sheet_tail()"
        if name not in self._trees:
            self._trees[name] = self._parse(name, self.members[name])
        return self._trees[name]

    def sheet_tail(self, part: str) -> etree._Element:
        """A worksheet's root holding only the elements after ``sheetData``, parsed once.

        Cell data is most of a sheet's bytes and xlcheck never changes it, so it stays bytes and is
        spliced back on saving; parsing it would cost more than all the rest of the work together.
        Falls back to the whole part when the part cannot be split safely.
        """
        name = self.name(part)
        if name is None:
            raise KeyError(part)
        if name in self._trees:
            return self._trees[name]
        data = self.members[name]
        split = _split_sheet(data)
        if split is None:
            return self.xml(name)
        start_tag, cut, close = split
        self._trees[name] = self._parse(name, start_tag + data[cut:])
        self._spliced[name] = (data[:cut], data[close:])
        return self._trees[name]

    def _parse(self, name: str, data: bytes) -> etree._Element:
        try:
            return etree.fromstring(data, _parser())
        except etree.XMLSyntaxError as exc:
            raise WriteError(f"{self.path.name} 的 {name} 不是有效的 XML：{exc}") from exc

    def changed(self, part: str) -> bool:
        """Whether a parsed part was changed and not serialised since (:meth:`touch`)."""
        return self.name(part) in self._dirty

    def touch(self, part: str) -> None:
        name = self.name(part)
        assert name is not None and name in self._trees
        self._dirty.add(name)

    def put_xml(self, part: str, root: etree._Element) -> None:
        self.put(part, b"")
        name = self.name(part)
        assert name is not None
        self._trees[name] = root
        self._dirty.add(name)

    def put(self, part: str, data: bytes) -> None:
        name = self.name(part) or part
        self.members[name] = data
        self._changed.add(name)
        self._lower[name.lower()] = name
        self._trees.pop(name, None)
        self._spliced.pop(name, None)
        self._dirty.discard(name)

    def delete(self, part: str) -> None:
        name = self.name(part)
        if name is None:
            return
        del self.members[name]
        del self._lower[name.lower()]
        self._trees.pop(name, None)
        self._spliced.pop(name, None)
        self._dirty.discard(name)

    def parts(self) -> list[str]:
        return list(self.members)

    def _serialise(self, name: str) -> None:
        root = self._trees[name]
        body = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
        if name in self._spliced:
            head, close = self._spliced[name]
            # Keep the original bytes up to sheetData's end; replace only the root's later children.
            inner = b"" if body.endswith(b"/>") and len(root) == 0 and not root.text else (
                body[body.index(b">") + 1 : body.rindex(b"</")])
            self.members[name] = head + inner + close
        else:
            self.members[name] = XML_DECL + body
        self._changed.add(name)
        self._dirty.discard(name)

    def write(self, dst: str | os.PathLike[str]) -> None:
        """Write the package to ``dst`` atomically: temp file in the same directory, then rename.

        The data reaches the disk (fsync) before the rename only when ``dst`` is the workbook read
        (``--in-place``, clean in place): a crash while replacing it must leave the old workbook or
        the new one, never an empty one. A copy, new or replacing an earlier copy, is made from a
        source that stays as it was, so a crash loses nothing a second run does not write again, and
        fsync (with the rename it makes wait) is most of the cost of writing it.
        """
        from .atomic import rename_over, unsafe_target

        for name in list(self._dirty):
            self._serialise(name)
        target = Path(dst)
        refused = unsafe_target(target)
        if refused is not None:
            raise WriteError(refused)
        durable = _same_file(target, self.path)
        directory = target.parent if str(target.parent) else Path(".")
        packed = io.BytesIO()  # built in memory, written in one call: a zip is many small writes
        self._write_zip(packed)
        try:
            fd, tmp = tempfile.mkstemp(prefix=".~xlcheck-", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise WriteError(f"无法写入 {target.name}：{exc.strerror or exc}") from exc
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(packed.getbuffer())
                out.flush()
                if durable:
                    os.fsync(out.fileno())
            # mkstemp creates 0600; give the copy the permissions a normally created file gets.
            os.chmod(tmp, _file_mode(target, self.path))
            rename_over(tmp, target, durable=durable)
        except OSError as exc:
            _unlink_quietly(tmp)
            hint = "（文件可能正在 Excel 或 WPS 中打开）" if isinstance(exc, PermissionError) else ""
            raise WriteError(f"无法写入 {target.name}：{exc.strerror or exc}{hint}") from exc
        except BaseException:
            _unlink_quietly(tmp)
            raise

    def _write_zip(self, out: io.BytesIO) -> None:
        entries: list[tuple[zipfile.ZipInfo, bytes | memoryview]] = []
        for name, data in self.members.items():
            info = self._zip_info(name)
            stored = self._stored(name)
            if stored is None:
                entries.append((info, _compress(info, data)))
                continue
            old = self.infos[name]
            info.CRC, info.compress_size, info.file_size = old.CRC, old.compress_size, old.file_size
            entries.append((info, stored))
        if not _pack(out, entries):
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
                for info, payload in entries:
                    _write_stored(zf, info, payload)

    def _stored(self, name: str) -> memoryview | None:
        """An unchanged member's compressed bytes in the source, when they can be copied as they are
        (reading the member checked them against its CRC); recompressing every image and sheet
        would cost more than all the editing."""
        info = self.infos.get(name)
        if name in self._changed or info is None:
            return None
        return stored(self._source, info)

    def _zip_info(self, name: str) -> zipfile.ZipInfo:
        old = self.infos.get(name)
        # A fixed timestamp for new parts keeps repeated runs byte-identical.
        info = zipfile.ZipInfo(name, old.date_time if old else (1980, 1, 1, 0, 0, 0))
        info.compress_type = old.compress_type if old else zipfile.ZIP_DEFLATED
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            info.compress_type = zipfile.ZIP_DEFLATED
        if old:
            info.external_attr = old.external_attr
            info.create_system = old.create_system
        return info


def _unpack(zf: zipfile.ZipFile, source: bytes, info: zipfile.ZipInfo) -> bytes:
    """A member's content, checked against its size and CRC: inflated from ``source`` in one call
    (:mod:`xlcheck.zipmember`), or read by zipfile, which raises what is wrong."""
    data = inflated(source, info, deflate.inflate)
    return zf.read(info.filename) if data is None else data


_STORE_BELOW = 1024


def _compress(info: zipfile.ZipInfo, data: bytes) -> bytes:
    """A changed member's stored bytes (raw deflate, as ``writestr`` writes them), with ``info`` given
    their size and CRC.

    At the fastest level (:mod:`xlcheck.deflate`): a marked sheet is its whole cell data again, and
    deflating it at zlib's default level cost a quarter of annotating a report, for a part about a
    sixth smaller. A part under :data:`_STORE_BELOW` bytes is stored as it is: setting a deflater up
    cost more than the rest of deflating it, for a few hundred bytes saved."""
    info.file_size, info.CRC = len(data), zlib.crc32(data)
    if info.compress_type == zipfile.ZIP_DEFLATED and len(data) < _STORE_BELOW:
        info.compress_type = zipfile.ZIP_STORED
    if info.compress_type == zipfile.ZIP_DEFLATED:
        data = deflate.compress(data)
    info.compress_size = len(data)
    if not info.external_attr:
        info.external_attr = 0o600 << 16  # what writestr gives a member without permissions
    return data


#: zipfile's layouts of a local header, a central directory entry and the end record (its
#: ``structFileHeader``, ``structCentralDir``, ``structEndArchive``)
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")


def _pack(out: io.BytesIO, entries: list[tuple[zipfile.ZipInfo, bytes | memoryview]]) -> bool:
    """Write the members whose compressed bytes, sizes and CRC each ``ZipInfo`` holds as a zip, byte
    for byte what ``zipfile.ZipFile`` writes with :func:`_write_stored` and its closing (test_writer_package
    compares the two), in one pass of ``struct`` packing: zipfile's own headers and directory cost
    more than a report's copying. False, having written nothing, for what this does not cover (a
    member or an archive needing ZIP64, extra fields, a comment, a data descriptor): zipfile writes
    those."""
    offset = size = 0
    for info, payload in entries:
        if (info.extra or info.comment or info.flag_bits or info.file_size > zipfile.ZIP64_LIMIT
                or info.compress_size > zipfile.ZIP64_LIMIT or len(payload) != info.compress_size):
            return False
        length = len(info.filename.encode())
        offset += _LOCAL.size + length + info.compress_size
        size += _CENTRAL.size + length
    if len(entries) > zipfile.ZIP_FILECOUNT_LIMIT or offset > zipfile.ZIP64_LIMIT or size > zipfile.ZIP64_LIMIT:
        return False
    parts: list[bytes | memoryview] = []
    directory: list[bytes] = []
    offset = 0
    for info, payload in entries:
        dt = info.date_time
        dosdate = (dt[0] - 1980) << 9 | dt[1] << 5 | dt[2]
        dostime = dt[3] << 11 | dt[4] << 5 | (dt[5] // 2)
        try:
            name, flags = info.filename.encode("ascii"), 0
        except UnicodeEncodeError:
            name, flags = info.filename.encode("utf-8"), 0x800
        parts.append(_LOCAL.pack(b"PK\x03\x04", info.extract_version, info.reserved, flags, info.compress_type,
                                 dostime, dosdate, info.CRC, info.compress_size, info.file_size, len(name), 0))
        parts.append(name)
        parts.append(payload)
        directory.append(_CENTRAL.pack(b"PK\x01\x02", info.create_version, info.create_system,
                                       info.extract_version, info.reserved, flags, info.compress_type, dostime,
                                       dosdate, info.CRC, info.compress_size, info.file_size, len(name), 0, 0, 0,
                                       info.internal_attr, info.external_attr, offset) + name)
        offset += _LOCAL.size + len(name) + info.compress_size
    out.write(b"".join([*parts, *directory, _END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), size,
                                                     offset, 0)]))
    return True


def _write_stored(zf: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes | memoryview) -> None:
    """Append a member whose compressed bytes, size and CRC ``info`` already holds, as ``writestr``
    would have written it, without writing its header twice.

    zipfile has no public call for this: the local header is written with ``ZipInfo.FileHeader`` and
    the member registered in the archive's directory, which ``close()`` then writes as usual.
    """
    zip64 = info.file_size > zipfile.ZIP64_LIMIT or info.compress_size > zipfile.ZIP64_LIMIT
    assert zf.fp is not None
    info.header_offset = zf.fp.tell()
    zf.fp.write(info.FileHeader(zip64))
    zf.fp.write(data)
    zf.filelist.append(info)
    zf.NameToInfo[info.filename] = info
    zf.start_dir = zf.fp.tell()
    zf._didModify = True  # type: ignore[attr-defined]


_SHEET_START_RE = re.compile(rb"<(?:\w+:)?worksheet\b[^>]*>")
_SHEET_DATA_END_RE = re.compile(rb"</(?:\w+:)?sheetData\s*>|<(?:\w+:)?sheetData\s*/>")
_ENCODING_RE = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*encoding\s*=\s*["']([\w.-]+)["']""")


def _sheet_data_end(data: bytes, pos: int) -> re.Match[bytes] | None:
    """The first end of sheetData from ``pos`` (what ``_SHEET_DATA_END_RE.search`` finds): only where the
    word occurs is the pattern tried, at the '<' before it, since searching the pattern through every
    tag of the cell data cost more than the rest of reading the sheet. "</sheetData>" cannot occur in
    cell text (a '<' there is always escaped); the word alone can, and fails the pattern there."""
    at = data.find(b"sheetData", pos)
    while at >= 0:
        tag = data.rfind(b"<", pos, at)
        found = _SHEET_DATA_END_RE.match(data, tag) if tag >= 0 else None
        if found is not None:
            return found
        at = data.find(b"sheetData", at + 1)
    return None


def _split_sheet(data: bytes) -> tuple[bytes, int, int] | None:
    """(root start tag, offset just past sheetData, offset of the root's end tag), or None."""
    encoding = _ENCODING_RE.match(data)
    if encoding and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    start = _SHEET_START_RE.search(data)
    if start is None or start.group(0).endswith(b"/>"):
        return None
    end = _sheet_data_end(data, start.end())
    close = data.rfind(b"</")
    if end is None or close < end.end():
        return None
    return start.group(0), end.end(), close


def _same_file(target: Path, src: Path) -> bool:
    """Whether writing ``target`` replaces the workbook ``src`` itself (by any of its names)."""
    try:
        return os.path.samefile(target, src)
    except OSError:  # no file there yet
        return False


def _file_mode(target: Path, src: Path) -> int:
    for candidate in (target, src):
        try:
            return candidate.stat().st_mode & 0o7777
        except OSError:
            continue
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


# --------------------------------------------------------------------------------------------
# Relationships and content types


def _rels_part(part: str) -> str:
    head, tail = posixpath.split(part)
    return posixpath.join(head, "_rels", tail + ".rels")


@functools.lru_cache(maxsize=1024)  # a workbook's relationships are looked up again and again
def _resolve(source: str, target: str) -> str:
    target = unquote(target)
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _relative(part: str, start: str) -> str:
    """``posixpath.relpath(part, start or ".")`` for part names as the package holds them, worked out
    from their components: relpath looks up the working directory twice, for names that never
    leave the package. Anything else (a name with "." or "..", empty components, a leading "/")
    is left to relpath."""
    names, base = part.split("/"), start.split("/") if start else []
    if "" in names or "." in names or ".." in names or "" in base or "." in base or ".." in base:
        return posixpath.relpath(part, start or ".")
    common = 0
    for a, b in zip(names, base, strict=False):
        if a != b:
            break
        common += 1
    return "/".join([".."] * (len(base) - common) + names[common:]) or "."


class _Rels:
    """The relationships of one part; the rels part is created on the first :meth:`add`."""

    def __init__(self, package: _Package, source: str):
        self.package = package
        self.source = source
        self.part = _rels_part(source)
        self.root: etree._Element | None = package.xml(self.part) if package.has(self.part) else None

    def __iter__(self) -> Iterator[etree._Element]:
        if self.root is None:
            return iter(())
        return iter(self.root.findall(f"{{{PKG_REL}}}Relationship"))

    def get(self, rid: str | None) -> etree._Element | None:
        return next((rel for rel in self if rel.get("Id") == rid), None)

    def of_type(self, rel_type: str) -> list[etree._Element]:
        return [rel for rel in self if rel.get("Type") == rel_type]

    def target(self, rel: etree._Element) -> str | None:
        """The part a relationship points to, or None for an external target."""
        if rel.get("TargetMode") == "External":
            return None
        return _resolve(self.source, rel.get("Target", ""))

    def add(self, rel_type: str, part: str, rid: str | None = None) -> str:
        if self.root is None:
            self.root = _new_root("Relationships", PKG_REL)
            self.package.put_xml(self.part, self.root)
        used = {rel.get("Id") for rel in self}
        number = 1
        while f"rId{number}" in used:
            number += 1
        if rid is None or rid in used:
            rid = f"rId{number}"
        target = _relative(part, posixpath.dirname(self.source))
        etree.SubElement(self.root, f"{{{PKG_REL}}}Relationship", Id=rid, Type=rel_type, Target=target)
        self.package.touch(self.part)
        return rid

    def remove(self, rel: etree._Element) -> None:
        assert self.root is not None
        self.root.remove(rel)
        if len(self.root) == 0:
            # Nothing left: drop the part, as a workbook that never had relationships would be.
            self.package.delete(self.part)
            self.root = None
        else:
            self.package.touch(self.part)


class _ContentTypes:
    PART = "[Content_Types].xml"

    def __init__(self, package: _Package):
        if not package.has(self.PART):
            raise WriteError(f"{package.path.name} 缺少 [Content_Types].xml，不是有效的 Excel 工作簿")
        self.package = package
        self.root = package.xml(self.PART)

    def _find(self, tag: str, key: str, value: str) -> etree._Element | None:
        for el in self.root.findall(f"{{{CT_NS}}}{tag}"):
            if el.get(key, "").lower() == value.lower():
                return el
        return None

    def add_override(self, part: str, content_type: str) -> None:
        if self._find("Override", "PartName", "/" + part) is None:
            etree.SubElement(self.root, f"{{{CT_NS}}}Override", PartName="/" + part,
                             ContentType=content_type)
            self.package.touch(self.PART)

    def remove_override(self, part: str) -> None:
        el = self._find("Override", "PartName", "/" + part)
        if el is not None:
            self.root.remove(el)
            self.package.touch(self.PART)

    def ensure_default(self, extension: str, content_type: str) -> None:
        if self._find("Default", "Extension", extension) is None:
            # Defaults conventionally precede overrides.
            el = etree.SubElement(self.root, f"{{{CT_NS}}}Default", Extension=extension,
                                  ContentType=content_type)
            overrides = self.root.findall(f"{{{CT_NS}}}Override")
            if overrides:
                overrides[0].addprevious(el)
            self.package.touch(self.PART)

    def drop_default_if_unused(self, extension: str) -> None:
        el = self._find("Default", "Extension", extension)
        suffix = "." + extension.lower()
        if el is not None and not any(p.lower().endswith(suffix) for p in self.package.parts()):
            self.root.remove(el)
            self.package.touch(self.PART)


# --------------------------------------------------------------------------------------------
# The workbook


@dataclass
class _Sheet:
    name: str
    element: etree._Element
    part: str | None  # None for chart sheets and anything that is not a worksheet
    rel: etree._Element | None


class _Book:
    """workbook.xml, its relationships and content types: enough to find and add sheets."""

    def __init__(self, package: _Package):
        self.package = package
        self.types = _ContentTypes(package)
        self.part = self._workbook_part()
        self.root = package.xml(self.part)
        if etree.QName(self.root).namespace != MAIN:
            raise WriteError(f"{package.path.name} 使用了不支持的 Strict Open XML 格式，请另存为普通 .xlsx")
        self.rels = _Rels(package, self.part)
        self.sheets_el = self._child("sheets")
        self._styles: str | None = None

    def _workbook_part(self) -> str:
        root_rels = _Rels(self.package, "")
        for rel in root_rels.of_type(RT_OFFICE_DOC):
            target = root_rels.target(rel)
            if target and self.package.has(target):
                return target
        if self.package.has("xl/workbook.xml"):
            return "xl/workbook.xml"
        raise WriteError(f"{self.package.path.name} 缺少 xl/workbook.xml，不是有效的 Excel 工作簿")

    def _child(self, local: str) -> etree._Element:
        el = self.root.find(f"{{{MAIN}}}{local}")
        if el is None:
            raise WriteError(f"{self.package.path.name} 的 workbook.xml 缺少 <{local}>")
        return el

    def touch(self) -> None:
        self.package.touch(self.part)

    @property
    def sheets(self) -> list[_Sheet]:
        out = []
        for el in self.sheets_el.findall(f"{{{MAIN}}}sheet"):
            rel = self.rels.get(el.get(f"{{{REL}}}id"))
            part = None
            if rel is not None and rel.get("Type") == RT_WORKSHEET:
                target = self.rels.target(rel)
                part = target if target and self.package.has(target) else None
            out.append(_Sheet(el.get("name", ""), el, part, rel))
        return out

    def worksheet(self, name: str) -> _Sheet | None:
        sheets = [s for s in self.sheets if s.part is not None]
        exact = next((s for s in sheets if s.name == name), None)
        # Excel treats sheet names case-insensitively.
        return exact or next((s for s in sheets if s.name.casefold() == name.casefold()), None)

    def styles_part(self) -> str:
        """styles.xml, created if the workbook has none (Excel, WPS and openpyxl always write one)."""
        if self._styles is None:
            for rel in self.rels.of_type(RT_STYLES):
                target = self.rels.target(rel)
                if target and self.package.has(target):
                    self._styles = target
                    break
            else:
                self._styles = posixpath.join(posixpath.dirname(self.part), "styles.xml")
                self.package.put_xml(self._styles, _new_root("styleSheet", MAIN))
                self.rels.add(RT_STYLES, self._styles)
                self.types.add_override(self._styles, CT_STYLES)
        return self._styles

    def strings_part(self) -> tuple[str, etree._Element] | tuple[None, None]:
        """The shared-strings part and its relationship, when the workbook has one."""
        for rel in self.rels.of_type(RT_SHARED_STRINGS):
            target = self.rels.target(rel)
            if target and self.package.has(target):
                return target, rel
        return None, None

    def shared_string(self, index: int) -> str:
        part, _ = self.strings_part()
        if part is not None:
            items = self.package.xml(part).findall(f"{{{MAIN}}}si")
            if 0 <= index < len(items):
                return _text_of(items[index])
        return ""

    def shift_sheet_indices(self, at: int, delta: int) -> None:
        """Keep index-based references right after inserting (+1) or removing (-1) sheet ``at``."""
        for name in self.root.iterfind(f"{{{MAIN}}}definedNames/{{{MAIN}}}definedName"):
            local = name.get("localSheetId")
            if local is None or not local.isdigit():
                continue
            index = int(local)
            if delta < 0 and index == at:
                _detach(name)  # a name local to a sheet that is gone
            elif index > at or (delta > 0 and index == at):
                name.set("localSheetId", str(index + delta))
        for view in self.root.iterfind(f"{{{MAIN}}}bookViews/{{{MAIN}}}workbookView"):
            active = int(view.get("activeTab", "0"))
            if active > at or (delta > 0 and active == at):
                view.set("activeTab", str(active + delta))
            first = view.get("firstSheet")
            # firstSheet 0 stays 0: the tab strip should start with our sheet, not hide it.
            if first is not None and first.isdigit() and int(first) > at:
                view.set("firstSheet", str(int(first) + delta))
        self.touch()


def _text_of(el: etree._Element) -> str:
    """Concatenated <t> text of a string item (plain or rich text)."""
    return "".join(t.text or "" for t in el.iter(f"{{{MAIN}}}t"))


def _new_root(local: str, namespace: str) -> etree._Element:
    return etree.fromstring(f'<{local} xmlns="{namespace}"/>')


def _detach(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)


def _local(el: etree._Element) -> str:
    tag = el.tag
    # "{namespace}name" or "name", as QName(el).localname reads it, without building a QName
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _order_name(el: etree._Element) -> str:
    """The schema slot of a child; mc:AlternateContent occupies the slot of what it wraps."""
    if el.tag == f"{{{MC}}}AlternateContent":
        for choice in el:
            for inner in choice:
                if isinstance(inner.tag, str):
                    return _local(inner)
    return _local(el)


def _insert_ordered(parent: etree._Element, child: etree._Element, order: tuple[str, ...]) -> None:
    """Move ``child`` (already under ``parent``) to its place in the schema's child order."""
    rank = order.index(_local(child))
    for sibling in parent:
        if sibling is child or not isinstance(sibling.tag, str):
            continue
        name = _order_name(sibling)
        if name in order and order.index(name) > rank:
            sibling.addprevious(child)
            return
    parent.append(child)


def _sub(parent: etree._Element, local: str, order: tuple[str, ...] | None = None, **attrib: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{MAIN}}}{local}", attrib)
    if order is not None:
        _insert_ordered(parent, el, order)
    return el


def _set_rid(el: etree._Element, rid: str) -> None:
    # Declare r: locally when the part has not (openpyxl declares it per element).
    parent = el.getparent()
    if REL not in el.nsmap.values() and parent is not None:
        fresh = etree.SubElement(parent, el.tag, nsmap={"r": REL})
        for key, value in el.attrib.items():
            fresh.set(key, value)
        el.addprevious(fresh)
        parent.remove(el)
        el = fresh
    el.set(f"{{{REL}}}id", rid)


def _new_part_name(package: _Package, pattern: str) -> str:
    number = 1
    while package.has(pattern.format(number)):
        number += 1
    return pattern.format(number)


# --------------------------------------------------------------------------------------------
# Cell references


def _merged_ranges(sheet_root: etree._Element) -> list[tuple[int, int, int, int]]:
    # Report templates merge hundreds of ranges; one regex per range keeps this well under 1 ms.
    out = []
    for merge in sheet_root.iterfind(f"{{{MAIN}}}mergeCells/{{{MAIN}}}mergeCell"):
        found = _merged_range(merge.get("ref", ""))
        if found is not None:
            out.append(found)
    return out


@functools.lru_cache(maxsize=4096)
def _merged_range(ref: str) -> tuple[int, int, int, int] | None:
    """``"C24:D24"`` -> (24, 3, 24, 4), one-based; remembered, as the template's ranges come back in
    every report annotated."""
    match = _RANGE_RE.match(ref)
    if match is None:
        return None
    c1, r1, c2, r2 = match.groups()
    return int(r1), column_index(c1) + 1, int(r2), column_index(c2) + 1


#: rows from which a merged range is not indexed row by row
_TALL = 64


def _placed(sheet_root: etree._Element, marks: list[CellMark]) -> list[PlacedMark]:
    merged = _merged_ranges(sheet_root)
    # the ranges by row, in the file's order, so a mark is tried against its row's few (a report
    # merges hundreds of ranges, most of one or two rows); a range of many rows is tried everywhere
    tall = [m for m in merged if m[2] - m[0] >= _TALL]
    by_row: dict[int, list[tuple[int, int, int, int]]] = {}
    for m in merged:
        if m[2] - m[0] < _TALL:
            for row in range(m[0], m[2] + 1):
                by_row.setdefault(row, []).append(m)
    order = {m: n for n, m in enumerate(merged)} if tall else {}

    def anchor(ref: str) -> tuple[int, int] | None:
        cell = parse_cell(ref)
        if cell is None:
            return None
        row, col = cell
        candidates = by_row.get(row, [])
        if tall:
            candidates = sorted([*candidates, *tall], key=order.__getitem__)
        for r1, c1, r2, c2 in candidates:  # the first in the file covering the cell, as before
            if r1 <= row <= r2 and c1 <= col <= c2:
                return r1, c1
        return row, col

    return place(marks, anchor)


def _group_by_sheet(book: _Book, marks: list[CellMark]) -> Iterator[tuple[_Sheet, list[CellMark]]]:
    grouped: dict[str, list[CellMark]] = {}
    for mark in marks:
        grouped.setdefault(mark.sheet, []).append(mark)
    for name, sheet_marks in grouped.items():
        sheet = book.worksheet(name)
        if sheet is not None:  # a finding about a sheet the workbook lacks marks nothing
            yield sheet, sheet_marks


# --------------------------------------------------------------------------------------------
# Removing an earlier run's marks


def _remove_marks(book: _Book) -> None:
    _remove_summary(book)
    _drop_unused_xfs(book)
    for sheet in book.sheets:
        if sheet.part is None:
            continue
        if b"xlcheck" in book.package.data(sheet.part):
            _remove_rules(book, sheet.part)
        _remove_notes(book, sheet.part)
    _drop_unused_dxfs(book)


def _is_our_summary(book: _Book, sheet: _Sheet) -> bool:
    if sheet.part is None or not is_summary_name(sheet.name):
        return False
    # Parsed aside, not cached: the package reads worksheets with sheet_tail().
    sheet_root = etree.fromstring(book.package.data(sheet.part), _parser())
    first = sheet_root.find(f"{{{MAIN}}}sheetData/{{{MAIN}}}row")
    if first is None or first.get("r", "1") != "1":
        return False
    cell = first.find(f"{{{MAIN}}}c")
    if cell is None or cell.get("r", "A1") != "A1":
        return False
    if cell.get("t") == "s":  # ours, or Excel's after a re-save
        value = cell.findtext(f"{{{MAIN}}}v") or ""
        text = book.shared_string(int(value)) if value.strip().isdigit() else ""
    elif cell.get("t") == "inlineStr":  # an earlier xlcheck wrote inline strings
        inline = cell.find(f"{{{MAIN}}}is")
        text = _text_of(inline) if inline is not None else ""
    else:
        text = cell.findtext(f"{{{MAIN}}}v") or ""
    return text.startswith(SUMMARY_MARKER)


def _remove_summary(book: _Book) -> None:
    for index, sheet in reversed(list(enumerate(book.sheets))):
        if not _is_our_summary(book, sheet):
            continue
        assert sheet.part is not None and sheet.rel is not None
        _app_titles(book, sheet.name, add=False)
        _drop_summary_strings(book, sheet.part)
        _delete_part_tree(book, sheet.part)
        book.rels.remove(sheet.rel)
        book.sheets_el.remove(sheet.element)
        book.shift_sheet_indices(index, -1)


def _drop_summary_strings(book: _Book, part: str) -> None:
    """Take the summary's shared strings out again: the items it appended at the end of the shared
    strings (every item from the lowest it uses on, and no other), the counts they added, and the
    part itself when the writer created it. Once Excel has re-saved the copy the strings are mixed
    with the person's and stay (unused strings are harmless)."""
    strings, rel = book.strings_part()
    if strings is None or rel is None:
        return
    root = etree.fromstring(book.package.data(part), _parser())
    used = [int(v) for c in root.iterfind(f"{{{MAIN}}}sheetData/{{{MAIN}}}row/{{{MAIN}}}c") if c.get("t") == "s"
            and (v := (c.findtext(f"{{{MAIN}}}v") or "").strip()).isdigit()]
    sst = book.package.xml(strings)
    items = sst.findall(f"{{{MAIN}}}si")
    if not used or set(used) != set(range(min(used), len(items))) or \
            _shared_elsewhere(book, part, min(used), len(items)):
        return
    for item in items[min(used):]:
        sst.remove(item)
    _add_counts(sst, len(used), len(items) - min(used), sign=-1)
    if rel.get("Id") == _STRINGS_RID and len(sst) == 0:  # the part the writer created
        book.package.delete(strings)
        book.types.remove_override(strings)
        book.rels.remove(rel)
    else:
        book.package.touch(strings)


def _shared_elsewhere(book: _Book, summary: str, low: int, high: int) -> bool:
    """True when a sheet other than the summary uses a shared string numbered ``low`` to ``high - 1``
    (after a re-save by Excel, which shares one item between equal texts): those items are the
    person's too."""
    # the few numbers spelled out: the regex engine looks only at shared-string cells, in C
    numbers = b"|".join(str(n).encode() for n in range(low, high))
    used = re.compile(rb"""\bt\s*=\s*["']s["'][^>]*>\s*<(?:\w+:)?v>\s*(?:%s)\s*<""" % numbers)
    for sheet in book.sheets:
        if sheet.part is not None and sheet.part != summary and used.search(book.package.data(sheet.part)):
            return True
    return False


def _add_counts(sst: etree._Element, cells: int, unique: int, sign: int = 1) -> None:
    """count (cells using a shared string) and uniqueCount (items), where the part states them."""
    for name, delta in (("count", cells), ("uniqueCount", unique)):
        value = sst.get(name)
        if value is not None and value.strip().isdigit():
            sst.set(name, str(max(0, int(value) + sign * delta)))


def _delete_part_tree(book: _Book, part: str) -> None:
    """Delete a part, its relationships and the parts only it pointed to (as Excel's 'delete sheet')."""
    rels = _Rels(book.package, part)
    for rel in list(rels):
        target = rels.target(rel)
        if target and book.package.has(target):
            book.package.delete(target)
            book.types.remove_override(target)
    book.package.delete(rels.part)
    book.package.delete(part)
    book.types.remove_override(part)


def _is_our_rule(rule: etree._Element) -> bool:
    formulas = rule.findall(f"{{{MAIN}}}formula")
    return (rule.get("type") == "expression" and len(formulas) == 1
            and (formulas[0].text or "").strip() == MARK_FORMULA)


def _all_rules(root: etree._Element) -> list[etree._Element]:
    # x14 rules in extLst share the priority sequence with the main ones.
    return [el for el in root.iter(f"{{{MAIN}}}cfRule", f"{{{X14}}}cfRule") if el.get("priority")]


def _remove_rules(book: _Book, part: str) -> None:
    root = book.package.sheet_tail(part)
    removed: list[int] = []
    for block in root.findall(f"{{{MAIN}}}conditionalFormatting"):
        for rule in block.findall(f"{{{MAIN}}}cfRule"):
            if _is_our_rule(rule):
                removed.append(int(rule.get("priority", "0")))
                block.remove(rule)
        if len(block.findall(f"{{{MAIN}}}cfRule")) == 0:
            root.remove(block)
    if not removed:
        return
    # Undo the shift made when ours were added; robust to Excel having renumbered meanwhile.
    for rule in _all_rules(root):
        priority = int(rule.get("priority", "0"))
        rule.set("priority", str(priority - sum(1 for p in removed if p < priority)))
    book.package.touch(part)


def _remove_notes(book: _Book, part: str) -> None:
    rels = _Rels(book.package, part)
    comments_rel = next(iter(rels.of_type(RT_COMMENTS)), None)
    comments_part = rels.target(comments_rel) if comments_rel is not None else None
    if comments_part is None or not book.package.has(comments_part):
        return
    if NOTE_AUTHOR.encode() not in book.package.data(comments_part):
        return
    root = book.package.xml(comments_part)
    cells = _remove_our_comments(root)
    if cells is None:
        return
    book.package.touch(comments_part)
    if root.find(f"{{{MAIN}}}commentList/{{{MAIN}}}comment") is None:
        assert comments_rel is not None
        book.package.delete(comments_part)
        book.types.remove_override(comments_part)
        rels.remove(comments_rel)
    _remove_vml_notes(book, part, rels, cells)


def _remove_our_comments(root: etree._Element) -> set[tuple[int, int]] | None:
    """Drop xlcheck's comments and its author; the (row, col) of the dropped ones, zero-based."""
    authors = root.find(f"{{{MAIN}}}authors")
    if authors is None:
        return None
    names = [a.text or "" for a in authors.findall(f"{{{MAIN}}}author")]
    if NOTE_AUTHOR not in names:
        return None
    ours = str(names.index(NOTE_AUTHOR))
    cells = set()
    for comment in root.iterfind(f"{{{MAIN}}}commentList/{{{MAIN}}}comment"):
        if comment.get("authorId") == ours:
            cell = parse_cell(comment.get("ref", ""))
            if cell:
                cells.add((cell[0] - 1, cell[1] - 1))
            _detach(comment)
    authors.remove(authors.findall(f"{{{MAIN}}}author")[int(ours)])
    for comment in root.iterfind(f"{{{MAIN}}}commentList/{{{MAIN}}}comment"):
        author = int(comment.get("authorId", "0"))
        if author > int(ours):
            comment.set("authorId", str(author - 1))
    return cells


def _remove_vml_notes(book: _Book, part: str, rels: _Rels, cells: set[tuple[int, int]]) -> None:
    vml_rel, vml_part = _legacy_drawing(book, part, rels)
    if vml_rel is None or vml_part is None:
        return
    data = book.package.data(vml_part)

    def keep(match: re.Match[bytes]) -> bytes:
        return b"" if _vml_note_cell(match.group(0)) in cells else match.group(0)

    data = _VML_SHAPE_RE.sub(keep, data)
    if _VML_ANY_SHAPE_RE.search(data):
        book.package.put(vml_part, data)
        return
    # No note or control left: the drawing goes, and with it the sheet's pointer to it.
    book.package.delete(vml_part)
    book.types.remove_override(vml_part)
    book.types.drop_default_if_unused("vml")
    rels.remove(vml_rel)
    root = book.package.sheet_tail(part)
    legacy = root.find(f"{{{MAIN}}}legacyDrawing")
    if legacy is not None:
        root.remove(legacy)
        book.package.touch(part)


def _vml_note_cell(shape: bytes) -> tuple[int, int] | None:
    if not _VML_NOTE_RE.search(shape):
        return None
    row, col = _VML_ROW_RE.search(shape), _VML_COL_RE.search(shape)
    if not row or not col:
        return None
    return int(row.group(1)), int(col.group(1))


def _legacy_drawing(book: _Book, part: str, rels: _Rels) -> tuple[etree._Element | None, str | None]:
    legacy = book.package.sheet_tail(part).find(f"{{{MAIN}}}legacyDrawing")
    rel = rels.get(legacy.get(f"{{{REL}}}id")) if legacy is not None else None
    target = rels.target(rel) if rel is not None else None
    if target is None or not book.package.has(target):
        return None, None
    return rel, target


def _drop_unused_dxfs(book: _Book) -> None:
    """Drop trailing dxfs that are ours and no longer used, so clean restores styles.xml."""
    styles = next((book.rels.target(r) for r in book.rels.of_type(RT_STYLES)), None)
    if not styles or not book.package.has(styles) or b"<dxfs" not in book.package.data(styles):
        return
    dxfs = book.package.xml(styles).find(f"{{{MAIN}}}dxfs")
    if dxfs is None:
        return
    items = dxfs.findall(f"{{{MAIN}}}dxf")
    if not items or _our_dxf_style(items[-1]) is None:
        return
    used = {int(m) for name in book.package.parts() if name.lower().endswith(".xml")
            for m in _DXF_REF_RE.findall(book.package.data(name))}
    while items and _our_dxf_style(items[-1]) is not None and len(items) - 1 not in used:
        dxfs.remove(items.pop())
    if items:
        dxfs.set("count", str(len(items)))
    else:
        _detach(dxfs)
    book.package.touch(styles)


# --------------------------------------------------------------------------------------------
# Adding marks


def _mark_sheet(book: _Book, sheet: _Sheet, marks: list[CellMark]) -> None:
    assert sheet.part is not None
    root = book.package.sheet_tail(sheet.part)
    targets = _placed(root, marks)
    if not targets:
        return
    _add_rules(book, root, targets)
    _add_notes(book, sheet.part, targets)
    book.package.touch(sheet.part)


def _add_rules(book: _Book, root: etree._Element, targets: list[PlacedMark]) -> None:
    by_style: dict[MarkStyle, list[str]] = {}
    for target in targets:
        by_style.setdefault(target.style, []).append(target.ref)
    ordered = sorted(by_style, key=lambda s: -s.rank)
    # Ours get priorities 1..n so they win over the person's own rules, which move up by n.
    for rule in _all_rules(root):
        rule.set("priority", str(int(rule.get("priority", "0")) + len(ordered)))
    for priority, (style, dxf_id) in enumerate(zip(ordered, _dxf_ids(book, ordered), strict=True), 1):
        block = _sub(root, "conditionalFormatting", WORKSHEET_ORDER,
                     sqref=" ".join(by_style[style]))
        rule = _sub(block, "cfRule", type="expression", dxfId=str(dxf_id), priority=str(priority))
        _sub(rule, "formula").text = MARK_FORMULA


def _our_dxf_style(dxf: etree._Element) -> MarkStyle | None:
    """The mark style a dxf draws, if it is exactly one of ours."""
    children = [el for el in dxf if isinstance(el.tag, str)]
    if [_local(el) for el in children] != ["font", "fill"]:
        return None
    font, fill = children
    colours = [el for el in font if isinstance(el.tag, str)]
    pattern = [el for el in fill if isinstance(el.tag, str)]
    if len(colours) != 1 or _local(colours[0]) != "color" or len(pattern) != 1:
        return None
    bg = [el for el in pattern[0] if isinstance(el.tag, str)]
    if len(bg) != 1 or _local(bg[0]) != "bgColor":
        return None
    key = ((colours[0].get("rgb") or "").upper(), (bg[0].get("rgb") or "").upper())
    return next((s for s in STYLES if (s.font, s.fill) == key), None)


def _dxf_ids(book: _Book, styles: list[MarkStyle]) -> list[int]:
    """The index in styles.xml of the first dxf drawing each of ``styles``, appended where there is
    none; the person's dxfs are looked at once for all of them."""
    part = book.styles_part()
    root = book.package.xml(part)
    dxfs = root.find(f"{{{MAIN}}}dxfs")
    if dxfs is None:
        dxfs = _sub(root, "dxfs", STYLESHEET_ORDER)
    count = 0
    drawn: dict[MarkStyle, int] = {}
    for count, dxf in enumerate(dxfs.iterfind(f"{{{MAIN}}}dxf"), 1):
        style = _our_dxf_style(dxf)
        if style is not None:
            drawn.setdefault(style, count - 1)
    out = []
    for style in styles:
        if style not in drawn:
            dxf = _sub(dxfs, "dxf")
            _sub(_sub(dxf, "font"), "color", rgb=style.font)
            _sub(_sub(_sub(dxf, "fill"), "patternFill"), "bgColor", rgb=style.fill)
            drawn[style] = count
            count += 1
            dxfs.set("count", str(count))
            book.package.touch(part)
        out.append(drawn[style])
    return out


def _note_text(note: str) -> str:
    """A note as the text of a <t>, escaped so that parsing gives it back (a carriage return too,
    which a parser would read as a line feed)."""
    return escape(_CONTROL_RE.sub("", note)).replace("\r", "&#13;")


def _add_notes(book: _Book, part: str, targets: list[PlacedMark]) -> None:
    rels = _Rels(book.package, part)
    found = _comments_of(book, rels)
    if found is None:
        # a sheet without notes (most): its comments part written out as text in one go, what
        # building the tree and serialising it gave (test_writer_package compares the two)
        comments_part = _new_comments_part(book, rels)
        book.package.put(comments_part, _comments_document(targets))
        _add_vml_notes(book, part, rels, targets)
        return
    comments_part, root = found
    taken = {c.get("ref", "").upper() for c in root.iterfind(f"{{{MAIN}}}commentList/{{{MAIN}}}comment")}
    # A person's own note on a cell wins; the fill and the summary sheet still show ours.
    fresh = [t for t in targets if t.ref not in taken]
    if not fresh:
        return
    _add_comments(root, fresh)
    book.package.touch(comments_part)
    _add_vml_notes(book, part, rels, fresh)


def _add_comments(root: etree._Element, fresh: list[PlacedMark]) -> None:
    """Add the notes of ``fresh`` to a parsed comments part, under xlcheck's author."""
    authors = root.find(f"{{{MAIN}}}authors")
    if authors is None:
        authors = etree.SubElement(root, f"{{{MAIN}}}authors")
        root.insert(0, authors)
    names = [a.text for a in authors.findall(f"{{{MAIN}}}author")]
    if NOTE_AUTHOR not in names:
        _sub(authors, "author").text = NOTE_AUTHOR
        names.append(NOTE_AUTHOR)
    author_id = str(names.index(NOTE_AUTHOR))
    comment_list = root.find(f"{{{MAIN}}}commentList")
    if comment_list is None:
        comment_list = _sub(root, "commentList")
        authors.addnext(comment_list)
    # written as text and parsed in one go (building them node by node cost more than all the rest
    # of the notes); they take the part's own prefix for the namespace, as added nodes do
    parsed = etree.fromstring(f'<comments xmlns="{MAIN}">' + _comment_items(fresh, author_id) + "</comments>")
    comment_list.extend(list(parsed))


def _comment_items(targets: list[PlacedMark], author_id: str) -> str:
    # a reference is letters and digits, quoted as it is; the cells of one finding share a note, each
    # distinct one escaped once
    texts: dict[str, str] = {}
    return "".join(
        f'<comment ref="{target.ref}" authorId="{author_id}" shapeId="0"><text><t xml:space="preserve">'
        f'{texts.get(target.note) or texts.setdefault(target.note, _note_text(target.note))}</t></text></comment>'
        for target in targets)


def _comments_document(targets: list[PlacedMark]) -> bytes:
    """A new comments part holding the notes of ``targets``, byte for byte what :func:`_add_comments`
    gives on an empty part serialised (lxml writes the text of a <t> as :func:`_note_text` escapes
    it, an empty one short, and a cell reference needs no quoting)."""
    items = _comment_items(targets, "0").replace(_EMPTY_T, _EMPTY_T_SHORT)
    return XML_DECL + (f'<comments xmlns="{MAIN}"><authors><author>{escape(NOTE_AUTHOR)}</author></authors>'
                       f"<commentList>{items}</commentList></comments>").encode()


# lxml writes an empty element short; in the items' text nothing else can read "></t>" (a '>' of text
# is escaped)
_EMPTY_T = '<t xml:space="preserve"></t>'
_EMPTY_T_SHORT = '<t xml:space="preserve"/>'


def _comments_of(book: _Book, rels: _Rels) -> tuple[str, etree._Element] | None:
    """The sheet's comments part and its parsed root, when it has one."""
    for rel in rels.of_type(RT_COMMENTS):
        target = rels.target(rel)
        if target and book.package.has(target):
            return target, book.package.xml(target)
    return None


def _new_comments_part(book: _Book, rels: _Rels) -> str:
    """The name of a new comments part for the sheet, related and typed (its content is put later)."""
    comments_part = _new_part_name(book.package, "xl/comments{}.xml")
    book.package.put(comments_part, b"")
    rels.add(RT_COMMENTS, comments_part)
    book.types.add_override(comments_part, CT_COMMENTS)
    return comments_part


def _add_vml_notes(book: _Book, part: str, rels: _Rels, targets: list[PlacedMark]) -> None:
    _, vml_part = _legacy_drawing(book, part, rels)
    if vml_part is not None:
        # Merge into the person's drawing; our shapes declare their own prefixes since theirs
        # may be bound differently (openpyxl writes ns0:, ns1:).
        data = book.package.data(vml_part)
        shapes = b""
        if b"_x0000_t202" not in data:
            shapes += _VML_SHAPETYPE % _VML_NS
        own = _VML_IDMAP_RE.search(data)
        if own is not None:
            ids, added = _shape_ids(book.package, len(targets), data)
            if added:  # claim the extra blocks in the drawing's own o:idmap
                blocks = own.group(1).decode().strip()
                listed = ",".join([blocks, *map(str, added)] if blocks else map(str, added))
                data = data[:own.start(1)] + listed.encode() + data[own.end(1):]
        else:  # a drawing without o:idmap: continue after its highest id
            first = max((int(i) for i in _VML_SHAPE_ID_RE.findall(data)), default=1024) + 1
            ids = list(range(first, first + len(targets)))
        shapes += _vml_shapes(targets, ids, _VML_NS)
        end = data.rfind(b"</xml>")
        end = end if end >= 0 else data.rfind(b"</")
        book.package.put(vml_part, data[:end] + shapes + data[end:])
        return
    vml_part = _new_part_name(book.package, "xl/drawings/vmlDrawing{}.vml")
    ids, blocks = _shape_ids(book.package, len(targets), None)
    shapes = _vml_shapes(targets, ids, b"")
    book.package.put(vml_part, _vml_document(blocks, shapes))
    book.types.ensure_default("vml", CT_VML)
    rid = rels.add(RT_VML, vml_part)
    root = book.package.sheet_tail(part)
    legacy = root.find(f"{{{MAIN}}}legacyDrawing")
    if legacy is None:
        legacy = _sub(root, "legacyDrawing", WORKSHEET_ORDER)
    _set_rid(legacy, rid)


#: shape ids a VML drawing may use per o:idmap block: block b holds ids b*1024+1 .. b*1024+1023
_BLOCK = 1024


def _shape_ids(package: _Package, count: int, own: bytes | None) -> tuple[list[int], list[int]]:
    """``count`` shape ids for new notes and the o:idmap blocks to claim for them: free ids in the
    drawing's own blocks first (``own``: its bytes), then as many blocks no drawing in the workbook
    uses as the rest need (a sheet with more than 1023 notes needs several)."""
    used: set[int] = set()
    for name in package.parts():
        if name.lower().endswith(".vml"):
            for match in _VML_IDMAP_RE.findall(package.data(name)):
                used.update(int(n) for n in re.findall(rb"\d+", match))
    ids: list[int] = []
    if own is not None:
        taken = {int(i) for i in _VML_SHAPE_ID_RE.findall(own)}
        own_blocks = sorted({int(n) for m in _VML_IDMAP_RE.findall(own) for n in re.findall(rb"\d+", m)})
        for block in own_blocks:
            for shape_id in range(block * _BLOCK + 1, (block + 1) * _BLOCK):
                if len(ids) == count:
                    return ids, []
                if shape_id not in taken:
                    ids.append(shape_id)
    added: list[int] = []
    block = 1
    while len(ids) < count:
        while block in used:
            block += 1
        used.add(block)
        added.append(block)
        ids.extend(range(block * _BLOCK + 1, (block + 1) * _BLOCK)[: count - len(ids)])
    return ids, added


def _vml_document(blocks: list[int], shapes: bytes) -> bytes:
    return (b"<xml " + _VML_NS + b"><o:shapelayout v:ext=\"edit\"><o:idmap v:ext=\"edit\" data=\""
            + ",".join(map(str, blocks)).encode() + b"\"/></o:shapelayout>" + _VML_SHAPETYPE % b"" + shapes
            + b"</xml>")


def _vml_shapes(targets: list[PlacedMark], ids: list[int], ns: bytes) -> bytes:
    """The note boxes of ``targets`` with their shape ids, as text encoded once."""
    space = ns.decode() + " " if ns else ""
    return "".join(_vml_shape(t, shape_id, space) for shape_id, t in zip(ids, targets, strict=True)).encode()


def _vml_shape(target: PlacedMark, shape_id: int, space: str) -> str:
    """One hidden note box, the minimal form Excel and LibreOffice accept (as Excel writes it);
    ``space``: the namespace declarations it carries, followed by a space, or nothing."""
    row, col = target.row - 1, target.col - 1
    lines = target.note.count("\n") + 1
    height = min(3 + 2 * lines, 16)
    top = max(row - 1, 0)
    return (
        f'<v:shape {space}id="_x0000_s{shape_id}" type="#_x0000_t202" '
        f'style="position:absolute;margin-left:60pt;margin-top:2pt;width:240pt;'
        f'height:{height * 15}pt;z-index:{shape_id % 1024};visibility:hidden" '
        'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
        '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
        '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
        '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        f"<x:Anchor>{col + 1}, 15, {top}, 10, {col + 5}, 15, {top + height}, 4</x:Anchor><x:AutoFill>False</x:AutoFill>"
        f"<x:Row>{row}</x:Row><x:Column>{col}</x:Column></x:ClientData></v:shape>"
    )


# --------------------------------------------------------------------------------------------
# The summary sheet


def _insert_summary(book: _Book, report: Report, file_name: str) -> None:
    sheets = book.sheets
    name = free_summary_name({s.name.casefold() for s in sheets})
    part = _new_part_name(book.package, "xl/worksheets/sheet{}.xml")
    link_names = {s.name: s.name for s in sheets if s.part is not None}
    link_names.update({s.name.casefold(): s.name for s in sheets if s.part is not None})
    existing, _ = book.strings_part()
    strings = _Strings(len(book.package.xml(existing).findall(f"{{{MAIN}}}si")) if existing is not None else 0)
    book.package.put(part, _summary_xml(report, file_name, link_names, strings, _wrap_xf(book)))
    _append_strings(book, strings)
    _app_titles(book, name, add=True)
    book.types.add_override(part, CT_WORKSHEET)
    rid = book.rels.add(RT_WORKSHEET, part)
    sheet_id = max((int(s.element.get("sheetId", "0")) for s in sheets), default=0) + 1
    element = _sub(book.sheets_el, "sheet", name=name, sheetId=str(sheet_id))
    book.sheets_el.insert(0, element)
    _set_rid(element, rid)
    _ensure_book_view(book)
    book.shift_sheet_indices(0, +1)


#: the relationship id of a shared-strings part the writer created (clean deletes such a part)
_STRINGS_RID = "xlcheckStrings"


class _Strings:
    """The summary's text as shared-string items, as Excel writes a sheet's text: each distinct text
    once, numbered from where the workbook's own items end. They are never merged with the
    person's items, so clean can take exactly these away again."""

    def __init__(self, base: int) -> None:
        #: item (its XML) -> its number among the summary's
        self.items: dict[str, int] = {}
        #: cells using them (the part's count attribute counts cells)
        self.cells = 0
        self.base = base

    def index(self, item: str) -> int:
        self.cells += 1
        return self.base + self.items.setdefault(item, len(self.items))


def _append_strings(book: _Book, strings: _Strings) -> None:
    if not strings.items:
        return
    part, _ = book.strings_part()
    if part is None:
        part = posixpath.join(posixpath.dirname(book.part), "sharedStrings.xml")
        if book.package.has(part):  # a stray part no relationship points to: left alone
            part = _new_part_name(book.package, posixpath.join(posixpath.dirname(book.part), "sharedStrings{}.xml"))
        book.package.put(part, b"")
        book.rels.add(RT_SHARED_STRINGS, part, rid=_STRINGS_RID)
        book.types.add_override(part, CT_SHARED_STRINGS)
        # the summary's own part (a workbook without text, as WPS writes one): written out as text,
        # what building the tree and serialising it gave (test_writer_package compares the two)
        book.package.put(part, _strings_document(strings))
        return
    sst = book.package.xml(part)
    _add_strings(sst, strings)
    book.package.touch(part)


def _add_strings(sst: etree._Element, strings: _Strings) -> None:
    # parsed in one go; each item declares the namespace, as one parsed alone did, so each lands in
    # the part as before
    parsed = etree.fromstring(f'<sst xmlns="{MAIN}">'
                              + "".join(f'<si xmlns="{MAIN}">{item}</si>' for item in strings.items) + "</sst>")
    sst.extend(list(parsed))
    _add_counts(sst, strings.cells, len(strings.items))


def _strings_document(strings: _Strings) -> bytes:
    """A new shared-strings part holding the summary's items, byte for byte what :func:`_add_strings`
    gives on an empty part serialised: lxml writes the items as :func:`_text_cell` escapes them, but
    a parser reads a carriage return in text as a line feed, and an empty text is written short."""
    items = "".join(f"<si>{item}</si>" for item in strings.items).replace(_EMPTY_T, _EMPTY_T_SHORT)
    if "\r" in items:
        items = items.replace("\r\n", "\n").replace("\r", "\n")
    return XML_DECL + (f'<sst xmlns="{MAIN}" count="{strings.cells}" uniqueCount="{len(strings.items)}">'
                       f"{items}</sst>").encode()


def _ensure_book_view(book: _Book) -> None:
    """Without a workbookView the first sheet would open; keep the user's sheet the active one."""
    views = book.root.find(f"{{{MAIN}}}bookViews")
    if views is None:
        views = _sub(book.root, "bookViews", WORKBOOK_ORDER)
    if views.find(f"{{{MAIN}}}workbookView") is None:
        _sub(views, "workbookView")


_EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_WORKSHEETS = ("Worksheets", "工作表")


def _app_titles(book: _Book, name: str, *, add: bool) -> None:
    """List the summary sheet in docProps/app.xml (TitlesOfParts, and the worksheet count of
    HeadingPairs) where the file lists its sheets, as Excel does; ``add=False`` takes it out again,
    leaving the part as it was."""
    app = book.package.name("docProps/app.xml")
    if app is None:
        return
    root = book.package.xml(app)
    if etree.QName(root).namespace != _EXTENDED:
        return
    titles = root.find(f"{{{_EXTENDED}}}TitlesOfParts/{{{_VT}}}vector")
    pairs = root.find(f"{{{_EXTENDED}}}HeadingPairs/{{{_VT}}}vector")
    if titles is None or pairs is None:  # a minimal app.xml (openpyxl's) lists no sheet at all
        return
    listed = titles.findall(f"{{{_VT}}}lpstr")
    present = [el for el in listed if el.text == name]
    if add == bool(present):
        return
    if add:
        el = etree.Element(f"{{{_VT}}}lpstr")
        el.text = name
        titles.insert(0, el)  # worksheets come first, and the summary is the first sheet
    else:
        titles.remove(present[0])
    titles.set("size", str(len(titles.findall(f"{{{_VT}}}lpstr"))))
    variants = pairs.findall(f"{{{_VT}}}variant")
    for label, count in zip(variants[::2], variants[1::2], strict=False):
        text = label.find(f"{{{_VT}}}lpstr")
        number = count.find(f"{{{_VT}}}i4")
        if text is not None and text.text in _WORKSHEETS and number is not None and (number.text or "").isdigit():
            number.text = str(max(0, int(number.text or "0") + (1 if add else -1)))
            break
    book.package.touch(app)


#: the summary's message cells: the workbook's default format, wrapped (as the button sets them)
_WRAP_ATTRIBUTES = {"numFmtId": "0", "fontId": "0", "fillId": "0", "borderId": "0", "xfId": "0",
                    "applyAlignment": "1"}
_WRAP_ALIGNMENT = {"wrapText": "1"}
_MESSAGE_COLUMN = SUMMARY_HEADER.index("说明") + 1
_STYLE_REF_RE = re.compile(rb'\s(?:s|style)="(\d+)"')


def _is_our_xf(xf: etree._Element) -> bool:
    children = [el for el in xf if isinstance(el.tag, str)]
    return (_attributes(xf) == _WRAP_ATTRIBUTES and len(children) == 1
            and children[0].tag == f"{{{MAIN}}}alignment" and _attributes(children[0]) == _WRAP_ALIGNMENT)


def _attributes(el: etree._Element) -> dict[str, str]:
    return {str(k): str(v) for k, v in el.attrib.items()}


def _cell_xfs(book: _Book) -> tuple[str, etree._Element] | None:
    """styles.xml and its cellXfs, when the workbook has them with a default format (every writer
    does); without one, an added format would become the default of every cell, so none is added."""
    styles = next((book.rels.target(r) for r in book.rels.of_type(RT_STYLES)), None)
    if not styles or not book.package.has(styles):
        return None
    # the bytes tell a part without cellXfs before it is parsed; a part changed since (the marks' dxfs
    # were added) is not serialised to be told: the word is in its text exactly when the tree has it
    if not book.package.changed(styles) and b"cellXfs" not in book.package.data(styles):
        return None
    xfs = book.package.xml(styles).find(f"{{{MAIN}}}cellXfs")
    if xfs is None or xfs.find(f"{{{MAIN}}}xf") is None:
        return None
    return styles, xfs


def _wrap_xf(book: _Book) -> int | None:
    """The index of the wrapping cell format for the summary's messages, appended to cellXfs (last,
    so that clean can take it away again and leave styles.xml as it was)."""
    found = _cell_xfs(book)
    if found is None:
        return None
    styles, xfs = found
    items = xfs.findall(f"{{{MAIN}}}xf")
    if _is_our_xf(items[-1]):
        return len(items) - 1
    xf = etree.SubElement(xfs, f"{{{MAIN}}}xf", _WRAP_ATTRIBUTES)
    etree.SubElement(xf, f"{{{MAIN}}}alignment", _WRAP_ALIGNMENT)
    if xfs.get("count") is not None:
        xfs.set("count", str(len(items) + 1))
    book.package.touch(styles)
    return len(items)


def _drop_unused_xfs(book: _Book) -> None:
    """Drop the trailing wrapping format when no cell, row or column uses it any more."""
    found = _cell_xfs(book)
    if found is None:
        return
    styles, xfs = found
    items = xfs.findall(f"{{{MAIN}}}xf")
    if len(items) < 2 or not _is_our_xf(items[-1]):
        return
    used = {int(m) for name in book.package.parts() if name.lower().endswith(".xml") and name != styles
            for m in _STYLE_REF_RE.findall(book.package.data(name))}
    while len(items) > 1 and _is_our_xf(items[-1]) and len(items) - 1 not in used:
        xfs.remove(items.pop())
    if xfs.get("count") is not None:
        xfs.set("count", str(len(items)))
    book.package.touch(styles)


def _summary_xml(report: Report, file_name: str, sheet_names: dict[str, str], strings: _Strings,
                 wrap: int | None = None) -> bytes:
    rows = summary_rows(report.findings)
    red = FONT[Severity.ERROR]
    head = [
        _row(1, [_text_cell(strings, "A1", f"{SUMMARY_MARKER}：{file_name}", bold=True)]),
        _row(2, [_text_cell(strings, "A2", verdict(report), bold=True, colour=None if report.ok else red)]),
        _row(3, [_text_cell(strings, "A3", describe(report))]),
        _row(5, [_text_cell(strings, address(5, i), str(v), bold=True) for i, v in enumerate(SUMMARY_HEADER, 1)]),
    ]
    body, links = [], []
    for index, row in enumerate(rows, 6):
        link = _link_location(row.link, sheet_names)
        cells = []
        for col, value in enumerate(row.values, 1):
            ref = address(index, col)
            linked = link is not None and col == len(SUMMARY_HEADER)
            cell = _value_cell(strings, ref, value, linked)
            if wrap is not None and col == _MESSAGE_COLUMN:
                cell = cell.replace(f'<c r="{ref}"', f'<c r="{ref}" s="{wrap}"', 1)  # Excel's order: r, s, t
            cells.append(cell)
            if linked:
                links.append(f'<hyperlink ref="{ref}" location={quoteattr(str(link))} '
                             f"display={quoteattr(_clean(str(value)))}/>")
        lines = summary_lines(row.message) if wrap is not None else 1
        # a file's rows keep the height they are given: a wrapped message gets the lines it needs
        body.append(_row(index, cells) if lines == 1 else
                    _row(index, cells).replace(f'<row r="{index}"', f'<row r="{index}" ht="{16 * lines}" '
                                               'customHeight="1"', 1))
    last = 5 + len(rows)
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                   for i, w in enumerate(SUMMARY_WIDTHS, 1))
    tab = red if not report.ok else (FONT[Severity.WARNING] if report.findings else "FF00B050")
    xml = (
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
        f'<sheetPr><tabColor rgb="{tab}"/><pageSetUpPr fitToPage="1"/></sheetPr><dimension ref="A1:E{last}"/>'
        '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"<cols>{cols}</cols><sheetData>{''.join(head + body)}</sheetData>"
        + (f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "")
        + '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        # A4 landscape, as wide as one page, as long as it takes
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        "</worksheet>"
    )
    return XML_DECL + xml.encode("utf-8")


def _link_location(link: tuple[str, str] | None, sheet_names: dict[str, str]) -> str | None:
    if link is None:
        return None
    sheet = sheet_names.get(link[0]) or sheet_names.get(link[0].casefold())
    if sheet is None or parse_cell(link[1]) is None:
        return None
    return link_location(sheet, link[1])


def _clean(text: str) -> str:
    return _CONTROL_RE.sub("", text)


def _row(number: int, cells: Iterable[str]) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def _value_cell(strings: _Strings, ref: str, value: object, linked: bool) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if linked:
        return _text_cell(strings, ref, str(value), colour=_LINK_COLOUR, underline=True)
    return _text_cell(strings, ref, str(value))


def _text_cell(strings: _Strings, ref: str, text: str, *, bold: bool = False, colour: str | None = None,
               underline: bool = False) -> str:
    """A shared string; bold and colour go in the item's run so styles.xml stays untouched."""
    props = ("<b/>" if bold else "") + ("<u/>" if underline else "")
    props += f'<color rgb="{colour}"/>' if colour else ""
    body = f'<t xml:space="preserve">{escape(_clean(text))}</t>'
    if props:
        body = f"<r><rPr>{props}</rPr>{body}</r>"
    return f'<c r="{ref}" t="s"><v>{strings.index(body)}</v></c>'
