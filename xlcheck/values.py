"""Turning what people type into value cells into numbers, and remembering how it was typed.

Rules D1–D3 report how a value was typed; every other rule uses the number alone.

A formula cell saved without its result (a file written by a script) reaches :func:`parse` as a
:class:`~xlcheck.reader.Formula`: status ``formula`` when xlcheck computed it (the number is the
result), ``formula_uncached`` when it could not (no number; ``reason`` says why). It is never read as
a blank or as 0.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import MISSING, dataclass, fields
from decimal import Decimal
from typing import Any, Literal

from .reader import Formula

Status = Literal["number", "blank", "placeholder", "text", "unit", "invalid", "formula", "formula_uncached"]

#: what people write for "none" instead of 0 (after width folding)
PLACEHOLDERS = frozenset({"/", "-", "--", "—", "——", "－", "无", "空", "暂无", "N/A", "n/a", "NA", "\\"})
_UNITS = ("万元", "元", "件", "个", "项", "条", "次", "宗", "份", "人", "家")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
#: what people type for a minus sign besides "-" (NFKC folds the full-width "－" and "﹣", not these)
_MINUSES = ("\u2212", "\u2013", "\u2012")
#: a sign written as a word, in 本年增/减 ("减4", "增加3"), longest first
_SIGN_WORDS = ("增加", "减少", "增", "减", "负")
#: 元 per unit, for converting an amount typed in the other unit to the column's
_SCALE = {"元": Decimal(1), "万元": Decimal(10000)}


@dataclass(frozen=True)
class CellValue:
    """One value cell: where it is, what was typed, and the number it stands for."""

    key: str
    ref: str
    raw: Any
    #: the number used by the other rules; blanks and placeholders count as 0, unreadable text as None
    number: float | None
    status: Status
    unit: str = ""
    #: the formula ("=SUM(D5:D9)") of a cell saved without its result, else ""
    formula: str = ""
    #: why a formula could not be computed (status ``formula_uncached``), else ""
    reason: str = ""
    #: a number typed as text: its digits as typed, in ASCII, without separators or unit ("73802895.90")
    typed: str = ""
    #: what to type instead, in the column's unit ("426796元" in a 万元 column: "42.6796")
    advice: str = ""
    #: what in the typed text has to be retyped, as a message says it ("用了全角数字“１２”", "带有千位分隔符")
    quirks: tuple[str, ...] = ()
    #: the column's own unit, when it has one ("万元"; "元" where the format prints none)
    column_unit: str = ""

    @property
    def shown(self) -> str:
        """The typed value as a message quotes it (a computed formula: its result)."""
        if self.formula and self.number is not None:
            return show(self.number)
        if isinstance(self.raw, float):
            return show(self.raw)
        return str(self.raw)


#: a plain number or blank cell's fields, in the order of the class: the defaults, and the five it
#: is given (None here)
_PLAIN = {f.name: None if f.default is MISSING else f.default for f in fields(CellValue)}
_new = object.__new__
_set = object.__setattr__


def _plain_cell(key: str, ref: str, raw: Any, number: float, status: Status) -> CellValue:
    """``CellValue(key, ref, raw, number, status)``, the same object, made without the frozen
    dataclass' ``__init__`` (one ``object.__setattr__`` a field: a fifth of locating a report's two
    hundred cells went to it): its fields are a copy of :data:`_PLAIN` with the five filled in,
    half the cost of updating an empty ``__dict__`` with them all."""
    cell = _new(CellValue)
    values = _PLAIN.copy()
    values["key"], values["ref"], values["raw"], values["number"], values["status"] = key, ref, raw, number, status
    _set(cell, "__dict__", values)
    return cell


def parse(key: str, ref: str, raw: Any, unit: str = "") -> CellValue:
    """Read one value cell; ``unit`` is the column's own unit ("万元", "元"), to which an amount typed
    with the other currency unit is converted."""
    if type(raw) is float and math.isfinite(raw):  # what calamine gives for nearly every value cell
        return _plain_cell(key, ref, raw, raw, "number")
    if raw is None or raw == "":
        return _plain_cell(key, ref, "", 0.0, "blank")
    if isinstance(raw, Formula):
        if raw.value is None:
            return CellValue(key, ref, raw.text, None, "formula_uncached", formula=raw.text, reason=raw.reason)
        return CellValue(key, ref, raw.text, raw.value, "formula", formula=raw.text)
    if isinstance(raw, bool):
        return CellValue(key, ref, raw, None, "invalid")
    if isinstance(raw, (int, float)):
        number = float(raw)
        if math.isnan(number) or math.isinf(number):
            return CellValue(key, ref, raw, None, "invalid")
        return CellValue(key, ref, raw, number, "number")
    if not isinstance(raw, str):  # dates, times
        return CellValue(key, ref, raw, None, "invalid")
    return _parse_text(key, ref, raw, unit)


def _parse_text(key: str, ref: str, raw: str, column_unit: str) -> CellValue:
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return CellValue(key, ref, raw, 0.0, "blank")
    quirks = _odd_characters(raw)
    for minus in _MINUSES:
        text = text.replace(minus, "-")
    if text in PLACEHOLDERS:  # "−" alone is a dash for "none", as "-" is
        return CellValue(key, ref, raw, 0.0, "placeholder")
    note = ""
    if (bracket := _note().fullmatch(text)) is not None:  # "22（其中修订16件）": the note is not the value
        text, note = bracket.group(1).strip(), bracket.group(2)
        quirks.append(f"在数字后写了说明“{_note_as_typed(raw, note)}”")
    elif (loose := _loose_note().fullmatch(text)) is not None:  # "22，其中修订16件", "5件；均已办结"
        text = loose.group(1).strip()
        quirks.append(f"在数字后写了说明“{_loose_note_as_typed(raw)}”")
    if re.search(r"\d\s+\d", text):
        quirks.append("数字中间有空格")
    if re.search(r"\d[,，]\d", text):
        quirks.append("带有千位分隔符")
    compact = re.sub(r"[\s,，]", "", text)
    sign = ""
    word = next((w for w in _SIGN_WORDS if compact.startswith(w) and compact != w), "")
    if word:
        sign = "-" if word in ("减", "减少", "负") else ""
        said = f"“{word}”字" if len(word) == 1 else f"“{word}”"
        quirks.append(f"用{said}表示{'负数' if sign else '正数'}")
        compact = compact[len(word):]
        if compact[:1] in "+-":
            return CellValue(key, ref, raw, None, "invalid")
    unit = next((u for u in _UNITS if compact.endswith(u)), "")
    digits = compact[: len(compact) - len(unit)]
    if not _NUMBER.fullmatch(digits):
        return CellValue(key, ref, raw, None, "invalid")
    typed = sign + digits if sign else digits
    number, advice = float(typed), typed.removeprefix("+")
    if unit in _SCALE and column_unit in _SCALE and unit != column_unit:
        advice = convert(typed, unit, column_unit)
        number = float(advice)
    return CellValue(key, ref, raw, number, "unit" if unit else "text", unit, typed=typed, advice=advice,
                     quirks=tuple(quirks), column_unit=column_unit)


@functools.cache
def _note() -> re.Pattern[str]:
    """A number followed by a note in brackets: "22（其中修订16件）", "55(含自然失效29件)"; compiled
    on first use, as only cells typed as text reach it."""
    return re.compile(r"([^()\[\]【】]*?\d[^()\[\]【】]*?)\s*[(\[【]([^()\[\]【】]+)[)\]】]")


@functools.cache
def _loose_note() -> re.Pattern[str]:
    """A number (with its unit) followed by a punctuation mark and words: "22，其中修订16件". What
    follows the mark starts with no digit, so "1,234" and "1，234" stay numbers."""
    units = "|".join(_UNITS)
    return re.compile(rf"([+-]?[\d.,，\s]*\d\s*(?:{units})?)\s*[,，;；。]\s*([^\d\s,，;；。].*)")


def _loose_note_as_typed(raw: str) -> str:
    stripped = raw.strip()
    found = re.search(r"[,，;；。]\s*[^\d\s,，;；。０-９]", stripped)
    return stripped[found.start():] if found else stripped


def convert(number: str, unit: str, to: str) -> str:
    """An amount written ``number`` in ``unit`` ("元", "万元") as the exact number in ``to``:
    ("426796", "元", "万元") -> "42.6796"."""
    return _plain(Decimal(number) * _SCALE[unit] / _SCALE[to])


def _odd_characters(raw: str) -> list[str]:
    """The characters of a typed number a clerk has to retype, named as the message names them."""
    out: list[str] = []
    wide = "".join(dict.fromkeys(ch for ch in raw if "０" <= ch <= "９" or ch == "．"))
    if wide:
        out.append(f"用了全角数字“{wide}”")
    for ch in dict.fromkeys(raw):
        if ch in "＋－﹢﹣":
            out.append(f"用了全角符号“{ch}”")
        elif ch in _MINUSES:
            out.append(f"用了“{ch}”（U+{ord(ch):04X}）而不是键盘上的减号“-”")
    return out


def _note_as_typed(raw: str, note: str) -> str:
    """The note as the cell has it (full-width brackets stay full-width)."""
    stripped = raw.strip()
    for opening in "（([【":
        at = stripped.find(opening)
        if at >= 0:
            return stripped[at:]
    return f"({note})"


def _plain(number: Decimal) -> str:
    """A decimal in positional notation without trailing zeros: 426800, 42.6796."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class Published(float):
    """A number read from a published report's text: the number, and its digits as published
    ("73802895.90"), which messages quote (a workbook's number cell has no such text)."""

    typed: str

    def __new__(cls, typed: str) -> Published:
        number = super().__new__(cls, typed.replace(",", ""))
        number.typed = typed
        return number

    def __reduce__(self) -> tuple[type[Published], tuple[str]]:  # batch workers return it
        return Published, (self.typed,)


def show(number: float) -> str:
    """A number as a message shows it: as published, when it is :class:`Published`; else 3 rather
    than 3.0, and as Excel shows it — 15 significant digits, never in scientific notation
    (73802895.9, not 7.38029e+07)."""
    if type(number) is Published:
        return number.typed
    if float(number).is_integer() and abs(number) < 1e15:
        return str(int(number))
    return _plain(Decimal(f"{number:.15g}"))
