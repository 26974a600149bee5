"""The sample report (tests/data/xiaolou-2020.txt, copied from its web page) in the other forms a
report is published in: a web page as a CMS or Word writes it, and a Word file.

The forms are built here from one description — the sample's paragraphs and its tables as the
official format draws them, with merged cells — so that a test can compare what xlcheck finds in
each form. Options add the mess real pages contain.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE = Path(__file__).parent / "data" / "xiaolou-2020.txt"


@dataclass
class Cell:
    text: str
    rows: int = 1
    cols: int = 1


Row = list[Cell]


def sample_paragraphs() -> dict[str, list[str]]:
    """The sample's paragraphs, by the section they stand in ("" before 一, then 一 … 六)."""
    out: dict[str, list[str]] = {"": []}
    section = ""
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        if "\t" in line or not line.strip():
            continue
        text = line.strip()
        if text[:2] in ("一、", "二、", "三、", "四、", "五、", "六、") and len(text) < 40:
            section = text[0]
            out[section] = [text]
            continue
        out[section].append(text)
    return out


T3_COLS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
T3_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T3_RESULTS = [
    ("（三）不予公开", ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
                  "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项"]),
    ("（四）无法提供", ["1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确"]),
    ("（五）不予处理", ["1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
                  "5.要求行政机关确认或重新出具已获取信息"]),
]


def sample_values() -> dict[str, list[str]]:
    """Table 三's rows as published in the sample: label -> seven values."""
    zeros = ["0"] * 7
    one = ["1", "0", "0", "0", "0", "0", "1"]
    rows = {"一、本年新收政府信息公开申请数量": one, "二、上年结转政府信息公开申请数量": zeros, "（一）予以公开": one,
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": zeros}
    for _, subs in T3_RESULTS:
        rows.update((s, zeros) for s in subs)
    rows.update({"（六）其他处理": zeros, "（七）总计": zeros, "四、结转下年度继续办理": zeros})
    return rows


def table2() -> list[Row]:
    rows: list[Row] = []
    blocks = [
        ("第二十条第（一）项", ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
         [("规章", "0", "0", "0"), ("规范性文件", "0", "0", "0")]),
        ("第二十条第（五）项", ("上一年项目数量", "本年增/减", "处理决定数量"),
         [("行政许可", "6", "0", "25"), ("其他对外管理服务事项", "307", "0", "4261")]),
        ("第二十条第（六）项", ("上一年项目数量", "本年增/减", "处理决定数量"),
         [("行政处罚", "5", "0", "7"), ("行政强制", "14", "0", "0")]),
        ("第二十条第（八）项", ("上一年项目数量", "本年增/减"), [("行政事业性收费", "7", "0")]),
        ("第二十条第（九）项", ("采购项目数量", "采购总金额"), [("政府集中采购", "25", "426796元")]),
    ]
    for heading, columns, body in blocks:
        rows.append([Cell(heading, cols=4)])
        rows.append([Cell("信息内容"), *(Cell(c, cols=4 - len(columns) if i == len(columns) - 1 else 1)
                                      for i, c in enumerate(columns))])
        for label, *values in body:
            rows.append([Cell(label), *(Cell(v, cols=4 - len(columns) if i == len(columns) - 1 else 1)
                                        for i, v in enumerate(values))])
    return rows


def table3_header() -> list[Row]:
    return [
        [Cell(T3_CORNER, rows=3, cols=3), Cell("申请人情况", cols=7)],
        [Cell("自然人", rows=2), Cell("法人或其他组织", cols=5), Cell("总计", rows=2)],
        [Cell(c) for c in T3_COLS[1:6]],
    ]


def table3(values: dict[str, list[str]], *, split_after: str | None = None) -> list[list[Row]]:
    """Table 三 as one table, or as two (a page break after row ``split_after``: the header repeated,
    the labels merged over the break left empty in the second part)."""
    parts: list[list[Row]] = [table3_header()]
    result_rows = 2 + sum(len(s) for _, s in T3_RESULTS) + 2

    def vals(label: str) -> list[Cell]:
        return [Cell(v) for v in values[label]]

    body: list[tuple[Row, list[str]]] = []  # row, and the parent labels it continues under
    body.append(([Cell("一、本年新收政府信息公开申请数量", cols=3), *vals("一、本年新收政府信息公开申请数量")], []))
    body.append(([Cell("二、上年结转政府信息公开申请数量", cols=3), *vals("二、上年结转政府信息公开申请数量")], []))
    body.append(([Cell("三、本年度办理结果", rows=result_rows), Cell("（一）予以公开", cols=2),
                  *vals("（一）予以公开")], []))
    label2 = "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    body.append(([Cell(label2, cols=2), *vals(label2)], ["三"]))
    for parent, subs in T3_RESULTS:
        for i, sub in enumerate(subs):
            lead = [Cell(parent, rows=len(subs))] if i == 0 else []
            body.append(([*lead, Cell(sub), *vals(sub)], ["三"] + ([] if i == 0 else [parent])))
    body.append(([Cell("（六）其他处理", cols=2), *vals("（六）其他处理")], ["三"]))
    body.append(([Cell("（七）总计", cols=2), *vals("（七）总计")], ["三"]))
    body.append(([Cell("四、结转下年度继续办理", cols=3), *vals("四、结转下年度继续办理")], []))
    split = next((i for i, (row, _) in enumerate(body) if any(c.text == split_after for c in row)), None)
    if split is None:
        parts[0].extend(row for row, _ in body)
        return parts
    first, second = body[: split + 1], body[split + 1:]
    parts[0].extend(_cut(row, len(first) - k) for k, (row, _) in enumerate(first))
    tail = table3_header()
    for k, (row, continued) in enumerate(second):
        # a cell merged over the break: Word starts the second part with empty cells in its place
        pad = [Cell("") for _ in continued] if k == 0 or continued else []
        tail.append([*pad, *row] if k == 0 else [*([Cell("")] * 0), *row])
    parts.append(_restart(tail, len(table3_header())))
    return parts


def _cut(row: Row, left: int) -> Row:
    """A row in the first part of a broken table: cells may not span past its end."""
    return [Cell(c.text, min(c.rows, left), c.cols) for c in row]


def _restart(rows: list[Row], header: int) -> list[Row]:
    """The second part of a broken table: the parents merged over the break start again as empty
    cells spanning the rest of their rows."""
    first = rows[header]
    blanks = [c for c in first if c.text == ""]
    if not blanks:
        return rows
    remaining = len(rows) - header
    labels = [c for c in first if c.text != ""]
    # 三 spans every remaining result row but 四; a sub-block parent spans its own remaining rows
    fixed = [Cell("", rows=remaining - 1)] + [Cell("", rows=_left_in_block(rows, header))] * (len(blanks) - 1)
    rows[header] = [*fixed, *labels]
    return rows


def _left_in_block(rows: list[Row], header: int) -> int:
    n = 0
    for row in rows[header:]:
        if n and len([c for c in row if c.text and not c.text[0].isdigit()]) > 0:
            break
        n += 1
    return n


def table4(stacked: bool = True) -> list[Row]:
    subs = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")

    def label(text: str) -> Cell:
        return Cell("\n".join(text) if stacked else text)

    return [
        [Cell("行政复议", cols=5, rows=2), Cell("行政诉讼", cols=10)],
        [Cell("未经复议直接起诉", cols=5), Cell("复议后起诉", cols=5)],
        [label(s) for s in subs * 3],
        [Cell("0") for _ in range(15)],
    ]


Block = tuple[str, object]


def blocks(*, split: bool = True, paragraphs: dict[str, list[str]] | None = None,
           values: dict[str, list[str]] | None = None) -> list[Block]:
    """The sample report as ("p", text) and ("table", rows) blocks."""
    paras = paragraphs or sample_paragraphs()
    out: list[Block] = [("p", t) for t in paras[""]]
    for section in "一二三四五六":
        texts = paras.get(section, [])
        out.extend(("p", t) for t in texts[:1])
        if section == "二":
            out.append(("table", table2()))
        elif section == "三":
            parts = table3(values or sample_values(), split_after="7.属于行政执法案卷" if split else None)
            out.extend(("table", p) for p in parts)
        elif section == "四":
            out.append(("table", table4()))
        out.extend(("p", t) for t in texts[1:])
    return out


# ── a web page ───────────────────────────────────────────────────────────────────────────────────
def to_html(items: Sequence[Block], *, charset: str = "utf-8", word: bool = True, nbsp: bool = True,
            script: bool = True) -> bytes:
    """A page as Word's "save as web page" or a CMS editor writes it: every paragraph in styled spans,
    conditional comments, a script, cells padded with &nbsp;."""
    head = (f'<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
            f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            '<title>年度报告</title><style>p.MsoNormal{margin:0}</style>'
            + ('<script>document.write("<p>不应读到的脚本文字 共5条，其中甲3条、乙3条</p>")</script>' if script else "")
            + '</head><body>')
    parts = [head, "<!--[if gte mso 9]><xml><w:WordDocument>共9条，其中甲1条、乙1条</w:WordDocument></xml><![endif]-->"]
    for kind, content in items:
        if kind == "p":
            text = html.escape(str(content))
            if word:
                mid = len(text) // 2
                text = (f'<span style="font-size:16pt;font-family:仿宋_GB2312">{text[:mid]}</span>'
                        f'<span lang=EN-US style="font-family:仿宋_GB2312">{text[mid:]}<o:p></o:p></span>')
            parts.append(f'<p class=MsoNormal style="text-indent:32pt">{text}</p>\n')
        else:
            parts.append('<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0>')
            for row in content:  # type: ignore[attr-defined]
                parts.append("<tr>")
                for cell in row:
                    span = (f' rowspan={cell.rows}' if cell.rows > 1 else "") + (
                        f' colspan="{cell.cols}"' if cell.cols > 1 else "")
                    text = "<br>".join(html.escape(line) for line in cell.text.split("\n"))
                    if nbsp:
                        text = f"&nbsp;{text}&nbsp;" if text else "&nbsp;"
                    if word:
                        text = f'<p class=MsoNormal align=center><span style="font-size:10.5pt">{text}</span></p>'
                    parts.append(f"<td{span} valign=top>{text}</td>")
                parts.append("</tr>\n")
            parts.append("</table><p class=MsoNormal>&nbsp;</p>\n")
    parts.append("</body></html>")
    return "".join(parts).encode("gb18030" if charset.lower() in ("gbk", "gb2312") else charset)


def to_mhtml(page: bytes, charset: str = "utf-8") -> bytes:
    """Word's "single file web page": the page as the quoted-printable HTML part of a MIME archive."""
    import quopri

    body = quopri.encodestring(page).decode("ascii")
    return ("MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"----=_NextPart_01\"\r\n\r\n"
            "------=_NextPart_01\r\nContent-Location: file:///C:/report.htm\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n"
            f"Content-Type: text/html; charset=\"{charset}\"\r\n\r\n{body}\r\n"
            "------=_NextPart_01--\r\n").encode("ascii")


def to_export_table(items: Sequence[Block], charset: str = "gbk") -> bytes:
    """A form system's "export to Excel": the whole report as one HTML table, the title, headings
    and narrative as rows of one cell spanning it (saved as .xls)."""
    width = max(sum(c.cols for c in row) for kind, rows in items if kind == "table" for row in rows)  # type: ignore[union-attr]
    out = ['<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head>'
           f'<meta http-equiv=Content-Type content="text/html; charset={charset}"><!--[if gte mso 9]><xml>'
           "<x:ExcelWorkbook><x:ExcelWorksheets><x:ExcelWorksheet><x:Name>Sheet1</x:Name></x:ExcelWorksheet>"
           "</x:ExcelWorksheets></x:ExcelWorkbook></xml><![endif]--></head><body><table border=1>"]
    for kind, content in items:
        if kind == "p":
            out.append(f"<tr><td colspan={width}>{html.escape(str(content))}</td></tr>\n")
            continue
        for row in content:  # type: ignore[attr-defined]
            cells = "".join(f"<td{f' rowspan={c.rows}' if c.rows > 1 else ''}"
                            f"{f' colspan={c.cols}' if c.cols > 1 else ''}>{html.escape(c.text)}</td>" for c in row)
            out.append(f"<tr>{cells}</tr>\n")
    out.append("</table></body></html>")
    return "".join(out).encode("gb18030" if charset.lower() in ("gbk", "gb2312") else charset)


def to_excel_mhtml(sheets: Sequence[Sequence[Block]], charset: str = "gbk") -> bytes:
    """Excel's "single file web page" of a workbook: a frameset page, then one page per sheet and
    the tab strip linking them, each a quoted-printable part."""
    import quopri

    enc = "gb18030" if charset.lower() in ("gbk", "gb2312") else charset
    frames = ('<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta name=ProgId '
              'content=Excel.Sheet></head><frameset rows="*,39"><frame src="r.files/sheet001.htm" name="frSheet">'
              '<frame src="r.files/tabstrip.htm" name="frTabs"></frameset></html>').encode(enc)
    tabs = "".join(f'<a href="sheet{i:03}.htm" target="frSheet">Sheet{i}</a> ' for i in range(1, len(sheets) + 1))
    parts = [("r.htm", "text/html", frames)]
    parts += [(f"r.files/sheet{i:03}.htm", "text/html", to_html(items, charset=charset, word=False, script=False))
              for i, items in enumerate(sheets, 1)]
    parts += [("r.files/tabstrip.htm", "text/html", f"<html><body>{tabs}</body></html>".encode(enc)),
              ("r.files/filelist.xml", "text/xml", b'<xml><o:File HRef="sheet001.htm"/></xml>')]
    out = ["MIME-Version: 1.0\r\nX-Document-Type: Workbook\r\n"
           "Content-Type: multipart/related; boundary=\"----=_NextPart_XL\"\r\n\r\n"]
    for location, kind, data in parts:
        body = quopri.encodestring(data).decode("ascii")
        out.append(f"------=_NextPart_XL\r\nContent-Location: file:///C:/{location}\r\n"
                   f"Content-Transfer-Encoding: quoted-printable\r\nContent-Type: {kind}; charset=\"{charset}\"\r\n"
                   f"\r\n{body}\r\n")
    out.append("------=_NextPart_XL--\r\n")
    return "".join(out).encode("ascii")


# ── a Word file ──────────────────────────────────────────────────────────────────────────────────
def to_docx(items: Sequence[Block], path: Path) -> Path:
    """A .docx with python-docx: paragraphs split into runs, tables with merged cells."""
    import docx

    document = docx.Document()
    for kind, content in items:
        if kind == "p":
            text = str(content)
            paragraph = document.add_paragraph()
            mid = len(text) // 2
            paragraph.add_run(text[:mid]).bold = text.startswith(("一、", "二、", "三、", "四、", "五、", "六、"))
            paragraph.add_run(text[mid:])
            continue
        placed, width = positions(content)  # type: ignore[arg-type]
        table = document.add_table(rows=len(content), cols=width)  # type: ignore[arg-type]
        table.style = "Table Grid"
        for r, c, cell in placed:
            target = table.cell(r, c)
            if cell.rows > 1 or cell.cols > 1:
                target = target.merge(table.cell(r + cell.rows - 1, c + cell.cols - 1))
            lines = cell.text.split("\n")
            target.text = lines[0]
            for line in lines[1:]:
                target.add_paragraph(line)
        document.add_paragraph("")
    document.save(str(path))
    return path


def positions(rows: list[Row]) -> tuple[list[tuple[int, int, Cell]], int]:
    """Each cell's visual (row, column), merged cells taking the positions they cover; and the width."""
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            placed.append((r, c, cell))
            taken.update((r + dr, c + dc) for dr in range(cell.rows) for dc in range(cell.cols))
            c += cell.cols
    return placed, max((c for _, c in taken), default=-1) + 1


# ── a PDF ────────────────────────────────────────────────────────────────────────────────────────
PDF = Path(__file__).parent / "data" / "xiaolou-2020.pdf"


def make_pdf(target: Path = PDF) -> Path:
    """The committed text-layer PDF fixture: the page above printed by headless Chromium, as a browser's
    "print to PDF" makes it (run ``python tests/published_forms.py`` to rebuild it)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_bytes(to_html(blocks(), script=False))
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", f"--print-to-pdf={target}",
                        page.as_uri()], check=True, capture_output=True, timeout=120)
    return target


if __name__ == "__main__":
    print(make_pdf())


# ── any consistent report, in either format ──────────────────────────────────────────────────────
def report_blocks(fmt: str, values: dict[str, float], *, year: int, overview: Sequence[str] = (),
                  split: bool = True) -> list[Block]:
    """A whole report of format ``fmt`` with ``values`` (corpus field keys), its narrative short, its
    tables as the official format draws them."""
    import corpus

    def show(key: str) -> str:
        value = values.get(key, 0)
        return str(int(value)) if float(value).is_integer() else str(value)

    t2: list[Row] = []
    for block in corpus.T2_BLOCKS_2019 if fmt == "2019" else corpus.T2_BLOCKS_2021:
        wide = corpus.T2_WIDTH - len(block.cols)  # the last value spans what is left of the four columns
        t2.append([Cell(block.heading, cols=corpus.T2_WIDTH)])
        t2.append([Cell("信息内容"), *(Cell(label, cols=1 + (wide if i == len(block.cols) - 1 else 0))
                                    for i, (_, label) in enumerate(block.cols))])
        for row_key, row_label in block.rows:
            t2.append([Cell(row_label), *(Cell(show(f"t2.{block.key}.{row_key}.{col}"),
                                               cols=1 + (wide if i == len(block.cols) - 1 else 0))
                                          for i, (col, _) in enumerate(block.cols))])
    results = corpus.T3_RESULT_ROWS_2019 if fmt == "2019" else corpus.T3_RESULT_ROWS_2021
    cols = [key for key, _ in corpus.T3_COLS]

    def vals(row: str) -> list[Cell]:
        return [Cell(show(f"t3.{row}.{col}")) for col in cols]

    body: list[Row] = [[Cell(label, cols=3), *vals(key)] for key, label in corpus.T3_HEAD_ROWS]
    groups: dict[str, int] = {}
    for _key, group, _label in results:
        if group:
            groups[group] = groups.get(group, 0) + 1
    seen: set[str] = set()
    for i, (key, group, label) in enumerate(results):
        lead = [Cell(corpus.T3_RESULTS_LABEL, rows=len(results))] if i == 0 else []
        if group is None:
            body.append([*lead, Cell(label, cols=2), *vals(key)])
        else:
            parent = [Cell(group, rows=groups[group])] if group not in seen else []
            seen.add(group)
            body.append([*lead, *parent, Cell(label), *vals(key)])
    body.extend([Cell(label, cols=3), *vals(key)] for key, label in corpus.T3_TAIL_ROWS)
    t3 = [table3_header(), body]
    if split:  # broken after the eighth result row, as a page break breaks it; the header repeated
        cut = 2 + 8
        first, second = body[:cut], body[cut:]
        left = len(results) - 8
        second[0] = [Cell("", rows=left), Cell("", rows=groups["（三）不予公开"] - 6), *second[0]]
        t3 = [table3_header() + [_cut(r, cut - k) for k, r in enumerate(first)], table3_header() + second]
    else:
        t3 = [table3_header() + body]
    t4 = table4()
    t4[-1] = [Cell(show(f"t4.{g}.{s}")) for g, _ in corpus.T4_GROUPS for s, _ in corpus.T4_SUBS]
    out: list[Block] = [("p", "示例市示例区人民政府"), ("p", f"示例区人民政府{year}年政府信息公开工作年度报告"),
                        ("p", "一、总体情况"), *(("p", t) for t in overview), ("p", "二、主动公开政府信息情况"),
                        ("table", t2), ("p", "三、收到和处理政府信息公开申请情况"), *(("table", t) for t in t3),
                        ("p", "四、政府信息公开行政复议、行政诉讼情况"), ("table", t4),
                        ("p", "五、存在的主要问题及改进情况"), ("p", "一是主动公开的范围有待拓展。下一步将加强培训。"),
                        ("p", "六、其他需要报告的事项"), ("p", "本年度未收取信息处理费。")]
    return out


def to_text(items: Sequence[Block]) -> bytes:
    """What Chromium's copy of the page puts on the clipboard: a table row's cells joined by tabs, a
    merged cell followed by an empty cell for every further position it covers."""
    lines: list[str] = []
    for kind, content in items:
        if kind == "p":
            lines.extend(["", str(content), ""])
            continue
        placed, width = positions(content)  # type: ignore[arg-type]
        grid = {(r, c): cell.text.replace("\n", "") for r, c, cell in placed}
        for r in range(len(content)):  # type: ignore[arg-type]
            lines.append("\t".join(grid.get((r, c), "") for c in range(width)))
        lines.append("")
    return "\n".join(lines).encode("utf-8")
