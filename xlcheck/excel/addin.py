"""Building the xlcheck Excel add-ins from xlwings' own ribbon add-in template.

The template (``quickstart_addin_ribbon.xlam`` inside the installed xlwings package) carries the
VBA that runs Python: the ``xlwings`` module's ``RunPython`` and one ribbon callback,
``RibbonMyAddin.RunMain``, which runs ``RunPython "import <M>;<M>.main()"`` where ``<M>`` is the
add-in's own file name without its extension. That callback is the only macro in the template with
the signature a ribbon button calls (``control As IRibbonControl``), and it ignores which button
was pressed. The VBA project is not edited here, so each action gets an add-in file of its own
whose name is the Python module to run, and both put their button on one shared ribbon tab
(``idQ`` in a common namespace):

* ``xlcheck.xlam``        -> ``import xlcheck;xlcheck.main()``             : 校验当前工作簿
* ``xlcheck.excel.xlam``  -> ``import xlcheck.excel;xlcheck.excel.main()`` : 清除标记

The rule set is a setting, not a drop-down (a drop-down needs a callback the template lacks): the
key ``XLCHECK_RULES`` on the add-in's config sheet, which the template's VBA reads too (for
``INTERPRETER_WIN``/``INTERPRETER_MAC``) once the sheet is renamed from ``_myaddin.conf`` to
``myaddin.conf``. The ribbon shows the chosen rule set as a label.

Nothing here imports xlwings: the template and licence are found through package metadata, so the
add-in can be built on a machine without Excel (CI included).
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import struct
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

__all__ = [
    "ADDINS",
    "CHECK_ADDIN",
    "CLEAR_ADDIN",
    "LICENSE_NAME",
    "RULES_KEY",
    "AddinError",
    "build_addin",
    "read_setting",
    "template_path",
    "vba_modules",
]

TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
LICENSE_NAME = "xlwings-LICENSE.txt"
RULES_KEY = "XLCHECK_RULES"
#: The macro the template's ribbon calls, as ``Module.Sub``.
RIBBON_MACRO = "RibbonMyAddin.RunMain"
#: Shared ribbon namespace: both add-ins add to the same tab and group through it.
RIBBON_NS = "xlcheck.ribbon"
_RULES_TIP = "更换规则集：在命令行运行 xlcheck excel install --rules 规则集名称，然后重启 Excel。"


@dataclass(frozen=True)
class Addin:
    """One add-in file: its name decides the Python module its button runs."""

    file_name: str
    button_id: str
    label: str
    screentip: str
    supertip: str
    image: str
    title: str

    @property
    def module(self) -> str:
        """What ``RibbonMyAddin.RunMain`` imports: the file name up to its last dot."""
        return self.file_name.rsplit(".", 1)[0]


CHECK_ADDIN = Addin(
    file_name="xlcheck.xlam",
    button_id="check",
    label="校验当前工作簿",
    screentip="校验当前工作簿",
    supertip="按政府信息公开工作年度报告的规则校验当前工作簿，在有问题的单元格上标注颜色和批注，"
             "并在最前面添加「校验结果」工作表。",
    image="AcceptInvitation",
    title="xlcheck 年报校验",
)
CLEAR_ADDIN = Addin(
    file_name="xlcheck.excel.xlam",
    button_id="clear",
    label="清除标记",
    screentip="清除标记",
    supertip="去掉 xlcheck 上次校验添加的填充颜色、批注和「校验结果」工作表，恢复单元格原来的颜色；"
             "不影响您自己的批注和颜色。",
    image="ClearFormats",
    title="xlcheck 清除标记",
)
ADDINS = (CHECK_ADDIN, CLEAR_ADDIN)


class AddinError(Exception):
    """The add-in cannot be built; the message is for the user (Chinese, then English)."""


# --------------------------------------------------------------------------------------------
# Finding the template and the licence


def _xlwings_dir() -> Path:
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise AddinError("没有安装 xlwings，请先运行 pip install xlwings (xlwings is not installed)")
    return Path(next(iter(spec.submodule_search_locations)))


def template_path() -> Path:
    """xlwings' ribbon add-in template inside the installed package."""
    path = _xlwings_dir() / TEMPLATE_NAME
    if not path.is_file():
        raise AddinError(f"已安装的 xlwings 中找不到加载项模板 {TEMPLATE_NAME} (template not found: {path})")
    return path


def xlwings_version() -> str:
    from importlib.metadata import version

    return version("xlwings")


def license_text() -> str:
    """xlwings' own (BSD) licence text from its installed distribution metadata."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("xlwings")
    except PackageNotFoundError:
        raise AddinError("没有安装 xlwings (xlwings is not installed)") from None
    candidates = [str(f) for f in dist.files or ()
                  if re.search(r"\.dist-info/(licenses/)?(LICENSE|COPYING)[^/]*$", str(f), re.I)
                  and "PRO" not in Path(str(f)).name.upper()]
    for name in sorted(candidates, key=len):
        text = dist.read_text(name.split(".dist-info/", 1)[1]) if ".dist-info/" in name else None
        if text:
            return text
    raise AddinError("找不到 xlwings 的许可证文本 (xlwings licence text not found)")


# --------------------------------------------------------------------------------------------
# Reading the VBA project: a compound file (MS-CFB) holding compressed module source (MS-OVBA)


_FREE, _END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE


def _cfb_streams(data: bytes) -> dict[str, bytes]:
    """Every stream of a compound file as ``{"VBA/Module1": bytes}`` (storage path, ``/``-joined)."""
    if data[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
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


def _decompress(data: bytes) -> bytes:
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


def vba_modules(vba_project: bytes) -> dict[str, str]:
    """The source of every module in a ``vbaProject.bin``: ``{module name: source text}``."""
    streams = _cfb_streams(vba_project)
    storage = next((p.rsplit("/", 1)[0] for p in streams if p.rsplit("/", 1)[-1] == "dir"), None)
    if storage is None:
        raise ValueError("no VBA dir stream")
    directory = _decompress(streams[f"{storage}/dir"])
    codepage, pos = 1252, 0
    modules: list[list[object]] = []
    while pos + 6 <= len(directory):
        record, size = struct.unpack_from("<HI", directory, pos)
        if record == 0x0009:  # PROJECTVERSION: its size field says 4 but 6 bytes follow
            size = 6
        body = directory[pos + 6:pos + 6 + size]
        pos += 6 + size
        if record == 0x0003:
            codepage, = struct.unpack_from("<H", body)
        elif record == 0x0019:  # MODULENAME
            modules.append([body, None, 0])
        elif record == 0x001A and modules:  # MODULESTREAMNAME
            modules[-1][1] = body
        elif record == 0x0031 and modules:  # MODULEOFFSET
            modules[-1][2], = struct.unpack_from("<I", body)
    encoding = f"cp{codepage}"
    out: dict[str, str] = {}
    for raw_name, raw_stream, offset in modules:
        assert isinstance(raw_name, bytes) and isinstance(offset, int)
        stream_name = (raw_stream if isinstance(raw_stream, bytes) else raw_name).decode(encoding, "replace")
        stream = streams.get(f"{storage}/{stream_name}")
        if stream is None:
            continue
        out[raw_name.decode(encoding, "replace")] = _decompress(stream[offset:]).decode(encoding, "replace")
    return out


@dataclass(frozen=True)
class TemplateVba:
    """What the template's VBA does that the add-in relies on."""

    project_name: str
    conf_sheet: str


def inspect_template_vba(vba_project: bytes) -> TemplateVba:
    """Check the template's ribbon macro still runs ``<add-in name>.main()``; raise AddinError if not."""
    try:
        modules = vba_modules(vba_project)
    except (ValueError, struct.error, IndexError) as exc:
        raise AddinError(f"无法读取加载项模板的 VBA 工程 (cannot read the template's VBA project: {exc})") from None
    module, macro = RIBBON_MACRO.split(".")
    ribbon = modules.get(module, "")
    signature = re.search(rf"^\s*(Public\s+)?Sub\s+{macro}\s*\(\s*\w+\s+As\s+IRibbonControl\s*\)", ribbon, re.M | re.I)
    runs_main = "ThisWorkbook.Name" in ribbon and re.search(r'RunPython\s+"import "\s*&\s*(\w+)\s*&\s*";"\s*&\s*\1'
                                                           r'\s*&\s*"\.main\(\)"', ribbon)
    if not signature or not runs_main:
        raise AddinError(
            f"此版本 xlwings ({xlwings_version()}) 的加载项模板与 xlcheck 预期的不同：找不到宏 {RIBBON_MACRO} "
            f"(the template no longer has the ribbon macro {RIBBON_MACRO} running <add-in name>.main())"
        )
    project = re.search(r'PROJECT_NAME\s+As\s+String\s*=\s*"([^"]+)"', modules.get("xlwings", ""))
    name = project.group(1) if project else "xlwings"
    return TemplateVba(project_name=name, conf_sheet=f"{name}.conf")


# --------------------------------------------------------------------------------------------
# Writing the add-ins


def ribbon_xml(addin: Addin, rules: str) -> str:
    """The ribbon of one add-in: its button on the shared xlcheck tab (and the rule set label)."""
    button = (f'<button idQ="x:{addin.button_id}" label={quoteattr(addin.label)} size="large" '
              f'imageMso="{addin.image}" onAction="{RIBBON_MACRO}" screentip={quoteattr(addin.screentip)} '
              f"supertip={quoteattr(addin.supertip)}"
              + (' insertBeforeQ="x:clear"' if addin is CHECK_ADDIN else "") + "/>")
    setting = ""
    if addin is CHECK_ADDIN:
        setting = (f'<group idQ="x:settings" label="规则集">'
                   f'<labelControl idQ="x:rules" label={quoteattr(f"规则集：{rules}")} '
                   f'screentip={quoteattr("校验所用的规则集")} '
                   f"supertip={quoteattr(_RULES_TIP)}/>"
                   "</group>")
    return (
        '<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui" '
        f'xmlns:x="{RIBBON_NS}">'
        "<ribbon><tabs>"
        '<tab idQ="x:xlcheckTab" label="xlcheck">'
        f'<group idQ="x:checkGroup" label="年报校验">{button}</group>{setting}'
        "</tab></tabs></ribbon></customUI>"
    )


def _conf_sheet_xml(original: bytes, settings: list[tuple[str, str]]) -> bytes:
    """The template's config sheet with its rows replaced by ``settings`` (inline strings)."""
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>{escape(key)}</t></is></c>'
        f'<c r="B{i}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c></row>'
        for i, (key, value) in enumerate(settings, 1)
    )
    text = original.decode("utf-8")
    text, count = re.subn(r"<sheetData\s*/>|<sheetData>.*?</sheetData>", f"<sheetData>{rows}</sheetData>",
                          text, count=1, flags=re.S)
    if not count:
        raise AddinError("加载项模板的配置表格式不同 (the template's config sheet has no sheetData)")
    text = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:B{max(len(settings), 1)}"/>', text)
    return text.encode("utf-8")


def _rename_conf_sheet(workbook: bytes, conf_sheet: str) -> tuple[bytes, str]:
    """Activate the config sheet (``_myaddin.conf`` -> ``myaddin.conf``); return its r:id."""
    text = workbook.decode("utf-8")
    match = re.search(r'<sheet\b[^>]*\bname="_?' + re.escape(conf_sheet) + r'"[^>]*/>', text)
    if match is None:
        raise AddinError(f"加载项模板中没有配置表 {conf_sheet} (the template has no {conf_sheet} sheet)")
    element = re.sub(r'\bname="[^"]*"', f'name="{conf_sheet}"', match.group(0))
    rid = re.search(r'\br:id="([^"]+)"', element)
    if rid is None:
        raise AddinError("加载项模板的 workbook.xml 格式不同 (unexpected workbook.xml)")
    return (text[:match.start()] + element + text[match.end():]).encode("utf-8"), rid.group(1)


def _sheet_part(rels: bytes, rid: str) -> str:
    match = re.search(r'<Relationship\b[^>]*\bId="' + re.escape(rid) + r'"[^>]*/>', rels.decode("utf-8"))
    target = re.search(r'\bTarget="([^"]+)"', match.group(0)) if match else None
    if target is None:
        raise AddinError("加载项模板的关系文件格式不同 (unexpected workbook.xml.rels)")
    path = target.group(1)
    return path.lstrip("/") if path.startswith("/") else f"xl/{path}"


def _core_xml(original: bytes, title: str) -> bytes:
    text = original.decode("utf-8")
    text = re.sub(r"<dc:title\s*/>|<dc:title>.*?</dc:title>", f"<dc:title>{escape(title)}</dc:title>", text,
                  count=1, flags=re.S)
    text = re.sub(r"<dc:creator>.*?</dc:creator>", "<dc:creator>xlcheck</dc:creator>", text, count=1, flags=re.S)
    return text.encode("utf-8")


def _build_one(members: dict[str, bytes], infos: list[zipfile.ZipInfo], addin: Addin, vba: TemplateVba,
               settings: list[tuple[str, str]], rules: str) -> bytes:
    parts = dict(members)
    ui = _custom_ui_part(parts)
    parts[ui] = ribbon_xml(addin, rules).encode("utf-8")
    parts["xl/workbook.xml"], rid = _rename_conf_sheet(parts["xl/workbook.xml"], vba.conf_sheet)
    sheet = _sheet_part(parts["xl/_rels/workbook.xml.rels"], rid)
    parts[sheet] = _conf_sheet_xml(parts[sheet], settings)
    if "docProps/core.xml" in parts:
        parts["docProps/core.xml"] = _core_xml(parts["docProps/core.xml"], addin.title)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in infos:
            out = zipfile.ZipInfo(info.filename, info.date_time)
            out.compress_type = zipfile.ZIP_DEFLATED
            out.external_attr = info.external_attr
            zf.writestr(out, parts[info.filename])
    return buffer.getvalue()


def _custom_ui_part(parts: dict[str, bytes]) -> str:
    rels = parts.get("_rels/.rels", b"").decode("utf-8")
    for element in re.findall(r"<Relationship\b[^>]*>", rels):
        kind = re.search(r'\bType="([^"]+)"', element)
        target = re.search(r'\bTarget="([^"]+)"', element)
        if kind and target and kind.group(1).endswith("/relationships/ui/extensibility"):
            part = target.group(1).lstrip("/")
            if part not in parts:
                raise AddinError(f"加载项模板缺少 {part} (the template lacks {part})")
            return part
    raise AddinError("加载项模板中没有功能区定义 (the template has no ribbon part)")


def build_addin(path: str | os.PathLike[str], rules: str = "national", *, python: str | None = None) -> list[Path]:
    """Write the xlcheck add-ins and xlwings' licence; return the files written.

    ``path`` is a directory, or a file named ``xlcheck.xlam`` (the name decides which Python
    module the button runs, so no other name works). Beside it go ``xlcheck.excel.xlam`` (the
    清除标记 button) and ``xlwings-LICENSE.txt``. ``rules`` is stored as the rule-set setting;
    ``python`` pins the interpreter the buttons start (xlwings' INTERPRETER_WIN, or INTERPRETER_MAC
    when built on macOS).
    """
    target = Path(path)
    if target.is_dir():
        directory = target
    elif target.name.lower() == CHECK_ADDIN.file_name:
        directory = target.parent
    else:
        raise AddinError(
            f"加载项文件必须命名为 {CHECK_ADDIN.file_name}（Excel 按文件名决定按钮运行哪个 Python 模块），"
            f"或给出一个文件夹 (the add-in must be named {CHECK_ADDIN.file_name}, or give a directory)"
        )
    if not rules or not re.fullmatch(r"[\w.\-]+", rules):
        raise AddinError(f"规则集名称无效：{rules!r} (invalid rule set name)")
    template = template_path()
    try:
        with zipfile.ZipFile(template) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            members = {i.filename: zf.read(i.filename) for i in infos}
    except (OSError, zipfile.BadZipFile) as exc:
        raise AddinError(f"无法读取加载项模板 {template} (cannot read the template: {exc})") from None
    if "xl/vbaProject.bin" not in members:
        raise AddinError("加载项模板中没有 VBA 工程 (the template has no VBA project)")
    vba = inspect_template_vba(members["xl/vbaProject.bin"])
    settings = [(RULES_KEY, rules)]
    if python:
        settings.append(("INTERPRETER_MAC" if sys.platform == "darwin" else "INTERPRETER_WIN", python))
    outputs = {a: _build_one(members, infos, a, vba, settings, rules) for a in ADDINS}
    licence = license_text()
    written = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for addin, data in outputs.items():
            file = directory / addin.file_name
            file.write_bytes(data)
            written.append(file)
        file = directory / LICENSE_NAME
        file.write_text(licence, encoding="utf-8")
        written.append(file)
    except OSError as exc:
        raise AddinError(f"无法写出加载项到 {directory}：{exc.strerror or exc} (cannot write)") from None
    return written


def read_setting(path: str | os.PathLike[str], key: str, conf_sheet: str = "myaddin.conf") -> str | None:
    """A setting from an add-in's config sheet (column A key, column B value); None when absent."""
    import python_calamine

    try:
        data = Path(path).read_bytes()
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        try:
            rows = book.get_sheet_by_name(conf_sheet).to_python()
        finally:
            book.close()
    except Exception:
        return None
    for row in rows:
        if len(row) >= 2 and str(row[0]).strip().upper() == key.upper():
            value = str(row[1]).strip()
            return value or None
    return None
