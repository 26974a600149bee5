"""Error localization: the cells to change, and only what the tables determine."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import corpus

import xlcheck
from xlcheck import Rule, Severity, hookimpl
from xlcheck.cells import column_index
from xlcheck.check import check_workbook
from xlcheck.findings import FIX_RULE, Report, split_cell_ref
from xlcheck.plugins import load
from xlcheck.reader import Workbook, read_workbook


def fix_findings(report: Report) -> list[xlcheck.Finding]:
    return [f for f in report.findings if f.rule == FIX_RULE]


def test_sample_report_gets_exactly_its_two_cells(xiaolou: tuple[Path, dict[str, str]]) -> None:
    path, cells = xiaolou
    report = xlcheck.check(path)
    assert [s.to_dict() for s in report.suggestions] == [
        {"cell": cells["t3.total.natural"], "current": 0, "suggested": 1, "rules": ["T3-ID", "T3-RES"]},
        {"cell": cells["t3.total.total"], "current": 0, "suggested": 1, "rules": ["T3-ID", "T3-RES"]},
    ]
    assert report.candidates == []
    (fix,) = fix_findings(report)
    assert fix.severity is Severity.INFO
    assert fix.message == (
        f"最可能填错：{cells['t3.total.natural']} 三（七）总计（自然人）填的是 0，应为 1；"
        f"{cells['t3.total.total']} 三（七）总计（总计）填的是 0，应为 1；改这两格后 T3-ID、T3-RES 都成立")
    assert fix.cells == (cells["t3.total.natural"], cells["t3.total.total"])
    assert not report.ok  # the suggestion explains the errors; it does not excuse them


def test_a_part_left_at_zero_is_the_suggestion_and_among_the_cells(check_values: Any) -> None:
    values = corpus.consistent_values("2019", seed=3)
    for key in ("public.natural", "total.natural", "new.natural", "public.total", "total.total", "new.total"):
        values[f"t3.{key}"] += 1  # still consistent, and （一）予以公开（自然人） is at least 1
    meant = values["t3.public.natural"]
    values["t3.public.natural"] = 0  # left at 0, as in the 2019 report
    report, cells = check_values("2019", values)
    wrong = cells["t3.public.natural"]
    assert any(wrong in f.cells for f in report.findings if f.severity is Severity.ERROR)
    assert [(s.cell, s.current, s.suggested, s.rules) for s in report.suggestions] == [
        (wrong, 0, meant, ("T3-RES", "T3-ROW"))]


def test_table_four_single_slip_lists_candidates_not_an_answer(check_values: Any) -> None:
    values = corpus.consistent_values("2021", seed=1)
    values.update({"t4.review.upheld": 2, "t4.review.corrected": 1, "t4.review.other": 0, "t4.review.pending": 3,
                   "t4.review.total": 6})
    values["t4.review.corrected"] = 4  # typed 4 for 1: total, or any part, could be the wrong one
    report, cells = check_values("2021", values)
    assert report.suggestions == []
    options = [[(s.cell, s.current, s.suggested) for s in fix] for fix in report.candidates]
    assert [(cells["t4.review.corrected"], 4, 1)] in options
    assert [(cells["t4.review.total"], 6, 9)] in options
    assert [(cells["t4.review.pending"], 3, 0)] in options
    assert len(options) == 3  # 结果维持 (2) and 其他结果 (0) would have to become negative
    (fix,) = fix_findings(report)
    assert fix.message.startswith("表四 行政复议 的五格中有一格填错，无法确定是哪一格（有 3 种同样小的改法）：可能是 ")
    assert fix.message.endswith("请以原始台账为准")
    assert set(fix.cells) == {c for option in options for c, _, _ in option}


def test_slip_pattern_orders_candidates_but_is_not_an_answer(check_values: Any) -> None:
    values = corpus.consistent_values("2021", seed=1)
    values.update({"t4.direct.upheld": 5, "t4.direct.corrected": 12, "t4.direct.other": 0,
                   "t4.direct.pending": 0, "t4.direct.total": 26})  # 结果纠正 21 typed as 12
    report, cells = check_values("2021", values)
    assert report.suggestions == []
    assert len(report.candidates) == 5
    assert [(s.cell, s.current, s.suggested) for s in report.candidates[0]] == [(cells["t4.direct.corrected"], 12, 21)]
    (fix,) = fix_findings(report)
    assert "像是两位数字颠倒" in fix.message and "请以原始台账为准" in fix.message


def test_blank_cells_are_unknowns_the_tables_fill_in(check_values: Any) -> None:
    values = corpus.consistent_values("2019", seed=5)
    raw = {"t3.new.total": "", "t3.carry_forward.total": ""}
    report, cells = check_values("2019", values, raw=raw)
    got = {s.cell: (s.current, s.suggested) for s in report.suggestions}
    assert got[cells["t3.new.total"]] == (None, values["t3.new.total"])
    if values["t3.carry_forward.total"]:
        assert got[cells["t3.carry_forward.total"]] == (None, values["t3.carry_forward.total"])
    (fix,) = fix_findings(report)
    assert "未填写，应为" in fix.message


def test_independent_tables_are_separate_problems(check_values: Any) -> None:
    values = corpus.consistent_values("2019", seed=2)
    values["t3.partial.business"] += 7
    values["t4.after.total"] += 5
    report, cells = check_values("2019", values)
    assert [s.cell for s in report.suggestions] == [cells["t3.partial.business"]]
    group = {cells[f"t4.after.{k}"] for k in ("upheld", "corrected", "other", "pending", "total")}
    assert len(report.candidates) == 5 and all(len(fix) == 1 and fix[0].cell in group for fix in report.candidates)
    assert len(fix_findings(report)) == 2


def test_json_always_carries_suggestions_and_candidates(tmp_path: Path, xiaolou: tuple[Path, dict[str, str]]
                                                       ) -> None:
    clean = tmp_path / "clean.xlsx"
    corpus.write_report(clean, "2021", corpus.consistent_values("2021", seed=0), year=2022)
    out = subprocess.run([sys.executable, "-m", "xlcheck", "check", str(clean), str(xiaolou[0]), "--no-annotate",
                          "--format", "json"], capture_output=True, text=True, check=False)
    data = json.loads(out.stdout)  # nothing but the JSON on standard output, solver or not
    first, second = data["reports"]
    assert (first["suggestions"], first["candidates"]) == ([], [])
    assert [s["cell"] for s in second["suggestions"]] == [xiaolou[1]["t3.total.natural"], xiaolou[1]["t3.total.total"]]
    assert second["candidates"] == []


def test_a_clean_check_does_not_import_the_solver(tmp_path: Path, xiaolou: tuple[Path, dict[str, str]]) -> None:
    clean = tmp_path / "clean.xlsx"
    corpus.write_report(clean, "2019", corpus.consistent_values("2019", seed=4), year=2020)
    probe = ("import sys, xlcheck\n"
             "r = xlcheck.check(sys.argv[1])\n"
             "print(bool(r.findings), sorted(m for m in ('highspy', 'numpy', 'xlcheck.localize') if m in sys.modules))")
    run = [sys.executable, "-c", probe]
    assert subprocess.run([*run, str(clean)], capture_output=True, text=True, check=True).stdout.split() == \
        ["False", "[]"]
    # and the same probe sees it imported when an equality fails: the probe can tell
    dirty = subprocess.run([*run, str(xiaolou[0])], capture_output=True, text=True, check=True).stdout
    assert dirty.startswith("True") and "'xlcheck.localize'" in dirty


class EqualityPlugin:
    """A third party's own equality: its cells join the localization without anything else."""

    @hookimpl
    def xlcheck_overlays(self) -> list[Any]:
        return [xlcheck.Overlay("national", rules=(Rule(
            "X-EQ", Severity.ERROR, "表四 复议后起诉 总计 = 行政复议 结果纠正（本地口径）",
            {"values": {"xl_compare": {"left": ["t4.after.total"], "op": "==", "right": ["t4.review.corrected"]}}}),))]


def test_a_plugin_equality_takes_part(tmp_path: Path) -> None:
    values = corpus.consistent_values("2021", seed=6)
    values.update({"t4.review.upheld": 1, "t4.review.corrected": 2, "t4.review.other": 0, "t4.review.pending": 0,
                   "t4.review.total": 3, "t4.after.upheld": 2, "t4.after.corrected": 0, "t4.after.other": 0,
                   "t4.after.pending": 0, "t4.after.total": 2})
    values["t4.after.total"] = 5  # breaks T4-SUM (after) and X-EQ
    path = tmp_path / "r.xlsx"
    cells = corpus.write_report(path, "2021", values, year=2022)
    registry = load(autoload=False, modules=["xlcheck_national"], extra=[EqualityPlugin()])
    report = xlcheck.check(path, registry=registry)
    # alone, T4-SUM could be fixed in any of five cells; with X-EQ only 总计 fixes both
    assert [(s.cell, s.current, s.suggested, s.rules) for s in report.suggestions] == [
        (cells["t4.after.total"], 5, 2, ("T4-SUM", "X-EQ"))]


# ── the corpus: consistent reports with slips, as people make them ──────────────────────────────
def slipped(value: int, rng: random.Random) -> int | None:
    """``value`` as a person mistypes it: digits swapped, dropped or doubled, the sign, left at 0."""
    text = str(value)
    kinds = ["zero", "sign", "double"]
    if len(text) >= 2:
        kinds += ["swap", "drop"]
    kind = rng.choice(kinds)
    if kind == "zero":
        out = 0
    elif kind == "sign":
        out = -value
    elif kind == "double":
        i = rng.randrange(len(text))
        out = int(text[:i] + text[i] + text[i:])
    elif kind == "swap":
        i = rng.randrange(len(text) - 1)
        out = int(text[:i] + text[i + 1] + text[i] + text[i + 2:])
    else:
        i = rng.randrange(len(text))
        out = int(text[:i] + text[i + 1:] or "0")
    return out if out != value else None


#: the scale of a unit's counts: 乡镇, 县级部门, 区, 市
LEVEL_SCALES = (1, 7, 23, 131)


def _grid(fmt: str, seed: int, scale: int, tmp_path: Path) -> tuple[Workbook, dict[str, str], dict[str, int]]:
    values = corpus.consistent_values(fmt, seed)
    for key in values:
        if key.startswith(("t3.", "t4.")):
            values[key] = int(values[key]) * scale  # sums of sums still hold
    path = tmp_path / f"{fmt}-{seed}.xlsx"
    cells = corpus.write_report(path, fmt, values, year=2020 if fmt == "2019" else 2022)
    return read_workbook(path), cells, {k: int(v) for k, v in values.items() if k.startswith(("t3.", "t4."))}


def _with(book: Workbook, cells: dict[str, str], changes: dict[str, int]) -> Workbook:
    sheets = copy.deepcopy(book.sheets)
    by_name = {s.name: s for s in sheets}
    for key, value in changes.items():
        sheet, ref = split_cell_ref(cells[key])
        letters = "".join(ch for ch in ref if ch.isalpha())
        row, col = int(ref[len(letters):]) - 1, column_index(letters)
        by_name[sheet].rows[row][col] = float(value)
    return Workbook(book.path, sheets, book.kind)


def test_corpus_of_slipped_reports(tmp_path: Path) -> None:
    rng = random.Random(20261201)
    unique = right = wrong = t4_single = t4_candidates = 0
    failures: list[str] = []
    for n in range(16):
        fmt = ("2019", "2021")[n % 2]
        book, cells, values = _grid(fmt, n, LEVEL_SCALES[n % len(LEVEL_SCALES)], tmp_path)
        keys = sorted(values)
        for _ in range(5):
            count = rng.choice((1, 1, 2))
            changes: dict[str, int] = {}
            while len(changes) < count:
                key = rng.choice(keys)
                typed = slipped(values[key], rng)
                if typed is not None and key not in changes:
                    changes[key] = typed
            report = check_workbook(_with(book, cells, changes))
            errors = {c for f in report.findings if f.severity is Severity.ERROR for c in f.cells}
            assert {cells[k] for k in changes} <= errors, (changes, report.findings)
            truth = sorted((cells[k], float(values[k])) for k in changes)
            got = sorted((s.cell, s.suggested) for s in report.suggestions)
            single_t3 = count == 1 and next(iter(changes)).startswith("t3.")
            if report.suggestions or single_t3:
                unique += 1
                rest = set(truth) - set(got)  # slips in another table, left to that table's candidates
                listed = {(s.cell, s.suggested) for fix in report.candidates for s in fix}
                right += bool(got) and not set(got) - set(truth) and rest <= listed
                if not (got and not set(got) - set(truth) and rest <= listed):
                    failures.append(f"unanswered {fmt} {changes}: suggested {got}, {len(report.candidates)} "
                                    f"candidates, truth {truth}")
            if set(got) - set(truth):  # a cell of another table may be left to its candidates
                wrong += 1
                failures.append(f"{fmt} {changes}: suggested {got}, truth {truth}")
            if count == 1 and next(iter(changes)).startswith("t4."):
                t4_single += 1
                options = [sorted((s.cell, s.suggested) for s in fix) for fix in report.candidates]
                t4_candidates += bool(report.candidates) and truth in options and not report.suggestions
    assert wrong == 0, failures
    assert unique >= 30 and right >= 0.95 * unique, (right, unique, failures)
    assert t4_single and t4_candidates >= 0.8 * t4_single, (t4_candidates, t4_single)


def test_three_slips_are_found_by_the_solver_and_json_stays_clean(tmp_path: Path) -> None:
    values = corpus.consistent_values("2021", seed=8)
    rows: set[str] = set()
    columns: set[str] = set()
    truth: dict[str, Any] = {}
    for key, value in values.items():  # three cells in three rows and three columns, none of them 0
        _, row, col = key.split(".") if key.startswith("t3.") else ("", "", "")
        if row and value and row not in rows and col not in columns and len(truth) < 3:
            truth[key] = value
            rows.add(row)
            columns.add(col)
    slips = {key: value * 11 + 1 for key, value in truth.items()}
    path = tmp_path / "three.xlsx"
    cells = corpus.write_report(path, "2021", {**values, **slips}, year=2022)
    out = subprocess.run([sys.executable, "-m", "xlcheck", "check", str(path), "--no-annotate", "--format", "json"],
                         capture_output=True, text=True, check=False)
    (report,) = json.loads(out.stdout)["reports"]  # the solver prints nothing on standard output
    got = {(s["cell"], s["current"], s["suggested"]) for s in report["suggestions"]}
    assert got == {(cells[k], slips[k], truth[k]) for k in truth}


# ── the exhaustive search, against the solver ───────────────────────────────────────────────────
def test_the_search_finds_what_the_solver_finds(tmp_path: Path, monkeypatch: Any) -> None:
    """Up to four slipped cells are found by a search in plain Python; on the same reports the
    solver alone (the search switched off) must give the same suggestions and candidates."""
    from xlcheck import localize

    rng = random.Random(7)
    compared = 0
    for n in range(6):
        fmt = ("2019", "2021")[n % 2]
        book, cells, values = _grid(fmt, 40 + n, LEVEL_SCALES[n % len(LEVEL_SCALES)], tmp_path)
        keys = sorted(values)
        changes: dict[str, int] = {}
        while len(changes) < 1 + n % 3:
            key = rng.choice(keys)
            typed = slipped(values[key], rng)
            if typed is not None:
                changes[key] = typed
        slipped_book = _with(book, cells, changes)
        searched = check_workbook(slipped_book)
        with monkeypatch.context() as m:
            m.setattr(localize, "_searched_fixes", lambda problem, model: None)
            solved = check_workbook(slipped_book)
        assert searched.findings == solved.findings, changes
        assert searched.suggestions == solved.suggestions and searched.candidates == solved.candidates, changes
        compared += bool(searched.suggestions or searched.candidates)
    assert compared == 6


def test_a_few_slips_do_not_load_numpy_or_the_solver(tmp_path: Path) -> None:
    values = corpus.consistent_values("2021", seed=8)
    slips = {k: int(v) * 11 + 1 for k, v in list(values.items()) if k in ("t3.new.natural", "t3.carried_over.business",
                                                                          "t3.public.research")}
    assert len(slips) == 3, sorted(values)[:20]
    path = tmp_path / "three.xlsx"
    cells = corpus.write_report(path, "2021", {**values, **slips}, year=2022)
    probe = ("import sys, xlcheck\n"
             "r = xlcheck.check(sys.argv[1])\n"
             "print(len(r.suggestions), sorted(m for m in ('highspy', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["3", "[]"], cells


def test_elimination_tells_one_none_and_many_solutions() -> None:
    from xlcheck.localize import _eliminate

    assert _eliminate([[1.0, 1.0, 3.0], [1.0, -1.0, 1.0]], 2, 1e-9) == [2.0, 1.0]
    assert _eliminate([[1.0, 1.0, 3.0], [1.0, 1.0, 4.0]], 2, 1e-9) is None
    assert _eliminate([[1.0, 1.0, 3.0], [2.0, 2.0, 6.0]], 2, 1e-9) is False
    assert _eliminate([[1.0, 2.0], [0.0, 0.0]], 1, 1e-9) == [2.0]
