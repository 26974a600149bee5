"""Plugin authors' mistakes, caught when plugins load: each broken plugin is installed through its
entry point, named with the object that is wrong, skipped with one line on stderr, and never stops
the other plugins (the national baseline, 广东, the example plugin and its own tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import broken_plugins
import pytest

from xlcheck import Overlay, Rule, RuleSet, Severity, hookimpl
from xlcheck.plugins import load
from xlcheck.rules import LabeledField, resolve
from xlcheck.testing import check_with, write_report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "xlcheck-example-plugin"

#: the line ``xlcheck plugins --check`` prints for each broken plugin (the first, if several)
EXPECTED = {
    "bad_override": "Overlay（目标 national）：overrides 修改的规则 D9 不在它之下的规则中（national），"
                    "这项修改不起作用 (override of unknown rule D9)",
    "bad_target": "Overlay（目标 nationl）：目标规则集 nationl 不存在（是否想写 national？），这个 Overlay 不会执行 "
                  "(overlay target not there)",
    "dup_ids": "规则集 dupset 的规则 DP-1：编号 DP-1 在这里出现了两次，只有第一条会执行 (two rules with id DP-1)",
    "shadow": "规则集 shadowset 的规则 D2：编号与规则集 national 的规则 D2 相同，会悄悄取代它；确实要取代请写 "
              "Rule(..., replaces=\"D2\")，否则请换一个编号 (rule id D2 shadows a rule below: say replaces=\"D2\" or "
              "choose another id)",
    "overlay_dropped": "Overlay（目标 national）的规则 GD-USCC：规则集 guangdong（建立在 national 之上）也有规则 "
                       "GD-USCC，按 guangdong 校验时这条规则会被丢掉；请换一个编号 (overlay rule GD-USCC is shadowed "
                       "by set guangdong)",
    "bad_schema": "Overlay（目标 national）的规则 BS-1：schema 不被 Cerberus 接受 (schema rejected by Cerberus): "
                  "values.xl_compar: unknown rule（是否想写 xl_compare？）",
    "bad_key": "Overlay（目标 national）的规则 BK-1：读取的字段 t3.pubilc.total 不在表格格式中（2019、2021），"
               "这条规则永远不会触发（是否想写 t3.public.total？）；字段一览见 xlcheck fields (unknown field key)",
    "no_hookimpl": "函数 xlcheck_overlays：没有用 @xlcheck.hookimpl 装饰，xlcheck 不会调用它 "
                   "(hook xlcheck_overlays is not decorated with @hookimpl)",
    "bad_cover": "Overlay（目标 national）的规则 BC-1：读取封面字段 cover.regoin，但没有规则集声明这个字段"
                 "（是否想写 region？），这条规则永远不会触发；要读取它，请在 RuleSet 或 Overlay 的 fields 中写 "
                 "LabeledField(\"regoin\", \"封面上的标签\") (cover key declared by no set)",
    "misspelt": "函数 xlcheck_rulesetz：带有 @hookimpl，但 xlcheck 没有这个钩子（是否想写 xlcheck_rulesets？）；"
                "钩子有：xlcheck_layouts、xlcheck_rulesets、xlcheck_overlays、xlcheck_output_formats (unknown hook)",
    "raises": "钩子 xlcheck_rulesets：运行出错 (hook raised): RuntimeError: 配置文件不存在",
}


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The broken plugins, ``pip install``ed into a folder of their own (on PYTHONPATH: installed)."""
    source = broken_plugins.write(tmp_path_factory.mktemp("broken-src"))
    site = tmp_path_factory.mktemp("broken-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(source)], check=True)
    return site


def xlcheck_cli(*args: str, path: list[Path] | tuple[Path, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, path))}
    return subprocess.run([sys.executable, "-m", "xlcheck", *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, check=False)


@pytest.fixture(scope="module")
def plugins_check(broken_site: Path) -> subprocess.CompletedProcess[str]:
    return xlcheck_cli("plugins", "--check", path=[broken_site])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_plugins_check_names_the_plugin_and_the_object(plugins_check: subprocess.CompletedProcess[str],
                                                       name: str) -> None:
    lines = plugins_check.stdout.splitlines()
    at = lines.index(f"{name} 0.0.1：已跳过 (skipped)")
    assert lines[at + 1] == f"  错误  {EXPECTED[name]}"


def test_plugins_check_prints_every_problem_and_fails(plugins_check: subprocess.CompletedProcess[str]) -> None:
    out = plugins_check.stdout
    assert plugins_check.returncode == 1
    # every schema mistake of one plugin, not only the first
    assert "values.xl_compare.op: unallowed value =<" in out
    assert "cover.schema.unit_name.regx: unknown rule（是否想写 regex？）" in out
    assert "national 0.1.0：正常 (ok)" in out and "guangdong 0.1.0：正常 (ok)" in out
    assert out.splitlines()[-1] == f"发现 {len(EXPECTED) + 2} 个错误、0 个警告 ({len(EXPECTED) + 2} errors, 0 warnings)"


def test_the_shipped_plugins_pass_plugins_check() -> None:
    proc = xlcheck_cli("plugins", "--check")
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.splitlines()[-1] == "所有插件都没有问题 (no problems)"


def test_a_check_runs_with_the_rest_and_names_each_skipped_plugin_once(broken_site: Path, tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    write_report(path, {"t4.review.upheld": 2})
    clean = xlcheck_cli("check", "--no-annotate", "--format", "json", str(path))
    broken = xlcheck_cli("check", "--no-annotate", "--format", "json", str(path), path=[broken_site])
    assert broken.returncode == clean.returncode == 1
    assert json.loads(broken.stdout) == json.loads(clean.stdout)
    assert [f["rule"] for f in json.loads(broken.stdout)["reports"][0]["findings"] if f["rule"] != "FIX"] == ["T4-SUM"]
    lines = broken.stderr.splitlines()
    assert len(lines) == len(EXPECTED)
    for name in EXPECTED:
        (line,) = [x for x in lines if x.startswith(f"xlcheck: 插件 {name} ")]
        assert line.startswith(f"xlcheck: 插件 {name} 加载失败，已跳过 (plugin skipped): {EXPECTED[name]}")


def test_checking_with_a_skipped_plugins_set_is_a_usage_error_with_the_reason(broken_site: Path,
                                                                             tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    write_report(path)
    proc = xlcheck_cli("check", "--no-annotate", "--rules", "dupset", str(path), path=[broken_site])
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines()[-1] == f"xlcheck: 规则集 dupset 来自插件 dup_ids，该插件加载失败，已跳过 (plugin " \
                                           f"skipped): {EXPECTED['dup_ids']}"
    # 广东, which extends national like dupset does, is untouched
    assert xlcheck_cli("check", "--no-annotate", "--rules", "guangdong", str(path), path=[broken_site]).returncode == 1


def test_plugins_lists_the_skipped_plugins_as_failed(broken_site: Path) -> None:
    proc = xlcheck_cli("plugins", path=[broken_site])
    assert proc.returncode == 0 and proc.stderr == ""
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[2:]}
    for name in EXPECTED:
        assert "加载失败，已跳过" in rows[name]
    assert rows["national"].rstrip().endswith("正常") and rows["guangdong"].rstrip().endswith("正常")


def test_a_neighbours_own_tests_pass_beside_broken_plugins(broken_site: Path,
                                                          tmp_path_factory: pytest.TempPathFactory) -> None:
    site = tmp_path_factory.mktemp("example-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(EXAMPLE)], check=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(broken_site)])}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(EXAMPLE),
                           str(EXAMPLE / "tests")], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ── the same mistakes in code, where the message is the API's ───────────────────────────────────
def plugin(name: str, **hooks: Any) -> types.SimpleNamespace:
    return types.SimpleNamespace(__name__=name, **{k: hookimpl(v) for k, v in hooks.items()})


CARRY = {"values": {"xl_compare": {"left": ["t3.carry_forward.{col}"], "op": "<=", "right": ["t3.new.{col}"],
                                   "each": {"col": ["natural", "total"]}}}}


def problems_of(*plugins: object) -> dict[str, list[str]]:
    registry = load(extra=plugins)
    return {i.name: [str(p) for p in i.problems] for i in registry.plugins if i.problems}


def test_replaces_makes_shadowing_explicit(tmp_path: Path) -> None:
    blank_is_text = Rule("D2", Severity.ERROR, "空白单元格按文本报告", {"values": {"xl_values": {"check": "blank"}}},
                         replaces="D2")
    strict = plugin("strict", xlcheck_rulesets=lambda: [RuleSet("strict", "严格", (blank_is_text,),
                                                                extends="national")])
    assert problems_of(strict) == {}
    path = tmp_path / "r.xlsx"
    write_report(path, {"t3.partial.legal": None})
    (finding,) = check_with(path, plugins=[strict], rules="strict").findings
    assert (finding.rule, finding.severity) == ("D2", Severity.ERROR)
    rules, _ = resolve("strict", load(extra=[strict]).rulesets)
    (d2,) = [e for e in rules if e.rule.id == "D2"]
    assert d2.replaced == "D2" and d2.added_by == "strict"
    assert [e.rule.id for e in rules].index("D2") == 3  # in the place of the rule it replaces


def test_replaces_under_a_new_id_takes_the_old_rules_place() -> None:
    base = RuleSet("base", "基础", (Rule("A", Severity.WARNING, "a", {}), Rule("B", Severity.ERROR, "b", {})))
    top = RuleSet("top", "上层", (Rule("TOP-A", Severity.ERROR, "a", {}, replaces="A"),), extends="base")
    rules, _ = resolve("top", {"base": base, "top": top})
    assert [(e.rule.id, e.replaced) for e in rules] == [("TOP-A", "A"), ("B", "")]
    gone = RuleSet("top", "上层", (Rule("TOP-A", Severity.ERROR, "a", {}, replaces="Z"),), extends="base")
    with pytest.raises(ValueError, match="replaces=\"Z\""):
        resolve("top", {"base": base, "top": gone})


def test_a_set_extending_a_missing_or_skipped_set_is_skipped_too() -> None:
    orphan = plugin("orphan", xlcheck_rulesets=lambda: [RuleSet("orphan", "孤儿", extends="nationall")])
    assert problems_of(orphan)["orphan"] == [
        "规则集 orphan：extends 的规则集 nationall 不存在（是否想写 national？），这个规则集无法使用 "
        "(extends a set that is not there)"]
    broken = plugin("broken", xlcheck_rulesets=lambda: [RuleSet("mid", "中间", (Rule("M", Severity.ERROR, "m", {
        "values": {"xl_compar": {}}}),), extends="national")])
    on_top = plugin("on_top", xlcheck_rulesets=lambda: [RuleSet("top", "顶层", extends="mid")])
    found = problems_of(broken, on_top)
    assert found["on_top"] == ["规则集 top：extends 的规则集 mid 来自插件 broken，该插件加载失败，这个规则集无法使用 "
                               "(extends a set that is not there)"]


def test_overlays_clashing_with_each_other_blame_the_later_one() -> None:
    first = plugin("first", xlcheck_overlays=lambda: [Overlay("national", (Rule("X-1", Severity.ERROR, "x", CARRY),))])
    second = plugin("second", xlcheck_overlays=lambda: [Overlay("national", (Rule("X-1", Severity.ERROR, "y",
                                                                                   CARRY),))])
    assert problems_of(first, second) == {"second": [
        "Overlay（目标 national）的规则 X-1：编号与插件 first 的 Overlay（目标 national）的规则 X-1 相同，"
        "会悄悄取代它；确实要取代请写 Rule(..., replaces=\"X-1\")，否则请换一个编号 "
        "(rule id X-1 shadows a rule below: say replaces=\"X-1\" or choose another id)"]}


@pytest.mark.parametrize(("overrides", "words"), [
    ({"D2": {"severity": "fatal"}}, "severity 'fatal' 无效"),
    ({"D2": {"schema": {}}}, "不能修改 schema"),
    ({"D2": {"enabled": "no"}}, "enabled 应为 True 或 False"),
    ({"D2": "error"}, "应是字典"),
])
def test_a_bad_override_is_caught_when_plugins_load(overrides: dict[str, Any], words: str) -> None:
    bad = plugin("bad", xlcheck_overlays=lambda: [Overlay("national", overrides=overrides)])
    (message,) = problems_of(bad)["bad"]
    assert message.startswith("Overlay（目标 national）：") and words in message


@pytest.mark.parametrize(("rule", "words"), [
    (Rule("R", "error", "x", CARRY), "severity 应为 Severity.ERROR"),  # type: ignore[arg-type]
    (Rule("R", Severity.ERROR, "x", CARRY, formats="2021"), "formats 应为字符串的元组"),  # type: ignore[arg-type]
    (Rule("R", Severity.ERROR, "x", {"valeus": {"xl_values": {"check": "blank"}}}), "字段 valeus 不在报告文档中"),
    (Rule("R", Severity.ERROR, "x", {"values": {"xl_compare": {"left": ["t3.{row}.total"], "op": "==",
                                                               "right": 0}}}), "each 没有给出 row 的取值"),
    (Rule("R", Severity.ERROR, "x", {"values": {"xl_compare": {"left": ["t3.{row}.total"], "op": "==", "right": 0,
                                                               "each": {"row": ["new", "nwe"]}}}}),
     "t3.{row}.total（row=nwe）"),
    (Rule("R", Severity.ERROR, "x", {"values": {"xl_values": {"check": "blank", "fields": ["t4.review.uphold"]}}}),
     "t4.review.upheld"),
])
def test_rule_mistakes_are_caught_when_plugins_load(rule: Rule, words: str) -> None:
    bad = plugin("bad", xlcheck_overlays=lambda: [Overlay("national", (rule,))])
    messages = problems_of(bad)["bad"]
    assert any(words in m for m in messages), messages


def test_a_hook_returning_the_wrong_thing_is_caught() -> None:
    bad = plugin("bad", xlcheck_rulesets=lambda: RuleSet("x", "x"))
    (message,) = problems_of(bad)["bad"]
    assert message == "钩子 xlcheck_rulesets：应返回 list[RuleSet]，返回的是 RuleSet (a hook returns a list)"


def test_a_cover_key_declared_by_another_set_is_fine_and_a_disabled_rule_is_not_checked() -> None:
    # guangdong declares uscc: an overlay on national may read it (it fires for 广东 users)
    reads = plugin("reads", xlcheck_overlays=lambda: [Overlay("national", (Rule("RD-1", Severity.ERROR, "x", {
        "cover": {"type": "dict", "schema": {"uscc": {"regex": "9.*"}}}}),))])
    assert problems_of(reads) == {}
    # national's own T2-LVL reads meta.level, which the core fills (roster, level=, a cover 行政层级)
    assert problems_of() == {}
    gd_blocked = load(blocked=["guangdong"])
    assert [i.name for i in gd_blocked.plugins if i.problems] == []


def test_a_previous_years_key_is_a_field_key() -> None:
    cross = plugin("cross", xlcheck_overlays=lambda: [Overlay("national", (Rule("CY-1", Severity.ERROR, "x", {
        "previous": {"xl_compare": {"left": ["t3.carried_over.{col}"], "op": "==",
                                    "right": ["previous.t3.carry_forward.{col}"],
                                    "each": {"col": ["natural", "total"]}}}}),))])
    assert problems_of(cross) == {}


def test_fields_of_a_set_are_checked() -> None:
    bad = plugin("bad", xlcheck_rulesets=lambda: [RuleSet("x", "x", extends="national",
                                                          fields=(LabeledField("", "标签"),))])
    assert "key 和 label 应为非空字符串" in problems_of(bad)["bad"][0]


# ── the fixture plugin authors assert with ───────────────────────────────────────────────────────
def test_the_clean_load_fixture_passes_a_good_plugin_and_lists_every_problem_of_a_bad_one(
        xlcheck_loads_cleanly: Any) -> None:
    good = plugin("good", xlcheck_overlays=lambda: [Overlay("national", (Rule("GOOD-1", Severity.ERROR, "x",
                                                                                CARRY),))])
    (info,) = xlcheck_loads_cleanly(good)
    assert info.name == "good" and not info.failed
    bad = plugin("bad", xlcheck_overlays=lambda: [Overlay("national", (
        Rule("BAD-1", Severity.ERROR, "x", {"values": {"xl_compar": {}}}),
        Rule("BAD-2", Severity.ERROR, "x", {"values": {"xl_values": {"check": "blank", "fields": ["t3.x"]}}}),
    ), overrides={"D9": {"enabled": False}})])
    with pytest.raises(AssertionError) as caught:
        xlcheck_loads_cleanly(bad)
    lines = str(caught.value).splitlines()
    assert lines[0] == "plugin does not load cleanly (xlcheck plugins --check):"
    assert [line.split("：")[0] for line in lines[1:]] == [
        "  错误  Overlay（目标 national）的规则 BAD-1", "  错误  Overlay（目标 national）的规则 BAD-2",
        "  错误  Overlay（目标 national）"]
    empty = types.SimpleNamespace(__name__="empty", xlcheck_overlays=lambda: [])  # no @hookimpl anywhere
    with pytest.raises(AssertionError, match=r"没有用 @xlcheck\.hookimpl 装饰"):
        xlcheck_loads_cleanly(empty)
    with pytest.raises(AssertionError, match="没有提供任何内容"):
        xlcheck_loads_cleanly(types.SimpleNamespace(__name__="nothing"))


def test_a_plugin_passed_again_after_its_entry_point_failed_is_not_loaded_twice(broken_site: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(broken_site)}
    code = ("import xlcheck_broken.dup_ids as m; from xlcheck.plugins import load; "
            "print([i.name for i in load(extra=[m]).plugins if i.failed])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert proc.stdout.count("dup_ids") == 1


# ── rule-set sanity: contradictions, pinned values, rules the base implies ──────────────────────
def compare(left: list[str], op: str, right: Any, **more: Any) -> dict[str, Any]:
    return {"values": {"xl_compare": {"left": left, "op": op, "right": right, **more}}}


SANITY = [
    plugin("implied", xlcheck_overlays=lambda: [Overlay("national", (Rule(
        "IM-CARRY", Severity.ERROR, "四 ≤ 一 + 二", compare(["t3.carry_forward.{col}"], "<=",
                                                       ["t3.new.{col}", "t3.carried_over.{col}"],
                                                       each={"col": ["natural", "total"]})),))]),
    plugin("pins", xlcheck_overlays=lambda: [Overlay("national", (Rule(
        "PN-1", Severity.ERROR, "复议总计 = 三项结果", compare(["t4.review.total"], "==",
                                                      ["t4.review.upheld", "t4.review.corrected", "t4.review.other"])),
    ))]),
    plugin("pair", xlcheck_rulesets=lambda: [RuleSet("pairset", "一对", (
        Rule("PR-LE", Severity.ERROR, "制发 ≤ 现行有效", compare(["t2.art20_1.regulations.made"], "<=",
                                                             ["t2.art20_1.regulations.in_force"]), formats=("2021",)),
        Rule("PR-GE", Severity.ERROR, "制发 ≥ 现行有效", compare(["t2.art20_1.regulations.made"], ">=",
                                                             ["t2.art20_1.regulations.in_force"]), formats=("2021",)),
    ), extends="national")]),
    plugin("never", xlcheck_overlays=lambda: [Overlay("national", (Rule(
        "NV-1", Severity.ERROR, "复议总计 ≤ -1", compare(["t4.review.total"], "<=", -1)),))]),
    plugin("fine", xlcheck_overlays=lambda: [Overlay("national", (Rule(
        "FN-1", Severity.ERROR, "纠正 ≤ 维持", compare(["t4.review.corrected"], "<=", ["t4.review.upheld"])),))]),
]


@pytest.fixture(scope="module")
def sanity() -> dict[str, list[str]]:
    from xlcheck.sanity import sanity_problems

    found: dict[str, list[str]] = {}
    for problem in sanity_problems(load(extra=SANITY)):
        assert problem.severity == "warning"
        found.setdefault(problem.plugin, []).append(str(problem))
    return found


def test_a_rule_the_base_implies_never_fires_alone(sanity: dict[str, list[str]]) -> None:
    assert sanity["implied"] == [
        "Overlay（目标 national）的规则 IM-CARRY：可由 T3-ID（national） 推出（各数不小于 0 时）："
        "它不成立时这些规则也不成立，所以它永远不会单独报错 (implied by the rules below: it never fires alone)"]


def test_two_equalities_that_hold_together_only_at_zero(sanity: dict[str, list[str]]) -> None:
    assert sanity["pins"] == [
        "Overlay（目标 national）的规则 PN-1：与 T4-SUM（national） 一起，使 四、行政复议（尚未审结） "
        "在任何报告中都只能为 0，多半是规则写错了 (together with the rules below it pins values)"]


def test_a_le_and_a_ge_that_force_an_equality(sanity: dict[str, list[str]]) -> None:
    (le,) = [m for m in sanity["pair"] if "PR-LE：" in m]
    assert le == ("规则集 pairset 的规则 PR-LE：（2021 版）与 PR-GE（pairset） 一起，"
                  "使“第二十条第（一）项 规章（本年制发件数）”只能等于“第二十条第（一）项 规章（现行有效件数）”："
                  "≤ 与另一方向的规则合起来就是相等 "
                  "(together with the rules below it forces an equality)")


def test_a_rule_no_report_can_satisfy(sanity: dict[str, list[str]]) -> None:
    assert sanity["never"] == [
        "Overlay（目标 national）的规则 NV-1：各数不小于 0 时，没有任何报告能满足这条规则：它对每一份报告都会报错 "
        "(no report with numbers >= 0 can satisfy it)"]
    assert "fine" not in sanity  # and a sound rule has nothing said about it


def test_plugins_check_prints_sanity_warnings_and_strict_fails_on_them(capsys: pytest.CaptureFixture[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from xlcheck.cli import main

    module = types.ModuleType("xlcheck_test_implied")
    module.xlcheck_overlays = SANITY[0].xlcheck_overlays  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "xlcheck_test_implied", module)
    assert main(["plugins", "--check", "-p", "xlcheck_test_implied"]) == 0
    out = capsys.readouterr().out
    assert "xlcheck_test_implied：有警告 (warnings)\n  警告  Overlay（目标 national）的规则 IM-CARRY：可由 T3-ID" in out
    assert out.splitlines()[-1] == "发现 0 个错误、1 个警告 (0 errors, 1 warnings)"
    assert main(["plugins", "--check", "--strict", "-p", "xlcheck_test_implied"]) == 1
    with pytest.raises(AssertionError, match="IM-CARRY"):
        from xlcheck.testing import assert_loads_cleanly

        assert_loads_cleanly(module)


def test_a_plain_check_never_imports_the_solver(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    write_report(path)
    code = ("import sys; from xlcheck.cli import main; main(['check', '--no-annotate', sys.argv[1]]); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('highspy', 'numpy', 'xlcheck')))")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert "highspy" not in proc.stdout and "numpy" not in proc.stdout and "xlcheck.sanity" not in proc.stdout


def test_rules_shows_which_rule_a_replacing_rule_took_the_place_of(capsys: pytest.CaptureFixture[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from xlcheck.cli import main

    module = types.ModuleType("xlcheck_test_replaces")
    module.xlcheck_rulesets = hookimpl(lambda: [RuleSet("strict", "严格", (  # type: ignore[attr-defined]
        Rule("ST-BLANK", Severity.ERROR, "空白单元格是错误", {"values": {"xl_values": {"check": "blank"}}},
             replaces="D2"),), extends="national")])
    monkeypatch.setitem(sys.modules, "xlcheck_test_replaces", module)
    assert main(["rules", "--rules", "strict", "-p", "xlcheck_test_replaces"]) == 0
    lines = capsys.readouterr().out.splitlines()
    ids = [line.split()[0] for line in lines[2:] if line and not line.startswith("封面")]
    assert ids[:5] == ["S1", "S2", "D1", "ST-BLANK", "D3"] and "D2" not in ids
    (row,) = [line for line in lines if line.startswith("ST-BLANK")]
    assert row.endswith("新增：strict（取代 D2）")


def test_a_load_time_warning_does_not_skip_the_plugin_or_fail_check(capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from xlcheck.cli import main

    module = types.ModuleType("xlcheck_test_format")
    module.xlcheck_overlays = hookimpl(lambda: [Overlay("national", (  # type: ignore[attr-defined]
        Rule("FM-1", Severity.ERROR, "x", CARRY, formats=("2025",)),))])
    monkeypatch.setitem(sys.modules, "xlcheck_test_format", module)
    assert main(["plugins", "--check", "-p", "xlcheck_test_format"]) == 0
    out = capsys.readouterr().out
    assert ("xlcheck_test_format：有警告 (warnings)\n  警告  Overlay（目标 national）的规则 FM-1：formats 中的 2025 "
            "不是已加载的表格格式（2019、2021），在这些格式上不会执行 (unknown format)") in out
    assert main(["plugins", "--check", "--strict", "-p", "xlcheck_test_format"]) == 1
    assert main(["rules", "-p", "xlcheck_test_format"]) == 0 and "FM-1" in capsys.readouterr().out
