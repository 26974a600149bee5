"""Loading plugins and collecting what they contribute.

Everything is a plugin: the built-in layouts and output formats (``DEFAULT_PLUGINS``), the national
baseline and the provincial sets shipped under ``plugins/``, and any third-party package, all found
through the ``xlcheck`` entry-point group. ``XLCHECK_DISABLE_PLUGIN_AUTOLOAD=1`` loads none from entry
points (name the ones wanted with ``-p MODULE``); ``-p no:NAME`` blocks one.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pluggy

from . import entrypoints, hookspecs
from .layout import Layout
from .output import OutputFormat
from .rules import CompiledRule, EffectiveRule, LabeledField, Overlay, RuleSet, compile_rule, resolve

ENTRY_POINT_GROUP = "xlcheck"
DEFAULT_PLUGINS = ("xlcheck.builtin",)
AUTOLOAD_ENV = "XLCHECK_DISABLE_PLUGIN_AUTOLOAD"


class PluginError(Exception):
    """Plugins cannot be used as they are (a misspelt hook, an unknown rule set); the message says which."""


@dataclass
class PluginInfo:
    """One plugin as ``xlcheck plugins`` shows it."""

    name: str
    version: str = ""
    #: "内置" for built-in plugins, else the distribution and where it is installed
    source: str = ""
    contributes: list[str] = field(default_factory=list)
    #: why the plugin was skipped, when it was
    error: str = ""


@dataclass
class Registry:
    """What the loaded plugins contribute, with each rule set's rules compiled once per process."""

    pm: pluggy.PluginManager
    plugins: list[PluginInfo]
    layouts: list[Layout] = field(default_factory=list)
    rulesets: dict[str, RuleSet] = field(default_factory=dict)
    overlays: list[Overlay] = field(default_factory=list)
    output_formats: dict[str, OutputFormat] = field(default_factory=dict)
    _resolved: dict[str, tuple[list[CompiledRule], list[LabeledField]]] = field(default_factory=dict)

    def effective(self, ruleset: str) -> tuple[list[EffectiveRule], list[LabeledField]]:
        """The rules and cover fields ``ruleset`` runs with; PluginError for an unknown set."""
        try:
            return resolve(ruleset, self.rulesets, self.overlays)
        except KeyError:
            known = "、".join(sorted(self.rulesets)) or "（无）"
            raise PluginError(f"没有名为 {ruleset} 的规则集；已安装的规则集：{known} (unknown rule set)") from None
        except ValueError as exc:
            raise PluginError(f"规则集 {ruleset} 的定义有误 (bad rule set): {exc}") from None

    def compiled(self, ruleset: str) -> list[CompiledRule]:
        return self._prepared(ruleset)[0]

    def fields(self, ruleset: str) -> list[LabeledField]:
        return self._prepared(ruleset)[1]

    def _prepared(self, ruleset: str) -> tuple[list[CompiledRule], list[LabeledField]]:
        if ruleset not in self._resolved:
            rules, fields = self.effective(ruleset)
            self._resolved[ruleset] = ([compile_rule(e.rule, e.plugin) for e in rules], fields)
        return self._resolved[ruleset]


def load(*, autoload: bool | None = None, blocked: Iterable[str] = (), modules: Sequence[str] = (),
         extra: Sequence[object] = ()) -> Registry:
    """Load plugins and collect their contributions.

    ``autoload`` (default: unless ``XLCHECK_DISABLE_PLUGIN_AUTOLOAD`` is set) loads the entry-point
    plugins; ``blocked`` names plugins not to load; ``modules`` are import paths to load as plugins
    (``-p``); ``extra`` are plugin objects (tests). A plugin that fails to import is skipped and
    reported; a misspelt hook implementation raises PluginError.
    """
    pm = pluggy.PluginManager("xlcheck")
    pm.add_hookspecs(hookspecs)
    infos: list[PluginInfo] = []
    for name in blocked:
        pm.set_blocked(name)
    from . import __version__

    for module in DEFAULT_PLUGINS:
        _register(pm, infos, importlib.import_module(module), module,
                  PluginInfo(module, __version__, source="内置 (built-in)"))
    if autoload is None:
        autoload = not os.environ.get(AUTOLOAD_ENV)
    if autoload:
        for ep in entrypoints.entry_points(ENTRY_POINT_GROUP):
            if pm.is_blocked(ep.name) or pm.has_plugin(ep.name):
                continue
            info = PluginInfo(ep.name, ep.version, f"{ep.dist} ({ep.location})")
            _load_and_register(pm, infos, ep.load, ep.name, info)
    for module in modules:
        if not pm.is_blocked(module) and not pm.has_plugin(module):
            info = PluginInfo(module, source="命令行 -p (command line)")
            _load_and_register(pm, infos, functools.partial(importlib.import_module, module), module, info)
    for plugin in extra:
        if pm.is_registered(plugin):  # already loaded through its entry point
            continue
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        _register(pm, infos, plugin, name, PluginInfo(name, source="测试 (registered in code)"))
    return _collect(pm, infos)


def load_options(options: Sequence[str]) -> Registry:
    """Load plugins as the command line's ``-p`` options say: ``MODULE`` loads one, ``no:NAME`` blocks one."""
    return load(blocked=[p.removeprefix("no:") for p in options if p.startswith("no:")],
                modules=[p for p in options if not p.startswith("no:")])


def _load_and_register(pm: pluggy.PluginManager, infos: list[PluginInfo], loader: Callable[[], object],
                       name: str, info: PluginInfo) -> None:
    try:
        plugin = loader()
    except Exception as exc:  # a broken plugin is skipped, never fatal to the others
        info.error = f"无法加载，已跳过 (failed to import, skipped): {type(exc).__name__}: {exc}"
        infos.append(info)
        return
    if pm.is_registered(plugin):  # -p naming a plugin its entry point already loaded
        return
    _register(pm, infos, plugin, name, info)


def _register(pm: pluggy.PluginManager, infos: list[PluginInfo], plugin: object, name: str,
              info: PluginInfo) -> None:
    if not info.version:
        info.version = str(getattr(plugin, "__version__", ""))
    pm.register(plugin, name=name)
    infos.append(info)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"插件 {name} 实现了不存在的钩子，请检查拼写 "
                          f"(unknown hook in plugin {name}): {exc}") from None


def _collect(pm: pluggy.PluginManager, infos: list[PluginInfo]) -> Registry:
    registry = Registry(pm, infos)
    by_name = {info.name: info for info in infos}

    def each(hook: Any) -> Iterable[tuple[str, list[Any]]]:
        for impl in hook.get_hookimpls():
            try:
                yield impl.plugin_name, list(impl.function())
            except Exception as exc:  # a hook that raises takes only its own plugin's contribution away
                info = by_name.get(impl.plugin_name)
                if info is not None:
                    info.error = f"{hook.name} 出错，已跳过 (hook failed, skipped): {type(exc).__name__}: {exc}"

    for name, layouts in each(pm.hook.xlcheck_layouts):
        registry.layouts.extend(layouts)
        _note(by_name, name, [f"格式 {x.format}" for x in layouts])
    for name, rulesets in each(pm.hook.xlcheck_rulesets):
        for ruleset in rulesets:
            registry.rulesets[ruleset.name] = ruleset if ruleset.plugin else replace(ruleset, plugin=name)
        _note(by_name, name, [f"规则集 {x.name}" for x in rulesets])
    for name, overlays in each(pm.hook.xlcheck_overlays):
        registry.overlays.extend(x if x.plugin else replace(x, plugin=name) for x in overlays)
        _note(by_name, name, [f"补充规则集 {x.target}" for x in overlays])
    for name, formats in each(pm.hook.xlcheck_output_formats):
        registry.output_formats.update((x.name, x) for x in formats)
        _note(by_name, name, [f"输出格式 {x.name}" for x in formats])
    return registry


def _note(by_name: dict[str, PluginInfo], name: str, items: list[str]) -> None:
    if name in by_name:
        by_name[name].contributes.extend(items)


_default: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry, built on first use with the default plugin loading."""
    global _default
    if _default is None:
        _default = load()
    return _default
