"""Bad input never crashes the tool: every malformed or hostile file gets one clear line and exit 3.

The files are built by ``tests/malformed.py``; nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import corpus
import malformed
import openpyxl
import openpyxl.xml
import pytest

import xlcheck
from xlcheck import reader
from xlcheck.annotated_copy import annotate, conversion_note, default_output, needs_conversion
from xlcheck.cli import main
from xlcheck.formulas import FormulaError, evaluate, shift
from xlcheck.prescan import Uncached, scan_sheet_xml
from xlcheck.reader import Formula, ReadError, Sheet, Workbook, read_workbook
from xlcheck.values import parse
from xlcheck.writer import WriteError, clean

#: every refusal is immediate (the bounds are checked before anything is parsed)
SECONDS_PER_FILE = 5.0


#: a directory named like a workbook: the command line walks folders (batch input), the API refuses it
DIRECTORY = "folder.xlsx"


@pytest.fixture(scope="session")
def bad(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The malformed corpus, without the directory (see :func:`test_a_directory_is_not_a_workbook`)."""
    folder = tmp_path_factory.mktemp("malformed")
    expect = malformed.build_bad(folder)
    assert expect.pop(DIRECTORY) == "directory"
    return folder, expect


def test_a_directory_is_not_a_workbook(bad: tuple[Path, dict[str, str]]) -> None:
    report = xlcheck.check(bad[0] / DIRECTORY)
    assert report.error is not None and DIRECTORY in report.error and "directory" in report.error


@pytest.fixture(scope="session")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return malformed.build_legacy(tmp_path_factory.mktemp("legacy"))


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["check", *args, "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


# ---------------------------------------------------------------------------------------- refusals


def test_every_malformed_file_gets_exit_3_and_one_clear_line(bad: tuple[Path, dict[str, str]],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    folder, expect = bad
    assert len(expect) >= 20
    for name, word in sorted(expect.items()):
        start = time.perf_counter()
        code, out, err = run_json(capsys, str(folder / name), "--no-annotate")
        elapsed = time.perf_counter() - start
        assert code == 3, name
        (report,) = out["reports"]
        message = report["error"]
        assert name in message and "\n" not in message, message
        assert word.lower() in message.lower(), (name, message)
        assert re.search(r"[\u4e00-\u9fff]", message), message  # Chinese first, English in brackets
        assert "Traceback" not in err
        assert elapsed < SECONDS_PER_FILE, (name, elapsed)


def test_a_mixed_list_is_checked_to_the_end(bad: tuple[Path, dict[str, str]], legacy: dict[str, Path],
                                           tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, expect = bad
    good, last = tmp_path / "good.xlsx", tmp_path / "last.xlsx"
    corpus.write_report(good, "2021", corpus.consistent_values("2021", 5), year=2022)
    corpus.write_report(last, "2019", corpus.consistent_values("2019", 5), year=2020)
    files = [str(good), *(str(folder / n) for n in sorted(expect)), str(legacy["xls"]), str(last)]
    code, out, err = run_json(capsys, *files, "--no-annotate")
    assert code == 3
    assert [r["path"] for r in out["reports"]] == files
    assert [("error" in r) for r in out["reports"]] == [False, *([True] * len(expect)), False, False]
    assert "Traceback" not in err


def test_a_fresh_process_over_the_corpus_stays_within_memory(bad: tuple[Path, dict[str, str]], tmp_path: Path,
                                                             legacy: dict[str, Path]) -> None:
    """One real process, with its address space capped: a hostile file must not even try to allocate."""
    folder, expect = bad
    good = tmp_path / "good.xlsx"
    corpus.write_report(good, "2019", corpus.consistent_values("2019", 2), year=2020)
    files = [str(folder / n) for n in sorted(expect)] + [str(good), str(legacy["ods"])]
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20)); "
    code = limit + "import sys; from xlcheck.cli import main; sys.exit(main(sys.argv[1:]))"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, "check", *files, "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert time.perf_counter() - start < 60
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr, done.stderr
    reports = json.loads(done.stdout)["reports"]
    assert len(reports) == len(files)
    assert all("error" in r for r in reports[:-2]) and all("error" not in r for r in reports[-2:])
    assert default_output(good).exists()  # the good file was annotated after all the bad ones


def test_the_bounds_are_what_the_readme_says() -> None:
    assert reader.MAX_UNPACKED == 200 * 2**20
    assert reader.MAX_PART == 32 * 2**20
    assert reader.MAX_RATIO == 100
    assert reader.MAX_CELLS == 4_000_000
    assert (reader.MAX_ROWS, reader.MAX_COLS) == (2000, 60)


def test_unreadable_permissions_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "report.xlsx"
    corpus.write_report(path, "2021", corpus.consistent_values("2021", 1), year=2022)

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(reader, "open", denied, raising=False)
    report = xlcheck.check(path)
    assert report.error is not None and "report.xlsx" in report.error and "permission" in report.error


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="running as root: chmod 000 does not stop root from reading")
def test_a_file_without_read_permission(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    corpus.write_report(path, "2021", corpus.consistent_values("2021", 1), year=2022)
    path.chmod(0)
    try:
        report = xlcheck.check(path)
    finally:
        path.chmod(0o644)
    assert report.error is not None and "permission" in report.error


def test_a_workbook_open_in_excel_is_still_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The ``~$`` owner file beside an open workbook is no reason to refuse the workbook itself."""
    path = tmp_path / "report.xlsx"
    corpus.write_report(path, "2021", corpus.consistent_values("2021", 1), year=2022)
    (tmp_path / "~$report.xlsx").write_bytes(b"\x05Zhang" + b"\x00" * 50)
    code, out, _ = run_json(capsys, str(path), str(tmp_path / "~$report.xlsx"), "--no-annotate")
    assert code == 3
    first, lock = out["reports"]
    assert "error" not in first and first["findings"] == []
    assert "lock file" in lock["error"]


# ---------------------------------------------------------------------------------------- hostile XML


def test_openpyxl_parses_with_defusedxml() -> None:
    assert openpyxl.xml.DEFUSEDXML is True


def test_entity_expansion_is_refused_or_harmless_everywhere(bad: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path = bad[0] / "billion-laughs.xlsx"
    start = time.perf_counter()
    with pytest.raises(ReadError, match="entit"):
        read_workbook(path)
    with pytest.raises(Exception) as refused:  # openpyxl wraps defusedxml's EntitiesForbidden
        openpyxl.load_workbook(path)
    chain, error = [], refused.value
    while error is not None:
        chain.append(type(error).__name__)
        error = error.__cause__ or error.__context__
    assert "EntitiesForbidden" in chain
    # the writer's own parser never expands entities: it either refuses or copies them unexpanded
    try:
        clean(path, tmp_path / "out.xlsx")
    except WriteError:
        pass
    else:
        with zipfile.ZipFile(tmp_path / "out.xlsx") as zf:
            assert len(zf.read("xl/worksheets/sheet1.xml")) < 10_000
    assert time.perf_counter() - start < 5


def test_a_span_bomb_is_refused_before_calamine_allocates(tmp_path: Path) -> None:
    path = tmp_path / "corner.xlsx"
    malformed._package(path, malformed.corner_cells_sheet())
    with pytest.raises(ReadError, match="cells span"):
        read_workbook(path)


def test_a_far_but_small_span_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "far.xlsx"
    malformed._package(path, malformed.SHEET_HEAD + '<row r="1"><c r="A1"><v>1</v></c></row>'
                       '<row r="30000"><c r="B30000"><v>2</v></c></row>' + malformed.SHEET_TAIL)
    book = read_workbook(path)
    assert book.sheets[0].value(0, 0) == 1.0 and len(book.sheets[0].rows) == reader.MAX_ROWS


# ---------------------------------------------------------------------------------------- other formats


@pytest.mark.parametrize("kind", ["xls", "ods", "xlsx-as-xls", "xls-as-xlsx"])
def test_other_formats_are_checked(kind: str, legacy: dict[str, Path]) -> None:
    report = xlcheck.check(legacy[kind])
    assert report.error is None, report.error
    assert report.format == "2021" and report.findings == []


def test_an_xls_report_is_annotated_as_a_new_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "source.xlsx"
    values = corpus.consistent_values("2021", 4)
    values["t3.total.natural"] = int(values["t3.total.natural"]) + 1
    cells = corpus.write_report(source, "2021", values, year=2022)
    sheets = malformed.grid_of(source)
    path = tmp_path / "镇政府年报.xls"
    path.write_bytes(malformed.xls_bytes(sheets))
    original = path.read_bytes()
    assert needs_conversion(path) and ".xls" in conversion_note(path) and not conversion_note(source)

    code, out, err = run_json(capsys, str(path))
    assert code == 1, err
    wrong = cells["t3.total.natural"]
    assert any(wrong in f["cells"] for f in out["reports"][0]["findings"])
    copy = tmp_path / "镇政府年报.checked.xlsx"
    assert copy.exists() and path.read_bytes() == original
    book = openpyxl.load_workbook(copy)
    assert book.sheetnames[0] == "校验结果" and book.sheetnames[1:] == [name for name, _, _ in sheets]
    ws = book[sheets[0][0]]
    _, grid, merges = sheets[0]
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if value not in (None, ""):
                assert ws.cell(r + 1, c + 1).value == value, (r, c)
    assert {str(m) for m in ws.merged_cells.ranges} == {
        f"{openpyxl.utils.get_column_letter(c1 + 1)}{r1 + 1}:{openpyxl.utils.get_column_letter(c2 + 1)}{r2 + 1}"
        for r1, c1, r2, c2 in merges}
    assert ws[wrong.split("!")[1]].comment is not None


def test_an_explicit_output_for_an_xls_gets_the_xlsx_suffix(legacy: dict[str, Path], tmp_path: Path) -> None:
    report = xlcheck.check(legacy["xls"])
    written = annotate(report, tmp_path / "copy.xls")
    assert written == tmp_path / "copy.xlsx" and zipfile.is_zipfile(written)
    assert not (tmp_path / "copy.xls").exists()


# ---------------------------------------------------------------------------------------- typed values


@pytest.mark.parametrize(("raw", "rule", "status"), [
    ("5", "D3", "text"),
    ("５", "D3", "text"),            # full-width digit
    ("1,234", "D3", "text"),         # thousands separator, as text
    ("5件", "D3", "unit"),
    ("3 元", "D3", "unit"),
    ("—", "D2", "placeholder"),
    ("/", "D2", "placeholder"),
    ("无", "D2", "placeholder"),
    ("", "D2", "blank"),
    (2.5, "D1", "number"),           # a decimal where a count belongs
    (-1, "D1", "number"),
    ("五", "D1", "invalid"),
])
def test_values_as_people_type_them_are_findings_on_their_cell(raw: object, rule: str, status: str,
                                                               check_values: Any) -> None:
    key = "t4.review.upheld"
    values = corpus.consistent_values("2021", 7)
    report, cells = check_values("2021", values, raw={key: raw})
    assert report.error is None
    assert any(f.rule == rule and cells[key] in f.cells for f in report.findings), report.findings
    assert parse(key, cells[key], raw).status == status


def _cache(path: Path, results: dict[str, float]) -> None:
    """Give openpyxl's formula cells (``<f>..</f><v></v>``) a saved result, as Excel would."""
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    for name, data in parts.items():
        if name.startswith("xl/worksheets/"):
            for ref, value in results.items():
                data = re.sub(rb'(<c r="' + ref.encode() + rb'"[^>]*>)(<f>.*?</f>)<v\s*(?:/>|></v>)',
                              rb"\1\2<v>" + str(value).encode() + b"</v>", data)
            parts[name] = data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def _sum_formula(cells: dict[str, str], keys: list[str]) -> str:
    return "=SUM(" + ",".join(cells[k].split("!")[1] for k in keys) + ")"


def test_formulas_with_saved_results_use_the_result(tmp_path: Path) -> None:
    values = corpus.consistent_values("2021", 8)
    key = "t4.review.total"
    parts = [f"t4.review.{k}" for k in ("upheld", "corrected", "other", "pending")]
    path = tmp_path / "cached.xlsx"
    cells = corpus.write_report(path, "2021", values, year=2022)
    cells = corpus.write_report(path, "2021", values, year=2022, raw={key: _sum_formula(cells, parts)})
    _cache(path, {cells[key].split("!")[1]: float(values[key]) + 1})  # a stale saved result
    report = xlcheck.check(path)
    assert [f.rule for f in report.findings if f.rule != "FIX"] == ["T4-SUM"]
    assert cells[key] in report.findings[0].cells


def test_formulas_without_saved_results_are_computed_and_flagged(tmp_path: Path) -> None:
    values = corpus.consistent_values("2021", 9)
    key = "t4.review.total"
    parts = [f"t4.review.{k}" for k in ("upheld", "corrected", "other", "pending")]
    path = tmp_path / "script.xlsx"
    cells = corpus.write_report(path, "2021", values, year=2022)
    cells = corpus.write_report(path, "2021", values, year=2022, raw={key: _sum_formula(cells, parts)})
    report = xlcheck.check(path)
    assert [(f.rule, f.severity.value, f.cells) for f in report.findings] == [("D3", "warning", (cells[key],))]
    assert f"算得 {values[key]}" in report.findings[0].message
    # a wrong formula is computed and caught like a wrong number
    wrong = "=" + "+".join(cells[k].split("!")[1] for k in parts[:3])
    cells = corpus.write_report(path, "2021", values, year=2022, raw={key: wrong})
    rules = {f.rule for f in xlcheck.check(path).findings}
    assert ("T4-SUM" in rules) == (values[parts[3]] != 0) and "D3" in rules


def test_formulas_that_cannot_be_computed_are_never_blank(tmp_path: Path) -> None:
    values = corpus.consistent_values("2021", 10)
    key = "t4.review.upheld"
    path = tmp_path / "lookup.xlsx"
    cells = corpus.write_report(path, "2021", values, year=2022, raw={key: "=VLOOKUP(A1,B1:C9,2,0)"})
    report = xlcheck.check(path)
    (finding,) = [f for f in report.findings if cells[key] in f.cells]
    assert finding.rule == "D1" and "VLOOKUP" in finding.message and "公式" in finding.message
    assert all(f.rule != "D2" for f in report.findings)  # not reported as a blank cell


def _grid_book(rows: list[list[object]], name: str = "表") -> tuple[Workbook, Sheet]:
    sheet = Sheet(name, rows)
    return Workbook("x.xlsx", [sheet, Sheet("Other Sheet", [[10.0, "7", "x"]])]), sheet


@pytest.mark.parametrize(("formula", "expected"), [
    ("=1+2*3", 7.0), ("=(1+2)*3", 9.0), ("=-A1+B1", 1.0), ("=2^3^2", 64.0), ("=50%*A1", 0.5),
    ("=SUM(A1:B2)", 10.0), ("=SUM(A1:B2,5)", 15.0), ("=SUM(A1,B1)-C1", -1.0), ("=MAX(A1:B2)-MIN(A1:B2)", 3.0),
    ("='Other Sheet'!A1+Other_Sheet_missing_ok", None), ("='Other Sheet'!A1*2", 20.0), ("='Other Sheet'!B1+1", 8.0),
    ("=ROUND(2.5,0)+ABS(-1)+INT(1.9)", 5.0), ("=AVERAGE(A1:B2)", 2.5), ("=$A$1+A$2", 4.0),
    ("=A1/0", None), ("=VLOOKUP(1,A1:B2,2)", None), ("='Other Sheet'!C1+1", None), ("=[1]Sheet1!A1", None),
    ("=A1:B2", None), ("=\"a\"", None), ("=SUM(", None), ("=1+", None), ("=A1 A2", None), ("=Nope!A1", None),
])
def test_the_formula_evaluator(formula: str, expected: float | None) -> None:
    book, sheet = _grid_book([[1.0, 2.0, 4.0], [3.0, 4.0, "text"]])
    if expected is None:
        with pytest.raises(FormulaError):
            evaluate(formula, sheet, book)
    else:
        assert evaluate(formula, sheet, book) == pytest.approx(expected)


def test_formula_cycles_and_chains() -> None:
    book, sheet = _grid_book([[Formula("=B1+1"), Formula("=C1*2"), 3.0], [Formula("=A2")]])
    assert evaluate("=A1", sheet, book) == 7.0
    with pytest.raises(FormulaError, match="循环"):
        evaluate("=A2", sheet, book)


def test_uncached_cells_and_shared_formulas() -> None:
    xml = (b'<sheetData><row r="2"><c r="B2"><f t="shared" ref="B2:B4" si="0">A2+$A$1</f><v></v></c>'
           b'<c r="C2"><f>A2&amp;"x"</f><v>1x</v></c><c r="D2" t="str"><f>""</f><v></v></c></row>'
           b'<row r="3"><c r="B3"><f t="shared" si="0"/></c></row>'
           b'<row r="4"><c r="B4"><f t="shared" si="0"/><v>9</v></c></row></sheetData>')
    assert scan_sheet_xml(xml).uncached == [Uncached(1, 1, "=A2+$A$1"), Uncached(2, 1, "=A2+$A$1", 1, 0)]
    assert shift("SUM(A1:B2)+'S 1'!C3+$D$4+\"A1\"", 2, 1) == "SUM(B3:C4)+'S 1'!D5+$D$4+\"A1\""


# ---------------------------------------------------------------------------------------- sniffing


def test_the_lock_file_and_output_names() -> None:
    assert reader.is_lock_file("~$年报.xlsx") and not reader.is_lock_file("年报.xlsx")
    assert default_output("a/年报.xls") == Path("a/年报.checked.xlsx")
    assert default_output("a/年报.ods") == Path("a/年报.checked.xlsx")
    assert default_output("a/年报.xlsm") == Path("a/年报.checked.xlsm")


def test_a_formula_too_large_to_compute_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    values = corpus.consistent_values("2021", 3)
    path = tmp_path / "overflow.xlsx"
    cells = corpus.write_report(path, "2021", values, year=2022,
                                raw={"t3.public.natural": "=ROUND(1,400)", "t3.public.legal": "=INT(1E999)"})
    report = xlcheck.check(path)
    assert report.error is None
    flagged = {f.cells[0] for f in report.findings if f.rule == "D1"}
    assert {cells["t3.public.natural"], cells["t3.public.legal"]} <= flagged


# ---------------------------------------------------------------------------------------- deep formulas


@pytest.mark.parametrize("formula", [
    "=" + "(" * 1000 + "1" + ")" * 1000,  # nested a thousand deep: computed
    "=" + "-" * 50000 + "1",  # longer than Excel allows: refused with the reason
])
def test_deep_and_long_formulas_are_a_finding_on_their_cell(tmp_path: Path, formula: str) -> None:
    values = corpus.consistent_values("2021", 4)
    path = tmp_path / "deep.xlsx"
    key = "t3.public.natural"
    cells = corpus.write_report(path, "2021", values, year=2022, raw={key: formula})
    report = xlcheck.check(path)
    assert report.error is None, report.error
    on_cell = [f for f in report.findings if cells[key] in f.cells]
    if formula.startswith("=("):
        assert all(f.rule != "D1" for f in on_cell)  # 1 was computed
    else:
        assert [f.rule for f in on_cell] == ["D1"] and "8192" in on_cell[0].message
    assert report.format == "2021"  # the rest of the workbook was checked


def test_a_long_chain_of_formula_cells_is_computed_without_recursion() -> None:
    # A1 = B1 + 1, B1 = A2 + 1, A2 = B2 + 1, ... : a chain of 3998 cells, none a RecursionError
    rows: list[list[object]] = [[Formula(f"=B{r + 1}+1"), Formula(f"=A{r + 2}+1")] for r in range(1999)] + [[1.0]]
    book, sheet = _grid_book(rows)
    assert evaluate("=A1", sheet, book) == 3999.0


def test_a_damaged_local_header_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    corpus.write_report(path, "2021", corpus.consistent_values("2021", 5), year=2022)
    data = bytearray(path.read_bytes())
    # the end record's offset of the central directory, moved past where it is: every local header
    # offset the zip reader works out from it is negative (EINVAL on seek)
    end = data.rfind(b"PK\x05\x06")
    offset = int.from_bytes(data[end + 16:end + 20], "little")
    data[end + 16:end + 20] = (offset + 0x100000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    report = xlcheck.check(path)
    assert report.error is not None and "damaged" in report.error and "internal" not in report.error


def test_the_pre_scan_finds_a_declaration_or_a_formula_wherever_it_is() -> None:
    """The pre-scan looks for ``<!`` and ``<f``/``:f`` from their rare second byte: it must find them
    exactly where a plain search does, also past the occurrences it looks at one by one."""
    import random

    from xlcheck.prescan import _PAIR_TRIES, _may_hold_formulas, _provably_small

    rng = random.Random(15)
    many = b"<c r=\"A1\"><v>f</v></c>" * (_PAIR_TRIES + 5)  # more lone f's than looked at one by one
    samples = [b"", b"f", b"<f", b"x:f", b"<!", b"!<", many, many + b"<f>1</f>", many + b"<!-- -->"]
    samples += [bytes(rng.choice(b"<:f!a/") for _ in range(rng.randrange(40))) for _ in range(3000)]
    for data in samples:
        assert _may_hold_formulas(data) == (b"<f" in data or b":f" in data), data
    sheet = b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>'
    assert _provably_small(sheet)
    assert not _provably_small(sheet.replace(b"<sheetData>", b"<!-- x --><sheetData>"))
    assert not _provably_small(many.replace(b"<v>f", b"<v>!") + b"<!DOCTYPE x>" + sheet)


def test_the_pre_scan_reads_a_package_in_memory_as_zipfile_reads_it(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A small package is read into memory and its members inflated straight from its bytes: the
    pre-scan must come to what reading each member with zipfile comes to, refusals and damage too."""
    from xlcheck import prescan

    malformed.build_bad(tmp_path / "bad", heavy=False)
    paths = [p for p in (tmp_path / "bad").iterdir() if p.is_file()]
    paths += list(malformed.build_legacy(tmp_path / "legacy").values())
    formulas = tmp_path / "formulas.xlsx"
    corpus.write_report(formulas, "2021", corpus.consistent_values("2021", 2), year=2022,
                        raw={"t3.public.natural": "=1+2", "t3.public.legal": "=SUM(A1:A2)"})
    paths.append(formulas)
    data = formulas.read_bytes()
    with zipfile.ZipFile(formulas) as zf:
        infos = zf.infolist()
    for n, info in enumerate(infos):  # each member damaged in turn: its CRC no longer matches
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        damaged = bytearray(data)
        damaged[start + info.compress_size // 2] ^= 0x55
        paths.append(tmp_path / f"damaged-{n}.xlsx")
        paths[-1].write_bytes(bytes(damaged))
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(formulas) as zin, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
    paths.append(stored)

    def outcome(path: Path) -> object:
        try:
            return prescan.scan(str(path))
        except Exception as exc:  # the very exception is what is compared
            return type(exc), str(exc)

    zipped = [p for p in paths if p.read_bytes()[:2] == b"PK"]
    assert len(zipped) > 20
    in_memory = [outcome(p) for p in zipped]
    monkeypatch.setattr(prescan, "_IN_MEMORY", -1)
    assert in_memory == [outcome(p) for p in zipped]
    assert any(isinstance(o, prescan.Package) and o.formulas for o in in_memory)
    # the parts the pre-scan reads (the relationships, the workbook, the sheet), each found damaged
    assert sum(isinstance(o, tuple) and "damaged" in o[1] for o in in_memory) >= 4
