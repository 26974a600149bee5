"""Last year's reports, kept on disk between runs.

A reviewer checks this year's folder again and again as units send their workbooks, each time with
``--previous`` over last year's folder, which does not change: reading and locating those workbooks
again costs as much as most of a check. So the values read from each of last year's files are kept
in the user's cache folder and used again while the workbook is the same file with the same size,
modification and change times, read by the same xlcheck, plugins and rule set.

The parent process looks every workbook up before the run (only the others go to the workers) and
keeps what the workers read as one file for the run, a *pack*: a line per workbook, the digest of its
key and then its JSON. One pack rather than a file per workbook: creating and renaming a thousand
small files cost more than reading the workbooks. Packs of one rule set and code live in a folder
named after that fingerprint; once there are more than :data:`MAX_PACKS`, they are merged into one,
without the entries whose workbook has changed or gone. Folders of other fingerprints (an older
xlcheck, a plugin since edited) are removed when unused for :data:`STALE_DAYS` days.

The cache is never needed: a missing, damaged or unwritable pack or entry means reading the workbook
again, and nothing here ever raises. Entries are JSON (never pickle: a file in a folder is not code
to run), and a pack is written to a temporary file and renamed into place, so a reader never sees
half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import TEMP_PREFIX, replacing
from .findings import Report
from .yearvalues import YearValues

if TYPE_CHECKING:
    from .plugins import Registry

#: the layout of an entry; a new one makes every older entry a miss
SCHEMA = 3
ENV = "XLCHECK_CACHE_DIR"
_FOLDER = "previous"
_SUFFIX = ".jsonl"
#: a fingerprint's folder holding more packs than this has them merged
MAX_PACKS = 8
#: packs beyond this many bytes in all are not read (a cache is for a province's folder, not more)
MAX_BYTES = 1 << 30
#: a folder of another fingerprint unused for this long is removed
STALE_DAYS = 30
_DIGEST = 64


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


def _key(stamp: str, source: str) -> tuple[str, list[Any]] | None:
    """The digest and key of ``source`` as it is now; None when it cannot be looked at."""
    try:
        real = os.path.realpath(source)
        st = os.stat(real)
    except (OSError, ValueError):
        return None
    # ctime too: a copy made with its times kept (cp -p, a sync tool) has a new change time
    key = [stamp, real, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest(), key


class YearCache:
    """The entries of one rule set's runs, in ``root`` (see :func:`cache_dir`)."""

    def __init__(self, root: str | os.PathLike[str], stamp: str) -> None:
        self.base = Path(root) / _FOLDER
        self.root = self.base / stamp[:32]
        self.stamp = stamp

    def lookup(self, sources: Sequence[str]) -> list[Report | None]:
        """Last year's reports read from ``sources`` before, each None unless its file has not
        changed since."""
        if not sources:
            return []
        lines = self._lines()
        found: list[Report | None] = []
        for source in sources:
            report = None
            key = _key(self.stamp, source) if lines else None
            if key is not None and key[0] in lines:
                report = _parse(source, lines[key[0]], key[1])
            found.append(report)
        return found

    def load(self, source: str) -> Report | None:
        """Last year's report read from ``source`` before, when the file has not changed since."""
        return self.lookup([source])[0]

    def key(self, source: str) -> tuple[str, list[Any]] | None:
        """The digest and key of ``source`` as the file is now: taken before it is read, so that a
        file changed while it was being read is not kept as its new self."""
        return _key(self.stamp, source)

    def entry(self, key: tuple[str, list[Any]] | None, report: Report) -> str | None:
        """The line that keeps what was read from the file of ``key`` (a worker makes it, the
        parent writes it with :meth:`keep`); None for a report read with an error (a file that
        could not be opened may be readable next time)."""
        if key is None or report.error is not None or report.values is None:
            return None
        return f"{key[0]} {json.dumps({'key': key[1], 'report': _data(report)}, ensure_ascii=False)}"

    def keep(self, entries: Iterable[str | None]) -> None:
        """Write ``entries`` (from :meth:`entry`) as one new pack, then merge the packs when there
        are many, and remove other fingerprints' unused folders."""
        lines = [e for e in entries if e]
        if not lines:
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._write(self.root / f"{time.time_ns():x}-{os.getpid()}{_SUFFIX}", lines)
            packs = self._packs()
            if len(packs) > MAX_PACKS:
                self._merge(packs)
            self._prune()
        except OSError:
            pass  # a full disk or a read-only home: the run goes on without the cache

    def store(self, source: str, report: Report) -> None:
        """Keep what was just read from ``source`` (one workbook: :meth:`entry` and :meth:`keep`)."""
        self.keep([self.entry(self.key(source), report)])

    def _packs(self) -> list[Path]:
        try:
            names = os.listdir(self.root)
        except OSError:
            return []
        return sorted(self.root / n for n in names if n.endswith(_SUFFIX) and not n.startswith(TEMP_PREFIX))

    def _lines(self) -> dict[str, str]:
        """Every entry's digest and JSON, the newest pack's winning (names sort by time), as many
        packs as :data:`MAX_BYTES` allows, newest first."""
        lines: dict[str, str] = {}
        total = 0
        for pack in reversed(self._packs()):
            try:
                data = pack.read_bytes()
            except OSError:
                continue  # merged away by another run meanwhile
            total += len(data)
            if total > MAX_BYTES:
                break
            for digest, rest in _entries(data):
                lines.setdefault(digest, rest)
        return lines

    def _write(self, path: Path, lines: list[str]) -> None:
        with replacing(path, durable=False, suffix=_SUFFIX) as tmp:
            tmp.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")

    def _merge(self, packs: list[Path]) -> None:
        """One pack for ``packs``, without the entries whose workbook changed or went; written before
        the old ones go, so another run reading them meanwhile loses nothing."""
        kept = []
        for digest, rest in self._lines().items():
            with contextlib.suppress(ValueError, TypeError, KeyError, IndexError):
                key = json.loads(rest)["key"]
                now = _key(self.stamp, key[1])
                if now is not None and now[0] == digest:
                    kept.append(f"{digest} {rest}")
        self._write(self.root / f"{time.time_ns():x}-{os.getpid()}-merged{_SUFFIX}", kept)
        for pack in packs:
            with contextlib.suppress(OSError):
                pack.unlink()

    def _prune(self) -> None:
        stale = time.time() - STALE_DAYS * 86400
        with contextlib.suppress(OSError):
            for folder in os.scandir(self.base):
                if folder.name == self.root.name or not folder.is_dir(follow_symlinks=False):
                    continue
                # an older layout's folders (a file per entry) go at once; another fingerprint's
                # when unused for a while (another xlcheck may still be using it)
                if len(folder.name) != len(self.root.name) or folder.stat().st_mtime < stale:
                    shutil.rmtree(folder.path, ignore_errors=True)


def _entries(pack: bytes) -> Iterator[tuple[str, str]]:
    """A pack's entries as (digest, JSON), skipping lines that are not one."""
    for line in pack.decode("utf-8", "replace").split("\n"):  # not splitlines: U+2028 is JSON text
        digest, _, rest = line.partition(" ")
        if len(digest) == _DIGEST and rest:
            yield digest, rest


def _parse(source: str, rest: str, key: list[Any]) -> Report | None:
    try:
        data = json.loads(rest)
        if data["key"] != key:
            return None
        return _report(source, data["report"])
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None  # an entry this version cannot use: read the workbook


def _data(report: Report) -> dict[str, Any]:
    values = report.values
    assert values is not None
    cells = values.values
    # a list per column: a third less JSON to decode than a list per cell, and made into cells by zip
    return {"format": report.format, "year": report.year, "unit": report.unit, "marked": report.marked,
            "values": {"format": values.format, "year": values.year, "unit": values.unit, "code": values.code,
                       "level": values.level, "keys": list(cells), "numbers": [c[0] for c in cells.values()],
                       "refs": [c[1] for c in cells.values()], "units": [c[2] for c in cells.values()]}}


_TEXT, _NUMBER = {str}, {float, int, type(None)}


def _report(source: str, data: dict[str, Any]) -> Report | None:
    kept = data["values"]
    keys, numbers, refs, units = kept["keys"], kept["numbers"], kept["refs"], kept["units"]
    columns = (keys, numbers, refs, units)
    if not (all(type(c) is list and len(c) == len(keys) for c in columns) and set(map(type, keys)) <= _TEXT
            and set(map(type, numbers)) <= _NUMBER and set(map(type, refs)) <= _TEXT
            and set(map(type, units)) <= _TEXT):
        return None
    if int in set(map(type, numbers)):  # written by hand: the rules see floats
        numbers = [float(n) if type(n) is int else n for n in numbers]
    values = YearValues(source, str(kept["format"]), _year(kept["year"]), _text(kept["unit"]), _text(kept["code"]),
                        _text(kept["level"]), dict(zip(keys, zip(numbers, refs, units, strict=True), strict=True)))
    return Report(source, format=str(data["format"]), year=_year(data["year"]), unit=_text(data["unit"]),
                  marked=bool(data["marked"]), values=values)


def _year(value: Any) -> int | None:
    return None if value is None else int(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def size(root: str | os.PathLike[str]) -> tuple[int, int]:
    """How many workbooks the cache in ``root`` holds, and the bytes of its packs."""
    digests: set[str] = set()
    total = 0
    for folder, _, names in os.walk(Path(root) / _FOLDER):
        for name in names:
            if name.endswith(_SUFFIX) and not name.startswith(TEMP_PREFIX):
                with contextlib.suppress(OSError):
                    data = Path(folder, name).read_bytes()
                    total += len(data)
                    digests.update(digest for digest, _ in _entries(data))
    return len(digests), total


def clear(root: str | os.PathLike[str]) -> None:
    """Remove every entry (the folder of entries only: ``root`` may be shared with other caches)."""
    shutil.rmtree(Path(root) / _FOLDER, ignore_errors=True)
