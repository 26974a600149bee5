"""Numbers as clerks and publishing systems type them: shown in messages exactly as typed, read the
way a person reads them (a unit, a note, a sign word, full-width or look-alike characters), and
advised in the column's own unit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import corpus
import messy
import pytest

import xlcheck
from xlcheck import Severity

CASES = [(fmt, layout) for fmt in messy.FORMATS for layout in messy.LAYOUTS]
IDS = [f"{fmt}-{layout}" for fmt, layout in CASES]
#: the amount column of each format: 2019 采购总金额 (no unit printed: 元 assumed), 2021 收费金额 (万元)
AMOUNT = {"2019": "t2.art20_9.procurement.amount", "2021": "t2.art20_8.fees.amount"}
COUNT = "t3.withheld_4.nonprofit"


def check(tmp_path: Path, fmt: str, layout: str, typed: dict[str, Any], numbers: dict[str, float] | None = None,
          **kwargs: Any) -> tuple[xlcheck.Report, dict[str, str]]:
    """A consistent report whose cells ``typed`` hold the given text, standing for ``numbers``."""
    values = dict(corpus.consistent_values(fmt, 3))
    values.update(numbers or {})
    path = tmp_path / "r.xlsx"
    cells = messy.build(path, fmt, layout=layout, values=values, raw=typed)
    return xlcheck.check(path, **kwargs), cells


def only(report: xlcheck.Report, rule: str) -> xlcheck.Finding:
    assert [f.rule for f in report.findings] == [rule], report.findings
    return report.findings[0]


# ── item 9: numbers in messages as typed ──────────────────────────────────────────────────────────
@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_an_amount_with_a_unit_is_advised_as_typed(tmp_path: Path, fmt: str, layout: str) -> None:
    cases = {"2019": (("73802895.90元", "73802895.90"), ("426,796.50元", "426796.50"), ("0.50元", "0.50")),
             "2021": (("7380.90万元", "7380.90"), ("4,796.50万元", "4796.50"), ("0.50万元", "0.50"))}
    for typed, advised in cases[fmt]:
        report, cells = check(tmp_path, fmt, layout, {AMOUNT[fmt]: typed})
        d3 = only(report, "D3")
        assert d3.cells == (cells[AMOUNT[fmt]],) and d3.severity is Severity.WARNING
        assert f"“{typed}”" in d3.message, d3.message
        assert f"只填写数字 {advised}（" in d3.message or d3.message.endswith(f"只填写数字 {advised}")
        assert "e+" not in d3.message
        assert ("千位分隔符" in d3.message) == ("," in typed)


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_large_and_long_numbers_are_never_rounded_or_in_scientific_notation(
        tmp_path: Path, fmt: str, layout: str) -> None:
    # an amount of many decimals, quoted by D4 (2021) or D1 (2019, a negative amount)
    amount = 24252.311082 if fmt == "2021" else -73802895.9
    report, cells = check(tmp_path, fmt, layout, {}, {AMOUNT[fmt]: amount})
    finding = only(report, "D4" if fmt == "2021" else "D1")
    assert finding.cells == (cells[AMOUNT[fmt]],)
    assert str(amount) in finding.message and "e+" not in finding.message
    if fmt == "2021":  # D4 converts too: what to type if the amount was in 元
        assert "如果是 24252.311082 元，请填 2.4252311082" in finding.message, finding.message
    # a count far too large: the sums it breaks and the fix quote it in full
    report, cells = check(tmp_path, fmt, layout, {}, {"t3.new.natural": 1e16})
    messages = [f.message for f in report.findings]
    assert {f.rule for f in report.findings} >= {"T3-ID", "T3-ROW"}
    assert any("10000000000000000" in m for m in messages) and not any("e+" in m for m in messages), messages


# ── item 10: unit advice in the column's unit ─────────────────────────────────────────────────────
@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_an_amount_in_the_other_unit_is_advised_in_the_columns_unit(tmp_path: Path, fmt: str, layout: str) -> None:
    key = AMOUNT[fmt]
    if fmt == "2021":
        cases = [("426796元", "42.6796", "本栏单位是万元"), ("426,796.50元", "42.67965", "本栏单位是万元"),
                 ("42.68万元", "42.68", None)]
    else:
        cases = [("42.68万元", "426800", "表头未注明单位，按元计"), ("426796元", "426796", "表头未注明单位，按元计"),
                 ("0.5万元", "5000", "表头未注明单位，按元计")]
    cases.append(("−", "", None))  # a look-alike dash alone is "none", as "-" is (D2, not D1)
    for typed, advised, note in cases:
        if not advised:
            report, cells = check(tmp_path, fmt, layout, {key: typed})
            assert [(f.rule, f.cells) for f in report.findings] == [("D2", (cells[key],))]
            continue
        report, cells = check(tmp_path, fmt, layout, {key: typed})
        # read in the column's unit: a 元 amount in a 万元 column is not also a D4 "looks like 元"
        d3 = only(report, "D3")
        assert d3.cells == (cells[key],)
        assert f"只填写数字 {advised}" in d3.message, d3.message
        if note is None:
            assert "（" not in d3.message.split("只填写数字")[1]
        else:
            assert note in d3.message


# ── item 11 and item 7: look-alike characters, sign words, notes, separators ─────────────────────
def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in text)


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_a_count_typed_oddly_is_read_and_the_character_to_retype_is_named(
        tmp_path: Path, fmt: str, layout: str) -> None:
    n = int(corpus.consistent_values(fmt, 3)[COUNT]) + 1234
    decisions = "t2.art20_6.penalty.decisions"
    cases = [
        (COUNT, _full_width(str(n)), "全角数字", _full_width(str(n))),
        (COUNT, f"＋{n}", "全角符号“＋”", "＋"),
        (COUNT, f"{n // 1000},{n % 1000:03d}", "千位分隔符", None),
        (COUNT, f"{n // 1000} {n % 1000:03d}", "数字中间有空格", None),
        (COUNT, f"{n}件", "单位“件”", None),
        (decisions, f"{n}（其中网上办理16件）", "说明“（其中网上办理16件）”", None),
        (decisions, f"{n}(含自然失效29件)", "说明“(含自然失效29件)”", None),
        # a note after a comma, no brackets: the number still counts, only the note has to go
        (decisions, f"{n}，其中网上办理16件", "说明“，其中网上办理16件”", None),
        (decisions, f"{n}件；均已办结", "说明“；均已办结”", None),
    ]
    for key, typed, what, named in cases:
        # the number stands for ``n`` in the sums: the table still adds up once the cell is read
        numbers = {key: n}
        if key == COUNT:
            numbers.update(_raise_total(fmt, n - int(corpus.consistent_values(fmt, 3)[COUNT])))
        report, cells = check(tmp_path, fmt, layout, {key: typed}, numbers)
        d3 = only(report, "D3")
        assert d3.cells == (cells[key],) and f"“{typed}”" in d3.message
        assert what in d3.message and f"只填写数字 {n}" in d3.message, d3.message
        if named:
            assert f"“{named}”" in d3.message


def _raise_total(fmt: str, by: int) -> dict[str, float]:
    """The cells that keep table 三 consistent when ``COUNT`` grows by ``by``: its row's 总计, its
    column's 一 and that row's 总计 (the new applications were all given that result)."""
    values = corpus.consistent_values(fmt, 3)
    out: dict[str, float] = {}
    for key in ("t3.withheld_4.total", "t3.new.nonprofit", "t3.new.total", "t3.total.nonprofit", "t3.total.total"):
        out[key] = values[key] + by
    return out


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_a_minus_that_is_not_the_keyboards_is_read_as_a_sign(tmp_path: Path, fmt: str, layout: str) -> None:
    if fmt == "2019":  # 本年增/减 is signed: the value is right, only how it is typed is not
        key = "t2.art20_5.licensing.change"
        numbers: dict[str, float] = {key: -1, "t2.art20_5.licensing.prev_items": 10}
        for typed, named in (("\u22121", "U+2212"), ("－1", "全角符号“－”"), ("\u20131", "U+2013"),
                             ("减1", "用“减”字表示负数"), ("减少1", "用“减少”表示负数")):
            report, cells = check(tmp_path, fmt, layout, {key: typed}, numbers)
            d3 = only(report, "D3")
            assert d3.cells == (cells[key],) and named in d3.message and "只填写数字 -1" in d3.message, d3.message
        numbers[key] = 4
        report, _ = check(tmp_path, fmt, layout, {key: "增4"}, numbers)
        assert "只填写数字 4" in only(report, "D3").message
    else:  # no signed column: read as -1, it is a D1 error on a count, not "应填写数字"
        report, cells = check(tmp_path, fmt, layout, {"t2.art20_5.licensing.decisions": "\u22121"})
        by_rule = {f.rule: f for f in report.findings}
        assert set(by_rule) == {"D1", "D3"}, report.findings
        assert "不小于 0 的整数" in by_rule["D1"].message and "U+2212" in by_rule["D3"].message


@pytest.mark.parametrize(("fmt", "layout"), CASES, ids=IDS)
def test_a_note_row_under_table_four_is_not_a_value(tmp_path: Path, fmt: str, layout: str) -> None:
    path = tmp_path / "r.xlsx"
    cells = messy.build(path, fmt, layout=layout, title=False)
    sheet, row, _ = messy.ref(cells, "t4.review.total")
    first = min(messy.ref(cells, k)[2] for k in cells if k.startswith("t4."))

    def note(wb: Any) -> None:
        wb[sheet].cell(row + 1, first).value = "注：行政复议、行政诉讼数量含上年度结转数量。"
    messy.edit(path, note)
    assert xlcheck.check(path, year=messy.YEAR[fmt]).findings == []


@pytest.mark.parametrize("form", ["html", "text"])
@pytest.mark.parametrize(("fmt", "key", "typed", "said"), [
    ("2019", "t2.art20_5.licensing.change", "减4", ("用“减”字表示负数", "只填写数字 -4")),
    ("2019", "t2.art20_5.licensing.change", "\u22121", ("U+2212", "只填写数字 -1")),
    ("2019", "t2.art20_5.licensing.change", "减少4", ("用“减少”表示负数", "只填写数字 -4")),
    ("2019", "t2.art20_5.licensing.change", "＋5", ("全角符号“＋”", "只填写数字 5")),
    ("2019", "t2.art20_5.licensing.change", "增加3", ("用“增加”表示正数", "只填写数字 3")),
    ("2019", "t2.art20_9.procurement.amount", "426,796.50元", ("只填写数字 426796.50（表头未注明单位，按元计）",)),
    ("2021", "t2.art20_1.normative.made", "22（其中修订16件）", ("说明“（其中修订16件）”", "只填写数字 22")),
    ("2021", "t2.art20_1.normative.made", "22，其中修订16件", ("说明“，其中修订16件”", "只填写数字 22")),
    ("2021", "t2.art20_8.fees.amount", "426796元", ("只填写数字 42.6796（本栏单位是万元",)),
    ("2021", "t2.art20_1.normative.repealed", "５", ("全角数字“５”", "只填写数字 5")),
])
def test_a_published_table_reads_values_as_a_person_does(tmp_path: Path, form: str, fmt: str, key: str, typed: str,
                                                         said: tuple[str, ...]) -> None:
    from dataclasses import replace

    import published_forms as forms

    mark = 987654321
    values: dict[str, float] = dict(corpus.consistent_values(fmt, 5))
    values.update({key: mark, "t2.art20_5.licensing.prev_items": 10} if fmt == "2019" else {key: mark})
    items = forms.report_blocks(fmt, values, year=messy.YEAR[fmt])
    items = [(kind, [[replace(c, text=typed) if c.text == str(mark) else c for c in row] for row in x]
              if kind == "table" else x) for kind, x in items]
    path = tmp_path / ("r.html" if form == "html" else "r.txt")
    path.write_bytes(forms.to_html(items) if form == "html" else forms.to_text(items))
    d3 = only(xlcheck.check(path), "D3")
    assert d3.where is not None and d3.where.startswith("表二 第 ") and f"“{typed}”" in d3.where
    assert all(words in d3.message for words in said), d3.message


@pytest.mark.parametrize("form", ["html", "text"])
@pytest.mark.parametrize("fmt", messy.FORMATS)
def test_a_published_tables_labels_and_notes_are_read_as_a_person_reads_them(tmp_path: Path, form: str,
                                                                             fmt: str) -> None:
    """Spaces inside labels, table 四's headers stacked one character per line (forms.table4's
    default), a note row under table 四 and, in a 2021 table, the 2019 label 规范性文件."""
    from dataclasses import replace

    import published_forms as forms

    retyped = {"社会公益组织": "社会公益 组织", "三、本年度办理结果": "三、本年度办 理结果",
               "行政规范性文件": "规范性文件",
               "7654321": "12件"}  # the renamed row's value, typed with a unit: read, on its row
    values = dict(corpus.consistent_values(fmt, 5))
    values["t2.art20_1.normative.made"] = 7654321
    items = []
    for kind, x in forms.report_blocks(fmt, values, year=messy.YEAR[fmt]):
        if kind == "table":
            x = [[replace(c, text=retyped.get(c.text, c.text)) for c in row] for row in x]
            if any("行政复议" in c.text for row in x for c in row):
                x = [*x, [forms.Cell("注：行政复议、行政诉讼数量含上年度结转数量。", cols=15)]]
        items.append((kind, x))
    path = tmp_path / ("r.html" if form == "html" else "r.txt")
    path.write_bytes(forms.to_html(items) if form == "html" else forms.to_text(items))
    findings = {f.rule: f for f in xlcheck.check(path).findings}
    assert set(findings) == ({"D3"} if fmt == "2019" else {"S2", "D3"}), findings
    made = "本年新制作数量" if fmt == "2019" else "本年制发件数"
    assert f"规范性文件（{made}）“12件”" in findings["D3"].message and "只填写数字 12" in findings["D3"].message
    if fmt == "2021":  # the 2019 label is understood and said
        s2 = findings["S2"]
        assert s2.severity is Severity.WARNING and "“规范性文件”" in s2.message and "行政规范性文件" in s2.message
