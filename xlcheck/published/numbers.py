"""Numbers as the narrative writes them: 85, 1,234, full-width １２, and words (一百二十三, 两千零五)."""

from __future__ import annotations

import unicodedata

#: a number in running text, for building patterns (digits with thousands separators, or words)
NUMBER = r"(?:\d{1,3}(?:[,，]\d{3})+|[\d０-９]+|[零〇一二两三四五六七八九十百千万]+)"

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def to_int(text: str) -> int | None:
    """The value of a number as written, or None when it is not one (a word that is no number)."""
    folded = unicodedata.normalize("NFKC", text).replace(",", "").replace("，", "").strip()
    if folded.isdigit():
        return int(folded)
    if not folded or any(ch not in _DIGITS and ch not in _UNITS and ch != "万" for ch in folded):
        return None
    if all(ch in _DIGITS for ch in folded):  # 二〇二〇: digit by digit
        return int("".join(str(_DIGITS[ch]) for ch in folded))
    total = 0
    for part_index, part in enumerate(folded.split("万")):
        if part_index > 1:
            return None
        value = _below_10000(part)
        if value is None:
            return None
        total = total * 10000 + value if part_index else value
    return total


def _below_10000(text: str) -> int | None:
    if not text:
        return 0
    total, digit, last_unit = 0, None, 10000
    for ch in text:
        if ch in _DIGITS:
            if digit is not None and _DIGITS[ch] and digit:
                return None  # 二三: two digits in a row
            digit = _DIGITS[ch]
        else:
            unit = _UNITS[ch]
            if unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    return total + (digit or 0)
