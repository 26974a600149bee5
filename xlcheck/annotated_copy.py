"""Writing findings back: the annotated copy beside the checked workbook.

An .xlsx/.xlsm workbook is annotated part by part (:mod:`xlcheck.writer`), so nothing in it is lost. A
legacy .xls (and .xlsb, .ods) cannot be edited that way: its annotated copy is a new .xlsx built from
what the reader sees, every sheet's values, merged ranges and visibility, and :func:`conversion_note`
says so. The source file is never modified.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .findings import Report

#: what the annotated copy of a legacy workbook keeps, for the message shown with its path
CONVERTED_NOTE = ("原文件是 {suffix} 格式，标注副本另存为 .xlsx，只保留各工作表的值和合并单元格，"
                  "格式、公式和图片等不带过去 (a {suffix} workbook: the annotated copy is a new .xlsx with "
                  "values and merged cells only)")


def needs_conversion(path: str | os.PathLike[str]) -> bool:
    """True for a workbook the writer cannot edit part by part: .xls, .xlsb, .ods, by content."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return False
    if head != b"PK\x03\x04":
        return True
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "xl/workbook.bin" in names or ("mimetype" in names and "content.xml" in names)


def is_published_source(path: str | os.PathLike[str]) -> bool:
    """A report checked from a published form (web page, Word, PDF, text; a web page named .xls
    too): there is no workbook to mark."""
    from .published import is_published_name
    from .reader import is_web_page

    return is_published_name(os.fspath(path)) or is_web_page(path)


def _refuse_published(path: str | os.PathLike[str]) -> None:
    if is_published_source(path):
        from .writer import WriteError

        raise WriteError(f"{Path(path).name} 是网页、Word、PDF 或文本形式的报告，没有可以标注的工作簿；"
                         "可用 xlcheck import 转为标准工作簿后再校验、标注 (a published report: no workbook to mark)")


def conversion_note(path: str | os.PathLike[str]) -> str:
    """The sentence to show beside an annotated copy's path: "" unless the copy was converted."""
    if not needs_conversion(path):
        return ""
    suffix = Path(path).suffix.lower() or ".xls"
    return CONVERTED_NOTE.format(suffix=suffix)


def default_output(path: str | os.PathLike[str]) -> Path:
    """``report.xlsx`` -> ``report.checked.xlsx`` (``.xlsm`` stays ``.xlsm`` so macros keep working;
    ``.xls``, ``.xlsb`` and ``.ods`` become ``.xlsx``)."""
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix not in (".xlsx", ".xlsm"):
        suffix = ".xlsx"
    return source.with_name(f"{source.stem}.checked{suffix}")


def backup_path(path: str | os.PathLike[str]) -> Path:
    """A free name beside ``path`` for its backup: ``report.backup.xlsx``, ``report.backup-2.xlsx``, …"""
    source = Path(path)
    candidate = source.with_name(f"{source.stem}.backup{source.suffix}")
    n = 2
    while candidate.exists():
        candidate = source.with_name(f"{source.stem}.backup-{n}{source.suffix}")
        n += 1
    return candidate


def annotate_in_place(report: Report, converted: str | os.PathLike[str] | None = None) -> tuple[Path, Path]:
    """Mark the checked workbook itself, after copying it to a backup; return (workbook, backup).

    A legacy workbook cannot be marked in place: its marked copy is written as ``converted`` (by
    default ``NAME.checked.xlsx``) and the untouched original is returned as the "backup".
    """
    import shutil

    from .writer import annotate as write

    _refuse_published(report.path)
    if needs_conversion(report.path):
        return annotate(report, converted), Path(report.path)
    from .atomic import replacing

    source = in_place_target(report.path)
    backup = backup_path(source)
    with replacing(backup, suffix=backup.suffix) as tmp:  # a full disk leaves no half backup
        shutil.copy2(source, tmp)
    write(source, source, report)
    return Path(report.path), backup


#: Excel and WPS keep ``~$NAME`` beside an open workbook (``~$`` replacing the first two characters of
#: a long name)
def _lock_files(path: Path) -> list[Path]:
    return [path.with_name("~$" + path.name), path.with_name("~$" + path.name[2:])]


def in_place_target(path: str | os.PathLike[str]) -> Path:
    """The file ``--in-place`` will replace: a symbolic link's target (so the workbook the user opens
    is the one marked); raise WriteError for a file that must not be replaced now."""
    import stat

    from .atomic import unsafe_target
    from .writer import WriteError

    source = Path(os.path.realpath(path))
    refused = unsafe_target(source, links=True)
    if refused is not None:
        raise WriteError(refused)
    mode = os.stat(source).st_mode
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise WriteError(f"{Path(path).name} 是只读文件，未直接标注；请去掉只读属性，或用 --output 写副本 "
                         "(the file is read-only)")
    if any(lock.exists() for lock in _lock_files(source)):
        raise WriteError(f"{Path(path).name} 正在 Excel 或 WPS 中打开（旁边有 ~$ 锁定文件），未直接标注；请先关闭它 "
                         "(the workbook is open in Excel or WPS)")
    return source


def annotate(report: Report, output: str | os.PathLike[str] | None = None) -> Path:
    """Write a copy of the checked workbook with every finding marked; return its path.

    Error cells are filled red and warning cells yellow, each with a note naming the rule; a first
    sheet ``校验结果`` lists every finding with a link to its cell. Marks of an earlier run are
    replaced, so annotating an annotated copy leaves one set of marks. The source is never modified
    unless ``output`` names it. A legacy workbook (.xls, .xlsb, .ods) is written as .xlsx: an
    ``output`` with another suffix gets ``.xlsx`` instead, and the returned path says where.
    """
    from .writer import annotate as write

    _refuse_published(report.path)
    target = Path(output) if output is not None else default_output(report.path)
    if not needs_conversion(report.path):
        write(report.path, target, report)
        return target
    if target.suffix.lower() != ".xlsx":
        target = target.with_suffix(".xlsx")
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=".~xlcheck-", suffix=".xlsx", dir=directory)
    os.close(fd)
    try:
        convert_to_xlsx(report.path, tmp)
        write(tmp, target, report)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def convert_to_xlsx(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Write the values, merged ranges and sheet visibility calamine reads from ``src`` as an .xlsx."""
    import python_calamine
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from .reader import MAX_COLS, MAX_ROWS
    from .writer import WriteError

    try:
        source = python_calamine.CalamineWorkbook.from_path(os.fspath(src))
    except Exception:
        with open(src, "rb") as handle:  # a legacy workbook under another extension
            source = python_calamine.CalamineWorkbook.from_filelike(handle)
    book = Workbook()
    assert book.active is not None
    book.remove(book.active)
    try:
        for meta in source.sheets_metadata:
            if not str(meta.typ).endswith("WorkSheet"):
                continue
            sheet = source.get_sheet_by_name(meta.name)
            out = book.create_sheet(meta.name[:31])
            if not str(meta.visible).endswith("Visible"):
                out.sheet_state = "veryHidden" if str(meta.visible).endswith("VeryHidden") else "hidden"
            rows = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS)
            for r, cells in enumerate(rows, 1):
                for c, value in enumerate(cells[:MAX_COLS], 1):
                    if value == "" or value is None:
                        continue
                    if isinstance(value, str):
                        value = ILLEGAL_CHARACTERS_RE.sub("", value)
                    cell = out.cell(r, c)
                    cell.value = value
                    if isinstance(value, str) and value.startswith("="):
                        cell.data_type = "s"  # text that looks like a formula stays text
            for (r1, c1), (r2, c2) in sheet.merged_cell_ranges or ():
                if (r1, c1) != (r2, c2) and r2 < MAX_ROWS and c2 < MAX_COLS:
                    out.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
    except WriteError:
        raise
    except Exception as exc:
        raise WriteError(f"无法把 {Path(src).name} 转存为 .xlsx：{exc}") from exc
    finally:
        source.close()
    if not book.worksheets:
        book.create_sheet("Sheet1")
    if all(ws.sheet_state != "visible" for ws in book.worksheets):
        book.worksheets[0].sheet_state = "visible"
    book.save(os.fspath(dst))


def clean(path: str | os.PathLike[str], output: str | os.PathLike[str]) -> Path:
    """Write a copy of ``path`` with every xlcheck mark removed."""
    from .writer import clean as unmark

    unmark(path, output)
    return Path(output)
