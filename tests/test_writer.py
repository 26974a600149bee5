"""The annotated copy: marks a user sees, what must survive, and that marks come off cleanly."""

from __future__ import annotations

import hashlib
import re
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName

from xlcheck.findings import Finding, Report, Severity
from xlcheck.marks import FILL, FONT, NOTE_AUTHOR, SUMMARY_HEADER, SUMMARY_MARKER, SUMMARY_SHEET, describe, verdict
from xlcheck.writer import MARK_FORMULA, WORKSHEET_ORDER, WriteError, annotate, clean

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
VBA_CT = "application/vnd.ms-office.vbaProject"
VBA_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8

ERROR_MSG = "三（七）总计（自然人）为 0，但各办理结果之和为 1"


def findings() -> list[Finding]:
    return [
        Finding("T3-RES", Severity.ERROR, ERROR_MSG, ("Sheet1!D20", "Sheet1!D8")),
        Finding("T2-SUM", Severity.WARNING, "二、主动公开数量偏少", ("Sheet1!B3",)),
        Finding("T1-INFO", Severity.INFO, "仅供参考", ("Sheet1!C4",)),
        Finding("T9-MISSING", Severity.ERROR, "缺少表格", ("不存在的表!A1",)),
    ]


def report(path: Path, found: list[Finding] | None = None) -> Report:
    return Report(path=str(path), format="2021", year=2021, findings=findings() if found is None else found)


# ---------------------------------------------------------------- workbooks under test


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff\x00\x00" * 2)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


class PngImage(Image):  # type: ignore[misc]
    """openpyxl's Image without Pillow, which only reads the size and re-reads the bytes."""

    def __init__(self, data: bytes, anchor: str) -> None:
        self.ref, self.width, self.height, self.format, self.anchor = data, 2, 2, "png", anchor

    def _data(self) -> bytes:
        return bytes(self.ref)


def new_book() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for row in range(1, 31):
        for col in range(1, 8):
            ws.cell(row, col, row * col)
    ws.merge_cells("D20:F20")
    other = wb.create_sheet("Sheet2")
    other["A1"] = "第二张表"
    return wb


def plain_book(path: Path) -> Path:
    new_book().save(path)
    return path


def rich_book(path: Path) -> Path:
    """Everything a person may already have: fills, notes, rules, an image, names, active sheet 2."""
    wb = new_book()
    ws = wb["Sheet1"]
    ws["D8"].fill = PatternFill("solid", fgColor="FF00FF00")
    ws["D20"].comment = Comment("我自己的批注", "张三")
    ws["A1"].comment = Comment("另一条批注", "李四")
    ws.conditional_formatting.add("A1:A10", CellIsRule(operator="greaterThan", formula=["5"],
                                                       fill=PatternFill(bgColor="FF0000FF")))
    ws.add_image(PngImage(tiny_png(), "H2"))
    wb.defined_names["全局"] = DefinedName("全局", attr_text="Sheet1!$A$1")
    wb["Sheet2"].defined_names["本地"] = DefinedName("本地", attr_text="Sheet2!$A$1")
    wb.active = 1
    wb.save(path)
    return path


def macro_book(path: Path) -> Path:
    """An .xlsm with an image and a (fake) VBA project, made the way Excel lays it out."""
    rich_book(path.with_suffix(".tmp.xlsx"))
    tmp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
                    b"<Default ", f'<Default Extension="bin" ContentType="{VBA_CT}"/><Default '.encode(), 1)
            elif name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.'
                                    b'microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
                                    b"</Relationships>")
            zout.writestr(name, data)
        zout.writestr("xl/vbaProject.bin", VBA_BYTES)
    path.with_suffix(".tmp.xlsx").unlink()
    return path


EXCEL_ROOT = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    b'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac xr xr2 xr3" '
    b'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
    b'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
    b'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2" '
    b'xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3" '
    b'xr:uid="{00000000-0001-0000-0000-000000000000}">'
)
EXCEL_EXT = (
    b'<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
    b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    b'<x14:conditionalFormattings><x14:conditionalFormatting '
    b'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:cfRule type="dataBar" priority="2" '
    b'id="{00000000-000E-0000-0000-000001000000}"><x14:dataBar minLength="0" maxLength="100"/></x14:cfRule>'
    b"<xm:sqref>G1:G5</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings></ext></extLst>"
)


def excel_style_book(path: Path) -> Path:
    """Sheet1 rewritten the way Excel writes it: mc:Ignorable, x14ac attributes, extLst, CR-LF prolog."""
    plain_book(path.with_suffix(".tmp.xlsx"))
    tmp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "xl/worksheets/sheet1.xml":
                root_end = data.index(b">") + 1
                data = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + EXCEL_ROOT
                        + data[root_end:].replace(b'<row r="1"', b'<row r="1" x14ac:dyDescent="0.25"')
                        .replace(b"</worksheet>", EXCEL_EXT + b"</worksheet>"))
            zout.writestr(name, data)
    path.with_suffix(".tmp.xlsx").unlink()
    return path


BUILDERS = {"plain": plain_book, "rich": rich_book, "excel": excel_style_book}


@pytest.fixture(params=sorted(BUILDERS))
def any_book(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return BUILDERS[request.param](tmp_path / f"{request.param}.xlsx")


# ---------------------------------------------------------------- what we read back


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_members(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def c14n(data: bytes) -> bytes:
    return etree.tostring(etree.fromstring(data), method="c14n")


def our_rules(ws: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, tuple[set[str], str, str, int]]:
    """fill colour -> (cells, fill, font colour, priority) of xlcheck's rules on a sheet."""
    out = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            if rule.type == "expression" and rule.formula == [MARK_FORMULA]:
                cells = {str(r) for r in cf.sqref.ranges}
                out[rule.dxf.fill.bgColor.rgb] = (cells, rule.dxf.fill.bgColor.rgb, rule.dxf.font.color.rgb,
                                                  rule.priority)
    return out


def our_notes(ws: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, str]:
    return {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row
            if c.comment is not None and c.comment.author == NOTE_AUTHOR}


def style(cell: openpyxl.cell.Cell) -> tuple[str, ...]:
    return tuple(repr(x) for x in (cell.font, cell.fill, cell.border, cell.alignment, cell.protection,
                                   cell.number_format))


def snapshot(path: Path) -> dict[str, object]:
    """Everything a user sees in a workbook, as openpyxl reads it."""
    wb = openpyxl.load_workbook(path)
    sheets = {}
    for ws in wb.worksheets:
        cells = {c.coordinate: (c.value, style(c)) for row in ws.iter_rows() for c in row}
        rules = sorted((str(cf.sqref), r.type, r.priority, tuple(r.formula or ()))
                       for cf in ws.conditional_formatting for r in cf.rules)
        notes = {c.coordinate: (c.comment.author, c.comment.text)
                 for row in ws.iter_rows() for c in row if c.comment}
        local = {n: d.attr_text for n, d in ws.defined_names.items()}
        sheets[ws.title] = (cells, rules, notes, local, sorted(map(str, ws.merged_cells.ranges)))
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
    return {"order": wb.sheetnames, "active": wb.active.title, "sheets": sheets, "names": names}


def assert_schema_order(sheet_xml: bytes) -> None:
    seen = [etree.QName(el).localname for el in etree.fromstring(sheet_xml) if isinstance(el.tag, str)]
    ranks = [WORKSHEET_ORDER.index(name) for name in seen]
    assert ranks == sorted(ranks), seen


# ---------------------------------------------------------------- marks


def test_marked_cells_get_a_fill_rule_and_a_note(tmp_path: Path) -> None:
    src = plain_book(tmp_path / "a.xlsx")
    annotate(src, tmp_path / "out.xlsx", report(src))
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["Sheet1"]

    rules = our_rules(ws)
    assert rules[FILL[Severity.ERROR]] == ({"D20", "D8"}, FILL[Severity.ERROR], FONT[Severity.ERROR], 1)
    assert rules[FILL[Severity.WARNING]] == ({"B3"}, FILL[Severity.WARNING], FONT[Severity.WARNING], 2)
    assert len(rules) == 2  # info findings mark no cell
    assert our_notes(ws) == {
        "D8": f"[T3-RES] 错误：{ERROR_MSG}",
        "D20": f"[T3-RES] 错误：{ERROR_MSG}",
        "B3": "[T2-SUM] 警告：二、主动公开数量偏少",
    }
    assert style(ws["D8"]) == style(openpyxl.load_workbook(src)["Sheet1"]["D8"])  # the cell's own style is untouched


def test_summary_sheet_comes_first_and_links_to_cells(tmp_path: Path) -> None:
    src = plain_book(tmp_path / "年度报告.xlsx")
    rep = report(src)
    annotate(src, tmp_path / "out.xlsx", rep)
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx", rich_text=True)

    assert wb.sheetnames == [SUMMARY_SHEET, "Sheet1", "Sheet2"]
    assert wb.active.title == "Sheet1"  # the user still opens on the sheet they had
    ws = wb[SUMMARY_SHEET]
    a1 = ws["A1"].value
    assert str(a1) == f"{SUMMARY_MARKER}：年度报告.xlsx"
    assert all(block.font.b for block in a1)  # bold
    assert str(ws["A2"].value) == verdict(rep)
    assert str(ws["A3"].value) == describe(rep)
    assert tuple(str(ws.cell(5, c).value) for c in range(1, 6)) == SUMMARY_HEADER
    rows = [[str(ws.cell(r, c).value) for c in range(1, 6)] for r in range(6, 10)]
    assert [r[2] for r in rows] == ["T3-RES", "T9-MISSING", "T2-SUM", "T1-INFO"]  # worst first
    assert rows[0][4] == "Sheet1!D20、D8"  # the sheet named once
    # messages wrap in their column instead of running under the cell list (nothing else does)
    assert all(ws.cell(r, 4).alignment.wrap_text for r in range(6, 10))
    assert not any(ws.cell(r, c).alignment.wrap_text for r in range(1, 10) for c in (1, 2, 3, 5))
    assert ws["E6"].hyperlink.location == "'Sheet1'!D20"
    assert ws["E7"].hyperlink is None  # the sheet does not exist: no link to nowhere
    assert ws["E8"].hyperlink.location == "'Sheet1'!B3"

    tab_selected = [bool(ws.sheet_view.tabSelected) for ws in wb.worksheets]
    assert not tab_selected[0] and sum(tab_selected) <= 1


def test_a_person_s_fill_rules_and_notes_stay(tmp_path: Path) -> None:
    src = rich_book(tmp_path / "a.xlsx")
    annotate(src, tmp_path / "out.xlsx", report(src))
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["Sheet1"]

    assert ws["D8"].fill.fgColor.rgb == "FF00FF00"
    assert (ws["D20"].comment.author, ws["D20"].comment.text) == ("张三", "我自己的批注")
    assert (ws["A1"].comment.author, ws["A1"].comment.text) == ("李四", "另一条批注")
    assert set(our_notes(ws)) == {"D8", "B3"}  # D20 keeps the person's note only
    assert "D20" in our_rules(ws)[FILL[Severity.ERROR]][0]  # ...but is still filled
    theirs = [(str(cf.sqref), r.priority) for cf in ws.conditional_formatting for r in cf.rules
              if r.formula != [MARK_FORMULA]]
    assert theirs == [("A1:A10", 3)]  # moved behind our two rules


def test_cells_inside_a_merged_area_are_marked_on_its_first_cell(tmp_path: Path) -> None:
    src = plain_book(tmp_path / "a.xlsx")
    found = [Finding("R1", Severity.WARNING, "合并单元格", ("Sheet1!E20",)),
             Finding("R2", Severity.ERROR, "不存在的单元格", ("Sheet1!Z99",))]
    annotate(src, tmp_path / "out.xlsx", report(src, found))
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["Sheet1"]
    assert our_rules(ws)[FILL[Severity.WARNING]][0] == {"D20"}
    assert our_rules(ws)[FILL[Severity.ERROR]][0] == {"Z99"}
    assert set(our_notes(ws)) == {"D20", "Z99"}


def test_an_empty_sheet_can_be_marked_and_cleaned(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "空表"
    wb.save(tmp_path / "a.xlsx")
    parts = members(tmp_path / "a.xlsx")
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"<sheetData></sheetData>", b"<sheetData/>")  # as Excel writes an empty sheet
    write_members(tmp_path / "a.xlsx", parts)
    annotate(tmp_path / "a.xlsx", tmp_path / "out.xlsx", report(tmp_path / "a.xlsx", [
        Finding("R1", Severity.ERROR, "整张表是空的", ("空表!B2",))]))
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["空表"]
    assert our_rules(ws)[FILL[Severity.ERROR]][0] == {"B2"}
    assert our_notes(ws) == {"B2": "[R1] 错误：整张表是空的"}
    assert_schema_order(members(tmp_path / "out.xlsx")["xl/worksheets/sheet1.xml"])
    clean(tmp_path / "out.xlsx", tmp_path / "clean.xlsx")
    assert members(tmp_path / "clean.xlsx")["xl/worksheets/sheet1.xml"] == members(tmp_path / "a.xlsx")[
        "xl/worksheets/sheet1.xml"]


def test_a_sheet_that_cannot_be_split_is_parsed_whole(tmp_path: Path) -> None:
    src = plain_book(tmp_path / "a.xlsx")
    parts = members(src)
    text = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode("utf-16")
    write_members(src, parts)
    annotate(src, tmp_path / "out.xlsx", report(src))
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["Sheet1"]
    assert our_rules(ws)[FILL[Severity.ERROR]][0] == {"D20", "D8"}
    assert ws["C5"].value == 15


def test_excel_written_sheet_keeps_its_prefixes_and_schema_order(tmp_path: Path) -> None:
    src = excel_style_book(tmp_path / "a.xlsx")
    annotate(src, tmp_path / "out.xlsx", report(src))
    sheet = members(tmp_path / "out.xlsx")["xl/worksheets/sheet1.xml"]
    assert sheet.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + EXCEL_ROOT)
    assert b'x14ac:dyDescent="0.25"' in sheet and b"ns0:" not in sheet
    assert_schema_order(sheet)
    x14_priority = etree.fromstring(sheet).find(".//{*}cfRule[@type='dataBar']").get("priority")
    assert x14_priority == "4"  # Excel's extension rules share the priority sequence


def test_every_sheet_we_write_keeps_the_schema_order(any_book: Path, tmp_path: Path) -> None:
    annotate(any_book, tmp_path / "out.xlsx", report(any_book))
    parts = members(tmp_path / "out.xlsx")
    for name, data in parts.items():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            assert_schema_order(data)


# ---------------------------------------------------------------- what must survive


def test_images_and_macros_are_copied_byte_for_byte(tmp_path: Path) -> None:
    src = macro_book(tmp_path / "a.xlsm")
    annotate(src, tmp_path / "out.xlsm", report(src))
    before, after = members(src), members(tmp_path / "out.xlsm")

    kept = [n for n in before if n.startswith(("xl/media/", "xl/drawings/drawing")) or n == "xl/vbaProject.bin"]
    assert any(n.startswith("xl/media/") for n in kept) and "xl/vbaProject.bin" in kept
    for name in kept:
        assert after[name] == before[name], name
    assert after["xl/vbaProject.bin"] == VBA_BYTES
    types = after["[Content_Types].xml"].decode()
    assert VBA_CT in types and "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types


def test_defined_names_and_active_tab_follow_their_sheets(tmp_path: Path) -> None:
    src = rich_book(tmp_path / "a.xlsx")
    annotate(src, tmp_path / "out.xlsx", report(src))
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert wb.active.title == "Sheet2"
    assert wb["Sheet2"].defined_names["本地"].attr_text == "Sheet2!$A$1"
    assert wb.defined_names["全局"].attr_text == "Sheet1!$A$1"
    assert not wb[SUMMARY_SHEET].defined_names


def test_source_is_never_modified(any_book: Path, tmp_path: Path) -> None:
    before = digest(any_book)
    annotate(any_book, tmp_path / "out.xlsx", report(any_book))
    clean(tmp_path / "out.xlsx", tmp_path / "clean.xlsx")
    assert digest(any_book) == before


def test_destination_may_be_the_source(tmp_path: Path) -> None:
    src = rich_book(tmp_path / "a.xlsx")
    annotate(src, src, report(src))
    assert openpyxl.load_workbook(src).sheetnames[0] == SUMMARY_SHEET
    assert [p.name for p in tmp_path.iterdir()] == ["a.xlsx"]  # no temp file left behind


# ---------------------------------------------------------------- removing marks


def test_annotating_twice_leaves_one_set_of_marks(any_book: Path, tmp_path: Path) -> None:
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    annotate(any_book, once, report(any_book))
    annotate(once, twice, report(any_book))
    first, second = members(once), members(twice)
    assert list(first) == list(second)
    assert [n for n in first if first[n] != second[n]] == []


def test_a_clean_report_removes_old_marks(tmp_path: Path) -> None:
    src = rich_book(tmp_path / "a.xlsx")
    annotate(src, tmp_path / "marked.xlsx", report(src))
    clean_report = report(src, [])
    annotate(tmp_path / "marked.xlsx", tmp_path / "out.xlsx", clean_report)
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert wb.sheetnames == [SUMMARY_SHEET, "Sheet1", "Sheet2"]
    assert wb[SUMMARY_SHEET]["A2"].value == verdict(clean_report)
    for ws in wb.worksheets:
        assert our_rules(ws) == {} and our_notes(ws) == {}
    assert wb["Sheet1"]["D20"].comment.author == "张三"
    assert [r.priority for cf in wb["Sheet1"].conditional_formatting for r in cf.rules] == [1]


@pytest.mark.filterwarnings("ignore:Conditional Formatting extension")
@pytest.mark.parametrize("kind", ["plain", "rich", "excel", "macro"])
def test_clean_gives_back_the_original(kind: str, tmp_path: Path) -> None:
    src = macro_book(tmp_path / "a.xlsm") if kind == "macro" else BUILDERS[kind](tmp_path / "a.xlsx")
    marked, restored = tmp_path / f"marked{src.suffix}", tmp_path / f"restored{src.suffix}"
    annotate(src, marked, report(src))
    clean(marked, restored)

    before, after = members(src), members(restored)
    assert sorted(before) == sorted(after)
    for name, data in before.items():
        if after[name] != data:  # a part we had to edit: same content, maybe different bytes
            assert name.endswith((".xml", ".rels")), name  # VML is edited as bytes and restored exactly
            assert c14n(after[name]) == c14n(data), name
    assert snapshot(restored) == snapshot(src)


def test_clean_leaves_an_unmarked_workbook_byte_identical(any_book: Path, tmp_path: Path) -> None:
    clean(any_book, tmp_path / "out.xlsx")
    assert members(tmp_path / "out.xlsx") == members(any_book)


def resave_like_excel(src: Path, dst: Path) -> None:
    """Rewrite every part the way another application would: new styles, new VML, shared strings."""
    openpyxl.load_workbook(src).save(dst)
    parts = members(dst)
    share_strings(parts)
    write_members(dst, parts)


def share_strings(parts: dict[str, bytes], *, counts: bool = False) -> int:
    """Move the sheets' inline strings into a new sharedStrings.xml (with count and uniqueCount when
    ``counts``, as Excel writes them); return how many there were."""
    strings: list[bytes] = []

    def share(match: re.Match[bytes]) -> bytes:
        strings.append(match.group(2))
        return match.group(1) + b' t="s"><v>' + str(len(strings) - 1).encode() + b"</v></c>"

    for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
        parts[name] = re.sub(rb'(<c r="[A-Z]+\d+")(?: s="\d+")? t="inlineStr"><is>(.*?)</is></c>', share, parts[name])
    stated = b' count="%d" uniqueCount="%d"' % (len(strings), len(strings)) if counts else b""
    parts["xl/sharedStrings.xml"] = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"%s>'
                                     % stated + b"".join(b"<si>" + s + b"</si>" for s in strings) + b"</sst>")
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml"/></Types>'))
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(b"</Relationships>", (
        b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
    return len(strings)

def test_marks_survive_a_resave_and_are_still_recognised(tmp_path: Path) -> None:
    """Another application re-saving the file renumbers styles, rewrites notes, shares strings."""
    src = rich_book(tmp_path / "a.xlsx")
    annotate(src, tmp_path / "marked.xlsx", report(src))
    resave_like_excel(tmp_path / "marked.xlsx", tmp_path / "resaved.xlsx")
    resaved = openpyxl.load_workbook(tmp_path / "resaved.xlsx")
    assert str(resaved[SUMMARY_SHEET]["A1"].value).startswith(SUMMARY_MARKER)

    annotate(tmp_path / "resaved.xlsx", tmp_path / "again.xlsx", report(src))
    wb = openpyxl.load_workbook(tmp_path / "again.xlsx")
    assert wb.sheetnames == [SUMMARY_SHEET, "Sheet1", "Sheet2"]
    assert our_rules(wb["Sheet1"])[FILL[Severity.ERROR]][0] == {"D20", "D8"}
    assert set(our_notes(wb["Sheet1"])) == {"D8", "B3"}

    clean(tmp_path / "again.xlsx", tmp_path / "clean.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "clean.xlsx")
    assert wb.sheetnames == ["Sheet1", "Sheet2"]
    assert our_rules(wb["Sheet1"]) == {} and our_notes(wb["Sheet1"]) == {}
    assert wb["Sheet1"]["D20"].comment.text == "我自己的批注"


def test_a_person_s_own_sheet_of_our_name_is_never_removed(tmp_path: Path) -> None:
    wb = new_book()
    wb.create_sheet(SUMMARY_SHEET)["A1"] = "我自己记录的校验结果"
    wb.save(tmp_path / "a.xlsx")
    annotate(tmp_path / "a.xlsx", tmp_path / "once.xlsx", report(tmp_path / "a.xlsx"))
    annotate(tmp_path / "once.xlsx", tmp_path / "twice.xlsx", report(tmp_path / "a.xlsx"))
    names = openpyxl.load_workbook(tmp_path / "twice.xlsx").sheetnames
    assert names == [f"{SUMMARY_SHEET}(2)", "Sheet1", "Sheet2", SUMMARY_SHEET]
    clean(tmp_path / "twice.xlsx", tmp_path / "clean.xlsx")
    restored = openpyxl.load_workbook(tmp_path / "clean.xlsx")
    assert restored.sheetnames == ["Sheet1", "Sheet2", SUMMARY_SHEET]
    assert restored[SUMMARY_SHEET]["A1"].value == "我自己记录的校验结果"


# ---------------------------------------------------------------- errors


def test_a_file_that_is_not_a_workbook_raises_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "报告.xlsx"
    bad.write_bytes(b"this is not a zip file")
    with pytest.raises(WriteError, match=r"报告\.xlsx"):
        annotate(bad, tmp_path / "out.xlsx", report(bad))
    assert not (tmp_path / "out.xlsx").exists()


def test_a_zip_without_workbook_xml_raises(tmp_path: Path) -> None:
    bad = tmp_path / "空.xlsx"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                                           'content-types"/>')
    with pytest.raises(WriteError, match=r"空\.xlsx.*workbook\.xml"):
        clean(bad, tmp_path / "out.xlsx")


def test_a_missing_file_raises_write_error(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match=r"无此\.xlsx"):
        annotate(tmp_path / "无此.xlsx", tmp_path / "out.xlsx", report(tmp_path / "无此.xlsx"))


def test_copying_preserves_a_source_in_another_directory(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    src = plain_book(tmp_path / "in" / "a.xlsx")
    shutil.copy(src, tmp_path / "in" / "b.xlsx")
    annotate(src, tmp_path / "out" / "a.xlsx", report(src))
    assert digest(src) == digest(tmp_path / "in" / "b.xlsx")
    assert openpyxl.load_workbook(tmp_path / "out" / "a.xlsx").sheetnames[0] == SUMMARY_SHEET


def test_more_than_1023_notes_claim_enough_vml_id_blocks(tmp_path: Path) -> None:
    import re as regex

    import openpyxl
    from openpyxl.comments import Comment

    from xlcheck.findings import Finding, Report, Severity
    from xlcheck.writer import annotate

    src = tmp_path / "many.xlsx"
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "Sheet1"
    other = book.create_sheet("Other")
    other["A1"] = 1
    other["A1"].comment = Comment("a person's own note", "someone")  # a drawing claiming a block already
    for row in range(1, 1501):
        first.cell(row, 1, row)
    book.save(src)
    findings = [Finding("T3-RES", Severity.ERROR, f"错误 {row}", (f"Sheet1!A{row}",)) for row in range(1, 1501)]
    findings.append(Finding("T2-SUM", Severity.WARNING, "另一张表", ("Other!B2",)))
    out = tmp_path / "out.xlsx"
    annotate(src, out, Report(str(src), findings=findings))
    blocks: dict[str, set[int]] = {}
    ids: dict[str, list[int]] = {}
    with zipfile.ZipFile(out) as zf:
        for name in zf.namelist():
            if name.endswith(".vml"):
                data = zf.read(name)
                (listed,) = regex.findall(rb'idmap[^>]*data="([^"]*)"', data)
                blocks[name] = {int(b) for b in listed.split(b",")}
                ids[name] = [int(i) for i in regex.findall(rb'<(?:\w+:)?shape\b[^>]*\bid="_x0000_s(\d+)"', data)]
    assert sum(len(v) for v in ids.values()) == 1502
    claimed = [b for v in blocks.values() for b in v]
    assert len(claimed) == len(set(claimed))  # no block shared by two drawings
    for name, shape_ids in ids.items():
        assert len(shape_ids) == len(set(shape_ids))
        assert all(i // 1024 in blocks[name] and i % 1024 for i in shape_ids), name
    assert max(len(v) for v in blocks.values()) >= 2  # 1500 notes need two blocks


def test_the_summary_sheet_is_listed_and_prints_one_page_wide(tmp_path: Path) -> None:
    import openpyxl

    from xlcheck.findings import Finding, Report, Severity
    from xlcheck.marks import SUMMARY_SHEET
    from xlcheck.writer import annotate, clean

    src = tmp_path / "in.xlsx"
    book = openpyxl.Workbook()
    assert book.active is not None
    book.active.title = "Sheet1"
    book.save(src)
    # the app.xml Excel writes lists the sheets (openpyxl's lists none)
    app_xml = ('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
               'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><HeadingPairs>'
               '<vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>工作表</vt:lpstr></vt:variant>'
               '<vt:variant><vt:i4>1</vt:i4></vt:variant></vt:vector></HeadingPairs><TitlesOfParts>'
               '<vt:vector size="1" baseType="lpstr"><vt:lpstr>Sheet1</vt:lpstr></vt:vector></TitlesOfParts>'
               "</Properties>")
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["docProps/app.xml"] = app_xml.encode()
    with zipfile.ZipFile(src, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    long = "很长的说明：" + "总计应等于各项之和，" * 30
    out = tmp_path / "out.xlsx"
    annotate(src, out, Report(str(src), findings=[Finding("T3-RES", Severity.ERROR, long, ("Sheet1!B2",))]))
    with zipfile.ZipFile(out) as zf:
        app = zf.read("docProps/app.xml").decode()
    assert f"<vt:lpstr>{SUMMARY_SHEET}</vt:lpstr>" in app and "<vt:i4>2</vt:i4>" in app and 'size="2"' in app
    marked = openpyxl.load_workbook(out)
    summary = marked[SUMMARY_SHEET]
    assert any(c.value == long for row in summary.iter_rows() for c in row)
    setup = summary.page_setup
    assert (setup.paperSize, setup.orientation, setup.fitToWidth, setup.fitToHeight) == (9, "landscape", 1, 0)
    assert summary.sheet_properties.pageSetUpPr.fitToPage
    # annotating again or cleaning leaves it listed once, or not at all
    again = tmp_path / "again.xlsx"
    annotate(out, again, Report(str(out), findings=[Finding("T3-RES", Severity.ERROR, long, ("Sheet1!B2",))]))
    with zipfile.ZipFile(again) as zf:
        assert zf.read("docProps/app.xml").decode().count(SUMMARY_SHEET) == 1
    cleaned = tmp_path / "clean.xlsx"
    clean(again, cleaned)
    with zipfile.ZipFile(cleaned) as zf:
        restored = zf.read("docProps/app.xml").decode()
    assert SUMMARY_SHEET not in restored and "<vt:i4>1</vt:i4>" in restored


# ---------------------------------------------------------------- the summary's text as shared strings
SST = "xl/sharedStrings.xml"


def _summary_part(path: Path) -> str:
    wb = openpyxl.load_workbook(path)
    index = wb.sheetnames.index(SUMMARY_SHEET) + 1
    with zipfile.ZipFile(path) as zf:
        rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        book = etree.fromstring(zf.read("xl/workbook.xml"))
    rid = book.findall(f"{MAIN}sheets/{MAIN}sheet")[index - 1].get(
        "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _strings(data: bytes) -> list[str]:
    return ["".join(t.text or "" for t in si.iter(f"{MAIN}t")) for si in etree.fromstring(data).iter(f"{MAIN}si")]


def shared_strings_book(path: Path) -> Path:
    """plain_book as Excel writes its text: in sharedStrings.xml, with count and uniqueCount."""
    plain_book(path)
    parts = members(path)
    assert share_strings(parts, counts=True)
    write_members(path, parts)
    return path


@pytest.mark.parametrize("has_strings", [True, False])
def test_the_summary_text_is_written_as_shared_strings(has_strings: bool, tmp_path: Path) -> None:
    """As Excel writes a sheet's text: each distinct text once in sharedStrings.xml, cells t="s"."""
    src = (shared_strings_book if has_strings else plain_book)(tmp_path / "a.xlsx")
    assert (SST in members(src)) == has_strings
    before = members(src)
    marked = tmp_path / "marked.xlsx"
    annotate(src, marked, report(src))
    after = members(marked)
    summary = after[_summary_part(marked)]
    assert b"inlineStr" not in summary and b"<is>" not in summary
    cells = re.findall(rb'<c r="([A-Z]+\d+)"(?: s="\d+")? t="s"><v>(\d+)</v></c>', summary)
    own = _strings(before[SST]) if has_strings else []
    texts = _strings(after[SST])
    assert texts[:len(own)] == own  # the person's strings stay where they were, numbered as before
    shown = {ref.decode(): texts[int(i)] for ref, i in cells}
    assert shown["A1"].startswith(SUMMARY_MARKER) and shown["A5"] == SUMMARY_HEADER[0]
    assert ERROR_MSG in shown.values()
    assert len(texts) - len(own) == len(set(shown.values()))  # each distinct text once
    sst = etree.fromstring(after[SST])
    if has_strings:
        old = etree.fromstring(before[SST])
        assert int(sst.get("uniqueCount")) == int(old.get("uniqueCount")) + len(texts) - len(own)
        assert int(sst.get("count")) == int(old.get("count")) + len(cells)
    else:
        assert (sst.get("count"), sst.get("uniqueCount")) == (str(len(cells)), str(len(texts)))
        assert b"/xl/sharedStrings.xml" in after["[Content_Types].xml"]
        assert b"relationships/sharedStrings" in after["xl/_rels/workbook.xml.rels"]
    bold = etree.fromstring(after[SST]).findall(f"{MAIN}si")[len(own)]  # A1's item keeps its bold run
    assert bold.find(f"{MAIN}r/{MAIN}rPr/{MAIN}b") is not None
    wb = openpyxl.load_workbook(marked)
    assert str(wb[SUMMARY_SHEET]["A1"].value).startswith(SUMMARY_MARKER)
    # annotating the copy again replaces the strings instead of adding more; clean takes them all away
    again = tmp_path / "again.xlsx"
    annotate(marked, again, report(src))
    assert _strings(members(again)[SST]) == texts
    restored = tmp_path / "restored.xlsx"
    clean(again, restored)
    back = members(restored)
    assert sorted(back) == sorted(before)
    for name, data in before.items():
        assert back[name] == data or c14n(back[name]) == c14n(data), name


def test_clean_keeps_a_string_the_persons_sheet_shares_with_the_summary(tmp_path: Path) -> None:
    """After a re-save that shares one item between equal texts, the summary's items may be the
    person's too: they stay, and the person's cell still shows its text."""
    src = shared_strings_book(tmp_path / "a.xlsx")
    marked = tmp_path / "marked.xlsx"
    annotate(src, marked, report(src))
    parts = members(marked)
    texts = _strings(parts[SST])
    shared = texts.index(SUMMARY_HEADER[1])  # the person typed 级别 too, and the item is shared
    parts["xl/worksheets/sheet2.xml"] = parts["xl/worksheets/sheet2.xml"].replace(
        b'<c r="A1" t="s"><v>0</v></c>', f'<c r="A1" t="s"><v>{shared}</v></c>'.encode())
    resaved = tmp_path / "resaved.xlsx"
    write_members(resaved, parts)
    restored = tmp_path / "restored.xlsx"
    clean(resaved, restored)
    wb = openpyxl.load_workbook(restored)
    assert wb.sheetnames == ["Sheet1", "Sheet2"] and wb["Sheet2"]["A1"].value == SUMMARY_HEADER[1]


def test_a_long_summary_message_gets_the_lines_it_needs(tmp_path: Path) -> None:
    """Rows keep the height a file gives them: a wrapped message that needs two lines says so."""
    from xlcheck import check
    from xlcheck.marks import summary_lines

    sample = Path(__file__).resolve().parents[1] / "examples" / "xiaolou-2020.xlsx"
    rep = check(sample)
    annotate(sample, tmp_path / "out.xlsx", rep)
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")[SUMMARY_SHEET]
    heights = {str(ws.cell(r, 3).value): ws.row_dimensions[r].height for r in range(6, 12)}
    assert heights["FIX"] == 32 and heights["T3-RES"] is None  # two lines; one line as it comes
    assert summary_lines("三（七）总计（自然人）为 0，但各办理结果之和为 1") == 1
    assert summary_lines("字" * 44) == 2 and summary_lines("a" * 86) == 1


def test_marks_made_without_init_are_the_dataclasses() -> None:
    # a sheet's marks are made without the frozen dataclasses' __init__: they must be the very objects
    # the dataclasses make, every field there, so a field added later cannot be left out unnoticed
    import dataclasses

    from xlcheck.marks import CellMark, PlacedMark, cell_marks, place

    found = [Finding("T3-RES", Severity.ERROR, ERROR_MSG, ("Sheet1!D20", "Sheet1!D8")),
             Finding("T2-SUM", Severity.WARNING, "二、主动公开数量偏少", ("Sheet1!D20",))]
    marks = cell_marks(found)
    first, second = f"[T3-RES] 错误：{ERROR_MSG}", "[T2-SUM] 警告：二、主动公开数量偏少"
    assert marks == [CellMark("Sheet1", "D20", Severity.ERROR, f"{first}\n{second}"),
                     CellMark("Sheet1", "D8", Severity.ERROR, first)]
    placed = place(marks, lambda ref: (int(ref[1:]), 4))
    assert placed == [PlacedMark(20, 4, Severity.ERROR, marks[0].note), PlacedMark(8, 4, Severity.ERROR, marks[1].note)]
    for made, cls in ((marks[0], CellMark), (placed[0], PlacedMark)):
        assert list(vars(made)) == [f.name for f in dataclasses.fields(cls)]
        assert hash(made) == hash(cls(*(getattr(made, f.name) for f in dataclasses.fields(cls))))
