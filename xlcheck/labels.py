"""Normalising label text so that the drift found in real workbooks still matches.

Real workbooks write "(一)" for "（一）", "1、" for "1.", curly or straight quotes, line breaks and spaces
inside labels ("结 果 维 持", "商业\\n企业"). Labels are compared after folding all of that away.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Sequence

_DROP = re.compile(r"[\s\u3000\"'“”‘’「」『』《》<>]+")
_PUNCT = str.maketrans({
    "（": "(", "）": ")", "【": "(", "】": ")", "［": "(", "］": ")", "[": "(", "]": ")",
    "、": ".", "．": ".", "。": ".", "，": ",", "：": ":", "；": ";", "—": "-", "－": "-", "–": "-",
    "／": "/",
})
# "1." / "1、" / "(1)" at the start of a sub-row label; "一、" / "(一)" at the start of a section
_NUMBERING = re.compile(r"^(?:\(?[一二三四五六七八九十]+\)|[一二三四五六七八九十]+\.|\(?\d+\)|\d+\.)")


def normalize(text: object) -> str:
    """Fold width, punctuation, quotes and whitespace so that drifted labels compare equal."""
    if not isinstance(text, str):
        return ""
    return _normalize(text)


# Labels repeat in every workbook, so over a batch nearly every call is a cache hit.
@functools.lru_cache(maxsize=65536)
def _normalize(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).translate(_PUNCT)
    return _DROP.sub("", folded)


def strip_numbering(norm: str) -> str:
    """Drop a leading "1." or "(一)" from a normalised label, for comparing the words alone."""
    return _NUMBERING.sub("", norm, count=1)


def numbering(norm: str) -> str:
    """The leading "1." or "(一)" of a normalised label, "" when it has none."""
    match = _NUMBERING.match(norm)
    return match.group(0) if match else ""


def similarity(a: str, b: str) -> float:
    """How alike two normalised labels are, 0..1, ignoring their numbering."""
    return difflib.SequenceMatcher(None, strip_numbering(a), strip_numbering(b), autojunk=False).ratio()


#: how alike a misspelt label must be to the official one to be taken for it
MIN_SIMILARITY = 0.6


def match_by_place(found: dict[int, int], candidates: Sequence[tuple[int, str]], officials: Sequence[str]
                   ) -> list[int]:
    """Take labels that are not official text for the official labels they stand in for.

    ``officials`` are the normalised official labels in order (rows top to bottom, or columns left to
    right); ``found`` maps the index of each official label matched exactly to its position (row or
    column) and gains every match made here; ``candidates`` are (position, normalised label) of the
    other labels. A candidate may only be an official label missing between its matched neighbours,
    the one most like it (at least :data:`MIN_SIMILARITY`), or, when only its numbering is left
    ("（七）", "3."), the single missing label with that numbering. Returns, per candidate, the index
    of the official label it was taken for, or -1.
    """
    out = []
    for pos, label in candidates:
        lo = max((i for i, p in found.items() if p < pos), default=-1)
        hi = min((i for i, p in found.items() if p > pos), default=len(officials))
        gap = [i for i in range(lo + 1, hi) if i not in found]
        match = _likeliest(label, gap, officials)
        if match >= 0:
            found[match] = pos
        out.append(match)
    return out


def _likeliest(label: str, gap: Sequence[int], officials: Sequence[str]) -> int:
    if not gap:
        return -1
    if not strip_numbering(label):
        return gap[0] if len(gap) == 1 and numbering(officials[gap[0]]) == label else -1
    score, best = max((similarity(label, officials[i]), i) for i in gap)
    return best if score >= MIN_SIMILARITY else -1
