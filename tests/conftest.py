"""Shared fixtures: workbooks built by ``corpus`` in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import corpus
import pytest

import xlcheck
from xlcheck.findings import Report


@pytest.fixture(autouse=True)
def _cache_of_this_test(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and every xlcheck process it starts) keeps last year's values in a folder of its
    own, never in the user's cache folder."""
    folder = tmp_path_factory.mktemp("xlcheck-cache")
    monkeypatch.setenv("XLCHECK_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def xiaolou(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The real 2020 township report, typed into Excel as it was published."""
    path = tmp_path / "小楼镇2020年报.xlsx"
    return path, corpus.write_xiaolou(path)


CheckValues = Callable[..., tuple[Report, dict[str, str]]]


@pytest.fixture
def check_values(tmp_path: Path) -> CheckValues:
    """Write a report with the given values (and raw cell contents) and check it."""
    counter = iter(range(10_000))

    def run(fmt: str, values: Mapping[str, Any], *, year: int | None = None, raw: Mapping[str, Any] | None = None,
            **layout: Any) -> tuple[Report, dict[str, str]]:
        path = tmp_path / f"report{next(counter)}.xlsx"
        year = year or (2020 if fmt == "2019" else 2022)
        cells = corpus.write_report(path, fmt, dict(values), year=year, raw=dict(raw or {}), **layout)
        return xlcheck.check(path), cells

    return run
