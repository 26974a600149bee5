"""A zip member's bytes taken straight from the package's bytes, for the two readers of whole packages
(the pre-scan and the writer): zipfile's reading machinery (a file object per member, its local header
read and checked, a decompressor fed in pieces) costs more than the inflating of a report's parts.

Only what zipfile itself would return comes out: a member is taken this way when it is stored or
deflated, unencrypted, its local header names it as the directory does, and it inflates to the size
and CRC the directory states; for anything else these give None and the caller reads the member with
zipfile, which raises what is wrong.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable

#: flag bits of a member zipfile reads another way or refuses: encrypted, patched, strongly encrypted
_MASK_UNREAD = 0x01 | 0x20 | 0x40


def stored(source: bytes, info: zipfile.ZipInfo) -> memoryview | None:
    """A member's compressed bytes where its local header says they lie in ``source``, when they are
    stored or deflated, unencrypted, and the header names the member as the directory does (what
    zipfile checks before it reads one); None otherwise."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & _MASK_UNREAD:
        return None
    at = info.header_offset
    header = source[at:at + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        return None
    name_end = at + 30 + int.from_bytes(header[26:28], "little")
    start = name_end + int.from_bytes(header[28:30], "little")
    if start + info.compress_size > len(source):
        return None
    encoding = "utf-8" if int.from_bytes(header[6:8], "little") & 0x800 else "cp437"
    if source[at + 30:name_end].decode(encoding, "replace") != info.orig_filename:
        return None
    return memoryview(source)[start:start + info.compress_size]


def _inflate(raw: memoryview, size: int) -> bytes:
    return zlib.decompressobj(-15).decompress(raw, size)


def inflated(source: bytes, info: zipfile.ZipInfo,
             inflate: Callable[[memoryview, int], bytes] = _inflate) -> bytes | None:
    """A member's content inflated in one call and checked against its size and CRC, or None (see the
    module's docstring); ``inflate`` inflates raw deflate to at most so many bytes and raises
    ``zlib.error`` for a damaged stream."""
    raw = stored(source, info)
    if raw is None:
        return None
    try:
        if info.compress_type == zipfile.ZIP_STORED:
            data = bytes(raw)
        else:  # at most the size the directory states: a member cannot inflate past it
            data = inflate(raw, info.file_size) if info.file_size else b""
    except zlib.error:
        return None
    if len(data) == info.file_size and zlib.crc32(data) == info.CRC:
        return data
    return None
