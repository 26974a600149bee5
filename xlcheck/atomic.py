"""Writing an output file so that nothing is ever lost: the one place that decides where xlcheck may
write and how.

* :func:`unsafe_target` says why a path must not be written (a directory, a device or FIFO, a
  symbolic link, a file with other hard links), so no output ever replaces what the user did not
  mean to replace;
* :func:`replacing` writes through a hidden temporary file beside the target and renames it over the
  target only once it is complete (after ``fsync`` when ``durable``), removing it on any failure,
  Ctrl-C, SIGTERM or SIGHUP (the CLI turns those into KeyboardInterrupt);
* :func:`rename_over` is that rename, for writers that make their own temporary file.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TEMP_PREFIX = ".~xlcheck-"


def unsafe_target(path: str | os.PathLike[str], *, links: bool = False) -> str | None:
    """Why ``path`` must not be replaced by an output (Chinese, then English), or None when it may.

    A missing path may be written. ``links=True`` also refuses a regular file with other hard links
    (replacing it would leave the other names with the old content)."""
    name = os.fspath(path)
    try:
        st = os.lstat(name)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"无法访问 {name}：{exc.strerror or exc} (cannot access the target)"
    if stat.S_ISLNK(st.st_mode):
        return (f"{name} 是一个符号链接，写入会替换链接本身而不是它指向的文件，已拒绝 "
                f"(the target is a symbolic link)")
    if stat.S_ISDIR(st.st_mode):
        return f"{name} 是一个文件夹，不能作为输出文件 (the target is a directory)"
    if not stat.S_ISREG(st.st_mode):
        return f"{name} 不是普通文件（设备、管道等），已拒绝覆盖 (the target is not a regular file)"
    if links and st.st_nlink > 1:
        return (f"{name} 有 {st.st_nlink} 个硬链接，替换它会使其他链接仍是旧内容，已拒绝；请用 --output 写副本 "
                f"(the file has other hard links)")
    return None


@contextlib.contextmanager
def replacing(target: str | os.PathLike[str], *, durable: bool = True, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``target`` to write the output to; renamed over ``target`` when the
    block finishes, removed if it raises (anything, Ctrl-C included)."""
    final = Path(target)
    directory = final.parent if str(final.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=directory)
    os.close(fd)
    try:
        yield Path(tmp)
        if durable:
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, _mode(final))
        rename_over(tmp, final, durable=durable)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def rename_over(tmp: str | os.PathLike[str], target: str | os.PathLike[str], *, durable: bool) -> None:
    """Put the complete file ``tmp`` in the place of ``target``, atomically: ``target`` names the old
    file or the new one, never neither.

    An output that need not survive a power cut (not ``durable``: a copy beside the source) takes an
    earlier one's place on Linux by swapping the two names and removing the old file. A rename over
    an existing file makes ext4 start writing the new one out at once (its ``auto_da_alloc``, a guard
    for programs that never fsync); that cost a tenth of annotating a report, the swap a tenth of
    the rename. Reaching the swap loads ctypes, which costs a fresh process about ten renames, so a
    process swaps from the second output it puts over an earlier one: a batch or a server, not one
    click. A ``durable`` output was fsynced already and is renamed."""
    global _replaced
    if not durable and sys.platform.startswith("linux") and _is_file(target):
        _replaced += 1
        if _replaced > 1 and _exchange(tmp, target):
            with contextlib.suppress(OSError):
                os.unlink(tmp)  # it now holds the earlier output
            return
    os.replace(tmp, target)


def _is_file(path: str | os.PathLike[str]) -> bool:
    """A regular file, not a link to one: only a file is swapped out (a directory swapped for the
    output would be left under the temporary name; a rename over it fails, as it must)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


#: outputs this process has put over earlier ones without durability (see :func:`rename_over`)
_replaced = 0
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: str | os.PathLike[str], second: str | os.PathLike[str]) -> bool:
    """Swap two existing paths' files (Linux's renameat2 with RENAME_EXCHANGE); False when the system
    cannot (a kernel, C library or file system without it, a file gone meanwhile)."""
    renameat2 = _renameat2()
    return renameat2 is not None and renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                                               _RENAME_EXCHANGE) == 0


@functools.cache
def _renameat2() -> Any:
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).renameat2  # glibc 2.28 and later
    except (OSError, AttributeError):
        return None


def _mode(target: Path) -> int:
    """An existing file keeps its permissions; a new one gets what the umask allows."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
