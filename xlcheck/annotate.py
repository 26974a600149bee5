"""Writing findings back: the annotated copy beside the checked workbook."""

from __future__ import annotations

import os
from pathlib import Path

from .findings import Report


def default_output(path: str | os.PathLike[str]) -> Path:
    """``report.xlsx`` -> ``report.checked.xlsx`` (``.xlsm`` stays ``.xlsm`` so macros keep working)."""
    source = Path(path)
    return source.with_name(f"{source.stem}.checked{source.suffix.lower()}")


def backup_path(path: str | os.PathLike[str]) -> Path:
    """A free name beside ``path`` for its backup: ``report.backup.xlsx``, ``report.backup-2.xlsx``, …"""
    source = Path(path)
    candidate = source.with_name(f"{source.stem}.backup{source.suffix}")
    n = 2
    while candidate.exists():
        candidate = source.with_name(f"{source.stem}.backup-{n}{source.suffix}")
        n += 1
    return candidate


def annotate_in_place(report: Report) -> tuple[Path, Path]:
    """Mark the checked workbook itself, after copying it to a backup; return (workbook, backup)."""
    import shutil

    from .writer import annotate as write

    backup = backup_path(report.path)
    shutil.copy2(report.path, backup)
    write(report.path, report.path, report)
    return Path(report.path), backup


def annotate(report: Report, output: str | os.PathLike[str] | None = None) -> Path:
    """Write a copy of the checked workbook with every finding marked; return its path.

    Error cells are filled red and warning cells yellow, each with a note naming the rule; a first
    sheet ``校验结果`` lists every finding with a link to its cell. Marks of an earlier run are
    replaced, so annotating an annotated copy leaves one set of marks. The source is never modified
    unless ``output`` names it.
    """
    from .writer import annotate as write

    target = Path(output) if output is not None else default_output(report.path)
    write(report.path, target, report)
    return target


def clean(path: str | os.PathLike[str], output: str | os.PathLike[str]) -> Path:
    """Write a copy of ``path`` with every xlcheck mark removed."""
    from .writer import clean as unmark

    unmark(path, output)
    return Path(output)
