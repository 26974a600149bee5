"""The national baseline: the consistency rules every report must meet (国办公开办函〔2019〕60号,
〔2021〕30号), registered through the same hooks and entry-point group as any third-party plugin."""

from __future__ import annotations

from xlcheck import RuleSet, hookimpl
from xlcheck.findings import Severity
from xlcheck.rules import Rule

__version__ = "0.1.0"

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

T3_COLS = ["natural", "business", "research", "nonprofit", "legal", "other_org", "total"]
T3_APPLICANTS = [f"t3.{{row}}.{col}" for col in T3_COLS[:-1]]
T3_RESULTS = ["public", "partial", *(f"withheld_{i}" for i in range(1, 9)),
              *(f"unavailable_{i}" for i in range(1, 4)), *(f"unprocessed_{i}" for i in range(1, 6)),
              "other", *(f"other_{i}" for i in range(1, 4))]
T3_ROWS = ["new", "carried_over", *T3_RESULTS, "total", "carry_forward"]
T4_GROUPS = ["review", "direct", "after"]

#: 行政层级: who may make 规章 (《立法法》: State Council departments, provinces, districted cities,
#: autonomous prefectures) and who may not. Provincial plugins read the level from their cover block.
RULE_MAKING_LEVELS = ("国务院部门", "省级人民政府", "设区的市级人民政府", "自治州人民政府")
OTHER_LEVELS = ("县级人民政府", "乡镇人民政府（街道办事处）", "省级政府部门", "市级政府部门", "县级政府部门")
LEVELS = RULE_MAKING_LEVELS + OTHER_LEVELS

#: D4: from how many 万元 a year's fees look like they were typed in 元, by 行政层级 (a unit of unknown
#: level is judged as a township). A province-wide or city-wide total of 24252.31 万元 is plausible.
FEE_THRESHOLDS: dict[str, float | None] = {
    "乡镇人民政府（街道办事处）": 10000, "县级人民政府": 100000, "县级政府部门": 100000,
    "市级政府部门": 1000000, "设区的市级人民政府": 1000000, "自治州人民政府": 1000000,
    "省级政府部门": 10000000, "省级人民政府": 10000000, "国务院部门": 10000000,
}


def fee_magnitude_rule(by_level: dict[str, float | None] | None = None, *, at_least: float = 10000,
                       replaces: str = "") -> Rule:
    """D4 with thresholds of one's own: a provincial set tunes them with
    ``fee_magnitude_rule({...}, replaces="D4")`` in its rules (None: no limit for that level)."""
    return Rule("D4", WARNING, "2021 版本年收费金额以万元为单位，按单位的行政层级判断，过大的数可能是按元填写的",
                {"values": {"xl_values": {"check": "magnitude", "fields": ["t2.art20_8.fees.amount"],
                                          "at_least": at_least,
                                          "by_level": dict(FEE_THRESHOLDS if by_level is None else by_level)}}},
                formats=("2021",), replaces=replaces)

RULES = (
    Rule("S1", ERROR, "报告年度与表格格式一致：2020 年及以前用 2019 版，2021 年起用 2021 版；不混用两版的栏目",
         {"meta": {"xl_format_year": True}, "issues": {"xl_structure": "S1"}}),
    Rule("S2", ERROR, "标准格式的每一行、每一列都在，且没有格式以外的行（标签不规范时给出警告）",
         {"issues": {"xl_structure": "S2"}}),
    Rule("D1", ERROR, "数量填写不小于 0 的整数；本年增/减可为负整数；金额不小于 0，可有小数",
         {"values": {"xl_values": {"check": "count"}}}),
    Rule("D2", WARNING, "数据单元格不留空，不填“/”“—”“无”，没有数据填 0",
         {"values": {"xl_values": {"check": "blank"}}}),
    Rule("D3", WARNING, "数字不以文本形式填写，不用全角数字，不带单位（如“251000元”“5件”）",
         {"values": {"xl_values": {"check": "text"}}}),
    fee_magnitude_rule(),
    Rule("T3-ID", ERROR, "表三每列：一（本年新收）+ 二（上年结转）= 三（七）总计 + 四（结转下年度继续办理）",
         {"values": {"xl_compare": {"left": ["t3.new.{col}", "t3.carried_over.{col}"], "op": "==",
                                    "right": ["t3.total.{col}", "t3.carry_forward.{col}"],
                                    "each": {"col": T3_COLS}}}}),
    Rule("T3-RES", ERROR, "表三每列：（七）总计 = （一）至（六）各项办理结果之和",
         {"values": {"xl_compare": {"left": ["t3.total.{col}"], "op": "==",
                                    "right": [f"t3.{row}.{{col}}" for row in T3_RESULTS],
                                    "each": {"col": T3_COLS}, "name": "各办理结果"}}}),
    Rule("T3-ROW", ERROR, "表三每行：总计 = 自然人 + 商业企业 + 科研机构 + 社会公益组织 + 法律服务机构 + 其他",
         {"values": {"xl_compare": {"left": ["t3.{row}.total"], "op": "==", "right": T3_APPLICANTS,
                                    "each": {"row": T3_ROWS}, "name": "各类申请人"}}}),
    Rule("T4-SUM", ERROR, "表四每组：总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结",
         {"values": {"xl_compare": {"left": ["t4.{group}.total"], "op": "==",
                                    "right": [f"t4.{{group}}.{k}" for k in ("upheld", "corrected", "other",
                                                                            "pending")],
                                    "each": {"group": T4_GROUPS}, "name": "四项结果"}}}),
    Rule("T2-19a", ERROR, "表二（2019 版）第二十条第（一）项：对外公开总数量不小于本年新公开数量",
         {"values": {"xl_compare": {"left": ["t2.art20_1.{row}.total_public"], "op": ">=",
                                    "right": ["t2.art20_1.{row}.published"],
                                    "each": {"row": ["regulations", "normative"]}}}}, formats=("2019",)),
    Rule("T2-19b", ERROR, "表二（2019 版）：上一年项目数量 + 本年增/减 不小于 0",
         {"values": {"xl_compare": {"left": ["t2.{block}.{row}.prev_items", "t2.{block}.{row}.change"],
                                    "op": ">=", "right": 0,
                                    "each": {"block": ["art20_5", "art20_6", "art20_8"],
                                             "row": ["licensing", "other_services", "penalty", "enforcement",
                                                     "fees"]}}}}, formats=("2019",)),
    # Needs the unit's level (``meta.level``), which the national tables do not carry: it comes from
    # ``--roster``, ``check(level=...)`` or a provincial cover field 行政层级 (``cover.level``); without
    # one the rule stays silent.
    Rule("T2-LVL", WARNING,
         "县级及以下人民政府和政府部门（国务院部门除外）不制定规章，表二“规章”应为 0（需要行政层级）",
         {"values": {"xl_compare": {"left": ["t2.art20_1.regulations.{col}"], "op": "<=", "right": 0,
                                    "each": {"col": ["made", "published", "total_public", "repealed", "in_force"]},
                                    "when": {"meta.level": list(OTHER_LEVELS)},
                                    "note": "县级及以下人民政府和政府部门不制定规章"}}}),
    # Narrative rules: they read a published report's text (web page, Word, PDF, text), which a
    # workbook does not carry; on a workbook they stay silent.
    Rule("N1", ERROR, "正文“总体情况”所述本年新收、上年结转、办结、结转下年度的申请数与表三总计一致（已发布的报告）",
         {"narrative": {"xl_narrative": "N1"}}),
    Rule("N2", ERROR,
         "正文所述行政复议件数 = 表四复议总计，行政诉讼件数 = 直接起诉总计 + 复议后起诉总计（已发布的报告）",
         {"narrative": {"xl_narrative": "N2"}}),
    Rule("N3", ERROR, "正文中“共N条，其中A n1条、B n2条……”的各项之和等于所述总数，层层分列的也是（已发布的报告）",
         {"narrative": {"xl_narrative": "sums"}}),
    Rule("N4", WARNING, "正文所述规范性文件、行政许可、行政处罚、行政强制等数量与表二一致（已发布的报告）",
         {"narrative": {"xl_narrative": "N4"}}),
    Rule("N5", WARNING, "第五部分“存在的主要问题及改进情况”存在，且不为空、不只写“无”（已发布的报告）",
         {"narrative": {"xl_narrative": "problems"}}),
    # ── across years: run once the report is paired with last year's report of the same unit ──
    Rule("T3-XY", ERROR, "表三每列：本年“二、上年结转”= 上年报告“四、结转下年度继续办理”（需要上年报告）",
         {"previous": {"xl_compare": {"left": ["t3.carried_over.{col}"], "op": "==",
                                      "right": ["previous.t3.carry_forward.{col}"], "each": {"col": T3_COLS}}}}),
    Rule("T2-XY", WARNING,
         "表二：现行有效件数 = 上年现行有效件数 + 本年制发件数 − 本年废止件数（2021 版）；"
         "上一年项目数量 = 上年的上一年项目数量 + 上年的本年增/减（2019 版）（需要同版的上年报告）",
         {"previous": {"xl_compare": [
             {"left": ["t2.art20_1.{row}.in_force"], "op": "==",
              "right": ["previous.t2.art20_1.{row}.in_force", "t2.art20_1.{row}.made", "-t2.art20_1.{row}.repealed"],
              "each": {"row": ["regulations", "normative"]}, "when": {"meta.format": ["2021"],
                                                                      "previous.meta.format": ["2021"]},
              "note": "修订、失效、清理等也会改变现行有效件数，如有差异请核实并在报告中说明"},
             {"left": ["t2.{block}.{row}.prev_items"], "op": "==",
              "right": ["previous.t2.{block}.{row}.prev_items", "previous.t2.{block}.{row}.change"],
              "each": {"block": ["art20_5", "art20_6", "art20_8"],
                       "row": ["licensing", "other_services", "penalty", "enforcement", "fees"]},
              "when": {"meta.format": ["2019"], "previous.meta.format": ["2019"]},
              "note": "项目调整、统计口径变化也会造成差异，如有请核实说明"}]}}),
    Rule("XY-COPY", WARNING, "表二至表四的数据与上年报告完全相同：可能照抄了上年报告（内容雷同）",
         {"previous": {"xl_same": {"tables": ["t2", "t3", "t4"], "share": 1.0, "min_nonzero": 1}}}),
    Rule("XY-NONE", INFO, "找不到同一单位上一年度的报告，未做跨年度比对",
         {"pairing": {"xl_pairing": "missing"}}),
    Rule("XY-DUP", WARNING, "同一单位同一年度有两个以上的文件，无法确定用哪一个比对",
         {"pairing": {"xl_pairing": "duplicate"}}),
)


@hookimpl
def xlcheck_rulesets() -> list[RuleSet]:
    return [RuleSet("national", "全国基线（国务院办公厅政府信息与政务公开办公室统一格式）", RULES)]
