"""Running the cross-year rules: a checked report against last year's report of the same unit.

Cross-year rules are ordinary rules of a rule set whose schema reads the document's ``previous``
field (last year's values, labels, file name) or ``pairing`` field (how the pairing went); see
``Rule.cross_year``. They run here, on the values a check kept (``Report.values``), after the report
has been paired, so a batch pairs and compares in the parent without opening a workbook again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from .cells import parse_cell
from .document import field_info
from .findings import Finding, Report, split_cell_ref
from .plugins import Registry, default_registry
from .rules import CompiledRule, RuleContext, run_rule
from .yearvalues import YearValues


def previous_document(previous: YearValues, registry: Registry) -> dict[str, Any]:
    """Last year's report as the ``previous`` field of this year's document."""
    layout = _layout(registry, previous.format)
    return {
        "path": previous.path,
        "name": os.path.basename(previous.path),
        "meta": {"format": previous.format, "year": previous.year},
        "values": previous.cells(),
        "labels": _field_info(layout)[0] if layout is not None else {},
    }


def compare_with(report: Report, previous: YearValues | Report | None, *, registry: Registry | None = None,
                 rules: str = "national", pairing: Mapping[str, Sequence[str]] | None = None) -> None:
    """Run ``rules``' cross-year rules on ``report`` (checked with its values kept) against last
    year's report ``previous``, adding their findings and setting ``report.previous``; ``pairing``
    holds messages for the ``xl_pairing`` rules (``missing``, ``duplicate``)."""
    registry = registry or default_registry()
    this = report.values
    if this is None or report.error is not None:
        return
    notes: dict[str, list[str]] = {k: list(v) for k, v in (pairing or {}).items()}
    if isinstance(previous, Report):
        if previous.values is None:
            why = previous.error or "找不到报表"
            notes.setdefault("missing", []).append(
                f"上年报告“{os.path.basename(previous.path)}”无法读取，未做跨年度比对：{why}")
            previous = None
        else:
            previous = previous.values
    layout = _layout(registry, this.format)
    if layout is None:
        return
    labels, kinds = _field_info(layout)
    document: dict[str, Any] = {
        "meta": {"layout": layout, "format": this.format, "year": this.year, "level": this.level, "cells": ()},
        "values": this.cells(),
        "cover": {},
        "ctx": RuleContext(labels=labels, kinds=kinds, layouts=tuple(registry.layouts), field_names={},
                           field_refs={}),
    }
    if previous is not None:
        document["previous"] = previous_document(previous, registry)
        report.previous = previous.path
    if notes:
        document["pairing"] = notes
    for compiled in _cross_year(registry.compiled(rules)):
        if compiled.rule.applies_to(this.format) and _may_apply(compiled.rule.schema, document):
            report.findings.extend(sorted(run_rule(compiled, document), key=_place))


#: the cross-year rules of a compiled rule set (the registry keeps its list for the process)
_CROSS_YEAR: dict[int, tuple[list[CompiledRule], list[CompiledRule]]] = {}


def _cross_year(compiled: list[CompiledRule]) -> list[CompiledRule]:
    hit = _CROSS_YEAR.get(id(compiled))
    if hit is None or hit[0] is not compiled:  # the list is kept, so its id cannot be reused
        hit = _CROSS_YEAR[id(compiled)] = (compiled, [c for c in compiled if c.rule.cross_year])
    return hit[1]


def _may_apply(schema: Mapping[str, Any], document: Mapping[str, Any]) -> bool:
    """Whether Cerberus could report anything: a rule whose fields are all absent (no last year's
    report, nothing to say about pairing) finds nothing unless it requires one of them."""
    return any(key in document or (isinstance(rules, Mapping) and rules.get("required"))
               for key, rules in schema.items())


#: labels and kinds of each layout's fields, made once per process: a batch compares every report
#: (layouts hash by identity and never change)
_FIELD_INFO: dict[Any, tuple[dict[str, str], dict[str, str]]] = {}


def _field_info(layout: Any) -> tuple[dict[str, str], dict[str, str]]:
    info = _FIELD_INFO.get(layout)
    if info is None:
        info = _FIELD_INFO[layout] = field_info(layout)
    return info


def _place(finding: Finding) -> tuple[str, int, int]:
    """Cerberus sorts a rule's errors by message; people read them in the order of the cells."""
    if not finding.cells:
        return ("", 0, 0)
    sheet, cell = split_cell_ref(finding.cells[0])
    return (sheet, *(parse_cell(cell) or (0, 0)))


def _layout(registry: Registry, fmt: str) -> Any:
    return next((x for x in registry.layouts if x.format == fmt), None)
