"""Raw deflate, a zip member's method 8, for the writer: with Intel's ISA-L (python-isal) once a process
has enough to deflate, else with zlib.

On a report's marked sheet, isal's level 1 deflates about five times as fast as zlib's fastest level,
into no more bytes, and inflates about twice as fast. Both write and read standard deflate, so a
copy opens the same in Excel and WPS whichever wrote it, and one part may be written by either.
isal has no wheel for some processors (domestic Linux desktops among them), so it is installed only
where it has one, and zlib does the work elsewhere.

Importing isal costs a fresh process about as much time as isal saves over zlib on
:data:`ZLIB_FIRST` bytes (2 ms on this project's test machine), so a process starts with zlib and
loads isal only past them: one click's copy never pays for the import, a batch or a server soon has
it back. The check does not use this at all: :mod:`xlcheck.prescan` inflates a report's few parts
with zlib.
"""

from __future__ import annotations

import functools
import sys
import zlib
from typing import Any

#: bytes a process deflates or inflates with zlib before it loads isal (see the module's docstring)
ZLIB_FIRST = 256 * 1024
#: isal's level 1 is its fastest that deflates as small as zlib's level 1
_LEVEL = 1

_done = 0


@functools.cache
def _isal() -> Any:
    try:
        from isal import isal_zlib
    except ImportError:  # no wheel for this processor: zlib writes the same format
        return None
    return isal_zlib


def _fast(size: int) -> Any:
    """isal's module once this process has worked through :data:`ZLIB_FIRST` bytes, else None."""
    global _done
    _done += size
    return _isal() if _done > ZLIB_FIRST else None


def compress(data: bytes) -> bytes:
    """``data`` as a raw deflate stream, at the fastest level that still compresses well."""
    fast = _fast(len(data))
    if fast is not None:
        return bytes(fast.compress(data, _LEVEL, -15))
    if sys.version_info >= (3, 11):  # one call, the same bytes: a compressor object costs 40 us more
        return zlib.compress(data, _LEVEL, -15)
    packer = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def inflate(raw: bytes | memoryview, size: int) -> bytes:
    """A raw deflate stream inflated to at most ``size`` bytes; a damaged one raises ``zlib.error``,
    whichever library read it."""
    fast = _fast(size)
    if fast is None:
        return zlib.decompressobj(-15).decompress(raw, size)
    try:
        return bytes(fast.decompressobj(-15).decompress(raw, size))
    except fast.error as exc:
        raise zlib.error(str(exc)) from None
