"""Published reports: the sample as text, web page, MHTML, Word and PDF gives the same findings, each
pointing at where it was published; the narrative rules N1–N5 fire on what the text says and stay
silent on a consistent text."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import published_forms as forms
import pytest

import xlcheck
from xlcheck import Overlay, Rule, Severity, hookimpl
from xlcheck.cli import main
from xlcheck.published import read_published, sniff

SAMPLE_TEXT = forms.SAMPLE.read_text(encoding="utf-8")
# the sample with its (七) 总计 row and its two narrative totals made right
CONSISTENT = {"\t(七) 总计\t0\t0\t0\t0\t0\t0\t0\t0": "\t(七) 总计\t0\t1\t0\t0\t0\t0\t0\t1",
              "公开类共85条": "公开类共86条", "共174条": "共176条"}


def text_report(tmp_path: Path, changes: dict[str, str] | None = None, name: str = "报告.txt",
                encoding: str = "utf-8") -> Path:
    text = SAMPLE_TEXT
    for old, new in (changes or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def with_overview(tmp_path: Path, sentence: str, consistent: bool = True) -> Path:
    """The sample (made consistent) with one more paragraph in section 一."""
    changes = dict(CONSISTENT) if consistent else {}
    changes["（二）严格遵守"] = f"{sentence}\n\n（二）严格遵守"
    return text_report(tmp_path, changes)


def found(report: xlcheck.Report, rule: str) -> list[xlcheck.Finding]:
    return [f for f in report.findings if f.rule == rule]


# ── the sample in every form ─────────────────────────────────────────────────────────────────────
def test_sample_text_reports_the_table_error_and_both_narrative_sums(tmp_path: Path) -> None:
    report = xlcheck.check(text_report(tmp_path))
    assert (report.format, report.year, report.error) == ("2019", 2020, None)
    assert report.unit == "广州市增城区小楼镇人民政府"
    rules = sorted(f.rule for f in report.findings)
    assert rules == ["D3", "FIX", "N3", "N3", "T3-ID", "T3-ID", "T3-RES", "T3-RES"]
    # the localizer's suggestion: （七）总计 should be 1, pointed at where it was published
    assert [(s.current, s.suggested, s.where) for s in report.suggestions] == [
        (0, 1, "表三 第 28 行 第 3 列（三（七）总计（自然人）：“0”）"),
        (0, 1, "表三 第 28 行 第 9 列（三（七）总计（总计）：“0”）")]
    assert "表三 第 28 行 第 3 列 三（七）总计（自然人）填的是 0，应为 1" in found(report, "FIX")[0].message
    sums = {f.message for f in found(report, "N3")}
    assert sums == {
        "正文“公开类共85条”，但所列各项相加为 86条（人事工作 2 + 公共资源配置领域 55 + 采购招标 28 + 基层政务公开 1）",
        "正文“我镇主动公开政府信息共174条”，但所列各项相加为 175条（资讯类 29 + 公开类 85 + 机构类 9 + "
        "政府信息公开目录类 51 + 依申请公开 1）",
    }
    assert all(f.severity is Severity.ERROR for f in found(report, "N3"))
    for finding in report.findings:
        assert finding.cells == () and finding.where
    res = next(f for f in found(report, "T3-RES") if "自然人" in f.message)
    assert res.message == "三（七）总计（自然人）为 0，但各办理结果之和为 1"
    # of a long sum's 20 cells (the total and 19 results), the total and the parts that are not 0
    assert res.where == ("表三 第 28 行 第 3 列（三（七）总计（自然人）：“0”）；"
                         "表三 第 6 行 第 3 列（三（一）予以公开（自然人）：“1”） 等 20 处")
    t3id = next(f for f in found(report, "T3-ID") if "自然人" in f.message)
    assert t3id.where is not None and t3id.where.count("表三") == 4
    assert found(report, "N3")[0].where.startswith("一、总体情况 第 2 段：“")


def _findings(report: xlcheck.Report) -> list[tuple[str, str, str]]:
    # the localizer's message names the published places, which differ between forms; its numbers do not
    fix = [("FIX", str(s.current), str(s.suggested)) for s in report.suggestions]
    return sorted([(f.rule, f.severity.value, f.message) for f in report.findings if f.rule != "FIX"] + fix)


@pytest.fixture(scope="module")
def text_findings(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str]]:
    return _findings(xlcheck.check(text_report(tmp_path_factory.mktemp("text"))))


FORMS = {
    "html": lambda p: p.write_bytes(forms.to_html(forms.blocks())),
    "html-gbk": lambda p: p.write_bytes(forms.to_html(forms.blocks(), charset="gb2312")),
    "html-one-table": lambda p: p.write_bytes(forms.to_html(forms.blocks(split=False), word=False, nbsp=False)),
    "mhtml": lambda p: p.write_bytes(forms.to_mhtml(forms.to_html(forms.blocks()))),
    "docx": lambda p: forms.to_docx(forms.blocks(), p),
}
SUFFIX = {"html": ".html", "html-gbk": ".htm", "html-one-table": ".html", "mhtml": ".mht", "docx": ".docx"}


@pytest.mark.parametrize("form", list(FORMS))
def test_every_form_of_the_sample_gives_the_same_findings(tmp_path: Path, form: str,
                                                          text_findings: list[tuple[str, str, str]]) -> None:
    path = tmp_path / f"小楼镇2020年报{SUFFIX[form]}"
    FORMS[form](path)
    report = xlcheck.check(path)
    assert report.error is None
    assert _findings(report) == text_findings
    # the page's script and Word's conditional comments are never read
    assert not any("甲" in f.message for f in report.findings)
    # rows and columns are counted as published: the HTML and Word tables keep their three label
    # columns; a table broken across pages repeats its three header rows
    row = 25 if form == "html-one-table" else 28
    res = next(f for f in found(report, "T3-RES") if "自然人" in f.message)
    assert res.where is not None and res.where.startswith(f"表三 第 {row} 行 第 4 列（三（七）总计（自然人）：“0”）")


def test_a_text_layer_pdf_gives_the_same_findings(text_findings: list[tuple[str, str, str]]) -> None:
    report = xlcheck.check(forms.PDF)
    assert report.error is None
    assert _findings(report) == text_findings


def test_a_scanned_pdf_says_it_has_no_text_layer(tmp_path: Path) -> None:
    # a page that is only an image: what a scanner writes
    pdf = tmp_path / "扫描件.pdf"
    pdf.write_bytes(_image_only_pdf())
    report = xlcheck.check(pdf)
    assert report.error is not None
    assert "扫描件.pdf" in report.error and "没有文字层" in report.error and "no text layer" in report.error


def _image_only_pdf() -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
               b"/Resources << /XObject << /Im1 5 0 R >> >> >>"]
    content = b"q 200 0 0 200 0 0 cm /Im1 Do Q"
    objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    pixels = b"\x80" * 12
    objects.append(b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceRGB "
                   b"/BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream" % (len(pixels), pixels))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_json_and_text_output_say_where_instead_of_cells(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = text_report(tmp_path)
    assert main(["check", str(path), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    findings = data["reports"][0]["findings"]
    assert findings and all(f["cells"] == [] and f["where"] for f in findings)
    assert not list(tmp_path.glob("*.checked.*"))  # a published report is not annotated
    assert main(["check", str(path), "--no-annotate"]) == 1
    out = capsys.readouterr().out
    assert "[表三 第 28 行 第 3 列（三（七）总计（自然人）：“0”）；" in out
    assert "[一、总体情况 第 2 段：“公开类共85条" in out


def test_a_workbook_finding_has_no_where_key(xiaolou: tuple[Path, dict[str, str]]) -> None:
    report = xlcheck.check(xiaolou[0])
    assert all("where" not in f.to_dict() and f.cells for f in report.findings)


def test_batch_walks_published_pages_and_its_summary_says_where(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    (inbox / "a.html").write_bytes(forms.to_html(forms.blocks()))
    forms.to_docx(forms.blocks(), inbox / "b.docx")
    (inbox / "说明.txt").write_text("这是一份说明，不是报告", encoding="utf-8")  # a note beside the reports
    summary = tmp_path / "汇总.json"
    assert main(["check", str(inbox), "--summary", str(summary), "--format", "json"]) == 1
    reports = json.loads(capsys.readouterr().out)["reports"]
    assert sorted(Path(r["path"]).name for r in reports) == ["a.html", "b.docx"]
    files = json.loads(summary.read_text(encoding="utf-8"))["files"]
    assert all(f["findings"] and all(x["where"] for x in f["findings"]) for f in files)


def test_xlsx_summary_lists_where_in_the_cell_column(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = text_report(tmp_path)
    summary = tmp_path / "汇总.xlsx"
    main(["check", str(path), "--summary", str(summary), "--no-annotate"])
    ws = load_workbook(summary)["问题明细"]
    places = [ws.cell(r, 7).value for r in range(2, ws.max_row + 1)]
    assert any(str(p).startswith("表三 第 28 行") for p in places)
    assert any(str(p).startswith("一、总体情况") for p in places)


# ── reading ──────────────────────────────────────────────────────────────────────────────────────
def test_the_form_is_told_by_content_not_by_name(tmp_path: Path) -> None:
    page = tmp_path / "report.txt"
    page.write_bytes(forms.to_html(forms.blocks()))
    assert sniff(page) == "html"
    mht = tmp_path / "report.htm"
    mht.write_bytes(forms.to_mhtml(forms.to_html(forms.blocks())))
    assert sniff(mht) == "mhtml"
    assert sniff(forms.PDF) == "pdf"
    assert sniff(forms.SAMPLE) == "text"
    assert xlcheck.check(page).error is None  # an HTML page under a .txt name is read as a page


def test_a_gbk_text_copy_is_read(tmp_path: Path) -> None:
    report = xlcheck.check(text_report(tmp_path, encoding="gb18030"))
    assert report.error is None and len(found(report, "N3")) == 2


def test_space_separated_rows_from_a_pdf_viewer_are_read(tmp_path: Path) -> None:
    text = "\n".join(line.replace("\t", "  ") if "\t" in line else line for line in SAMPLE_TEXT.splitlines())
    path = tmp_path / "copy.txt"
    path.write_text(text, encoding="utf-8")
    book = read_published(path)
    rows = [r for r in book.sheets[0].rows if r and r[0] == "规章"]
    assert rows == [["规章", 0.0, 0.0, 0.0]]


def test_a_page_holding_two_years_reports_is_checked_for_one_year(tmp_path: Path) -> None:
    earlier = SAMPLE_TEXT.replace("2020年政府信息公开工作年度报告", "2019年政府信息公开工作年度报告").replace(
        "公开类共85条", "公开类共86条").replace("共174条", "共176条")
    path = tmp_path / "两年.txt"
    path.write_text(SAMPLE_TEXT + "\n\n" + earlier, encoding="utf-8")
    first = xlcheck.check(path)
    assert first.year == 2020 and len(found(first, "N3")) == 2
    second = xlcheck.check(path, year=2019)
    assert second.year == 2019 and found(second, "N3") == []
    book = read_published(path)
    assert [y for y, _ in book.others] == [2019]


def test_full_width_digits_in_a_page_are_read_and_warned_about(tmp_path: Path) -> None:
    values = forms.sample_values()
    values["一、本年新收政府信息公开申请数量"] = ["１", "0", "0", "0", "0", "0", "１"]
    page = tmp_path / "p.html"
    page.write_bytes(forms.to_html(forms.blocks(values=values)))
    report = xlcheck.check(page)
    d3 = [f for f in found(report, "D3") if "１" in f.message]
    assert len(d3) == 2  # the number is used (T3 rules unchanged) and the typing is reported
    assert len(found(report, "T3-ID")) == 2


def test_a_plain_workbook_check_imports_no_published_reader() -> None:
    code = ("import sys, xlcheck; xlcheck.check('examples/xiaolou-2020.xlsx'); "
            "print(sorted(m for m in sys.modules if m.startswith(('xlcheck.published', 'docx', 'pdfplumber'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent).stdout
    assert out.strip() == "[]"


# ── the narrative rules ──────────────────────────────────────────────────────────────────────────
def test_a_consistent_text_has_no_narrative_finding(tmp_path: Path) -> None:
    report = xlcheck.check(text_report(tmp_path, CONSISTENT))
    assert [f.rule for f in report.findings] == ["D3"]


@pytest.mark.parametrize(("sentence", "rule", "message"), [
    ("本年度共收到政府信息公开申请3件，均已按时答复。", "N1",
     "正文称本年新收申请 3 件，但表中一、本年新收申请数量（总计）为 1"),
    ("全年新收申请一件，办结两件。", "N1", "正文称办结 两 件，但表中三（七）总计（总计）为 1"),
    ("发生行政复议2起、行政诉讼0起。", "N2", "正文称行政复议 2 起，但表中四、行政复议（总计）为 0"),
    ("结转下年度继续办理１件。", "N1", "正文称结转下年度 １ 件，但表中四、结转下年度继续办理（总计）为 0"),
    ("发生政府信息公开行政复议2件。", "N2", "正文称行政复议 2 件，但表中四、行政复议（总计）为 0"),
    ("因政府信息公开被提起行政诉讼1起。", "N2",
     "正文称行政诉讼 1 起，但表中四、行政诉讼·未经复议直接起诉（总计） + 四、行政诉讼·复议后起诉（总计）为 0"),
    ("本年共制发规范性文件3件。", "N4",
     "正文称制发规范性文件 3 件，但表中第二十条第（一）项 规范性文件（本年新制作数量）为 0"),
    ("作出行政许可决定1,234件。", "N4",
     "正文称行政许可决定 1,234 件，但表中第二十条第（五）项 行政许可（处理决定数量）为 25"),
    ("发布政务信息共一百二十三条，其中工作动态一百条、通知公告二十四条。", "N3",
     "正文“发布政务信息共一百二十三条”，但所列各项相加为 124条（工作动态 一百 + 通知公告 二十四）"),
    ("发布信息共１０条，其中通知６条、公告５条。", "N3",
     "正文“发布信息共１０条”，但所列各项相加为 11条（通知 ６ + 公告 ５）"),
])
def test_each_narrative_rule_fires_on_what_the_text_says(tmp_path: Path, sentence: str, rule: str,
                                                          message: str) -> None:
    report = xlcheck.check(with_overview(tmp_path, sentence))
    hits = found(report, rule)
    assert [f.message for f in hits] == [message]
    where = hits[0].where
    assert where is not None and where.startswith("一、总体情况 第 3 段：“")
    assert where.split("“")[1].split("”")[0] in sentence  # the clause it quotes


@pytest.mark.parametrize("sentence", [
    "本年度共收到政府信息公开申请1件，办结1件，结转下年度继续办理0件。",
    "未发生政府信息公开行政复议和行政诉讼案件。",
    "发生行政复议0件、行政诉讼0起。",
    "作出行政许可决定25件，行政处罚决定7件。",
    "发布信息共10条，其中通知6条、公告4条。",
    "发布信息共10条，其中通知6条、公告若干条。",  # a part without a number: not guessed
    "发布信息共10条，其中通知6条、公告3条等。",  # a selection, not a breakdown
    "发布信息共10条，其中通知6条。",  # one part is no breakdown
    "2020年共开展培训3次，参训120人次。",  # numbers in other units beside a total
])
def test_narrative_rules_stay_silent_on_what_holds_or_cannot_be_attributed(tmp_path: Path, sentence: str) -> None:
    report = xlcheck.check(with_overview(tmp_path, sentence))
    assert [f.rule for f in report.findings] == ["D3"], sentence


def test_n2_reads_a_statement_that_nothing_happened_as_zero(tmp_path: Path) -> None:
    changes = dict(CONSISTENT)
    changes["0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0"] = "0\t0\t0\t1\t1\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0"
    changes["（二）严格遵守"] = "本年度未发生政府信息公开行政复议、行政诉讼案件。\n\n（二）严格遵守"
    report = xlcheck.check(text_report(tmp_path, changes))
    assert [f.message for f in found(report, "N2")] == ["正文称未发生行政复议，但表中四、行政复议（总计）为 1"]


@pytest.mark.parametrize(("problems", "message"), [
    ("无。", "第五部分“存在的主要问题及改进情况”只写了“无”，应写明存在的问题和改进措施"),
    ("", "第五部分“存在的主要问题及改进情况”没有内容，应写明存在的问题和改进措施"),
    (None, "正文缺少第五部分“五、存在的主要问题及改进情况”"),
])
def test_n5_section_five_must_say_something(tmp_path: Path, problems: str | None, message: str) -> None:
    start = SAMPLE_TEXT.index("五、存在的主要问题及改进情况")
    end = SAMPLE_TEXT.index("六、其他需要报告的事项")
    section = "" if problems is None else f"五、存在的主要问题及改进情况\n\n{problems}\n\n"
    path = tmp_path / "r.txt"
    text = SAMPLE_TEXT[:start] + section + SAMPLE_TEXT[end:]
    for old, new in CONSISTENT.items():
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    report = xlcheck.check(path)
    assert [f.message for f in found(report, "N5")] == [message]
    assert found(report, "N5")[0].severity is Severity.WARNING


# ── xlcheck import ───────────────────────────────────────────────────────────────────────────────
def test_import_writes_the_standard_workbook_whose_check_marks_the_cells(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    page = tmp_path / "小楼镇.html"
    page.write_bytes(forms.to_html(forms.blocks()))
    target = tmp_path / "小楼镇.xlsx"
    assert main(["import", str(page), "-o", str(target)]) == 0
    assert "2019 版格式、2020 年度" in capsys.readouterr().out
    published = xlcheck.check(page)
    imported = xlcheck.check(target)
    assert (imported.format, imported.year) == ("2019", 2020)
    assert load_workbook(target).active["A1"].value == "广州市增城区小楼镇人民政府2020年政府信息公开工作年度报告"
    # the tables' findings come back, now on cells (the narrative stays with the published text)
    table_findings = [f for f in _findings(published) if not f[0].startswith("N")]
    assert _findings(imported) == table_findings
    assert all(f.cells and f.where is None for f in imported.findings)
    assert main(["check", str(target)]) == 1
    copy = load_workbook(tmp_path / "小楼镇.checked.xlsx")
    res = next(f for f in imported.findings if f.rule == "T3-RES")
    sheet, cell = res.cells[0].split("!")
    assert copy[sheet][cell].comment is not None and "T3-RES" in copy[sheet][cell].comment.text
    # the amount is kept as typed, so D3 still reports the unit
    d3 = next(f for f in imported.findings if f.rule == "D3")
    sheet, cell = d3.cells[0].split("!")
    assert load_workbook(target)[sheet][cell].value == "426796元"


def test_import_never_replaces_a_file_unless_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = text_report(tmp_path)
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"keep me")
    assert main(["import", str(page), "-o", str(target)]) == 3
    assert "--force" in capsys.readouterr().err
    assert target.read_bytes() == b"keep me"
    assert main(["import", str(page), "-o", str(target), "--force"]) == 0
    assert xlcheck.check(target).format == "2019"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_import_of_a_page_without_tables_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "news.html"
    page.write_text("<html><body><p>今日新闻</p></body></html>", encoding="utf-8")
    assert main(["import", str(page), "-o", str(tmp_path / "x.xlsx")]) == 3
    err = capsys.readouterr().err
    assert "news.html" in err and "不是政府信息公开工作年度报告" in err
    assert not (tmp_path / "x.xlsx").exists()


# ── a plugin rule reading the narrative ──────────────────────────────────────────────────────────
def _mentions_key_points(field: str, value: dict, error: object) -> None:
    if "政务公开工作要点" not in value["sections"].get("一", "") + value["other"]:
        error(field, "no key points")  # type: ignore[operator]


NARRATIVE_RULES = (
    Rule("MP-N6", Severity.WARNING, "第六部分写明收费情况",
         {"narrative": {"type": "dict", "schema": {"other": {"type": "string", "regex": "(?s).*(收费|处理费).*"}}}},
         message="第六部分没有写明信息处理费的收取情况"),
    Rule("MP-N7", Severity.WARNING, "报告政务公开工作要点的落实情况",
         {"narrative": {"check_with": _mentions_key_points}}, message="正文没有报告本年度政务公开工作要点的落实情况"),
)


def test_a_plugin_rule_reads_the_narrative_and_stays_silent_on_a_workbook(
        tmp_path: Path, xiaolou: tuple[Path, dict[str, str]]) -> None:
    from xlcheck.testing import check_with

    extra = types.SimpleNamespace(__name__="narrative-plugin", xlcheck_overlays=hookimpl(
        lambda: [Overlay("national", NARRATIVE_RULES, plugin="narrative-plugin")]))
    report = check_with(text_report(tmp_path, CONSISTENT), plugins=[extra])
    assert sorted((f.rule, f.message) for f in report.findings if f.rule.startswith("MP")) == [
        ("MP-N6", "第六部分没有写明信息处理费的收取情况"),
        ("MP-N7", "正文没有报告本年度政务公开工作要点的落实情况"),
    ]
    told_six = {"暂无其他需要报告的事项。": "本年度未收取信息处理费。政务公开工作要点已落实。"}
    told = text_report(tmp_path, {**CONSISTENT, **told_six}, name="told.txt")
    assert [f.rule for f in check_with(told, plugins=[extra]).findings] == ["D3"]
    assert not [f for f in check_with(xiaolou[0], plugins=[extra]).findings if f.rule.startswith("MP")]


# ── any report, either format ────────────────────────────────────────────────────────────────────
def _write(form: str, items: list, path: Path) -> Path:
    if form == "docx":
        return forms.to_docx(items, path.with_suffix(".docx"))
    if form == "text":
        path = path.with_suffix(".txt")
        path.write_bytes(forms.to_text(items))
        return path
    path = path.with_suffix(".html")
    path.write_bytes(forms.to_html(items))
    return path


@pytest.mark.parametrize(("fmt", "form", "split"), [
    ("2019", "html", True), ("2019", "text", False), ("2021", "html", True), ("2021", "html", False),
    ("2021", "text", True), ("2021", "docx", True)])
def test_a_consistent_report_is_clean_in_either_format_and_form(tmp_path: Path, fmt: str, form: str,
                                                                split: bool) -> None:
    import corpus

    year = 2020 if fmt == "2019" else 2022
    items = forms.report_blocks(fmt, corpus.consistent_values(fmt, seed=5), year=year, split=split)
    report = xlcheck.check(_write(form, items, tmp_path / "r"))
    assert (report.format, report.year, report.error) == (fmt, year, None)
    assert report.findings == []


@pytest.mark.parametrize("form", ["html", "text"])
def test_a_2021_slip_and_a_narrative_count_are_found_where_they_were_published(tmp_path: Path, form: str) -> None:
    import corpus

    values = corpus.consistent_values("2021", seed=2)
    values["t3.public.natural"] += 1
    in_force = int(values["t2.art20_1.normative.in_force"])
    overview = [f"截至年底，本机关现行有效行政规范性文件{in_force + 2}件，本年制发行政规范性文件"
                f"{int(values['t2.art20_1.normative.made'])}件。"]
    items = forms.report_blocks("2021", values, year=2022, overview=overview)
    report = xlcheck.check(_write(form, items, tmp_path / "r"))
    res = found(report, "T3-RES")
    assert len(res) == 1 and res[0].where is not None and len(found(report, "T3-ROW")) == 1
    assert "（三（七）总计（自然人）：" in res[0].where and "三（一）予以公开（自然人）" in res[0].where
    (n4,) = found(report, "N4")
    assert n4.message == (f"正文称现行有效规范性文件 {in_force + 2} 件，但表中第二十条第（一）项 行政规范性文件"
                          f"（现行有效件数）为 {in_force}")
    assert n4.where is not None
    assert n4.where.startswith(f"一、总体情况 第 1 段：“本机关现行有效行政规范性文件{in_force + 2}件”")
    assert "表二 第 4 行" in n4.where


# ── web pages named as workbooks ─────────────────────────────────────────────────────────────────
def _exported(tmp_path: Path, form: str, name: str) -> Path:
    """A 2022 report with one slip in 三（一）, as a system's "export to Excel" names it: an HTML page
    (GBK, as these systems write) or an MHTML archive, saved as ``name``."""
    import corpus

    values = corpus.consistent_values("2021", seed=2)
    values["t3.public.natural"] += 1
    page = forms.to_html(forms.report_blocks("2021", values, year=2022), charset="gbk", word=False)
    path = tmp_path / name
    path.write_bytes(page if form == "html" else forms.to_mhtml(page, charset="gbk"))
    return path


@pytest.mark.parametrize(("form", "name"), [("html", "报告.xls"), ("mhtml", "报告.xls"), ("html", "报告.xlsx")])
def test_a_web_page_saved_as_a_workbook_is_checked_from_its_tables(tmp_path: Path, form: str, name: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = _exported(tmp_path, form, name)
    report = xlcheck.check(path)
    assert (report.error, report.format, report.year) == (None, "2021", 2022)
    (res,) = found(report, "T3-RES")
    assert res.where is not None and res.where.startswith("表三 第 ") and res.cells == ()
    # the command line checks it too, and writes no annotated copy of a page (nor fails trying)
    assert main(["check", str(path), "--format", "json"]) == 1
    (data,) = json.loads(capsys.readouterr().out)["reports"]
    assert "error" not in data and "T3-RES" in [f["rule"] for f in data["findings"]]
    assert not list(tmp_path.glob("*.checked.*"))


def test_excels_web_archive_of_a_workbook_is_read_sheet_by_sheet(tmp_path: Path) -> None:
    """Excel's .mht of a workbook: a frameset page first, each sheet's table in a part of its own."""
    import corpus

    values = corpus.consistent_values("2021", seed=4)
    values["t4.review.corrected"] += 1
    items = forms.report_blocks("2021", values, year=2022, split=False)
    tables = [i for i, (kind, _) in enumerate(items) if kind == "table"]
    sheets = [items[:tables[0] + 1], items[tables[0] + 1:tables[1] + 1], items[tables[1] + 1:]]
    path = tmp_path / "年报.xls"
    path.write_bytes(forms.to_excel_mhtml(sheets))
    report = xlcheck.check(path)
    assert (report.error, report.format, report.year) == (None, "2021", 2022)
    assert [f.rule for f in report.findings if f.rule != "FIX"] == ["T4-SUM"]
    assert report.findings[0].where is not None and report.findings[0].where.startswith("表四 ")


def test_a_whole_report_exported_as_one_table_reads_as_its_page_does(tmp_path: Path) -> None:
    """Title, headings and narrative as one-cell rows of one big table: the same findings, at the
    same places (表三 第 N 行), as the report published as a page."""
    import corpus

    values = corpus.consistent_values("2021", seed=2)
    values["t3.public.natural"] += 1
    in_force = int(values["t2.art20_1.normative.in_force"])
    overview = [f"截至年底，本机关现行有效行政规范性文件{in_force + 2}件。"]
    items = forms.report_blocks("2021", values, year=2022, overview=overview)
    page, export = tmp_path / "page.html", tmp_path / "导出.xls"
    page.write_bytes(forms.to_html(items))
    export.write_bytes(forms.to_export_table(items))
    expected = [(f.rule, f.where) for f in xlcheck.check(page).findings]
    assert {"T3-RES", "N4"} <= {rule for rule, _ in expected}
    report = xlcheck.check(export)
    assert (report.error, report.format, report.year) == (None, "2021", 2022)
    assert [(f.rule, f.where) for f in report.findings] == expected


def test_a_web_page_saved_as_a_workbook_without_the_report_is_named_for_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "通讯录.xls"
    path.write_bytes("<html><body><table><tr><td>姓名</td><td>电话</td></tr><tr><td>张三</td><td>1</td></tr>"
                     "</table></body></html>".encode("gb18030"))
    error = xlcheck.check(path).error
    assert error is not None and error.startswith("通讯录.xls：扩展名是工作簿，实际是网页（HTML）文件，其中有表格")
    assert "不是政府信息公开工作年度报告" in error
    mht = tmp_path / "空.xls"
    mht.write_bytes(b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b\"\r\n\r\n--b\r\n"
                    b"Content-Type: image/png\r\n\r\nxx\r\n--b--\r\n")  # no page in it at all
    error = xlcheck.check(mht).error
    assert error is not None and "单个文件网页（MHTML" in error and "另存为 .xlsx" in error


# ── bounds ───────────────────────────────────────────────────────────────────────────────────────
def test_a_published_file_beyond_the_size_bound_is_refused_unread(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import xlcheck.published as published

    monkeypatch.setattr(published, "MAX_BYTES", 1000)
    report = xlcheck.check(text_report(tmp_path))
    assert report.error is not None and "上限" in report.error and "bound" in report.error


def test_a_page_whose_spans_would_make_a_huge_table_is_refused(tmp_path: Path) -> None:
    cells = '<td rowspan="200" colspan="200">x</td>' * 50
    page = tmp_path / "spans.html"
    page.write_text(f"<html><body><table><tr>{cells}</tr></table></body></html>", encoding="utf-8")
    report = xlcheck.check(page)
    assert report.error is not None and "spans.html" in report.error and "bound" in report.error


def test_a_published_report_has_no_workbook_to_mark(tmp_path: Path) -> None:
    """Asked for its annotated copy (the API, the page's button) it says so, instead of failing inside."""
    from xlcheck.annotated_copy import annotate, annotate_in_place
    from xlcheck.writer import WriteError

    for path in (text_report(tmp_path), _exported(tmp_path, "html", "导出.xls")):
        report = xlcheck.check(path)
        assert report.error is None
        for write in (annotate, annotate_in_place):
            with pytest.raises(WriteError, match="没有可以标注的工作簿；可用 xlcheck import 转为标准工作簿"):
                write(report)
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(path.stem)) == [path.name]


@pytest.mark.parametrize("form", ["html", "text", "docx"])
def test_a_published_number_is_quoted_with_its_digits_as_published(tmp_path: Path, form: str) -> None:
    """"-73802895.90" on the page is -73802895.90 in the message, not -73802895.9: the clerk looks
    for what the report says."""
    import corpus

    values: dict[str, Any] = dict(corpus.consistent_values("2019", seed=5))
    values["t2.art20_9.procurement.amount"] = "-73802895.90"
    report = xlcheck.check(_write(form, forms.report_blocks("2019", values, year=2020), tmp_path / "r"))
    (d1,) = found(report, "D1")
    assert "填写的是 -73802895.90" in d1.message, d1.message
    assert d1.where is not None and "“-73802895.90”" in d1.where
    # a number keeps its digits through pickling (process pools, Dask)
    import pickle

    from xlcheck.values import Published, show

    again = pickle.loads(pickle.dumps(Published("1,234.50")))
    assert (again, show(again), type(again)) == (1234.5, "1,234.50", Published)
