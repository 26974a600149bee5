"""The reviewer's summary, read back: one row per file, every finding, per-rule counts with a chart,
links to the annotated copies; the CSV and JSON say the same."""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from xlcheck import batch, summary
from xlcheck.cli import main
from xlcheck.findings import Finding, Report, Severity

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import make_corpus


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A folder checked once on the command line, with annotated copies and all three summaries."""
    base = tmp_path_factory.mktemp("review")
    root = base / "收件"
    manifest = make_corpus.build(root, 14, seed=11, workers=1, error_rate=0.4)
    out = base / "已标注"
    paths = {kind: base / "汇总" / f"summary.{kind}" for kind in ("xlsx", "csv", "json")}
    for path in paths.values():
        code = main(["check", str(root), "--out-dir", str(out), "--summary", str(path), "--format", "json", "-j", "2"])
        assert code == 3
    settings = batch.Settings()
    reports = batch.run(batch.plan(batch.expand([str(root)]).files, settings), settings, jobs=1).reports
    return {"root": root, "out": out, "manifest": manifest, "reports": reports, **paths}


def rows(ws: Any) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_workbook_has_a_row_per_file_with_the_right_values(run: dict[str, Any]) -> None:
    wb = load_workbook(run["xlsx"])
    assert wb.sheetnames[:3] == ["文件汇总", "问题明细", "规则统计"]  # then the reviewer's sheets (test_years)
    head, *body = rows(wb["文件汇总"])
    assert tuple(head) == summary.FILE_HEADER
    reports: list[Report] = run["reports"]
    assert len(body) == len(reports) == len(run["manifest"]["files"])
    verdicts = {"clean": {"通过", "通过（有警告）"}, "error": {"未通过"}, "unreadable": {"无法校验"}}
    for row, report in zip(body, reports, strict=True):
        _number, unit, path, fmt, year, verdict, errors, warnings, suggestions, rules, copy, note = row
        assert path == report.path
        key = Path(os.path.relpath(path, run["root"])).as_posix()
        assert verdict in verdicts[run["manifest"]["files"][key]], key
        assert (unit or None) == report.unit
        if report.unit is not None and key in run["manifest"]["units"]:
            assert unit == run["manifest"]["units"][key]
        assert (fmt or None, year) == (report.format, report.year)
        assert (errors, warnings) == (report.count(Severity.ERROR), report.count(Severity.WARNING))
        assert (suggestions or 0) == len(report.suggestions)
        assert (rules or "") == "、".join(dict.fromkeys(f.rule for f in report.findings if f.rule != "FIX"))
        if report.error is not None:
            assert note == report.error and copy is None
        assert (copy is not None) == (report.error is None and bool(report.findings))


def test_links_go_to_the_annotated_copies_relative_to_the_summary(run: dict[str, Any]) -> None:
    ws = load_workbook(run["xlsx"])["文件汇总"]
    linked = 0
    for row in ws.iter_rows(min_row=2):
        cell = row[10]
        if cell.value:
            linked += 1
            target = cell.hyperlink.target
            assert not os.path.isabs(target)
            resolved = (run["xlsx"].parent / target).resolve()
            assert resolved.exists() and resolved.is_relative_to(run["out"].resolve())
            assert resolved.name.endswith(".checked.xlsx")
        else:
            assert cell.hyperlink is None
    assert linked == len(list(run["out"].rglob("*.checked.xlsx"))) > 0


def test_findings_sheet_lists_every_finding_with_a_link_to_its_cell(run: dict[str, Any]) -> None:
    ws = load_workbook(run["xlsx"])["问题明细"]
    head, *body = rows(ws)
    assert tuple(head) == summary.FINDING_HEADER
    expected = [(r.path, f.rule, f.severity.label, f.message, "、".join(f.cells))
                for r in run["reports"] for f in sorted(r.findings, key=lambda f: -f.severity.rank)]
    assert [(b[2], b[3], b[4], b[5], b[6]) for b in body] == expected
    assert [b[0] for b in body] == list(range(1, len(body) + 1))
    first = next(r for r in ws.iter_rows(min_row=2) if r[6].value)
    link = first[6].hyperlink
    sheet, _, ref = first[6].value.split("、")[0].rpartition("!")
    assert link.location == f"'{sheet}'!{ref}" and link.target.endswith(".checked.xlsx")


def test_rule_sheet_counts_and_chart(run: dict[str, Any]) -> None:
    ws = load_workbook(run["xlsx"])["规则统计"]
    values = rows(ws)
    overview = {r[0]: r[1] for r in values[:10] if r and r[0]}
    reports: list[Report] = run["reports"]
    assert overview["文件总数"] == overview["已校验"] == len(reports)
    assert overview["无法校验"] == sum(1 for r in reports if r.error)
    assert overview["错误合计"] == sum(r.count(Severity.ERROR) for r in reports)
    start = next(i for i, r in enumerate(values) if r and r[0] == "规则")
    table = {r[0]: r for r in values[start + 1:] if r and r[0]}
    # FIX says how to mend a file's errors: it is no rule a file fails
    files = Counter(rule for r in reports for rule in {f.rule for f in r.findings if f.rule != "FIX"})
    findings = Counter(f.rule for r in reports for f in r.findings if f.rule != "FIX")
    assert {k: (v[2], v[3]) for k, v in table.items()} == {k: (files[k], findings[k]) for k in files}
    assert all(v[1] for v in table.values())  # each rule's description
    counts = [v[2] for v in table.values()]
    assert counts == sorted(counts, reverse=True)
    assert len(ws._charts) == 1
    assert all(ws.cell(start + 1, col).font.b for col in range(1, len(summary.RULE_HEADER) + 1))
    with zipfile.ZipFile(run["xlsx"]) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert "barChart" in chart and "规则统计" in chart
    # the bars are the rules' rows, every one of them, titled by the header above them
    first, last = start + 2, start + 1 + len(table)
    refs = re.findall(r"<(?:c:)?f>'规则统计'!([^<]+)</(?:c:)?f>", chart)
    assert sorted(refs) == sorted([f"$C${first}:$C${last}", f"$A${first}:$A${last}", f"C{start + 1}"]), refs


def test_the_summary_of_thousands_of_findings_looks_at_its_rows_once(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl.worksheet.worksheet import Worksheet

    asked = Counter[str]()
    max_row = Worksheet.max_row

    def counted(ws: Worksheet) -> int:
        asked[ws.title] += 1
        return max_row.fget(ws)  # type: ignore[no-any-return, attr-defined]

    monkeypatch.setattr(Worksheet, "max_row", property(counted))
    reports = [Report(f"{i}.xlsx", "2021", 2022, [Finding("T4-SUM", Severity.ERROR, "表四不平", (f"Sheet!B{j}",))
                                                  for j in range(5)], unit=f"{i}镇人民政府") for i in range(400)]
    wb = load_workbook(summary.write_summary(tmp_path / "s.xlsx", reports))
    assert len(rows(wb["问题明细"])) == 1 + 2000 and len(rows(wb["文件汇总"])) == 1 + 400
    # a few times a sheet (its filter, openpyxl's own writer), never once a row: asking after every
    # row made the summary quadratic
    assert max(asked.values()) <= 4, asked


def test_csv_and_json_say_the_same(run: dict[str, Any]) -> None:
    with open(run["csv"], encoding="utf-8-sig", newline="") as stream:
        head, *body = list(csv.reader(stream))
    assert tuple(head) == summary.FILE_HEADER
    sheet = rows(load_workbook(run["xlsx"])["文件汇总"])[1:]
    assert body == [["" if v is None else str(v) for v in row] for row in sheet]
    data = json.loads(run["json"].read_text(encoding="utf-8"))
    assert data["summary"]["checked"] == len(sheet) and data["summary"]["interrupted"] is False
    for entry, row, report in zip(data["files"], sheet, run["reports"], strict=True):
        assert (entry["path"], entry["verdict"], entry["errors"]) == (row[2], row[5], row[6])
        assert entry["findings"] == [f.to_dict() for f in report.findings]
        assert ("error" in entry) == (report.error is not None)


def test_reports_alone_and_an_interrupted_run(tmp_path: Path) -> None:
    reports = [Report("甲.xlsx", "2021", 2022, [Finding("T4-SUM", Severity.ERROR, "表四不平", ("Sheet!B3",))],
                      unit="甲镇人民政府"),
               Report("乙.xlsx", error="乙.xlsx：无法读取")]
    path = summary.write_summary(tmp_path / "s.xlsx", reports, total=5, interrupted=True)
    wb = load_workbook(path)
    body = rows(wb["文件汇总"])[1:]
    assert [r[5] for r in body] == ["未通过", "无法校验"]
    assert body[0][1] == "甲镇人民政府" and body[0][9] == "T4-SUM"
    stats = rows(wb["规则统计"])
    assert any(r[0] == "注意" and "共 5 个文件，只校验了 2 个" in r[1] for r in stats if r and r[0])
    with pytest.raises(summary.SummaryError):
        summary.write_summary(tmp_path / "s.txt", reports)
    empty = summary.write_summary(tmp_path / "empty.xlsx", [])
    assert rows(load_workbook(empty)["文件汇总"]) == [list(summary.FILE_HEADER)]


def test_text_from_the_workbooks_cannot_break_or_inject_into_the_summary(tmp_path: Path) -> None:
    import corpus

    values = corpus.consistent_values("2021", 2)
    path = tmp_path / "odd.xlsx"
    corpus.write_report(path, "2021", values, year=2022,
                        raw={"t3.public.natural": "5_x0007_件", "t3.public.legal": "=HYPERLINK(\"x\")"})
    summary = tmp_path / "s.xlsx"
    assert main(["check", str(path), "--no-annotate", "--summary", str(summary)]) in (0, 1)
    import openpyxl

    ws = openpyxl.load_workbook(summary)["问题明细"]
    messages = [ws.cell(r, 6).value for r in range(2, ws.max_row + 1)]
    assert any("5件" in m for m in messages)
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
