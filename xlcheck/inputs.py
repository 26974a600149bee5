"""Which files a command line names: :func:`expand` turns the inputs (files, folders, globs,
``@list.txt``) into the workbooks to check. Folders are walked recursively, skipping hidden files and
folders, Office lock files (``~$*``) and xlcheck's own outputs (``*.checked.*``, ``*.backup.*``).

Apart from :mod:`xlcheck.batch` so that checking one file does not import the machinery of many.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .reader import SUPPORTED_SUFFIXES


class InputError(Exception):
    """An input that cannot be expanded (an unreadable list file); the message is for the user."""



class Found(NamedTuple):
    """One workbook to check: ``path`` as it will be shown, ``root`` the folder its mirrored copy is
    placed relative to (the folder walked, or the file's own folder)."""

    path: str
    root: str


@dataclass(eq=False)
class Expansion:
    """The workbooks named by the command line's inputs."""

    files: list[Found] = field(default_factory=list)
    #: some input was a folder, a glob or a list file (batch semantics: see ``xlcheck check --help``)
    collected: bool = False
    #: inputs that named nothing to check (an empty folder, a glob matching nothing)
    empty: list[str] = field(default_factory=list)
    #: folders the walk could not read, with the reason (their files are not checked)
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def is_workbook_name(name: str, *, walking: bool = False) -> bool:
    """A name worth checking: a workbook, or a published report (web page, Word, PDF; text too, except
    in a folder walk, where a .txt is more often a note than a report)."""
    from .published import is_published_name

    return name.lower().endswith(SUPPORTED_SUFFIXES) or is_published_name(name, walking=walking)


def skipped_name(name: str) -> bool:
    """Names a folder walk passes over: hidden, Office/WPS lock files, xlcheck's own outputs."""
    if name.startswith((".", "~$")):
        return True
    stem = name.rsplit(".", 1)[0]
    if stem.endswith(".checked"):
        return True
    _head, dot, tail = stem.rpartition(".backup")
    return bool(dot) and (tail == "" or (tail.startswith("-") and tail[1:].isdigit()))


def _hidden(path: str) -> bool:
    """Hidden by the Windows attribute (names starting with a dot are caught by ``skipped_name``)."""
    attributes = getattr(os.stat(path, follow_symlinks=False), "st_file_attributes", 0)
    return bool(attributes & 0x2)  # FILE_ATTRIBUTE_HIDDEN


def _walk(top: str, exclude: str | None, unreadable: list[tuple[str, str]] | None = None) -> Iterator[str]:
    def failed(exc: OSError) -> None:
        if unreadable is not None:
            unreadable.append((exc.filename if isinstance(exc.filename, str) else top, exc.strerror or str(exc)))

    for folder, dirs, files in os.walk(top, onerror=failed):
        kept = []
        for d in sorted(dirs):
            full = os.path.join(folder, d)
            if d.startswith(".") or _hidden(full):
                continue
            if exclude is not None and os.path.abspath(full) == exclude:
                continue
            kept.append(d)
        dirs[:] = kept
        for name in sorted(files):
            full = os.path.join(folder, name)
            if is_workbook_name(name, walking=True) and not skipped_name(name) and not _hidden(full):
                yield full


def _has_magic(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def _read_list(name: str) -> list[str]:
    try:
        data = Path(name).read_bytes()
    except OSError as exc:
        raise InputError(f"无法读取文件列表 {name}：{exc.strerror} (cannot read list file)") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # a list saved by Notepad on a Chinese Windows
        text = data.decode("gb18030", errors="replace")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def expand(inputs: Sequence[str], *, exclude: str | os.PathLike[str] | None = None) -> Expansion:
    """The workbooks named by ``inputs``, in order, each once.

    A folder is walked recursively; a pattern with ``*``/``?``/``[`` that is not itself an existing path
    is expanded (``**`` reaches into subfolders); ``@FILE`` reads one input per line (blank lines and
    ``#`` comments skipped; paths relative to the current folder). A plain path is kept as given, even
    when it does not exist, so its report says why it could not be checked. ``exclude`` is a folder the
    walk never enters (the output folder, when it lies inside the input tree).
    """
    import glob

    out = Expansion()
    skip = os.path.abspath(exclude) if exclude is not None else None
    seen: set[str] = set()

    def add(path: str, root: str) -> None:
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            out.files.append(Found(path, root))

    def one(arg: str) -> None:
        if os.path.isdir(arg):
            out.collected = True
            before = len(out.files)
            for path in _walk(arg, skip, out.unreadable):
                add(path, arg)
            if len(out.files) == before:
                out.empty.append(arg)
        elif _has_magic(arg) and not os.path.exists(arg):
            out.collected = True
            before = len(out.files)
            for match in sorted(glob.glob(arg, recursive=True)):
                if os.path.isdir(match):
                    for path in _walk(match, skip, out.unreadable):
                        add(path, match)
                elif is_workbook_name(os.path.basename(match)) and not skipped_name(os.path.basename(match)):
                    add(match, os.path.dirname(match) or ".")
            if len(out.files) == before:
                out.empty.append(arg)
        else:
            add(arg, os.path.dirname(arg) or ".")

    for arg in inputs:
        if arg.startswith("@") and len(arg) > 1:
            out.collected = True
            entries = _read_list(arg[1:])
            if not entries:
                out.empty.append(arg)
            for entry in entries:
                one(entry)
        else:
            one(arg)
    return out
