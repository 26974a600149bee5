"""Plugins as a plugin author and a user meet them: loading, overlays, the 广东 set, fault isolation,
the shipped example package, and the guide that documents every hook."""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import xlcheck
from xlcheck import Overlay, Rule, RuleSet, Severity, hookimpl, hookspecs
from xlcheck.cli import main
from xlcheck.layout import Layout
from xlcheck.output import OutputFormat
from xlcheck.plugins import load
from xlcheck.rules import LabeledField, resolve, uscc_check_char
from xlcheck.testing import check_with, write_report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "xlcheck-example-plugin"


def rules_of(report: xlcheck.Report, rule: str) -> list[xlcheck.Finding]:
    return [f for f in report.findings if f.rule == rule]


def plugin(**hooks: Any) -> types.SimpleNamespace:
    """A plugin object with the given hook implementations."""
    return types.SimpleNamespace(__name__=f"test-plugin-{id(hooks)}", **{k: hookimpl(v) for k, v in hooks.items()})


# ── overlays ─────────────────────────────────────────────────────────────────────────────────────
BASE = RuleSet("base", "基础", (Rule("A", Severity.WARNING, "a", {}), Rule("B", Severity.ERROR, "b", {})))


def test_a_set_extends_another_adding_changing_and_switching_off_rules() -> None:
    top = RuleSet("top", "上层", (Rule("C", Severity.INFO, "c", {}),), extends="base",
                  overrides={"A": {"severity": "error"}, "B": {"enabled": False}})
    rules, _ = resolve("top", {"base": BASE, "top": top})
    by_id = {e.rule.id: e for e in rules}
    assert [e.rule.id for e in rules] == ["A", "B", "C"]
    assert by_id["A"].rule.severity is Severity.ERROR and by_id["A"].changed_by == "top"
    assert not by_id["B"].rule.enabled
    assert by_id["C"].added_by == "top" and by_id["A"].added_by == "base"
    # the base set itself is untouched
    assert {e.rule.id: e.rule.severity for e in resolve("base", {"base": BASE, "top": top})[0]} == {
        "A": Severity.WARNING, "B": Severity.ERROR}


def test_an_overlay_reaches_every_set_built_on_its_target() -> None:
    top = RuleSet("top", "上层", extends="base")
    overlay = Overlay("base", (Rule("X", Severity.ERROR, "x", {}),), {"A": {"enabled": False}}, plugin="third")
    for name in ("base", "top"):
        rules, _ = resolve(name, {"base": BASE, "top": top}, [overlay])
        by_id = {e.rule.id: e for e in rules}
        assert by_id["X"].added_by == "third" and not by_id["A"].rule.enabled


def test_an_override_may_not_change_a_rules_schema() -> None:
    top = RuleSet("top", "上层", extends="base", overrides={"A": {"schema": {}}})
    with pytest.raises(ValueError, match="only"):
        resolve("top", {"base": BASE, "top": top})


def test_rules_lists_what_an_overlay_added_and_changed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--rules", "guangdong"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^GD-USCC .*新增：guangdong$", out, re.M)
    assert re.search(r"^D2 +错误 .*national（修改：guangdong）$", out, re.M)
    assert re.search(r"^T3-RES +错误 .* national$", out, re.M)
    assert "统一社会信用代码" in out


# ── 广东 ─────────────────────────────────────────────────────────────────────────────────────────
def good_uscc(first17: str = "11440104MB2C90001") -> str:
    return first17 + uscc_check_char(first17)


GOOD_COVER = {"unit_name": "广州市越秀区某街道办事处", "level": "乡镇人民政府（街道办事处）", "uscc": good_uscc(),
              "region": 440104, "contact": "张三", "phone": "020-83001234"}


def test_guangdong_template_carries_the_cover_block(tmp_path: Path) -> None:
    assert main(["template", "2021", "--rules", "guangdong", "-o", str(tmp_path / "gd.xlsx")]) == 0
    import openpyxl

    ws = openpyxl.load_workbook(tmp_path / "gd.xlsx").worksheets[0]
    labels = {c.value for row in ws.iter_rows(max_row=12) for c in row}
    assert {"填报单位", "行政层级", "统一社会信用代码", "行政区划代码", "联系人", "联系电话"} <= labels


def test_guangdong_complete_cover_and_clean_tables_pass(tmp_path: Path) -> None:
    path = tmp_path / "gd.xlsx"
    write_report(path, rules="guangdong", cover=GOOD_COVER)
    assert check_with(path, rules="guangdong").findings == []


def test_guangdong_turns_a_blank_from_warning_into_error(tmp_path: Path) -> None:
    path = tmp_path / "gd.xlsx"
    cells = write_report(path, {"t3.partial.legal": None}, rules="guangdong", cover=GOOD_COVER)
    (national,) = check_with(path).findings
    (provincial,) = check_with(path, rules="guangdong").findings
    assert (national.rule, national.severity) == ("D2", Severity.WARNING)
    assert (provincial.rule, provincial.severity) == ("D2", Severity.ERROR)
    assert provincial.cells == national.cells == (cells["t3.partial.legal"],)


@pytest.mark.parametrize(("field", "value", "rule", "words"), [
    ("uscc", good_uscc()[:-1] + ("0" if good_uscc()[-1] != "0" else "1"), "GD-USCC", "校验码"),
    ("uscc", "12345", "GD-USCC", "18 位"),
    ("region", "450104", "GD-REGION", "44 开头"),
    ("region", 44010, "GD-REGION", "44 开头"),
    ("level", "区政府", "GD-LEVEL", "不在规定的选项中"),
    ("phone", "12345", "GD-PHONE", "格式不对"),
    ("contact", "", "GD-COVER", "“联系人”必须填写"),
])
def test_guangdong_rejects_a_bad_cover_field_on_its_cell(tmp_path: Path, field: str, value: Any, rule: str,
                                                         words: str) -> None:
    path = tmp_path / "gd.xlsx"
    cells = write_report(path, rules="guangdong", cover={**GOOD_COVER, field: value})
    (finding,) = check_with(path, rules="guangdong").findings
    assert finding.rule == rule and words in finding.message
    assert finding.cells == (cells[f"cover.{field}"],)


def test_guangdong_level_switches_on_t2_lvl_and_national_rules_stay(tmp_path: Path) -> None:
    path = tmp_path / "gd.xlsx"
    cells = write_report(path, {"t2.art20_1.regulations.in_force": 3, "t3.public.natural": 1}, rules="guangdong",
                         cover=GOOD_COVER)
    found = {f.rule: f for f in check_with(path, rules="guangdong").findings}
    assert found["T2-LVL"].severity is Severity.WARNING
    assert found["T2-LVL"].cells == (cells["t2.art20_1.regulations.in_force"],)
    assert "T3-RES" in found and "T3-ROW" in found  # the national baseline still runs underneath
    assert "T2-LVL" not in {f.rule for f in check_with(path).findings}
    write_report(path, {"t2.art20_1.regulations.in_force": 3}, rules="guangdong",
                 cover={**GOOD_COVER, "level": "设区的市级人民政府"})
    assert check_with(path, rules="guangdong").findings == []


# ── fault isolation and loading ──────────────────────────────────────────────────────────────────
def boom(field: str, value: Any, error: Any) -> None:
    raise RuntimeError("rule bug")


def test_a_rule_that_raises_is_a_plugin_error_and_the_rest_still_run(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    cells = write_report(path, {"t4.review.upheld": 2})
    broken = plugin(xlcheck_overlays=lambda: [Overlay("national", (Rule("BAD-1", Severity.ERROR, "坏规则",
                                                                           {"values": {"check_with": boom}}),),
                                                      plugin="broken-plugin")])
    report = check_with(path, plugins=[broken])
    (error,) = rules_of(report, "plugin-error")
    assert error.severity is Severity.ERROR and "broken-plugin" in error.message and "BAD-1" in error.message
    assert rules_of(report, "T4-SUM")[0].cells[0] == cells["t4.review.total"]


def test_a_rule_with_a_schema_cerberus_rejects_skips_its_plugin_when_plugins_load(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    write_report(path, {"t4.review.upheld": 2})
    broken = plugin(xlcheck_overlays=lambda: [Overlay("national", (Rule("BAD-2", Severity.ERROR, "坏规则",
                                                                           {"values": {"no_such_rule": 1}}),))])
    registry = load(extra=[broken])
    (info,) = [i for i in registry.plugins if i.name == broken.__name__]
    assert info.failed and "BAD-2" in info.error and "no_such_rule: unknown rule" in info.error
    # the clerk's report has the national findings and nothing about the plugin's schema
    report = check_with(path, plugins=[broken])
    assert {f.rule for f in report.findings} - {"FIX"} == {"T4-SUM"}


def test_a_misspelt_hook_skips_only_its_plugin(tmp_path: Path) -> None:
    misspelt = types.SimpleNamespace(__name__="typo", xlcheck_rulesetz=hookimpl(lambda: []))
    registry = load(extra=[misspelt])
    (info,) = [i for i in registry.plugins if i.name == "typo"]
    assert info.failed and "xlcheck_rulesetz" in info.error and "xlcheck_rulesets？" in info.error
    assert not registry.pm.is_registered(misspelt)
    assert {e.rule.id for e in registry.effective("guangdong")[0]} >= {"T3-RES", "GD-USCC"}


def test_a_plugin_that_fails_to_import_is_listed_and_skipped(capsys: pytest.CaptureFixture[str],
                                                             xiaolou: tuple[Path, dict[str, str]]) -> None:
    assert main(["plugins", "-p", "xlcheck_no_such_module"]) == 0
    out = capsys.readouterr().out
    assert "xlcheck_no_such_module" in out and "无法导入" in out and "national" in out
    assert main(["check", "-p", "xlcheck_no_such_module", "--no-annotate", str(xiaolou[0])]) == 1


def test_plugins_lists_versions_sources_and_contributions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    for text in ("national", "guangdong", "规则集 national", "规则集 guangdong", "格式 2021", "输出格式 json",
                 xlcheck.__version__):
        assert text in out


def test_blocking_a_plugin_and_disabling_autoload(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  xiaolou: tuple[Path, dict[str, str]]) -> None:
    assert main(["check", "-p", "no:guangdong", "--rules", "guangdong", str(xiaolou[0])]) == 2
    assert "guangdong" in capsys.readouterr().err
    monkeypatch.setenv("XLCHECK_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert main(["rules"]) == 2
    assert main(["rules", "-p", "xlcheck_national"]) == 0
    assert "T3-RES" in capsys.readouterr().out


def test_an_output_format_from_a_plugin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                        xiaolou: tuple[Path, dict[str, str]]) -> None:
    module = types.ModuleType("xlcheck_test_csvish")
    module.xlcheck_output_formats = hookimpl(lambda: [OutputFormat(  # type: ignore[attr-defined]
        "ids", "rule ids", lambda reports, out: out.write(" ".join(f.rule for r in reports for f in r.findings)))])
    monkeypatch.setitem(sys.modules, "xlcheck_test_csvish", module)
    assert main(["check", "-p", "xlcheck_test_csvish", "--format", "ids", "--no-annotate", str(xiaolou[0])]) == 1
    assert capsys.readouterr().out == "D3 T3-ID T3-ID T3-RES T3-RES FIX"
    assert main(["check", "--format", "ids", "--no-annotate", str(xiaolou[0])]) == 2


# ── the third-party example, installed for real ──────────────────────────────────────────────────
@pytest.fixture(scope="module")
def installed_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install`` the example package into a folder of its own (what a user's install does,
    without touching this environment); putting the folder on PYTHONPATH is having it installed."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(EXAMPLE)], check=True)
    return target


def xlcheck_cli(*args: str, site: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site) if site else ""}
    return subprocess.run([sys.executable, "-m", "xlcheck", *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, check=False)


def test_installing_the_example_adds_its_rule_and_uninstalling_removes_it(installed_example: Path,
                                                                        tmp_path: Path) -> None:
    path = tmp_path / "inforce.xlsx"
    write_report(path, {"t2.art20_1.regulations.made": 2})
    with_plugin = xlcheck_cli("rules", site=installed_example)
    assert re.search(r"^EX-INFORCE +错误 +2021 .*example$", with_plugin.stdout, re.M)
    assert re.search(r"^D3 +错误 .*（修改：example）$", with_plugin.stdout, re.M)
    fired = xlcheck_cli("check", "--format", "json", "--no-annotate", str(path), site=installed_example)
    assert '"rule": "EX-INFORCE"' in fired.stdout and fired.returncode == 1
    assert xlcheck_cli("plugins", "--check", "--strict", site=installed_example).returncode == 0
    without = xlcheck_cli("rules")
    assert "EX-INFORCE" not in without.stdout and without.returncode == 0
    assert xlcheck_cli("check", "--no-annotate", str(path)).returncode == 0


def test_the_example_plugins_own_tests_pass(installed_example: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed_example)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir",
                           str(EXAMPLE), str(EXAMPLE / "tests")], capture_output=True, text=True, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 passed" in proc.stdout


# ── the guide documents every hook and everything the hooks return ───────────────────────────────
GUIDE = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("xlcheck_")]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_and_its_arguments_are_documented(hook: str) -> None:
    assert f"`{hook}`" in GUIDE
    for parameter in inspect.signature(getattr(hookspecs, hook)).parameters:
        assert f"`{parameter}`" in GUIDE, f"{hook}({parameter}) is not in docs/plugins.md"


@pytest.mark.parametrize("kind", [RuleSet, Overlay, Rule, LabeledField, Layout, OutputFormat],
                         ids=lambda k: k.__name__)
def test_everything_a_hook_returns_is_documented_field_by_field(kind: type) -> None:
    assert f"`{kind.__name__}`" in GUIDE
    for fld in dataclasses.fields(kind):
        assert f"`{fld.name}`" in GUIDE, f"{kind.__name__}.{fld.name} is not in docs/plugins.md"


@pytest.mark.parametrize("field", ["unit_name", "level", "uscc", "region", "contact", "phone"])
def test_guangdong_blank_cover_field_is_reported_on_its_own_cell(tmp_path: Path, field: str) -> None:
    # the template prints a hint beside most value cells and 报告年度 beside 填报单位: neither is a value
    path = tmp_path / "gd.xlsx"
    cells = write_report(path, rules="guangdong", cover={**GOOD_COVER, field: None})
    (finding,) = check_with(path, rules="guangdong").findings
    assert finding.rule == "GD-COVER" and finding.cells == (cells[f"cover.{field}"],)


def test_guangdong_level_is_a_drop_down_in_the_template(tmp_path: Path) -> None:
    import openpyxl

    cells = write_report(tmp_path / "gd.xlsx", rules="guangdong")
    ws = openpyxl.load_workbook(tmp_path / "gd.xlsx").worksheets[0]
    level = cells["cover.level"].split("!")[1]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any(level in str(dv.sqref) and "乡镇人民政府（街道办事处）" in dv.formula1 for dv in lists)


def test_p_naming_an_installed_plugin_loads_it_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "-p", "xlcheck_national"]) == 0
    assert re.search(r"^T3-RES ", capsys.readouterr().out, re.M)


def test_a_plugin_that_failed_to_load_is_named_on_stderr_when_checking(
        capsys: pytest.CaptureFixture[str], xiaolou: tuple[Path, dict[str, str]]) -> None:
    main(["check", "-p", "xlcheck_no_such_module", "--no-annotate", str(xiaolou[0])])
    assert "xlcheck_no_such_module" in capsys.readouterr().err


def test_template_without_the_layout_plugin_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    assert main(["template", "2021", "-p", "no:xlcheck.builtin", "-o", str(tmp_path / "t.xlsx")]) == 2
    assert "2021" in capsys.readouterr().err


def test_every_shipped_rule_passes_cerberus_own_schema_check() -> None:
    # shipped schemas skip Cerberus' check when the plugins load (rules.compile_rule): it is made here
    from xlcheck.plugins import SHIPPED_RULE_SETS, load
    from xlcheck.rules import _ShippedSchema, compile_rule

    registry = load(autoload=True)
    names = [n for n, s in registry.rulesets.items() if s.plugin in ("national", "guangdong")]
    assert {"national", "guangdong"} <= set(names)
    for name in names:
        for item in registry.effective(name)[0]:
            assert getattr(registry.pm.get_plugin(item.plugin), "__name__", None) in SHIPPED_RULE_SETS
            checked = compile_rule(item.rule, item.plugin)
            assert checked.validator is not None, (item.rule.id, checked.problem)
            assert not isinstance(checked.validator.schema, _ShippedSchema)
        assert all(isinstance(c.validator.schema, _ShippedSchema) for c in registry.compiled(name) if c.validator)


def test_a_mistaken_schema_is_still_caught_at_load_in_a_plugin_named_like_a_shipped_one() -> None:
    # trust goes by the module a rule comes from, not by a name another package can take
    from xlcheck.plugins import load

    class Impostor:
        __name__ = "national"

        @xlcheck.hookimpl
        def xlcheck_rulesets(self) -> list[xlcheck.RuleSet]:
            bad = xlcheck.Rule("X-BAD", Severity.ERROR, "错误的规则", {"tables": {"no_such_cerberus_rule": 1}})
            return [xlcheck.RuleSet("impostor", "冒名", [bad])]

    registry = load(autoload=False, extra=[Impostor()])
    info = next(i for i in registry.plugins if i.name == "national")
    assert info.failed and "no_such_cerberus_rule" in (info.error or "") + "".join(map(str, info.problems))
