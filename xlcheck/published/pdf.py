"""PDFs with a text layer, read with pdfplumber: ruled tables as tables, every other line of text as
a paragraph, in the order they stand on the page. A scanned PDF (pages as images, no text) is refused
with a message saying so: reading it would take OCR, which guesses."""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

from .model import Block, Paragraph, ReadError, Table

# a space the text layer puts between two characters of one word ("20 20年", "政府 信息")
_INNER_SPACE = re.compile(r"(?<=[\u2e80-\u9fff\uff00-\uffef\d])[ \u3000]+(?=[\u2e80-\u9fff\uff00-\uffef\d])")
_NO_TEXT = ("PDF 没有文字层（多为扫描件，页面是图片），无法读取其中的表格和文字；请提供网页版、Word 版，"
            "或带文字的 PDF (no text layer: a scanned PDF)")


# radicals that PDF fonts map simplified characters to and that NFKC leaves alone
_RADICALS = str.maketrans("⺠⻓⻔⻢⻅⻛⻚⻋⻉⻜⻆⻄⺟⻩⻬⻮⻳⻰⻥⻦⻝⻙⻘⻈⻊⻖⻓⺁⺇⺌⺍⺝⺮⺶⺸",
                          "民长门马见风页车贝飞角西母黄齐齿龟龙鱼鸟饣韦青讠订阝长厂几小小月竹羊羊")


def clean(text: str) -> str:
    """Text as a PDF's text layer holds it, made comparable: Kangxi radicals (⼈ for 人, common in
    PDFs that embed CJK fonts) folded to the ideographs, spaces inside words dropped."""
    folded = "".join(unicodedata.normalize("NFKC", ch) if "\u2f00" <= ch <= "\u2fdf" else ch for ch in text)
    return _INNER_SPACE.sub("", folded.translate(_RADICALS)).strip()


#: a PDF still being read after this many seconds is given up (a page of a report takes about one)
MAX_SECONDS = 180.0


def read_pdf(name: str, base: str, max_pages: int) -> list[Block]:
    try:
        import pdfplumber
    except ImportError:
        raise ReadError(f"{base}：读取 PDF 需要安装 pdfplumber：pip install 'xlcheck[published]' "
                        "(pdfplumber is not installed)") from None
    # pdfminer logs a warning for every glyph of a font without a bounding box
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    import time

    blocks: list[Block] = []
    chars = 0
    started = time.monotonic()
    try:
        with pdfplumber.open(name) as pdf:
            for page in pdf.pages[:max_pages]:
                if time.monotonic() - started > MAX_SECONDS:
                    raise ReadError(f"{base}：PDF 读取超过 {MAX_SECONDS:.0f} 秒仍未完成，不像是一份年度报告，已停止 "
                                    f"(still reading after {MAX_SECONDS:.0f} s, above the bound)")
                chars += len(page.chars)
                blocks.extend(_page(page))
    except ReadError:
        raise
    except Exception as exc:  # pdfminer raises many types for a damaged or encrypted file
        text = str(exc) or type(exc).__name__
        if "password" in text.lower() or "encrypt" in text.lower():
            raise ReadError(f"{base}：PDF 设有密码，无法读取 (password-protected)") from None
        raise ReadError(f"{base}：无法读取 PDF，文件可能已损坏 "
                        f"(cannot read: {type(exc).__name__}: {text[:160]})") from None
    if chars == 0:
        raise ReadError(f"{base}：{_NO_TEXT}")
    return blocks


def _page(page: Any) -> list[Block]:
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]
    placed: list[tuple[float, Block]] = []
    for table in tables:
        rows = [[clean(cell or "") for cell in row] for row in table.extract()]
        rows = [r for r in rows if any(r)]
        if rows:
            placed.append((table.bbox[1], Table(rows)))
    outside = [ch for ch in page.chars if not any(
        x0 <= (ch["x0"] + ch["x1"]) / 2 <= x1 and top <= (ch["top"] + ch["bottom"]) / 2 <= bottom
        for x0, top, x1, bottom in boxes)]
    for top, text in _lines(outside):
        if text := clean(text):
            placed.append((top, Paragraph(text)))
    placed.sort(key=lambda item: item[0])
    return [block for _, block in placed]


def _lines(chars: list[dict[str, Any]]) -> list[tuple[float, str]]:
    """Characters grouped into lines by the height they overlap, not by equal tops: digits set in a
    Latin font sit a little higher or lower than the Chinese text around them."""
    lines: list[tuple[float, float, list[dict[str, Any]]]] = []
    for ch in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        middle = (ch["top"] + ch["bottom"]) / 2
        if lines and lines[-1][0] <= middle <= lines[-1][1]:
            lines[-1][2].append(ch)
        else:
            lines.append((ch["top"], ch["bottom"], [ch]))
    out = []
    for top, _bottom, members in lines:
        members.sort(key=lambda c: c["x0"])
        text, last = "", None
        for ch in members:
            if last is not None and ch["x0"] - last["x1"] > 0.6 * max(ch["size"], 1):
                text += " "
            text += ch["text"]
            last = ch
        out.append((top, text))
    return out
