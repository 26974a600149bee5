"""Every official label is recognised by its place and likeness; a row or column that is not there
stops the rules that need it (and says so) instead of bending them; rows that are not in the format
are errors on their cells."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import corpus
import messy
import pytest

import xlcheck
from xlcheck import Severity

CASES = [(fmt, layout) for fmt in messy.FORMATS for layout in messy.LAYOUTS]
IDS = [f"{fmt}-{layout}" for fmt, layout in CASES]


def by_rule(report: xlcheck.Report) -> dict[str, list[xlcheck.Finding]]:
    out: dict[str, list[xlcheck.Finding]] = {}
    for f in report.findings:
        out.setdefault(f.rule, []).append(f)
    return out


# (format or None for both, official label, as published, a field of that row or column)
MISSPELT = [
    (None, "行政事业性收费", "行政收费", "t2.art20_8.fees.{}"),
    ("2019", "规范性文件", "规范文件", "t2.art20_1.normative.made"),
    ("2021", "行政规范性文件", "规范文件", "t2.art20_1.normative.made"),
    ("2021", "行政规范性文件", "规范性文件", "t2.art20_1.normative.in_force"),  # the 2019 label
    ("2019", "其他对外管理服务事项", "其他对外服务事项", "t2.art20_5.other_services.decisions"),
    ("2019", "本年新公开数量", "本年公开数量", "t2.art20_1.normative.published"),
    (None, "未经复议直接起诉", "未经复议起诉", "t4.direct.pending"),
    (None, "社会公益组织", "社会公组织", "t3.withheld_2.nonprofit"),
    (None, "4.保护第三方合法权益", "4.保护第三方权益", "t3.withheld_4.legal"),
    (None, "（七）总计", "（七）", "t3.total.natural"),
    (None, "3.要求提供公开出版物", "3.", "t3.unprocessed_3.other_org"),
    (None, "第二十条第（六）项", "第二十条第六项", "t2.art20_6.penalty.decisions"),
]
MISSPELT_CASES = [(fmt, layout, *m) for fmt, layout in CASES for m in MISSPELT if m[0] in (None, fmt)]


@pytest.mark.parametrize(("fmt", "layout", "_", "official", "typed", "field"), MISSPELT_CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[4]}" for c in MISSPELT_CASES])
def test_a_misspelt_label_is_read_by_its_place_and_reported_on_its_cell(
        tmp_path: Path, fmt: str, layout: str, _: Any, official: str, typed: str, field: str) -> None:
    field = field.format("amount" if fmt == "2021" else "prev_items")
    path = tmp_path / "r.xlsx"
    cells = messy.build(path, fmt, layout=layout)
    where = messy.relabel(path, official, typed)
    report = xlcheck.check(path)
    s2 = by_rule(report).pop("S2")
    assert {f.severity for f in s2} == {Severity.WARNING}
    # (a column header repeated after a page break is only read once)
    assert where[0] in {f.cells[0] for f in s2} and {f.cells[0] for f in s2} <= set(where)
    assert all(typed in f.message and official in f.message for f in s2)
    assert report.ok and set(by_rule(report)) == {"S2"}, report.findings
    # the row's or column's values are read: an unreadable one is found on its cell
    messy.build(path, fmt, layout=layout, raw={field: "abc"})
    messy.relabel(path, official, typed)
    (d1,) = by_rule(xlcheck.check(path))["D1"]
    assert d1.cells == (cells[field],)


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_drift_inside_labels_is_not_even_nonstandard(tmp_path: Path, fmt: str, layout: str) -> None:
    path = tmp_path / "r.xlsx"
    messy.build(path, fmt, layout=layout)
    messy.relabel(path, "社会公益组织", "社会公益 组织")
    messy.relabel(path, "三、本年度办理结果", "三、本年度办 理结果")
    messy.relabel(path, "结果维持", "结\n果\n维\n持")
    messy.relabel(path, "二、上年结转政府信息公开申请数量", "二、上年结转政府信息 公开申请数量")
    assert xlcheck.check(path).findings == []


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_a_row_not_found_stops_its_rules_instead_of_bending_them(tmp_path: Path, fmt: str, layout: str) -> None:
    path = tmp_path / "r.xlsx"
    values = corpus.consistent_values(fmt, 2)
    values["t3.new.natural"] += 5  # a real slip, which T3-ID can no longer see without （七）
    values["t3.new.total"] += 5
    cells = messy.build(path, fmt, layout=layout, values=values)
    messy.relabel(path, "（七）总计", "小计合计")
    found = by_rule(xlcheck.check(path))
    (unknown,) = [f for f in found["S2"] if f.severity is Severity.ERROR and f.cells]
    assert "小计合计" in unknown.message
    assert [f.cells for f in found["S2"] if not f.cells] == [()]  # the missing row, once
    for rule in ("T3-ID", "T3-RES", "T3-ROW"):
        (finding,) = found[rule]
        assert (finding.severity, finding.cells) == (Severity.WARNING, ())
        assert "未能核对" in finding.message and "三（七）总计" in finding.message
    assert cells  # nothing else: no equation without its （七） term
    assert set(found) == {"S2", "T3-ID", "T3-RES", "T3-ROW"}


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_a_column_not_found_stops_only_what_needs_it(tmp_path: Path, fmt: str, layout: str) -> None:
    path = tmp_path / "r.xlsx"
    values = corpus.consistent_values(fmt, 3)
    values["t3.public.natural"] += 1  # still caught: the 自然人 column is there
    cells = messy.build(path, fmt, layout=layout, values=values)
    messy.relabel(path, "法律服务机构", None)
    found = by_rule(xlcheck.check(path))
    assert [f.severity for f in found["S2"]] == [Severity.ERROR] and "法律服务机构" in found["S2"][0].message
    res = found["T3-RES"]
    assert [f.cells[0] for f in res if f.severity is Severity.ERROR] == [cells["t3.total.natural"]]
    assert [f.severity for f in found["T3-ROW"]] == [Severity.WARNING]  # every row needs 法律服务机构
    assert "法律服务机构" in found["T3-ROW"][0].message


def test_table_four_missing_entirely_is_one_s2_and_one_note_for_t4_sum(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    messy.build(path, "2021", layout="three-sheet")
    messy.edit(path, lambda wb: wb.remove(wb["复议诉讼"]))
    found = by_rule(xlcheck.check(path))
    assert set(found) == {"S2", "T4-SUM"}
    assert len(found["S2"]) == 1 and len(found["T4-SUM"]) == 1
    assert "3 处未能核对" in found["T4-SUM"][0].message


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_an_extra_row_in_table_two_is_an_error_on_its_cell(tmp_path: Path, fmt: str, layout: str) -> None:
    blocks = messy.with_row(corpus._t2_blocks(fmt), "art20_5", "licensing", ("confirm", "行政确认"))
    values = corpus.consistent_values(fmt, 4)
    block = next(b for b in blocks if b.key == "art20_5")
    values.update({f"t2.art20_5.confirm.{col}": 3 for col, _ in block.cols})
    path = tmp_path / "r.xlsx"
    cells = messy.build(path, fmt, layout=layout, values=values, t2_blocks=blocks)
    (finding,) = xlcheck.check(path).findings
    assert (finding.rule, finding.severity) == ("S2", Severity.ERROR)
    assert "行政确认" in finding.message and "不是" in finding.message
    sheet, row, col = messy.ref(cells, f"t2.art20_5.confirm.{block.cols[0][0]}")
    assert finding.cells == (f"{sheet}!{chr(ord('A') + col - 2)}{row}",)


def _with_subtotal(fmt: str) -> tuple[tuple[str, str | None, str], ...]:
    rows = corpus.T3_RESULT_ROWS_2019 if fmt == "2019" else corpus.T3_RESULT_ROWS_2021
    at = [key for key, _, _ in rows].index("withheld_1")
    return (*rows[:at], ("withheld_sum", None, "（三）不予公开"), *rows[at:])


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_a_subtotal_row_is_not_a_row_of_the_format(tmp_path: Path, fmt: str, layout: str) -> None:
    values: dict[str, Any] = dict(corpus.consistent_values(fmt, 5))
    for col, _ in corpus.T3_COLS:
        values[f"t3.withheld_sum.{col}"] = sum(values[f"t3.withheld_{i}.{col}"] for i in range(1, 9))
    path = tmp_path / "r.xlsx"
    cells = messy.build(path, fmt, layout=layout, values=values, t3_results=_with_subtotal(fmt))
    (finding,) = xlcheck.check(path).findings
    assert (finding.rule, finding.severity) == ("S2", Severity.ERROR)
    assert "小计行" in finding.message and "请删除" in finding.message and "旧格式" not in finding.message
    sheet, row, _ = messy.ref(cells, "t3.withheld_sum.natural")
    assert finding.cells[0].startswith(f"{sheet}!") and finding.cells[0].endswith(str(row))


@pytest.mark.parametrize("fmt", messy.FORMATS)
def test_a_group_typed_as_one_row_is_one_error_and_its_sums_unchecked(tmp_path: Path, fmt: str) -> None:
    rows = corpus.T3_RESULT_ROWS_2019 if fmt == "2019" else corpus.T3_RESULT_ROWS_2021
    collapsed = tuple(r for r in rows if not r[0].startswith("unavailable_"))
    at = [key for key, _, _ in rows].index("unavailable_1")
    collapsed = (*collapsed[:at], ("unavailable", None, "（四）无法提供"), *collapsed[at:])
    values: dict[str, Any] = dict(corpus.consistent_values(fmt, 6))
    for col, _ in corpus.T3_COLS:
        values[f"t3.unavailable.{col}"] = sum(values.pop(f"t3.unavailable_{i}.{col}") for i in range(1, 4))
    path = tmp_path / "r.xlsx"
    messy.build(path, fmt, values=values, t3_results=collapsed)
    found = by_rule(xlcheck.check(path))
    (s2,) = found["S2"]
    assert "应分为 3 行" in s2.message and s2.cells
    assert [f.severity for f in found["T3-RES"]] == [Severity.WARNING]
    assert [f.severity for f in found["T3-ROW"]] == [Severity.WARNING]
    assert set(found) == {"S2", "T3-RES", "T3-ROW"}


@pytest.mark.parametrize("layout", messy.LAYOUTS)
def test_a_2021_table_three_with_the_single_2019_other_row_is_read(tmp_path: Path, layout: str) -> None:
    values: dict[str, Any] = dict(corpus.as_2019_other(corpus.consistent_values("2021", 7)))
    path = tmp_path / "r.xlsx"
    cells = messy.build(path, "2021", layout=layout, values=values, t3_format="2019")
    (finding,) = xlcheck.check(path).findings
    assert (finding.rule, finding.severity) == ("S2", Severity.ERROR)
    assert "其他处理" in finding.message and "旧格式" in finding.message and "3 行" in finding.message
    assert finding.cells
    # its values are （六）'s in the sums: a slip in it is found like any other
    values["t3.other.natural"] += 1
    messy.build(path, "2021", layout=layout, values=values, t3_format="2019")
    found = by_rule(xlcheck.check(path))
    assert [f.cells[0] for f in found["T3-RES"]] == [cells["t3.total.natural"]]
    assert cells["t3.other.natural"] in found["T3-RES"][0].cells
    (row,) = found["T3-ROW"]
    assert row.cells[0] == cells["t3.other.total"] and row.message.startswith("三（六）其他处理（总计）")


@pytest.mark.parametrize("layout", messy.LAYOUTS)
def test_a_2021_other_subtotal_above_its_three_rows_is_a_subtotal(tmp_path: Path, layout: str) -> None:
    rows = corpus.T3_RESULT_ROWS_2021
    at = [key for key, _, _ in rows].index("other_1")
    values: dict[str, Any] = dict(corpus.consistent_values("2021", 8))
    for col, _ in corpus.T3_COLS:
        values[f"t3.other.{col}"] = sum(values[f"t3.other_{i}.{col}"] for i in (1, 2, 3))
    path = tmp_path / "r.xlsx"
    messy.build(path, "2021", layout=layout, values=values,
                t3_results=(*rows[:at], ("other", None, "（六）其他处理"), *rows[at:]))
    (finding,) = xlcheck.check(path).findings
    assert "小计行" in finding.message and finding.severity is Severity.ERROR
