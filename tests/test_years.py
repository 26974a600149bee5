"""Across years: T3-XY, T2-XY and XY-COPY against last year's report, and how years are paired."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import corpus
import pytest

import xlcheck
from xlcheck import Rule, Severity, hookimpl
from xlcheck.cli import main
from xlcheck.pairing import normalize_unit, pair, same_unit
from xlcheck.plugins import load
from xlcheck.rules import Overlay
from xlcheck.testing import write_report
from xlcheck.yearvalues import YearValues
from xlcheck_national import LEVELS

# last year: 3 applications carried forward by 自然人, 1 by 法人 (商业企业); 10 规范性文件 in force
LAST = {"t3.new.natural": 5, "t3.new.business": 1, "t3.new.total": 6, "t3.public.natural": 2, "t3.public.total": 2,
        "t3.total.natural": 2, "t3.total.total": 2, "t3.carry_forward.natural": 3, "t3.carry_forward.business": 1,
        "t3.carry_forward.total": 4, "t2.art20_1.normative.made": 4, "t2.art20_1.normative.in_force": 10}
# this year carries over what last year carried forward, and 10 + 3 − 1 = 12 in force
THIS = {"t3.carried_over.natural": 3, "t3.carried_over.business": 1, "t3.carried_over.total": 4,
        "t3.public.natural": 3, "t3.public.business": 1, "t3.public.total": 4, "t3.total.natural": 3,
        "t3.total.business": 1, "t3.total.total": 4, "t2.art20_1.normative.made": 3,
        "t2.art20_1.normative.repealed": 1, "t2.art20_1.normative.in_force": 12}


def report_at(path: Path, values: dict[str, Any], year: int, unit: str = "青山镇人民政府", **kw: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_report(path, values, year=year, cover={"unit_name": unit, **kw.pop("cover", {})}, **kw)
    return path


def rules_of(report: xlcheck.Report, prefix: str = "") -> list[str]:
    return [f.rule for f in report.findings if f.rule.startswith(prefix)]


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", "--format", "json", "--no-annotate", *args])
    return code, {Path(r["path"]).as_posix(): r for r in json.loads(capsys.readouterr().out)["reports"]}


def test_consistent_years_pass_and_name_the_previous_file(tmp_path: Path) -> None:
    last = report_at(tmp_path / "2022.xlsx", LAST, 2022)
    this = report_at(tmp_path / "2023.xlsx", THIS, 2023)
    report = xlcheck.check(this, previous=last)
    assert report.ok and report.findings == [], report.findings
    assert report.previous == str(last)
    assert report.to_dict()["previous"] == str(last)
    assert xlcheck.check(this).to_dict()["previous"] is None


def test_t3_xy_names_this_years_cells_and_quotes_last_years_file_cells_and_numbers(tmp_path: Path) -> None:
    last = report_at(tmp_path / "青山镇2022.xlsx", LAST, 2022)
    values = dict(THIS, **{"t3.carried_over.natural": 2, "t3.carried_over.total": 3, "t3.new.natural": 1,
                           "t3.new.total": 1})
    cells = write_report(tmp_path / "2023.xlsx", values, year=2023, cover={"unit_name": "青山镇人民政府"})
    last_cells = write_report(tmp_path / "cells.xlsx", LAST, year=2022)
    report = xlcheck.check(tmp_path / "2023.xlsx", previous=last)
    xy = [f for f in report.findings if f.rule == "T3-XY"]
    assert [f.cells for f in xy] == [(cells["t3.carried_over.natural"],), (cells["t3.carried_over.total"],)]
    assert all(f.severity is Severity.ERROR for f in xy)
    first = xy[0].message
    assert "二、上年结转申请数量（自然人）为 2" in first and "四、结转下年度继续办理（自然人）为 3" in first
    assert "青山镇2022.xlsx" in first and f"{last_cells['t3.carry_forward.natural']} 为 3" in first
    assert not report.ok


def test_t2_xy_2021_warns_and_says_revisions_blur_it(tmp_path: Path) -> None:
    last = report_at(tmp_path / "2022.xlsx", LAST, 2022)
    this = report_at(tmp_path / "2023.xlsx", dict(THIS, **{"t2.art20_1.normative.in_force": 15}), 2023)
    report = xlcheck.check(this, previous=last)
    (finding,) = [f for f in report.findings if f.rule == "T2-XY"]
    assert finding.severity is Severity.WARNING
    assert "为 15" in finding.message and "为 12" in finding.message and "修订" in finding.message
    assert "2022.xlsx" in finding.message
    assert report.ok  # a warning only


def test_t2_xy_2019_variant_and_no_t2_xy_across_formats(tmp_path: Path) -> None:
    last = report_at(tmp_path / "2019.xlsx", {"t2.art20_5.licensing.prev_items": 20, "t2.art20_5.licensing.change": -3},
                     2019, fmt="2019")
    good = report_at(tmp_path / "2020.xlsx", {"t2.art20_5.licensing.prev_items": 17}, 2020, fmt="2019")
    bad = report_at(tmp_path / "2020b.xlsx", {"t2.art20_5.licensing.prev_items": 20}, 2020, fmt="2019")
    assert rules_of(xlcheck.check(good, previous=last), "T2-XY") == []
    (finding,) = [f for f in xlcheck.check(bad, previous=last).findings if f.rule == "T2-XY"]
    assert "上一年项目数量" in finding.message and "为 20" in finding.message and "为 17" in finding.message
    # 2020 (2019 format) to 2021: the columns changed, nothing to compare in table 二
    later = report_at(tmp_path / "2021.xlsx", {"t2.art20_1.normative.in_force": 99}, 2021)
    assert rules_of(xlcheck.check(later, previous=good), "T2-XY") == []


def test_xy_copy_on_a_resubmitted_report(tmp_path: Path) -> None:
    last = report_at(tmp_path / "2022.xlsx", LAST, 2022)
    copied = report_at(tmp_path / "2023.xlsx", LAST, 2023)
    report = xlcheck.check(copied, previous=last)
    (finding,) = [f for f in report.findings if f.rule == "XY-COPY"]
    assert finding.severity is Severity.WARNING
    assert "全部相同" in finding.message and "内容雷同" in finding.message and "2022.xlsx" in finding.message
    n_cells = sum(1 for key in xlcheck.check(copied, keep_values=True).values.values)  # type: ignore[union-attr]
    assert f"{n_cells} 个数据" in finding.message
    # a report with one number changed is not a copy; nor are two reports of zeros only
    assert rules_of(xlcheck.check(tmp_path / "2023.xlsx", previous=report_at(
        tmp_path / "x.xlsx", dict(LAST, **{"t4.review.upheld": 1, "t4.review.total": 1}), 2022)), "XY-") == []
    zeros = report_at(tmp_path / "z.xlsx", {}, 2023)
    assert rules_of(xlcheck.check(zeros, previous=report_at(tmp_path / "z0.xlsx", {}, 2022)), "XY-") == []


def test_xl_same_with_a_share_counts_every_cell(tmp_path: Path) -> None:
    """A plugin's copy rule with a share below 1: a report differing in a few cells is still told,
    with how many are the same; one differing in more than the share allows is not."""
    class Plugin:
        @hookimpl
        def xlcheck_overlays(self) -> list[Overlay]:
            rule = Rule("EX-SAME", Severity.WARNING, "表三与上年 98% 以上相同",
                        {"previous": {"xl_same": {"tables": ["t3"], "share": 0.98}}})
            return [Overlay("national", rules=(rule,))]

    registry = load(extra=[Plugin()])
    last = report_at(tmp_path / "2022.xlsx", LAST, 2022)
    n_cells = sum(1 for key in xlcheck.check(last, keep_values=True).values.values  # type: ignore[union-attr]
                  if key.startswith("t3."))
    # cells in the first rows of 表三, where a comparison stopping early would stop
    changed = ["t3.carried_over.natural", "t3.carried_over.business", "t3.new.business", "t3.new.natural",
               "t3.new.total", "t3.public.natural", "t3.public.total"]
    near = report_at(tmp_path / "near.xlsx", dict(LAST, **{changed[0]: 9}), 2023)
    (finding,) = [f for f in xlcheck.check(near, previous=last, registry=registry).findings if f.rule == "EX-SAME"]
    assert f"表三的 {n_cells} 个数据" in finding.message and f"有 {n_cells - 1} 个相同" in finding.message
    far = report_at(tmp_path / "far.xlsx", dict(LAST, **{key: 9 for key in changed}), 2023)
    assert n_cells - len(changed) < n_cells * 0.98
    assert "EX-SAME" not in rules_of(xlcheck.check(far, previous=last, registry=registry))


def test_cross_year_rules_are_ordinary_rules(tmp_path: Path) -> None:
    """An overlay switches one off; a plugin adds its own with a ``previous.`` key."""
    last = report_at(tmp_path / "2022.xlsx", LAST, 2022)
    this = report_at(tmp_path / "2023.xlsx", dict(THIS, **{"t3.carried_over.natural": 0, "t3.carried_over.total": 1,
                                                          "t3.new.natural": 3, "t3.new.total": 4}), 2023)

    class Plugin:
        @hookimpl
        def xlcheck_overlays(self) -> list[Overlay]:
            rule = Rule("EX-GROW", Severity.WARNING, "本年新收申请不少于上年",
                        {"previous": {"xl_compare": {"left": ["t3.new.total"], "op": ">=",
                                                     "right": ["previous.t3.new.total"]}}})
            return [Overlay("national", rules=(rule,), overrides={"T3-XY": {"enabled": False}})]

    registry = load(extra=[Plugin()])
    report = xlcheck.check(this, previous=last, registry=registry)
    assert "T3-XY" not in rules_of(report)
    (grow,) = [f for f in report.findings if f.rule == "EX-GROW"]
    assert "为 4" in grow.message and "上年一、本年新收申请数量（总计）" in grow.message and "为 6" in grow.message
    assert "T3-XY" in rules_of(xlcheck.check(this, previous=last))


def test_previous_option_with_folders_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    last = report_at(tmp_path / "2022" / "青山.xlsx", LAST, 2022, unit="青山镇人民政府")
    report_at(tmp_path / "2022" / "石滩.xlsx", LAST, 2022, unit="石滩镇人民政府")
    report_at(tmp_path / "2023" / "青山.xlsx", dict(THIS, **{"t3.carried_over.natural": 9}), 2023,
              unit="青山镇政府")
    report_at(tmp_path / "2023" / "新塘.xlsx", THIS, 2023, unit="新塘镇人民政府")
    code, reports = run_json(capsys, str(tmp_path / "2023"), "--previous", str(tmp_path / "2022"))
    assert code == 1
    qingshan = reports[(tmp_path / "2023" / "青山.xlsx").as_posix()]
    assert qingshan["previous"] == str(last)
    assert "T3-XY" in [f["rule"] for f in qingshan["findings"]]
    xintang = reports[(tmp_path / "2023" / "新塘.xlsx").as_posix()]
    assert xintang["previous"] is None
    (info,) = xintang["findings"]
    assert (info["rule"], info["severity"]) == ("XY-NONE", "info") and "2022" in info["message"]
    assert len(reports) == 2  # last year's files are read, not checked


def test_last_years_own_errors_are_not_this_years_findings(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Last year's report is read to compare with, not checked: its own mistakes (a wrong 总计, a
    value typed as text) are not reported, and it is still compared with."""
    broken = dict(LAST, **{"t3.total.natural": 7, "t4.review.total": "三"})
    last = report_at(tmp_path / "2022" / "青山.xlsx", broken, 2022)
    assert {"T3-RES", "D1"} <= set(rules_of(xlcheck.check(last)))  # a check of it would tell
    this = report_at(tmp_path / "2023" / "青山.xlsx", THIS, 2023)
    code, reports = run_json(capsys, str(tmp_path / "2023"), "--previous", str(tmp_path / "2022"))
    assert code == 0
    assert list(reports) == [this.as_posix()]
    assert reports[this.as_posix()]["previous"] == str(last)
    assert reports[this.as_posix()]["findings"] == []


def test_consecutive_years_in_one_batch_pair_by_themselves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for year, values in ((2021, LAST), (2022, THIS)):
        report_at(tmp_path / f"{year}.xlsx", values, year)
    report_at(tmp_path / "2023.xlsx", dict(THIS, **{"t3.carried_over.total": 5}), 2023)  # 2022 carried forward 0
    report_at(tmp_path / "other2023.xlsx", THIS, 2023, unit="石滩镇人民政府")
    code, reports = run_json(capsys, str(tmp_path))
    assert code == 1
    by_year = {Path(k).stem: v for k, v in reports.items()}
    assert by_year["2022"]["previous"] == str(tmp_path / "2021.xlsx")
    assert by_year["2023"]["previous"] == str(tmp_path / "2022.xlsx")
    assert by_year["2021"]["previous"] is None and by_year["2021"]["findings"] == []
    assert "T3-XY" in [f["rule"] for f in by_year["2023"]["findings"]]
    # a unit met only once in a batch of several years is not nagged about a previous year
    assert by_year["other2023"]["findings"] == [] and by_year["other2023"]["previous"] is None
    # the same run, one workbook per line of a list file, with a gap year: the gap is reported
    (tmp_path / "2022.xlsx").unlink()
    _, reports = run_json(capsys, str(tmp_path))
    (note,) = [f for f in reports[(tmp_path / "2023.xlsx").as_posix()]["findings"] if f["rule"] == "XY-NONE"]
    assert "2022 年度" in note["message"]


def test_title_units_are_matched_despite_name_variants(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Workbooks laid out as offices lay them out: the unit only in the title, written differently."""
    values = dict(corpus.consistent_values("2021", 3))
    first = tmp_path / "a.xlsx"
    second = tmp_path / "b.xlsx"
    unit = corpus._UNIT
    try:
        corpus._UNIT = "青山镇人民政府"
        corpus.write_report(first, "2021", values, year=2022)
        corpus._UNIT = "青山镇　政府"  # a full-width space, 政府 for 人民政府
        corpus.write_report(second, "2021", values, year=2023, sheets="three", drift=True)
    finally:
        corpus._UNIT = unit
    report = xlcheck.check(second, previous=first)
    assert report.previous == str(first)
    assert "XY-COPY" in rules_of(report)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("青山镇人民政府", "青山镇政府", True),
    ("青山镇人民政府", " 青山镇 人民政府 ", True),
    ("荔城街道办事处", "荔城街道", True),
    ("广州市（增城区）政务服务数据管理局", "广州市(增城区)政务服务数据管理局", True),
    ("青山镇人民政府", "青山镇财政所", False),
    ("增江街道办事处", "增城街道办事处", False),
    ("石滩镇人民政府", "石滩镇人民政府办公室", False),
])
def test_unit_names(a: str, b: str, same: bool) -> None:
    assert (normalize_unit(a) == normalize_unit(b)) is same
    assert same_unit(YearValues("a", "2021", 2022, a), YearValues("b", "2021", 2023, b)) is same


def test_the_credit_code_decides_when_both_carry_one() -> None:
    code_a, code_b = "11440183007517426P", "11440183007517434H"
    old = YearValues("old.xlsx", "2021", 2022, "青山镇人民政府", code_a)
    renamed = YearValues("new.xlsx", "2021", 2023, "青山街道办事处", code_a)
    namesake = YearValues("x.xlsx", "2021", 2023, "青山镇人民政府", code_b)
    (a, b) = pair([renamed, namesake], [old], expect=True)
    assert a.previous is old and b.previous is None and "missing" in b.notes


def test_a_name_matching_two_files_of_one_year_is_a_warning_naming_both(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report_at(tmp_path / "last" / "青山-初稿.xlsx", LAST, 2022)
    report_at(tmp_path / "last" / "青山-定稿.xlsx", LAST, 2022, unit="青山镇政府")
    report_at(tmp_path / "this" / "青山.xlsx", THIS, 2023)
    report_at(tmp_path / "this" / "青山-重报.xlsx", THIS, 2023)
    code, reports = run_json(capsys, str(tmp_path / "this"), "--previous", str(tmp_path / "last"))
    assert code == 0
    for name, other in (("青山.xlsx", "青山-重报.xlsx"), ("青山-重报.xlsx", "青山.xlsx")):
        report = reports[(tmp_path / "this" / name).as_posix()]
        dups = [f for f in report["findings"] if f["rule"] == "XY-DUP"]
        assert all(f["severity"] == "warning" for f in dups) and len(dups) == 2
        twin, last = sorted(dups, key=lambda f: "2022" in f["message"])
        assert other in twin["message"] and "2023" in twin["message"]
        assert "青山-初稿.xlsx" in last["message"] and "青山-定稿.xlsx" in last["message"]
        assert report["previous"] is None


def test_unreadable_previous_is_said(tmp_path: Path) -> None:
    broken = tmp_path / "2022.xlsx"
    broken.write_bytes(b"not a workbook")
    report = xlcheck.check(report_at(tmp_path / "2023.xlsx", THIS, 2023), previous=broken)
    (note,) = report.findings
    assert note.rule == "XY-NONE" and "2022.xlsx" in note.message and report.previous is None


def test_annotated_copies_carry_cross_year_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    report_at(tmp_path / "in" / "2022.xlsx", LAST, 2022)
    cells = write_report(tmp_path / "in" / "2023.xlsx", dict(THIS, **{"t3.carried_over.natural": 2,
                                                                       "t3.new.natural": 1}),
                         year=2023, cover={"unit_name": "青山镇人民政府"})
    shutil.rmtree(tmp_path / "out", ignore_errors=True)
    assert main(["check", str(tmp_path / "in"), "--out-dir", str(tmp_path / "out"), "-j", "2"]) == 1
    capsys.readouterr()
    wb = load_workbook(tmp_path / "out" / "2023.checked.xlsx")
    sheet, ref = cells["t3.carried_over.natural"].split("!")
    assert "T3-XY" in wb[sheet][ref].comment.text


def test_one_file_does_not_import_pairing(tmp_path: Path) -> None:
    path = report_at(tmp_path / "a.xlsx", THIS, 2023)
    code = ("import sys\nfrom xlcheck.cli import main\n"
            f"main(['check', '--no-annotate', {str(path)!r}])\n"
            "print(sorted(m for m in sys.modules if m in ('xlcheck.pairing', 'xlcheck.crossyear', "
            "'xlcheck.review', 'xlcheck.roster', 'xlcheck.aggregate')), file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr


# ── roster ───────────────────────────────────────────────────────────────────────────────────────
def test_roster_statuses_and_levels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import Workbook, load_workbook

    folder = tmp_path / "2023"
    report_at(folder / "青山.xlsx", dict(THIS, **{"t2.art20_1.regulations.in_force": 2}), 2023, unit="青山镇政府")
    report_at(folder / "石滩.xlsx", THIS, 2023, unit="石滩镇人民政府")
    report_at(folder / "外单位.xlsx", THIS, 2023, unit="某某局")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in (("序号", "单位名称", "行政层级"), (1, "青山镇人民政府", "乡镇人民政府（街道办事处）"),
                (2, "石滩镇人民政府", "设区的市级人民政府"), (3, "正果镇人民政府", "")):
        ws.append(row)
    wb.save(tmp_path / "名单.xlsx")
    summary = tmp_path / "s.xlsx"
    code, reports = run_json(capsys, str(folder), "--roster", str(tmp_path / "名单.xlsx"), "--summary", str(summary))
    assert code == 0
    # the roster's level reaches T2-LVL: a township makes no 规章; a districted city may
    qingshan = reports[(folder / "青山.xlsx").as_posix()]
    assert [f["rule"] for f in qingshan["findings"]] == ["T2-LVL"]
    assert reports[(folder / "石滩.xlsx").as_posix()]["findings"] == []
    sheet = load_workbook(summary)["报送情况"]
    rows = [r[1:4] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert rows == [("已报送", "青山镇人民政府", None), ("已报送", "石滩镇人民政府", None),
                    ("未报送", "正果镇人民政府", None), ("名单外", "某某局", None)]
    data_summary = tmp_path / "s.json"
    run_json(capsys, str(folder), "--roster", str(tmp_path / "名单.xlsx"), "--summary", str(data_summary))
    roster = json.loads(data_summary.read_text(encoding="utf-8"))["roster"]
    assert [(r["status"], r["unit"], r["level"]) for r in roster][2:] == [("未报送", "正果镇人民政府", None),
                                                                        ("名单外", "某某局", None)]
    main(["check", str(folder), "--roster", str(tmp_path / "名单.xlsx"), "--no-annotate"])
    assert "应报送 3 个单位，已报送 2 个，未报送 1 个（正果镇人民政府）；名单外的文件 1 个" in capsys.readouterr().err


def test_a_csv_roster_without_headers_and_bad_rosters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from xlcheck.roster import read_roster

    path = tmp_path / "名单.csv"
    path.write_bytes("青山镇人民政府,11440183007517426P,乡镇人民政府（街道办事处）\n石滩镇政府,,县级\n".encode("gb18030"))
    roster = read_roster(path)
    assert [(u.name, u.code, u.level) for u in roster.units] == [
        ("青山镇人民政府", "11440183007517426P", "乡镇人民政府（街道办事处）"), ("石滩镇政府", None, None)]
    assert "第 2 行" in roster.problems[0] and "县级" in roster.problems[0]
    assert roster.level_for("青山镇政府", None) == "乡镇人民政府（街道办事处）"
    assert roster.level_for("青山镇政府", "11440183007517434H") is None  # the same name, another unit's code
    (tmp_path / "空.csv").write_text("\n", encoding="utf-8")
    report_at(tmp_path / "a.xlsx", THIS, 2023)
    for bad in ("空.csv", "没有这个文件.xlsx"):
        assert main(["check", str(tmp_path / "a.xlsx"), "--roster", str(tmp_path / bad)]) == 2
        err = capsys.readouterr().err
        assert bad in err and "Traceback" not in err


@pytest.mark.parametrize(("name", "unit"), [
    ("0016-增江街道党政办公室2023年政府信息公开工作年度报告.xlsx", "增江街道党政办公室"),
    ("附件2：青山镇2023年政府信息公开工作年度报告表.xlsx", "青山镇"),
    ("（3）青山镇 2023年度政府信息公开工作年度报告（定稿）.xls", "青山镇"),
    ("【01】石滩镇人民政府_2023年政府信息公开工作年度报告.xlsx", "石滩镇人民政府"),
    ("2023年正果镇政府信息公开工作年度报告.xlsx", "正果镇"),
    ("石滩镇人民政府政府信息公开工作年度报告.xlsx", "石滩镇人民政府"),
    ("2023年政府信息公开工作年度报告.xlsx", None),
    ("关于报送2023年政府信息公开工作年度报告的通知.xlsx", None),
    ("XX镇2023年政府信息公开工作年度报告.xlsx", None),
    ("青山镇.xlsx", None),
    ("report-2023.xlsx", None),
])
def test_the_unit_a_report_s_file_is_named_after(name: str, unit: str | None) -> None:
    from xlcheck.locator import file_unit

    assert file_unit(f"/收件/{name}") == unit


@pytest.mark.parametrize(("name", "year"), [
    ("0016-青山镇人民政府2023年政府信息公开工作年度报告报表.xlsx", 2023),
    ("青山镇政府信息公开工作年度报告（2023年）定稿.xlsx", 2023),
    ("2023年青山镇政府信息公开工作年度报告.xlsx", 2023),
    ("青山镇政府信息公开工作年度报告.xlsx", None),
])
def test_a_workbook_naming_no_year_has_its_file_s(tmp_path: Path, name: str, year: int | None) -> None:
    path = tmp_path / name
    write_report(path, {}, year=None)
    report = xlcheck.check(path)
    assert report.year == year
    assert ("S1" in rules_of(report)) == (year is None)


def test_a_workbook_naming_no_unit_is_known_by_its_file_name(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    # the tables alone, no title and no 填报单位, sent by the unit named after itself
    for year, values in ((2022, LAST), (2023, THIS)):
        report_at(tmp_path / str(year) / f"0016-青山镇人民政府{year}年政府信息公开工作年度报告.xlsx", values, year,
                  unit="")
    roster = tmp_path / "名单.csv"
    roster.write_text("单位名称\n青山镇人民政府\n石滩镇人民政府\n", encoding="utf-8")
    code, reports = run_json(capsys, str(tmp_path / "2023"), "--previous", str(tmp_path / "2022"),
                             "--roster", str(roster))
    (report,) = reports.values()
    assert report["previous"].endswith("0016-青山镇人民政府2022年政府信息公开工作年度报告.xlsx")
    assert code == 0, report["findings"]
    # what a workbook says of its unit goes before its file's name
    named = report_at(tmp_path / "青山镇人民政府2023年政府信息公开工作年度报告.xlsx", THIS, 2023, unit="石滩镇人民政府")
    assert xlcheck.check(named).unit == "石滩镇人民政府"
    unnamed = tmp_path / "2023" / "0016-青山镇人民政府2023年政府信息公开工作年度报告.xlsx"
    assert xlcheck.check(unnamed).unit == "青山镇人民政府"
    main(["check", str(tmp_path / "2023"), "--roster", str(roster), "--no-annotate"])
    assert "应报送 2 个单位，已报送 1 个，未报送 1 个（石滩镇人民政府）" in capsys.readouterr().err


def test_a_roster_s_township_short_forms_are_taken_and_bad_levels_told_once(tmp_path: Path) -> None:
    from xlcheck.roster import read_roster

    path = tmp_path / "名单.csv"
    rows = ["单位名称,行政层级", "青山镇人民政府,乡镇", "石滩镇人民政府,街道办事处", "增江街道办事处, 镇街 "]
    rows += [f"第{i}局,县级" for i in range(40)] + ["某区政府,区政府", "第40局,县级"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    roster = read_roster(path)
    assert [u.level for u in roster.units[:3]] == ["乡镇人民政府（街道办事处）"] * 3
    allowed = "、".join(LEVELS)
    assert roster.problems == [
        f"名单 名单.csv 第 5–44、46 行（共 41 行）：行政层级“县级”不在规定的选项中（{allowed}），这些行的层级不予采用",
        f"名单 名单.csv 第 45 行：行政层级“区政府”不在规定的选项中（{allowed}），这一行的层级不予采用"]
    assert all(u.level is None for u in roster.units[3:])


# ── aggregate ────────────────────────────────────────────────────────────────────────────────────
def test_the_aggregate_of_a_folder_equals_the_hand_sum_and_passes(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    folder = tmp_path / "in"
    layouts = {x.format: x for x in load().layouts}
    good = [dict(corpus.consistent_values("2021", seed)) for seed in range(3)]
    good[0]["t2.art20_8.fees.amount"] = 1.5
    for i, values in enumerate(good):
        report_at(folder / f"u{i}.xlsx", values, 2023, unit=f"单位{i}")
    report_at(folder / "fees-in-yuan.xlsx", dict(good[1], **{"t2.art20_8.fees.amount": "5000元"}), 2023,
              unit="单位9")
    report_at(folder / "broken.xlsx", dict(good[0], **{"t3.total.natural": 999}), 2023, unit="单位5")
    report_at(folder / "old.xlsx", good[0], 2022, unit="单位6")
    report_at(folder / "z-again.xlsx", good[2], 2023, unit="单位2")  # a unit's second file, after the first
    target = tmp_path / "汇总.xlsx"
    main(["check", str(folder), "--format", "json", "--no-annotate", "--aggregate", str(target)])
    err = capsys.readouterr().err
    assert "汇总表已写入" in err and "校验通过" in err
    cells = write_report(tmp_path / "cells.xlsx", fmt="2021")
    wb = load_workbook(target)
    included = [*good, dict(good[1], **{"t2.art20_8.fees.amount": 0.5})]  # 5000元 = 0.5 万元
    for key in layouts["2021"].fields:
        sheet, ref = cells[key].split("!")
        expected = sum(float(v.get(key, 0)) for v in included)
        assert wb[sheet][ref].value == pytest.approx(expected), key
    sheet, ref = cells["t2.art20_8.fees.amount"].split("!")
    assert "万元" in wb[sheet][ref].comment.text
    listing = {Path(r[2]).name: (r[4], r[5]) for r in wb["汇总说明"].iter_rows(min_row=2, values_only=True)}
    assert listing["u0.xlsx"] == ("计入", "通过校验")
    assert listing["broken.xlsx"][0] == "未计入" and "未通过校验" in listing["broken.xlsx"][1]
    assert listing["old.xlsx"][0] == "未计入" and "2023" in listing["old.xlsx"][1]
    assert listing["z-again.xlsx"][0] == "未计入" and "同一单位" in listing["z-again.xlsx"][1]
    assert xlcheck.check(target).ok  # and it passes its own check when checked again
    assert main(["check", str(folder / "u0.xlsx"), "--aggregate", str(folder / "u0.xlsx"), "--no-annotate"]) == 2


# ── the reviewer's summary ───────────────────────────────────────────────────────────────────────
def test_summary_sheets_cross_year_and_rule_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    report_at(tmp_path / "last" / "青山.xlsx", LAST, 2022)
    report_at(tmp_path / "this" / "青山.xlsx", dict(THIS, **{"t3.carried_over.natural": 2, "t3.new.natural": 1}),
              2023)
    report_at(tmp_path / "this" / "新塘.xlsx", THIS, 2023, unit="新塘镇人民政府")
    (tmp_path / "this" / "坏.xlsx").write_bytes(b"broken")
    summary = tmp_path / "s.xlsx"
    main(["check", str(tmp_path / "this"), "--previous", str(tmp_path / "last"), "--no-annotate",
          "--summary", str(summary)])
    capsys.readouterr()
    wb = load_workbook(summary)
    assert {"文件汇总", "问题明细", "规则统计", "跨年度比对", "规则通过情况"} <= set(wb.sheetnames)
    assert wb["规则统计"]._charts  # the bar chart is kept
    years = {Path(r[2]).name: r for r in wb["跨年度比对"].iter_rows(min_row=2, values_only=True)}
    assert years["青山.xlsx"][5] == "有差异" and "T3-XY" in years["青山.xlsx"][6]
    assert years["青山.xlsx"][4] == str(tmp_path / "last" / "青山.xlsx")
    assert years["新塘.xlsx"][5] == "未比对" and "XY-NONE" in years["新塘.xlsx"][6]
    status = {r[0]: r[2:5] for r in wb["规则通过情况"].iter_rows(min_row=2, values_only=True)}
    assert status["T3-XY"] == (0, 1, 2)  # one compared and broken; one without last year's, one unreadable
    assert status["T3-ID"] == (2, 0, 1)  # 2 + 1 = 3 + 0 still holds this year
    assert status["T2-19a"] == (0, 0, 3)  # 2019 format only
    assert status["T2-LVL"] == (0, 0, 3)  # no level known
    assert wb["规则通过情况"]._charts

