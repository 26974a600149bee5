"""xlcheck: check China's government information disclosure annual report workbooks.

    import xlcheck
    report = xlcheck.check("report.xlsx")
    report.ok, [f.message for f in report.findings]
    xlcheck.annotate(report)            # writes report.checked.xlsx beside it
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _startup  # noqa: F401  (first: Cerberus imported without importlib.metadata)
from .check import check
from .findings import Finding, Report, Severity
from .hookspecs import hookimpl
from .rules import LabeledField, Overlay, Rule, RuleSet

__version__ = "0.1.0"

__all__ = ["Finding", "LabeledField", "Overlay", "Report", "Rule", "RuleSet", "Severity", "annotate", "check",
           "hookimpl"]

if TYPE_CHECKING:
    from .annotated_copy import annotate


def __getattr__(name: str) -> Any:
    # Writing needs lxml and openpyxl; a check-only run should not import them.
    if name == "annotate":
        from .annotated_copy import annotate as fn
        return fn
    if name == "main":  # the first version's Excel add-in runs RunPython "import xlcheck;xlcheck.main()"
        from .excel import check_main
        return check_main
    raise AttributeError(name)
