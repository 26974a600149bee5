"""Tests of the example plugin, written with the fixtures xlcheck ships (xlcheck.testing)."""

import xlcheck_example


def test_the_plugin_loads_cleanly(xlcheck_loads_cleanly):
    # no mistake xlcheck finds when plugins load: ids, overrides, schemas, field keys all as intended
    (info,) = xlcheck_loads_cleanly(xlcheck_example)
    assert "补充规则集 national" in info.contributes


def rules_hit(report, rule):
    return [f for f in report.findings if f.rule == rule]


def test_more_documents_made_than_in_force_or_repealed_is_an_error(xlcheck_workbook, xlcheck_check):
    path = xlcheck_workbook({"t2.art20_1.normative.made": 5, "t2.art20_1.normative.in_force": 2,
                             "t2.art20_1.normative.repealed": 1})
    report = xlcheck_check(path, plugins=[xlcheck_example])
    (finding,) = rules_hit(report, "EX-INFORCE")
    assert finding.severity.value == "error"
    assert finding.message == ("第二十条第（一）项 行政规范性文件（现行有效件数） + 第二十条第（一）项 行政规范性文件"
                               "（本年废止件数）为 3，小于第二十条第（一）项 行政规范性文件（本年制发件数）（5）")
    assert rules_hit(xlcheck_check(path, blocked=["example"]), "EX-INFORCE") == []  # the baseline alone


def test_a_consistent_report_passes(xlcheck_workbook, xlcheck_check):
    path = xlcheck_workbook({"t2.art20_1.normative.made": 5, "t2.art20_1.normative.in_force": 40,
                             "t2.art20_1.normative.repealed": 2, "t2.art20_1.regulations.made": 1,
                             "t2.art20_1.regulations.repealed": 1})
    assert xlcheck_check(path, plugins=[xlcheck_example]).findings == []


def test_the_2019_format_has_no_such_block(xlcheck_workbook, xlcheck_check):
    path = xlcheck_workbook({"t2.art20_1.normative.made": 5}, fmt="2019", year=2020)
    assert xlcheck_check(path, plugins=[xlcheck_example]).findings == []


def test_text_numbers_become_errors(xlcheck_workbook, xlcheck_check):
    path = xlcheck_workbook({"t4.review.pending": "0"})
    (finding,) = rules_hit(xlcheck_check(path, plugins=[xlcheck_example]), "D3")
    assert finding.severity.value == "error"
    (plain,) = rules_hit(xlcheck_check(path, blocked=["example"]), "D3")  # the baseline without this plugin
    assert plain.severity.value == "warning"
