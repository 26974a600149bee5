"""Annotated copies stay valid OOXML: the openxml-audit validator finds nothing in a copy that it did
not find in the workbook before annotation, and the structural checks below, which the validator
does not make, hold (unique relationship ids, content types for exactly the parts there are, style,
author and sheet references in range, sheet names Excel accepts)."""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

import corpus
import pytest
from lxml import etree

import xlcheck
from xlcheck.annotated_copy import annotate

audit = pytest.importorskip("openxml_audit")

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
SAMPLE = Path(__file__).parent.parent / "examples" / "xiaolou-2020.xlsx"


def _workbooks(folder: Path) -> list[Path]:
    """The sample, and corpus reports of both formats with errors, notes and several sheets."""
    out = [folder / "xiaolou-2020.xlsx"]
    out[0].write_bytes(SAMPLE.read_bytes())
    for fmt, sheets, seed in (("2021", "three", 1), ("2019", "one", 2)):
        values = dict(corpus.consistent_values(fmt, seed))
        values["t3.new.total"] = int(values["t3.new.total"]) + 7  # a wrong total: findings to mark
        path = folder / f"report-{fmt}.xlsx"
        corpus.write_report(path, fmt, values, year=2022, sheets=sheets, notes=True)
        out.append(path)
    return out


def _findings(path: Path) -> set[tuple[str, str]]:
    """The validator's findings, with what annotation legitimately changes taken out: part numbers
    (the summary sheet is a new part), counts, and the element order it wrongly flags in every styles
    part openpyxl writes."""
    result = audit.OpenXmlValidator().validate(str(path))
    out = set()
    for error in result.errors:
        text = str(getattr(error, "description", error))
        if "Unexpected element 'color'" in text and "styles" in str(getattr(error, "part_uri", "")):
            continue
        out.add((str(getattr(error, "error_type", "")), re.sub(r"\d+", "#", text)))
    return out


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("validate")
    pairs = []
    for path in _workbooks(folder):
        report = xlcheck.check(path)
        assert report.error is None and report.findings, path
        pairs.append((path, annotate(report, folder / f"{path.stem}.checked.xlsx")))
    return pairs


def test_annotation_adds_no_validator_finding(copies: list[tuple[Path, Path]]) -> None:
    for source, copy in copies:
        new = _findings(copy) - _findings(source)
        assert not new, (copy.name, new)


def _xml(zf: zipfile.ZipFile, name: str) -> etree._Element:
    return etree.fromstring(zf.read(name))


def test_the_structure_the_validator_does_not_check(copies: list[tuple[Path, Path]]) -> None:
    for _, copy in copies:
        with zipfile.ZipFile(copy) as zf:
            names = set(zf.namelist())
            assert len(names) == len(zf.namelist()), "duplicate zip members"
            types = _xml(zf, "[Content_Types].xml")
            overrides = {el.get("PartName", "").lstrip("/") for el in types.iter(f"{{{CT}}}Override")}
            defaults = {el.get("Extension", "").lower() for el in types.iter(f"{{{CT}}}Default")}
            assert overrides <= names, overrides - names  # no override for a part that is gone
            for name in names - {"[Content_Types].xml"}:
                assert name in overrides or name.rsplit(".", 1)[-1].lower() in defaults, name
            for rels in (n for n in names if n.endswith(".rels")):
                ids = [el.get("Id") for el in _xml(zf, rels).iter(f"{{{PKG_REL}}}Relationship")]
                assert len(ids) == len(set(ids)), (copy.name, rels)
                for el in _xml(zf, rels).iter(f"{{{PKG_REL}}}Relationship"):
                    if el.get("TargetMode") != "External":
                        base = posixpath.dirname(posixpath.dirname(rels))
                        target = el.get("Target", "")
                        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                            posixpath.join(base, target))
                        assert part in names, (rels, target)
            book = _xml(zf, "xl/workbook.xml")
            sheet_names = [el.get("name", "") for el in book.iter(f"{{{MAIN}}}sheet")]
            assert all(0 < len(n) <= 31 for n in sheet_names)
            assert len({n.casefold() for n in sheet_names}) == len(sheet_names)
            styles = _xml(zf, "xl/styles.xml")
            dxfs = len(styles.findall(f"{{{MAIN}}}dxfs/{{{MAIN}}}dxf"))
            xfs = len(styles.findall(f"{{{MAIN}}}cellXfs/{{{MAIN}}}xf"))
            sst = _xml(zf, "xl/sharedStrings.xml") if "xl/sharedStrings.xml" in names else None
            strings = len(sst.findall(f"{{{MAIN}}}si")) if sst is not None else 0
            if sst is not None and sst.get("uniqueCount") is not None:
                assert int(sst.get("uniqueCount", "")) == strings, copy.name
            for name in (n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")):
                sheet = _xml(zf, name)
                for cell in sheet.iter(f"{{{MAIN}}}c"):
                    if cell.get("t") == "s":  # a shared string that is there
                        assert int(cell.findtext(f"{{{MAIN}}}v") or "-1") in range(strings), (name, cell.get("r"))
                for rule in sheet.iter(f"{{{MAIN}}}cfRule"):
                    if rule.get("dxfId") is not None:
                        assert int(rule.get("dxfId", "0")) < dxfs, name
                for cell in sheet.iter(f"{{{MAIN}}}c"):
                    assert int(cell.get("s", "0")) < max(xfs, 1), name
                for link in sheet.iter(f"{{{MAIN}}}hyperlink"):
                    location = link.get("location")
                    if location:
                        target = location.rsplit("!", 1)[0].strip("'").replace("''", "'")
                        assert target in sheet_names, (name, location)
            for name in (n for n in names if re.match(r"xl/comments\d*\.xml$", n)):
                comments = _xml(zf, name)
                authors = len(comments.findall(f"{{{MAIN}}}authors/{{{MAIN}}}author"))
                for comment in comments.iter(f"{{{MAIN}}}comment"):
                    assert int(comment.get("authorId", "0")) < authors, name
