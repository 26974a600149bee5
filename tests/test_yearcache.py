"""Last year's values kept between runs (``xlcheck.yearcache``): the same answers as reading the
workbooks, a changed workbook read again, one pack per run, merged when there are many, and a cache
that can never break a run."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from test_years import LAST, THIS, report_at

from xlcheck import batch, review, yearcache
from xlcheck.cli import main
from xlcheck.plugins import default_registry
from xlcheck.yearcache import YearCache, cache_dir, fingerprint


def years(tmp_path: Path, carried: int = 3) -> tuple[Path, Path]:
    """Two units in both years; 青山 carries over ``carried`` where last year carried forward 3."""
    report_at(tmp_path / "2022" / "青山.xlsx", LAST, 2022)
    report_at(tmp_path / "2022" / "石滩.xlsx", LAST, 2022, unit="石滩镇人民政府")
    report_at(tmp_path / "2023" / "青山.xlsx", dict(THIS, **{"t3.carried_over.natural": carried,
                                                            "t3.carried_over.total": carried + 1}), 2023)
    report_at(tmp_path / "2023" / "石滩.xlsx", THIS, 2023, unit="石滩镇人民政府")
    return tmp_path / "2023", tmp_path / "2022"


def checked(capsys: pytest.CaptureFixture[str], this: Path, last: Path, *options: str) -> tuple[int, Any, str]:
    code = main(["check", str(this), "--previous", str(last), "--format", "json", "--no-annotate", *options])
    out, err = capsys.readouterr()
    return code, json.loads(out)["reports"], err


def packs(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.jsonl"))


def entries(folder: Path) -> list[dict[str, Any]]:
    """Every entry of every pack, as JSON."""
    return [json.loads(line.partition(" ")[2]) for pack in packs(folder)
            for line in pack.read_text(encoding="utf-8").splitlines()]


def rewrite(folder: Path, change: Any) -> None:
    """Each pack's lines, each as ``change(digest, JSON text)`` gives it back."""
    for pack in packs(folder):
        lines = [change(*line.split(" ", 1)) for line in pack.read_text(encoding="utf-8").splitlines()]
        pack.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def review_run(this: Path, last: Path, settings: batch.Settings) -> review.ReviewResult:
    tasks = batch.plan(batch.expand([str(this)]).files, settings)
    previous = batch.plan(batch.expand([str(last)]).files, settings)
    return review.run(tasks, previous, settings, registry=default_registry(), explicit=True, jobs=1)


def test_a_second_run_gives_the_same_answers_from_the_cache(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           _cache_of_this_test: Path) -> None:
    this, last = years(tmp_path, carried=2)
    first = checked(capsys, this, last)
    # one pack for the run, with an entry for each of last year's workbooks
    assert len(packs(_cache_of_this_test)) == 1 and len(entries(_cache_of_this_test)) == 2
    second = checked(capsys, this, last)
    assert second == first
    qingshan = next(r for r in first[1] if r["path"].endswith("青山.xlsx"))
    assert qingshan["previous"] == str(last / "青山.xlsx")
    xy = [f for f in qingshan["findings"] if f["rule"] == "T3-XY"]
    assert xy and "四、结转下年度继续办理（自然人）为 3" in xy[0]["message"]


def test_a_cached_workbook_is_not_opened_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               _cache_of_this_test: Path) -> None:
    this, last = years(tmp_path, carried=2)
    settings = batch.Settings(cache=True)

    def run() -> list[list[str]]:
        return [[f.message for f in r.findings] for r in review_run(this, last, settings).result.reports]

    before = run()
    from xlcheck.check import read_values

    read: list[str] = []

    def counted(path: str, **options: Any) -> Any:
        read.append(os.path.basename(path))
        return read_values(path, **options)

    monkeypatch.setattr(sys.modules["xlcheck.check"], "read_values", counted)
    assert run() == before
    assert read == []
    # only the workbook that changed is read again, and the next run's pack holds only it
    report_at(last / "石滩.xlsx", LAST, 2022, unit="石滩镇人民政府")
    assert run() == before
    assert read == ["石滩.xlsx"]
    assert [len(p.read_text(encoding="utf-8").splitlines()) for p in packs(_cache_of_this_test)] == [2, 1]
    assert run() == before and read == ["石滩.xlsx"]


def test_cached_reports_count_on_the_progress_bar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    this, last = years(tmp_path)
    settings = batch.Settings(cache=True)
    started: list[bool] = []
    run = batch.run

    def running(*args: Any, **kwargs: Any) -> batch.BatchResult:
        started.append(True)
        return run(*args, **kwargs)

    monkeypatch.setattr(batch, "run", running)
    for _ in range(2):  # the first run reads last year's workbooks, the second takes them from the cache
        seen: list[int] = []

        def told(outcome: batch.Outcome, seen: list[int] = seen) -> None:
            assert started, "a progress bar started before the workers were forked"
            seen.append(outcome.index)

        started.clear()
        tasks = batch.plan(batch.expand([str(this)]).files, settings)
        previous = batch.plan(batch.expand([str(last)]).files, settings)
        done = review.run(tasks, previous, settings, registry=default_registry(), explicit=True, jobs=1,
                          on_outcome=told)
        assert sorted(seen) == [0, 1, 2, 3]
        assert [o.index for o in done.previous] == [2, 3]
        assert [os.path.basename(o.report.path) for o in done.previous] == ["石滩.xlsx", "青山.xlsx"]


def test_a_changed_workbook_is_read_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    this, last = years(tmp_path, carried=2)

    def cross_year() -> list[str]:
        reports = checked(capsys, this, last)[1]
        return [f["message"] for r in reports for f in r["findings"] if f["rule"] == "T3-XY"]

    assert cross_year()
    # last year's file is corrected: it carried forward 2 and 3 in all, as this year says
    report_at(last / "青山.xlsx", dict(LAST, **{"t3.carry_forward.natural": 2, "t3.carry_forward.total": 3,
                                                "t3.new.natural": 4, "t3.new.total": 5}), 2022)
    assert cross_year() == []


def test_a_workbook_changed_while_it_is_read_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    this, last = years(tmp_path, carried=2)
    settings = batch.Settings(cache=True)
    from xlcheck.check import read_values

    def read_then_corrected(path: str, **options: Any) -> Any:
        report = read_values(path, **options)
        if path.endswith("青山.xlsx"):  # saved again by its clerk while xlcheck was reading it
            report_at(Path(path), dict(LAST, **{"t3.carry_forward.natural": 2, "t3.carry_forward.total": 3,
                                                "t3.new.natural": 4, "t3.new.total": 5}), 2022)
        return report

    def cross_year() -> list[str]:
        return [f.message for r in review_run(this, last, settings).result.reports for f in r.findings
                if f.rule == "T3-XY"]

    monkeypatch.setattr(sys.modules["xlcheck.check"], "read_values", read_then_corrected)
    assert cross_year()  # what was read before the clerk saved
    monkeypatch.setattr(sys.modules["xlcheck.check"], "read_values", read_values)
    assert cross_year() == []  # the file as saved, not the entry of what it was


def test_no_cache_neither_reads_nor_writes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              _cache_of_this_test: Path) -> None:
    this, last = years(tmp_path)
    assert checked(capsys, this, last, "--no-cache")[0] == 0
    assert packs(_cache_of_this_test) == []
    checked(capsys, this, last)

    def nine(digest: str, text: str) -> str:  # entries that would say 青山 carried forward 9
        data = json.loads(text)
        kept = data["report"]["values"]
        for key in ("t3.carry_forward.natural", "t3.carry_forward.total"):
            kept["numbers"][kept["keys"].index(key)] = 9
        return f"{digest} {json.dumps(data)}"

    rewrite(_cache_of_this_test, nine)
    assert checked(capsys, this, last)[0] == 1  # the cache is used: 9 is not 3
    assert checked(capsys, this, last, "--no-cache")[0] == 0  # the workbooks say 3


@pytest.mark.parametrize("damage", ["", "{", "[]", '{"key": 1}', '{"key": null, "report": {}}', "\u2028",
                                    "numbers", "keys"])
def test_a_damaged_entry_is_read_from_the_workbook_and_replaced(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], _cache_of_this_test: Path, damage: str) -> None:
    this, last = years(tmp_path, carried=2)
    first = checked(capsys, this, last)
    def damaged(digest: str, text: str) -> str:
        if damage not in ("numbers", "keys"):
            return f"{digest} {damage}"
        data = json.loads(text)  # the key intact, a column of the wrong kind or length
        column = data["report"]["values"][damage]
        column[0] = "3" if damage == "numbers" else None
        if damage == "keys":
            column.pop()
        return f"{digest} {json.dumps(data)}"

    rewrite(_cache_of_this_test, damaged)
    assert checked(capsys, this, last) == first
    cache = YearCache(_cache_of_this_test, fingerprint(default_registry(), "national"))
    assert all(cache.lookup([str(last / "青山.xlsx"), str(last / "石滩.xlsx")]))  # good entries again


@pytest.mark.parametrize("damage", [b"", b"\xff\xfe\x00garbage", b"0" * 64 + b" {\n" * 3, b"\n\n\n"])
def test_a_damaged_pack_is_read_from_the_workbooks(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   _cache_of_this_test: Path, damage: bytes) -> None:
    this, last = years(tmp_path, carried=2)
    first = checked(capsys, this, last)
    for pack in packs(_cache_of_this_test):
        pack.write_bytes(damage)
    assert checked(capsys, this, last) == first


def test_packs_are_merged_without_the_entries_of_changed_workbooks(tmp_path: Path,
                                                                    _cache_of_this_test: Path) -> None:
    folder = tmp_path / "2022"
    books = [report_at(folder / f"单位{i}.xlsx", LAST, 2022, unit=f"单位{i}镇人民政府")
             for i in range(yearcache.MAX_PACKS + 1)]
    cache = YearCache(_cache_of_this_test, fingerprint(default_registry(), "national"))
    from xlcheck.check import read_values

    for book in books:  # a run for each workbook, each leaving a pack
        cache.store(str(book), read_values(book))
    assert len(packs(_cache_of_this_test)) == 1  # the ninth pack had the nine merged
    assert {e["key"][1] for e in entries(_cache_of_this_test)} == {os.path.realpath(b) for b in books}
    report_at(books[0], dict(LAST, **{"t3.new.natural": 4, "t3.new.total": 5}), 2022, unit="单位0镇人民政府")
    assert cache.load(str(books[0])) is None  # changed since: read again
    for book in books[1:]:
        cache.store(str(book), read_values(book))
    assert len(entries(_cache_of_this_test)) == len(books) - 1  # the changed one's old entry is gone
    assert cache.load(str(books[1])) is not None


def test_past_its_size_bound_the_cache_reads_its_newest_packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              _cache_of_this_test: Path) -> None:
    older = report_at(tmp_path / "甲.xlsx", LAST, 2022, unit="甲镇人民政府")
    newer = report_at(tmp_path / "乙.xlsx", LAST, 2022, unit="乙镇人民政府")
    cache = YearCache(_cache_of_this_test, fingerprint(default_registry(), "national"))
    from xlcheck.check import read_values

    cache.store(str(older), read_values(older))
    cache.store(str(newer), read_values(newer))
    monkeypatch.setattr(yearcache, "MAX_BYTES", packs(_cache_of_this_test)[-1].stat().st_size)
    assert cache.load(str(newer)) is not None and cache.load(str(older)) is None


def test_other_fingerprints_and_the_older_layout_are_removed_in_time(tmp_path: Path,
                                                                      _cache_of_this_test: Path) -> None:
    last = report_at(tmp_path / "2022.xlsx", LAST, 2022)
    base = _cache_of_this_test / "previous"
    old_layout = base / "ab"  # one JSON file per entry, before packs
    old_layout.mkdir(parents=True)
    (old_layout / ("ab" + "0" * 62 + ".json")).write_text("{}", encoding="utf-8")
    recent, unused = base / ("1" * 32), base / ("2" * 32)
    for folder in (recent, unused):
        folder.mkdir()
        (folder / "1-1.jsonl").write_text("", encoding="utf-8")
    month = 86400 * (yearcache.STALE_DAYS + 1)
    os.utime(unused, (os.path.getmtime(unused) - month,) * 2)
    from xlcheck.check import read_values

    YearCache(_cache_of_this_test, fingerprint(default_registry(), "national")).store(str(last), read_values(last))
    assert sorted(p.name for p in base.iterdir()) == sorted([recent.name, fingerprint(default_registry(),
                                                                                         "national")[:32]])


def test_a_half_written_pack_is_not_read(tmp_path: Path, _cache_of_this_test: Path) -> None:
    last = report_at(tmp_path / "2022.xlsx", LAST, 2022)
    from xlcheck.atomic import TEMP_PREFIX
    from xlcheck.check import read_values

    cache = YearCache(_cache_of_this_test, fingerprint(default_registry(), "national"))
    line = cache.entry(cache.key(str(last)), read_values(last))
    assert line is not None
    cache.root.mkdir(parents=True)
    (cache.root / f"{TEMP_PREFIX}x.jsonl").write_text(line + "\n", encoding="utf-8")  # another run, mid-write
    assert cache.load(str(last)) is None
    cache.keep([line])
    assert cache.load(str(last)) is not None


def test_an_unusable_cache_folder_never_breaks_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    this, last = years(tmp_path, carried=2)
    expected = checked(capsys, this, last, "--no-cache")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XLCHECK_CACHE_DIR", str(blocker))
    assert checked(capsys, this, last) == expected
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_entries_of_another_rule_set_or_plugin_set_are_not_used(tmp_path: Path) -> None:
    last = report_at(tmp_path / "2022.xlsx", LAST, 2022)
    from xlcheck.check import read_values

    registry = default_registry()
    national = fingerprint(registry, "national")
    assert fingerprint(registry, "guangdong") != national
    assert fingerprint(registry, "national") == national  # the same run's workers agree
    YearCache(tmp_path / "c", national).store(str(last), read_values(last))
    assert YearCache(tmp_path / "c", national).load(str(last)) is not None
    assert YearCache(tmp_path / "c", fingerprint(registry, "guangdong")).load(str(last)) is None


def test_the_cache_command_shows_and_clears(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            _cache_of_this_test: Path) -> None:
    this, last = years(tmp_path)
    checked(capsys, this, last)
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert str(_cache_of_this_test) in out and "2 个报告" in out
    assert main(["cache", "--clear"]) == 0
    assert "已清除" in capsys.readouterr().out
    assert packs(_cache_of_this_test) == []
    assert main(["cache"]) == 0 and "0 个报告" in capsys.readouterr().out


def test_the_platform_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XLCHECK_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if os.name == "posix" and sys.platform != "darwin":
        assert cache_dir() == tmp_path / "xlcheck"
    monkeypatch.setenv("XLCHECK_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
