"""An example xlcheck plugin: adds one rule to the national baseline and tightens another."""

from xlcheck import Overlay, Rule, Severity, hookimpl

__version__ = "0.1.0"

T3_COLS = ["natural", "business", "research", "nonprofit", "legal", "other_org", "total"]

# 四 (carried into next year) can never exceed what there was to handle: 一 (new) + 二 (carried over).
CARRY = Rule(
    id="EX-CARRY",
    severity=Severity.ERROR,
    description="表三每列：四（结转下年度继续办理）不大于 一（本年新收）+ 二（上年结转）",
    schema={"values": {"xl_compare": {
        "left": ["t3.carry_forward.{col}"], "op": "<=",
        "right": ["t3.new.{col}", "t3.carried_over.{col}"],
        "each": {"col": T3_COLS},
    }}},
)


@hookimpl
def xlcheck_overlays():
    return [Overlay(
        target="national",
        rules=(CARRY,),
        # this office wants numbers typed as numbers: text numbers are errors here, not warnings
        overrides={"D3": {"severity": "error"}},
    )]
