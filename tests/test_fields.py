"""``xlcheck fields``: the field keys a plugin author writes rules against."""

from __future__ import annotations

import re
import sys
import types

import pytest

from xlcheck import LabeledField, Overlay, hookimpl
from xlcheck.cli import main
from xlcheck.formats import FORMAT_2019, FORMAT_2021


def rows(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, list[list[str]]]:
    """The table's rows by field key (a key whose label differs by format has one row per format)."""
    assert main(["fields", *args]) == 0
    out: dict[str, list[list[str]]] = {}
    for line in capsys.readouterr().out.splitlines()[2:]:
        cells = re.split(r" {2,}", line.strip())
        out.setdefault(cells[0], []).append(cells)
    return out


def test_every_key_of_both_formats_with_label_and_kind(capsys: pytest.CaptureFixture[str]) -> None:
    listed = rows(capsys)
    assert {k for k in listed if not k.startswith("cover.")} == set(FORMAT_2019.fields) | set(FORMAT_2021.fields)
    assert listed["t4.review.upheld"] == [["t4.review.upheld", "四、行政复议（结果维持）", "count", "全部"]]
    assert listed["t3.total.natural"] == [["t3.total.natural", "三（七）总计（自然人）", "count", "全部"]]
    assert listed["t2.art20_8.fees.amount"] == [
        ["t2.art20_8.fees.amount", "第二十条第（八）项 行政事业性收费（本年收费金额（单位：万元））", "amount", "2021"]]
    assert listed["t2.art20_5.licensing.change"][0][2:] == ["signed", "2019"]
    # one key, two formats, two labels: one row each
    assert [r[1:] for r in listed["t2.art20_1.regulations.made"]] == [
        ["第二十条第（一）项 规章（本年新制作数量）", "count", "2019"],
        ["第二十条第（一）项 规章（本年制发件数）", "count", "2021"]]


def test_cover_fields_name_their_plugin_and_what_the_core_reads(capsys: pytest.CaptureFixture[str]) -> None:
    listed = rows(capsys)
    assert listed["cover.uscc"] == [["cover.uscc", "统一社会信用代码", "text", "全部",
                                     "插件 guangdong（规则集 guangdong）；xlcheck 用它与上年报告、名单中的单位配对"]]
    (unit,) = listed["cover.unit_name"]
    assert unit[4] == ("插件 guangdong（规则集 guangdong）；xlcheck 读作报告的单位（Report.unit，汇总表的“单位名称”），"
                       "也用于与上年报告、名单配对")


def test_one_format_and_one_sets_cover_fields(capsys: pytest.CaptureFixture[str]) -> None:
    listed = rows(capsys, "--format", "2019", "--rules", "national")
    assert set(listed) == set(FORMAT_2019.fields)
    assert listed["t4.review.upheld"][0][3] == "2019"
    gd = rows(capsys, "--format", "2021", "--rules", "guangdong")
    assert [k for k in gd if k.startswith("cover.")] == [
        "cover.unit_name", "cover.level", "cover.uscc", "cover.region", "cover.contact", "cover.phone"]


def test_an_overlays_cover_field_names_the_overlays_plugin(capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("xlcheck_test_cover")
    module.xlcheck_overlays = hookimpl(lambda: [  # type: ignore[attr-defined]
        Overlay("guangdong", fields=(LabeledField("email", "电子邮箱"),))])
    monkeypatch.setitem(sys.modules, "xlcheck_test_cover", module)
    listed = rows(capsys, "-p", "xlcheck_test_cover", "--rules", "guangdong")
    assert listed["cover.email"][0][1:] == ["电子邮箱", "text", "全部",
                                            "插件 xlcheck_test_cover（Overlay → guangdong）"]
    assert "cover.email" not in rows(capsys, "-p", "xlcheck_test_cover", "--rules", "national")


def test_an_unknown_set_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fields", "--rules", "guangdon"]) == 2
    assert "guangdon" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["fields", "--format", "2020"])
    assert caught.value.code == 2
