"""The field reference (``xlcheck fields``): every key a rule may read, with its label in the
report's words, its kind and, for a cover field, the plugin that declares it."""

from __future__ import annotations

from dataclasses import dataclass

from .check import CORE_COVER_FIELDS
from .plugins import Registry

#: what each kind of value may hold, as D1 checks it
KINDS = {"count": "不小于 0 的整数", "signed": "整数，可为负", "amount": "不小于 0，可有小数", "text": "文字"}


@dataclass(frozen=True)
class FieldEntry:
    key: str
    label: str
    #: count, signed, amount (table values) or text (cover fields)
    kind: str
    formats: tuple[str, ...]
    #: for a cover field, the plugins and sets that declare it, and what the core reads it for
    source: str = ""


def field_reference(registry: Registry, fmt: str | None = None, rules: str | None = None) -> list[FieldEntry]:
    """The value fields of the layouts (of ``fmt`` only, when given), then the cover fields: those of
    rule set ``rules`` when given, else those every set and overlay declares."""
    layouts = [x for x in registry.layouts if fmt is None or x.format == fmt]
    merged: dict[tuple[str, str, str], list[str]] = {}
    for layout in layouts:
        for key, fld in layout.fields.items():
            merged.setdefault((key, fld.label, fld.kind), []).append(layout.format)
    # table by table, each in the order of its first format (2019 rows first where they differ)
    order = sorted(merged, key=lambda k: k[0].split(".")[0])
    out = [FieldEntry(key, label, kind, tuple(merged[key, label, kind])) for key, label, kind in order]
    all_formats = tuple(x.format for x in layouts)
    declared = _declarations(registry, rules)
    if rules is not None:
        labels = {f.key: f.label for f in registry.effective(rules)[1]}
        declared = {k: (labels[k], where) for k, (_, where) in declared.items() if k in labels}
    for key, (label, where) in declared.items():
        source = "、".join(dict.fromkeys(where))
        if key in CORE_COVER_FIELDS:
            source += f"；{CORE_COVER_FIELDS[key]}"
        out.append(FieldEntry(f"cover.{key}", label, "text", all_formats, source))
    return out


def _declarations(registry: Registry, rules: str | None) -> dict[str, tuple[str, list[str]]]:
    """Cover key -> (label, who declares it) over every set and overlay, or over one set's chain."""
    names: list[str] = list(registry.rulesets)
    if rules is not None:
        registry.effective(rules)  # an unknown set, or one whose plugin was skipped, is a PluginError
        names = []
        current: str | None = rules
        while current is not None and current not in names:
            names.append(current)
            current = registry.rulesets[current].extends
    declared: dict[str, tuple[str, list[str]]] = {}
    for name in names:
        ruleset = registry.rulesets[name]
        layers = [(f"插件 {ruleset.plugin}（规则集 {name}）", ruleset.fields),
                  *((f"插件 {o.plugin}（Overlay → {name}）", o.fields) for o in registry.overlays if o.target == name)]
        for where, fields in layers:
            for f in fields:
                declared.setdefault(f.key, (f.label, []))[1].append(where)
    return declared
