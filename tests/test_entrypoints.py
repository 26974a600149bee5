"""xlcheck finds its plugins' entry points itself; it must find exactly what importlib.metadata finds."""

from __future__ import annotations

import importlib.metadata
import sys
import zipfile
from pathlib import Path

from xlcheck import entrypoints


def _dist(folder: Path, name: str, version: str, text: str, suffix: str = ".dist-info") -> None:
    meta = folder / f"{name}-{version}{suffix}"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    (meta / "entry_points.txt").write_text(text, encoding="utf-8")


def _as_importlib(group: str, path: list[str]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    seen: set[str] = set()
    for dist in importlib.metadata.distributions(path=path):
        key = dist.metadata["Name"].lower().replace("-", "_")
        if key in seen:
            continue
        seen.add(key)
        found.update((ep.name, ep.value) for ep in dist.entry_points.select(group=group))
    return found


def test_same_entry_points_as_importlib_metadata_on_this_interpreter() -> None:
    mine = {(ep.name, ep.value) for ep in entrypoints.entry_points("xlcheck")}
    theirs = {(ep.name, ep.value) for ep in importlib.metadata.entry_points(group="xlcheck")}
    assert mine == theirs
    assert ("national", "xlcheck_national") in mine


def test_groups_comments_duplicates_and_versions(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    _dist(first, "prov_plugin", "1.2.0", "# made by hand\n[console_scripts]\nx = y:z\n\n[xlcheck]\n"
                                         "prov = prov_plugin.rules:PLUGIN\n# another comment\nother=prov_plugin\n")
    # the same distribution again further down the path: shadowed, as importlib.metadata does
    _dist(second, "Prov-Plugin", "0.9.0", "[xlcheck]\nold = prov_plugin_old\n")
    _dist(second, "legacy", "2.0", "[xlcheck]\nlegacy = legacy_mod\n", suffix=".egg-info")
    path = [str(first), str(second)]
    found = entrypoints.entry_points("xlcheck", path)
    assert {(ep.name, ep.value) for ep in found} == _as_importlib("xlcheck", path)
    prov = next(ep for ep in found if ep.name == "prov")
    assert (prov.dist, prov.version, prov.location) == ("prov_plugin", "1.2.0", str(first))
    assert [ep.name for ep in found if ep.dist == "legacy"] == ["legacy"]


def test_load_imports_module_and_attribute(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ep_target_mod.py").write_text("class Holder:\n    value = 42\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = entrypoints.EntryPoint("x", "ep_target_mod:Holder.value", "d", "1", str(tmp_path))
    assert ep.load() == 42
    assert entrypoints.EntryPoint("y", "ep_target_mod", "d", "1", "").load() is sys.modules["ep_target_mod"]


def test_a_zip_on_the_path_is_left_to_importlib(tmp_path: Path) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zipped\nVersion: 1.0\n")
        zf.writestr("zipped-1.0.dist-info/entry_points.txt", "[xlcheck]\nzipped = zipped_mod\n")
    found = entrypoints.entry_points("xlcheck", [str(archive)])
    assert [(ep.name, ep.value, ep.dist, ep.version) for ep in found] == [("zipped", "zipped_mod", "zipped", "1.0")]


def test_missing_and_unreadable_folders_are_skipped(tmp_path: Path) -> None:
    assert entrypoints.entry_points("xlcheck", [str(tmp_path / "nope")]) == []
    _dist(tmp_path, "bad", "1", "")
    (tmp_path / "bad-1.dist-info" / "entry_points.txt").write_bytes(b"\xff\xfe[xlcheck]\n")
    assert entrypoints.entry_points("xlcheck", [str(tmp_path)]) == []
