"""How the annotated copy's zip is written: unchanged members copied as stored, changed ones compressed
as zipfile would, members read checked against their CRC, fsync only when the workbook itself is
replaced, an earlier copy swapped out whole."""

from __future__ import annotations

import io
import os
import sys
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


def test_changed_parts_are_deflated_but_the_tiniest(xiaolou: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, _ = xiaolou
    report = xlcheck.check(path)
    out = xlcheck.annotate(report, tmp_path / "copy.xlsx")
    before, after = _stored(path), _stored(out)
    changed = {name for name in after if before.get(name) != after[name]}
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        sizes = {info.filename: info.file_size for info in zf.infolist()}
    kinds = {name: after[name][0] for name in changed}
    assert {n for n, k in kinds.items() if k == zipfile.ZIP_STORED} == {n for n in changed if sizes[n] < 1024}
    assert "xl/worksheets/sheet1.xml" in changed and kinds["xl/worksheets/sheet1.xml"] == zipfile.ZIP_DEFLATED
    assert any(k == zipfile.ZIP_STORED for k in kinds.values())  # the relationships, at least
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


@pytest.mark.parametrize("target", ["new copy", "earlier copy", "in place"])
def test_fsync_only_when_the_workbook_itself_is_replaced(xiaolou: tuple[Path, dict[str, str]], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    # a copy, new or over an earlier one, is made from a source left as it was: a crash loses nothing
    # a second run does not write again; replacing the workbook itself must reach the disk first
    path, _ = xiaolou
    out = path if target == "in place" else tmp_path / "copy.xlsx"
    if target == "earlier copy":
        out.write_bytes(b"an earlier copy")
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(writer.os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    report = xlcheck.check(path)
    writer.annotate(path, out, report)
    assert bool(synced) is (target == "in place")
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
    assert [f.rule for f in xlcheck.check(out).findings] == [f.rule for f in report.findings]


def test_a_damaged_member_is_refused(xiaolou: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, _ = xiaolou
    report = xlcheck.check(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/theme/theme1.xml")  # a part the writer copies without looking at it
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(bytes(data))
    with pytest.raises(writer.WriteError, match="不是有效的 Excel 工作簿"):
        writer.annotate(damaged, tmp_path / "copy.xlsx", report)
    assert not (tmp_path / "copy.xlsx").exists()


def test_members_compressed_otherwise_are_read_and_kept(xiaolou: tuple[Path, dict[str, str]],
                                                        tmp_path: Path) -> None:
    path, _ = xiaolou
    source = tmp_path / "lzma.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(source, "w") as zout:
        for info in zin.infolist():
            kind = zipfile.ZIP_LZMA if info.filename == "xl/theme/theme1.xml" else zipfile.ZIP_DEFLATED
            zout.writestr(info, zin.read(info), compress_type=kind)
    report = xlcheck.check(source)
    out = xlcheck.annotate(report, tmp_path / "copy.xlsx")
    with zipfile.ZipFile(out) as zf, zipfile.ZipFile(path) as zs:
        assert zf.testzip() is None
        assert zf.read("xl/theme/theme1.xml") == zs.read("xl/theme/theme1.xml")


NOTES = ["[T3-RES] 错误：总计为 0，但各办理结果之和为 1", "a & b < c > d \"quoted\" 'single'", "line\r\nnext\rlast\n",
         "tab\there", "control\x01\x0b\x1fgone\ufffe\uffff", "宽字符　全角！", "", "]]> &amp; &#13;"]


def test_new_parts_written_as_text_are_what_the_trees_gave() -> None:
    # a new comments part and a new shared-strings part are written out as text; what a parsed empty
    # part with the same items added serialises to is what they were before
    from lxml import etree

    from xlcheck.findings import Severity
    from xlcheck.marks import PlacedMark

    def serialised(root: etree._Element) -> bytes:
        return writer.XML_DECL + etree.tostring(root, encoding="UTF-8", xml_declaration=False)

    targets = [PlacedMark(row, col, Severity.ERROR, note, suspect=row % 2 == 0)
               for row, (col, note) in enumerate(zip([1, 3, 26, 27, 100, 702, 703, 16384], NOTES, strict=True), 1)]
    root = writer._new_root("comments", writer.MAIN)
    writer._add_comments(root, targets)
    assert writer._comments_document(targets) == serialised(root)

    strings = writer._Strings(0)
    for n, text in enumerate(NOTES * 2):
        writer._text_cell(strings, f"A{n + 1}", text, bold=n % 2 == 0, colour="FF9C0006" if n % 3 else None,
                          underline=n % 4 == 0)
    sst = writer._new_root("sst", writer.MAIN)
    sst.set("count", "0")
    sst.set("uniqueCount", "0")
    writer._add_strings(sst, strings)
    assert writer._strings_document(strings) == serialised(sst)


def test_the_zip_is_packed_as_zipfile_writes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the copy's zip is packed in one pass; zipfile, given the same members, writes the same bytes
    import corpus

    sources = [tmp_path / "report.xlsx", tmp_path / "名字.xlsx"]
    corpus.write_report(sources[0], "2021", corpus.consistent_values("2021", 1), year=2022, notes=True)
    with zipfile.ZipFile(sources[0]) as zin, zipfile.ZipFile(sources[1], "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():  # members stored and deflated, one with a name that is not ASCII
            kind = zipfile.ZIP_STORED if info.filename.endswith(".rels") else zipfile.ZIP_DEFLATED
            zout.writestr(info, zin.read(info), compress_type=kind)
        zout.writestr("xl/media/图片.bin", b"\x00" * 100)
    packed: dict[Path, bytes] = {}
    for source in sources:
        out = tmp_path / f"{source.stem}.packed.xlsx"
        writer.annotate(source, out, xlcheck.check(source))
        packed[source] = out.read_bytes()
    monkeypatch.setattr(writer, "_pack", lambda out, entries: False)
    for source in sources:
        out = tmp_path / f"{source.stem}.zipfile.xlsx"
        writer.annotate(source, out, xlcheck.check(source))
        assert out.read_bytes() == packed[source]
        with zipfile.ZipFile(out) as zf:
            assert zf.testzip() is None


def _contents(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        return {info.filename: zf.read(info) for info in zf.infolist()}


def test_the_copy_holds_the_same_parts_whichever_deflater_wrote_it(xiaolou: tuple[Path, dict[str, str]],
                                                                   tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # isal where it has a wheel, zlib elsewhere and for a process's first parts: the parts the copy
    # holds are the same bytes, and each reads what the other wrote
    from xlcheck import deflate

    pytest.importorskip("isal")
    path, _ = xiaolou
    report = xlcheck.check(path)
    copies = {}
    for name, first in (("isal", -1), ("zlib", 2**62)):
        monkeypatch.setattr(deflate, "ZLIB_FIRST", first)
        copies[name] = tmp_path / f"{name}.xlsx"
        writer.annotate(path, copies[name], report)
        assert _stored(copies[name])["xl/worksheets/sheet1.xml"][0] == zipfile.ZIP_DEFLATED
        assert [f.rule for f in xlcheck.check(copies[name]).findings] == [f.rule for f in report.findings]
    assert _stored(copies["isal"]) != _stored(copies["zlib"])  # two deflaters really wrote them
    assert _contents(copies["isal"]) == _contents(copies["zlib"])
    monkeypatch.setattr(deflate, "ZLIB_FIRST", -1)
    writer.annotate(copies["zlib"], tmp_path / "again.xlsx", report)
    assert _contents(tmp_path / "again.xlsx") == _contents(copies["zlib"])
    monkeypatch.setattr(deflate, "_isal", lambda: None)  # a processor isal has no wheel for
    writer.annotate(copies["isal"], tmp_path / "plain.xlsx", report)
    assert _contents(tmp_path / "plain.xlsx") == _contents(copies["zlib"])


@pytest.mark.parametrize("first", [-1, 2**62], ids=["isal", "zlib"])
def test_deflate_reads_back_what_it_writes_and_refuses_a_damaged_stream(monkeypatch: pytest.MonkeyPatch,
                                                                        first: int) -> None:
    import zlib

    from xlcheck import deflate

    monkeypatch.setattr(deflate, "ZLIB_FIRST", first)
    data = "".join(f'<c r="A{n}"><v>{n * 7}</v></c>' for n in range(3000)).encode()
    packed = deflate.compress(data)
    assert len(packed) < len(data) // 4
    assert zlib.decompress(packed, -15) == data == deflate.inflate(packed, len(data))
    assert deflate.inflate(packed, 100) == data[:100]  # never more than it is asked for
    with pytest.raises(zlib.error):
        deflate.inflate(b"\xff" * 64, len(data))


def test_a_process_loads_isal_only_past_what_zlib_does_faster_than_the_import() -> None:
    import subprocess

    pytest.importorskip("isal")
    probe = ("import sys; from xlcheck import deflate; small = deflate.compress(b'x' * 1000); "
             "print('isal' in sys.modules); deflate.compress(b'y' * deflate.ZLIB_FIRST); "
             "print('isal' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.split() == ["False", "True"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_an_earlier_copy_is_swapped_out_whole(xiaolou: tuple[Path, dict[str, str]], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # from the second copy a process puts over an earlier one, the two names are swapped and the old
    # file removed: the copy is the new one, with the earlier copy's permissions, and nothing is left
    from xlcheck import atomic

    path, _ = xiaolou
    report = xlcheck.check(path)
    out = tmp_path / "copy.xlsx"
    swaps: list[bool] = []
    real = atomic._exchange
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: swaps.append(real(a, b)) or swaps[-1])
    monkeypatch.setattr(atomic, "_replaced", 0)
    writer.annotate(path, out, report)  # a new copy: nothing to swap with
    assert swaps == []
    for _ in range(3):
        out.write_bytes(b"an earlier copy")
        out.chmod(0o640)
        writer.annotate(path, out, report)
        assert out.stat().st_mode & 0o777 == 0o640
        assert [f.rule for f in xlcheck.check(out).findings] == [f.rule for f in report.findings]
    assert swaps == [True, True]  # the first replacement renamed: loading the swap costs ten renames
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["copy.xlsx", path.name])


def test_a_copy_is_renamed_when_the_swap_is_refused_and_in_place_always(xiaolou: tuple[Path, dict[str, str]],
                                                                       tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from xlcheck import atomic

    path, _ = xiaolou
    report = xlcheck.check(path)
    out = tmp_path / "copy.xlsx"
    asked: list[str] = []
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: asked.append(os.fspath(b)) and False)
    monkeypatch.setattr(atomic, "_replaced", 5)
    out.write_bytes(b"an earlier copy")
    writer.annotate(path, out, report)  # a file system without the swap: the rename does it
    assert [f.rule for f in xlcheck.check(out).findings] == [f.rule for f in report.findings]
    writer.annotate(path, path, report)  # the workbook itself: fsynced and renamed, never swapped
    assert asked == [os.fspath(out)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["copy.xlsx", path.name])
    assert xlcheck.check(path).marked


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_only_a_file_is_swapped_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # what is not a regular file is renamed over as before, so a directory still refuses the output
    from xlcheck import atomic

    monkeypatch.setattr(atomic, "_replaced", 5)
    folder = tmp_path / "copy.xlsx"
    folder.mkdir()
    (folder / "keep.txt").write_text("kept")
    with pytest.raises(OSError), atomic.replacing(folder, durable=False) as tmp:
        tmp.write_bytes(b"output")
    assert (folder / "keep.txt").read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.xlsx"]
    target = tmp_path / "out.txt"
    target.write_text("earlier")
    with atomic.replacing(target, durable=False) as tmp:
        tmp.write_text("later")
    assert target.read_text() == "later"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.xlsx", "out.txt"]
