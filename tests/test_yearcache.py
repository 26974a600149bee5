"""Last year's values kept between runs (``xlcheck.yearcache``): the same answers as reading the
workbooks, a changed workbook read again, and a cache that can never break a run."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from test_years import LAST, THIS, report_at

from xlcheck import batch, review
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


def entries(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.json"))


def test_a_second_run_gives_the_same_answers_from_the_cache(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           _cache_of_this_test: Path) -> None:
    this, last = years(tmp_path, carried=2)
    first = checked(capsys, this, last)
    assert len(entries(_cache_of_this_test)) == 2  # one entry for each of last year's workbooks
    second = checked(capsys, this, last)
    assert second == first
    qingshan = next(r for r in first[1] if r["path"].endswith("青山.xlsx"))
    assert qingshan["previous"] == str(last / "青山.xlsx")
    xy = [f for f in qingshan["findings"] if f["rule"] == "T3-XY"]
    assert xy and "四、结转下年度继续办理（自然人）为 3" in xy[0]["message"]


def test_a_cached_workbook_is_not_opened_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    this, last = years(tmp_path, carried=2)
    settings = batch.Settings(cache=True)

    def run() -> list[list[str]]:
        tasks = batch.plan(batch.expand([str(this)]).files, settings)
        previous = batch.plan(batch.expand([str(last)]).files, settings)
        done = review.run(tasks, previous, settings, registry=default_registry(), explicit=True, jobs=1)
        return [[f.message for f in r.findings] for r in done.result.reports]

    before = run()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("last year's workbook was read again")

    monkeypatch.setattr(sys.modules["xlcheck.check"], "read_values", refuse)
    assert run() == before


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


def test_no_cache_neither_reads_nor_writes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              _cache_of_this_test: Path) -> None:
    this, last = years(tmp_path)
    assert checked(capsys, this, last, "--no-cache")[0] == 0
    assert entries(_cache_of_this_test) == []
    checked(capsys, this, last)
    for entry in entries(_cache_of_this_test):  # entries that would say 青山 carried forward 9
        data = json.loads(entry.read_text(encoding="utf-8"))
        for key in ("t3.carry_forward.natural", "t3.carry_forward.total"):
            data["report"]["values"]["cells"][key][0] = 9
        entry.write_text(json.dumps(data), encoding="utf-8")
    assert checked(capsys, this, last)[0] == 1  # the cache is used: 9 is not 3
    assert checked(capsys, this, last, "--no-cache")[0] == 0  # the workbooks say 3


@pytest.mark.parametrize("damage", ["", "{", "[]", '{"key": 1}', '{"key": null, "report": {}}'])
def test_a_damaged_entry_is_read_from_the_workbook_and_replaced(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], _cache_of_this_test: Path, damage: str) -> None:
    this, last = years(tmp_path, carried=2)
    first = checked(capsys, this, last)
    for entry in entries(_cache_of_this_test):
        entry.write_text(damage, encoding="utf-8")
    assert checked(capsys, this, last) == first
    assert all(json.loads(e.read_text(encoding="utf-8"))["report"] for e in entries(_cache_of_this_test))


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
    assert entries(_cache_of_this_test) == []
    assert main(["cache"]) == 0 and "0 个报告" in capsys.readouterr().out


def test_the_platform_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XLCHECK_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if os.name == "posix" and sys.platform != "darwin":
        assert cache_dir() == tmp_path / "xlcheck"
    monkeypatch.setenv("XLCHECK_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
