"""File names as people read them.

On Linux a file name is bytes, and Python hands names that are not UTF-8 (GBK names from zips made
on a Chinese Windows) over as text with "surrogate" characters standing for the undecodable bytes.
Such a name opens the file, but cannot be printed to a UTF-8 terminal, written to JSON for another
program or into a workbook. :func:`readable` turns each run of those bytes back into the text it
was meant as (GB 18030, the superset of GBK, then a replacement character), leaving the rest alone.
"""

from __future__ import annotations

import functools
import re


@functools.cache
def _surrogates() -> re.Pattern[str]:
    return re.compile("[\udc80-\udcff]+")


def _decode(match: re.Match[str]) -> str:
    raw = bytes(ord(ch) - 0xDC00 for ch in match.group())
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")


def readable(text: str) -> str:
    """``text`` with every run of undecodable file-name bytes decoded as GB 18030 (or replaced)."""
    if text.isascii() or not _surrogates().search(text):
        return text
    return _surrogates().sub(_decode, text)


def encodable(text: str) -> bool:
    """True when ``text`` is valid Unicode (a name other programs, such as calamine, can take)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
