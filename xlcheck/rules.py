"""Rules as data: Cerberus schemas with a few custom rules, each rule with an id, severity and messages.

A rule's ``schema`` is an ordinary Cerberus schema over the *document* that ``xlcheck.document``
builds from a located workbook. Standard Cerberus rules (``required``, ``allowed``, ``regex``, ``min``
…) work on plain fields such as a provincial cover block; the custom rules below, defined once in
``ReportValidator``, work on the table values:

``xl_compare``   one side against another, for every binding of ``{placeholders}``:
                 ``{"left": ["t3.total.{col}"], "op": "==", "right": ["t3.public.{col}", …],
                 "each": {"col": [...]}, "name": "各办理结果"}``; ``right`` may be a number.
``xl_values``    how each value cell was typed: ``{"check": "count" | "blank" | "text" | "magnitude"}``.
``xl_structure`` the locator's structure issues of one rule id (S1, S2): ``"S2"``.
``xl_format_year`` the format fits the report year (S1): ``True``.
``xl_narrative`` a published report's narrative (document key ``narrative``): the counts it states
                 for table fields (``"N1"``, ``"N2"``, ``"N4"``), its sums (``"sums"``), section 五
                 (``"problems"``). Absent for a workbook, so these rules stay silent there.

Each rule is compiled into its own validator once per process and run on its own, so a rule that
raises becomes a ``plugin-error`` finding while every other rule still runs.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import cerberus
import cerberus.schema
from cerberus import errors as cerberus_errors

from .findings import Finding, Severity
from .values import CellValue, convert, show

#: Chinese wording of Cerberus' own errors, for fields checked with standard rules.
CERBERUS_MESSAGES = {
    cerberus_errors.REQUIRED_FIELD.code: "{field}必须填写",
    cerberus_errors.EMPTY_NOT_ALLOWED.code: "{field}不能为空",
    cerberus_errors.NOT_NULLABLE.code: "{field}不能为空",
    cerberus_errors.BAD_TYPE.code: "{field}的填写类型不对（“{value}”）",
    cerberus_errors.REGEX_MISMATCH.code: "{field}“{value}”的格式不对",
    cerberus_errors.MIN_VALUE.code: "{field}为 {value}，不应小于 {constraint}",
    cerberus_errors.MAX_VALUE.code: "{field}为 {value}，不应大于 {constraint}",
    cerberus_errors.UNALLOWED_VALUE.code: "{field}“{value}”不在可选范围内（{constraint}）",
    cerberus_errors.MIN_LENGTH.code: "{field}“{value}”太短",
    cerberus_errors.MAX_LENGTH.code: "{field}“{value}”太长",
    # the only custom error without a message of its own is xl_checksum's
    cerberus_errors.CUSTOM.code: "{field}“{value}”的校验位不正确",
}


@dataclass(frozen=True)
class Rule:
    """One rule: a stable id, a default severity, a Chinese description and a Cerberus schema.

    ``message`` optionally replaces the messages of standard Cerberus rules; it is formatted with
    ``field`` (the field's name), ``value`` and ``constraint``. ``formats`` limits the rule to some
    report formats (empty: all). ``replaces`` names a rule of the set below that this one takes the
    place of: a rule whose id is already in the set is a mistake unless it says so.
    """

    id: str
    severity: Severity
    description: str
    schema: Mapping[str, Any]
    message: str = ""
    formats: tuple[str, ...] = ()
    enabled: bool = True
    replaces: str = ""

    def applies_to(self, fmt: str | None) -> bool:
        return self.enabled and (not self.formats or fmt in self.formats)

    @property
    def cross_year(self) -> bool:
        """The rule reads last year's report (the ``previous`` or ``pairing`` fields of the document):
        it runs once the report has been paired with last year's, not with the other rules."""
        return any(key in CROSS_YEAR_FIELDS for key in self.schema)


@dataclass(frozen=True)
class LabeledField:
    """A single value written beside its label somewhere in the workbook, such as a cover block's
    填报单位. The value is the cell just right of the label (of its merged area); rules see it as
    ``cover.<key>`` (a string, "" when the cell is empty; absent when the label is not there)."""

    key: str
    label: str
    #: what a person should write, shown beside the value cell in the blank template
    hint: str = ""
    #: the allowed values, offered as a drop-down list in the blank template (a rule still checks them)
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """A named list of rules. A set that ``extends`` another runs on top of it: it adds ``rules``, and
    ``overrides`` (rule id -> ``{"severity": "error"}``, ``{"enabled": False}``, ``{"message": ...}``)
    change the rules below it. ``fields`` are cover fields the set's rules read from the workbook."""

    name: str
    title: str
    rules: tuple[Rule, ...] = ()
    extends: str | None = None
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    fields: tuple[LabeledField, ...] = ()
    plugin: str = ""


@dataclass(frozen=True)
class Overlay:
    """Additions to an existing rule set from another plugin: more rules, fields and overrides,
    applied to ``target`` (and so to every set that extends it)."""

    target: str
    rules: tuple[Rule, ...] = ()
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    fields: tuple[LabeledField, ...] = ()
    plugin: str = ""


@dataclass(frozen=True)
class EffectiveRule:
    """A rule as a rule set runs it: which plugin defined it, which set added it, and which set or
    plugin last changed it (empty when unchanged)."""

    rule: Rule
    plugin: str
    added_by: str
    changed_by: str = ""
    #: the id of the rule of a lower set this one took the place of (``Rule.replaces``)
    replaced: str = ""


#: document fields that exist only once a report is paired with last year's
CROSS_YEAR_FIELDS = frozenset({"previous", "pairing"})

OVERRIDABLE = frozenset({"severity", "enabled", "message", "description"})


@dataclass(frozen=True)
class RuleContext:
    """What xlcheck's custom rules need beside the data, under the document's ``ctx`` key: how
    messages name each field, each value cell's kind, the known layouts, and the names and cells of
    plain fields (``cover.uscc`` -> 统一社会信用代码 / ``封面!B4``)."""

    labels: Mapping[str, str]
    kinds: Mapping[str, str]
    layouts: tuple[Any, ...]
    field_names: Mapping[str, str]
    field_refs: Mapping[str, str]
    #: fields of the report's format that the workbook does not have (a row or column not found)
    missing: frozenset[str] = frozenset()


#: structure issues that are warnings: a label that differs but was understood, a report year the
#: workbook does not state once
WARNING_ISSUES = frozenset({"nonstandard", "year"})


class _NotLeanError(Exception):
    """A lean run (:func:`run_rule`) met something only Cerberus' own ``validate`` handles."""


class ReportValidator(cerberus.Validator):  # type: ignore[misc]
    """The one Validator subclass: xlcheck's custom rules over the report document."""

    #: set while :func:`run_rule` runs a schema of xlcheck's own rules without Cerberus' machinery
    _lean = False

    def _error(self, *args: Any) -> None:
        if not self._lean:
            super()._error(*args)
            return
        # As Cerberus records a custom rule's error (ValidationError of code CUSTOM, no rule, no
        # constraint, the field's value), sorted after each one as it sorts them — its order is what
        # findings of one place keep — but without the error trees and handler nothing here reads.
        if len(args) < 2 or args[1] is not cerberus_errors.CUSTOM:
            raise _NotLeanError
        fld = args[0]
        error = cerberus_errors.ValidationError((*self.document_path, fld), self.schema_path,
                                                cerberus_errors.CUSTOM.code, None, None, self.document.get(fld),
                                                args[2:])
        self.recent_error = error
        self._errors.append(error)
        self._errors.sort()

    def _hit(self, fld: str, message: str, cells: Iterable[str], severity: Severity | None = None,
             where: str | None = None) -> None:
        self._error(fld, cerberus_errors.CUSTOM, message, tuple(cells), severity, where)

    def _validate_xl_compare(self, constraint: Mapping[str, Any] | Sequence[Mapping[str, Any]], fld: str,
                             value: Any) -> None:
        """Compare sums of value cells, for every binding of the placeholders in ``each``; a list of
        such comparisons makes them one rule.

        A key ``previous.KEY`` is last year's value of KEY (the rule runs only when last year's report
        is known: put the rule under the ``previous`` field); a key starting with ``-`` is subtracted.

        The rule's arguments are validated against this schema:
        {'anyof': [{'type': 'dict', 'schema': {
            'left': {'type': 'list', 'required': True, 'schema': {'type': 'string'}},
            'op': {'type': 'string', 'allowed': ['==', '>=', '<='], 'required': True},
            'right': {'type': ['list', 'number'], 'required': True},
            'each': {'type': 'dict', 'valuesrules': {'type': 'list'}},
            'name': {'type': 'string'},
            'when': {'type': 'dict', 'valuesrules': {'type': 'list'}},
            'note': {'type': 'string'}}},
          {'type': 'list', 'schema': {'type': 'dict', 'schema': {
            'left': {'type': 'list', 'required': True, 'schema': {'type': 'string'}},
            'op': {'type': 'string', 'allowed': ['==', '>=', '<='], 'required': True},
            'right': {'type': ['list', 'number'], 'required': True},
            'each': {'type': 'dict', 'valuesrules': {'type': 'list'}},
            'name': {'type': 'string'},
            'when': {'type': 'dict', 'valuesrules': {'type': 'list'}},
            'note': {'type': 'string'}}}}]}
        """
        if isinstance(constraint, Mapping):
            self._compare(constraint, fld)
        else:
            for one in constraint:
                self._compare(one, fld)

    def _compare(self, constraint: Mapping[str, Any], fld: str) -> None:
        document = self.root_document
        labels = document["ctx"].labels
        for path, wanted in constraint.get("when", {}).items():
            if _lookup(document, path) not in wanted:
                return
        constant = isinstance(constraint["right"], (int, float))
        missing: frozenset[str] = document["ctx"].missing
        lacking: list[tuple[str, ...]] = []
        before = document.get("previous")
        sources = (document["values"], before["values"] if isinstance(before, Mapping) else {})
        for left_terms, right_terms in _expanded(self, constraint):
            if missing and _lacks(missing, tuple(key for key, _, previous in left_terms + right_terms
                                                  if not previous), lacking):
                continue
            left = _terms(sources, left_terms)
            if left is None or not left:
                continue
            if constant:
                right: list[_Cell] | None = []
                right_sum = float(constraint["right"])
            else:
                right = _terms(sources, right_terms)
                if right is None or not right:
                    continue
                right_sum = _sum(right)
            left_sum = _sum(left)
            if _holds(left_sum, constraint["op"], right_sum):
                continue
            left_label = _side(left, labels, "", before)
            right_label = (show(right_sum) if not right else _side(right, labels, constraint.get("name", ""), before))
            message = _compare_message(constraint["op"], left_label, left_sum, right_label, right_sum,
                                       bool(right))
            message += _quoted(left + (right or []), before)
            if "note" in constraint:
                message += f"（{constraint['note']}）"
            self._hit(fld, message, _involved(left) + _involved(right or []))
        if lacking:
            self._hit(fld, _unchecked_message(lacking, labels), (), Severity.WARNING)

    def _validate_xl_same(self, constraint: Mapping[str, Any], fld: str, value: Any) -> None:
        """Last year's report (the ``previous`` field) has the same numbers as this year's in the
        tables named: a report copied from last year's (内容雷同).

        The rule's arguments are validated against this schema:
        {'type': 'dict', 'schema': {
            'tables': {'type': 'list', 'schema': {'type': 'string'}, 'required': True},
            'share': {'type': 'number', 'min': 0, 'max': 1},
            'min_nonzero': {'type': 'integer', 'min': 0}}}
        """
        if not isinstance(value, Mapping):
            return
        current, before = self.root_document["values"], value["values"]
        prefixes = tuple(f"{t}." for t in constraint["tables"])
        share = constraint.get("share", 1.0)
        # more cells differing than the share allows of all cells: no finding, whatever the rest hold
        # (cells are made as a rule reads them: a report unlike last year's is told apart in a few)
        allowed = len(current) * (1 - share) + 1e-9
        compared = same = nonzero = 0
        for key in current:
            if not key.startswith(prefixes) or key not in before:
                continue
            cell, old = current[key], before[key]
            if cell.number is None or old.number is None:
                continue
            compared += 1
            if abs(cell.number - old.number) <= 1e-9:
                same += 1
                nonzero += cell.number != 0
            elif compared - same > allowed:
                return
        if not compared or same < compared * share - 1e-9 or nonzero < constraint.get("min_nonzero", 1):
            return
        numbers = "、".join(_TABLE_NAMES.get(t, t) for t in constraint["tables"])
        extent = "全部相同" if same == compared else f"有 {same} 个相同（{same * 100 // compared}%）"
        self._hit(fld, (f"{numbers}的 {compared} 个数据与上年报告“{value['name']}”{extent}，其中不为 0 的 "
                        f"{nonzero} 个；请核实是否照抄了上年的报告（内容雷同）"), ())

    def _validate_xl_pairing(self, constraint: str, fld: str, value: Any) -> None:
        """Report how the report was paired with last year's: ``missing`` (no report of the unit's
        previous year was found) or ``duplicate`` (a unit name matches two files of one year).

        The rule's arguments are validated against this schema:
        {'type': 'string', 'allowed': ['missing', 'duplicate']}
        """
        if isinstance(value, Mapping):
            for message in value.get(constraint, ()):
                self._hit(fld, message, ())

    def _validate_xl_values(self, constraint: Mapping[str, Any], fld: str, value: Any) -> None:
        """Check how each value cell was typed.

        The rule's arguments are validated against this schema:
        {'type': 'dict', 'schema': {
            'check': {'type': 'string', 'allowed': ['count', 'blank', 'text', 'magnitude'], 'required': True},
            'fields': {'type': 'list', 'schema': {'type': 'string'}},
            'at_least': {'type': 'number'},
            'by_level': {'type': 'dict', 'valuesrules': {'type': 'number', 'nullable': True}}}}
        """
        ctx = self.root_document["ctx"]
        labels, kinds = ctx.labels, ctx.kinds
        check = _VALUE_CHECKS[constraint["check"]]
        if constraint["check"] == "magnitude":  # how large is too large depends on the unit's level
            constraint = {**constraint, "level": self.root_document["meta"].get("level")}
        keys = constraint.get("fields") or value.keys()
        if constraint["check"] == "blank":
            keys = self._empty_tables(keys, value, fld)
        statuses = _VALUE_STATUSES.get(constraint["check"])
        for key in keys:
            cell = value.get(key)
            if cell is None or (statuses is not None and cell.status not in statuses):
                continue
            if message := check(cell, labels[key], kinds[key], constraint):
                self._hit(fld, message, (cell.ref,))

    def _empty_tables(self, keys: Iterable[str], value: Mapping[str, CellValue], fld: str) -> list[str]:
        """Report a table published with no value at all once, on its first cell, and return the keys
        of the other tables: 175 "未填写" on one empty table 三 bury everything else."""
        by_table: dict[str, list[CellValue]] = {}
        for key in keys:
            if (cell := value.get(key)) is not None:
                by_table.setdefault(key.split(".", 1)[0], []).append(cell)
        layout = self.root_document["meta"].get("layout")
        rest: list[str] = []
        for table, cells in by_table.items():
            if len(cells) > 1 and all(c.status in ("blank", "placeholder") for c in cells):
                number = layout.table(table).number if layout is not None else table
                # no range in the message: on a published report the cells are named by where they stand
                self._hit(fld, f"表{number}的 {len(cells)} 个数据单元格都没有填写数字，整张表是空的；"
                               "没有数据请逐格填 0", (cells[0].ref,))
            else:
                rest.extend(c.key for c in cells)
        return rest

    def _validate_xl_checksum(self, constraint: str, fld: str, value: Any) -> None:
        """The value's check character is right; ``uscc``: 统一社会信用代码 (GB 32100-2015).

        The rule's arguments are validated against this schema:
        {'type': 'string', 'allowed': ['uscc']}
        """
        # only a code of the right shape has a check character to verify; the shape is regex's job
        if isinstance(value, str) and _uscc_shaped(value) and not uscc_valid(value):
            self._error(fld, cerberus_errors.CUSTOM, "checksum")

    def _validate_xl_structure(self, constraint: str, fld: str, value: Any) -> None:
        """Report the locator's structure issues that belong to one rule id.

        The rule's arguments are validated against this schema:
        {'type': 'string'}
        """
        for issue in value:
            if issue.rule == constraint:
                severity = Severity.WARNING if issue.kind in WARNING_ISSUES else None
                self._hit(fld, issue.message, issue.cells, severity)

    def _validate_xl_format_year(self, constraint: bool, fld: str, value: Any) -> None:
        """The report's format is the one its year calls for (S1).

        The rule's arguments are validated against this schema:
        {'type': 'boolean'}
        """
        layout, year = value.get("layout"), value.get("year")
        if not constraint or layout is None or year is None or layout.fits_year(year):
            return
        wanted = next((x for x in self.root_document["ctx"].layouts if x.fits_year(year)), None)
        hint = f"，应使用 {wanted.name}" if wanted else ""
        self._hit(fld, f"报告年度为 {year} 年，但表格是 {layout.name}{hint}", value.get("cells", ()))


    def _validate_xl_narrative(self, constraint: str, fld: str, value: Any) -> None:
        """Check what a published report's narrative says against itself and the tables.

        The rule's arguments are validated against this schema:
        {'type': 'string', 'allowed': ['N1', 'N2', 'N4', 'sums', 'problems']}
        """
        if not isinstance(value, Mapping):
            return
        if constraint == "sums":
            for total in value.get("sums", ()):
                parts = sum(number for _, number, _ in total.parts)
                if parts != total.total:
                    listed = " + ".join(f"{name} {typed}" if name else typed for name, _, typed in total.parts)
                    self._hit(fld, f"正文“{total.name}共{total.typed}{total.unit}”，但所列各项相加为 {parts}"
                                   f"{total.unit}（{listed}）", (), where=str(total.said))
        elif constraint == "problems":
            sections = value.get("sections", {})
            text = str(value.get("problems", "")).strip().rstrip("。.")
            if "五" not in sections:
                self._hit(fld, "正文缺少第五部分“五、存在的主要问题及改进情况”", ())
            elif text in _EMPTY_SECTION:
                shown = f"只写了“{text}”" if text else "没有内容"
                self._hit(fld, f"第五部分“存在的主要问题及改进情况”{shown}，应写明存在的问题和改进措施", (),
                          where="五、存在的主要问题及改进情况")
        else:
            self._stated(fld, constraint, value)

    def _stated(self, fld: str, rule: str, value: Mapping[str, Any]) -> None:
        values, labels = self.root_document["values"], self.root_document["ctx"].labels
        fmt = self.root_document["meta"].get("format")
        for stated in value.get("statements", ()):
            keys: Sequence[str] = (stated.keys.get(fmt) or ()) if stated.rule == rule else ()
            cells = _terms((values, {}), [(k, False, False) for k in keys]) if keys else None
            if not cells or len(cells) != len(keys):
                continue  # a field the tables do not have, or no usable number: nothing to compare
            table = _sum(cells)
            if abs(table - stated.number) > 1e-6:
                names = " + ".join(labels[c.key] for c, _, _ in cells)
                self._hit(fld, f"正文称{stated.phrase}，但表中{names}为 {show(table)}",
                          _involved(cells), where=str(stated.said))


#: what a section 五 holds when it says nothing
_EMPTY_SECTION = frozenset({"", "无", "暂无", "没有", "无问题", "暂无问题", "/", "—", "-"})


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The 18th character of a 统一社会信用代码 whose first 17 characters are given."""
    total = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def _uscc_shaped(code: str) -> bool:
    code = code.strip().upper()
    return len(code) == 18 and all(ch in _USCC_CHARS for ch in code)


def uscc_valid(code: str) -> bool:
    """Whether a 统一社会信用代码 has 18 characters of the code's alphabet and the right check character."""
    return _uscc_shaped(code) and uscc_check_char(code.strip().upper()[:17]) == code.strip().upper()[17]


def _lookup(document: Mapping[str, Any], path: str) -> Any:
    node: Any = document
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _bindings(each: Mapping[str, Sequence[str]]) -> Iterator[dict[str, str]]:
    names = list(each)
    for combo in itertools.product(*(each[n] for n in names)):
        yield dict(zip(names, combo, strict=True))


#: a term of an ``xl_compare`` side: the field key, subtracted, last year's
_Term = tuple[str, bool, bool]
#: a cell of a side: the value, subtracted, last year's
_Cell = tuple[CellValue, bool, bool]
_TABLE_NAMES = {"t2": "表二", "t3": "表三", "t4": "表四"}


def _term(key: str) -> _Term:
    negative = key.startswith("-")
    key = key.removeprefix("-")
    return (key.removeprefix("previous."), negative, key.startswith("previous."))


def _expanded(validator: ReportValidator, constraint: Mapping[str, Any]
              ) -> list[tuple[tuple[_Term, ...], tuple[_Term, ...]]]:
    """The (left terms, right terms) of every binding of an ``xl_compare``, worked out once per compiled
    rule: the same few hundred keys are formatted on every check otherwise."""
    cache = validator.__dict__.setdefault("_xl_keys", {})
    hit = cache.get(id(constraint))
    if hit is None or hit[0] is not constraint:  # the constraint is kept, so its id cannot be reused
        right = constraint["right"] if isinstance(constraint["right"], list) else []
        keys = [(tuple(_term(k.format(**b)) for k in constraint["left"]),
                 tuple(_term(k.format(**b)) for k in right))
                for b in _bindings(constraint.get("each", {}))]
        hit = cache[id(constraint)] = (constraint, keys)
    expanded: list[tuple[tuple[_Term, ...], tuple[_Term, ...]]] = hit[1]
    return expanded


def expand_compare(constraint: Mapping[str, Any]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The (left keys, right keys) of every binding of an ``xl_compare``'s placeholders; right keys
    are empty when ``right`` is a number."""
    right = constraint["right"] if isinstance(constraint["right"], list) else []
    return [(tuple(k.format(**b) for k in constraint["left"]), tuple(k.format(**b) for k in right))
            for b in _bindings(constraint.get("each", {}))]


def equalities(rule: Rule) -> list[Mapping[str, Any]]:
    """The ``xl_compare`` constraints of ``rule`` with ``op "=="``: what error localization solves."""
    values = rule.schema.get("values")
    if not isinstance(values, Mapping):
        return []
    compare = values.get("xl_compare")
    return [compare] if isinstance(compare, Mapping) and compare.get("op") == "==" else []


def when_holds(constraint: Mapping[str, Any], document: Mapping[str, Any]) -> bool:
    """Whether an ``xl_compare``'s ``when`` conditions hold for the document (no conditions: True)."""
    return all(_lookup(document, path) in wanted for path, wanted in constraint.get("when", {}).items())


def _terms(sources: tuple[Mapping[str, CellValue], Mapping[str, CellValue]], terms: Sequence[_Term]
           ) -> list[_Cell] | None:
    """The cells of ``terms`` that the workbooks have; None when one of them holds no usable number."""
    out = []
    for key, negative, previous in terms:
        cell = sources[previous].get(key)
        if cell is None:
            continue
        if cell.number is None:
            return None
        out.append((cell, negative, previous))
    return out


def _sum(cells: Sequence[_Cell]) -> float:
    total = 0.0
    for cell, negative, _ in cells:
        number = cell.number or 0.0  # _terms returns cells with numbers only
        total += -number if negative else number
    return total


def _lacks(missing: frozenset[str], keys: Sequence[str], lacking: list[tuple[str, ...]]) -> bool:
    """Whether a comparison needs a field the workbook does not have; it is then not evaluated (a sum
    without one of its terms is not the rule), and ``lacking`` records what it lacked."""
    absent = tuple(key for key in keys if key in missing)
    if absent:
        lacking.append(absent)
    return bool(absent)


def _unchecked_message(lacking: Sequence[tuple[str, ...]], labels: Mapping[str, str]) -> str:
    names = list(dict.fromkeys(key for keys in lacking for key in keys))
    shown = "、".join(f"“{labels.get(key, key)}”" for key in names[:3])
    more = f"等 {len(names)} 个单元格" if len(names) > 3 else ""
    return (f"这条规则有 {len(lacking)} 处未能核对：表格中找不到{shown}{more}（缺少的行、列见 S2），"
            "用到它们的等式没有核对")


def _holds(left: float, op: str, right: float) -> bool:
    tolerance = 1e-6
    if op == "==":
        return abs(left - right) <= tolerance
    if op == ">=":
        return left >= right - tolerance
    return left <= right + tolerance


def _side(cells: Sequence[_Cell], labels: Mapping[str, str], name: str, before: Any) -> str:
    if name:
        return f"{name}之和"

    def label(cell: _Cell) -> str:
        value, _, previous = cell
        return f"上年{before['labels'].get(value.key, value.key)}" if previous else labels[value.key]

    out = label(cells[0]) if not cells[0][1] else f"−{label(cells[0])}"
    for cell in cells[1:]:
        out += f" {'−' if cell[1] else '+'} {label(cell)}"
    return out


def _quoted(cells: Sequence[_Cell], before: Any) -> str:
    """Where last year's numbers come from: its file, cells and numbers."""
    quoted = [f"{c.ref} 为 {c.shown}" for c, _, previous in cells if previous]
    return f"（上年报告“{before['name']}”：{'，'.join(quoted)}）" if quoted else ""


def _compare_message(op: str, left_label: str, left: float, right_label: str, right: float,
                     right_is_cells: bool) -> str:
    if op == "==":
        return f"{left_label}为 {show(left)}，但{right_label}为 {show(right)}"
    relation = "小于" if op == ">=" else "大于"
    if right_is_cells:
        return f"{left_label}为 {show(left)}，{relation}{right_label}（{show(right)}）"
    return f"{left_label}为 {show(left)}，不应{relation} {right_label}"


def _involved(cells: Sequence[_Cell]) -> tuple[str, ...]:
    """Every cell of a side, zeros included: the commonest slip is a part left at 0, and a clerk who
    follows the marks must find that cell among them. Never last year's: they are in another
    workbook (the message quotes them)."""
    return tuple(c.ref for c, _, previous in cells if not previous)


# ── D1–D4: how a value was typed ─────────────────────────────────────────────────────────────────
def _check_count(cell: CellValue, label: str, kind: str, _: Mapping[str, Any]) -> str:
    if cell.status == "invalid":
        return f"{label}应填写数字，填写的是“{cell.raw}”"
    if cell.status == "formula_uncached":
        return (f"{label}是公式“{cell.formula}”，文件里没有保存计算结果，xlcheck 也无法计算（{cell.reason}）；"
                "请在 Excel 或 WPS 中打开、保存后再校验")
    number = cell.number
    if number is None:
        return ""
    if kind == "count" and (number < 0 or not number.is_integer()):
        return f"{label}应为不小于 0 的整数，填写的是 {cell.shown}"
    if kind == "signed" and not number.is_integer():
        return f"{label}应为整数，填写的是 {cell.shown}"
    if kind == "amount" and number < 0:
        return f"{label}不应为负数，填写的是 {cell.shown}"
    return ""


def _check_blank(cell: CellValue, label: str, kind: str, _: Mapping[str, Any]) -> str:
    if cell.status == "blank":
        return f"{label}未填写；没有数据请填 0"
    if cell.status == "placeholder":
        return f"{label}填写的是“{cell.raw}”；没有数据请填 0"
    return ""


def _check_text(cell: CellValue, label: str, kind: str, _: Mapping[str, Any]) -> str:
    if cell.status in ("unit", "text"):
        what = "，".join((f"带有单位“{cell.unit}”" if cell.unit else "是以文本形式填写的数字", *cell.quirks))
        return f"{label}“{cell.raw}”{what}，请改为数字格式，只填写数字 {cell.advice}{_unit_note(cell, label)}"
    if cell.status == "formula":
        return (f"{label}是公式“{cell.formula}”，文件里没有保存计算结果（多为程序生成的文件），按公式算得 "
                f"{show(cell.number or 0)}；请在 Excel 或 WPS 中打开、保存，让文件带上计算结果")
    return ""


def _unit_note(cell: CellValue, label: str) -> str:
    """How the advice's number relates to the typed unit: converted, or in the unit assumed for a
    column whose header prints none (2019 采购总金额)."""
    if cell.unit not in ("元", "万元") or not cell.column_unit:
        return ""
    if f"单位：{cell.column_unit}" not in label:
        assumed = f"（表头未注明单位，按{cell.column_unit}计"
        return assumed + (f"：{cell.typed}{cell.unit}即 {cell.advice}{cell.column_unit}）"
                          if cell.unit != cell.column_unit else "）")
    if cell.unit != cell.column_unit:
        return f"（本栏单位是{cell.column_unit}，{cell.typed}{cell.unit}即 {cell.advice}{cell.column_unit}）"
    return ""


def _check_magnitude(cell: CellValue, label: str, kind: str, constraint: Mapping[str, Any]) -> str:
    """``at_least`` holds for a unit of unknown level; ``by_level`` (行政层级 -> threshold, None: no
    limit) for a unit whose level is known: a city's fees in 万元 may well pass 10000."""
    level = constraint.get("level")
    by_level = constraint.get("by_level", {})
    at_least = by_level[level] if level in by_level else constraint.get("at_least", 10000)
    if at_least is None or cell.number is None or cell.number < at_least:
        return ""
    scale = f"对{level}来说" if level else "按乡镇的规模判断（未提供行政层级）"
    typed = cell.typed or show(cell.number)
    return (f"{label}为 {cell.shown}，单位是万元，{scale}这个数过大，看起来是按元填写的；"
            f"如果是 {typed} 元，请填 {convert(typed, '元', '万元')}")


_VALUE_CHECKS = {"count": _check_count, "blank": _check_blank, "text": _check_text,
                 "magnitude": _check_magnitude}
#: the only statuses a check can report on (the others always pass it): most cells skip the call
_VALUE_STATUSES = {"blank": frozenset({"blank", "placeholder"}), "text": frozenset({"unit", "text", "formula"})}


# ── running rules ────────────────────────────────────────────────────────────────────────────────
@dataclass
class CompiledRule:
    rule: Rule
    plugin: str
    validator: ReportValidator | None
    problem: str = ""


class _ShippedSchema(cerberus.schema.DefinitionSchema):  # type: ignore[misc]
    """A schema of a rule set shipped with xlcheck: Cerberus' check of it, half the cost of loading the
    plugins, runs in the tests (tests/test_plugins.py) instead of at every start."""

    def validate(self, schema: Any = None) -> None:
        pass


def compile_rule(rule: Rule, plugin: str, *, shipped: bool = False) -> CompiledRule:
    """Build the rule's validator once; Cerberus checks the schema itself, against its own rules and
    the argument schemas in the docstrings of ``ReportValidator``'s custom rules (unless ``shipped``:
    a rule of xlcheck's own rule sets, checked by the tests). A schema it rejects is kept as
    ``problem`` (and becomes a plugin-error if the rule is run anyway)."""
    try:
        if not shipped:
            return CompiledRule(rule, plugin, ReportValidator(dict(rule.schema), allow_unknown=True))
        validator = ReportValidator(allow_unknown=True)
        validator.schema = _ShippedSchema(validator, dict(rule.schema))
        return CompiledRule(rule, plugin, validator)
    except cerberus.SchemaError as exc:
        return CompiledRule(rule, plugin, None, "schema 不被 Cerberus 接受 (schema rejected by Cerberus): "
                            + schema_errors(exc.args[0] if exc.args else str(exc)))
    except Exception as exc:  # a plugin's bad schema must not stop the other rules
        return CompiledRule(rule, plugin, None, f"规则定义有误 (bad rule): {type(exc).__name__}: {exc}")


def schema_errors(tree: Any) -> str:
    """Cerberus' nested schema errors as ``path: what`` lines an author can act on."""
    parts = []
    for path, what in _schema_leaves(tree, ()):
        if what == "unknown rule" and path:
            close = difflib.get_close_matches(path[-1], list(ReportValidator.rules), n=1)
            if close:
                what += f"（是否想写 {close[0]}？）"
        parts.append(f"{'.'.join(path)}: {what}" if path else what)
    return "；".join(parts) or str(tree)


def _schema_leaves(tree: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    if isinstance(tree, Mapping):
        definitions = [v for k, v in tree.items() if str(k).startswith("anyof definition")]
        if definitions:
            # Cerberus tries a field's schema both as a dict's and as a list's: the deepest
            # complaint is the one about what the author wrote
            return max((_schema_leaves(d, path) for d in definitions),
                       key=lambda leaves: max((len(p) for p, _ in leaves), default=0))
        return [leaf for key, sub in tree.items() for leaf in _schema_leaves(sub, (*path, str(key)))]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree if item != "no definitions validate" for leaf in _schema_leaves(item, path)]
    return [(path, str(tree))]


#: told of each mistake ``resolve`` finds: the plugin to blame, the object (in Chinese), what is wrong
ProblemSink = Callable[[str, str, str], None]


def _raise(plugin: str, subject: str, message: str) -> None:
    raise ValueError(f"{subject}：{message}")


def describe(layer: RuleSet | Overlay, rule_id: str = "") -> str:
    """How messages name a rule set or an overlay, or one of its rules."""
    what = f"规则集 {layer.name} " if isinstance(layer, RuleSet) else f"Overlay（目标 {layer.target}）"
    return f"{what}的规则 {rule_id}" if rule_id else what.rstrip()


def resolve(name: str, rulesets: Mapping[str, RuleSet], overlays: Sequence[Overlay] = (),
            on_problem: ProblemSink | None = None) -> tuple[list[EffectiveRule], list[LabeledField]]:
    """The rules and cover fields a rule set runs with: base sets first, each set's overrides applied
    to what is below it, then the overlays other plugins contribute to that set.

    Raises KeyError for an unknown set and ValueError for a set that extends itself. Every other
    mistake (an override of a rule that is not there or of something other than severity, enabled,
    message or description; two rules with one id; a rule taking an existing id without
    ``replaces``) goes to ``on_problem``, which raises ValueError when not given; the rule set then
    runs without the mistaken part.
    """
    problem = on_problem or _raise
    chain: list[RuleSet] = []
    current: str | None = name
    while current is not None:
        if current not in rulesets:
            raise KeyError(current)
        if any(rs.name == current for rs in chain):
            raise ValueError(f"rule set {current!r} extends itself")
        chain.insert(0, rulesets[current])
        current = rulesets[current].extends
    merged: dict[str, EffectiveRule] = {}
    #: which layer added each rule, to say whom a clash of ids is to blame on
    layer_of: dict[str, RuleSet | Overlay] = {}
    fields: dict[str, LabeledField] = {}
    for ruleset in chain:
        layers: list[RuleSet | Overlay] = [ruleset, *(o for o in overlays if o.target == ruleset.name)]
        for layer in layers:
            source = layer.name if isinstance(layer, RuleSet) else layer.plugin
            what = describe(layer)
            for rule_id, change in layer.overrides.items():
                if rule_id not in merged:
                    own = any(r.id == rule_id for r in layer.rules)
                    problem(layer.plugin, what, (
                        f"overrides 修改的规则 {rule_id} 是它自己的规则，直接改这条规则即可 "
                        f"(an override of its own rule {rule_id} does nothing)" if own else
                        f"overrides 修改的规则 {rule_id} 不在它之下的规则中（{_names(chain, ruleset)}），"
                        f"这项修改不起作用 (override of unknown rule {rule_id})"))
                    continue
                try:
                    changed = _changed(merged[rule_id].rule, change)
                except ValueError as exc:
                    problem(layer.plugin, what, str(exc))
                    continue
                merged[rule_id] = replace(merged[rule_id], rule=changed, changed_by=source)
            here: set[str] = set()
            for rule in layer.rules:
                if rule.id in here:
                    problem(layer.plugin, describe(layer, rule.id),
                            f"编号 {rule.id} 在这里出现了两次，只有第一条会执行 (two rules with id {rule.id})")
                    continue
                here.add(rule.id)
                entry = EffectiveRule(rule, layer.plugin, source)
                if rule.replaces and rule.replaces not in merged:
                    problem(layer.plugin, describe(layer, rule.id),
                            f"replaces=\"{rule.replaces}\"，但它之下没有规则 {rule.replaces} "
                            f"(replaces an unknown rule)")
                elif rule.id != rule.replaces and rule.id in merged:
                    _clash(problem, rule.id, layer, layer_of[rule.id])
                    continue
                elif rule.replaces:
                    # in the replaced rule's place, so findings keep their order
                    entry = replace(entry, replaced=rule.replaces)
                    merged = {(rule.id if k == rule.replaces else k): (entry if k == rule.replaces else v)
                              for k, v in merged.items()}
                    layer_of[rule.id] = layer
                    continue
                if rule.id in merged:
                    _clash(problem, rule.id, layer, layer_of[rule.id])
                    continue
                merged[rule.id] = entry
                layer_of[rule.id] = layer
            fields.update((f.key, f) for f in layer.fields)
    return list(merged.values()), list(fields.values())


def _names(chain: Sequence[RuleSet], upto: RuleSet) -> str:
    return "、".join(rs.name for rs in chain[:chain.index(upto) + 1])


def _clash(problem: ProblemSink, rule_id: str, layer: RuleSet | Overlay, prior: RuleSet | Overlay) -> None:
    """A rule taking an id already in the set, without ``replaces``: the later one would silently win.

    An overlay changes a set for everyone, so when a set built on the overlay's target defines the
    same id, the overlay is the one to rename its rule; otherwise the newcomer is."""
    if isinstance(layer, RuleSet) and isinstance(prior, Overlay):
        problem(prior.plugin, describe(prior, rule_id),
                f"规则集 {layer.name}（建立在 {prior.target} 之上）也有规则 {rule_id}，按 {layer.name} 校验时"
                f"这条规则会被丢掉；请换一个编号 (overlay rule {rule_id} is shadowed by set {layer.name})")
        return
    other = describe(prior, rule_id)
    if isinstance(prior, Overlay):
        other = f"插件 {prior.plugin} 的 {other}"
    problem(layer.plugin, describe(layer, rule_id),
            f"编号与{other} 相同，会悄悄取代它；确实要取代请写 "
            f"Rule(..., replaces=\"{rule_id}\")，否则请换一个编号 "
            f"(rule id {rule_id} shadows a rule below: say replaces=\"{rule_id}\" or choose another id)")


def _changed(rule: Rule, change: Mapping[str, Any]) -> Rule:
    if not isinstance(change, Mapping):
        raise ValueError(f"overrides 中规则 {rule.id} 的修改应是字典，如 {{\"severity\": \"error\"}}，"
                         f"而不是 {change!r} (an override is a dict)")
    unknown = set(change) - OVERRIDABLE
    if unknown:
        raise ValueError(f"overrides 只能修改规则 {rule.id} 的 {'、'.join(sorted(OVERRIDABLE))}，不能修改 "
                         f"{'、'.join(sorted(unknown))} (an override may change only {sorted(OVERRIDABLE)})")
    out = dict(change)
    if "severity" in out:
        try:
            out["severity"] = Severity(out["severity"])
        except ValueError:
            raise ValueError(f"overrides 给规则 {rule.id} 的 severity {out['severity']!r} 无效，应为 error、"
                             f"warning 或 info (unknown severity)") from None
    if "enabled" in out and not isinstance(out["enabled"], bool):
        raise ValueError(f"overrides 给规则 {rule.id} 的 enabled 应为 True 或 False (enabled takes a bool)")
    for key in ("message", "description"):
        if key in out and not isinstance(out[key], str):
            raise ValueError(f"overrides 给规则 {rule.id} 的 {key} 应为字符串 ({key} takes a str)")
    return replace(rule, **out)


def run_rule(compiled: CompiledRule, document: Mapping[str, Any], *, lean: bool = True) -> list[Finding]:
    """The rule's findings on ``document``; ``lean=False`` runs it through Cerberus' own ``validate``
    even where the lean run (:func:`lean_plan`) would do (the tests compare the two)."""
    rule = compiled.rule
    validator = compiled.validator
    if validator is None:
        return [_plugin_error(compiled, compiled.problem)]
    try:
        if not (lean and _run_lean(validator, document)):
            validator.validate(document, normalize=False)
        return [_finding(rule, error, document) for error in _leaves(validator._errors)]
    except Exception as exc:  # fault isolation: one broken rule never stops the others
        return [_plugin_error(compiled, f"{type(exc).__name__}: {exc}")]


#: xlcheck's custom rules by name, as Cerberus finds their methods (``_validate_<rule>``)
_CUSTOM_RULES = {name.removeprefix("_validate_"): method for name, method in vars(ReportValidator).items()
                 if name.startswith("_validate_xl_")}

#: a schema's plan for a lean run: field -> its rules' methods and constraints, in the schema's order
_Plan = dict[str, tuple[tuple[Callable[..., Any], Any], ...]]


def lean_plan(validator: ReportValidator) -> _Plan | None:
    """How :func:`run_rule` runs a schema made of xlcheck's custom rules alone, on top-level fields
    (every schema of the shipped rule sets but the provincial cover blocks); None for any other.

    For such a schema Cerberus' ``validate(document, normalize=False)`` does no more than call each
    present field's rules in order (``nullable`` first, which acts only on a None value), and much
    of its time goes to its own set-up, rule queues and error trees; the lean run calls the same
    methods with the same arguments and records the same errors in the same order
    (tests/test_rules.py runs both ways over the test corpus)."""
    cached = validator.__dict__.get("_xl_plan", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    plan: _Plan | None = {}
    schema = validator.schema
    for fld, definitions in (schema.items() if isinstance(schema, Mapping) else ()):
        if plan is None or not isinstance(fld, str) or not isinstance(definitions, Mapping):
            plan = None
            break
        steps = []
        for name, constraint in definitions.items():
            method = _CUSTOM_RULES.get(name)
            if method is None:
                plan = None
                break
            steps.append((method, constraint))
        if plan is not None:
            plan[fld] = tuple(steps)
    if not isinstance(schema, Mapping) or validator.allow_unknown is not True or validator.ignore_none_values:
        plan = None
    validator.__dict__["_xl_plan"] = plan
    return plan


def _run_lean(validator: ReportValidator, document: Mapping[str, Any]) -> bool:
    """Run the validator's schema the lean way (:func:`lean_plan`); False when it must be Cerberus'."""
    plan = lean_plan(validator)
    if plan is None:
        return False
    fields = [fld for fld in document if fld in plan]
    if any(document[fld] is None for fld in fields):
        return False  # Cerberus' ``nullable`` reports a None value
    validator._errors = cerberus_errors.ErrorList()
    validator.recent_error = None
    validator.document = document
    validator._lean = True
    try:
        # Cerberus walks the document's fields in the document's order, each field's rules in the
        # schema's order
        for fld in fields:
            value = document[fld]
            for method, constraint in plan[fld]:
                if method(validator, constraint, fld, value):  # as Cerberus: a true result ends the field
                    break
    except _NotLeanError:
        return False
    finally:
        validator._lean = False
    return True


def _plugin_error(compiled: CompiledRule, problem: str) -> Finding:
    return Finding("plugin-error", Severity.ERROR,
                   f"插件 {compiled.plugin or '?'} 的规则 {compiled.rule.id} 运行出错，未能完成这项校验：{problem}")


def _leaves(errs: Iterable[Any]) -> Iterator[Any]:
    for error in errs:
        if error.is_group_error:
            yield from _leaves(error.child_errors)
        else:
            yield error


def _finding(rule: Rule, error: Any, document: Mapping[str, Any]) -> Finding:
    if error.code == cerberus_errors.CUSTOM.code and len(error.info) == 4:
        message, cells, severity, where = error.info
        return Finding(rule.id, severity or rule.severity, message, cells, where)
    path = ".".join(str(p) for p in error.document_path)
    names, refs = document["ctx"].field_names, document["ctx"].field_refs
    template = rule.message or CERBERUS_MESSAGES.get(error.code, "{field}不符合要求（{value}）")
    message = template.format(field=names.get(path, path), value="" if error.value is None else _shown(error.value),
                              constraint=_shown_constraint(error.constraint))
    return Finding(rule.id, rule.severity, message, (refs[path],) if path in refs else ())


def _shown_constraint(constraint: Any) -> str:
    if isinstance(constraint, (list, tuple)):
        return "、".join(_shown(c) for c in constraint)
    return _shown(constraint)


def _shown(value: Any) -> str:
    """A value as a message quotes it: numbers as typed (3, not 3.0; never 1e+16)."""
    if isinstance(value, float) and math.isfinite(value):
        return show(value)
    return str(value)
