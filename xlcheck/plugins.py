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
from .rules import CompiledRule, EffectiveRule, LabeledField, Overlay, Rule, RuleSet, compile_rule, describe, resolve
from .validation import ERROR, Problem, contribution_problems, plugin_problems, ruleset_problems, unknown_hook_problem

ENTRY_POINT_GROUP = "xlcheck"
DEFAULT_PLUGINS = ("xlcheck.builtin",)
#: the rule-set modules installed with xlcheck, whose schemas the tests check (``rules.compile_rule``)
SHIPPED_RULE_SETS = ("xlcheck_national", "xlcheck_guangdong")
AUTOLOAD_ENV = "XLCHECK_DISABLE_PLUGIN_AUTOLOAD"


class PluginError(Exception):
    """Plugins cannot be used as they are (an unknown rule set, or one whose plugin failed to load);
    the message says which."""


@dataclass
class PluginInfo:
    """One plugin as ``xlcheck plugins`` shows it."""

    name: str
    version: str = ""
    #: "内置" for built-in plugins, else the distribution and where it is installed
    source: str = ""
    contributes: list[str] = field(default_factory=list)
    #: why the plugin was skipped, in one line, when it was
    error: str = ""
    #: every mistake found in the plugin when it loaded (errors made it skipped; warnings did not)
    problems: list[Problem] = field(default_factory=list)
    #: the plugin object (module), once imported
    plugin: object = field(default=None, repr=False, compare=False)

    @property
    def failed(self) -> bool:
        return bool(self.error)

    def fail(self, reason: str = "") -> None:
        errors = [p for p in self.problems if p.severity == ERROR]
        if not reason:
            reason = str(errors[0]) if errors else "?"
            if len(errors) > 1:
                reason += f"（另有 {len(errors) - 1} 个问题，见 xlcheck plugins --check）"
        self.error = f"加载失败，已跳过 (plugin skipped): {reason}"


@dataclass
class Registry:
    """What the loaded plugins contribute, with each rule compiled once per process."""

    pm: pluggy.PluginManager
    plugins: list[PluginInfo]
    layouts: list[Layout] = field(default_factory=list)
    rulesets: dict[str, RuleSet] = field(default_factory=dict)
    overlays: list[Overlay] = field(default_factory=list)
    output_formats: dict[str, OutputFormat] = field(default_factory=dict)
    #: rule sets of plugins that failed to load -> the plugin
    failed_sets: dict[str, str] = field(default_factory=dict)
    _resolved: dict[str, tuple[list[CompiledRule], list[LabeledField]]] = field(default_factory=dict)
    #: id of a rule's schema -> (the schema, kept alive so the id stays its own; its compiled rule)
    _schemas: dict[int, tuple[Any, CompiledRule]] = field(default_factory=dict)

    def effective(self, ruleset: str) -> tuple[list[EffectiveRule], list[LabeledField]]:
        """The rules and cover fields ``ruleset`` runs with; PluginError for an unknown set, or one
        whose plugin failed to load."""
        if ruleset in self.failed_sets:
            info = next(i for i in self.plugins if i.name == self.failed_sets[ruleset])
            raise PluginError(f"规则集 {ruleset} 来自插件 {info.name}，该插件{info.error}")
        try:
            return resolve(ruleset, self.rulesets, self.overlays)
        except KeyError:
            known = "、".join(sorted(self.rulesets)) or "（无）"
            failed = "".join(f"；插件 {i.name} {i.error}" for i in self.plugins if i.failed)
            raise PluginError(f"没有名为 {ruleset} 的规则集；已安装的规则集：{known} (unknown rule set){failed}"
                              ) from None
        except ValueError as exc:
            raise PluginError(f"规则集 {ruleset} 的定义有误 (bad rule set): {exc}") from None

    def compiled(self, ruleset: str) -> list[CompiledRule]:
        return self._prepared(ruleset)[0]

    def fields(self, ruleset: str) -> list[LabeledField]:
        return self._prepared(ruleset)[1]

    def compile(self, rule: Rule, plugin: str) -> CompiledRule:
        """``rule`` compiled; the validator is built once per schema (an override changes a rule's
        severity or message, never its schema), so loading and checking share it."""
        hit = self._schemas.get(id(rule.schema))
        if hit is None or hit[0] is not rule.schema:
            shipped = getattr(self.pm.get_plugin(plugin), "__name__", None) in SHIPPED_RULE_SETS
            hit = self._schemas[id(rule.schema)] = (rule.schema, compile_rule(rule, plugin, shipped=shipped))
        done = hit[1]
        return done if done.rule is rule and done.plugin == plugin else replace(done, rule=rule, plugin=plugin)

    def _prepared(self, ruleset: str) -> tuple[list[CompiledRule], list[LabeledField]]:
        if ruleset not in self._resolved:
            rules, fields = self.effective(ruleset)
            self._resolved[ruleset] = ([self.compile(e.rule, e.plugin) for e in rules], fields)
        return self._resolved[ruleset]


def load(*, autoload: bool | None = None, blocked: Iterable[str] = (), modules: Sequence[str] = (),
         extra: Sequence[object] = ()) -> Registry:
    """Load plugins and collect their contributions.

    ``autoload`` (default: unless ``XLCHECK_DISABLE_PLUGIN_AUTOLOAD`` is set) loads the entry-point
    plugins; ``blocked`` names plugins not to load; ``modules`` are import paths to load as plugins
    (``-p``); ``extra`` are plugin objects (tests). A plugin that fails to import, implements a
    hook that does not exist or contributes something mistaken (``xlcheck.validation``) is skipped
    and listed with the reason in ``Registry.plugins``; the others load as usual.
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
        if _known(infos, plugin):  # already loaded (or skipped) through its entry point
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
        info.problems.append(Problem(name, "模块", f"无法导入 (failed to import): {type(exc).__name__}: {exc}"))
        info.fail(f"无法导入 (failed to import): {type(exc).__name__}: {exc}")
        infos.append(info)
        return
    if _known(infos, plugin):  # -p naming a plugin its entry point already loaded (or skipped)
        return
    _register(pm, infos, plugin, name, info)


def _known(infos: list[PluginInfo], plugin: object) -> bool:
    return any(info.plugin is plugin for info in infos)


_HOOKS = tuple(name for name in vars(hookspecs) if name.startswith("xlcheck_"))
_MARKER = f"{hookspecs.hookimpl.project_name}_impl"


def _register(pm: pluggy.PluginManager, infos: list[PluginInfo], plugin: object, name: str,
              info: PluginInfo) -> None:
    if not info.version:
        info.version = str(getattr(plugin, "__version__", ""))
    info.plugin = plugin
    infos.append(info)
    info.problems.extend(plugin_problems(name, plugin, _HOOKS, _MARKER))
    try:
        pm.register(plugin, name=name)
        pm.check_pending()
    except (pluggy.PluginValidationError, ValueError) as exc:
        # a misspelt hook: pluggy would refuse every later command; only this plugin is left out
        if pm.is_registered(plugin):
            pm.unregister(plugin)
        if isinstance(exc, pluggy.PluginValidationError):
            info.problems.append(unknown_hook_problem(name, plugin, _HOOKS, _MARKER))
        else:
            info.problems.append(Problem(name, "插件", f"无法注册 (cannot be registered): {exc}"))
    if any(p.severity == ERROR for p in info.problems):
        if pm.is_registered(plugin):
            pm.unregister(plugin)
        info.fail()


def _collect(pm: pluggy.PluginManager, infos: list[PluginInfo]) -> Registry:
    """Call every hook, check what came back, and keep the contributions of the plugins that have no
    error. Skipping a plugin can leave another one's overlay without its target, so checking goes on
    until no more plugins fail."""
    registry = Registry(pm, infos)
    by_name = {info.name: info for info in infos}
    given: dict[str, dict[str, list[Any]]] = {}
    for hook in _HOOKS:
        for impl in getattr(pm.hook, hook).get_hookimpls():
            name, info = impl.plugin_name, by_name.get(impl.plugin_name)
            try:
                items, problems = contribution_problems(name, hook, impl.function())
            except Exception as exc:  # a hook that raises takes only its own plugin away
                items, problems = [], [Problem(name, f"钩子 {hook}", f"运行出错 (hook raised): "
                                                                    f"{type(exc).__name__}: {exc}")]
            if hook in ("xlcheck_rulesets", "xlcheck_overlays"):
                items = [x if x.plugin else replace(x, plugin=name) for x in items]
            given.setdefault(name, {})[hook] = items
            if info is not None:
                info.problems.extend(problems)
                if problems:
                    info.fail()

    def usable(name: str) -> bool:
        return name not in by_name or not by_name[name].failed

    while True:
        registry.rulesets, registry.overlays, registry.failed_sets = {}, [], {}
        for name, hooks in given.items():
            for ruleset in hooks.get("xlcheck_rulesets", ()):
                if not usable(name):
                    registry.failed_sets.setdefault(ruleset.name, name)
                elif ruleset.name in registry.rulesets:
                    other = registry.rulesets[ruleset.name].plugin
                    by_name[name].problems.append(Problem(name, describe(ruleset), (
                        f"插件 {other} 已经定义了同名的规则集 {ruleset.name}；请换一个名字 "
                        f"(rule set {ruleset.name} is already defined by {other})")))
                else:
                    registry.rulesets[ruleset.name] = ruleset
            if usable(name):
                registry.overlays.extend(hooks.get("xlcheck_overlays", ()))
        registry.layouts = [x for name, hooks in given.items() if usable(name)
                            for x in hooks.get("xlcheck_layouts", ())]
        found = ruleset_problems(registry.rulesets, registry.overlays, registry.layouts, registry.compile,
                                 registry.failed_sets)
        newly_failed = False
        for problem in found:
            info = by_name.get(problem.plugin)
            if info is None or info.failed:
                continue
            if problem not in info.problems:
                info.problems.append(problem)
        for info in infos:
            if not info.failed and any(p.severity == ERROR for p in info.problems):
                info.fail()
                newly_failed = True
        if not newly_failed:
            break
    for name, hooks in given.items():
        if not usable(name):
            continue
        _note(by_name, name, [f"格式 {x.format}" for x in hooks.get("xlcheck_layouts", ())])
        _note(by_name, name, [f"规则集 {x.name}" for x in hooks.get("xlcheck_rulesets", ())])
        _note(by_name, name, [f"补充规则集 {x.target}" for x in hooks.get("xlcheck_overlays", ())])
        formats = hooks.get("xlcheck_output_formats", ())
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
