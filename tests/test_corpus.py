"""Tests of the test corpus itself: its values obey the rules and its maps point at the right cells.

Independent of the xlcheck package on purpose (the rules are re-checked here in a few lines each).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

try:  # tests/ as a package, or tests/ itself on sys.path (pytest's rootdir-less "prepend" mode)
    from tests import corpus
except ImportError:
    import corpus

FIELDS_2019 = corpus.FIELDS_2019
FIELDS_2021 = corpus.FIELDS_2021
XIAOLOU_VALUES = corpus.XIAOLOU_VALUES
consistent_values = corpus.consistent_values
write_report = corpus.write_report

PARTS = ("natural", "business", "research", "nonprofit", "legal", "other_org")
COLS = (*PARTS, "total")
SEEDS = range(60)
FORMATS = ("2019", "2021")


def result_rows(fmt: str) -> list[str]:
    return [
        "public",
        "partial",
        *(f"withheld_{i}" for i in range(1, 9)),
        *(f"unavailable_{i}" for i in range(1, 4)),
        *(f"unprocessed_{i}" for i in range(1, 6)),
        *(["other"] if fmt == "2019" else ["other_1", "other_2", "other_3"]),
    ]


def t3_rows(fmt: str) -> list[str]:
    return ["new", "carried_over", *result_rows(fmt), "total", "carry_forward"]


# --------------------------------------------------------------------------------------------------
# Field lists
# --------------------------------------------------------------------------------------------------


def test_field_lists_have_the_expected_size_and_no_duplicates():
    # 2019: table 2 has 6+6+6+2+2, table 3 23 rows x 7, table 4 15.
    assert len(FIELDS_2019) == 22 + 23 * 7 + 15
    # 2021: table 2 has 6+1+2+1, table 3 25 rows x 7.
    assert len(FIELDS_2021) == 10 + 25 * 7 + 15
    assert len(set(FIELDS_2019)) == len(FIELDS_2019)
    assert len(set(FIELDS_2021)) == len(FIELDS_2021)


def test_field_lists_are_in_reading_order():
    for fields, fmt in ((FIELDS_2019, "2019"), (FIELDS_2021, "2021")):
        tables = [key.split(".")[0] for key in fields]
        assert tables == sorted(tables, key=["t2", "t3", "t4"].index)
        t3 = [key for key in fields if key.startswith("t3.")]
        assert t3 == [f"t3.{row}.{col}" for row in t3_rows(fmt) for col in COLS]
    assert FIELDS_2019[:3] == (
        "t2.art20_1.regulations.made",
        "t2.art20_1.regulations.published",
        "t2.art20_1.regulations.total_public",
    )
    assert FIELDS_2019[-1] == "t4.after.total"
    assert "t2.art20_9.procurement.amount" in FIELDS_2019
    assert "t2.art20_8.fees.amount" in FIELDS_2021
    assert not any("art20_9" in k or "other_services" in k for k in FIELDS_2021)


# --------------------------------------------------------------------------------------------------
# consistent_values obeys every national rule
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_consistent_values_covers_exactly_the_fields(fmt):
    values = consistent_values(fmt, 3)
    assert tuple(values) == corpus.fields(fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_consistent_values_is_deterministic_and_varies_with_seed(fmt):
    assert consistent_values(fmt, 7) == consistent_values(fmt, 7)
    assert consistent_values(fmt, 7) != consistent_values(fmt, 8)


@pytest.mark.parametrize(("fmt", "seed"), list(itertools.product(FORMATS, SEEDS)))
def test_consistent_values_table3_rules(fmt, seed):
    v = consistent_values(fmt, seed)
    for col in COLS:
        # T3-ID
        assert v[f"t3.new.{col}"] + v[f"t3.carried_over.{col}"] == v[f"t3.total.{col}"] + v[f"t3.carry_forward.{col}"]
        # T3-RES
        assert v[f"t3.total.{col}"] == sum(v[f"t3.{row}.{col}"] for row in result_rows(fmt))
    # T3-ROW
    for row in t3_rows(fmt):
        assert v[f"t3.{row}.total"] == sum(v[f"t3.{row}.{col}"] for col in PARTS)


@pytest.mark.parametrize(("fmt", "seed"), list(itertools.product(FORMATS, SEEDS)))
def test_consistent_values_table4_and_table2_rules(fmt, seed):
    v = consistent_values(fmt, seed)
    for group in ("review", "direct", "after"):  # T4-SUM
        parts = ("upheld", "corrected", "other", "pending")
        assert v[f"t4.{group}.total"] == sum(v[f"t4.{group}.{sub}"] for sub in parts)
    if fmt == "2019":
        for row in ("regulations", "normative"):  # T2-19a
            assert v[f"t2.art20_1.{row}.total_public"] >= v[f"t2.art20_1.{row}.published"]
        for block, row in (
            ("art20_5", "licensing"),
            ("art20_5", "other_services"),
            ("art20_6", "penalty"),
            ("art20_6", "enforcement"),
            ("art20_8", "fees"),
        ):
            assert v[f"t2.{block}.{row}.prev_items"] + v[f"t2.{block}.{row}.change"] >= 0  # T2-19b
    else:
        fee = v["t2.art20_8.fees.amount"]
        assert isinstance(fee, float)
        assert 0 <= fee < 100
        assert round(fee, 2) == fee
    # T2-LVL holds for any unit: no 规章.
    assert all(v[k] == 0 for k in v if ".regulations." in k)


@pytest.mark.parametrize(("fmt", "seed"), list(itertools.product(FORMATS, SEEDS)))
def test_consistent_values_counts_are_non_negative_integers(fmt, seed):
    for key, value in consistent_values(fmt, seed).items():
        if key.endswith(".change"):
            assert isinstance(value, int)
        elif key.endswith(".amount"):
            assert isinstance(value, float) and value >= 0
        else:
            assert isinstance(value, int) and not isinstance(value, bool), key
            assert value >= 0, key


def test_consistent_values_are_not_degenerate():
    """Across seeds the values exercise the rules: non-zero results, negatives in 本年增/减, carry-overs."""
    many = [consistent_values(fmt, seed) for fmt in FORMATS for seed in SEEDS]
    assert any(v["t3.carry_forward.total"] > 0 for v in many)
    assert any(v["t3.carried_over.business"] > 0 for v in many)
    assert any(v.get("t2.art20_5.licensing.change", 0) < 0 for v in many)
    assert any(v["t4.after.total"] > 0 for v in many)
    one = consistent_values("2021", 0)
    assert len({one[f"t3.new.{c}"] for c in COLS}) > 1
    assert sum(1 for k in one if k.startswith("t3.") and one[k]) > 10


def test_as_2019_other_folds_the_three_rows():
    v = consistent_values("2021", 5)
    folded = corpus.as_2019_other(v)
    for col in COLS:
        assert folded[f"t3.other.{col}"] == sum(v[f"t3.other_{i}.{col}"] for i in (1, 2, 3))
    assert not any(k.startswith("t3.other_") for k in folded)


# --------------------------------------------------------------------------------------------------
# write_report: the map points at the values
# --------------------------------------------------------------------------------------------------


def cell_at(wb: openpyxl.Workbook, address: str):
    sheet, coord = address.split("!")
    return wb[sheet][coord]


def merged_range_at(ws: Worksheet, row: int, col: int):
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return rng
    return None


def find(ws: Worksheet, predicate) -> list:
    return [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and predicate(c.value)]


def find_one(ws: Worksheet, text: str):
    cells = find(ws, lambda v: v == text)
    assert len(cells) == 1, (text, [c.coordinate for c in cells])
    return cells[0]


OPTION_SETS = [
    {},
    {"year": 2021, "sheets": "three"},
    {"origin": (7, 4), "title": False},
    {"extra_rows": True, "notes": True},
    {"drift": True, "extra_rows": True},
    {
        "sheets": "three",
        "origin": (3, 2),
        "drift": True,
        "notes": True,
        "extra_rows": True,
        "year": 2020,
    },
]


@pytest.mark.parametrize(("fmt", "options"), list(itertools.product(FORMATS, OPTION_SETS)))
def test_write_report_map_points_at_the_values(tmp_path, fmt, options):
    values = consistent_values(fmt, 11)
    path = tmp_path / "r.xlsx"
    cells = write_report(path, fmt, values, **options)
    assert set(cells) == set(values)
    assert len(set(cells.values())) == len(cells), "two fields share a cell"
    wb = openpyxl.load_workbook(path)
    for key, address in cells.items():
        cell = cell_at(wb, address)
        assert not isinstance(cell, MergedCell), (key, address)
        assert cell.value == values[key], (key, address)
    # No other numeric cell anywhere: every number in the workbook is a mapped value.
    mapped = set(cells.values())
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, (int, float)):
                    assert f"{ws.title}!{c.coordinate}" in mapped


def test_write_report_distinct_values_land_on_their_own_cells(tmp_path):
    """Each field a different number, so a swapped row or column could not go unnoticed."""
    values = {key: n for n, key in enumerate(FIELDS_2021, 1)}
    cells = write_report(tmp_path / "r.xlsx", "2021", values, extra_rows=True, drift=True)
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert {key: cell_at(wb, a).value for key, a in cells.items()} == values


def test_write_report_grid_shape(tmp_path):
    cells = write_report(tmp_path / "r.xlsx", "2019", consistent_values("2019"), title=False)
    rc = {k: openpyxl.utils.cell.coordinate_from_string(a.split("!")[1]) for k, a in cells.items()}
    # Table 3: seven consecutive columns after three label columns, one row per row key, no gaps.
    rows = [rc[f"t3.{row}.natural"][1] for row in t3_rows("2019")]
    assert rows == list(range(rows[0], rows[0] + len(rows)))
    assert [rc[f"t3.new.{c}"][0] for c in COLS] == list("DEFGHIJ")
    # Table 4: fifteen cells in one row from column A.
    t4 = [rc[k] for k in FIELDS_2019 if k.startswith("t4.")]
    assert {r for _, r in t4} == {t4[0][1]}
    assert "".join(c for c, _ in t4) == "ABCDEFGHIJKLMNO"


def test_write_report_origin_shifts_every_cell(tmp_path):
    values = consistent_values("2021", 2)
    base = write_report(tmp_path / "a.xlsx", "2021", values, title=False)
    moved = write_report(tmp_path / "b.xlsx", "2021", values, title=False, origin=(6, 3))

    def rowcol(address):
        col, row = openpyxl.utils.cell.coordinate_from_string(address.split("!")[1])
        return row, openpyxl.utils.column_index_from_string(col)

    for key in values:
        (r1, c1), (r2, c2) = rowcol(base[key]), rowcol(moved[key])
        assert (r2 - r1, c2 - c1) == (5, 2), key
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    ws = wb.active
    assert ws["C6"].value == "二、主动公开政府信息情况"
    assert ws["C7"].value == "第二十条第（一）项"
    assert all(ws.cell(row=r, column=c).value is None for r in range(1, 6) for c in range(1, 20))


def test_write_report_sheets(tmp_path):
    values = consistent_values("2021", 1)
    cells = write_report(tmp_path / "one.xlsx", "2021", values, year=2021)
    assert {a.split("!")[0] for a in cells.values()} == {"2021年报"}
    cells = write_report(tmp_path / "nyear.xlsx", "2021", values)
    assert {a.split("!")[0] for a in cells.values()} == {"年报"}
    cells = write_report(tmp_path / "three.xlsx", "2021", values, sheets="three", year=2021)
    assert openpyxl.load_workbook(tmp_path / "three.xlsx").sheetnames == [
        "主动公开",
        "依申请",
        "复议诉讼",
    ]
    for key, address in cells.items():
        expected = {"t2": "主动公开", "t3": "依申请", "t4": "复议诉讼"}[key[:2]]
        assert address.split("!")[0] == expected


def test_write_report_title_carries_the_year(tmp_path):
    write_report(tmp_path / "r.xlsx", "2021", consistent_values("2021"), year=2022)
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    titles = find(ws, lambda v: v.endswith("年政府信息公开工作年度报告"))
    assert [c.value for c in titles] == ["青山镇人民政府2022年政府信息公开工作年度报告"]
    for heading in corpus.SECTION_HEADINGS:
        find_one(ws, heading)
    write_report(tmp_path / "n.xlsx", "2021", consistent_values("2021"), year=2022, title=False)
    ws = openpyxl.load_workbook(tmp_path / "n.xlsx").active
    assert not find(ws, lambda v: "2022" in v)


def test_write_report_raw_contents(tmp_path):
    values = consistent_values("2019", 4)
    raw = {
        "t2.art20_9.procurement.amount": "426796元",
        "t3.new.natural": "５",
        "t3.partial.legal": "—",
        "t3.withheld_1.total": "",
        "t4.review.total": "=1+2",
    }
    cells = write_report(tmp_path / "r.xlsx", "2019", values, raw=raw)
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert cell_at(wb, cells["t2.art20_9.procurement.amount"]).value == "426796元"
    assert cell_at(wb, cells["t3.new.natural"]).value == "５"
    assert cell_at(wb, cells["t3.partial.legal"]).value == "—"
    assert cell_at(wb, cells["t3.withheld_1.total"]).value is None
    formula = cell_at(wb, cells["t4.review.total"])
    assert formula.value == "=1+2" and formula.data_type == "f"
    assert cell_at(wb, cells["t3.new.business"]).value == values["t3.new.business"]


# --------------------------------------------------------------------------------------------------
# write_report: merged cells as promised
# --------------------------------------------------------------------------------------------------


def span(rng) -> tuple[int, int]:
    """(rows, cols) of a merged range."""
    return rng.max_row - rng.min_row + 1, rng.max_col - rng.min_col + 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_write_report_table3_merges(tmp_path, fmt):
    cells = write_report(tmp_path / "r.xlsx", fmt, consistent_values(fmt))
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx").active

    header = find_one(ws, corpus.T3_BALANCE_HEADER)
    assert span(merged_range_at(ws, header.row, header.column)) == (3, 3)
    for text, shape in (
        ("申请人情况", (1, 7)),
        ("法人或其他组织", (1, 5)),
        ("自然人", (2, 1)),
    ):
        c = find_one(ws, text)
        assert span(merged_range_at(ws, c.row, c.column)) == shape, text
    t3_total = [c for c in find(ws, lambda v: v == "总计") if c.row == header.row + 1]
    assert len(t3_total) == 1
    assert span(merged_range_at(ws, t3_total[0].row, t3_total[0].column)) == (2, 1)

    def row_of(key):
        return int(re.sub(r"\D", "", cells[f"t3.{key}.natural"].split("!")[1]))

    # 三 merged over every result row, （三）（四）（五） over their sub-rows.
    three = find_one(ws, corpus.T3_RESULTS_LABEL)
    rng = merged_range_at(ws, three.row, three.column)
    assert (rng.min_row, rng.max_row) == (row_of("public"), row_of("total"))
    assert span(rng)[1] == 1
    groups = {"（三）不予公开": 8, "（四）无法提供": 3, "（五）不予处理": 5}
    if fmt == "2021":
        groups["（六）其他处理"] = 3
    for label, n in groups.items():
        c = find_one(ws, label)
        assert c.column == three.column + 1
        assert span(merged_range_at(ws, c.row, c.column)) == (n, 1), label
    if fmt == "2019":
        c = find_one(ws, "（六）其他处理")
        assert span(merged_range_at(ws, c.row, c.column)) == (1, 2)
        assert c.row == row_of("other")
    # Top-level rows merged across the three label columns, on their value row.
    for key, label in (*corpus.T3_HEAD_ROWS, *corpus.T3_TAIL_ROWS):
        c = find_one(ws, label)
        assert c.row == row_of(key)
        assert span(merged_range_at(ws, c.row, c.column)) == (1, 3)
    for label in ("（一）予以公开", "（七）总计"):
        c = find_one(ws, label)
        assert span(merged_range_at(ws, c.row, c.column)) == (1, 2)
    assert ws.cell(row=row_of("withheld_1"), column=three.column + 2).value == "1.属于国家秘密"


def test_write_report_table4_and_table2_merges(tmp_path):
    cells = write_report(tmp_path / "r.xlsx", "2021", consistent_values("2021"))
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    for text, shape in (
        ("行政复议", (1, 5)),
        ("行政诉讼", (1, 10)),
        ("未经复议直接起诉", (1, 5)),
        ("复议后起诉", (1, 5)),
    ):
        c = find_one(ws, text)
        assert span(merged_range_at(ws, c.row, c.column)) == shape, text
    upheld = find(ws, lambda v: v == "结果维持")
    assert [span(merged_range_at(ws, c.row, c.column)) for c in upheld[:1]] == [(2, 1)]
    assert len(upheld) == 3
    # 2021 single-value blocks: the value merged over the three value columns.
    for key in (
        "t2.art20_5.licensing.decisions",
        "t2.art20_6.penalty.decisions",
        "t2.art20_6.enforcement.decisions",
        "t2.art20_8.fees.amount",
    ):
        coord = cells[key].split("!")[1]
        c = ws[coord]
        rng = merged_range_at(ws, c.row, c.column)
        assert rng is not None and span(rng) == (1, 3) and rng.coord.startswith(coord), key
    for key in ("t2.art20_1.normative.made", "t2.art20_1.normative.in_force"):
        c = ws[cells[key].split("!")[1]]
        assert merged_range_at(ws, c.row, c.column) is None
    heading = find_one(ws, "第二十条第（一）项")
    assert span(merged_range_at(ws, heading.row, heading.column)) == (1, 4)


def test_write_report_2019_table2_blocks(tmp_path):
    cells = write_report(tmp_path / "r.xlsx", "2019", consistent_values("2019"))
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    for block in corpus.T2_BLOCKS_2019:
        heading = find_one(ws, block.heading)
        header_row = heading.row + 1
        assert ws.cell(row=header_row, column=heading.column).value == "信息内容"
        for n, (row_key, row_label) in enumerate(block.rows, 1):
            assert ws.cell(row=header_row + n, column=heading.column).value == row_label
            for col_key, col_label in block.cols:
                coord = cells[f"t2.{block.key}.{row_key}.{col_key}"].split("!")[1]
                c = ws[coord]
                assert c.row == header_row + n
                assert ws.cell(row=header_row, column=c.column).value == col_label
    amount = ws[cells["t2.art20_9.procurement.amount"].split("!")[1]]
    assert span(merged_range_at(ws, amount.row, amount.column)) == (1, 2)


# --------------------------------------------------------------------------------------------------
# write_report: extra rows, notes, drift
# --------------------------------------------------------------------------------------------------


def test_write_report_extra_rows_repeat_the_header_at_the_page_break(tmp_path):
    cells = write_report(tmp_path / "r.xlsx", "2019", consistent_values("2019"), extra_rows=True)
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    headers = find(ws, lambda v: v == corpus.T3_BALANCE_HEADER)
    assert len(headers) == 2
    assert len(find(ws, lambda v: v == "申请人情况")) == 2

    def row_of(key):
        return ws[cells[f"t3.{key}.natural"].split("!")[1]].row

    # Blank row, three header rows, then row 8 — in that order after row 7.
    assert row_of("withheld_8") - row_of("withheld_7") == 5
    assert headers[1].row == row_of("withheld_7") + 2
    assert all(c.value is None for c in ws[row_of("withheld_7") + 1])
    # The labels are typed again on the second page.
    assert len(find(ws, lambda v: v == corpus.T3_RESULTS_LABEL)) == 2
    again = find(ws, lambda v: v == "（三）不予公开")
    assert [c.row for c in again][-1] == row_of("withheld_8")
    # Blank rows between the tables.
    t3_heading = find_one(ws, "三、收到和处理政府信息公开申请情况")
    assert ws.cell(row=t3_heading.row - 1, column=1).value is None
    assert ws.cell(row=t3_heading.row + 1, column=1).value is None


def test_write_report_without_extra_rows_is_compact(tmp_path):
    cells = write_report(tmp_path / "r.xlsx", "2019", consistent_values("2019"), title=False)
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    assert len(find(ws, lambda v: v == corpus.T3_BALANCE_HEADER)) == 1
    last_row = max(ws[a.split("!")[1]].row for a in cells.values())
    assert all(any(c.value is not None for c in ws[r]) for r in range(1, last_row + 1))


def test_write_report_notes_sit_beside_the_tables(tmp_path):
    cells = write_report(tmp_path / "r.xlsx", "2021", consistent_values("2021"), notes=True)
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    notes = find(ws, lambda v: v.startswith("注：") or v == "单位：件")
    assert len(notes) >= 3
    total_new = ws[cells["t3.new.total"].split("!")[1]]
    assert ws.cell(row=total_new.row, column=total_new.column + 1).value == "注：含网上申请"
    t4_last = ws[cells["t4.after.total"].split("!")[1]]
    assert ws.cell(row=t4_last.row, column=t4_last.column + 1).value == "单位：件"


def test_write_report_drift_labels(tmp_path):
    write_report(tmp_path / "r.xlsx", "2021", consistent_values("2021"), drift=True)
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    texts = {c.value for c in find(ws, lambda v: True)}
    for expected in (
        "(一) 予以公开",
        "2、没有现成信息需另行制作",
        '3、危及"三安全一稳定"',
        "商业\n企业",
        "结 果 维 持",
        "第二十条第(一)项",
        "1、属于国家秘密",
    ):
        assert expected in texts, expected
    assert any(t.startswith("四、结转下一年度继续办理") and t != t.strip() for t in texts)
    for official in (
        "（一）予以公开",
        "2.没有现成信息需要另行制作",
        "商业企业",
        "结果维持",
        "四、结转下年度继续办理",
    ):
        assert official not in texts, official


def test_drift_label_examples():
    assert corpus.drift_label("（二）部分公开（区分处理的，只计这一情形，不计其他情形）") == (
        "(二) 部分公开(区分处理的，只计这一情形，不计其他情形)"
    )
    assert corpus.drift_label("8.属于行政查询事项") == "8、属于行政查询事项"
    assert corpus.drift_label("一、本年新收政府信息公开申请数量").strip() == "一、本年新收政府信息公开申请数量"


# --------------------------------------------------------------------------------------------------
# The published sample
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xiaolou(tmp_path_factory):
    path: Path = tmp_path_factory.mktemp("xl") / "xiaolou.xlsx"
    cells = corpus.write_xiaolou(path)
    return cells, openpyxl.load_workbook(path)


SAMPLE_TEXT = Path(__file__).resolve().parents[2] / "shared" / "samples" / "xiaolou-2020.txt"


def published_numbers() -> dict[str, list[str]]:
    """Row label -> the values printed after it, from the published report's text."""
    if not SAMPLE_TEXT.exists():
        pytest.skip(f"the published sample is not beside the repository: {SAMPLE_TEXT}")
    out: dict[str, list[str]] = {}
    for line in SAMPLE_TEXT.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        numbers = [c for c in cells if re.fullmatch(r"[\d.]+元?", c)]
        labels = [c for c in cells if c not in numbers]
        if labels and numbers:
            out.setdefault(labels[-1], numbers)
    return out


def test_xiaolou_values_are_the_published_ones():
    """The fixture's numbers are the ones in the published text, read from the text itself."""
    published = published_numbers()
    t2_rows = {"规章": ("art20_1", "regulations", ("made", "published", "total_public")),
               "规范性文件": ("art20_1", "normative", ("made", "published", "total_public")),
               "行政许可": ("art20_5", "licensing", ("prev_items", "change", "decisions")),
               "其他对外管理服务事项": ("art20_5", "other_services", ("prev_items", "change", "decisions")),
               "行政处罚": ("art20_6", "penalty", ("prev_items", "change", "decisions")),
               "行政强制": ("art20_6", "enforcement", ("prev_items", "change", "decisions")),
               "行政事业性收费": ("art20_8", "fees", ("prev_items", "change")),
               "政府集中采购": ("art20_9", "procurement", ("projects", "amount"))}
    for label, (block, row, cols) in t2_rows.items():
        for col, text in zip(cols, published[label], strict=True):
            expected = text if text.endswith("元") else int(text)
            assert XIAOLOU_VALUES[f"t2.{block}.{row}.{col}"] == expected, (label, col)
    t3_rows = {"一、本年新收政府信息公开申请数量": "new", "二、上年结转政府信息公开申请数量": "carried_over",
               "(一) 予以公开": "public", "1.属于国家秘密": "withheld_1", "8.属于行政查询事项": "withheld_8",
               "(六) 其他处理": "other", "(七) 总计": "total", "四、结转下年度继续办理": "carry_forward"}
    for label, row in t3_rows.items():
        printed = [int(n) for n in published[label][-7:]]  # the text extraction repeats a 0 on some rows
        assert [XIAOLOU_VALUES[f"t3.{row}.{c}"] for c in COLS] == printed, label
    assert [XIAOLOU_VALUES[f"t4.{g}.{s}"] for g in ("review", "direct", "after")
            for s in ("upheld", "corrected", "other", "pending", "total")] == [0] * 15
    # The published error: （一）予以公开 = 1 but （七）总计 = 0.
    assert XIAOLOU_VALUES["t3.public.natural"] == 1
    assert all(XIAOLOU_VALUES[f"t3.total.{c}"] == 0 for c in COLS)


def test_xiaolou_cells_hold_exactly_the_published_numbers(xiaolou):
    cells, wb = xiaolou
    assert set(cells) == set(FIELDS_2019)
    assert wb.sheetnames == ["Sheet1"]
    for key, address in cells.items():
        cell = cell_at(wb, address)
        assert cell.value == XIAOLOU_VALUES[key], (key, address)
        assert type(cell.value) is type(XIAOLOU_VALUES[key]), key
    assert cell_at(wb, cells["t2.art20_9.procurement.amount"]).value == "426796元"


def test_xiaolou_layout_follows_the_sample(xiaolou):
    cells, wb = xiaolou
    ws = wb["Sheet1"]
    assert ws["A2"].value == "广州市增城区小楼镇人民政府2020年政府信息公开工作年度报告"
    for heading in corpus.SECTION_HEADINGS:
        find_one(ws, heading)
    for label in (
        "(一) 予以公开",
        "(二) 部分公开(区分处理的, 只计这一情形, 不计其他情形)",
        "3.危及“三安全一稳定”",
        "2.没有现成信息需另行制作",
        "(六) 其他处理",
        "(七) 总计",
        "四、结转下年度继续办理",
        "结果 维持",
        "其他 结果",
        "第二十条第（九）项",
    ):
        find_one(ws, label)
    assert len(find(ws, lambda v: v == "尚 未 审 结")) == 3
    assert len(find(ws, lambda v: v == "结 果 维 持")) == 2
    assert len(find(ws, lambda v: v.startswith("(本列数据的勾稽关系为"))) == 2

    def rc(key):
        c = ws[cells[key].split("!")[1]]
        return c.row, c.column

    # The page break after 7.属于行政执法案卷: blank row, three header rows, then 8.
    assert rc("t3.withheld_8.natural")[0] - rc("t3.withheld_7.natural")[0] == 5
    row8 = rc("t3.withheld_8.natural")[0]
    assert [ws.cell(row=row8, column=c).value for c in (1, 2, 3)] == [
        None,
        None,
        "8.属于行政查询事项",
    ]
    assert ws.cell(row=rc("t3.unavailable_1.natural")[0], column=2).value == "(四) 无法提供"
    # Table 3 values in D:J, table 2 in B:D, table 4 in A:O.
    assert rc("t3.new.natural")[1] == 4 and rc("t3.new.total")[1] == 10
    assert rc("t2.art20_5.other_services.decisions") == (
        rc("t2.art20_5.other_services.prev_items")[0],
        4,
    )
    assert rc("t4.after.total")[1] == 15
    # Narrative kept (the 85/86 and 174/175 discrepancies are in it).
    assert find(ws, lambda v: "公开类共85条" in v and "主动公开政府信息共174条" in v)


# --------------------------------------------------------------------------------------------------
# The odd ones
# --------------------------------------------------------------------------------------------------


def test_not_a_report(tmp_path):
    corpus.write_not_a_report(tmp_path / "staff.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "staff.xlsx")
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("姓名" in t for t in texts)
    assert not any("勾稽" in t or "政府信息公开" in t or "予以公开" in t for t in texts)


def test_mixed_2021(tmp_path):
    cells = corpus.write_mixed_2021(tmp_path / "m.xlsx", seed=3)
    values = corpus.as_2019_other(consistent_values("2021", 3))
    assert set(cells) == set(values)
    assert "t3.other.total" in cells and "t3.other_1.total" not in cells
    wb = openpyxl.load_workbook(tmp_path / "m.xlsx")
    ws = wb.active
    for key, address in cells.items():
        assert cell_at(wb, address).value == values[key]
    find_one(ws, "青山镇人民政府2021年政府信息公开工作年度报告")
    find_one(ws, "行政规范性文件")
    find_one(ws, "本年收费金额（单位：万元）")
    other = find_one(ws, "（六）其他处理")
    assert other.row == ws[cells["t3.other.natural"].split("!")[1]].row
    assert not find(ws, lambda v: "逾期" in v or v == "3.其他")


def test_typo_label(tmp_path):
    cells = corpus.write_typo_label(tmp_path / "t.xlsx")
    values = consistent_values("2021", 0)
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    ws = wb.active
    assert {k: cell_at(wb, a).value for k, a in cells.items()} == values
    typo = find_one(ws, corpus.TYPO_LABEL)
    assert not find(ws, lambda v: v == corpus.TYPO_OFFICIAL)
    row = ws[cells["t3.withheld_4.natural"].split("!")[1]].row
    assert typo.row == row
    assert ws.cell(row=row - 1, column=typo.column).value == "3.危及“三安全一稳定”"
    assert ws.cell(row=row + 1, column=typo.column).value == "5.属于三类内部事务信息"


def test_merged_ranges_do_not_overlap(tmp_path):
    write_report(
        tmp_path / "r.xlsx",
        "2021",
        consistent_values("2021"),
        extra_rows=True,
        drift=True,
        notes=True,
    )
    corpus.write_xiaolou(tmp_path / "x.xlsx")
    for name in ("r.xlsx", "x.xlsx"):
        ws = openpyxl.load_workbook(tmp_path / name).active
        seen: set[tuple[int, int]] = set()
        for rng in ws.merged_cells.ranges:
            min_col, min_row, max_col, max_row = range_boundaries(rng.coord)
            cells = {(r, c) for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)}
            assert not cells & seen, rng.coord
            seen |= cells
