"""Checking a workbook: read, locate, build the document, run the rules, collect findings."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from .cells import parse_cell
from .document import build_document
from .findings import FIX_RULE, Finding, Report, Severity, split_cell_ref
from .locator import NotAReportError, locate
from .names import readable
from .plugins import PluginError, Registry, default_registry
from .reader import SUPPORTED_SUFFIXES, ReadError, Sheet, WebPageError, Workbook, read_workbook
from .rules import CompiledRule, LabeledField, run_rule
from .rules import equalities as rule_equalities
from .verdict import SUMMARY_MARKER
from .yearvalues import YearValues

DEFAULT_RULESET = "national"
#: who the report is from, read whatever the rule set: pairing years and the roster match units by them
IDENTITY_FIELDS = (LabeledField("unit_name", "填报单位"), LabeledField("uscc", "统一社会信用代码"))

#: gives the unit's 行政层级 from the unit name and 统一社会信用代码 read from the workbook (a roster)
LevelLookup = Callable[[str | None, str | None], str | None]

#: cover fields the core reads itself, when a rule set declares them (``xlcheck fields`` says so)
CORE_COVER_FIELDS = {
    "unit_name": "xlcheck 读作报告的单位（Report.unit，汇总表的“单位名称”），也用于与上年报告、名单配对",
    "uscc": "xlcheck 用它与上年报告、名单中的单位配对",
}


def check(path: str | os.PathLike[str], *, rules: str = DEFAULT_RULESET, year: int | None = None,
          registry: Registry | None = None, level: str | None = None, unit_level: LevelLookup | None = None,
          previous: str | os.PathLike[str] | YearValues | None = None, keep_values: bool = False) -> Report:
    """Check one workbook file and return its ``Report``; never raises for a bad workbook.

    ``rules`` names the rule set (the national baseline by default); ``year`` overrides the report
    year found in the workbook; ``level`` is the unit's 行政层级 (``meta.level``; else ``unit_level``
    looks it up, else a cover field ``level`` gives it). ``previous`` is last year's report of the
    same unit (a workbook, or values kept from one): the cross-year rules compare with it.
    ``keep_values`` keeps ``Report.values``. A file that cannot be read or holds no report gets
    ``Report.error``.
    """
    return _guarded(path, lambda: check_workbook(
        read_source(path, year=year), rules=rules, year=year, registry=registry, level=level,
        unit_level=unit_level, previous=_previous(previous, rules, registry), keep_values=keep_values))


def read_values(path: str | os.PathLike[str], *, rules: str = DEFAULT_RULESET, year: int | None = None,
                registry: Registry | None = None) -> Report:
    """Read a workbook's values without checking it (last year's report, to compare with): a
    ``Report`` with no findings and ``values`` kept, or with ``error``."""
    def read() -> Report:
        book = read_source(path, year=year)
        report, located = _located(book, registry or default_registry(), rules, year)
        if located is not None:
            report.values = _values(report, located, None)
        return report

    return _guarded(path, read)


def _guarded(path: str | os.PathLike[str], work: Callable[[], Report]) -> Report:
    try:
        return work()
    except ReadError as exc:
        return Report(os.fspath(path), error=str(exc))
    except PluginError:  # an unknown rule set: the caller's mistake, not the file's
        raise
    except Exception as exc:  # the last line of defence: a file must never end a batch with a traceback
        return Report(os.fspath(path), error=(
            f"{readable(Path(path).name)}：xlcheck 内部错误，未能校验这个文件；请把文件和这条信息反馈给开发者 "
            f"(internal error: {type(exc).__name__}: {exc})"))


def _previous(previous: str | os.PathLike[str] | YearValues | Report | None, rules: str,
              registry: Registry | None) -> YearValues | Report | None:
    if previous is None or isinstance(previous, (YearValues, Report)):
        return previous
    return read_values(previous, rules=rules, registry=registry)


def read_source(path: str | os.PathLike[str], *, year: int | None = None) -> Workbook:
    """A workbook by its name; a published report (web page, Word, PDF, text) by its name, read as the
    form its content shows (see :func:`xlcheck.published.sniff`)."""
    name = os.fspath(path).lower()
    if not name.endswith(SUPPORTED_SUFFIXES):
        from .published import is_published_name, read_published

        if is_published_name(name):
            return read_published(path, year=year)
    try:
        return read_workbook(path)
    except WebPageError as exc:
        # many government systems' "export to Excel" writes an HTML table (or an MHTML archive) named
        # .xls: its tables are read as a published page's are; a page the reader cannot read at all
        # keeps the message that names what it is
        from .published import read_published

        try:
            book = read_published(path, year=year)
        except ReadError:
            raise exc from None
        book.disguised = exc.what
        return book


def check_workbook(book: Workbook, *, rules: str = DEFAULT_RULESET, year: int | None = None,
                   registry: Registry | None = None, level: str | None = None,
                   unit_level: LevelLookup | None = None, previous: YearValues | Report | None = None,
                   keep_values: bool = False) -> Report:
    """Check values already read (from a file, or from an open workbook through xlwings); the
    options are ``check``'s."""
    registry = registry or default_registry()
    source = book
    compiled = registry.compiled(rules)
    report, located = _located(book, registry, rules, year)
    if located is None:
        return report
    fields = [*registry.fields(rules), *_identity(registry.fields(rules))]
    unit_code = located.cover.get("uscc", ("", ""))[0] or None
    level = level or (unit_level(report.unit, unit_code) if unit_level is not None else None) \
        or located.cover.get("level", ("", ""))[0] or None
    document = build_document(located, registry.layouts, report.year, fields)
    document["meta"]["level"] = level
    narrative = getattr(source, "narrative", None)
    if narrative is not None:  # a published report's text (rules N1–N5 and plugin rules read it)
        document["narrative"] = narrative
    order = {sheet.name: i for i, sheet in enumerate(book.sheets)}
    for rule in compiled:
        # cross-year rules run once the report is paired with last year's (xlcheck.crossyear)
        if rule.rule.applies_to(report.format) and not rule.rule.cross_year:
            # Cerberus sorts its errors by message; people read a rule's findings in sheet order
            report.findings.extend(sorted(run_rule(rule, document), key=lambda f: _position(f, order)))
    _localize(report, compiled, document)
    # Last, after everything that adds findings: a published report's findings point at where the
    # value was published (表三 第 N 行 第 M 列), not at the grid cells it was read into.
    where = getattr(source, "where", None)
    if where is not None:
        labels = document["ctx"].labels
        cells = {cell.ref: (labels.get(cell.key, ""), cell.number) for cell in document["values"].values()}
        report.findings = [_published(f, where, cells) for f in report.findings]
        report.suggestions = [replace(s, where=where(s.cell, cells.get(s.cell, ("", None))[0]))
                              for s in report.suggestions]
    if keep_values or previous is not None:
        report.values = _values(report, located, level)
    if previous is not None:
        from .crossyear import compare_with

        compare_with(report, previous, registry=registry, rules=rules)
        if not keep_values:
            report.values = None
    return report


def _identity(fields: list[LabeledField]) -> list[LabeledField]:
    keys = {f.key for f in fields}
    return [f for f in IDENTITY_FIELDS if f.key not in keys]


def _located(book: Workbook, registry: Registry, rules: str, year: int | None) -> tuple[Report, Any]:
    # an annotated copy's own summary sheet quotes labels and years; it is not part of the report
    sheets = [s for s in book.sheets if not _is_summary(s)]
    fields = registry.fields(rules)
    report = Report(book.path, marked=len(sheets) < len(book.sheets))
    disguised = getattr(book, "disguised", None)  # a web page named as a workbook (read_source)
    book = Workbook(book.path, sheets, book.kind)
    try:
        located = locate(book, registry.layouts, year, [*fields, *_identity(fields)])
    except NotAReportError as exc:
        read_as = f"扩展名是工作簿，实际是{disguised}，按网页读取后：" if disguised else ""
        report.error = f"{readable(Path(book.path).name)}：{read_as}{exc}"
        return report, None
    report.format = located.layout.format
    report.year = year or located.year
    report.unit = located.cover.get("unit_name", ("", ""))[0] or located.unit  # see CORE_COVER_FIELDS
    return report, located


def _values(report: Report, located: Any, level: str | None) -> YearValues:
    return YearValues.of(report.path, located.layout.format, report.year, located.values, unit=report.unit,
                         code=located.cover.get("uscc", ("", ""))[0], level=level)


#: places a finding on a published report names at most; the rest are counted
MAX_PLACES = 4


def _published(finding: Finding, where: Any, cells: dict[str, tuple[str, float | None]]) -> Finding:
    """A finding on a published report points at where its cells were published, not at grid cells:
    all of them when they are few, else its first cell and the others that hold a number other than 0
    (a long sum's zeros say little)."""
    if not finding.cells:
        return finding
    shown = list(finding.cells)
    if len(shown) > MAX_PLACES:
        shown = [ref for i, ref in enumerate(shown) if i == 0 or cells.get(ref, ("", 1.0))[1] != 0]
    places = [where(ref, cells.get(ref, ("", None))[0]) for ref in shown[:MAX_PLACES]]
    if len(finding.cells) > len(places):
        places[-1] += f" 等 {len(finding.cells)} 处"
    message = finding.message
    for ref in finding.cells:  # a message naming grid cells (localization's) names the places instead
        if ref in message:
            message = message.replace(ref, where(ref).split("（")[0])
    return replace(finding, message=message, cells=(), where="；".join(filter(None, [finding.where, *places])))


def _localize(report: Report, compiled: list[CompiledRule], document: dict[str, Any]) -> None:
    """Which cells to change, when an equality failed; a clean check imports neither this nor the solver."""
    equalities = {c.rule.id for c in compiled if c.rule.applies_to(report.format) and rule_equalities(c.rule)}
    if not any(f.rule in equalities for f in report.findings):
        return
    from .localize import localize

    try:
        localize(report, compiled, document)
    except Exception as exc:  # the findings stand on their own; a failed localization must not cost them
        report.suggestions.clear()
        report.candidates.clear()
        report.findings.append(Finding(FIX_RULE, Severity.INFO,
                                       f"xlcheck 未能推算应改的单元格（内部错误：{type(exc).__name__}: {exc}）"))


def _is_summary(sheet: Sheet) -> bool:
    first = sheet.value(0, 0)
    return isinstance(first, str) and first.startswith(SUMMARY_MARKER)


def _position(finding: Finding, order: dict[str, int]) -> tuple[int, int, int]:
    if not finding.cells:
        return (-1, 0, 0)
    sheet, cell = split_cell_ref(finding.cells[0])
    row, col = parse_cell(cell) or (0, 0)
    return (order.get(sheet, len(order)), row, col)
