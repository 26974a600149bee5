"""The narrative of a published report: sections 一 to 六 as text, and the numbers it states.

Extraction is deterministic: explicit patterns, each tied to the table field it speaks of, over
digits, full-width digits, thousands separators and number words. A number no pattern attributes is
left alone, and a sum whose parts cannot all be read is not checked.

The document the rules see carries this under ``narrative`` (a plain dict, see :func:`narrative`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .numbers import NUMBER, to_int

SECTION_TITLES = {"一": "一、总体情况", "二": "二、主动公开政府信息情况", "三": "三、收到和处理政府信息公开申请情况",
                  "四": "四、政府信息公开行政复议、行政诉讼情况", "五": "五、存在的主要问题及改进情况",
                  "六": "六、其他需要报告的事项"}
#: document keys of the sections a rule reads most
SECTION_KEYS = {"一": "overview", "五": "problems", "六": "other"}
QUOTE = 60


@dataclass(frozen=True)
class Said:
    """Where the narrative says something: its section, paragraph (1-based within the section), quote."""

    section: str
    paragraph: int
    quote: str

    def __str__(self) -> str:
        title = SECTION_TITLES.get(self.section, "正文")
        return f"{title} 第 {self.paragraph} 段：“{short(self.quote)}”"


@dataclass(frozen=True)
class Stated:
    """A count the narrative states for table fields: ``keys`` per format, summed (行政诉讼 = two)."""

    rule: str
    what: str
    number: int
    typed: str
    keys: dict[str, tuple[str, ...]]
    said: Said
    #: what the text says, as a message quotes it: "行政复议 2 件", "未发生行政复议"
    phrase: str = ""


@dataclass(frozen=True)
class Sum:
    """"共N条，其中A n1条、B n2条": a stated total and its parts, each (name, number, as typed)."""

    total: int
    typed: str
    unit: str
    name: str
    parts: tuple[tuple[str, int, str], ...]
    said: Said


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE else text[: QUOTE - 1] + "…"


# ── the sections ─────────────────────────────────────────────────────────────────────────────────
def sections(paragraphs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Section number -> its paragraphs (headings left out), lines broken mid-sentence joined again
    (a page break inside a paragraph, a PDF's wrapped lines)."""
    out: dict[str, list[str]] = {}
    from .grid import section_of

    for section, text in paragraphs:
        if not section:
            continue
        paras = out.setdefault(section, [])
        if section_of(text) == section and not paras:
            continue
        if paras and not paras[-1].endswith(_ENDS):
            paras[-1] += text
        else:
            paras.append(text)
    return out


_ENDS = ("。", "！", "？", "；", "：", "”", "」", ")", "）", ":", ";", "!", "?")


def narrative(paragraphs: Sequence[tuple[str, str]]) -> dict[str, object] | None:
    """What the rules read under the document's ``narrative`` key; None when the source carries no
    numbered section at all (a bare table, such as a spreadsheet's HTML export).

    ``overview`` / ``problems`` / ``other``: the text of sections 一, 五, 六 ("" when absent);
    ``sections``: every section found, number -> text; ``statements``: the counts it states for table
    fields (N1, N2, N4); ``sums``: the totals it breaks into parts (N3).
    """
    found = sections(paragraphs)
    if not found:
        return None
    texts = {number: "\n".join(paras) for number, paras in found.items()}
    statements: list[Stated] = []
    sums: list[Sum] = []
    for number, paras in found.items():
        for index, text in enumerate(paras, 1):
            statements.extend(_statements(number, index, text))
            sums.extend(_sums(number, index, text))
    out: dict[str, object] = {key: texts.get(number, "") for number, key in SECTION_KEYS.items()}
    out.update(sections=texts, statements=statements, sums=sums)
    return out


# ── counts stated for table fields (N1, N2, N4) ───────────────────────────────────────────────────
_N = rf"(?<![\d０-９.．])({NUMBER})\s*"
_T3 = ("2019", "2021")


def _both(*keys: str) -> dict[str, tuple[str, ...]]:
    return {fmt: keys for fmt in _T3}


#: (rule, what, pattern, keys per format); the first group of each pattern is the number
_PATTERNS: tuple[tuple[str, str, str, dict[str, tuple[str, ...]]], ...] = (
    ("N1", "本年新收申请", rf"(?:新收|收到|受理)(?:各类|群众|公众)?(?:的)?(?:政府信息公开|信息公开|依申请公开)?申请"
                        rf"(?:共计|共|合计|总计)?{_N}(?:件|宗|份|个)", _both("t3.new.total")),
    ("N1", "上年结转申请", rf"上一?年(?:度)?结转(?:的)?(?:政府信息公开)?(?:申请)?(?:共)?{_N}(?:件|宗)",
     _both("t3.carried_over.total")),
    ("N1", "办结", rf"(?<!未)办结(?:申请)?(?:共)?{_N}(?:件|宗)", _both("t3.total.total")),
    ("N1", "结转下年度",
     rf"结转(?:至|到|入)?(?:下一?年(?:度)?|\d{{4}}年(?:度)?)(?:继续办理)?(?:的)?(?:申请)?{_N}(?:件|宗)",
     _both("t3.carry_forward.total")),
    ("N2", "行政复议", rf"行政复议(?:案件|申请)?(?:共)?{_N}(?:件|起|宗)", _both("t4.review.total")),
    ("N2", "行政诉讼", rf"行政诉讼(?:案件)?(?:共)?{_N}(?:件|起|宗)", _both("t4.direct.total", "t4.after.total")),
    ("N4", "制发规范性文件", rf"(?:制发|印发|出台|制定)(?:了)?(?:行政)?规范性文件(?:共)?{_N}件",
     _both("t2.art20_1.normative.made")),
    ("N4", "废止规范性文件", rf"废止(?:了)?(?:行政)?规范性文件(?:共)?{_N}件",
     {"2021": ("t2.art20_1.normative.repealed",)}),
    ("N4", "现行有效规范性文件", rf"现行有效(?:的)?(?:行政)?规范性文件(?:共)?{_N}件",
     {"2021": ("t2.art20_1.normative.in_force",)}),
    ("N4", "公开规范性文件", rf"(?<!对外)公开(?:了)?(?:行政)?规范性文件(?:共)?{_N}件",
     {"2019": ("t2.art20_1.normative.published",)}),
    ("N4", "行政许可决定", rf"行政许可(?:处理)?决定(?:共)?{_N}(?:件|宗|项|个)",
     _both("t2.art20_5.licensing.decisions")),
    ("N4", "行政处罚决定", rf"行政处罚(?:处理)?决定(?:共)?{_N}(?:件|宗|项|个)", _both("t2.art20_6.penalty.decisions")),
    ("N4", "行政强制决定", rf"行政强制(?:处理)?决定(?:共)?{_N}(?:件|宗|项|个)",
     _both("t2.art20_6.enforcement.decisions")),
)
# "未发生……行政复议和行政诉讼": both are 0
_NONE = re.compile(r"(?P<no>(?:未|没有|无)(?:发生|收到|出现|涉及|产生))[^，。；,;]{0,16}?"
                   r"(?:(行政复议)(?:(?:案件)?[和、及与或](行政诉讼))?|(行政诉讼))")
_COMPILED: list[tuple[str, str, re.Pattern[str], dict[str, tuple[str, ...]]]] = []


def _compiled() -> list[tuple[str, str, re.Pattern[str], dict[str, tuple[str, ...]]]]:
    if not _COMPILED:  # compiled on first use: a plain workbook check never needs them
        _COMPILED.extend((rule, what, re.compile(pattern), keys) for rule, what, pattern, keys in _PATTERNS)
    return _COMPILED


def _statements(section: str, index: int, text: str) -> list[Stated]:
    out: list[Stated] = []
    for rule, what, pattern, keys in _compiled():
        for match in pattern.finditer(text):
            number = to_int(match.group(1))
            if number is not None:
                out.append(Stated(rule, what, number, match.group(1), keys, Said(section, index, _around(text, match)),
                                  f"{what} {match.group(1)} {match.group(0)[-1]}"))
    for match in _NONE.finditer(text):
        for groups, (what, keys) in (((1,), ("行政复议", _both("t4.review.total"))),
                                     ((2, 3), ("行政诉讼", _both("t4.direct.total", "t4.after.total")))):
            if any(match.group(g) for g in groups):
                out.append(Stated("N2", what, 0, "0", keys, Said(section, index, _around(text, match)),
                                  f"{match.group('no')}{what}"))
    return out


def _around(text: str, match: re.Match[str]) -> str:
    """The clause a match stands in, as a quote."""
    start = max((text.rfind(d, 0, match.start()) for d in "。；;，,"), default=-1) + 1
    ends = [i for i in (text.find(d, match.end()) for d in "。；;，,") if i >= 0]
    return text[start: min(ends) if ends else len(text)].strip()


# ── sums inside the narrative (N3) ────────────────────────────────────────────────────────────────
_UNIT = "条|件|篇|个|项|次|宗|份|家|人次"
_ITEM = re.compile(rf"(?P<name>[^，,。；;、：:（）()\d０-９]{{0,24}}?)(?P<all>共计|合计|总计|累计|共)?"
                   rf"(?<![\d０-９.．])(?P<num>{NUMBER})\s*(?P<unit>{_UNIT})")
_BREAKDOWN = re.compile(r"^\s*[，,]?\s*(?:其中|包括|分别为|分别是)[：:，,]?\s*")
_COLON = re.compile(r"^\s*[：:]\s*")


def _sums(section: str, index: int, text: str) -> list[Sum]:
    out = []
    sentences = [s for s in re.split(r"(?<=。)", text) if s.strip()]
    for k, sentence in enumerate(sentences):
        for match in _ITEM.finditer(sentence):
            unit, rest = match.group("unit"), sentence[match.end():]
            # a total says 共 (or is broken down at once: "目录类51条，其中…")
            if not match.group("all") and not _BREAKDOWN.match(rest):
                continue
            total = to_int(match.group("num"))
            if total is None:
                continue
            if lead := _BREAKDOWN.match(rest):  # "共85条，其中A 2条、B 55条": to the clause's end
                body = re.split(r"[；;。]", rest[lead.end():])[0]
                parts = _listed(body, unit)
                quote = sentence[: match.end() + lead.end() + len(body)]
            elif lead := _COLON.match(rest):  # "共174条：A 29条；B 85条。"
                body = rest[lead.end():].split("。")[0]
                parts = _clauses(body, unit) if re.search("[；;]", body) else _listed(body, unit)
                quote = sentence[: match.end() + lead.end() + len(body)]
            elif rest.strip() in ("。", "") and k + 1 < len(sentences):  # "共174条。A 29条；B 85条…。"
                nxt = sentences[k + 1].split("。")[0]
                if lead := _BREAKDOWN.match(nxt):
                    body = re.split(r"[；;]", nxt[lead.end():])[0]
                    parts = _listed(body, unit)
                else:
                    parts = _clauses(nxt, unit)
                quote = sentence + nxt
            else:
                continue
            if parts is None or len(parts) < 2:
                continue
            start = max(sentence.rfind(d, 0, match.start()) for d in "，,；;") + 1
            name = match.group("name").strip().split("年")[-1]
            out.append(Sum(total, match.group("num"), unit, name, tuple(parts),
                           Said(section, index, quote[start:].strip())))
    return out


def _clauses(body: str, unit: str) -> list[tuple[str, int, str]] | None:
    """The first item of each "；" clause: "资讯类共29条，其中…；机构类9条；…"."""
    clauses = [c for c in re.split(r"[；;]", body) if c.strip()]
    if len(clauses) < 2:
        return None
    parts = []
    for clause in clauses:
        item = _ITEM.match(clause.strip())
        if item is None or not _part(item, unit) or clause.strip()[item.end():].strip().startswith("等"):
            return None
        parts.append(_part(item, unit))
    return [p for p in parts if p is not None]


def _listed(body: str, unit: str) -> list[tuple[str, int, str]] | None:
    """The items between "、" or "，": each piece exactly one item in ``unit``, nothing after it ("等")."""
    parts = []
    for piece in (p.strip() for p in re.split(r"[、，,]", body)):
        if not piece:
            continue
        items = list(_ITEM.finditer(piece))
        if len(items) != 1 or items[0].end() != len(piece) or items[0].start() != 0:
            return None
        part = _part(items[0], unit)
        if part is None:
            return None
        parts.append(part)
    return parts


def _part(item: re.Match[str], unit: str) -> tuple[str, int, str] | None:
    number = to_int(item.group("num"))
    if item.group("unit") != unit or number is None:
        return None
    return (item.group("name").strip(), number, item.group("num"))
