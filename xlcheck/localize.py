"""Error localization: which cells to change so that every failing equality holds (Fellegi–Holt).

One slip in table 三 breaks two to four equalities, and the clerk has to work out the one cell behind
them. As statistics offices do it (R's ``errorlocate``, Statistics Canada's Banff ``errorloc``), the
equalities of the compiled rules — every ``xl_compare`` with ``op "=="``, the national T3-ID, T3-RES,
T3-ROW and T4-SUM as much as a plugin's — become a small integer problem: change the fewest typed
cells so that all of them hold, counts staying whole numbers ≥ 0. Cells with no number of their own
(blank, unreadable text, a formula that cannot be computed) are unknowns the tables may fill in for
free. Equalities that share no cell are separate problems; only those holding a failing equality
are solved.

Only what the tables determine is claimed: the smallest fix is reported when it is the only fix of
its size and fixes every value it changes; otherwise the equally small fixes are listed as
candidates, ordered by the way people slip (two digits swapped, a digit dropped or doubled, a sign),
and none of them is presented as the answer.

Fixes of up to four cells in tables whose every cell holds a number — nearly every slip — are found
by an exhaustive search in plain Python (:func:`_searched_fixes`). The solver (HiGHS through highspy,
with numpy) takes the rest: blank or unreadable cells, larger fixes, values a fix leaves open. It is
imported only then, and this module only when an equality has failed, so a clean check pays nothing
for either.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .findings import FIX_RULE, Finding, Report, Severity, Suggestion
from .rules import CompiledRule, _expanded, equalities, when_holds
from .threads import one_blas_thread
from .values import CellValue, show

one_blas_thread()  # the solver's path loads numpy, and this module comes first on it

#: equally small fixes listed at most; a group with more is reported as "at least" that many
MAX_CANDIDATES = 8
#: unknowns whose value is checked by solving for its bounds, at most (the rest by linear algebra)
MAX_BOUNDED = 24
#: the largest fix the exhaustive search looks for, and the sets of cells it may try on the way,
#: before it leaves the problem to the solver
MAX_SEARCHED, SEARCH_BUDGET = 4, 20000
_TOLERANCE = 1e-6
#: statuses of a cell that has no number of its own: the tables may fill it in
UNKNOWN = frozenset({"blank", "invalid", "formula_uncached"})


class Equation(NamedTuple):
    """One binding of an equality rule: ``sum(coef * cell) == constant``."""

    rule: str
    terms: tuple[tuple[str, float], ...]
    constant: float

    def residual(self, value: Mapping[str, float | None]) -> float | None:
        total = 0.0
        for key, coef in self.terms:
            number = value[key]
            if number is None:
                return None
            total += coef * number
        return total - self.constant


@dataclass
class Problem:
    """The equations of one group of cells connected by shared cells: what the layout and the rule set
    decide, kept from check to check (:func:`_structure`), never a workbook's numbers."""

    equations: list[Equation]
    keys: list[str]
    #: key -> its index in ``keys``
    index: dict[str, int] = field(default_factory=dict)
    #: each equation's terms as (index, coefficient)
    rows: list[list[tuple[int, float]]] = field(default_factory=list)
    #: each key's equations, by index
    rows_of: list[list[int]] = field(default_factory=list)
    #: the kinds of the cells it was last solved with, and from them each cell's integrality and sign
    kinds: tuple[Mapping[str, str], list[bool], list[bool]] | None = None

    def settle(self) -> None:
        """Work out the keys and the indexed form of the equations, once."""
        self.keys = list(dict.fromkeys(k for eq in self.equations for k, _ in eq.terms))
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.rows = [[(self.index[k], c) for k, c in eq.terms] for eq in self.equations]
        self.rows_of = [[] for _ in self.keys]
        for r, row in enumerate(self.rows):
            for i, _ in row:
                self.rows_of[i].append(r)


class Outcome(NamedTuple):
    """What localization found for one group of equations."""

    suggestions: list[Suggestion]
    candidates: list[list[Suggestion]]
    finding: Finding | None


def localize(report: Report, compiled: Sequence[CompiledRule], document: Mapping[str, Any]) -> None:
    """Add suggestions, candidates and one ``FIX`` finding per group of failing equalities to ``report``."""
    values: Mapping[str, CellValue] = document["values"]
    labels: Mapping[str, str] = document["ctx"].labels
    kinds: Mapping[str, str] = document["ctx"].kinds
    layout = document["meta"]["layout"]
    order = {c.rule.id: i for i, c in enumerate(compiled)}
    for problem in _failing(_structure(compiled, document, report.format, values, layout), values):
        outcome = _solve_problem(problem, values, labels, kinds, layout, order)
        report.suggestions.extend(outcome.suggestions)
        report.candidates.extend(outcome.candidates)
        if outcome.finding is not None:
            report.findings.append(outcome.finding)


def _equations(compiled: Sequence[CompiledRule], document: Mapping[str, Any], fmt: str | None,
               values: Mapping[str, CellValue], fields: Mapping[str, Any]) -> list[Equation]:
    out = []
    for item in compiled:
        if item.validator is None or not item.rule.applies_to(fmt):
            continue
        for constraint in equalities(item.rule):
            if not when_holds(constraint, document):
                continue
            constant = float(constraint["right"]) if isinstance(constraint["right"], (int, float)) else 0.0
            numeric = isinstance(constraint["right"], (int, float))
            for left, right in _expanded(item.validator, constraint):
                terms: dict[str, float] = {}
                sides = [0, 0]
                complete = True
                for side, keys, sign in ((0, left, 1.0), (1, right, -1.0)):
                    for key, negative, previous in keys:
                        coef = -sign if negative else sign
                        if previous:  # last year's report is not this one's to change
                            complete = False
                        elif key in values:
                            terms[key] = terms.get(key, 0.0) + coef
                            sides[side] += 1
                        elif key in fields:  # a row of this format the workbook lacks: S2's business
                            complete = False
                # as the rule itself: a side with none of its cells in this format is not compared
                if complete and sides[0] and (sides[1] or numeric):
                    out.append(Equation(item.rule.id, tuple(terms.items()), constant))
    return out


#: _structure's results: what they were worked out from (the compiled rules, kept alive so that
#: their ids stay theirs), and the groups of equations
_STRUCTURES: dict[tuple[Any, ...], tuple[tuple[CompiledRule, ...], list[Problem]]] = {}
_MAX_STRUCTURES = 64


def _structure(compiled: Sequence[CompiledRule], document: Mapping[str, Any], fmt: str | None,
               values: Mapping[str, CellValue], layout: Any) -> list[Problem]:
    """The groups of equations of a check: they depend on the rule set, the layout, which of its cells
    the workbook has and which ``when`` conditions hold, not on the numbers, so reports alike share
    them (working them out was a third of localizing)."""
    when = tuple(when_holds(constraint, document) for item in compiled if item.validator is not None
                 and item.rule.applies_to(fmt) for constraint in equalities(item.rule) if "when" in constraint)
    key = (tuple(map(id, compiled)), fmt, layout, frozenset(values), when)
    hit = _STRUCTURES.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], compiled, strict=True)):
        return hit[1]
    problems = _problems(_equations(compiled, document, fmt, values, layout.fields))
    if len(_STRUCTURES) >= _MAX_STRUCTURES:
        _STRUCTURES.clear()
    _STRUCTURES[key] = (tuple(compiled), problems)
    return problems


def _failing(problems: Sequence[Problem], values: Mapping[str, CellValue]) -> list[Problem]:
    """The groups holding a failing equation, in sheet order."""
    number = {key: cell.number for key, cell in values.items()}
    out = []
    for problem in problems:
        residuals = [eq.residual(number) for eq in problem.equations]
        if any(r is not None and abs(r) > _TOLERANCE for r in residuals):
            out.append(problem)
    return out


def _problems(equations: Sequence[Equation]) -> list[Problem]:
    """Groups of equations sharing cells, in sheet order."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for eq in equations:
        first = find(eq.terms[0][0])
        for key, _ in eq.terms[1:]:
            parent[find(key)] = first
    groups: dict[str, Problem] = {}
    for eq in equations:
        problem = groups.setdefault(find(eq.terms[0][0]), Problem([], []))
        problem.equations.append(eq)
    for problem in groups.values():
        problem.settle()
    return list(groups.values())


# ── solving ──────────────────────────────────────────────────────────────────────────────────────
class _Model(NamedTuple):
    """The mixed-integer model of one problem: a value column per cell, a change flag per typed cell."""

    keys: list[str]
    known: list[int]  # indexes into keys of cells with a typed number
    current: list[float | None]
    integer: list[bool]
    lower: list[float]
    upper: list[float]
    big: float


def _model(problem: Problem, values: Mapping[str, CellValue], kinds: Mapping[str, str]) -> _Model:
    keys = problem.keys
    current: list[float | None] = []
    for key in keys:
        cell = values[key]
        current.append(None if cell.status in UNKNOWN else cell.number)
    scale = sum(abs(v) for v in current if v is not None) + sum(abs(eq.constant) for eq in problem.equations)
    # no value the tables can call for exceeds what they hold; twice that, and room for small tables
    big = 2 * scale + 10
    kept = problem.kinds
    if kept is None or kept[0] is not kinds:  # the layout's kinds, the same object check after check
        kept = problem.kinds = (kinds, [kinds.get(k, "count") in ("count", "signed") for k in keys],
                                [kinds.get(k, "count") == "signed" for k in keys])
    _, integer, signed = kept
    lower = [-big if s else 0.0 for s in signed]
    return _Model(keys, [i for i, v in enumerate(current) if v is not None], current, list(integer), lower,
                  [big] * len(keys), big)


def _highs() -> Any:
    """A silent HiGHS instance. ``highspy.Highs()`` prints a banner on standard output (from C, past
    any Python redirection), which would break ``--format json``; its base class, which highspy
    exports, is the same solver without that."""
    import highspy

    h = highspy._Highs()  # type: ignore[attr-defined]
    h.setOptionValue("output_flag", False)
    return h


class _Solver:
    """One HiGHS model of a problem; rows are added for the cuts that exclude fixes already found."""

    def __init__(self, problem: Problem, model: _Model):
        import highspy
        import numpy as np

        self.np, self.hs, self.model = np, highspy, model
        h = _highs()
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("mip_rel_gap", 0.0)
        n, known = len(model.keys), model.known
        self.n, self.h = n, h
        index = {k: i for i, k in enumerate(model.keys)}
        # columns 0..n-1: the values; n..n+len(known)-1: the change flags
        costs = [0.0] * n + [1.0] * len(known)
        lower = model.lower + [0.0] * len(known)
        upper = model.upper + [1.0] * len(known)
        self._add_cols(costs, lower, upper)
        for eq in problem.equations:
            self._add_row(eq.constant, eq.constant, [(index[k], c) for k, c in eq.terms])
        for flag, i in enumerate(known, n):
            value = model.current[i]
            assert value is not None
            # a typed cell keeps its number unless its flag is set
            self._add_row(-math.inf, value, [(i, 1.0), (flag, -model.big)])
            self._add_row(value, math.inf, [(i, 1.0), (flag, model.big)])
        integral = [i for i in range(n) if model.integer[i]] + list(range(n, n + len(known)))
        h.changeColsIntegrality(len(integral), np.array(integral, dtype=np.int32),
                                np.array([highspy.HighsVarType.kInteger] * len(integral)))

    def _add_cols(self, costs: list[float], lower: list[float], upper: list[float]) -> None:
        np = self.np
        empty = np.array([], dtype=np.int32)
        self.h.addCols(len(costs), np.array(costs), np.array(lower), np.array(upper), 0, empty, empty,
                       np.array([], dtype=np.float64))

    def _add_row(self, low: float, high: float, entries: list[tuple[int, float]]) -> None:
        np = self.np
        inf = self.hs.kHighsInf
        self.h.addRow(max(low, -inf), min(high, inf), len(entries),
                      np.array([i for i, _ in entries], dtype=np.int32), np.array([c for _, c in entries]))

    def solve(self) -> list[float] | None:
        self.h.run()
        if self.h.getModelStatus() != self.hs.HighsModelStatus.kOptimal:
            return None
        return list(self.h.getSolution().col_value)

    def exclude(self, support: Sequence[int]) -> None:
        """No later solution may change all of ``support`` (index into known cells)."""
        self._add_row(-math.inf, len(support) - 1, [(self.n + j, 1.0) for j in support])


class _Fix(NamedTuple):
    """One smallest fix: the typed cells it changes and every value it determines."""

    changed: list[int]
    value: dict[int, float]
    #: cells whose value this fix leaves open
    open: set[int]


def _solve_problem(problem: Problem, values: Mapping[str, CellValue], labels: Mapping[str, str],
                   kinds: Mapping[str, str], layout: Any, order: Mapping[str, int]) -> Outcome:
    model = _model(problem, values, kinds)
    if len(model.known) == len(model.keys):
        small = _searched_fixes(problem, model)
        if small is not None:
            return _outcome(problem, model, small[:MAX_CANDIDATES], len(small) > MAX_CANDIDATES, values, labels,
                            layout, order)
    solver = _Solver(problem, model)
    fixes: list[_Fix] = []
    size: int | None = None
    more = False
    while True:
        solution = solver.solve()
        if solution is None:
            break
        changed = [j for j, i in enumerate(model.known) if solution[len(model.keys) + j] > 0.5]
        if size is not None and len(changed) > size:
            break
        size = len(changed)
        if len(fixes) == MAX_CANDIDATES:
            more = True
            break
        fix = _settle(problem, model, [model.known[j] for j in changed], solution)
        if fix is not None:
            fixes.append(fix)
        if not changed:  # nothing typed needs changing: no other fix can be as small
            break
        solver.exclude(changed)
    return _outcome(problem, model, fixes, more, values, labels, layout, order)


def _searched_fixes(problem: Problem, model: _Model) -> list[_Fix] | None:
    """Every smallest fix of up to :data:`MAX_SEARCHED` cells, by a search over the cells the failing
    equations force; None when there is none that small, when a fix leaves its values open, or when
    the search grows past its budget (the solver takes over then).

    Three slips in three rows and columns are the commonest case past two cells. The solver proves a
    fix unique by a branch-and-bound over every cell's change flag, about half a second for table
    三; this search needs a few hundred small least-squares solves, because a fix of the fewest cells
    can only be built this way: an equation that still fails with none of the chosen cells in it
    must get one of its cells; and once every failing equation has one, a further cell must share an
    equation with a chosen one — a part of a fix sharing no equation with the rest, where every
    equation already held, would be a smaller fix on its own.

    Plain Python, not numpy: a report with a slip or three should not pay for loading numpy.
    """
    rows, rows_of = problem.rows, problem.rows_of
    current = [v or 0.0 for v in model.current]
    residual = [sum(c * current[i] for i, c in row) - eq.constant for row, eq in zip(rows, problem.equations,
                                                                                         strict=True)]
    tolerance = _TOLERANCE * max(1.0, model.big)
    failing = [r for r, value in enumerate(residual) if abs(value) > tolerance]
    tried = 0

    def fix_of(chosen: tuple[int, ...]) -> _Fix | bool | None:
        """The fix changing exactly ``chosen``; None if there is none; False if its values are open."""
        column = {i: n for n, i in enumerate(chosen)}
        system = []
        for r in sorted({r for i in chosen for r in rows_of[i]}):
            line = [0.0] * (len(chosen) + 1)
            for i, c in rows[r]:
                if i in column:
                    line[column[i]] += c
            line[-1] = -residual[r]
            system.append(line)
        moves = _eliminate(system, len(chosen), tolerance)
        if moves is None or isinstance(moves, bool):
            return moves
        return _exact(problem, model, dict(zip(chosen, moves, strict=True)))

    for size in range(1, MAX_SEARCHED + 1):
        found: dict[frozenset[int], _Fix] = {}
        seen: set[frozenset[int]] = set()
        stack: list[tuple[int, ...]] = [()]
        while stack:
            chosen = stack.pop()
            tried += 1
            if tried > SEARCH_BUDGET:
                return None
            taken = set(chosen)
            touched = {r for i in chosen for r in rows_of[i]}
            open_rows = [r for r in failing if r not in touched]
            if open_rows:
                if len(chosen) == size:
                    continue
                branch = [i for i, _ in min((rows[r] for r in open_rows), key=len)]
            elif len(chosen) == size:
                fix = fix_of(chosen)
                if fix is False:
                    return None
                if isinstance(fix, _Fix):
                    found[frozenset(chosen)] = fix
                continue
            else:
                branch = [i for r in touched for i, _ in rows[r] if i not in taken]
            for i in dict.fromkeys(branch):
                key = frozenset((*chosen, i))
                if key not in seen:
                    seen.add(key)
                    stack.append(tuple(sorted(key)))
        if found:
            return [found[key] for key in sorted(found, key=sorted)]
    return None


def _eliminate(system: list[list[float]], unknowns: int, tolerance: float) -> list[float] | bool | None:
    """Solve the augmented rows ``system`` (each ``unknowns`` coefficients, then the right side) by
    Gauss–Jordan elimination: the one solution; None when there is none; False when there are many."""
    pivots: list[tuple[int, int]] = []  # (row, column)
    row = 0
    for col in range(unknowns):
        best = max(range(row, len(system)), key=lambda r: abs(system[r][col]), default=None)
        if best is None or abs(system[best][col]) <= 1e-12:
            continue
        system[row], system[best] = system[best], system[row]
        head = system[row]
        for r in range(len(system)):
            if r != row and system[r][col]:
                factor = system[r][col] / head[col]
                system[r] = [a - factor * b for a, b in zip(system[r], head, strict=True)]
        pivots.append((row, col))
        row += 1
    if any(abs(line[-1]) > tolerance for line in system[row:]):
        return None
    if len(pivots) < unknowns:
        return False
    return [system[r][-1] / system[r][c] for r, c in pivots]


def _exact(problem: Problem, model: _Model, moves: Mapping[int, float]) -> _Fix | None:
    """A fix moving the given cells, if it keeps counts whole and ≥ 0, really moves every one of them
    and makes every equation hold exactly."""
    value = {i: v or 0.0 for i, v in enumerate(model.current)}
    for i, move in moves.items():
        target = value[i] + move
        if model.integer[i]:
            if abs(target - round(target)) > 1e-6:
                return None
            target = float(round(target))
        if target < model.lower[i] - _TOLERANCE or abs(target - value[i]) <= _TOLERANCE:
            return None
        value[i] = target
    for row, eq in zip(problem.rows, problem.equations, strict=True):
        if abs(sum(c * value[i] for i, c in row) - eq.constant) > _TOLERANCE:
            return None
    return _Fix(sorted(moves), value, set())


def _settle(problem: Problem, model: _Model, changed: list[int], solution: list[float]) -> _Fix | None:
    """The values of a fix that changes ``changed``: those the equations pin down, checked exactly."""
    free = set(changed) | {i for i, v in enumerate(model.current) if v is None}
    value: dict[int, float] = {}
    for i in range(len(model.keys)):
        if i in free:
            value[i] = round(solution[i]) if model.integer[i] else solution[i]
        else:
            current = model.current[i]
            assert current is not None
            value[i] = current
    index = {k: i for i, k in enumerate(model.keys)}
    for eq in problem.equations:  # the solver's tolerance must not pass a fix that does not add up
        residual = sum(c * value[index[k]] for k, c in eq.terms) - eq.constant
        if abs(residual) > _TOLERANCE * max(1.0, model.big):
            return None
    return _Fix(changed, value, _undetermined(problem, model, sorted(free), value))


def _undetermined(problem: Problem, model: _Model, free: list[int], value: Mapping[int, float]) -> set[int]:
    """The free cells whose value the equations (with every other cell as it is) leave open."""
    if not free:
        return set()
    import numpy as np

    index = {k: i for i, k in enumerate(model.keys)}
    column = {i: n for n, i in enumerate(free)}
    rows = [eq for eq in problem.equations if any(index[k] in column for k, _ in eq.terms)]
    matrix = np.zeros((max(len(rows), 1), len(free)))
    for r, eq in enumerate(rows):
        for k, c in eq.terms:
            if index[k] in column:
                matrix[r, column[index[k]]] += c
    # a direction in which the free cells can move without breaking an equation
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > 1e-9 * max(1.0, float(singular.max(initial=0.0)))).sum())
    null = vt[rank:]
    loose = [free[n] for n in range(len(free)) if null.size and np.abs(null[:, n]).max() > 1e-9]
    if not loose:
        return set()
    # bounds (counts ≥ 0) may still pin a cell that linear algebra leaves loose: ask the solver
    if len(loose) > MAX_BOUNDED:
        return set(loose)
    return {i for i in loose if not _pinned(problem, model, free, value, i)}


def _pinned(problem: Problem, model: _Model, free: list[int], value: Mapping[int, float], target: int) -> bool:
    """Whether the smallest and largest value of ``target`` over all solutions with only ``free``
    changing are the same."""
    import highspy
    import numpy as np

    index = {k: i for i, k in enumerate(model.keys)}
    column = {i: n for n, i in enumerate(free)}
    found = []
    for sense in (1.0, -1.0):
        h = _highs()
        costs = np.array([sense if i == target else 0.0 for i in free])
        empty = np.array([], dtype=np.int32)
        h.addCols(len(free), costs, np.array([model.lower[i] for i in free]),
                  np.array([model.upper[i] for i in free]), 0, empty, empty, np.array([], dtype=np.float64))
        for eq in problem.equations:
            fixed = sum(c * value[index[k]] for k, c in eq.terms if index[k] not in column)
            entries = [(column[index[k]], c) for k, c in eq.terms if index[k] in column]
            if entries:
                rhs = eq.constant - fixed
                h.addRow(rhs, rhs, len(entries), np.array([e for e, _ in entries], dtype=np.int32),
                         np.array([c for _, c in entries]))
        integral = [n for n, i in enumerate(free) if model.integer[i]]
        if integral:
            h.changeColsIntegrality(len(integral), np.array(integral, dtype=np.int32),
                                    np.array([highspy.HighsVarType.kInteger] * len(integral)))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
        found.append(h.getSolution().col_value[column[target]])
    return bool(abs(found[0] - found[1]) <= _TOLERANCE)


# ── what the clerk reads ─────────────────────────────────────────────────────────────────────────
def _outcome(problem: Problem, model: _Model, fixes: list[_Fix], more: bool, values: Mapping[str, CellValue],
             labels: Mapping[str, str], layout: Any, order: Mapping[str, int]) -> Outcome:
    number = {key: cell.number for key, cell in values.items()}
    failing = [eq for eq in problem.equations if (r := eq.residual(number)) is not None and abs(r) > _TOLERANCE]
    failing_rules = sorted({eq.rule for eq in failing}, key=lambda r: order.get(r, len(order)))

    def rules_of(key: str) -> tuple[str, ...]:
        mine = {eq.rule for eq in failing if any(k == key for k, _ in eq.terms)}
        return tuple(r for r in failing_rules if r in mine)

    def suggestions(fix: _Fix) -> list[Suggestion] | None:
        if any(i in fix.open for i in fix.changed):
            return None  # the tables do not say what the changed cell should hold
        out = []
        for i, key in enumerate(model.keys):
            if i in fix.open:
                continue
            cell = values[key]
            unknown = model.current[i] is None
            # an unknown cell is part of the fix when the rules read it otherwise (a blank as 0)
            if i in fix.changed or (unknown and (cell.number is None or fix.value[i] != cell.number)):
                out.append(Suggestion(cell.ref, None if unknown else cell.number, float(fix.value[i]),
                                      rules_of(key)))
        return _in_sheet_order(out, values)

    listed = [(fix, s) for fix in fixes if (s := suggestions(fix)) is not None]
    if len(fixes) == 1 and len(listed) == 1 and not more:
        fix, found = listed[0]
        if not found:
            return Outcome([], [], None)
        return Outcome(found, [], Finding(FIX_RULE, Severity.INFO, _unique_message(found, fix, values, labels,
                                                                                   failing_rules),
                                          tuple(s.cell for s in found)))
    if len(listed) < 2:
        return Outcome([], [], None)
    listed.sort(key=lambda item: -_slip_score(item[1]))
    candidates = [s for _, s in listed]
    cells = tuple(dict.fromkeys(s.cell for fix in candidates for s in fix))
    message = _ambiguous_message(candidates, len(fixes[0].changed), more, problem, values, labels, layout)
    return Outcome([], candidates, Finding(FIX_RULE, Severity.INFO, message, cells))


def _in_sheet_order(items: list[Suggestion], values: Mapping[str, CellValue]) -> list[Suggestion]:
    from .cells import parse_cell
    from .findings import split_cell_ref

    def position(s: Suggestion) -> tuple[str, int, int]:
        sheet, cell = split_cell_ref(s.cell)
        row, col = parse_cell(cell) or (0, 0)
        return sheet, row, col

    return sorted(items, key=position)


_NUMERALS = "零一两三四五六七八九十"


def _count(n: int) -> str:
    return _NUMERALS[n] if 0 <= n <= 10 else str(n)


def _by_ref(values: Mapping[str, CellValue]) -> dict[str, CellValue]:
    return {cell.ref: cell for cell in values.values()}


def _was(cell: CellValue) -> str:
    """How a message says what the cell holds now, as typed."""
    if cell.status == "blank":
        return "未填写"
    if cell.status == "formula_uncached":
        return f"是无法计算的公式“{cell.formula}”"
    return f"填的是 {cell.shown}" if cell.number is not None else f"填的是“{cell.raw}”"


def _change(s: Suggestion, by_ref: Mapping[str, CellValue], labels: Mapping[str, str]) -> str:
    cell = by_ref[s.cell]
    return f"{s.cell} {labels.get(cell.key, cell.key)}{_was(cell)}，应为 {show(s.suggested)}"


def _unique_message(found: list[Suggestion], fix: _Fix, values: Mapping[str, CellValue],
                    labels: Mapping[str, str], failing_rules: list[str]) -> str:
    by_ref = _by_ref(values)
    changes = "；".join(_change(s, by_ref, labels) for s in found)
    these = "这一格" if len(found) == 1 else f"这{_count(len(found))}格"
    holds = "都成立" if len(failing_rules) > 1 else "成立"
    head = "最可能填错：" if fix.changed else "表格可以算出："
    return f"{head}{changes}；改{these}后 {'、'.join(failing_rules)} {holds}"


def _where(problem: Problem, layout: Any) -> str:
    fields = [layout.fields[k] for k in problem.keys if k in layout.fields]
    if not fields:
        return "表格"
    tables = {f.table.number for f in fields}
    name = f"表{next(iter(tables))}" if len(tables) == 1 else "表格"
    groups = {(f.column.supergroup, f.column.group) for f in fields}
    if len(tables) == 1 and len(groups) == 1 and next(iter(groups))[1]:
        supergroup, group = next(iter(groups))
        name += f" {supergroup + '·' if supergroup else ''}{group}"
    if len(problem.keys) <= 10:
        name += f" 的{_count(len(problem.keys))}格"
    return name


def _ambiguous_message(candidates: list[list[Suggestion]], size: int, more: bool, problem: Problem,
                       values: Mapping[str, CellValue], labels: Mapping[str, str], layout: Any) -> str:
    by_ref = _by_ref(values)
    which = "哪一格" if size == 1 else "哪几格"
    options = "；或 ".join("、".join(_change(s, by_ref, labels) for s in fix) for fix in candidates)
    ways = f"至少有 {len(candidates)} 种" if more else f"有 {len(candidates)} 种"
    message = (f"{_where(problem, layout)}中有{_count(size)}格填错，"
               f"无法确定是{which}（{ways}同样小的改法）：可能是 {options}")
    hints = [s for s in candidates[0] if s.current is not None and _slip(s.current, s.suggested)]
    if hints and _slip_score(candidates[0]) > _slip_score(candidates[1]):
        s = hints[0]
        message += (f"。其中 {s.cell} 的 {show(s.current or 0)} 与 {show(s.suggested)} "
                    f"像是{_slip(s.current or 0, s.suggested)}，可先核对这一格；请以原始台账为准")
    else:
        message += "；请以原始台账为准"
    return message


# ── how people slip ──────────────────────────────────────────────────────────────────────────────
def _slip(typed: float, meant: float) -> str:
    """The slip that turns ``meant`` into ``typed``, in words; "" when none of the known ones does."""
    if not (float(typed).is_integer() and float(meant).is_integer()) or typed == meant:
        return ""
    if typed == -meant:
        return "正负号填反"
    a, b = str(abs(int(typed))), str(abs(int(meant)))
    if (typed < 0) != (meant < 0):
        return ""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return "两位数字颠倒"
        return ""
    if len(a) + 1 == len(b) and any(b[:i] + b[i + 1:] == a for i in range(len(b))):
        return "漏了一位数字"
    if len(a) == len(b) + 1 and any(b[:i] + b[i] + b[i:] == a for i in range(len(b))):
        return "多打了一位重复的数字"
    return ""


def _slip_score(fix: Sequence[Suggestion]) -> int:
    return sum(1 for s in fix if s.current is not None and _slip(s.current, s.suggested))
