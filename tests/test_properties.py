"""Property-based: a consistent random report passes, and any single perturbed value is caught on its cell."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xlcheck

layouts = st.fixed_dictionaries({
    "sheets": st.sampled_from(["one", "three"]),
    "origin": st.tuples(st.integers(1, 6), st.integers(1, 4)),
    "title": st.booleans(),
    "extra_rows": st.booleans(),
    "notes": st.booleans(),
    "drift": st.booleans(),
})
formats = st.sampled_from(["2019", "2021"])
seeds = st.integers(0, 2**32 - 1)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(fmt: str, values: dict[str, Any], layout: dict[str, Any], raw: dict[str, Any] | None = None
           ) -> tuple[xlcheck.Report, dict[str, str]]:
    year = 2020 if fmt == "2019" else 2022
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.xlsx"
        cells = corpus.write_report(path, fmt, values, year=year, raw=raw, **layout)
        return xlcheck.check(path), cells


@SETTINGS
@given(fmt=formats, seed=seeds, layout=layouts)
def test_a_consistent_report_passes(fmt: str, seed: int, layout: dict[str, Any]) -> None:
    report, _ = _check(fmt, corpus.consistent_values(fmt, seed), layout)
    assert report.error is None
    assert report.format == fmt
    if layout["title"] or layout["sheets"] == "one":  # the title or the sheet's name gives the year
        assert report.findings == [], [f.message for f in report.findings]
    else:  # nothing in the workbook says which year it reports on
        assert [(f.rule, f.severity.value) for f in report.findings] == [("S1", "warning")]


#: fields every one of which sits in a sum or an identity (T3-ID, T3-RES, T3-ROW, T4-SUM)
def _checked_fields(fmt: str) -> list[str]:
    return [k for k in corpus.fields(fmt) if k.startswith(("t3.", "t4."))]


@st.composite
def perturbations(draw: st.DrawFn) -> tuple[str, int, dict[str, Any], str, Any, str]:
    fmt = draw(formats)
    seed = draw(seeds)
    values: dict[str, Any] = dict(corpus.consistent_values(fmt, seed))
    key = draw(st.sampled_from(_checked_fields(fmt)))
    kind = draw(st.sampled_from(["plus", "minus", "unit", "text", "placeholder", "decimal"]))
    number = int(values[key])
    if kind == "plus":
        return fmt, seed, values, key, number + draw(st.integers(1, 50)), "error"
    if kind == "minus":
        # down to 0 included: a part left at 0 is the commonest slip, and it must be among the cells
        return fmt, seed, values, key, number - draw(st.integers(1, 50)), "error"
    if kind == "decimal":
        return fmt, seed, values, key, number + 0.5, "error"
    if kind == "unit":
        return fmt, seed, values, key, f"{number}{draw(st.sampled_from(['件', '个', '项']))}", "D3"
    if kind == "text":
        return fmt, seed, values, key, draw(st.sampled_from([f"{number}", f" {number} ", chr(0xFF10 + number % 10)
                                                             if number < 10 else f"{number:,}"])), "D3"
    return fmt, seed, values, key, draw(st.sampled_from(["—", "/", "无", ""])), "D2"


@SETTINGS
@given(case=perturbations(), layout=layouts)
def test_any_single_perturbed_value_is_caught_on_its_cell(case: tuple[str, int, dict[str, Any], str, Any, str],
                                                          layout: dict[str, Any]) -> None:
    fmt, _, values, key, raw, expect = case
    report, cells = _check(fmt, values, layout, raw={key: raw})
    assert report.error is None
    on_cell = [f for f in report.findings if cells[key] in f.cells]
    if expect == "error":
        assert any(f.severity.value == "error" for f in on_cell), (key, raw, report.findings)
    else:
        assert any(f.rule == expect for f in on_cell), (key, raw, report.findings)
