"""Formulas saved without their results, found and computed without ``eval``.

Excel, WPS and LibreOffice save every formula's last result beside it, and calamine returns that
result. Files written by scripts (openpyxl, many reporting systems) save the formula alone; calamine
then returns an empty string, which would read as a blank cell. The reader calls
:func:`fill_uncached` only for worksheet parts that hold a formula at all: it finds the formula cells
with no saved result, puts a :class:`~xlcheck.reader.Formula` in the grid there and computes what it
can: numbers, cell references and ranges (also on other sheets), ``+ - * / ^ %``, parentheses and
``SUM``, ``MIN``, ``MAX``, ``AVERAGE``, ``ABS``, ``ROUND``, ``INT``, which is what report workbooks
use. Anything else is left uncomputed with the reason, and the value rules report the cell.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .cells import column_index, column_letter
from .prescan import Uncached
from .reader import MAX_COLS, MAX_ROWS, Formula, Sheet, Workbook

__all__ = ["FormulaError", "evaluate", "fill_uncached", "shift"]

_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
#: Excel refuses a formula longer than this; nothing longer is tokenized.
MAX_FORMULA = 8192
#: Cells a workbook's formulas may visit in all (ranges summed, dependencies looked up): the read
#: bounds allow 2000 × 60 cells a sheet, and a formula per cell summing the whole sheet would be
#: quadratic. Beyond it the remaining formulas are left uncomputed, with the reason.
MAX_WORK = 2_000_000


class FormulaError(Exception):
    """A formula xlcheck cannot compute; the message says why, in Chinese."""


# ------------------------------------------------------------------------------------------------
# Placing formulas without results


def fill_uncached(workbook: Workbook, formulas: dict[str, list[Uncached]]) -> None:
    """Put a computed :class:`Formula` in ``workbook``'s grid for every formula saved without a result
    (``formulas``: what :mod:`xlcheck.prescan` found, by sheet name)."""
    sheets = {s.name: s for s in workbook.sheets}
    placed: list[tuple[Sheet, int, int]] = []
    for name, cells in formulas.items():
        sheet = sheets.get(name)
        if sheet is None:
            continue
        for row, col, text, down, right in cells:
            if row < MAX_ROWS and col < MAX_COLS:
                if down or right:
                    text = "=" + shift(text[1:], down, right)
                _put(sheet, row, col, Formula(text))
                placed.append((sheet, row, col))
    evaluator = _Evaluator(workbook)
    for sheet, row, col in placed:
        cell = sheet.rows[row][col]
        assert isinstance(cell, Formula)
        result = evaluator.cell(sheet, row, col)
        if isinstance(result, str):
            sheet.rows[row][col] = Formula(cell.text, None, result)
        else:
            sheet.rows[row][col] = Formula(cell.text, result)


def _put(sheet: Sheet, row: int, col: int, value: object) -> None:
    while len(sheet.rows) <= row:
        sheet.rows.append([])
    cells = sheet.rows[row]
    if len(cells) <= col:
        cells.extend([""] * (col + 1 - len(cells)))
    cells[col] = value


_SHIFT = re.compile(r"(\"(?:[^\"]|\"\")*\")|((?:'(?:[^']|'')+'|[^\W\d][\w.]*)!)?(\$?)([A-Z]{1,3})(\$?)(\d+)(?![\w(])")


def shift(formula: str, rows: int, cols: int) -> str:
    """A shared formula as it reads ``rows`` below and ``cols`` right of its master cell."""

    def move(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1)
        sheet, col_abs, letters, row_abs, number = match.group(2, 3, 4, 5, 6)
        col = column_index(letters) + (0 if col_abs else cols)
        row = int(number) + (0 if row_abs else rows)
        return f"{sheet or ''}{col_abs}{_letters(col)}{row_abs}{row}"

    return _SHIFT.sub(move, formula)


def _letters(col: int) -> str:
    return column_letter(max(col, 0))




# ------------------------------------------------------------------------------------------------
# Computing: openpyxl's tokenizer, a shunting-yard pass to postfix, and a stack machine. Nothing
# recurses, so a formula nested a thousand deep or a chain of two thousand cells is computed (or
# refused with a reason) like any other.


@dataclass(frozen=True)
class _Range:
    sheet: Sheet
    r1: int
    c1: int
    r2: int
    c2: int


Value = float | _Range
Key = tuple[int, int, int]  # (id(sheet), row, col)

# postfix instructions: ("num", float) ("ref", _Range) ("neg",) ("pct",) ("op", "+") ("call", NAME, argc)
_Step = tuple[Any, ...]

_BINARY = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 3}
_PREFIX = 4  # negation binds tighter than every infix operator, as in Excel (-2^2 is 4)
_OPEN = "("


def _number(value: object, where: str) -> float:
    """A cell's value where arithmetic needs a number (Excel's coercion: blank is 0, "5" is 5)."""
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise FormulaError(f"引用的 {where} 不是数字：“{value}”") from None
    raise FormulaError(f"引用的 {where} 不是数字")


def _where(sheet: Sheet, row: int, col: int) -> str:
    return f"{sheet.name}!{_letters(col)}{row + 1}"


class _Evaluator:
    """Computes formula cells of one workbook, each once, dependencies first, without recursion."""

    def __init__(self, workbook: Workbook):
        self.sheets = {s.name.casefold(): s for s in workbook.sheets}
        #: a computed cell's number, or the reason it could not be computed
        self.results: dict[Key, float | str] = {}
        self.work = 0

    # -- the dependency walk

    def cell(self, sheet: Sheet, row: int, col: int) -> float | str:
        """The number a formula cell gives, or the reason (Chinese) it cannot be computed."""
        self._resolve([(sheet, row, col)])
        return self.results[(id(sheet), row, col)]

    def _resolve(self, wanted: list[tuple[Sheet, int, int]]) -> None:
        """Compute every formula cell in ``wanted`` and what they depend on, depth first."""
        stack = list(reversed(wanted))
        visiting: dict[Key, list[_Step]] = {}
        while stack:
            sheet, row, col = stack[-1]
            key = (id(sheet), row, col)
            if key in self.results:
                stack.pop()
                continue
            value = sheet.value(row, col)
            if not isinstance(value, Formula) or value.value is not None:
                stack.pop()
                continue
            program = visiting.get(key)
            if program is None:  # first visit: compile, then queue what it needs
                try:
                    if value.reason:
                        raise FormulaError(value.reason)
                    program = self.compile(value.text, sheet)
                    needed = [dep for dep in self.dependencies(program) if (id(dep[0]), dep[1], dep[2])
                              not in self.results]
                    if any((id(s), r, c) in visiting for s, r, c in needed):
                        raise FormulaError("公式循环引用")
                except FormulaError as exc:
                    self.results[key] = str(exc)
                    stack.pop()
                    continue
                visiting[key] = program
                if needed:
                    stack.extend(needed)
                    continue
            # every dependency is computed (or failed): run it
            stack.pop()
            del visiting[key]
            try:
                self.results[key] = self.run(program)
            except FormulaError as exc:
                self.results[key] = str(exc)
            except (ArithmeticError, ValueError) as exc:  # =ROUND(1,400), =INT(1E999): too large
                self.results[key] = f"结果超出可计算的范围（{type(exc).__name__}）"

    def dependencies(self, program: list[_Step]) -> list[tuple[Sheet, int, int]]:
        """The formula cells saved without a result inside the program's references."""
        out = []
        for step in program:
            if step[0] != "ref":
                continue
            area: _Range = step[1]
            rows = area.sheet.rows
            for row in range(area.r1, min(area.r2 + 1, len(rows))):
                cells = rows[row]
                last = min(area.c2 + 1, len(cells))
                self._spend(max(0, last - area.c1))
                for col in range(area.c1, last):
                    value = cells[col]
                    if isinstance(value, Formula) and value.value is None:
                        out.append((area.sheet, row, col))
        return out

    def _spend(self, cells: int) -> None:
        self.work += cells
        if self.work > MAX_WORK:
            raise FormulaError(f"工作簿的公式引用的单元格太多（超过 {MAX_WORK} 个），其余公式未计算")

    # -- one formula

    def compile(self, formula: str, sheet: Sheet) -> list[_Step]:
        """``formula`` in postfix order; raise FormulaError for anything xlcheck does not compute."""
        if len(formula) > MAX_FORMULA:
            raise FormulaError(f"公式长达 {len(formula)} 个字符，超过 Excel 的上限 {MAX_FORMULA}")
        from openpyxl.formula.tokenizer import Tokenizer, TokenizerError

        text = formula if formula.startswith("=") else "=" + formula
        try:
            tokens = [t for t in Tokenizer(text).items if t.type != "WHITE-SPACE"]
        except (TokenizerError, ValueError, IndexError) as exc:
            raise FormulaError(f"无法识别公式（{exc}）") from None
        if not tokens:
            raise FormulaError("公式是空的")
        out: list[_Step] = []
        # operators waiting for their right operand: ("op", sym, precedence), ("neg"|"pos",), ("(",),
        # ("call", NAME, argc)
        ops: list[list[Any]] = []
        operand = True  # expecting an operand next
        for token in tokens:
            kind, sub, value = token.type, token.subtype, token.value
            if kind == "OPERAND":
                if not operand:
                    raise FormulaError(f"无法识别公式中的“{value}”")
                out.append(self._operand(sub, value, sheet))
                operand = False
            elif kind == "OPERATOR-PREFIX":
                if value not in "+-":
                    raise FormulaError(f"不支持运算符“{value}”")
                ops.append(["neg" if value == "-" else "pos"])
            elif kind == "OPERATOR-POSTFIX":
                if value != "%" or operand:
                    raise FormulaError(f"无法识别公式中的“{value}”")
                out.append(("pct",))
            elif kind == "OPERATOR-INFIX":
                if value not in _BINARY:
                    raise FormulaError(f"不支持运算符“{value}”")
                if operand:
                    raise FormulaError(f"无法识别公式中的“{value}”")
                precedence = _BINARY[value]
                # left-associative, as Excel is (2^3^2 is 64)
                while ops and ops[-1][0] in ("op", "neg", "pos") and _precedence(ops[-1]) >= precedence:
                    out.append(tuple(ops.pop()))
                ops.append(["op", value, precedence])
                operand = True
            elif kind == "FUNC" and sub == "OPEN":
                if not operand:
                    raise FormulaError(f"无法识别公式中的“{value}”")
                ops.append(["call", value[:-1].upper(), 0])
            elif kind == "PAREN" and sub == "OPEN":
                if not operand:
                    raise FormulaError(f"无法识别公式中的“{value}”")
                ops.append([_OPEN])
            elif kind == "SEP" and sub == "ARG":
                if operand:
                    raise FormulaError("函数的参数是空的")
                self._unwind(ops, out)
                if not ops or ops[-1][0] != "call":
                    raise FormulaError("逗号不在函数的括号里")
                ops[-1][2] += 1
                operand = True
            elif (kind == "FUNC" or kind == "PAREN") and sub == "CLOSE":
                self._unwind(ops, out)
                if not ops:
                    raise FormulaError("括号不配对")
                frame = ops.pop()
                if frame[0] == "call":
                    if operand and frame[2] > 0:
                        raise FormulaError("函数的参数是空的")
                    if frame[1] not in _FUNCTIONS:
                        raise FormulaError(f"不支持函数 {frame[1]}")
                    out.append(("call", frame[1], frame[2] + (0 if operand else 1)))
                elif operand:
                    raise FormulaError("括号里是空的")
                operand = False
            else:
                raise FormulaError(f"无法识别公式中的“{value}”")
        if operand:
            raise FormulaError("公式不完整")
        self._unwind(ops, out)
        if ops:
            raise FormulaError("括号不配对")
        return out

    @staticmethod
    def _unwind(ops: list[list[Any]], out: list[_Step]) -> None:
        while ops and ops[-1][0] not in (_OPEN, "call"):
            out.append(tuple(ops.pop()))

    def _operand(self, sub: str, value: str, sheet: Sheet) -> _Step:
        if sub == "NUMBER":
            try:
                return ("num", float(value))
            except ValueError:
                raise FormulaError(f"无法识别数字“{value}”") from None
        if sub == "TEXT":
            raise FormulaError("公式结果是文本，不是数字")
        if sub == "LOGICAL":
            return ("num", 1.0 if value.upper() == "TRUE" else 0.0)
        if sub == "ERROR":
            raise FormulaError(f"公式含有错误值 {value}")
        if "[" in value:
            raise FormulaError("引用了其他工作簿")
        return ("ref", self.reference(value, sheet))

    def reference(self, text: str, current: Sheet) -> _Range:
        sheet_name, _, cells = text.rpartition("!")
        sheet = self.sheet(sheet_name or None, current)
        first, _, last = cells.partition(":")
        r1, c1 = _cell(first)
        r2, c2 = _cell(last) if last else (r1, c1)
        r1, r2 = sorted((r1, r2))
        c1, c2 = sorted((c1, c2))
        if r2 >= MAX_ROWS or c2 >= MAX_COLS:
            raise FormulaError(f"引用了读取范围（{MAX_ROWS} 行 × {MAX_COLS} 列）以外的单元格")
        return _Range(sheet, r1, c1, r2, c2)

    def sheet(self, name: str | None, current: Sheet) -> Sheet:
        if name is None:
            return current
        if name.startswith("'"):
            name = name[1:-1].replace("''", "'")
        found = self.sheets.get(name.casefold())
        if found is None:
            raise FormulaError(f"引用了不存在的工作表“{name}”")
        return found

    def run(self, program: list[_Step]) -> float:
        """Execute a compiled formula; every formula cell it reads has been resolved already."""
        stack: list[Value] = []
        for step in program:
            op = step[0]
            if op == "num" or op == "ref":
                stack.append(step[1])
            elif op == "neg":
                stack.append(-self.scalar(stack.pop()))
            elif op == "pos":
                stack.append(self.scalar(stack.pop()))
            elif op == "pct":
                stack.append(self.scalar(stack.pop()) / 100)
            elif op == "op":
                right = self.scalar(stack.pop())
                stack.append(_arithmetic(step[1], self.scalar(stack.pop()), right))
            else:
                argc = step[2]
                args = stack[len(stack) - argc:] if argc else []
                del stack[len(stack) - argc:]
                stack.append(_FUNCTIONS[step[1]](self, args))
        value = self.scalar(stack.pop())
        if math.isnan(value) or math.isinf(value):
            raise FormulaError("结果不是有限的数")
        return value

    def value_of(self, sheet: Sheet, row: int, col: int) -> float:
        """The number in a cell; a formula cell's result must have been resolved."""
        value = sheet.value(row, col)
        if not isinstance(value, Formula):
            return _number(value, _where(sheet, row, col))
        if value.value is not None:
            return value.value
        result = self.results.get((id(sheet), row, col))
        if result is None:
            raise FormulaError("公式循环引用")
        if isinstance(result, str):
            if result.startswith("引用的"):
                raise FormulaError(result)
            raise FormulaError(f"引用的 {_where(sheet, row, col)} 无法计算：{result}")
        return result

    def scalar(self, value: Value) -> float:
        if isinstance(value, float):
            return value
        if (value.r1, value.c1) != (value.r2, value.c2):
            raise FormulaError("区域不能直接参与运算（#VALUE!）")
        return self.value_of(value.sheet, value.r1, value.c1)

    def numbers(self, args: list[Value]) -> list[float]:
        """The numbers of SUM-like arguments: in a range, text and blanks are skipped as Excel does."""
        out: list[float] = []
        for arg in args:
            if isinstance(arg, float):
                out.append(arg)
                continue
            rows = arg.sheet.rows
            for row in range(arg.r1, min(arg.r2 + 1, len(rows))):
                cells = rows[row]
                last = min(arg.c2 + 1, len(cells))
                self._spend(max(0, last - arg.c1))
                for col in range(arg.c1, last):
                    value = cells[col]
                    if isinstance(value, Formula):
                        out.append(self.value_of(arg.sheet, row, col))
                    elif isinstance(value, (int, float)) and not isinstance(value, bool):
                        out.append(float(value))
        return out


def _precedence(frame: list[Any]) -> int:
    return int(frame[2]) if frame[0] == "op" else _PREFIX


def _arithmetic(op: str, left: float, right: float) -> float:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        if right == 0:
            raise FormulaError("除数为 0（#DIV/0!）")
        return left / right
    try:
        return float(left ** right)
    except (OverflowError, ZeroDivisionError, TypeError):
        raise FormulaError("乘方无法计算") from None


def evaluate(formula: str, sheet: Sheet, workbook: Workbook) -> float:
    """The number ``formula`` (``"=SUM(B2:B9)"``) gives on ``sheet``; raise :class:`FormulaError`."""
    evaluator = _Evaluator(workbook)
    program = evaluator.compile(formula, sheet)
    evaluator._resolve(evaluator.dependencies(program))
    try:
        return evaluator.run(program)
    except (ArithmeticError, ValueError) as exc:
        raise FormulaError(f"结果超出可计算的范围（{type(exc).__name__}）") from None


def _cell(text: str) -> tuple[int, int]:
    match = _REF.match(text.upper())
    if match is None:
        raise FormulaError(f"无法识别单元格“{text}”")
    return int(match.group(2)) - 1, column_index(match.group(1))


def _round(ev: _Evaluator, args: list[Value]) -> float:
    if len(args) not in (1, 2):
        raise FormulaError("ROUND 的参数个数不对")
    value = ev.scalar(args[0])
    digits = int(ev.scalar(args[1])) if len(args) == 2 else 0
    factor = 10.0 ** digits
    return math.floor(abs(value) * factor + 0.5) / factor * (1 if value >= 0 else -1)


def _one(fn: Callable[[float], float], name: str) -> Callable[[_Evaluator, list[Value]], float]:
    def call(ev: _Evaluator, args: list[Value]) -> float:
        if len(args) != 1:
            raise FormulaError(f"{name} 的参数个数不对")
        return fn(ev.scalar(args[0]))

    return call


def _average(ev: _Evaluator, args: list[Value]) -> float:
    numbers = ev.numbers(args)
    if not numbers:
        raise FormulaError("除数为 0（#DIV/0!）")
    return sum(numbers) / len(numbers)


_FUNCTIONS: dict[str, Callable[[_Evaluator, list[Value]], float]] = {
    "SUM": lambda e, a: float(math.fsum(e.numbers(a))),
    "MIN": lambda e, a: min(e.numbers(a), default=0.0),
    "MAX": lambda e, a: max(e.numbers(a), default=0.0),
    "AVERAGE": _average,
    "ABS": _one(abs, "ABS"),
    "INT": _one(lambda x: float(math.floor(x)), "INT"),
    "ROUND": _round,
}
