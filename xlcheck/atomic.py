"""Writing an output file so that nothing is ever lost: the one place that decides where xlcheck may
write and how.

* :func:`unsafe_target` says why a path must not be written (a directory, a device or FIFO, a
  symbolic link, a file with other hard links), so no output ever replaces what the user did not
  mean to replace;
* :func:`replacing` writes through a hidden temporary file beside the target and renames it over the
  target only once it is complete (after ``fsync`` when ``durable``), removing it on any failure,
  Ctrl-C, SIGTERM or SIGHUP (the CLI turns those into KeyboardInterrupt).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

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
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _mode(target: Path) -> int:
    """An existing file keeps its permissions; a new one gets what the umask allows."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
