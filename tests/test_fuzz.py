"""Fuzzing the reader: mutated bytes of a real report never raise, they come back as ``Report.error``
(or as a report, when the mutation left a readable workbook). Bounded by ``max_examples``.

Both official formats (2019 and 2021) are mutated, and so are both bomb families the pre-scan bounds
(a sheet naming a far cell, an .ods repeating one cell across millions): a mutated bomb must still be
refused or read within the bounds, never take the process down."""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
import zipfile
from pathlib import Path

import corpus
import malformed
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xlcheck
from xlcheck.writer import WriteError, annotate

SETTINGS = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)


@pytest.fixture(scope="module", params=["2021", "2019"])
def report_bytes(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
                 ) -> tuple[bytes, dict[str, bytes]]:
    path = tmp_path_factory.mktemp("fuzz") / "report.xlsx"
    corpus.write_report(path, request.param, corpus.consistent_values(request.param, 3), year=2022, sheets="three")
    with zipfile.ZipFile(path) as zf:
        return path.read_bytes(), {n: zf.read(n) for n in zf.namelist()}


edits = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.binary(min_size=0, max_size=8),
                           st.integers(0, 8)), min_size=1, max_size=6)


def mutate(data: bytes, changes: list[tuple[float, bytes, int]]) -> bytes:
    """Replace ``cut`` bytes at each relative position with the given bytes."""
    out = bytearray(data)
    for where, insert, cut in changes:
        at = int(where * len(out))
        out[at:at + cut] = insert
    return bytes(out)


def _check_bytes(data: bytes, suffix: str = ".xlsx") -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzzed{suffix}"
        path.write_bytes(data)
        start = time.perf_counter()
        report = xlcheck.check(path)  # must not raise
        assert time.perf_counter() - start < 2
        if report.error is not None:
            assert "fuzzed" in report.error and "\n" not in report.error
            return
        with contextlib.suppress(WriteError):  # a readable mutation annotates, or is refused cleanly
            annotate(path, Path(folder) / "out.xlsx", report)


@SETTINGS
@given(changes=edits)
def test_mutated_file_bytes(report_bytes: tuple[bytes, dict[str, bytes]], changes: list[tuple[float, bytes, int]]
                            ) -> None:
    _check_bytes(mutate(report_bytes[0], changes))


@SETTINGS
@given(part=st.sampled_from(["xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                             "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"]),
       changes=edits, drop=st.booleans())
def test_mutated_xml_parts(report_bytes: tuple[bytes, dict[str, bytes]], part: str,
                           changes: list[tuple[float, bytes, int]], drop: bool) -> None:
    """Damage inside a well-formed zip reaches the XML parsers, not just the zip reader."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in report_bytes[1].items():
            if name == part and drop:
                continue
            zf.writestr(name, mutate(data, changes) if name == part else data)
    _check_bytes(buffer.getvalue())


@SETTINGS
@given(changes=edits)
def test_mutated_xls(tmp_path_factory: pytest.TempPathFactory, changes: list[tuple[float, bytes, int]]) -> None:
    global _XLS
    if _XLS is None:
        _XLS = malformed.build_legacy(tmp_path_factory.mktemp("fuzz-xls"))["xls"].read_bytes()
    _check_bytes(mutate(_XLS, changes), ".xls")


_XLS: bytes | None = None


BOMB_SETTINGS = settings(max_examples=60, deadline=4000, suppress_health_check=[HealthCheck.too_slow,
                         HealthCheck.function_scoped_fixture], derandomize=True)
#: the bytes mutations draw from: digits, letters and the characters that change how a cell is spelt
_BOMB_BYTES = st.binary(min_size=0, max_size=6) | st.sampled_from(
    [b"9", b"99", b"Z", b"XFD", b"'", b'"', b" ", b"\n", b"=", b":", b"&#88;", b"x:", b"r=", b"$"])
bomb_edits = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), _BOMB_BYTES, st.integers(0, 4)),
                      min_size=1, max_size=6)


@BOMB_SETTINGS
@given(which=st.sampled_from([*sorted(malformed.far_cell_sheets()), "corner"]), changes=bomb_edits)
def test_mutated_far_cell_bombs(which: str, changes: list[tuple[float, bytes, int]]) -> None:
    sheet = malformed.corner_cells_sheet() if which == "corner" else malformed.far_cell_sheets()[which]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bomb.xlsx"
        malformed._package(path, mutate(sheet.encode(), changes))
        _check_bytes(path.read_bytes())


@BOMB_SETTINGS
@given(changes=bomb_edits)
def test_mutated_ods_repeat_bombs(changes: list[tuple[float, bytes, int]]) -> None:
    with zipfile.ZipFile(io.BytesIO(malformed.ods_repeat_bomb())) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    content = parts["content.xml"]
    at = content.index(b"<table:table-row")  # mutate the rows, where the repeats are
    parts["content.xml"] = content[:at] + mutate(content[at:], changes)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    _check_bytes(buffer.getvalue(), ".ods")
