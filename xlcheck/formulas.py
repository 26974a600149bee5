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
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from xml.sax.saxutils import unescape

from .cells import column_index, column_letter
from .reader import MAX_COLS, MAX_ROWS, Formula, Sheet, Workbook

__all__ = ["FormulaError", "evaluate", "fill_uncached"]

_ENTITIES = {"&quot;": '"', "&apos;": "'"}
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR = re.compile(rb'\b(r|t|si|ref)="([^"]*)"')
_F = re.compile(rb"<(?:\w+:)?f\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_V = re.compile(rb"<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.S)
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_REL = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_NAME_ATTR = re.compile(rb'\bname="([^"]*)"')
_RID_ATTR = re.compile(rb'\br:id="([^"]*)"|\b\w+:id="([^"]*)"')
_ID_ATTR = re.compile(rb'\bId="([^"]*)"')
_TARGET_ATTR = re.compile(rb'\bTarget="([^"]*)"')


class FormulaError(Exception):
    """A formula xlcheck cannot compute; the message says why, in Chinese."""


# ------------------------------------------------------------------------------------------------
# Finding formulas without results


def fill_uncached(path: str, workbook: Workbook, parts: dict[str, bytes]) -> None:
    """Put a computed :class:`Formula` in ``workbook``'s grid for every formula saved without a result."""
    names = _sheet_names(path)
    sheets = {s.name: s for s in workbook.sheets}
    placed: list[tuple[Sheet, int, int]] = []
    for part, data in parts.items():
        sheet = sheets.get(names.get(part, ""))
        if sheet is None:
            continue
        for row, col, text in uncached_cells(data):
            if row < MAX_ROWS and col < MAX_COLS:
                _put(sheet, row, col, Formula(text))
                placed.append((sheet, row, col))
    evaluator = _Evaluator(workbook)
    for sheet, row, col in placed:
        cell = sheet.rows[row][col]
        assert isinstance(cell, Formula)
        try:
            value = evaluator.cell(sheet, row, col, nested=False)
            sheet.rows[row][col] = Formula(cell.text, value)
        except FormulaError as exc:
            sheet.rows[row][col] = Formula(cell.text, None, str(exc))
        except (ArithmeticError, ValueError) as exc:  # =ROUND(1,400), =INT(1E999): too large to compute
            sheet.rows[row][col] = Formula(cell.text, None, f"结果超出可计算的范围（{type(exc).__name__}）")


def uncached_cells(data: bytes) -> Iterator[tuple[int, int, str]]:
    """(row, col, "=formula") of every formula cell of a worksheet part that has no saved result."""
    shared: dict[bytes, tuple[str, int, int]] = {}
    for match in _CELL.finditer(data):
        inner = match.group(2)
        if not inner or b"f" not in inner:
            continue
        f = _F.search(inner)
        if f is None:
            continue
        attrs = dict(_ATTR.findall(match.group(1)))
        ref = _REF.match(attrs.get(b"r", b"").decode("ascii", "replace"))
        if ref is None:
            continue
        row, col = int(ref.group(2)) - 1, column_index(ref.group(1))
        f_attrs = dict(_ATTR.findall(f.group(1)))
        text = unescape((f.group(2) or b"").decode("utf-8", "replace"), _ENTITIES).strip()
        if f_attrs.get(b"t") == b"shared" and b"si" in f_attrs:
            if text:
                shared[f_attrs[b"si"]] = (text, row, col)
            elif f_attrs[b"si"] in shared:
                base, r0, c0 = shared[f_attrs[b"si"]]
                text = shift(base, row - r0, col - c0)
        v = _V.search(inner)
        if (v is not None and v.group(1)) or attrs.get(b"t") in (b"str", b"inlineStr"):
            continue  # a saved result, which calamine has returned
        yield row, col, "=" + text if text else "="


def _sheet_names(path: str) -> dict[str, str]:
    """worksheet part -> sheet name, from workbook.xml and its relationships."""
    with zipfile.ZipFile(path) as archive:
        try:
            book = archive.read("xl/workbook.xml")
            rels = archive.read("xl/_rels/workbook.xml.rels")
        except KeyError:
            return {}
    targets = {}
    for rel in _REL.findall(rels):
        rel_id, rel_target = _ID_ATTR.search(rel), _TARGET_ATTR.search(rel)
        if rel_id and rel_target:
            target = unescape(rel_target.group(1).decode("utf-8", "replace"), _ENTITIES)
            part = posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target))
            targets[rel_id.group(1)] = part
    out = {}
    for sheet in _SHEET.findall(book):
        sheet_name, sheet_rid = _NAME_ATTR.search(sheet), _RID_ATTR.search(sheet)
        if sheet_name and sheet_rid:
            found = targets.get(sheet_rid.group(1) or sheet_rid.group(2))
            if found:
                out[found] = unescape(sheet_name.group(1).decode("utf-8", "replace"), _ENTITIES)
    return out


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
# Computing


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<func>[A-Za-z][A-Za-z0-9.]*)\s*\(
    | (?P<ref>(?:(?:'(?:[^']|'')+'|[^\W\d][\w.]*)!)?\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)
    | (?P<str>"(?:[^"]|"")*")
    | (?P<op>[-+*/^%(),])
    )""",
    re.X,
)


@dataclass(frozen=True)
class _Range:
    sheet: Sheet
    r1: int
    c1: int
    r2: int
    c2: int


Value = float | _Range


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


class _Evaluator:
    def __init__(self, workbook: Workbook):
        self.sheets = {s.name.casefold(): s for s in workbook.sheets}
        self.done: dict[tuple[int, int, int], float] = {}
        self.active: set[tuple[int, int, int]] = set()

    def cell(self, sheet: Sheet, row: int, col: int, *, nested: bool = True) -> float:
        """The number in a cell; a formula saved without its result is computed (once)."""
        key = (id(sheet), row, col)
        if key in self.done:
            return self.done[key]
        where = f"{sheet.name}!{_letters(col)}{row + 1}"
        value = sheet.value(row, col)
        if not isinstance(value, Formula):
            return _number(value, where)
        if value.value is not None:
            return value.value
        if key in self.active:
            raise FormulaError("公式循环引用")
        self.active.add(key)
        try:
            if value.reason:
                raise FormulaError(value.reason)
            result = _Parser(value.text, sheet, self).run()
        except FormulaError as exc:
            if nested and not str(exc).startswith("引用的"):
                raise FormulaError(f"引用的 {where} 无法计算：{exc}") from None
            raise
        finally:
            self.active.discard(key)
        self.done[key] = result
        return result

    def sheet(self, name: str | None, current: Sheet) -> Sheet:
        if name is None:
            return current
        if name.startswith("'"):
            name = name[1:-1].replace("''", "'")
        found = self.sheets.get(name.casefold())
        if found is None:
            raise FormulaError(f"引用了不存在的工作表“{name}”")
        return found


def evaluate(formula: str, sheet: Sheet, workbook: Workbook) -> float:
    """The number ``formula`` (``"=SUM(B2:B9)"``) gives on ``sheet``; raise :class:`FormulaError`."""
    return _Parser(formula, sheet, _Evaluator(workbook)).run()


class _Parser:
    """Recursive descent over Excel's precedence: + - < * / < ^ < % < unary minus."""

    def __init__(self, formula: str, sheet: Sheet, evaluator: _Evaluator):
        text = formula[1:] if formula.startswith("=") else formula
        if "[" in text:
            raise FormulaError("引用了其他工作簿")
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise FormulaError(f"无法识别公式中的“{text[pos:pos + 10].strip()}”")
            kind = match.lastgroup
            assert kind is not None
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
        if not self.tokens:
            raise FormulaError("公式是空的")
        self.pos = 0
        self.sheet = sheet
        self.evaluator = evaluator

    def run(self) -> float:
        value = self.scalar(self.expr())
        if self.pos != len(self.tokens):
            raise FormulaError(f"无法识别公式中的“{self.tokens[self.pos][1]}”")
        if math.isnan(value) or math.isinf(value):
            raise FormulaError("结果不是有限的数")
        return value

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise FormulaError("公式不完整")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expr(self) -> Value:
        left = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            right = self.scalar(self.term())
            left = self.scalar(left) + right if op == "+" else self.scalar(left) - right
        return left

    def term(self) -> Value:
        left = self.power()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            right = self.scalar(self.power())
            if op == "*":
                left = self.scalar(left) * right
            elif right == 0:
                raise FormulaError("除数为 0（#DIV/0!）")
            else:
                left = self.scalar(left) / right
        return left

    def power(self) -> Value:
        left = self.unary()
        while self.peek() == "^":
            self.take()
            right = self.scalar(self.unary())
            try:
                left = float(self.scalar(left) ** right)
            except (OverflowError, ZeroDivisionError, TypeError):
                raise FormulaError("乘方无法计算") from None
        return left

    def unary(self) -> Value:
        if self.peek() in ("-", "+"):
            sign = -1.0 if self.take()[1] == "-" else 1.0
            return sign * self.scalar(self.unary())
        value = self.atom()
        while self.peek() == "%":
            self.take()
            value = self.scalar(value) / 100
        return value

    def atom(self) -> Value:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "ref":
            return self.reference(text)
        if kind == "func":
            return self.call(text.upper())
        if text == "(":
            value = self.expr()
            if self.take()[1] != ")":
                raise FormulaError("括号不配对")
            return value
        if kind == "str":
            raise FormulaError("公式结果是文本，不是数字")
        raise FormulaError(f"无法识别公式中的“{text}”")

    def reference(self, text: str) -> Value:
        sheet_name, _, cells = text.rpartition("!")
        sheet = self.evaluator.sheet(sheet_name or None, self.sheet)
        first, _, last = cells.partition(":")
        r1, c1 = _cell(first)
        r2, c2 = _cell(last) if last else (r1, c1)
        r1, r2 = sorted((r1, r2))
        c1, c2 = sorted((c1, c2))
        if r2 >= MAX_ROWS or c2 >= MAX_COLS:
            raise FormulaError(f"引用了读取范围（{MAX_ROWS} 行 × {MAX_COLS} 列）以外的单元格")
        return _Range(sheet, r1, c1, r2, c2)

    def scalar(self, value: Value) -> float:
        if isinstance(value, float):
            return value
        if (value.r1, value.c1) != (value.r2, value.c2):
            raise FormulaError("区域不能直接参与运算（#VALUE!）")
        return self.evaluator.cell(value.sheet, value.r1, value.c1)

    def call(self, name: str) -> float:
        args: list[Value] = []
        if self.peek() != ")":
            args.append(self.expr())
            while self.peek() == ",":
                self.take()
                args.append(self.expr())
        if self.take()[1] != ")":
            raise FormulaError("括号不配对")
        function = _FUNCTIONS.get(name)
        if function is None:
            raise FormulaError(f"不支持函数 {name}")
        return function(self, args)

    def numbers(self, args: list[Value]) -> list[float]:
        """The numbers of SUM-like arguments: in a range, text and blanks are skipped as Excel does."""
        out: list[float] = []
        for arg in args:
            if isinstance(arg, float):
                out.append(arg)
                continue
            for row in range(arg.r1, arg.r2 + 1):
                for col in range(arg.c1, arg.c2 + 1):
                    value = arg.sheet.value(row, col)
                    if isinstance(value, Formula):
                        out.append(self.evaluator.cell(arg.sheet, row, col))
                    elif isinstance(value, (int, float)) and not isinstance(value, bool):
                        out.append(float(value))
        return out


def _cell(text: str) -> tuple[int, int]:
    match = _REF.match(text.upper())
    if match is None:
        raise FormulaError(f"无法识别单元格“{text}”")
    return int(match.group(2)) - 1, column_index(match.group(1))


def _round(parser: _Parser, args: list[Value]) -> float:
    if len(args) not in (1, 2):
        raise FormulaError("ROUND 的参数个数不对")
    value = parser.scalar(args[0])
    digits = int(parser.scalar(args[1])) if len(args) == 2 else 0
    factor = 10.0 ** digits
    return math.floor(abs(value) * factor + 0.5) / factor * (1 if value >= 0 else -1)


def _one(fn: Callable[[float], float], name: str) -> Callable[[_Parser, list[Value]], float]:
    def call(parser: _Parser, args: list[Value]) -> float:
        if len(args) != 1:
            raise FormulaError(f"{name} 的参数个数不对")
        return fn(parser.scalar(args[0]))

    return call


def _average(parser: _Parser, args: list[Value]) -> float:
    numbers = parser.numbers(args)
    if not numbers:
        raise FormulaError("除数为 0（#DIV/0!）")
    return sum(numbers) / len(numbers)


_FUNCTIONS: dict[str, Callable[[_Parser, list[Value]], float]] = {
    "SUM": lambda p, a: float(math.fsum(p.numbers(a))),
    "MIN": lambda p, a: min(p.numbers(a), default=0.0),
    "MAX": lambda p, a: max(p.numbers(a), default=0.0),
    "AVERAGE": _average,
    "ABS": _one(abs, "ABS"),
    "INT": _one(lambda x: float(math.floor(x)), "INT"),
    "ROUND": _round,
}
