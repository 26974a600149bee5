"""广东省 overlay on the national baseline: the cover information the province collects with every
report, "数据精确、格式规范" (a blank value cell is an error, not a warning), and T2-LVL switched on
using the cover's 行政层级. See README.md beside this file for where each requirement comes from."""

from __future__ import annotations

from xlcheck import Rule, RuleSet, Severity, hookimpl
from xlcheck.rules import LabeledField
from xlcheck_national import LEVELS

__version__ = "0.1.0"

COVER = (
    LabeledField("unit_name", "填报单位", "单位全称，与公章一致"),
    LabeledField("level", "行政层级", "从下拉列表中选择", choices=LEVELS),
    LabeledField("uscc", "统一社会信用代码", "18 位，见单位法人证书"),
    LabeledField("region", "行政区划代码", "6 位数字，广东省以 44 开头，如 440118"),
    LabeledField("contact", "联系人", ""),
    LabeledField("phone", "联系电话", "如 020-12345678 或 13800138000"),
)

_REQUIRED = {f.key: {"required": True, "empty": False} for f in COVER}


def _cover(**field_rules: dict[str, object]) -> dict[str, object]:
    return {"cover": {"type": "dict", "schema": field_rules}}


def _filled(**constraints: object) -> dict[str, object]:
    """Constraints on a cover field when it is filled in; a blank one is GD-COVER's to report."""
    return {"empty": True, **constraints}


RULES = (
    Rule("GD-COVER", Severity.ERROR,
         "封面信息齐全：填报单位、行政层级、统一社会信用代码、行政区划代码、联系人、联系电话",
         _cover(**_REQUIRED), message="封面信息“{field}”必须填写"),
    Rule("GD-LEVEL", Severity.ERROR, "行政层级从规定的选项中选择", _cover(level=_filled(allowed=list(LEVELS))),
         message="行政层级“{value}”不在规定的选项中，请从以下选项中选择：{constraint}"),
    Rule("GD-USCC", Severity.ERROR, "统一社会信用代码为 18 位，且校验码正确（GB 32100-2015）",
         _cover(uscc=_filled(regex=r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}", xl_checksum="uscc")),
         message="统一社会信用代码“{value}”不正确：应为 18 位，最后一位校验码要与前 17 位相符"),
    Rule("GD-REGION", Severity.ERROR, "行政区划代码为 6 位数字，以 44（广东省）开头",
         _cover(region=_filled(regex=r"44\d{4}")),
         message="行政区划代码“{value}”不正确：广东省的行政区划代码是以 44 开头的 6 位数字"),
    Rule("GD-PHONE", Severity.WARNING, "联系电话为固定电话（区号-号码）或 11 位手机号码",
         _cover(phone=_filled(regex=r"(0\d{2,3}-?\d{7,8}(-\d{1,6})?|1\d{10})")),
         message="联系电话“{value}”的格式不对：应为“区号-号码”或 11 位手机号码"),
)


@hookimpl
def xlcheck_rulesets() -> list[RuleSet]:
    return [RuleSet(
        "guangdong", "广东省（在全国基线之上）", RULES, extends="national", fields=COVER,
        overrides={
            # 数据精确、格式规范: a blank or "/" in a value cell must be corrected before submission
            "D2": {"severity": "error"},
            # the cover block gives the level that T2-LVL needs
            "T2-LVL": {"enabled": True},
        })]
