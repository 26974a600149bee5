"""Building the xlcheck Excel add-in: one ``xlcheck.xlam`` with a VBA project of its own.

The add-in is made from xlwings' ribbon add-in template (``quickstart_addin_ribbon.xlam`` inside
the installed xlwings package), which supplies the workbook shell, the ``xlwings`` VBA module (its
``RunPython`` starts Python and reads the settings sheet) and the ``Dictionary`` class it needs on
macOS. The template's own ribbon macro (``RibbonMyAddin.RunMain``, which runs ``<file name>.main()``
for every button) is replaced by xlcheck's module :data:`RIBBON_MODULE`, whose callbacks each run
their own Python entry point:

* 校验当前工作簿 -> ``XlcheckRibbon.CheckWorkbook`` -> ``xlcheck.excel.check('<rule set>')``
* 清除标记       -> ``XlcheckRibbon.ClearMarks``    -> ``xlcheck.excel.clear()``
* 规则集 drop-down -> ``XlcheckRibbon.RulesChanged`` / ``RulesSelected`` (the choice is kept per user
  with VBA's ``SaveSetting``, so it holds wherever the add-in file is installed)

The VBA project is named :data:`PROJECT_NAME`, not the template's ``MyAddin``, so neither its
callbacks nor its settings sheet (``xlcheck.conf``) can be confused with another xlwings add-in's.
The module is written source-only (see :mod:`xlcheck.excel.ovba`); Excel compiles it on first load.
Before Python is started the VBA checks what Python cannot report itself (Protected View, sheet and
workbook protection, a missing interpreter, a security policy that blocks starting processes) and
says so in Chinese.

Nothing here imports xlwings: the template and licence are found through package metadata, so the
add-in can be built on a machine without Excel (CI included).
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from . import ovba

__all__ = [
    "ADDIN_FILE",
    "CALLBACKS",
    "CONF_SHEET",
    "ENTRY_POINTS",
    "LEGACY_FILES",
    "LICENSE_NAME",
    "PROJECT_NAME",
    "RIBBON_MODULE",
    "RULES_KEY",
    "AddinError",
    "build_addin",
    "python_settings",
    "read_setting",
    "template_path",
]

TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
ADDIN_FILE = "xlcheck.xlam"
#: Files of the first version (one add-in per button); ``xlcheck excel install`` removes them.
LEGACY_FILES = ("xlcheck.excel.xlam",)
LICENSE_NAME = "xlwings-LICENSE.txt"
#: The VBA project's name, and xlwings' PROJECT_NAME: the settings sheet is ``xlcheck.conf``.
PROJECT_NAME = "xlcheck"
CONF_SHEET = f"{PROJECT_NAME}.conf"
RIBBON_MODULE = "XlcheckRibbon"
RULES_KEY = "XLCHECK_RULES"
#: The template's ribbon module, which xlcheck's replaces.
TEMPLATE_RIBBON_MODULE = "RibbonMyAddin"
#: Ribbon control -> the ``Module.Sub`` its callback is.
CALLBACKS = {
    "check": f"{RIBBON_MODULE}.CheckWorkbook",
    "clear": f"{RIBBON_MODULE}.ClearMarks",
    "rules": f"{RIBBON_MODULE}.RulesChanged",
    "rules-selected": f"{RIBBON_MODULE}.RulesSelected",
}
#: Button -> the Python statement its callback runs (``{rules}`` is the chosen rule set).
ENTRY_POINTS = {
    "check": "import xlcheck.excel;xlcheck.excel.check('{rules}')",
    "clear": "import xlcheck.excel;xlcheck.excel.clear()",
}
#: xlwings' settings keys, spelt as its documentation spells them (its VBA upper-cases them).
INTERPRETER_WIN, INTERPRETER_MAC = "Interpreter_Win", "Interpreter_Mac"
CONDA_PATH, CONDA_ENV = "Conda Path", "Conda Env"

_RULE_NAME = re.compile(r"[\w.\-]+")


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
# Which Python the buttons start


def _is_windows_path(path: str) -> bool:
    return bool(re.match(r"^([A-Za-z]:[\\/]|\\\\)", path))


def _conda(prefix: Path, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(Conda Path, Conda Env) when ``prefix`` is a conda environment, else None."""
    if not (prefix / "conda-meta").is_dir():
        return None
    if (prefix / "condabin").is_dir():
        return str(prefix), "base"
    if prefix.parent.name.lower() == "envs" and (prefix.parent.parent / "condabin").is_dir():
        return str(prefix.parent.parent), prefix.name
    conda_exe = environ.get("CONDA_EXE", "")
    if conda_exe:  # <base>\Scripts\conda.exe or <base>/bin/conda; an env outside <base>\envs goes by path
        return str(Path(conda_exe).parent.parent), str(prefix)
    return None


def python_settings(python: str | None = None, *, conda_path: str | None = None, conda_env: str | None = None,
                    platform: str | None = None, executable: str | None = None, prefix: str | None = None,
                    environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """The settings that tell xlwings' RunPython which Python to start.

    Explicit ``conda_path``/``conda_env`` or ``python`` win. Otherwise the Python running this
    build is written: on Windows a conda environment as ``Conda Path``/``Conda Env`` (xlwings must
    activate it, or its DLLs are not found), any other as ``Interpreter_Win``; on macOS as
    ``Interpreter_Mac``. Elsewhere there is no Excel, and no Python to write without ``--python``.
    """
    platform = sys.platform if platform is None else platform
    executable = sys.executable if executable is None else executable
    environ = os.environ if environ is None else environ
    if conda_path or conda_env:
        if not (conda_path and conda_env):
            raise AddinError("--conda-path 和 --conda-env 要一起给出 (give both --conda-path and --conda-env)")
        return [(CONDA_PATH, conda_path), (CONDA_ENV, conda_env)]
    if python:
        if _is_windows_path(python):
            return [(INTERPRETER_WIN, python)]
        if platform != "darwin":
            raise AddinError(
                f"{python} 不是 Windows 上的路径。macOS 上请在那台 Mac 上运行 xlcheck excel install："
                "加载项要调用与那台 Mac 上的 xlwings 同一版本的脚本，在别的电脑上生成的不能用 "
                "(a macOS add-in must be built on that Mac with xlcheck excel install)")
        return [(INTERPRETER_MAC, python)]
    if platform.startswith("win"):
        conda = _conda(Path(prefix if prefix is not None else sys.prefix), environ)
        if conda is not None:
            return [(CONDA_PATH, conda[0]), (CONDA_ENV, conda[1])]
        if executable:
            return [(INTERPRETER_WIN, executable)]
    elif platform == "darwin" and executable:
        return [(INTERPRETER_MAC, executable)]
    if not platform.startswith("win") and platform != "darwin":
        raise AddinError(
            "这台电脑上没有 Excel，不知道按钮该调用哪个 Python：请用 --python 给出 Excel 所在的 Windows 电脑上 "
            'python.exe 的完整路径，例如 --python "C:\\Program Files\\Python312\\python.exe"（Anaconda 用 '
            "--conda-path 和 --conda-env） (no Excel here: give --python with the Windows path of python.exe)")
    raise AddinError("找不到正在运行的 Python 解释器，请用 --python 指定 (cannot tell which Python is running; "
                     "give --python)")


# --------------------------------------------------------------------------------------------
# The VBA module


def vba_text(text: str) -> str:
    """A VBA expression for ``text`` that reads the same under every code page: ``U("6821 9A8C")``.

    VBA source is stored in the project's code page (Western here), so Chinese cannot be written
    in a string literal; each UTF-16 code unit is spelt in hex and ``U`` rebuilds the string.
    """
    units = text.encode("utf-16-le")
    codes = [f"{units[i] | units[i + 1] << 8:X}" for i in range(0, len(units), 2)]
    lines = [" ".join(codes[i:i + 40]) for i in range(0, len(codes), 40)] or [""]
    return " & _\n        ".join(f'U("{line}")' for line in lines)


#: What a clerk is told when the button cannot run; {1} is filled in by the VBA.
MESSAGES = {
    "ProtectedView": "这个工作簿是在“受保护的视图”中打开的（从网上或邮件中得到的文件，Excel 先以只读方式打开），"
                     "xlcheck 不能读取和标注它。\n请先点击窗口上方黄色提示栏中的「启用编辑」，再点“校验当前工作簿”。",
    "NoWorkbook": "没有打开的工作簿：请先打开要检查的年报工作簿，再点按钮。",
    "Structure": "这个工作簿设置了“保护工作簿”（结构保护），xlcheck 不能添加或删除「校验结果」工作表。\n"
                 "请在“审阅”选项卡中点“保护工作簿”取消保护后再试；如果不知道密码，请用命令行 xlcheck check 或"
                 "单位的校验网页（xlcheck serve）另存一份标注副本，原文件不会被改动。",
    "SheetProtected": "以下工作表设置了“保护工作表”，xlcheck 不能在上面标注或清除标记：{1}\n"
                      "请在“审阅”选项卡中点“撤销工作表保护”后再试；如果不知道密码，请用命令行 xlcheck check 或"
                      "单位的校验网页（xlcheck serve）另存一份标注副本，原文件不会被改动。",
    "NoPython": "找不到加载项设置的 Python：{1}\n它可能已被卸载或移动。请在命令提示符中运行 xlcheck excel install "
                "重新安装加载项，然后重启 Excel；单位电脑请联系信息技术人员。",
    "NoConda": "找不到加载项设置的 Anaconda/Miniconda：{1}\n请在 Anaconda Prompt 中运行 xlcheck excel install "
               "重新安装加载项，然后重启 Excel。",
    "NoXlcheck": "加载项使用的 Python（{1}）中没有安装 xlcheck 或 xlwings。\n请在命令提示符中用同一个 Python 运行："
                 "\n    \"{1}\" -m pip install xlcheck\n然后运行 xlcheck excel install，重启 Excel。",
    "Blocked": "Excel 无法启动 Python：这台电脑的安全策略禁止 Office 启动其他程序（例如 Microsoft Defender 的"
               "“阻止所有 Office 应用程序创建子进程”攻击面减少规则，或其他终端安全软件）。\n"
               "请联系信息技术人员，为 Excel 启动 {1} 设置例外。\n"
               "在此之前可以不用这个按钮：请单位管理员运行 xlcheck serve，在浏览器中打开校验网页上传工作簿，"
               "或用命令行 xlcheck check。",
    "Failed": "xlcheck 运行失败：{1}\n如果这台电脑的安全软件禁止 Office 启动其他程序，请联系信息技术人员为 Excel "
              "设置例外，或改用单位的校验网页（xlcheck serve）。",
}

_VBA_RIBBON = r'''Attribute VB_Name = "{module}"
Option Explicit
' xlcheck's ribbon callbacks, written by "xlcheck excel addin". Each button runs its own Python
' entry point through xlwings' RunPython. Chinese text is spelt as UTF-16 code units (see U) so this
' module reads the same under every code page.

Private Const RULE_SETS As String = "{rule_sets}"
Private Const DEFAULT_RULES As String = "{default_rules}"
Private Const BOX_TITLE As String = "xlcheck"
Private pythonChecked As Boolean

Public Sub CheckWorkbook(control As IRibbonControl)
    RunXlcheck Replace("{check}", "{{rules}}", SelectedRules())
End Sub

Public Sub ClearMarks(control As IRibbonControl)
    RunXlcheck "{clear}"
End Sub

Public Sub RulesChanged(control As IRibbonControl, id As String, index As Integer)
    SaveSetting "xlcheck", "Ribbon", "Rules", Split(RULE_SETS, "|")(index)
End Sub

Public Sub RulesSelected(control As IRibbonControl, ByRef returnedVal)
    Dim names() As String, i As Integer, chosen As String
    names = Split(RULE_SETS, "|")
    chosen = SelectedRules()
    returnedVal = 0
    For i = 0 To UBound(names)
        If names(i) = chosen Then returnedVal = i
    Next i
End Sub

Private Function SelectedRules() As String
    ' The drop-down's choice, kept per user (registry on Windows, preferences on macOS).
    Dim chosen As String
    chosen = GetSetting("xlcheck", "Ribbon", "Rules", "")
    If chosen = "" Or InStr("|" & RULE_SETS & "|", "|" & chosen & "|") = 0 Then chosen = DEFAULT_RULES
    SelectedRules = chosen
End Function

Private Sub RunXlcheck(ByVal command As String)
    Dim problem As String
    On Error GoTo Failed
    problem = WorkbookProblem()
    If problem = "" Then problem = PythonProblem()
    If problem <> "" Then
        MsgBox problem, vbExclamation, BOX_TITLE
        Exit Sub
    End If
    RunPython command
    Exit Sub
Failed:
    MsgBox Replace(MsgFailed(), "{{1}}", Err.Description & " (" & Err.Number & ")"), vbCritical, BOX_TITLE
End Sub

Private Function WorkbookProblem() As String
    ' What stops xlcheck before Python starts: in Protected View there is no ActiveWorkbook (the
    ' template's macro failed there with run-time error 91), and protected sheets refuse marks.
    Dim app As Object, pv As Object, wb As Workbook, sht As Worksheet, locked As String
    Set app = Application
    On Error Resume Next
    Set pv = app.ActiveProtectedViewWindow
    On Error GoTo 0
    If Not pv Is Nothing Then
        WorkbookProblem = MsgProtectedView()
        Exit Function
    End If
    Set wb = ActiveWorkbook
    If wb Is Nothing Then
        WorkbookProblem = MsgNoWorkbook()
        Exit Function
    End If
    If wb.ProtectStructure Then
        WorkbookProblem = MsgStructure()
        Exit Function
    End If
    For Each sht In wb.Worksheets
        If sht.ProtectContents Then
            If locked <> "" Then locked = locked & ChrW(&H3001)
            locked = locked & ChrW(&H300C) & sht.Name & ChrW(&H300D)
        End If
    Next sht
    If locked <> "" Then WorkbookProblem = Replace(MsgSheetProtected(), "{{1}}", locked)
End Function

Private Function PythonProblem() As String
    ' Windows: the configured Python exists and can import xlcheck and xlwings (once per session).
    ' Starting it also shows whether a security policy lets Office start processes at all.
#If Mac Then
    PythonProblem = ""
#Else
    Dim interpreter As String, condaPath As String, condaEnv As String, probe As String, code As Long
    If pythonChecked Then Exit Function
    interpreter = GetConfig("INTERPRETER_WIN", "")
    If interpreter = "" Then interpreter = GetConfig("INTERPRETER", "python")
    condaPath = GetConfig("CONDA PATH")
    condaEnv = GetConfig("CONDA ENV")
    If condaPath <> "" And condaEnv <> "" Then
        If Not CreateObject("Scripting.FileSystemObject").FileExists(condaPath & "\condabin\conda.bat") Then
            PythonProblem = Replace(MsgNoConda(), "{{1}}", condaPath)
            Exit Function
        End If
        probe = "cmd.exe /S /C """"" & condaPath & "\condabin\conda.bat"" activate " & condaEnv & " && python {probe}"""
        interpreter = condaEnv
    ElseIf InStr(interpreter, "\") > 0 Then
        If Not CreateObject("Scripting.FileSystemObject").FileExists(interpreter) Then
            PythonProblem = Replace(MsgNoPython(), "{{1}}", interpreter)
            Exit Function
        End If
        probe = """" & interpreter & """ {probe}"
    Else
        probe = "cmd.exe /C " & interpreter & " {probe}"
    End If
    On Error GoTo Blocked
    code = CreateObject("WScript.Shell").Run(probe, 0, True)
    On Error GoTo 0
    If code = 9009 Then
        PythonProblem = Replace(MsgNoPython(), "{{1}}", interpreter)
    ElseIf code <> 0 Then
        PythonProblem = Replace(MsgNoXlcheck(), "{{1}}", interpreter)
    Else
        pythonChecked = True
    End If
    Exit Function
Blocked:
    PythonProblem = Replace(MsgBlocked(), "{{1}}", interpreter) & vbLf & "(" & Err.Description & ")"
#End If
End Function

Private Function U(ByVal codes As String) As String
    Dim parts() As String, i As Long, s As String
    parts = Split(codes, " ")
    For i = 0 To UBound(parts)
        If parts(i) <> "" Then s = s & ChrW(CLng("&H" & parts(i)))
    Next i
    U = s
End Function
'''

#: the probe: the interpreter can import what the buttons need (VBA-escaped quotes)
_PROBE = '-c ""import xlcheck.excel, xlwings""'


def ribbon_module(rule_sets: Sequence[str], default_rules: str) -> str:
    """The source of :data:`RIBBON_MODULE`: the callbacks, the checks before Python starts, the messages."""
    for name in (*rule_sets, default_rules):
        if not _RULE_NAME.fullmatch(name):
            raise AddinError(f"规则集名称无效：{name!r} (invalid rule set name)")
    code = _VBA_RIBBON.format(module=RIBBON_MODULE, rule_sets="|".join(rule_sets), default_rules=default_rules,
                              check=ENTRY_POINTS["check"],
                              clear=ENTRY_POINTS["clear"], probe=_PROBE)
    functions = "".join(f"\nPrivate Function Msg{key}() As String\n    Msg{key} = {vba_text(text)}\nEnd Function\n"
                        for key, text in MESSAGES.items())
    return code + functions


# --------------------------------------------------------------------------------------------
# Writing the add-in


_CHECK_TIP = ("按政府信息公开工作年度报告的规则校验当前工作簿：有问题的单元格标上颜色（条件格式）和批注，"
              "并在最前面添加「校验结果」工作表。与命令行 xlcheck check 写出的标注副本完全相同。")
_CLEAR_TIP = ("删除 xlcheck 添加的条件格式、批注和「校验结果」工作表（也能清除命令行标注副本中的标记）；"
              "您自己的颜色、条件格式和批注不受影响。")
_RULES_TIP = "校验时使用的规则集。选择会保存在本机，下次打开 Excel 仍然有效。"


def _short_title(title: str) -> str:
    return re.split(r"[（(]", title, maxsplit=1)[0].strip() or title


def ribbon_xml(rule_sets: Sequence[tuple[str, str]]) -> str:
    """The add-in's ribbon: the xlcheck tab with both buttons and the rule-set drop-down."""
    items = "".join(f'<item id="xlcheckRules{i}" label={quoteattr(f"{_short_title(title)}（{name}）")}/>'
                    for i, (name, title) in enumerate(rule_sets, 1))
    return (
        '<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">'
        '<ribbon><tabs><tab id="xlcheckTab" label="xlcheck">'
        '<group id="xlcheckGroup" label="年报校验">'
        f'<button id="xlcheckCheck" label="校验当前工作簿" size="large" imageMso="AcceptInvitation" '
        f'onAction="{CALLBACKS["check"]}" screentip="校验当前工作簿" supertip={quoteattr(_CHECK_TIP)}/>'
        f'<button id="xlcheckClear" label="清除标记" size="large" imageMso="ClearFormats" '
        f'onAction="{CALLBACKS["clear"]}" screentip="清除标记" supertip={quoteattr(_CLEAR_TIP)}/>'
        "</group>"
        '<group id="xlcheckSettings" label="规则集">'
        f'<dropDown id="xlcheckRules" label="规则集" sizeString="全国基线（national）WW" '
        f'onAction="{CALLBACKS["rules"]}" getSelectedItemIndex="{CALLBACKS["rules-selected"]}" '
        f"screentip=\"校验所用的规则集\" supertip={quoteattr(_RULES_TIP)}>{items}</dropDown>"
        "</group>"
        "</tab></tabs></ribbon></customUI>"
    )


def _vba_project(template_vba: bytes, rule_sets: Sequence[str], default_rules: str) -> bytes:
    """The template's project renamed :data:`PROJECT_NAME`, its ribbon module replaced by xlcheck's."""
    try:
        project = ovba.read_project(template_vba)
    except ValueError as exc:
        raise AddinError(f"无法读取加载项模板的 VBA 工程 (cannot read the template's VBA project: {exc})") from None
    names = [m.name for m in project.modules]
    if "xlwings" not in names or TEMPLATE_RIBBON_MODULE not in names:
        raise AddinError(f"此版本 xlwings ({xlwings_version()}) 的加载项模板与 xlcheck 预期的不同：没有 xlwings 或 "
                         f"{TEMPLATE_RIBBON_MODULE} 模块 (unexpected template VBA modules: {names})")
    xlwings_module = project.module("xlwings")
    source, count = re.subn(r'(Public\s+Const\s+PROJECT_NAME\s+As\s+String\s*=\s*)"[^"]*"',
                            rf'\g<1>"{PROJECT_NAME}"', xlwings_module.source)
    if count != 1 or "Function RunPython(" not in source:
        raise AddinError(f"此版本 xlwings ({xlwings_version()}) 的 VBA 模块与 xlcheck 预期的不同 "
                         "(the template's xlwings module has no PROJECT_NAME or RunPython)")
    modules = []
    for module in project.modules:
        if module.name == TEMPLATE_RIBBON_MODULE:
            modules.append(ovba.Module(RIBBON_MODULE, ribbon_module(rule_sets, default_rules)))
        elif module is xlwings_module:
            modules.append(ovba.Module(module.name, source, module.kind, module.docstring))
        else:
            modules.append(module)
    return ovba.write_project(ovba.with_modules(project, PROJECT_NAME, modules))


def _conf_sheet_xml(original: bytes, settings: list[tuple[str, str]]) -> bytes:
    """The template's config sheet with its rows replaced by ``settings`` (inline strings)."""
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>{escape(key)}</t></is></c>'
        f'<c r="B{i}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c></row>'
        for i, (key, value) in enumerate(settings, 1)
    )
    text = original.decode("utf-8")
    text, count = re.subn(r"<sheetData\s*/>|<sheetData>.*?</sheetData>", lambda _: f"<sheetData>{rows}</sheetData>",
                          text, count=1, flags=re.S)
    if not count:
        raise AddinError("加载项模板的配置表格式不同 (the template's config sheet has no sheetData)")
    text = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:B{max(len(settings), 1)}"/>', text)
    return text.encode("utf-8")


def _rename_conf_sheet(workbook: bytes, conf_sheet: str) -> tuple[bytes, str]:
    """Give the template's one sheet (``_myaddin.conf``) the name xlwings' VBA reads; return its r:id."""
    text = workbook.decode("utf-8")
    sheets = re.findall(r"<sheet\b[^>]*/>", text)
    if len(sheets) != 1 or not re.search(r'\bname="_?myaddin\.conf"', sheets[0]):
        raise AddinError("加载项模板中的配置表与 xlcheck 预期的不同 (the template has no _myaddin.conf sheet)")
    element = re.sub(r'\bname="[^"]*"', f'name="{conf_sheet}"', sheets[0])
    rid = re.search(r'\br:id="([^"]+)"', element)
    if rid is None:
        raise AddinError("加载项模板的 workbook.xml 格式不同 (unexpected workbook.xml)")
    return text.replace(sheets[0], element, 1).encode("utf-8"), rid.group(1)


def _sheet_part(rels: bytes, rid: str) -> str:
    match = re.search(r'<Relationship\b[^>]*\bId="' + re.escape(rid) + r'"[^>]*/>', rels.decode("utf-8"))
    target = re.search(r'\bTarget="([^"]+)"', match.group(0)) if match else None
    if target is None:
        raise AddinError("加载项模板的关系文件格式不同 (unexpected workbook.xml.rels)")
    path = target.group(1)
    return path.lstrip("/") if path.startswith("/") else f"xl/{path}"


def _core_xml(original: bytes, title: str) -> bytes:
    text = original.decode("utf-8")
    text = re.sub(r"<dc:title\s*/>|<dc:title>.*?</dc:title>", lambda _: f"<dc:title>{escape(title)}</dc:title>", text,
                  count=1, flags=re.S)
    text = re.sub(r"<dc:creator>.*?</dc:creator>", "<dc:creator>xlcheck</dc:creator>", text, count=1, flags=re.S)
    return text.encode("utf-8")


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


def build_addin(path: str | os.PathLike[str], rules: str = "national", *,
                rule_sets: Sequence[tuple[str, str]] | None = None,
                settings: Sequence[tuple[str, str]] | None = None) -> list[Path]:
    """Write the xlcheck add-in and xlwings' licence beside it; return the files written.

    ``path`` is a directory (the add-in is then ``xlcheck.xlam`` in it) or an ``.xlam`` file.
    ``rules`` is the drop-down's default; ``rule_sets`` are its choices as (name, title), by
    default every installed rule set; ``settings`` go to the add-in's ``xlcheck.conf`` sheet where
    xlwings' RunPython reads them (see :func:`python_settings`, the default).
    """
    target = Path(path)
    if target.is_dir() or not target.suffix:
        file = target / ADDIN_FILE
    elif target.suffix.lower() == ".xlam":
        file = target
    else:
        raise AddinError(f"加载项文件名要以 .xlam 结尾，或给出一个文件夹：{target} (the add-in must be an .xlam file)")
    if not rules or not _RULE_NAME.fullmatch(rules):
        raise AddinError(f"规则集名称无效：{rules!r} (invalid rule set name)")
    if rule_sets is None:
        from ..plugins import default_registry

        rule_sets = sorted(((name, rs.title) for name, rs in default_registry().rulesets.items()),
                           key=lambda item: (item[0] != "national", item[0]))
    if rules not in [name for name, _ in rule_sets]:
        rule_sets = [*rule_sets, (rules, rules)]
    settings = list(python_settings() if settings is None else settings)
    template = template_path()
    try:
        with zipfile.ZipFile(template) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            members = {i.filename: zf.read(i.filename) for i in infos}
    except (OSError, zipfile.BadZipFile) as exc:
        raise AddinError(f"无法读取加载项模板 {template} (cannot read the template: {exc})") from None
    if "xl/vbaProject.bin" not in members:
        raise AddinError("加载项模板中没有 VBA 工程 (the template has no VBA project)")
    parts = dict(members)
    parts["xl/vbaProject.bin"] = _vba_project(members["xl/vbaProject.bin"], [n for n, _ in rule_sets], rules)
    parts[_custom_ui_part(parts)] = ribbon_xml(rule_sets).encode("utf-8")
    parts["xl/workbook.xml"], rid = _rename_conf_sheet(parts["xl/workbook.xml"], CONF_SHEET)
    sheet = _sheet_part(parts["xl/_rels/workbook.xml.rels"], rid)
    parts[sheet] = _conf_sheet_xml(parts[sheet], [(RULES_KEY, rules), *settings])
    if "docProps/core.xml" in parts:
        parts["docProps/core.xml"] = _core_xml(parts["docProps/core.xml"], "xlcheck 年报校验")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in infos:
            out = zipfile.ZipInfo(info.filename, info.date_time)
            out.compress_type = zipfile.ZIP_DEFLATED
            out.external_attr = info.external_attr
            zf.writestr(out, parts[info.filename])
    licence = license_text()
    written = []
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(file, buffer.getvalue())
        written.append(file)
        _write_atomically(file.parent / LICENSE_NAME, licence.encode("utf-8"))
        written.append(file.parent / LICENSE_NAME)
    except OSError as exc:
        raise AddinError(f"无法写出加载项到 {file.parent}：{exc.strerror or exc} (cannot write)") from None
    return written


def _write_atomically(path: Path, data: bytes) -> None:
    import tempfile

    if path.exists() and not path.is_file():
        raise OSError(f"{path} 不是普通文件 (not a regular file)")
    fd, tmp = tempfile.mkstemp(prefix=".~xlcheck-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_setting(path: str | os.PathLike[str], key: str, conf_sheet: str = CONF_SHEET) -> str | None:
    """A setting from an add-in's settings sheet (column A key, column B value); None when absent.

    Keys compare case-insensitively, as xlwings' VBA compares them."""
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
