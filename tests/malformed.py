"""Build the corpus of malformed, hostile and unusual input files into a folder.

Nothing here is downloaded and nothing binary is committed: every file is made by this script, most
from scratch (zip packages, an OLE2 compound file, a BIFF8 .xls, an .ods) and the report-shaped ones
from :mod:`corpus`. Run ``python tests/malformed.py DIR`` to look at them.

* :func:`build_bad` writes the files xlcheck must refuse, one line of reason each (exit code 3), and
  returns ``{file name: a word the reason must contain}``;
* :func:`build_legacy` writes reports in the other formats xlcheck reads (.xls, .ods, an .xlsx saved
  as .xls and the other way round), returning their paths;
* :func:`xls_bytes` / :func:`ods_bytes` turn a grid of values into such a file.
"""

from __future__ import annotations

import io
import os
import struct
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

sys.path.insert(0, str(Path(__file__).parent))

import corpus

Grid = Sequence[Sequence[object]]
Merge = tuple[int, int, int, int]  # first row, first col, last row, last col; zero-based

# --------------------------------------------------------------------------------------------------
# Minimal OOXML packages, written member by member


CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
      'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
      'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
      '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
      'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
      'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships"><sheets><sheet name="年报" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
                 'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                 'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/'
                 'sheet1.xml"/></Relationships>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
              'spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = "</sheetData></worksheet>"


def _package(path: Path, sheet: bytes | str, extra: dict[str, bytes] | None = None) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CT)
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)


def _package_at(path: Path, sheet: bytes | str, part: str, target: str | None = None,
                members: dict[str, bytes | str] | None = None) -> None:
    """A one-sheet package whose sheet lives at ``part``, named by the workbook's relationship
    ``target`` (default: the part, relative to xl/)."""
    rels = WORKBOOK_RELS.replace('Target="worksheets/sheet1.xml"', f'Target="{target or part[3:]}"')
    content_types = CT.replace("/xl/worksheets/sheet1.xml", "/" + part)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in {"[Content_Types].xml": content_types, "_rels/.rels": RELS, "xl/workbook.xml": WORKBOOK,
                           "xl/_rels/workbook.xml.rels": rels, part: sheet, **(members or {})}.items():
            zf.writestr(name, data)


def far_cell_sheets() -> dict[str, str]:
    """Sheets whose cells reach XFD1048576 in spellings a text search for ``r="`` misses."""
    far = "XFD1048576"
    return {
        "single-quotes": SHEET_HEAD + f"<row r='1'><c r='A1'><v>1</v></c></row><row r='1048576'><c r='{far}'>"
                         "<v>1</v></c></row>" + SHEET_TAIL,
        "spaces-around-equals": SHEET_HEAD + f'<row r = "1"><c r = "A1"><v>1</v></c><c r =\n"{far}"><v>1</v></c>'
                                "</row>" + SHEET_TAIL,
        "prefixed": SHEET_HEAD.replace("<worksheet xmlns=", "<x:worksheet xmlns:x=")
                    .replace("<sheetData>", "<x:sheetData>")
                    + f'<x:row><x:c r="A1"><x:v>1</x:v></x:c><x:c r="{far.lower()}"><x:v>1</x:v></x:c></x:row>'
                    "</x:sheetData></x:worksheet>",
        "character-reference": SHEET_HEAD + '<row><c r="&#88;FD1048576"><v>1</v></c></row>' + SHEET_TAIL,
        # no r attribute at all: calamine places each cell after the one before it
        "unnumbered": SHEET_HEAD + "<row>" + "<c><v>1</v></c>" * 2100 + "</row>" + "<row/>" * 2100
                      + "<row><c><v>1</v></c></row>" + SHEET_TAIL,
    }


def ods_repeat_bomb(rows: int = 4000, cols: int = 2000) -> bytes:
    """Under a kilobyte: one cell holding 1, repeated across ``rows`` x ``cols`` (8 M cells, ~500 MB in
    calamine; its own limit of 100 M cells lets through bombs of 6 GB)."""
    cell = (f'<table:table-cell table:number-columns-repeated="{cols}" office:value-type="float" '
            'office:value="1"><text:p>1</text:p></table:table-cell>')
    return ods_bytes([("表", [], [])], rows_xml=f'<table:table-row table:number-rows-repeated="{rows}">{cell}'
                                                 "</table:table-row>")


def _zeros_member(zf: zipfile.ZipFile, name: str, size: int, head: bytes = b"", tail: bytes = b"") -> None:
    """A member of ``size`` bytes, mostly spaces, streamed so the builder never holds it whole."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=size > 2**31) as out:
        out.write(head)
        chunk = b" " * (1 << 20)
        left = size - len(head) - len(tail)
        while left > 0:
            out.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
        out.write(tail)


def write_zip_bomb(path: Path, size: int = 24 * 1024 * 1024) -> None:
    """A ~25 KB .xlsx whose sheet part inflates to ``size`` bytes of whitespace (ratio ~1000)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (("[Content_Types].xml", CT), ("_rels/.rels", RELS), ("xl/workbook.xml", WORKBOOK),
                           ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)):
            zf.writestr(name, text)
        _zeros_member(zf, "xl/worksheets/sheet1.xml", size, SHEET_HEAD.encode(), SHEET_TAIL.encode())


def write_wide_bomb(path: Path, members: int = 25, size: int = 9 * 1024 * 1024) -> None:
    """Many parts, each under the ratio check's floor, together over the unpacked bound."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (("[Content_Types].xml", CT), ("_rels/.rels", RELS), ("xl/workbook.xml", WORKBOOK),
                           ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
                           ("xl/worksheets/sheet1.xml", SHEET_HEAD + SHEET_TAIL)):
            zf.writestr(name, text)
        for i in range(members):
            _zeros_member(zf, f"xl/media/padding{i}.bin", size)


def million_rows_sheet(rows: int = 1_000_000) -> bytes:
    """A sheet part with ``rows`` filled rows (~40 MB of XML, ~7x compressible: no ratio alarm)."""
    body = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, rows + 1))
    return (SHEET_HEAD + body + SHEET_TAIL).encode()


def billion_laughs_sheet() -> str:
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol0 "lol">' + entities + "]>"
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')


def corner_cells_sheet() -> str:
    """Two cells, at A1 and XFD1048576: a tiny file whose span is 17 billion cells."""
    return (SHEET_HEAD + '<row r="1"><c r="A1"><v>1</v></c></row>'
            '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + SHEET_TAIL)


# --------------------------------------------------------------------------------------------------
# OLE2 compound files (the container of .xls and of password-protected .xlsx)


_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def cfb_bytes(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file holding ``streams`` in the root storage (each padded to >= 4096 bytes,
    so no mini stream is needed)."""
    sector = 512
    names = list(streams)
    datas = [streams[n] + b"\x00" * max(0, 4096 - len(streams[n])) for n in names]
    datas = [d + b"\x00" * (-len(d) % sector) for d in datas]
    dir_entries = 1 + len(names)
    dir_sectors = -(-dir_entries * 128 // sector)
    data_sectors = sum(len(d) // sector for d in datas)
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + dir_sectors + data_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("too large for this little writer")
    fat = [_FAT] * fat_sectors
    first_dir = len(fat)
    fat += [first_dir + i + 1 for i in range(dir_sectors - 1)] + [_END]
    starts = []
    for d in datas:
        n = len(d) // sector
        start = len(fat)
        starts.append(start)
        fat += [start + i + 1 for i in range(n - 1)] + [_END]
    fat += [_FREE] * (fat_sectors * 128 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child: int = _FREE, right: int = _FREE) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le")
        return (encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", _FREE, right, child) + b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16
                + struct.pack("<IQ", start, size))

    directory = entry("Root Entry", 5, _END, 0, child=1 if names else _FREE)
    for i, (name, d) in enumerate(zip(names, datas, strict=True)):
        right = i + 2 if i + 1 < len(names) else _FREE
        directory += entry(name, 2, starts[i], len(streams[name]) if len(streams[name]) >= 4096 else len(d),
                           right=right)
    directory = directory.ljust(dir_sectors * sector, b"\x00")
    difat = list(range(fat_sectors)) + [_FREE] * (109 - fat_sectors)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<IIIIIIIII", 0, fat_sectors, first_dir, 0, 4096, _END, 0, _END, 0)
              + struct.pack("<109I", *difat))
    assert len(header) == 512
    body = b"".join(struct.pack("<128I", *fat[i * 128:(i + 1) * 128]) for i in range(fat_sectors))
    return header + body + directory + b"".join(datas)


def encrypted_xlsx_bytes() -> bytes:
    """What Excel's "Encrypt with Password" writes: a compound file with EncryptionInfo and
    EncryptedPackage streams (their content here is random-looking filler)."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<?xml version=\"1.0\"?><encryption/>"
    package = struct.pack("<Q", 5000) + bytes((i * 131) % 256 for i in range(5000))
    return cfb_bytes({"EncryptionInfo": info, "EncryptedPackage": package})


# --------------------------------------------------------------------------------------------------
# BIFF8 (.xls) and OpenDocument (.ods) from a grid of values


def _record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _xl_string(text: str, length_bytes: int) -> bytes:
    encoded = text.encode("utf-16-le")
    return struct.pack("<H" if length_bytes == 2 else "<B", len(text)) + b"\x01" + encoded


def _sheet_stream(grid: Grid, merges: Sequence[Merge]) -> bytes:
    rows = len(grid)
    cols = max((len(r) for r in grid), default=0)
    out = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 6))
    out += _record(0x0200, struct.pack("<IIHHH", 0, rows, 0, cols, 0))
    for r, cells in enumerate(grid):
        for c, value in enumerate(cells):
            if value is None or value == "":
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out += _record(0x0203, struct.pack("<HHHd", r, c, 15, float(value)))
            else:
                text = str(value)[:255]
                out += _record(0x0204, struct.pack("<HHH", r, c, 15) + _xl_string(text, 2))
    for i in range(0, len(merges), 1000):
        chunk = merges[i:i + 1000]
        out += _record(0x00E5, struct.pack("<H", len(chunk))
                       + b"".join(struct.pack("<HHHH", r1, r2, c1, c2) for r1, c1, r2, c2 in chunk))
    return out + _record(0x000A, b"")


def xls_bytes(sheets: Sequence[tuple[str, Grid, Sequence[Merge]]]) -> bytes:
    """A BIFF8 workbook (Excel 97–2003 .xls) with the sheets' values and merged ranges."""
    font = _record(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0) + _xl_string("Arial", 1))
    xf_style = _record(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    xf_cell = _record(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0x0001, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    head = (_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6))
            + _record(0x0042, struct.pack("<H", 1200))
            + font * 5 + xf_style * 15 + xf_cell)
    streams = [_sheet_stream(grid, merges) for _, grid, merges in sheets]
    bounds_len = sum(4 + 6 + 2 + 2 * len(name) for name, _, _ in sheets)
    offset = len(head) + bounds_len + 4  # + the globals' EOF
    bounds = b""
    for (name, _, _), stream in zip(sheets, streams, strict=True):
        bounds += _record(0x0085, struct.pack("<IBB", offset, 0, 0) + _xl_string(name, 1))
        offset += len(stream)
    workbook = head + bounds + _record(0x000A, b"") + b"".join(streams)
    return cfb_bytes({"Workbook": workbook})


def ods_bytes(sheets: Sequence[tuple[str, Grid, Sequence[Merge]]], rows_xml: str = "") -> bytes:
    """An OpenDocument spreadsheet with the sheets' values and merged ranges (``rows_xml`` is added to
    the first sheet's rows as it is)."""
    tables = []
    for name, grid, merges in sheets:
        spans = {(r1, c1): (r2 - r1 + 1, c2 - c1 + 1) for r1, c1, r2, c2 in merges}
        covered = {(r, c) for r1, c1, r2, c2 in merges for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        covered -= set(spans)
        rows = []
        for r, cells in enumerate(grid):
            out = []
            for c, value in enumerate(cells):
                if (r, c) in covered:
                    out.append("<table:covered-table-cell/>")
                    continue
                span = spans.get((r, c))
                attrs = (f' table:number-rows-spanned="{span[0]}" table:number-columns-spanned="{span[1]}"'
                         if span else "")
                if value is None or value == "":
                    out.append(f"<table:table-cell{attrs}/>")
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    out.append(f'<table:table-cell{attrs} office:value-type="float" office:value="{value}">'
                               f"<text:p>{value}</text:p></table:table-cell>")
                else:
                    out.append(f'<table:table-cell{attrs} office:value-type="string">'
                               f"<text:p>{escape(str(value))}</text:p></table:table-cell>")
            rows.append(f"<table:table-row>{''.join(out)}</table:table-row>")
        if not tables:
            rows.append(rows_xml)
        tables.append(f"<table:table table:name={quoteattr(name)}>{''.join(rows)}</table:table>")
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
               "</office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
                'vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr(zipfile.ZipInfo("content.xml"), content, zipfile.ZIP_DEFLATED)
        zf.writestr(zipfile.ZipInfo("META-INF/manifest.xml"), manifest, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def grid_of(path: str | os.PathLike[str]) -> list[tuple[str, list[list[object]], list[Merge]]]:
    """Every worksheet of an .xlsx as (name, values, merged ranges), read with openpyxl."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    out = []
    for ws in book.worksheets:
        grid = [[cell.value for cell in row] for row in ws.iter_rows()]
        merges = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
        out.append((ws.title, grid, merges))
    return out


# --------------------------------------------------------------------------------------------------
# The corpora


def _report(path: Path, seed: int = 0, **raw: object) -> dict[str, str]:
    return corpus.write_report(path, "2021", corpus.consistent_values("2021", seed), year=2022,
                               raw=dict(raw) if raw else None)


def build_bad(folder: str | os.PathLike[str], *, heavy: bool = True) -> dict[str, str]:
    """Write every file xlcheck must refuse into ``folder``; return ``{name: a word of its reason}``.

    ``heavy=False`` leaves out the two files that take a second to build (the million-row sheet and
    the many-parts bomb).
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    expect: dict[str, str] = {}

    def put(name: str, data: bytes, word: str) -> None:
        (root / name).write_bytes(data)
        expect[name] = word

    good = root / "_good.xlsx"
    _report(good)
    data = good.read_bytes()
    good.unlink()

    put("empty.xlsx", b"", "empty")
    put("pdf-renamed.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n", "PDF")
    put("csv-renamed.xlsx", "单位,数量\n青山镇,3\n".encode("gb18030"), "text")
    put("html-export.xls", b"<html><head><meta charset='utf-8'></head><body><table><tr><td>1</td></tr>"
        b"</table></body></html>", "HTML")
    put("mhtml-export.xls", b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"----=_NextPart\"\r\n\r\n"
        b"------=_NextPart\r\nContent-Type: text/html\r\n\r\n<html><table><tr><td>1</td></tr></table></html>", "MHTML")
    put("spreadsheetml-2003.xls", b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>', "XML Spreadsheet 2003")
    put("image-renamed.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(64), "image")
    put("random-bytes.xlsx", bytes((i * 7919 + 13) % 251 for i in range(4096)), "not a spreadsheet")
    put("truncated-download.xlsx", data[: len(data) // 2], "damaged")
    put("password-protected.xlsx", encrypted_xlsx_bytes(), "password")
    put("not-a-workbook.xlsx", _zip_bytes({"readme.txt": b"hello"}), "zip archive")
    put("zip-encrypted-member.xlsx", _flag_encrypted(data), "password")
    _package(root / "broken-sheet-xml.xlsx", SHEET_HEAD + '<row r="1"><c r="A1"><v>1</v></c>')
    expect["broken-sheet-xml.xlsx"] = "cannot read"
    _package(root / "no-tables.xlsx", SHEET_HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>通讯录</t></is>'
             "</c></row>" + SHEET_TAIL)
    expect["no-tables.xlsx"] = "not an annual report"
    write_zip_bomb(root / "zip-bomb.xlsx")
    expect["zip-bomb.xlsx"] = "zip bomb"
    _package(root / "billion-laughs.xlsx", billion_laughs_sheet())
    expect["billion-laughs.xlsx"] = "entit"
    _package(root / "corner-cells.xlsx", corner_cells_sheet())
    expect["corner-cells.xlsx"] = "cells span"
    if heavy:
        _package(root / "million-rows.xlsx", million_rows_sheet())
        expect["million-rows.xlsx"] = "MB bound"
        write_wide_bomb(root / "many-parts-bomb.xlsx")
        expect["many-parts-bomb.xlsx"] = "MB bound"
    for spelling, sheet in far_cell_sheets().items():
        _package(root / f"far-cell-{spelling}.xlsx", sheet)
        expect[f"far-cell-{spelling}.xlsx"] = "cells span"
    corner = corner_cells_sheet()
    _package_at(root / "far-cell-upper-case-part.xlsx", corner, "xl/worksheets/Sheet1.XML")
    _package_at(root / "far-cell-outside-worksheets.xlsx", corner, "xl/data/table.xml", "/xl/data/table.xml")
    expect["far-cell-upper-case-part.xlsx"] = expect["far-cell-outside-worksheets.xlsx"] = "cells span"
    _package(root / "far-dimension.xlsx", SHEET_HEAD.replace("<sheetData>", '<dimension ref="A1:XFD1048576"/>'
                                                             "<sheetData>") + SHEET_TAIL)
    expect["far-dimension.xlsx"] = "cells span"
    put("ods-repeat-bomb.ods", ods_repeat_bomb(), "cells span")
    _package(root / "utf16-sheet.xlsx", (SHEET_HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>表</t></is></c></row>'
                                         + SHEET_TAIL).replace('encoding="UTF-8"', 'encoding="UTF-16"')
             .encode("utf-16"))
    expect["utf16-sheet.xlsx"] = "damaged"
    put("no-workbook-part.xlsx", _zip_bytes({"[Content_Types].xml": CT.encode(), "_rels/.rels": RELS.encode(),
                                             "xl/worksheets/sheet1.xml": corner.encode()}), "damaged")
    put("~$lock-owner.xlsx", b"\x0cZhang San" + b"\x00" * 40 + b"\x0c\x00Z\x00h\x00a\x00n\x00g\x00", "lock file")
    (root / "folder.xlsx").mkdir(exist_ok=True)
    expect["folder.xlsx"] = "directory"
    put("report.csv", b"a,b\n", "unsupported")
    return expect


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _flag_encrypted(data: bytes) -> bytes:
    """A copy of a zip whose every member claims ZIP (traditional PKWARE) encryption."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at >= 0:
            flags = struct.unpack_from("<H", out, at + offset)[0]
            struct.pack_into("<H", out, at + offset, flags | 0x1)
            at = out.find(signature, at + 4)
    return bytes(out)


def build_legacy(folder: str | os.PathLike[str], seed: int = 0) -> dict[str, Path]:
    """Reports in the other formats xlcheck reads; the same values as ``consistent_values("2021", seed)``.

    Keys: ``xls`` (BIFF8), ``ods``, ``xlsx-as-xls`` (an .xlsx named .xls), ``xls-as-xlsx`` (an .xls
    named .xlsx).
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    source = root / f"_source{seed}.xlsx"
    _report(source, seed)
    sheets = grid_of(source)
    out = {"xls": root / f"legacy{seed}.xls", "ods": root / f"open{seed}.ods",
           "xlsx-as-xls": root / f"renamed{seed}.xls", "xls-as-xlsx": root / f"renamed{seed}.xlsx"}
    out["xls"].write_bytes(xls_bytes(sheets))
    out["ods"].write_bytes(ods_bytes(sheets))
    out["xlsx-as-xls"].write_bytes(source.read_bytes())
    out["xls-as-xlsx"].write_bytes(xls_bytes(sheets))
    source.unlink()
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "malformed-corpus")
    for name, word in sorted(build_bad(target / "bad").items()):
        print(f"bad     {name:32} ({word})")
    for kind, path in build_legacy(target / "legacy").items():
        print(f"legacy  {path.name:32} ({kind})")
