"""Checking what plugins contribute, when they load: the author learns of a mistake on the first run,
with the plugin and the object named, instead of a rule that silently never fires or a raw Cerberus
error in every clerk's 校验结果 sheet.

Three stages, each run by ``xlcheck.plugins`` whenever plugins load (they cost a few milliseconds;
the sanity checks of ``xlcheck.sanity``, which need a solver, run only in ``xlcheck plugins --check``):

- ``plugin_problems``: functions named like hooks but not decorated with ``@hookimpl``;
- ``contribution_problems``: what a hook returned has the types the hook promises;
- ``ruleset_problems``: the rule sets and overlays of every plugin together — sets and targets that
  exist, overrides of rules that exist, ids that do not clash (or say ``replaces``), schemas Cerberus
  accepts, field keys some layout has and cover keys some set declares.
"""

from __future__ import annotations

import difflib
import inspect
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .findings import Severity
from .layout import Layout
from .output import OutputFormat
from .rules import CompiledRule, LabeledField, Overlay, Rule, RuleSet, describe, resolve

#: the top-level fields of the document rules validate (``xlcheck.document``); ``previous`` and
#: ``pairing`` exist when a report is paired with last year's, ``narrative`` for a published report
DOCUMENT_FIELDS = ("meta", "values", "cover", "issues", "previous", "pairing", "narrative", "ctx")

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    """One mistake in a plugin. An ``error`` makes xlcheck skip the plugin; a ``warning`` does not."""

    plugin: str
    #: the object that is wrong, as the author wrote it ("规则集 myprovince 的规则 MP-1")
    subject: str
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        return f"{self.subject}：{self.message}"


# ── the plugin object ────────────────────────────────────────────────────────────────────────────
def plugin_problems(name: str, plugin: object, hooks: Sequence[str], marker: str) -> list[Problem]:
    """Functions of ``plugin`` named ``xlcheck_*`` that pluggy will not call, for want of ``@hookimpl``
    (pluggy marks a decorated function with the attribute ``marker``)."""
    out = []
    for attr in dir(plugin):
        if not attr.startswith("xlcheck_"):
            continue
        fn = getattr(plugin, attr, None)
        if not inspect.isfunction(fn) or hasattr(fn, marker):
            continue
        if attr in hooks:
            out.append(Problem(name, f"函数 {attr}", "没有用 @xlcheck.hookimpl 装饰，xlcheck 不会调用它 "
                                                   f"(hook {attr} is not decorated with @hookimpl)"))
        else:
            out.append(Problem(name, f"函数 {attr}", "名字像钩子，但既不是 xlcheck 的钩子，也没有 @hookimpl "
                                                   f"装饰{_did_you_mean(attr, hooks)} (not a hook)", WARNING))
    return out


def unknown_hook_problem(name: str, plugin: object, hooks: Sequence[str], marker: str) -> Problem:
    """The problem of a plugin pluggy refused: decorated functions whose names are not hooks."""
    wrong = [attr for attr in dir(plugin) if hasattr(getattr(plugin, attr, None), marker) and attr not in hooks]
    did = "".join(_did_you_mean(attr, hooks) for attr in wrong)
    return Problem(name, f"函数 {'、'.join(wrong) or '?'}", f"带有 @hookimpl，但 xlcheck 没有这个钩子{did}；钩子有："
                                                           f"{'、'.join(hooks)} (unknown hook)")


# ── what each hook returned ──────────────────────────────────────────────────────────────────────
HOOK_TYPES: dict[str, type] = {"xlcheck_layouts": Layout, "xlcheck_rulesets": RuleSet,
                               "xlcheck_overlays": Overlay, "xlcheck_output_formats": OutputFormat}


def contribution_problems(name: str, hook: str, result: Any) -> tuple[list[Any], list[Problem]]:
    """The objects ``hook`` returned, and what is wrong with their types."""
    wanted = HOOK_TYPES[hook]
    if not isinstance(result, (list, tuple)):
        return [], [Problem(name, f"钩子 {hook}", f"应返回 list[{wanted.__name__}]，返回的是 "
                                                  f"{type(result).__name__} (a hook returns a list)")]
    problems = []
    for item in result:
        if not isinstance(item, wanted):
            problems.append(Problem(name, f"钩子 {hook}", f"返回的列表中有 {type(item).__name__}，应为 "
                                                          f"{wanted.__name__} (wrong type in the list)"))
        elif isinstance(item, (RuleSet, Overlay)):
            problems.extend(_layer_types(name, item))
    return list(result), problems


def _layer_types(name: str, layer: RuleSet | Overlay) -> Iterator[Problem]:
    what = describe(layer)
    if isinstance(layer, RuleSet) and (not isinstance(layer.name, str) or not layer.name):
        yield Problem(name, what, "name 应为非空字符串 (name must be a non-empty str)")
    if isinstance(layer, RuleSet) and layer.extends is not None and not isinstance(layer.extends, str):
        yield Problem(name, what, "extends 应为规则集的名字或 None (extends takes a set's name)")
    if isinstance(layer, Overlay) and not isinstance(layer.target, str):
        yield Problem(name, what, "target 应为规则集的名字 (target takes a set's name)")
    if not isinstance(layer.rules, (tuple, list)):
        yield Problem(name, what, f"rules 应为 Rule 的元组，而不是 {type(layer.rules).__name__} (rules is a tuple)")
    else:
        for rule in layer.rules:
            yield from _rule_types(name, what, rule)
    if not isinstance(layer.fields, (tuple, list)) or not all(isinstance(f, LabeledField) for f in layer.fields):
        yield Problem(name, what, "fields 应为 LabeledField 的元组 (fields is a tuple of LabeledField)")
    else:
        for f in layer.fields:
            if not isinstance(f.key, str) or not f.key or not isinstance(f.label, str) or not f.label:
                yield Problem(name, f"{what} 的封面字段 {f.key!r}", "key 和 label 应为非空字符串 (key and label are "
                                                               "non-empty str)")
    if not isinstance(layer.overrides, Mapping):
        yield Problem(name, what, "overrides 应为字典：规则编号 -> 修改 (overrides is a dict)")


def _rule_types(name: str, what: str, rule: Any) -> Iterator[Problem]:
    if not isinstance(rule, Rule):
        yield Problem(name, what, f"rules 中有 {type(rule).__name__}，应为 Rule (rules holds Rule objects)")
        return
    if not isinstance(rule.id, str) or not rule.id:
        yield Problem(name, what, f"有一条规则的 id 为 {rule.id!r}，应为非空字符串 (a rule id is a non-empty str)")
        return
    subject = f"{what}的规则 {rule.id}" if what.endswith("）") else f"{what} 的规则 {rule.id}"
    if not isinstance(rule.severity, Severity):
        yield Problem(name, subject, f"severity 应为 Severity.ERROR、WARNING 或 INFO，而不是 {rule.severity!r} "
                                     "(severity is a Severity)")
    if not isinstance(rule.schema, Mapping):
        yield Problem(name, subject, f"schema 应为字典（Cerberus schema），而不是 {type(rule.schema).__name__} "
                                     "(schema is a dict)")
    if not isinstance(rule.formats, tuple) or not all(isinstance(f, str) for f in rule.formats):
        yield Problem(name, subject, f"formats 应为字符串的元组，如 (\"2021\",)，而不是 {rule.formats!r} "
                                     "(formats is a tuple of str)")
    for attr in ("description", "message", "replaces"):
        if not isinstance(getattr(rule, attr), str):
            yield Problem(name, subject, f"{attr} 应为字符串 ({attr} is a str)")
    if not isinstance(rule.enabled, bool):
        yield Problem(name, subject, "enabled 应为 True 或 False (enabled is a bool)")


# ── rule sets and overlays together ──────────────────────────────────────────────────────────────
def ruleset_problems(rulesets: Mapping[str, RuleSet], overlays: Sequence[Overlay], layouts: Sequence[Layout],
                     compiled: Callable[[Rule, str], CompiledRule],
                     failed_sets: Mapping[str, str] | None = None) -> list[Problem]:
    """Every mistake in the rule sets and overlays of the loaded plugins; ``compiled`` compiles a rule
    (once: the check reuses it); ``failed_sets`` names the sets of plugins already skipped."""
    failed_sets = failed_sets or {}
    problems: list[Problem] = []

    def add(plugin: str, subject: str, message: str, severity: str = ERROR) -> None:
        problems.append(Problem(plugin, subject, message, severity))

    def missing(name: str) -> str:
        if name in failed_sets:
            return f"规则集 {name} 来自插件 {failed_sets[name]}，该插件加载失败"
        return f"规则集 {name} 不存在{_did_you_mean(name, list(rulesets))}"

    intact = []
    for rs in rulesets.values():
        chain, current = [rs.name], rs.extends
        while current is not None and current in rulesets and current not in chain:
            chain.append(current)
            current = rulesets[current].extends
        if current is None:
            intact.append(rs.name)
        elif current in chain:
            add(rs.plugin, describe(rs), f"extends 形成了循环：{' → '.join([*chain, current])} (extends itself)")
        elif current == rs.extends:
            add(rs.plugin, describe(rs), f"extends 的{missing(current)}，这个规则集无法使用 "
                                         "(extends a set that is not there)")
    usable = [o for o in overlays if o.target in rulesets]
    for overlay in overlays:
        if overlay.target not in rulesets:
            add(overlay.plugin, describe(overlay), f"目标{missing(overlay.target)}，这个 Overlay 不会执行 "
                                                    "(overlay target not there)")

    layers: list[RuleSet | Overlay] = [*rulesets.values(), *overlays]
    declared = {f.key for layer in layers for f in layer.fields}
    by_format = {layout.format: layout for layout in layouts}
    for layer in layers:
        for rule in layer.rules:
            for message, severity in _rule_problems(rule, layer.plugin, by_format, declared, compiled):
                add(layer.plugin, describe(layer, rule.id), message, severity)
    for name in intact:
        resolve(name, rulesets, usable, on_problem=add)
    return list(dict.fromkeys(problems))  # an overlay's mistake shows once, not once per set built on it


def _rule_problems(rule: Rule, plugin: str, layouts: Mapping[str, Layout], declared: set[str],
                   compiled: Callable[[Rule, str], CompiledRule]) -> Iterator[tuple[str, str]]:
    result = compiled(rule, plugin)
    if result.validator is None:
        yield result.problem, ERROR
    unknown_formats = [f for f in rule.formats if f not in layouts]
    if layouts and unknown_formats:
        yield (f"formats 中的 {'、'.join(unknown_formats)} 不是已加载的表格格式（{'、'.join(layouts)}），"
               f"在这些格式上不会执行 (unknown format)"), WARNING
    for top in rule.schema:
        if top not in DOCUMENT_FIELDS:
            yield (f"schema 的字段 {top} 不在报告文档中{_did_you_mean(str(top), DOCUMENT_FIELDS)}（文档有 "
                   f"{'、'.join(DOCUMENT_FIELDS[:-1])}），这条规则永远不会触发 (no such document field)"), ERROR
    keys = set().union(*(layouts[f].fields for f in (rule.formats or layouts) if f in layouts))
    formats = "、".join(f for f in (rule.formats or layouts) if f in layouts)
    for rule_name, constraint in custom_constraints(rule.schema):
        if not isinstance(constraint, Mapping):
            continue
        try:
            dead = _dead_keys(rule_name, constraint, keys) if keys else []
        except KeyError as exc:
            yield (f"{rule_name} 的键中有 {{{exc.args[0]}}}，但 each 没有给出 {exc.args[0]} 的取值 "
                   f"(a placeholder without values in each)"), ERROR
            continue
        except (IndexError, ValueError, TypeError) as exc:
            yield f"{rule_name} 的键无法展开 (cannot expand the keys): {type(exc).__name__}: {exc}", ERROR
            continue
        for key, example in dead:
            yield (f"读取的字段 {key} 不在表格格式中（{formats}），这条规则永远不会触发"
                   f"{_did_you_mean(_plain_key(example), list(keys))}；字段一览见 xlcheck fields "
                   f"(unknown field key)"), ERROR
        if rule.enabled:
            for path in constraint.get("when", {}) if isinstance(constraint.get("when"), Mapping) else ():
                yield from _path_problems(str(path), declared)
    cover = rule.schema.get("cover")
    if rule.enabled and isinstance(cover, Mapping) and isinstance(cover.get("schema"), Mapping):
        for key in cover["schema"]:
            yield from _path_problems(f"cover.{key}", declared)


def _path_problems(path: str, declared: set[str]) -> Iterator[tuple[str, str]]:
    head, _, rest = path.partition(".")
    if head == "cover" and rest not in declared:
        yield (f"读取封面字段 {path}，但没有规则集声明这个字段{_did_you_mean(rest, list(declared))}，这条规则"
               f"永远不会触发；要读取它，请在 RuleSet 或 Overlay 的 fields 中写 LabeledField(\"{rest}\", "
               f"\"封面上的标签\") (cover key declared by no set)"), ERROR
    elif head not in DOCUMENT_FIELDS:
        yield (f"when 中的路径 {path} 不在报告文档中（应以 {'、'.join(DOCUMENT_FIELDS[:-1])} 开头） "
               "(no such document path)"), ERROR


def custom_constraints(schema: Any) -> Iterator[tuple[str, Any]]:
    """Every ``xl_compare`` and ``xl_values`` constraint anywhere in a schema."""
    if isinstance(schema, Mapping):
        for key, value in schema.items():
            if key in ("xl_compare", "xl_values"):
                yield key, value
            else:
                yield from custom_constraints(value)
    elif isinstance(schema, (list, tuple)):
        for item in schema:
            yield from custom_constraints(item)


def _dead_keys(rule_name: str, constraint: Mapping[str, Any], keys: set[str]) -> list[tuple[str, str]]:
    """The keys of a constraint that no layout has, each with one expansion to suggest a fix for.

    ``each`` is a product, and a key a workbook lacks is skipped on purpose (T2-19b runs over every
    block and row, and not every block has every row); what can never fire is a key pattern none of
    whose expansions exists, or a value in ``each`` that no pattern turns into an existing key."""
    if rule_name == "xl_values":
        return [(k, k) for k in constraint.get("fields") or () if isinstance(k, str) and _plain_key(k) not in keys]
    templates = [k for side in ("left", "right") if isinstance(constraint.get(side), list)
                 for k in constraint[side] if isinstance(k, str)]
    each = constraint.get("each") or {}
    names = list(each)
    alive: set[str] = set()
    found: set[tuple[str, str]] = set()
    first: dict[str, str] = {}
    for combo in itertools.product(*(each[n] for n in names)):
        binding = dict(zip(names, combo, strict=True))
        for template in templates:
            key = template.format(**binding)
            first.setdefault(template, key)
            if _plain_key(key) in keys:
                alive.add(template)
                found.update((n, str(v)) for n, v in binding.items() if "{" + n + "}" in template)
    dead = [(t, first[t]) for t in dict.fromkeys(templates) if t not in alive]
    used = {n for n in names if any("{" + n + "}" in t for t in templates)}
    for n in used:
        for v in each[n]:
            if (n, str(v)) not in found and alive:
                pattern = next(t for t in templates if "{" + n + "}" in t)
                dead.append((f"{pattern}（{n}={v}）", pattern.replace("{" + n + "}", str(v))))
    return dead


def _plain_key(key: str) -> str:
    """A key as the layout names it: without the sign of a subtracted term or last year's prefix."""
    return key.removeprefix("-").removeprefix("previous.")


def _did_you_mean(word: str, choices: Sequence[str] | set[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f"（是否想写 {close[0]}？）" if close and close[0] != word else ""
