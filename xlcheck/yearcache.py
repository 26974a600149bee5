"""Last year's reports, kept on disk between runs.

A reviewer checks this year's folder again and again as units send their workbooks, each time with
``--previous`` over last year's folder, which does not change: reading and locating those workbooks
again costs as much as most of a check. So the values read from each of last year's files are kept
in the user's cache folder, one small JSON file per workbook, and used again while the workbook is
the same file with the same size, modification and change times, read by the same xlcheck, plugins
and rule set.

The cache is never needed: a missing, damaged or unwritable entry is read from the workbook again,
and nothing here ever raises. Entries are JSON (never pickle: a file in a folder is not code to run),
written to a temporary file and renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import replacing
from .findings import Report
from .yearvalues import YearValues

if TYPE_CHECKING:
    from .plugins import Registry

#: the layout of an entry; a new one makes every older entry a miss
SCHEMA = 1
ENV = "XLCHECK_CACHE_DIR"
_FOLDER = "previous"


def cache_dir() -> Path:
    """Where this machine's user keeps xlcheck's cache: ``XLCHECK_CACHE_DIR``, else the platform's
    cache folder (``%LOCALAPPDATA%\\xlcheck\\Cache``, ``~/Library/Caches/xlcheck``,
    ``$XDG_CACHE_HOME/xlcheck`` or ``~/.cache/xlcheck``)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
        return Path(base, "xlcheck", "Cache")
    if sys.platform == "darwin":
        return Path(os.path.expanduser("~/Library/Caches/xlcheck"))
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "xlcheck")


def fingerprint(registry: Registry, rules: str) -> str:
    """What else decides the values read from a workbook: xlcheck's and every plugin's version and
    code (a plugin being written changes without a new version), and the rule set's cover fields."""
    from . import __version__

    parts: list[Any] = [SCHEMA, __version__, rules, sys.version_info[:2]]
    for info in registry.plugins:
        parts.append([info.name, info.version, _code_stamp(info.plugin)])
    parts.append(_code_stamp(sys.modules[__package__ or "xlcheck"]))
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _code_stamp(module: object) -> list[Any]:
    """The modification times of a plugin's (or xlcheck's own) source files."""
    file = getattr(module, "__file__", None)
    if not file:
        return []
    files = [file]
    if os.path.basename(file) == "__init__.py":  # a package: every module in it
        folder = os.path.dirname(file)
        with contextlib.suppress(OSError):
            files = [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if n.endswith(".py")]
    return [[os.path.basename(f), _mtime(f)] for f in files]


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class YearCache:
    """The entries of one rule set's run, in ``root`` (see :func:`cache_dir`)."""

    def __init__(self, root: str | os.PathLike[str], stamp: str) -> None:
        self.root = Path(root) / _FOLDER
        self.stamp = stamp

    def _entry(self, source: str) -> tuple[Path, list[Any]] | None:
        try:
            real = os.path.realpath(source)
            st = os.stat(real)
        except OSError:
            return None
        # ctime too: a copy made with its times kept (cp -p, a sync tool) has a new change time
        key = [self.stamp, real, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        digest = hashlib.sha256(json.dumps(key).encode()).hexdigest()
        return self.root / digest[:2] / f"{digest}.json", key

    def load(self, source: str) -> Report | None:
        """Last year's report read from ``source`` before, when the file has not changed since."""
        entry = self._entry(source)
        if entry is None:
            return None
        path, key = entry
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            if data["key"] != key:
                return None
            return _report(source, data["report"])
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None  # no entry yet, or one this version cannot use: read the workbook

    def store(self, source: str, report: Report) -> None:
        """Keep what was read from ``source``; only a report read without error is kept (a file that
        could not be opened may be readable next time)."""
        if report.error is not None or report.values is None:
            return
        entry = self._entry(source)
        if entry is None:
            return
        path, key = entry
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with replacing(path, durable=False, suffix=".json") as tmp:
                tmp.write_text(json.dumps({"key": key, "report": _data(report)}, ensure_ascii=False),
                               encoding="utf-8")
        except OSError:
            pass  # a full disk or a read-only home: the run goes on without the cache


def _data(report: Report) -> dict[str, Any]:
    values = report.values
    assert values is not None
    return {"format": report.format, "year": report.year, "unit": report.unit, "marked": report.marked,
            "values": {"format": values.format, "year": values.year, "unit": values.unit, "code": values.code,
                       "level": values.level, "cells": values.values}}


def _report(source: str, data: dict[str, Any]) -> Report:
    kept = data["values"]
    cells = {str(key): (None if number is None else float(number), str(ref), str(unit))
             for key, (number, ref, unit) in kept["cells"].items()}
    values = YearValues(source, str(kept["format"]), _year(kept["year"]), _text(kept["unit"]), _text(kept["code"]),
                        _text(kept["level"]), cells)
    return Report(source, format=str(data["format"]), year=_year(data["year"]), unit=_text(data["unit"]),
                  marked=bool(data["marked"]), values=values)


def _year(value: Any) -> int | None:
    return None if value is None else int(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def size(root: str | os.PathLike[str]) -> tuple[int, int]:
    """How many entries the cache in ``root`` holds, and their bytes."""
    count = total = 0
    for folder, _, names in os.walk(Path(root) / _FOLDER):
        for name in names:
            if name.endswith(".json"):
                count += 1
                with contextlib.suppress(OSError):
                    total += os.path.getsize(os.path.join(folder, name))
    return count, total


def clear(root: str | os.PathLike[str]) -> None:
    """Remove every entry (the folder of entries only: ``root`` may be shared with other caches)."""
    shutil.rmtree(Path(root) / _FOLDER, ignore_errors=True)
