"""Tests of the example plugin, written with the fixtures xlcheck ships (xlcheck.testing)."""

import xlcheck_example


def test_the_plugin_loads_cleanly(xlcheck_loads_cleanly):
    # no mistake xlcheck finds when plugins load: ids, overrides, schemas, field keys all as intended
    (info,) = xlcheck_loads_cleanly(xlcheck_example)
    assert "补充规则集 national" in info.contributes


def rules_hit(report, rule):
    return [f for f in report.findings if f.rule == rule]


def test_carry_forward_larger_than_new_plus_carried_over_is_an_error(xlcheck_workbook, xlcheck_check):
    path = xlcheck_workbook({"t3.new.natural": 1, "t3.new.total": 1,
                             "t3.carry_forward.natural": 3, "t3.carry_forward.total": 3})
    report = xlcheck_check(path, plugins=[xlcheck_example])
    (finding,) = [f for f in rules_hit(report, "EX-CARRY") if "自然人" in f.message]
    assert finding.severity.value == "error"
    assert finding.message == ("四、结转下年度继续办理（自然人）为 3，大于一、本年新收申请数量（自然人） + "
                               "二、上年结转申请数量（自然人）（1）")


def test_a_consistent_report_passes(xlcheck_workbook, xlcheck_check):
    path = xlcheck_workbook({"t3.new.natural": 2, "t3.new.total": 2, "t3.public.natural": 1,
                             "t3.public.total": 1, "t3.total.natural": 1, "t3.total.total": 1,
                             "t3.carry_forward.natural": 1, "t3.carry_forward.total": 1})
    assert xlcheck_check(path, plugins=[xlcheck_example]).findings == []


def test_text_numbers_become_errors(xlcheck_workbook, xlcheck_check):
    path = xlcheck_workbook({"t4.review.pending": "0"})
    (finding,) = rules_hit(xlcheck_check(path, plugins=[xlcheck_example]), "D3")
    assert finding.severity.value == "error"
    (plain,) = rules_hit(xlcheck_check(path, blocked=["example"]), "D3")  # the baseline without this plugin
    assert plain.severity.value == "warning"
