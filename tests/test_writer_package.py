"""How the annotated copy's zip is written: unchanged members copied as stored, fsync only when a file
is replaced."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

import xlcheck
from xlcheck import writer


def _stored(path: Path) -> dict[str, tuple[int, int, bytes]]:
    """Each member's compression, CRC and compressed bytes as they lie in the file."""
    data = path.read_bytes()
    out = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            head = data[info.header_offset:info.header_offset + 30]
            start = info.header_offset + 30 + int.from_bytes(head[26:28], "little") + int.from_bytes(
                head[28:30], "little")
            out[info.filename] = (info.compress_type, info.CRC, data[start:start + info.compress_size])
    return out


def test_unchanged_members_keep_their_stored_bytes(xiaolou: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, _ = xiaolou
    # members stored the way another program stores them: one left uncompressed, one at level 1
    source = tmp_path / "source.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(source, "w") as zout:
        for info in zin.infolist():
            kind = zipfile.ZIP_STORED if info.filename == "docProps/app.xml" else zipfile.ZIP_DEFLATED
            zout.writestr(info, zin.read(info), compress_type=kind, compresslevel=1)
    report = xlcheck.check(source)
    out = xlcheck.annotate(report, tmp_path / "copy.xlsx")
    before, after = _stored(source), _stored(out)
    unchanged = [name for name in before if name in after and before[name] == after[name]]
    assert "docProps/app.xml" in unchanged and "xl/theme/theme1.xml" in unchanged
    assert before["xl/worksheets/sheet1.xml"] != after["xl/worksheets/sheet1.xml"]  # it carries the marks
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert zf.getinfo("docProps/app.xml").compress_type == zipfile.ZIP_STORED
    assert [f.rule for f in xlcheck.check(out).findings] == [f.rule for f in report.findings]


def test_members_written_with_data_descriptors_are_copied_right(xiaolou: tuple[Path, dict[str, str]],
                                                                 tmp_path: Path) -> None:
    path, _ = xiaolou
    # a zip written to a pipe has no sizes in its local headers, only after each member
    stream = io.BytesIO()

    class Pipe(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b) -> int:  # type: ignore[no-untyped-def]
            return stream.write(b)

    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(Pipe(), "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            with zout.open(info.filename, "w") as member:
                member.write(zin.read(info))
    source = tmp_path / "streamed.xlsx"
    source.write_bytes(stream.getvalue())
    with zipfile.ZipFile(source) as zf:
        assert all(info.flag_bits & 0x08 for info in zf.infolist())
    out = xlcheck.annotate(xlcheck.check(source), tmp_path / "copy.xlsx")
    with zipfile.ZipFile(out) as zf, zipfile.ZipFile(source) as zs:
        assert zf.testzip() is None
        assert zf.read("xl/theme/theme1.xml") == zs.read("xl/theme/theme1.xml")


@pytest.mark.parametrize("existing", [False, True])
def test_fsync_only_when_a_file_is_replaced(xiaolou: tuple[Path, dict[str, str]], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch, existing: bool) -> None:
    path, _ = xiaolou
    target = tmp_path / "copy.xlsx"
    if existing:
        target.write_bytes(b"an earlier copy")
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(writer.os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    xlcheck.annotate(xlcheck.check(path), target)
    assert bool(synced) is existing
    with zipfile.ZipFile(target) as zf:
        assert zf.testzip() is None
