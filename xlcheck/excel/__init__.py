"""xlcheck inside Excel: the ribbon add-ins and the live check of the open workbook.

``xlcheck excel addin`` builds two add-ins from xlwings' ribbon add-in template (see
:mod:`xlcheck.excel.addin`). The template's one ribbon macro runs ``<add-in file name>.main()``
through xlwings' ``RunPython``, so the add-ins' file names are their entry points:

* ``xlcheck.xlam``       runs ``xlcheck.main()``       -> :func:`xlcheck.excel.live.run_check`
* ``xlcheck.excel.xlam`` runs ``xlcheck.excel.main()`` -> :func:`xlcheck.excel.live.run_clear`

Importing this package does not import xlwings; :mod:`xlcheck.excel.live` does, lazily.
"""

from __future__ import annotations

__all__ = ["check_main", "main"]


def main() -> None:
    """Entry point of the ``xlcheck.excel.xlam`` add-in (button 清除标记); never raises into Excel."""
    from .live import run_clear

    run_clear()


def check_main() -> None:
    """Entry point of the ``xlcheck.xlam`` add-in (button 校验当前工作簿), reached as ``xlcheck.main``."""
    from .live import run_check

    run_check()
