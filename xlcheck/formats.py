"""The two official formats of the report tables (国办公开办函〔2019〕60号 and 〔2021〕30号), as data.

Labels are verbatim from the official tables; the locator matches them after ``labels.normalize``.
"""

from __future__ import annotations

from .layout import Block, Column, Layout, Row, Table

# ── 表二 主动公开政府信息情况 ────────────────────────────────────────────────────────────────
_T2_TITLE = "二、主动公开政府信息情况"
_INFO = "信息内容"


def _block(key: str, heading: str, columns: tuple[Column, ...], rows: tuple[Row, ...],
           merged: bool = False) -> Block:
    return Block(key, columns, rows, heading=heading, label_header=_INFO, merged_value=merged)


_PREV_CHANGE = (Column("prev_items", "上一年项目数量"), Column("change", "本年增/减", kind="signed"))

T2_2019 = Table("t2", _T2_TITLE, "二", (
    _block("art20_1", "第二十条第（一）项",
           (Column("made", "本年新制作数量"), Column("published", "本年新公开数量"),
            Column("total_public", "对外公开总数量")),
           (Row("regulations", "规章"), Row("normative", "规范性文件"))),
    _block("art20_5", "第二十条第（五）项", (*_PREV_CHANGE, Column("decisions", "处理决定数量")),
           (Row("licensing", "行政许可"), Row("other_services", "其他对外管理服务事项"))),
    _block("art20_6", "第二十条第（六）项", (*_PREV_CHANGE, Column("decisions", "处理决定数量")),
           (Row("penalty", "行政处罚"), Row("enforcement", "行政强制"))),
    _block("art20_8", "第二十条第（八）项", _PREV_CHANGE, (Row("fees", "行政事业性收费"),)),
    _block("art20_9", "第二十条第（九）项",
           (Column("projects", "采购项目数量"), Column("amount", "采购总金额", kind="amount", unit="元")),
           (Row("procurement", "政府集中采购"),)),
))

_DECISIONS_2021 = (Column("decisions", "本年处理决定数量"),)
T2_2021 = Table("t2", _T2_TITLE, "二", (
    _block("art20_1", "第二十条第（一）项",
           (Column("made", "本年制发件数"), Column("repealed", "本年废止件数"), Column("in_force", "现行有效件数")),
           (Row("regulations", "规章"), Row("normative", "行政规范性文件"))),
    _block("art20_5", "第二十条第（五）项", _DECISIONS_2021, (Row("licensing", "行政许可"),), merged=True),
    _block("art20_6", "第二十条第（六）项", _DECISIONS_2021,
           (Row("penalty", "行政处罚"), Row("enforcement", "行政强制")), merged=True),
    _block("art20_8", "第二十条第（八）项",
           (Column("amount", "本年收费金额（单位：万元）", kind="amount", unit="万元"),),
           (Row("fees", "行政事业性收费"),), merged=True),
))

# ── 表三 收到和处理政府信息公开申请情况 ──────────────────────────────────────────────────────────
_LEGAL = "法人或其他组织"
T3_COLUMNS = (
    Column("natural", "自然人"),
    Column("business", "商业企业", group=_LEGAL),
    Column("research", "科研机构", group=_LEGAL),
    Column("nonprofit", "社会公益组织", group=_LEGAL),
    Column("legal", "法律服务机构", group=_LEGAL),
    Column("other_org", "其他", group=_LEGAL),
    Column("total", "总计"),
)
_RESULTS = "三、本年度办理结果"


def _sub(prefix: str, parent: str, items: tuple[str, ...]) -> tuple[Row, ...]:
    short_parent = parent[:parent.index("）") + 1]
    return tuple(Row(f"{prefix}_{i}", f"{i}.{text}", (_RESULTS, parent), f"三{short_parent}{i}.{text}")
                 for i, text in enumerate(items, 1))


def _t3_rows(other: tuple[Row, ...]) -> tuple[Row, ...]:
    return (
        Row("new", "一、本年新收政府信息公开申请数量", short="一、本年新收申请数量"),
        Row("carried_over", "二、上年结转政府信息公开申请数量", short="二、上年结转申请数量"),
        Row("public", "（一）予以公开", (_RESULTS,), "三（一）予以公开"),
        Row("partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", (_RESULTS,), "三（二）部分公开"),
        *_sub("withheld", "（三）不予公开", (
            "属于国家秘密", "其他法律行政法规禁止公开", "危及“三安全一稳定”", "保护第三方合法权益",
            "属于三类内部事务信息", "属于四类过程性信息", "属于行政执法案卷", "属于行政查询事项")),
        *_sub("unavailable", "（四）无法提供", (
            "本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确")),
        *_sub("unprocessed", "（五）不予处理", (
            "信访举报投诉类申请", "重复申请", "要求提供公开出版物", "无正当理由大量反复申请",
            "要求行政机关确认或重新出具已获取信息")),
        *other,
        Row("total", "（七）总计", (_RESULTS,), "三（七）总计"),
        Row("carry_forward", "四、结转下年度继续办理"),
    )


_T3_TITLE = "三、收到和处理政府信息公开申请情况"
_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
_OTHER_2019 = Row("other", "（六）其他处理", (_RESULTS,), "三（六）其他处理")
T3_2019 = Table("t3", _T3_TITLE, "三", (Block("", T3_COLUMNS, _t3_rows((_OTHER_2019,))),),
                corner=_CORNER, header="申请人情况")
T3_2021 = Table("t3", _T3_TITLE, "三", (Block("", T3_COLUMNS, _t3_rows(_sub("other", "（六）其他处理", (
    "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "其他"))), legacy=(_OTHER_2019,)),), corner=_CORNER, header="申请人情况")

# ── 表四 政府信息公开行政复议、行政诉讼情况 ───────────────────────────────────────────────────────
_OUTCOMES = (("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"),
             ("pending", "尚未审结"), ("total", "总计"))
T4_GROUPS = (("review", "行政复议", ""), ("direct", "未经复议直接起诉", "行政诉讼"),
             ("after", "复议后起诉", "行政诉讼"))
T4 = Table("t4", "四、政府信息公开行政复议、行政诉讼情况", "四", (Block("", tuple(
    Column(f"{group}.{key}", label, group=group_label, supergroup=supergroup)
    for group, group_label, supergroup in T4_GROUPS for key, label in _OUTCOMES), (Row("", ""),)),))

FORMAT_2019 = Layout("2019", "国办公开办函〔2019〕60号", 2019, 2020, (T2_2019, T3_2019, T4),
                     foreign_labels=("本年制发件数", "本年废止件数", "现行有效件数", "行政规范性文件",
                                     "本年处理决定数量", "本年收费金额（单位：万元）"))
FORMAT_2021 = Layout("2021", "国办公开办函〔2021〕30号", 2021, None, (T2_2021, T3_2021, T4),
                     foreign_labels=("政府集中采购", "其他对外管理服务事项", "本年新制作数量",
                                     "上一年项目数量", "采购项目数量", "采购总金额"))

OFFICIAL_LAYOUTS = (FORMAT_2019, FORMAT_2021)
