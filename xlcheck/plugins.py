"""Loading plugins and collecting what they contribute.

Everything is a plugin: the built-in layouts (``DEFAULT_PLUGINS``), the national baseline and the
provincial sets shipped under ``plugins/``, and any third-party package, all found through the
``xlcheck`` entry-point group. ``XLCHECK_DISABLE_PLUGIN_AUTOLOAD=1`` loads none from entry points.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import cast

import pluggy

from . import hookspecs
from .layout import Layout
from .rules import CompiledRule, RuleSet, compile_rule, effective_rules

ENTRY_POINT_GROUP = "xlcheck"
DEFAULT_PLUGINS = ("xlcheck.builtin",)
AUTOLOAD_ENV = "XLCHECK_DISABLE_PLUGIN_AUTOLOAD"


class PluginError(Exception):
    """A plugin could not be used; the message names it."""


@dataclass
class Registry:
    """What the loaded plugins contribute, with each rule set's rules compiled once per process."""

    pm: pluggy.PluginManager
    layouts: list[Layout]
    rulesets: dict[str, RuleSet]
    _compiled: dict[str, list[CompiledRule]] = field(default_factory=dict)

    def compiled(self, ruleset: str) -> list[CompiledRule]:
        if ruleset not in self._compiled:
            if ruleset not in self.rulesets:
                known = "、".join(sorted(self.rulesets)) or "（无）"
                raise PluginError(f"没有名为 {ruleset} 的规则集；已安装的规则集：{known} (unknown rule set)")
            self._compiled[ruleset] = [compile_rule(rule, plugin)
                                       for rule, plugin, _ in effective_rules(ruleset, self.rulesets)]
        return self._compiled[ruleset]


def plugin_manager(*, autoload: bool | None = None, blocked: Iterable[str] = (),
                   extra: Sequence[object] = ()) -> pluggy.PluginManager:
    """A plugin manager with the default plugins, the entry-point plugins (unless disabled or blocked)
    and ``extra`` plugin objects, checked so that a misspelt hook implementation is an error."""
    pm = pluggy.PluginManager("xlcheck")
    pm.add_hookspecs(hookspecs)
    for name in blocked:
        pm.set_blocked(name)
    for module in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module), name=module)
    if autoload is None:
        autoload = not os.environ.get(AUTOLOAD_ENV)
    if autoload:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra:
        pm.register(plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"插件实现了不存在的钩子 (unknown hook): {exc}") from None
    return pm


def build_registry(pm: pluggy.PluginManager) -> Registry:
    layouts = [layout for result in pm.hook.xlcheck_layouts() for layout in result]
    rulesets: dict[str, RuleSet] = {}
    for impl in pm.hook.xlcheck_rulesets.get_hookimpls():
        contributed = cast(list[RuleSet], impl.function())
        for ruleset in contributed:
            rulesets[ruleset.name] = ruleset if ruleset.plugin else replace(ruleset, plugin=impl.plugin_name)
    return Registry(pm, layouts, rulesets)


_default: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _default
    if _default is None:
        _default = build_registry(plugin_manager())
    return _default
