"""xlcheck inside Excel: the ribbon add-in and the live check of the open workbook.

``xlcheck excel addin`` builds one add-in, ``xlcheck.xlam`` (see :mod:`xlcheck.excel.addin`), whose
ribbon callbacks run these entry points through xlwings' ``RunPython``:

* 校验当前工作簿 -> ``import xlcheck.excel;xlcheck.excel.check('<rule set>')`` -> :func:`check`
* 清除标记       -> ``import xlcheck.excel;xlcheck.excel.clear()``            -> :func:`clear`

Importing this package does not import xlwings; :mod:`xlcheck.excel.live` does, lazily.
"""

from __future__ import annotations

__all__ = ["check", "clear", "main"]


def check(rules: str | None = None) -> None:
    """Button 校验当前工作簿: check the calling workbook with ``rules``; never raises into Excel."""
    from .live import run_check

    run_check(rules)


def clear() -> None:
    """Button 清除标记: remove xlcheck's marks from the calling workbook; never raises into Excel."""
    from .live import run_clear

    run_clear()


def main() -> None:
    """What the clear button of the first version's ``xlcheck.excel.xlam`` runs, until it is reinstalled."""
    clear()


def check_main() -> None:
    """What the check button of the first version's ``xlcheck.xlam`` runs (as ``xlcheck.main``)."""
    check()
