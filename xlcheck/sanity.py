"""Rule-set sanity beyond typos, for ``xlcheck plugins --check`` and the clean-load fixture only (it
needs a solver, so a plain check never imports it).

Each ``xl_compare`` binding is a linear constraint on the report's numbers; counts and amounts are
at least 0 (D1), 本年增/减 may be negative. For every rule an overlay or an extending set adds, a small
linear program (HiGHS) asks, per table format, whether together with the rules below it:

- no report at all can satisfy them (the rules contradict each other);
- they force a value that neither forces alone (two equalities that hold together only when a cell
  is 0, a ``<=`` and a ``>=`` that pin a field);
- the rule is implied by the rules below — whenever it fails one of them fails too, so it can never
  fire alone and only repeats what another finding already says.

Each warning names the rules below that are involved: the smallest set found by dropping rules one
at a time while the conclusion still holds. Rules with a ``when`` condition are left out of the base
(they hold only for some reports).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .rules import EffectiveRule, Overlay, Rule, RuleSet, describe, resolve
from .validation import WARNING, Problem, custom_constraints
from .values import show

if TYPE_CHECKING:
    from .layout import Layout
    from .plugins import Registry

_EPS = 1e-7


@dataclass(frozen=True)
class _Row:
    """``sum(coefficient * value) op constant``."""

    terms: tuple[tuple[str, float], ...]
    op: str
    constant: float


def sanity_problems(registry: Registry) -> list[Problem]:
    """A warning for every added rule that contradicts, pins values with, or follows from the rules
    below it; nothing when the solver is not installed."""
    try:
        import highspy  # noqa: F401
    except ImportError:
        return []
    layers: list[tuple[RuleSet | Overlay, list[EffectiveRule]]] = []
    for ruleset in registry.rulesets.values():
        if ruleset.extends is not None and ruleset.rules:
            layers.append((ruleset, registry.effective(ruleset.extends)[0]))
    for overlay in registry.overlays:
        if overlay.rules and overlay.target in registry.rulesets:
            others = [o for o in registry.overlays if o is not overlay]
            layers.append((overlay, resolve(overlay.target, registry.rulesets, others)[0]))
    out: list[Problem] = []
    for layer, below in layers:
        for rule in layer.rules:
            if not rule.enabled:
                continue
            messages: dict[str, list[str]] = {}
            # the layer's other rules count as below: two rules of one plugin can clash as well
            siblings = [EffectiveRule(r, layer.plugin, layer.name if isinstance(layer, RuleSet) else layer.plugin)
                        for r in layer.rules if r is not rule and r.enabled]
            for layout in registry.layouts:
                message = (_judge(rule, [*below, *siblings], layout, registry.rulesets)
                           if rule.applies_to(layout.format) else None)
                if message:
                    messages.setdefault(message, []).append(layout.format)
            for message, formats in messages.items():
                where = f"（{'、'.join(formats)} 版）" if len(formats) < len(registry.layouts) else ""
                out.append(Problem(layer.plugin, describe(layer, rule.id), where + message, WARNING))
    return out


def _judge(rule: Rule, below: Sequence[EffectiveRule], layout: Layout, sets: Container[str]) -> str | None:
    rows = _rows(rule.schema, layout)
    if not rows:
        return None
    lp = _LP(layout)
    base = {e.rule.id: _rows(e.rule.schema, layout) for e in below
            if e.rule.applies_to(layout.format) and not _conditional(e.rule.schema)}
    # a rule no report can satisfy has its own warning, and would make everything follow from it
    base = {k: v for k, v in base.items() if v and lp.feasible(v)}
    origin = {e.rule.id: e.added_by for e in below}
    if not lp.feasible([row for v in base.values() for row in v]):
        # other plugins' overlays contradict each other (each has its warning): judge against the sets
        base = {k: v for k, v in base.items() if origin[k] in sets}

    def named(ids: list[str]) -> str:
        return "、".join(f"{i}（{origin[i]}）" for i in ids)

    def rows_of(ids: Sequence[str]) -> list[_Row]:
        return [row for i in ids for row in base[i]]

    if not lp.feasible(rows_of(list(base))):
        return None  # the rules below contradict each other: their own plugin's warning
    if not lp.feasible(rows):
        return ("各数不小于 0 时，没有任何报告能满足这条规则：它对每一份报告都会报错 "
                "(no report with numbers >= 0 can satisfy it)")
    if not lp.feasible([*rows_of(list(base)), *rows]):
        ids = _minimal(list(base), lambda ids: not lp.feasible([*rows_of(ids), *rows]))
        return (f"与 {named(ids)} 矛盾：各数不小于 0 时，没有任何报告能同时满足它们 "
                f"(contradicts the rules below)")

    def implied(ids: Sequence[str]) -> bool:
        return all(lp.implies(rows_of(ids), row) for row in rows)

    if implied(list(base)):
        ids = _minimal(list(base), implied)
        return (f"可由 {named(ids)} 推出（各数不小于 0 时）：它不成立时这些规则也不成立，所以它永远不会单独报错 "
                f"(implied by the rules below: it never fires alone)")
    everything = rows_of(list(base))
    mine = {k for row in rows for k, _ in row.terms}
    near = [row for row in everything if any(k in mine for k, _ in row.terms)]
    variables = list(dict.fromkeys([*(k for row in rows for k, _ in row.terms),
                                    *(k for row in near for k, _ in row.terms)]))
    pinned = [v for v in variables if lp.forced([*everything, *rows], v) and not lp.forced(everything, v)
              and not lp.forced(rows, v)]
    if pinned:
        ids = _minimal(list(base), lambda ids: lp.forced([*rows_of(ids), *rows], pinned[0]))
        shown = "、".join(_label(layout, v) for v in pinned[:3]) + (f" 等 {len(pinned)} 项" if len(pinned) > 3 else "")
        value = lp.value([*everything, *rows], pinned[0])
        return (f"与 {named(ids)} 一起，使 {shown} 在任何报告中都只能为 {_number(value)}，多半是规则写错了 "
                f"(together with the rules below it pins values)")
    for row in rows:
        if row.op == "==":
            continue
        reverse = _Row(row.terms, ">=" if row.op == "<=" else "<=", row.constant)
        if lp.implies(everything, reverse):
            ids = _minimal(list(base), functools.partial(_implies_with, lp, rows_of, reverse))
            if ids:
                return (f"与 {named(ids)} 一起，使“{_side(layout, row, 1.0)}”只能等于“{_side(layout, row, -1.0)}”："
                        f"{'≤' if row.op == '<=' else '≥'} 与另一方向的规则合起来就是相等 "
                        f"(together with the rules below it forces an equality)")
    return None


def _side(layout: Layout, row: _Row, sign: float) -> str:
    parts = [_label(layout, k) for k, c in row.terms if c * sign > 0]
    return " + ".join(parts) or _number(row.constant)


def _implies_with(lp: _LP, rows_of: Callable[[Sequence[str]], list[_Row]], row: _Row, ids: Sequence[str]) -> bool:
    return lp.implies(rows_of(ids), row)


def _minimal(ids: list[str], holds: Callable[[list[str]], bool]) -> list[str]:
    """A smallest-by-deletion subset of ``ids`` for which ``holds`` is still true."""
    keep = list(ids)
    for candidate in ids:
        trial = [k for k in keep if k != candidate]
        if holds(trial):
            keep = trial
    return keep


def _conditional(schema: Mapping[str, Any]) -> bool:
    return any(isinstance(c, Mapping) and c.get("when") for _, c in custom_constraints(schema))


def _rows(schema: Mapping[str, Any], layout: Layout) -> list[_Row]:
    """The linear constraints of a schema's ``xl_compare`` bindings on ``layout``'s fields, keys the
    layout lacks left out as the rule leaves them out."""
    out = []
    for name, constraint in custom_constraints(schema):
        if name != "xl_compare" or not isinstance(constraint, Mapping):
            continue
        right = constraint.get("right")
        constant = float(right) if isinstance(right, (int, float)) else 0.0
        right_keys = right if isinstance(right, list) else []
        each = constraint.get("each") or {}
        names = list(each)
        for combo in itertools.product(*(each[n] for n in names)):
            binding = dict(zip(names, combo, strict=True))
            left = _terms(constraint.get("left") or [], binding, layout, 1.0)
            other = _terms(right_keys, binding, layout, -1.0)
            if not left or (isinstance(right, list) and not other):
                continue
            terms: dict[str, float] = {}
            for key, coefficient in (*left, *other):
                terms[key] = terms.get(key, 0.0) + coefficient
            out.append(_Row(tuple(terms.items()), constraint.get("op", "=="), constant))
    return out


def _terms(keys: Sequence[str], binding: Mapping[str, Any], layout: Layout, sign: float
           ) -> list[tuple[str, float]]:
    out = []
    for template in keys:
        key = template.format(**binding)
        negative = key.startswith("-")
        key = key.removeprefix("-")
        if key.removeprefix("previous.") in layout.fields:
            out.append((key, -sign if negative else sign))
    return out


def _label(layout: Layout, key: str) -> str:
    plain = key.removeprefix("previous.")
    return ("上年" if plain != key else "") + layout.fields[plain].label


def _number(value: float) -> str:
    return show(value)


class _LP:
    """Linear programs over one layout's fields: counts and amounts ≥ 0, signed values free."""

    def __init__(self, layout: Layout):
        self.layout = layout

    def _solve(self, rows: Sequence[_Row], objective: Mapping[str, float] | None, maximize: bool
               ) -> tuple[str, float]:
        import highspy
        import numpy as np

        h = highspy._Highs()  # type: ignore[attr-defined]  # the base class: the same solver without the banner on stdout
        h.setOptionValue("output_flag", False)
        inf = highspy.kHighsInf
        keys = list(dict.fromkeys([*(k for row in rows for k, _ in row.terms), *(objective or {})]))
        index = {k: i for i, k in enumerate(keys)}
        kinds = [self.layout.fields[k.removeprefix("previous.")].kind for k in keys]
        h.addVars(len(keys), np.array([-inf if kind == "signed" else 0.0 for kind in kinds]),
                  np.full(len(keys), inf))
        for row in rows:
            lower = row.constant if row.op in ("==", ">=") else -inf
            upper = row.constant if row.op in ("==", "<=") else inf
            h.addRow(lower, upper, len(row.terms), np.array([index[k] for k, _ in row.terms], dtype=np.int32),
                     np.array([c for _, c in row.terms]))
        if objective:
            h.changeColsCost(len(objective), np.array([index[k] for k in objective], dtype=np.int32),
                             np.array(list(objective.values())))
            h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return "optimal", float(h.getInfo().objective_function_value)
        if status == highspy.HighsModelStatus.kInfeasible:
            return "infeasible", math.nan
        if status == highspy.HighsModelStatus.kUnbounded:
            return "unbounded", math.inf if maximize else -math.inf
        if objective and self.feasible(rows):  # unbounded-or-infeasible: feasible means unbounded
            return "unbounded", math.inf if maximize else -math.inf
        return "infeasible", math.nan

    def feasible(self, rows: Sequence[_Row]) -> bool:
        return self._solve(rows, None, True)[0] != "infeasible"

    def _extreme(self, rows: Sequence[_Row], objective: Mapping[str, float], maximize: bool) -> float:
        status, value = self._solve(rows, objective, maximize)
        return value if status != "infeasible" else math.nan

    def implies(self, rows: Sequence[_Row], row: _Row) -> bool:
        expression = dict(row.terms)
        if row.op in ("<=", "==") and not self._extreme(rows, expression, True) <= row.constant + _EPS:
            return False
        return not (row.op in (">=", "==") and not self._extreme(rows, expression, False) >= row.constant - _EPS)

    def forced(self, rows: Sequence[_Row], key: str) -> bool:
        top, bottom = self._extreme(rows, {key: 1.0}, True), self._extreme(rows, {key: 1.0}, False)
        return math.isfinite(top) and math.isfinite(bottom) and top - bottom <= _EPS

    def value(self, rows: Sequence[_Row], key: str) -> float:
        return self._extreme(rows, {key: 1.0}, True)
