"""The real sample report and consistent reports in layouts unlike our own template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import corpus
import pytest

import xlcheck
from xlcheck import Severity


def test_xiaolou_reports_exactly_its_real_error(xiaolou: tuple[Path, dict[str, str]]) -> None:
    path, cells = xiaolou
    report = xlcheck.check(path)
    assert (report.format, report.year, report.error) == ("2019", 2020, None)
    assert report.unit == "广州市增城区小楼镇人民政府"
    errors = {(f.rule, f.cells[0]) for f in report.findings if f.severity is Severity.ERROR}
    assert errors == {
        ("T3-RES", cells["t3.total.natural"]), ("T3-RES", cells["t3.total.total"]),
        ("T3-ID", cells["t3.new.natural"]), ("T3-ID", cells["t3.new.total"]),
    }
    res = next(f for f in report.findings if f.rule == "T3-RES" and f.cells[0] == cells["t3.total.natural"])
    assert res.message == "三（七）总计（自然人）为 0，但各办理结果之和为 1"
    # every cell of the equation, the zeros too: the wrong cell (（七）总计) holds 0
    results = [k for k in cells if k.startswith("t3.") and k.endswith(".natural")
               and k.split(".")[1] not in ("new", "carried_over", "total", "carry_forward")]
    assert set(res.cells) == {cells["t3.total.natural"], *(cells[k] for k in results)}
    assert res.cells[0] == cells["t3.total.natural"]
    t3id = next(f for f in report.findings if f.rule == "T3-ID" and cells["t3.new.natural"] in f.cells)
    assert cells["t3.total.natural"] in t3id.cells and cells["t3.carry_forward.natural"] in t3id.cells
    assert not report.ok


def test_xiaolou_warns_about_the_amount_typed_with_its_unit(xiaolou: tuple[Path, dict[str, str]]) -> None:
    path, cells = xiaolou
    warnings = [f for f in xlcheck.check(path).findings if f.severity is Severity.WARNING]
    assert [(f.rule, f.cells) for f in warnings] == [("D3", (cells["t2.art20_9.procurement.amount"],))]
    assert "426796元" in warnings[0].message


LAYOUTS = [
    {},
    {"sheets": "three"},
    {"origin": (6, 4), "title": True, "extra_rows": True, "notes": True},
    {"drift": True},
    {"sheets": "three", "drift": True, "extra_rows": True, "origin": (3, 2), "notes": True},
    {"title": False},
]


@pytest.mark.parametrize("fmt", ["2019", "2021"])
@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda kw: ",".join(kw) or "plain")
def test_consistent_report_in_any_layout_passes_clean(check_values: Any, fmt: str, layout: dict) -> None:
    values = corpus.consistent_values(fmt, seed=len(layout))
    report, _ = check_values(fmt, values, **layout)
    assert report.format == fmt
    assert report.findings == []
    assert report.ok


def test_consistent_2021_report_over_three_sheets_reads_every_cell(check_values: Any) -> None:
    values = corpus.consistent_values("2021", seed=7)
    values["t3.public.natural"] += 1  # one deliberate slip, to see it found on the right sheet and cell
    report, cells = check_values("2021", values, sheets="three")
    res = [f for f in report.findings if f.rule == "T3-RES"]
    assert [f.cells[0] for f in res] == [cells["t3.total.natural"]]
    assert cells["t3.total.natural"].startswith("依申请!")


@pytest.mark.parametrize("seed", range(5))
def test_located_cells_are_the_cells_the_values_were_written_to(check_values: Any, seed: int) -> None:
    values = corpus.consistent_values("2021", seed=seed)
    raw = {key: "abc" for key in list(values)[seed::23]}  # unreadable text: D1 points at each cell
    report, cells = check_values("2021", values, raw=raw, drift=True, extra_rows=True)
    flagged = {f.cells[0] for f in report.findings if f.rule == "D1"}
    assert flagged == {cells[key] for key in raw}
