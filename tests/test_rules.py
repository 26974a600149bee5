"""Every national rule: a report that breaks it is caught on the right cells, one that holds is not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import corpus
import openpyxl
import pytest

import xlcheck
from xlcheck import Severity
from xlcheck.findings import Finding


def hits(report: xlcheck.Report, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule]


def bump(values: dict[str, Any], *keys: str, by: float = 1) -> dict[str, Any]:
    for key in keys:
        values[key] += by
    return values


# rule, format, how to break it, the field whose cell the finding starts with
BREAKS: list[tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]], str]] = [
    ("T3-ID", "2021", lambda v: bump(v, "t3.carry_forward.natural", "t3.carry_forward.total"), "t3.new.natural"),
    ("T3-RES", "2021", lambda v: bump(v, "t3.public.research", "t3.public.total"), "t3.total.research"),
    ("T3-RES", "2019", lambda v: bump(v, "t3.other.legal", "t3.other.total"), "t3.total.legal"),
    ("T3-ROW", "2021", lambda v: bump(v, "t3.unprocessed_2.total"), "t3.unprocessed_2.total"),
    ("T4-SUM", "2021", lambda v: bump(v, "t4.after.total"), "t4.after.total"),
    ("T4-SUM", "2019", lambda v: bump(v, "t4.review.pending"), "t4.review.total"),
    ("T2-19a", "2019", lambda v: {**v, "t2.art20_1.normative.total_public": 0,
                                  "t2.art20_1.normative.published": 3}, "t2.art20_1.normative.total_public"),
    ("T2-19b", "2019", lambda v: {**v, "t2.art20_6.penalty.prev_items": 2, "t2.art20_6.penalty.change": -5},
     "t2.art20_6.penalty.prev_items"),
]


@pytest.mark.parametrize(("rule", "fmt", "breaker", "field"), BREAKS, ids=[f"{b[0]}-{b[1]}" for b in BREAKS])
def test_a_broken_rule_is_an_error_on_its_cells(check_values: Any, rule: str, fmt: str,
                                                breaker: Callable[[dict[str, Any]], dict[str, Any]],
                                                field: str) -> None:
    values = corpus.consistent_values(fmt, seed=3)
    held, _ = check_values(fmt, values)
    assert hits(held, rule) == []
    report, cells = check_values(fmt, breaker(dict(values)))
    found = hits(report, rule)
    assert found, report.findings
    assert all(f.severity is Severity.ERROR for f in found)
    assert cells[field] in {f.cells[0] for f in found}
    assert not report.ok


def test_t3_row_message_names_row_and_numbers(check_values: Any) -> None:
    values = corpus.consistent_values("2021", seed=1)
    values["t3.new.business"] += 2
    report, cells = check_values("2021", values)
    (row,) = hits(report, "T3-ROW")
    total = values["t3.new.total"]
    assert row.message == f"一、本年新收申请数量（总计）为 {total}，但各类申请人之和为 {total + 2}"
    assert row.cells[0] == cells["t3.new.total"] and cells["t3.new.business"] in row.cells


def test_2019_rules_do_not_run_on_2021_reports(check_values: Any) -> None:
    values = corpus.consistent_values("2021", seed=2)
    report, _ = check_values("2021", values)
    assert not hits(report, "T2-19a") and not hits(report, "T2-19b")


@pytest.mark.parametrize(("raw", "rule", "severity", "words"), [
    ("", "D2", Severity.WARNING, "未填写"),
    ("—", "D2", Severity.WARNING, "“—”"),
    ("无", "D2", Severity.WARNING, "“无”"),
    ("５", "D3", Severity.WARNING, "文本"),
    ("5件", "D3", Severity.WARNING, "单位“件”"),
    ("1,200", "D3", Severity.WARNING, "文本"),
    ("abc", "D1", Severity.ERROR, "应填写数字"),
    (-2, "D1", Severity.ERROR, "不小于 0 的整数"),
    (2.5, "D1", Severity.ERROR, "不小于 0 的整数"),
])
def test_how_a_value_is_typed(check_values: Any, raw: Any, rule: str, severity: Severity, words: str) -> None:
    values = corpus.consistent_values("2021", seed=4)
    key = "t3.withheld_4.nonprofit"
    report, cells = check_values("2021", values, raw={key: raw})
    (finding,) = [f for f in report.findings if f.rule == rule]
    assert finding.severity is severity
    assert finding.cells == (cells[key],)
    assert finding.message.startswith("三（三）4.保护第三方合法权益（社会公益组织）")
    assert words in finding.message


def test_text_number_is_still_used_by_the_sums(check_values: Any) -> None:
    values = corpus.consistent_values("2021", seed=4)
    report, cells = check_values("2021", values, raw={"t3.public.natural": f"{values['t3.public.natural'] + 1}件"})
    assert [f.rule for f in report.findings if f.severity is Severity.ERROR].count("T3-RES") == 1
    assert cells["t3.public.natural"] in hits(report, "D3")[0].cells


def test_2019_signed_change_may_be_negative_but_not_fractional(check_values: Any) -> None:
    values = corpus.consistent_values("2019", seed=5)
    values["t2.art20_5.licensing.prev_items"] = 10
    values["t2.art20_5.licensing.change"] = -3
    report, _ = check_values("2019", values)
    assert report.findings == []
    report, cells = check_values("2019", values, raw={"t2.art20_5.licensing.change": -1.5})
    assert [f.cells for f in hits(report, "D1")] == [(cells["t2.art20_5.licensing.change"],)]


def test_d4_fee_that_looks_like_yuan(check_values: Any) -> None:
    values = corpus.consistent_values("2021", seed=6)
    values["t2.art20_8.fees.amount"] = 25600
    report, cells = check_values("2021", values)
    (finding,) = hits(report, "D4")
    assert finding.severity is Severity.WARNING and finding.cells == (cells["t2.art20_8.fees.amount"],)
    values["t2.art20_8.fees.amount"] = 2.56
    assert hits(check_values("2021", values)[0], "D4") == []


def test_s1_format_does_not_fit_the_year(check_values: Any) -> None:
    values = corpus.consistent_values("2019", seed=1)
    report, _ = check_values("2019", values, year=2022)
    (finding,) = hits(report, "S1")
    assert finding.severity is Severity.ERROR and "2022" in finding.message and "2021 版" in finding.message
    assert hits(check_values("2019", values, year=2020)[0], "S1") == []


def test_s1_year_from_the_command_line_overrides_the_workbook(xiaolou: tuple[Path, dict[str, str]]) -> None:
    path, _ = xiaolou
    report = xlcheck.check(path, year=2023)
    assert report.year == 2023 and hits(report, "S1")


def test_s2_missing_row_is_an_error_about_the_workbook(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    cells = corpus.write_report(path, "2021", corpus.consistent_values("2021", 2), year=2022)
    wb = openpyxl.load_workbook(path)
    sheet, ref = cells["t3.withheld_6.natural"].split("!")
    ws = wb[sheet]
    row = ws[ref].row
    for col in range(1, ws[ref].column):
        if ws.cell(row, col).value == "6.属于四类过程性信息":
            ws.cell(row, col).value = None
    for col in range(ws[ref].column, ws[ref].column + 7):
        ws.cell(row, col).value = None
    wb.save(path)
    report = xlcheck.check(path)
    (finding,) = hits(report, "S2")
    assert finding.severity is Severity.ERROR and finding.cells == ()
    assert "6.属于四类过程性信息" in finding.message


def test_s2_misspelt_label_is_recognised_and_reported_as_nonstandard(tmp_path: Path) -> None:
    path = tmp_path / "typo.xlsx"
    cells = corpus.write_typo_label(path)
    report = xlcheck.check(path)
    (finding,) = report.findings
    assert (finding.rule, finding.severity) == ("S2", Severity.WARNING)
    assert corpus.TYPO_LABEL in finding.message and corpus.TYPO_OFFICIAL in finding.message
    assert report.ok
    assert cells  # the row's values were read: a consistent report has no sum errors


def test_s2_mixed_format_single_other_row(tmp_path: Path) -> None:
    path = tmp_path / "mixed.xlsx"
    corpus.write_mixed_2021(path)
    report = xlcheck.check(path)
    (finding,) = hits(report, "S2")
    assert finding.severity is Severity.ERROR and "（六）其他处理" in finding.message and "3 行" in finding.message


def test_s1_old_format_block_in_a_2021_report(tmp_path: Path) -> None:
    path = tmp_path / "old-block.xlsx"
    corpus.write_report(path, "2021", corpus.consistent_values("2021", 3), year=2022)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws.cell(ws.max_row + 2, 1, "政府集中采购")
    wb.save(path)
    (finding,) = hits(xlcheck.check(path), "S1")
    assert "政府集中采购" in finding.message and len(finding.cells) == 1


def test_not_a_report_is_an_error_not_findings(tmp_path: Path) -> None:
    path = tmp_path / "staff.xlsx"
    corpus.write_not_a_report(path)
    report = xlcheck.check(path)
    assert report.error is not None and "不是政府信息公开工作年度报告" in report.error
    assert report.findings == [] and not report.ok


def test_the_lean_run_of_a_rule_finds_what_cerberus_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rules made of xlcheck's own rules skip Cerberus' validate() machinery (rules.lean_plan): over
    workbooks that break every kind of rule, each rule finds the same, in the same order, both ways."""
    import importlib

    import messy

    from xlcheck.rules import lean_plan, run_rule

    compared: list[str] = []

    def both(compiled: Any, document: Any) -> list[Finding]:
        lean = run_rule(compiled, document)
        assert lean == run_rule(compiled, document, lean=False), compiled.rule.id
        if compiled.validator is not None and lean_plan(compiled.validator) is not None:
            compared.append(compiled.rule.id)
        return lean

    for module in ("xlcheck.check", "xlcheck.crossyear"):  # xlcheck.check is also the function
        monkeypatch.setattr(importlib.import_module(module), "run_rule", both)
    paths: list[Path] = []
    for fmt in ("2019", "2021"):
        values = corpus.consistent_values(fmt, seed=5)
        for i, (_, rule_fmt, breaker, _) in enumerate(BREAKS):
            if rule_fmt == fmt:
                path = tmp_path / f"{fmt}-{i}.xlsx"
                corpus.write_report(path, fmt, breaker(dict(values)), year=2020 if fmt == "2019" else 2022)
                paths.append(path)
        blanks = tmp_path / f"{fmt}-typed.xlsx"  # blanks, placeholders, text, a unit, a fraction: D1–D3
        keys = [k for k in values if k.startswith("t3.")]
        corpus.write_report(blanks, fmt, values, year=2020 if fmt == "2019" else 2022,
                            raw={keys[0]: "", keys[1]: "/", keys[2]: "５件", keys[3]: "1.5", keys[4]: "无",
                                 keys[5]: -2})
        paths.append(blanks)
        for layout in messy.LAYOUTS:
            path = tmp_path / f"{fmt}-{layout}.xlsx"
            messy.build(path, fmt, layout=layout, year=0 if layout == "shifted" else None)
            paths.append(path)
    corpus.write_mixed_2021(tmp_path / "mixed.xlsx")  # S1
    corpus.write_typo_label(tmp_path / "typo.xlsx")  # S2
    paths += [tmp_path / "mixed.xlsx", tmp_path / "typo.xlsx", Path(__file__).parent / "data" / "xiaolou-2020.txt"]
    for path in paths:
        for rules in ("national", "guangdong"):
            report = xlcheck.check(path, rules=rules, level="县级人民政府")
            assert report.error is None, report.error
    xlcheck.check(paths[0], previous=paths[1])  # the cross-year rules
    xlcheck.check(paths[0], previous=paths[0])
    assert {"S1", "S2", "D1", "D2", "D3", "T3-ID", "N1", "T3-XY", "XY-COPY"} <= set(compared)
