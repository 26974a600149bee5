"""Normalising label text so that the drift found in real workbooks still matches.

Real workbooks write "(一)" for "（一）", "1、" for "1.", curly or straight quotes, line breaks and spaces
inside labels ("结 果 维 持", "商业\\n企业"). Labels are compared after folding all of that away.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata

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


def similarity(a: str, b: str) -> float:
    """How alike two normalised labels are, 0..1, ignoring their numbering."""
    return difflib.SequenceMatcher(None, strip_numbering(a), strip_numbering(b), autojunk=False).ratio()
