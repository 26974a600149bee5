"""An example xlcheck plugin: adds one rule to the national baseline and tightens another."""

from xlcheck import Overlay, Rule, Severity, hookimpl

__version__ = "0.2.0"

# Every document made this year is either still in force at the year's end or was repealed during it,
# so 现行有效件数 + 本年废止件数 is at least 本年制发件数. The national baseline has no rule on this
# block of the 2021 table, so this one adds a check, not a second message for a finding it already has
# (`xlcheck plugins --check` warns about a rule the rules below already imply).
IN_FORCE = Rule(
    id="EX-INFORCE",
    severity=Severity.ERROR,
    description="表二（2021 版）第二十条第（一）项：现行有效件数 + 本年废止件数 不小于 本年制发件数",
    schema={"values": {"xl_compare": {
        "left": ["t2.art20_1.{row}.in_force", "t2.art20_1.{row}.repealed"], "op": ">=",
        "right": ["t2.art20_1.{row}.made"],
        "each": {"row": ["regulations", "normative"]},
    }}},
    formats=("2021",),
)


@hookimpl
def xlcheck_overlays():
    return [Overlay(
        target="national",
        rules=(IN_FORCE,),
        # this office wants numbers typed as numbers: text numbers are errors here, not warnings
        overrides={"D3": {"severity": "error"}},
    )]
