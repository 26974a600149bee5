"""A table published with no value at all is one finding for the table, not one D2 per cell."""

from __future__ import annotations

from pathlib import Path

import corpus
import messy
import pytest

import xlcheck
from xlcheck import Severity

CASES = [(fmt, layout) for fmt in messy.FORMATS for layout in messy.LAYOUTS]
IDS = [f"{fmt}-{layout}" for fmt, layout in CASES]
NUMBER = {"t2": "二", "t3": "三", "t4": "四"}


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
@pytest.mark.parametrize("empty", [("t3",), ("t4",), ("t2", "t3", "t4")], ids="+".join)
def test_an_empty_table_is_one_finding_on_its_first_cell(tmp_path: Path, fmt: str, layout: str,
                                                         empty: tuple[str, ...]) -> None:
    keys = [k for k in corpus.fields(fmt) if k.split(".")[0] in empty]
    # blank, or a placeholder in every cell ("/" as web pages publish it)
    raw = {k: "/" if k.startswith("t4.") else "" for k in keys}
    path = tmp_path / "r.xlsx"
    cells = messy.build(path, fmt, layout=layout, raw=raw)
    report = xlcheck.check(path)
    assert [f.rule for f in report.findings] == ["D2"] * len(empty), report.findings
    for table, finding in zip(empty, report.findings, strict=True):
        mine = [cells[k] for k in keys if k.startswith(table + ".")]
        assert finding.severity is Severity.WARNING and finding.cells == (mine[0],)
        assert f"表{NUMBER[table]}的 {len(mine)} 个数据单元格都没有填写数字" in finding.message
        assert "整张表是空的" in finding.message and "请逐格填 0" in finding.message


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_one_value_left_in_a_table_keeps_the_blanks_on_their_cells(tmp_path: Path, fmt: str, layout: str) -> None:
    keys = [k for k in corpus.fields(fmt) if k.startswith("t4.")]
    path = tmp_path / "r.xlsx"
    values = dict(corpus.consistent_values(fmt, 1))
    values.update(dict.fromkeys(keys, 0))
    cells = messy.build(path, fmt, layout=layout, values=values, raw={k: "" for k in keys[1:]})
    report = xlcheck.check(path)
    assert {f.rule for f in report.findings} == {"D2"}
    assert sorted(c for f in report.findings for c in f.cells) == sorted(cells[k] for k in keys[1:])


@pytest.mark.parametrize("fmt", messy.FORMATS)
@pytest.mark.parametrize("form", ["html", "text"])
def test_a_published_empty_table_is_one_finding_where_it_was_published(tmp_path: Path, fmt: str, form: str) -> None:
    # a web page drops table 四's empty value row: the next section stands under its headers
    report = xlcheck.check(published(tmp_path, fmt, form, ("t3.", "t4.")))
    assert [f.rule for f in report.findings] == ["D2", "D2"], report.findings
    three, four = report.findings
    assert three.message.startswith("表三的") and four.message.startswith("表四的")
    assert three.where is not None and three.where.startswith("表三 第 ")
    assert four.where is not None and four.where.startswith("表四 第 ")


def published(tmp_path: Path, fmt: str, form: str, empty: tuple[str, ...]) -> Path:
    """A published report of ``fmt`` whose tables ``empty`` (key prefixes) have every value cell empty."""
    from dataclasses import replace

    import published_forms as forms

    mark = "987654321"
    values = {k: (float(mark) if k.startswith(empty) else v) for k, v in corpus.consistent_values(fmt, 5).items()}
    items = forms.report_blocks(fmt, values, year=messy.YEAR[fmt])
    items = [(kind, [[replace(c, text="") if c.text == mark else c for c in row] for row in x] if kind == "table"
              else x) for kind, x in items]
    path = tmp_path / ("r.html" if form == "html" else "r.txt")
    path.write_bytes(forms.to_html(items) if form == "html" else forms.to_text(items))
    return path
