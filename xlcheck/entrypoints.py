"""Finding the ``xlcheck`` entry points without ``importlib.metadata``.

``importlib.metadata.entry_points()`` parses the metadata of every installed distribution, and the
version and name of each plugin's distribution cost an e-mail-header parse each; together about as
much as the whole check of a report, paid by every ``xlcheck check`` started from a script or the
Excel button. An entry point is a line in a distribution's ``entry_points.txt``: this module reads
only those files, from the same ``sys.path`` folders, with the same rule for a distribution installed
twice (the first on the path wins). A path entry that is not a folder (a zip or egg file) is left to
``importlib.metadata``.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_SUFFIXES = (".dist-info", ".egg-info")


@dataclass(frozen=True)
class EntryPoint:
    """One entry point of a group: ``name = module:attribute`` in the distribution ``dist``."""

    name: str
    value: str
    #: the distribution's name and version as its metadata folder is named, and where it is installed
    dist: str
    version: str
    location: str

    def load(self) -> object:
        module, _, attrs = self.value.partition(":")
        obj: object = importlib.import_module(module.strip())
        for attr in filter(None, attrs.split("[")[0].strip().split(".")):
            obj = getattr(obj, attr)
        return obj


def entry_points(group: str, path: Sequence[str] | None = None) -> list[EntryPoint]:
    """Every entry point of ``group`` in the distributions on ``path`` (default ``sys.path``)."""
    folders = list(sys.path if path is None else path)
    if any(entry and os.path.isfile(entry) for entry in folders):
        return _from_importlib(group, folders)
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for folder in folders:
        for meta, dist, version in _distributions(folder or "."):
            key = _normalise(dist)
            if key in seen:
                continue
            seen.add(key)
            found.extend(_read(os.path.join(meta, "entry_points.txt"), group, dist, version, folder or "."))
    return found


def _distributions(folder: str) -> Iterable[tuple[str, str, str]]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return
    for name in names:
        if not name.endswith(_SUFFIXES):
            continue
        meta = os.path.join(folder, name)
        stem = name.rsplit(".", 1)[0]
        dist, _, version = stem.partition("-")
        if name.endswith(".dist-info") and "-" in version:
            # a compliant folder is NAME-VERSION with NAME's dashes escaped; anything else says its
            # name in the metadata
            dist, version = _named(meta) or (dist, version)
        yield meta, dist, version.partition("-")[0]


def _named(meta: str) -> tuple[str, str] | None:
    headers: dict[str, str] = {}
    try:
        with open(os.path.join(meta, "METADATA"), encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                headers.setdefault(key.strip().lower(), value.strip())
    except (OSError, UnicodeDecodeError):
        return None
    if "name" not in headers:
        return None
    return headers["name"], headers.get("version", "")


def _read(path: str, group: str, dist: str, version: str, location: str) -> list[EntryPoint]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError):
        return []
    out: list[EntryPoint] = []
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == group and "=" in line:
            name, _, value = line.partition("=")
            out.append(EntryPoint(name.strip(), value.strip(), dist, version, location))
    return out


def _normalise(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _from_importlib(group: str, folders: list[str]) -> list[EntryPoint]:
    import importlib.metadata

    seen: set[str] = set()
    out: list[EntryPoint] = []
    for dist in importlib.metadata.distributions(path=folders):
        name = dist.metadata["Name"] or ""
        if _normalise(name) in seen:
            continue
        seen.add(_normalise(name))
        out.extend(EntryPoint(ep.name, ep.value, name, dist.version, str(dist.locate_file("")))
                   for ep in dist.entry_points.select(group=group))
    return out
