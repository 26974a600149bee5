"""A plugin whose rule set ``slow`` takes as long as ``XLCHECK_TEST_SLOW`` seconds per workbook.

The serve tests load it into the server's worker processes with ``-p serve_slow_plugin`` to have a
check that is still running when the next request arrives, or that overruns the time limit.
"""

import os
import time

from xlcheck import Rule, RuleSet, Severity, hookimpl


def _slow(field, value, error):  # a Cerberus check_with callable
    time.sleep(float(os.environ.get("XLCHECK_TEST_SLOW", "3")))


SLOW = Rule(id="SLOW", severity=Severity.INFO, description="测试：很慢的规则", schema={"meta": {"check_with": _slow}})


@hookimpl
def xlcheck_rulesets():
    return [RuleSet(name="slow", title="测试：很慢的规则集", extends="national", rules=(SLOW,))]
