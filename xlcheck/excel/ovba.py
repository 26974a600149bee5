"""VBA projects (``vbaProject.bin``) read and written: the compound file holding them (MS-CFB) and
the compressed module source inside it (MS-OVBA).

xlcheck writes its own VBA project for the add-in, so it needs both directions. Only source is
written: MS-OVBA lets a writer leave out every compiled (p-code) cache, and Excel then compiles the
modules from source the first time it opens the file, on whichever Excel and platform that is.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

__all__ = ["Module", "Project", "compress", "decompress", "read_compound", "read_project", "write_compound",
           "write_project"]

_FREE, _END_OF_CHAIN, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SECTOR, _MINI, _CUTOFF = 512, 64, 4096


# --------------------------------------------------------------------------------------------
# The compound file


def read_compound(data: bytes) -> dict[str, bytes]:
    """Every stream of a compound file as ``{"VBA/Module1": bytes}`` (storage path, ``/``-joined)."""
    if data[:8] != _SIGNATURE:
        raise ValueError("not a compound file")
    sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    mini_size = 1 << struct.unpack_from("<H", data, 0x20)[0]
    first_dir, = struct.unpack_from("<I", data, 0x30)
    cutoff, first_minifat, n_minifat, first_difat, n_difat = struct.unpack_from("<IIIII", data, 0x38)

    def sector(n: int) -> bytes:
        start = (n + 1) * sector_size
        return data[start:start + sector_size]

    per = sector_size // 4
    fat_sectors: list[int] = [s for s in struct.unpack_from("<109I", data, 0x4C) if s not in (_FREE, _END_OF_CHAIN)]
    difat, seen = first_difat, 0
    while difat not in (_FREE, _END_OF_CHAIN) and seen < n_difat:
        difat_entries = struct.unpack(f"<{per}I", sector(difat))
        fat_sectors += [s for s in difat_entries[:-1] if s not in (_FREE, _END_OF_CHAIN)]
        difat, seen = difat_entries[-1], seen + 1
    fat: list[int] = []
    for s in fat_sectors:
        fat += struct.unpack(f"<{per}I", sector(s))

    def chain(start: int, table: list[int]) -> Iterable[int]:
        guard = 0
        while start not in (_FREE, _END_OF_CHAIN) and start < len(table) and guard <= len(table):
            yield start
            start, guard = table[start], guard + 1

    directory = b"".join(sector(s) for s in chain(first_dir, fat))
    minifat_bytes = b"".join(sector(s) for s in chain(first_minifat, fat)) if n_minifat else b""
    minifat = list(struct.unpack(f"<{len(minifat_bytes) // 4}I", minifat_bytes))
    entries = []
    for offset in range(0, len(directory) - 127, 128):
        raw = directory[offset:offset + 128]
        name_len, = struct.unpack_from("<H", raw, 64)
        name = raw[:max(name_len - 2, 0)].decode("utf-16-le", "replace")
        kind = raw[66]
        left, right, child = struct.unpack_from("<III", raw, 68)
        start, size = struct.unpack_from("<IQ", raw, 116)
        entries.append((name, kind, left, right, child, start, size & 0xFFFFFFFF))
    if not entries:
        raise ValueError("empty directory")
    root = entries[0]
    ministream = b"".join(sector(s) for s in chain(root[5], fat))

    def read(start: int, size: int) -> bytes:
        if size < cutoff:
            parts = [ministream[s * mini_size:(s + 1) * mini_size] for s in chain(start, minifat)]
        else:
            parts = [sector(s) for s in chain(start, fat)]
        return b"".join(parts)[:size]

    streams: dict[str, bytes] = {}
    stack: list[tuple[int, str]] = [(root[4], "")]
    visited: set[int] = set()
    while stack:
        index, prefix = stack.pop()
        if index >= len(entries) or index in visited:
            continue
        visited.add(index)
        name, kind, left, right, child, start, size = entries[index]
        stack += [(left, prefix), (right, prefix)]
        path = f"{prefix}{name}"
        if kind == 1:  # storage
            stack.append((child, path + "/"))
        elif kind == 2:  # stream
            streams[path] = read(start, size)
    return streams


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    left: int = _NO_STREAM
    right: int = _NO_STREAM
    child: int = _NO_STREAM
    start: int = _END_OF_CHAIN


def _sort_key(entry: _Entry) -> tuple[int, str]:
    # MS-CFB 2.6.4: siblings are ordered by name length, then by upper-cased name.
    return len(entry.name), entry.name.upper()


def write_compound(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file holding ``streams`` (paths as :func:`read_compound` gives them)."""
    root = _Entry("Root Entry", 5)
    for path, data in streams.items():
        *storages, name = path.split("/")
        parent = root
        for part in storages:
            found = next((c for c in parent.children if c.name == part and c.kind == 1), None)
            if found is None:
                found = _Entry(part, 1)
                parent.children.append(found)
            parent = found
        parent.children.append(_Entry(name, 2, data))

    entries: list[_Entry] = []

    def number(entry: _Entry) -> int:
        entries.append(entry)
        return len(entries) - 1

    def tree(siblings: list[_Entry]) -> int:
        # A balanced binary search tree with every node black, as other writers (Apache POI) make.
        if not siblings:
            return _NO_STREAM
        middle = len(siblings) // 2
        node = siblings[middle]
        index = number(node)
        node.left = tree(siblings[:middle])
        node.right = tree(siblings[middle + 1:])
        if node.kind == 1:
            node.child = tree(sorted(node.children, key=_sort_key))
        return index

    number(root)
    root.child = tree(sorted(root.children, key=_sort_key))

    ministream = bytearray()
    minifat: list[int] = []
    big: list[_Entry] = []
    for entry in entries:
        if entry.kind != 2:
            continue
        if len(entry.data) >= _CUTOFF:
            big.append(entry)
            continue
        if not entry.data:
            continue
        count = -(-len(entry.data) // _MINI)
        entry.start = len(minifat)
        minifat += [*range(entry.start + 1, entry.start + count), _END_OF_CHAIN]
        ministream += entry.data + b"\0" * (count * _MINI - len(entry.data))

    fat: list[int] = []
    body = bytearray()

    def place(data: bytes) -> int:
        if not data:
            return _END_OF_CHAIN
        count = -(-len(data) // _SECTOR)
        start = len(fat)
        fat.extend([*range(start + 1, start + count), _END_OF_CHAIN])
        body.extend(data + b"\0" * (count * _SECTOR - len(data)))
        return start

    root.start = place(bytes(ministream))
    for entry in big:
        entry.start = place(entry.data)
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat) if minifat else b""
    first_minifat = place(minifat_bytes)
    n_minifat = -(-len(minifat_bytes) // _SECTOR)

    directory = bytearray()
    for entry in entries:
        encoded = entry.name.encode("utf-16-le")
        size = len(ministream) if entry.kind == 5 else len(entry.data)
        directory += (encoded + b"\0" * (64 - len(encoded)) + struct.pack("<HBB", len(encoded) + 2, entry.kind, 1)
                      + struct.pack("<III", entry.left, entry.right, entry.child) + b"\0" * 36
                      + struct.pack("<IQ", entry.start if size or entry.kind == 5 else _END_OF_CHAIN, size))
    while len(directory) % _SECTOR:
        directory += b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", *(_NO_STREAM,) * 3) \
            + b"\0" * 36 + struct.pack("<IQ", 0, 0)
    first_dir = place(bytes(directory))

    # The FAT describes itself too: grow it until its own sectors fit.
    n_fat = 1
    while (len(fat) + n_fat) > n_fat * (_SECTOR // 4):
        n_fat += 1
    if n_fat > 109:
        raise ValueError("VBA project too large for a compound file without DIFAT sectors")
    fat_start = len(fat)
    fat += [_FAT_SECTOR] * n_fat
    fat += [_FREE] * (n_fat * (_SECTOR // 4) - len(fat))
    body += struct.pack(f"<{len(fat)}I", *fat)

    difat = list(range(fat_start, fat_start + n_fat)) + [_FREE] * (109 - n_fat)
    header = (_SIGNATURE + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, n_fat, first_dir, 0, _CUTOFF, first_minifat, n_minifat,
                            _END_OF_CHAIN, 0)
              + struct.pack("<109I", *difat))
    return header + bytes(body)


# --------------------------------------------------------------------------------------------
# MS-OVBA 2.4.1 compression


def decompress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 decompression of a CompressedContainer."""
    if not data or data[0] != 1:
        raise ValueError("not a compressed container")
    out = bytearray()
    pos = 1
    while pos + 2 <= len(data):
        header, = struct.unpack_from("<H", data, pos)
        chunk_end = min(pos + (header & 0x0FFF) + 3, len(data))
        pos += 2
        start = len(out)
        if not header & 0x8000:
            out += data[pos:pos + 4096]
            pos += 4096
            continue
        while pos < chunk_end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                token, = struct.unpack_from("<H", data, pos)
                pos += 2
                bits = max((len(out) - start - 1).bit_length(), 4)
                offset = (token >> (16 - bits)) + 1
                length = (token & (0xFFFF >> bits)) + 3
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    recent: dict[bytes, list[int]] = {}
    pos, n = 0, len(chunk)

    def remember(at: int) -> None:
        if at + 3 <= n:
            recent.setdefault(chunk[at:at + 3], []).append(at)

    while pos < n:
        flag_at = len(out)
        out.append(0)
        for bit in range(8):
            if pos >= n:
                break
            bits = max((pos - 1).bit_length(), 4)
            longest = min((0xFFFF >> bits) + 3, n - pos)
            best_len, best_at = 0, 0
            for at in reversed(recent.get(chunk[pos:pos + 3], [])[-48:]):
                length = 0
                while length < longest and chunk[at + length] == chunk[pos + length]:
                    length += 1
                if length > best_len:
                    best_len, best_at = length, at
                    if length == longest:
                        break
            if best_len >= 3:
                out += struct.pack("<H", ((pos - best_at - 1) << (16 - bits)) | (best_len - 3))
                out[flag_at] |= 1 << bit
                for at in range(pos, pos + best_len):
                    remember(at)
                pos += best_len
            else:
                out.append(chunk[pos])
                remember(pos)
                pos += 1
    return bytes(out)


def compress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 compression into a CompressedContainer."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096]
        body = _compress_chunk(chunk)
        if len(body) <= 4096:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
        elif len(chunk) == 4096:  # incompressible: a raw chunk
            out += struct.pack("<H", 0x3FFF) + chunk
        else:
            raise ValueError("a final chunk that does not compress")
    return bytes(out)


# --------------------------------------------------------------------------------------------
# The project: the dir stream's records, the PROJECT stream and the modules


@dataclass(frozen=True)
class Module:
    """One VBA module: its source and kind (procedural ``Module``, ``Class`` or ``Document``)."""

    name: str
    source: str
    kind: str = "Module"
    docstring: bytes = b""


@dataclass(frozen=True)
class Project:
    name: str
    codepage: int
    modules: tuple[Module, ...]
    #: the dir stream's PROJECTINFORMATION and PROJECTREFERENCES records, kept byte for byte
    information: bytes
    cookie: bytes
    #: the PROJECT stream's lines (ID=, Document=, Name=, CMG=, [Host Extender Info], [Workspace] …)
    project_lines: tuple[str, ...]

    def module(self, name: str) -> Module:
        return next(m for m in self.modules if m.name == name)


def _records(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """(id, body, raw bytes) of every record of a decompressed dir stream."""
    out, pos = [], 0
    while pos + 6 <= len(data):
        record, size = struct.unpack_from("<HI", data, pos)
        if record == 0x0009:  # PROJECTVERSION: its size field says 4 but 6 bytes follow
            size = 6
        out.append((record, data[pos + 6:pos + 6 + size], data[pos:pos + 6 + size]))
        pos += 6 + size
    return out


def read_project(vba_project: bytes) -> Project:
    """The project in a ``vbaProject.bin``; ValueError if it is not one."""
    try:
        streams = read_compound(vba_project)
        storage = next(p.rsplit("/", 1)[0] for p in streams if p.rsplit("/", 1)[-1] == "dir")
        records = _records(decompress(streams[f"{storage}/dir"]))
    except (StopIteration, struct.error, IndexError, KeyError) as exc:
        raise ValueError(f"not a VBA project: {exc}") from None
    codepage = next((struct.unpack_from("<H", body)[0] for rid, body, _ in records if rid == 0x0003), 1252)
    encoding = f"cp{codepage}"
    split = next((i for i, (rid, _, _) in enumerate(records) if rid == 0x000F), None)
    if split is None:
        raise ValueError("no PROJECTMODULES record")
    name = next((body.decode(encoding) for rid, body, _ in records[:split] if rid == 0x0004), "VBAProject")
    information = b"".join(raw for _, _, raw in records[:split])
    cookie = next((body for rid, body, _ in records[split:] if rid == 0x0013), b"\xff\xff")
    project_text = streams.get("PROJECT", b"").decode(encoding, "replace")
    kinds = {}
    for line in project_text.splitlines():
        key, _, value = line.partition("=")
        if key in ("Module", "Class", "BaseClass", "Document"):
            kinds[value.split("/")[0]] = "Class" if key == "BaseClass" else key
    modules: list[Module] = []
    current: dict[str, object] = {}
    for rid, body, _ in records[split:]:
        if rid == 0x0019:
            current = {"name": body.decode(encoding), "stream": body.decode(encoding), "offset": 0, "doc": b""}
        elif rid == 0x001A:
            current["stream"] = body.decode(encoding)
        elif rid == 0x001C:
            current["doc"] = body
        elif rid == 0x0031:
            current["offset"], = struct.unpack_from("<I", body)
        elif rid == 0x002B and current:
            stream = streams.get(f"{storage}/{current['stream']}")
            offset = current["offset"]
            assert isinstance(offset, int)
            source = decompress(stream[offset:]).decode(encoding, "replace") if stream is not None else ""
            module_name = str(current["name"])
            doc = current["doc"]
            assert isinstance(doc, bytes)
            modules.append(Module(module_name, source, kinds.get(module_name, "Module"), doc))
            current = {}
    return Project(name, codepage, tuple(modules), information, cookie, tuple(project_text.splitlines()))


def _record(rid: int, body: bytes) -> bytes:
    return struct.pack("<HI", rid, len(body)) + body


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _with_name(information: bytes, name: bytes) -> bytes:
    out = b""
    for rid, _, raw in _records(information):
        out += _record(rid, name) if rid == 0x0004 else raw
    return out


def _project_stream(project: Project) -> str:
    """The PROJECT stream for ``project``: its module lines, name and workspace rewritten, the rest
    (ID, protection state, host extenders) as the template had them."""
    head: list[str] = []
    tail: list[str] = []
    section = ""
    for line in project.project_lines:
        key = line.partition("=")[0]
        if line.startswith("["):
            section = line
        if section:
            if section == "[Workspace]" and not line.startswith("["):
                continue
            tail.append(line)
            if line == "[Workspace]":
                tail += [f"{m.name}=0, 0, 0, 0, C" for m in project.modules]
            continue
        if key in ("Module", "Class", "BaseClass", "Document", "Package"):
            continue
        if key == "Name":
            head.append(f'Name="{project.name}"')
            continue
        head.append(line)
        if key == "ID":
            for m in project.modules:
                head.append(f"Document={m.name}/&H00000000" if m.kind == "Document" else f"{m.kind}={m.name}")
    return "\r\n".join(head + tail) + "\r\n"


def write_project(project: Project) -> bytes:
    """``project`` as a ``vbaProject.bin``: source only, no compiled caches (MS-OVBA 2.3.4.1)."""
    encoding = f"cp{project.codepage}"
    records = _with_name(project.information, project.name.encode(encoding))
    records += _record(0x000F, struct.pack("<H", len(project.modules))) + _record(0x0013, project.cookie)
    streams: dict[str, bytes] = {}
    for module in project.modules:
        name = module.name.encode(encoding)
        records += (_record(0x0019, name) + _record(0x0047, _utf16(module.name))
                    + _record(0x001A, name) + _record(0x0032, _utf16(module.name))
                    + _record(0x001C, module.docstring)
                    + _record(0x0048, _utf16(module.docstring.decode(encoding, "replace")))
                    + _record(0x0031, struct.pack("<I", 0)) + _record(0x001E, struct.pack("<I", 0))
                    + _record(0x002C, b"\xff\xff") + _record(0x0021 if module.kind == "Module" else 0x0022, b"")
                    + _record(0x002B, b""))
        source = "\r\n".join(module.source.replace("\r\n", "\n").split("\n"))
        streams[f"VBA/{module.name}"] = compress(source.encode(encoding))
    records += _record(0x0010, b"")
    streams["VBA/dir"] = compress(records)
    # Reserved1, Version 0xFFFF ("no cache: compile from source"), Reserved2, Reserved3
    streams["VBA/_VBA_PROJECT"] = b"\xcc\x61\xff\xff\x00\x00\x00"
    streams["PROJECT"] = _project_stream(project).encode(encoding)
    streams["PROJECTwm"] = b"".join(m.name.encode(encoding) + b"\0" + _utf16(m.name) + b"\0\0"
                                    for m in project.modules) + b"\0\0"
    return write_compound(streams)


def with_modules(project: Project, name: str, modules: Iterable[Module]) -> Project:
    """``project`` renamed, holding ``modules`` instead of its own."""
    return replace(project, name=name, modules=tuple(modules))
