"""A distribution of plugins with one author's mistake each, for installing through entry points.

Each module is a plugin as a provincial author might write it on a first try; ``write(folder)``
writes the package source (``pyproject.toml`` with one ``xlcheck`` entry point per module) for
``pip install`` to build.
"""

from __future__ import annotations

from pathlib import Path

HEADER = '''from xlcheck import Overlay, Rule, RuleSet, Severity, hookimpl
from xlcheck.rules import LabeledField

__version__ = "0.0.1"
TEXT = {"values": {"xl_values": {"check": "text"}}}
'''

CARRY = ('{"values": {"xl_compare": {"left": ["t3.carry_forward.{col}"], "op": "<=", '
         '"right": ["t3.new.{col}"], "each": {"col": ["natural", "total"]}}}}')

#: entry-point name -> module body (after HEADER)
PLUGINS = {
    # an override of a rule id that is not in the chain
    "bad_override": '''
@hookimpl
def xlcheck_overlays():
    return [Overlay("national", overrides={"D9": {"severity": "error"}})]
''',
    # an overlay whose target set does not exist
    "bad_target": f'''
@hookimpl
def xlcheck_overlays():
    return [Overlay("nationl", rules=(Rule("BT-1", Severity.ERROR, "x", {CARRY}),))]
''',
    # two rules with one id in one set
    "dup_ids": f'''
@hookimpl
def xlcheck_rulesets():
    return [RuleSet("dupset", "重复", (Rule("DP-1", Severity.ERROR, "a", {CARRY}),
                                       Rule("DP-1", Severity.WARNING, "b", {CARRY})), extends="national")]
''',
    # a rule whose id shadows one of the set it extends
    "shadow": '''
@hookimpl
def xlcheck_rulesets():
    return [RuleSet("shadowset", "遮蔽", (Rule("D2", Severity.ERROR, "空白", TEXT),), extends="national")]
''',
    # an overlay rule that a set built on its target defines too (guangdong's GD-USCC)
    "overlay_dropped": '''
@hookimpl
def xlcheck_overlays():
    return [Overlay("national", rules=(Rule("GD-USCC", Severity.ERROR, "代码", TEXT),))]
''',
    # schemas Cerberus rejects
    "bad_schema": '''
@hookimpl
def xlcheck_overlays():
    return [Overlay("national", rules=(
        Rule("BS-1", Severity.ERROR, "a", {"values": {"xl_compar": {"left": ["t3.new.total"], "op": "<=",
                                                                  "right": 0}}}),
        Rule("BS-2", Severity.ERROR, "b", {"values": {"xl_compare": {"left": ["t3.new.total"], "op": "=<",
                                                                   "right": 0}}}),
        Rule("BS-3", Severity.ERROR, "c", {"cover": {"type": "dict", "schema": {"unit_name": {"regx": "x"}}}}),
    ), fields=(LabeledField("unit_name", "填报单位"),))]
''',
    # a field key that no layout has
    "bad_key": '''
@hookimpl
def xlcheck_overlays():
    return [Overlay("national", rules=(
        Rule("BK-1", Severity.ERROR, "a", {"values": {"xl_compare": {"left": ["t3.pubilc.total"], "op": "<=",
                                                                    "right": ["t3.new.total"]}}}),))]
''',
    # a hook function without @hookimpl
    "no_hookimpl": f'''
def xlcheck_overlays():
    return [Overlay("national", rules=(Rule("NH-1", Severity.ERROR, "x", {CARRY}),))]
''',
    # a rule reading a cover key no set declares
    "bad_cover": '''
@hookimpl
def xlcheck_overlays():
    return [Overlay("national", rules=(
        Rule("BC-1", Severity.ERROR, "a", {"cover": {"type": "dict",
                                                     "schema": {"regoin": {"regex": "44[0-9]{4}"}}}}),))]
''',
    # a misspelt hook name
    "misspelt": '''
@hookimpl
def xlcheck_rulesetz():
    return []
''',
    # a hook that raises
    "raises": '''
@hookimpl
def xlcheck_rulesets():
    raise RuntimeError("配置文件不存在")
''',
}


def write(folder: Path) -> Path:
    """Write the distribution's source into ``folder`` and return it."""
    package = folder / "xlcheck_broken"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    for name, body in PLUGINS.items():
        (package / f"{name}.py").write_text(HEADER + body, encoding="utf-8")
    entry_points = "\n".join(f'{name} = "xlcheck_broken.{name}"' for name in PLUGINS)
    (folder / "pyproject.toml").write_text(f'''[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "xlcheck-broken-plugins"
version = "0.0.1"

[project.entry-points.xlcheck]
{entry_points}

[tool.setuptools]
packages = ["xlcheck_broken"]
''', encoding="utf-8")
    return folder
