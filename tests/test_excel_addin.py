"""The Excel add-in, checked as a file: built from xlwings' template on Linux, read back with oletools."""

from __future__ import annotations

import argparse
import importlib
import random
import re
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

pytest.importorskip("xlwings")
olevba = pytest.importorskip("oletools.olevba")
olefile = pytest.importorskip("olefile")

from xlcheck.excel import addin, commands, ovba  # noqa: E402
from xlcheck.plugins import default_registry  # noqa: E402

CUI = "{http://schemas.microsoft.com/office/2006/01/customui}"
WIN_PYTHON = r"C:\Program Files\Python312\python.exe"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("addin")
    written = addin.build_addin(out, rules="national", settings=[(addin.INTERPRETER_WIN, WIN_PYTHON)])
    assert [p.name for p in written] == ["xlcheck.xlam", "xlwings-LICENSE.txt"]
    return written[0]


@pytest.fixture(scope="module")
def modules(built: Path) -> dict[str, str]:
    """Every VBA module's source as olevba extracts it from the built file."""
    parser = olevba.VBA_Parser(str(built))
    try:
        return {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def _ribbon(path: Path) -> ET.Element:
    with zipfile.ZipFile(path) as zf:
        rels = zf.read("_rels/.rels").decode()
        element = next(m.group(0) for m in re.finditer(r"<Relationship\b[^>]*>", rels)
                       if "ui/extensibility" in m.group(0))
        target = re.search(r'Target="/?([^"]+)"', element)
        assert target is not None
        return ET.fromstring(zf.read(target.group(1)))


def _sub(source: str, name: str) -> str:
    """The body of ``Sub name`` / ``Function name`` in a module."""
    match = re.search(rf"^(?:Public |Private )?(Sub|Function) {name}\b.*?^End \1", source, re.M | re.S)
    assert match, name
    return match.group(0)


def _decode_u(expression: str) -> str:
    """What the module's ``U("6821 9A8C") & U(...)`` evaluates to."""
    codes = " ".join(re.findall(r'U\("([0-9A-F ]*)"\)', expression)).split()
    return "".join(chr(int(code, 16)) for code in codes)


# --------------------------------------------------------------------------------------------
# One add-in, its own project, distinct callbacks


def test_one_macro_enabled_addin_package(built: Path) -> None:
    with zipfile.ZipFile(built) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        types = zf.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in types
        for part in re.findall(r'PartName="/([^"]+)"', types):
            assert part in names, part
        assert zf.read("xl/vbaProject.bin")[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    licence = (built.parent / "xlwings-LICENSE.txt").read_text(encoding="utf-8")
    assert "BSD" in licence and "Zoomer Analytics" in licence


def test_every_ribbon_callback_is_a_macro_of_that_name(built: Path, modules: dict[str, str]) -> None:
    ribbon = _ribbon(built)
    callbacks = {(el.get("id"), attr): value for el in ribbon.iter() for attr, value in el.attrib.items()
                 if attr in ("onAction", "getSelectedItemIndex")}
    assert callbacks == {
        ("xlcheckCheck", "onAction"): "XlcheckRibbon.CheckWorkbook",
        ("xlcheckClear", "onAction"): "XlcheckRibbon.ClearMarks",
        ("xlcheckRules", "onAction"): "XlcheckRibbon.RulesChanged",
        ("xlcheckRules", "getSelectedItemIndex"): "XlcheckRibbon.RulesSelected",
    }
    for value in callbacks.values():
        module, macro = value.split(".")
        assert re.search(rf"^Public Sub {macro}\(control As IRibbonControl\b", modules[module], re.M), value
    # the template's ambiguous RunMain, which told the buttons apart by the file name, is gone
    assert "RibbonMyAddin" not in modules and "RunMain" not in "".join(modules.values())
    assert "ThisWorkbook.Name" not in modules["XlcheckRibbon"]


def test_the_buttons_run_different_python_entry_points(modules: dict[str, str]) -> None:
    ribbon = modules["XlcheckRibbon"]
    check, clear = _sub(ribbon, "CheckWorkbook"), _sub(ribbon, "ClearMarks")
    check_cmd = re.search(r'"(import [^"]+)"', check)
    clear_cmd = re.search(r'"(import [^"]+)"', clear)
    assert check_cmd and clear_cmd
    assert check_cmd.group(1) == "import xlcheck.excel;xlcheck.excel.check('{rules}')"
    assert clear_cmd.group(1) == "import xlcheck.excel;xlcheck.excel.clear()"
    assert "SelectedRules()" in check and "RunXlcheck" in check and "RunXlcheck" in clear
    # both go through xlwings' RunPython, and the functions they name exist
    assert re.search(r"^\s+RunPython command\r?$", _sub(ribbon, "RunXlcheck"), re.M)
    assert "Public Function RunPython(PythonCommand As String)" in modules["xlwings"]
    excel = importlib.import_module("xlcheck.excel")
    assert callable(excel.check) and callable(excel.clear) and excel.check is not excel.clear


def test_the_vba_project_has_a_name_of_its_own(built: Path, modules: dict[str, str]) -> None:
    with zipfile.ZipFile(built) as zf:
        vba = zf.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(vba)
    try:
        project = ole.openstream("PROJECT").read().decode("cp1252")
        streams = {"/".join(e) for e in ole.listdir()}
    finally:
        ole.close()
    assert re.search(r'^Name="xlcheck"\r?$', project, re.M)
    assert "MyAddin" not in project and "Module=XlcheckRibbon" in project
    assert ovba.read_project(vba).name == addin.PROJECT_NAME == "xlcheck"
    template = zipfile.ZipFile(addin.template_path()).read("xl/vbaProject.bin")
    assert ovba.read_project(template).name != addin.PROJECT_NAME
    # source only: no compiled cache Excel would have to trust (MS-OVBA: Version 0xFFFF)
    assert {"VBA/_VBA_PROJECT", "VBA/dir", "VBA/XlcheckRibbon", "VBA/xlwings", "PROJECT", "PROJECTwm"} <= streams
    assert ovba.read_compound(vba)["VBA/_VBA_PROJECT"] == b"\xcc\x61\xff\xff\x00\x00\x00"
    # xlwings' settings sheet goes by the project name, and the add-in's sheet has it
    assert re.search(r'^Public Const PROJECT_NAME As String = "xlcheck"', modules["xlwings"], re.M)
    with zipfile.ZipFile(built) as zf:
        assert '<sheet name="xlcheck.conf"' in zf.read("xl/workbook.xml").decode()


def test_the_module_reads_the_same_under_every_code_page(modules: dict[str, str]) -> None:
    ribbon = modules["XlcheckRibbon"]
    assert ribbon.isascii()
    for key, text in addin.MESSAGES.items():
        body = _sub(ribbon, f"Msg{key}")
        assert _decode_u(body) == text, key
        calls = len(re.findall(rf"\bMsg{key}\(\)", ribbon))
        assert calls >= 2, f"Msg{key} is never shown"  # its definition, and at least one use


def test_what_is_checked_before_python_starts(modules: dict[str, str]) -> None:
    ribbon = modules["XlcheckRibbon"]
    problem = _sub(ribbon, "WorkbookProblem")
    # Protected View is asked first: there ActiveWorkbook is Nothing (the old run-time error 91)
    assert problem.index("ActiveProtectedViewWindow") < problem.index("Set wb = ActiveWorkbook")
    assert "MsgProtectedView()" in problem and "If wb Is Nothing Then" in problem
    assert "wb.ProtectStructure" in problem and "sht.ProtectContents" in problem
    python = _sub(ribbon, "PythonProblem")
    assert '"INTERPRETER_WIN"' in python and '"CONDA PATH"' in python and '"CONDA ENV"' in python
    assert "FileExists(interpreter)" in python and "MsgNoPython()" in python
    assert 'CreateObject("WScript.Shell").Run(probe, 0, True)' in python
    assert "On Error GoTo Blocked" in python and "MsgBlocked()" in python and "MsgNoXlcheck()" in python
    assert "import xlcheck.excel, xlwings" in python
    assert "#If Mac Then" in python  # the probe is Windows-only; macOS has no WScript
    run = _sub(ribbon, "RunXlcheck")
    assert run.index("WorkbookProblem()") < run.index("PythonProblem()") < run.index("RunPython command")
    assert "On Error GoTo Failed" in run and "MsgFailed()" in run


def test_rule_set_drop_down_offers_every_installed_rule_set(built: Path, modules: dict[str, str]) -> None:
    names = sorted(default_registry().rulesets, key=lambda n: (n != "national", n))
    items = [i.get("label") for i in _ribbon(built).iter(f"{CUI}item")]
    assert len(items) == len(names) and all(f"（{n}）" in label for n, label in zip(names, items, strict=True))
    ribbon = modules["XlcheckRibbon"]
    assert f'Private Const RULE_SETS As String = "{"|".join(names)}"' in ribbon
    assert 'Private Const DEFAULT_RULES As String = "national"' in ribbon
    # the choice is kept per user, not in the add-in file, so it holds wherever the file is
    assert 'SaveSetting "xlcheck", "Ribbon", "Rules"' in _sub(ribbon, "RulesChanged")
    assert 'GetSetting("xlcheck", "Ribbon", "Rules", "")' in _sub(ribbon, "SelectedRules")


def test_settings_sheet_holds_what_runpython_reads(tmp_path: Path) -> None:
    file, _ = addin.build_addin(tmp_path / "any-name.xlam", rules="guangdong",
                                settings=[(addin.CONDA_PATH, r"C:\Users\张三\miniconda3"), (addin.CONDA_ENV, "base")])
    assert file.name == "any-name.xlam"
    assert addin.read_setting(file, addin.RULES_KEY) == "guangdong"
    # xlwings' VBA upper-cases the keys it reads: "CONDA PATH", "CONDA ENV"
    assert addin.read_setting(file, "CONDA PATH") == r"C:\Users\张三\miniconda3"
    assert addin.read_setting(file, "conda env") == "base"
    assert addin.read_setting(file, "INTERPRETER_WIN") is None
    assert addin.read_setting(tmp_path / "missing.xlam", addin.RULES_KEY) is None


# --------------------------------------------------------------------------------------------
# Which Python the buttons start


def test_python_of_a_plain_windows_install(tmp_path: Path) -> None:
    settings = addin.python_settings(platform="win32", executable=WIN_PYTHON, prefix=str(tmp_path), environ={})
    assert settings == [("Interpreter_Win", WIN_PYTHON)]


def test_python_of_a_conda_install_is_written_as_conda_path_and_env(tmp_path: Path) -> None:
    base = tmp_path / "miniconda3"
    (base / "conda-meta").mkdir(parents=True)
    (base / "condabin").mkdir()
    env = base / "envs" / "report"
    (env / "conda-meta").mkdir(parents=True)
    win = {"platform": "win32", "executable": "python.exe", "environ": {}}
    assert addin.python_settings(prefix=str(base), **win) == [("Conda Path", str(base)), ("Conda Env", "base")]
    assert addin.python_settings(prefix=str(env), **win) == [("Conda Path", str(base)), ("Conda Env", "report")]
    elsewhere = tmp_path / "projects" / "env"
    (elsewhere / "conda-meta").mkdir(parents=True)
    conda_exe = str(base / "Scripts" / "conda.exe")
    assert addin.python_settings(platform="win32", executable="python.exe", prefix=str(elsewhere),
                                 environ={"CONDA_EXE": conda_exe}) == [("Conda Path", str(base)),
                                                                       ("Conda Env", str(elsewhere))]


def test_python_on_macos_and_explicit_choices(tmp_path: Path) -> None:
    mac = addin.python_settings(platform="darwin", executable="/opt/homebrew/bin/python3", prefix=str(tmp_path))
    assert mac == [("Interpreter_Mac", "/opt/homebrew/bin/python3")]
    explicit = addin.python_settings(r"D:\Python\python.exe", platform="linux")
    assert explicit == [("Interpreter_Win", r"D:\Python\python.exe")]
    assert addin.python_settings(conda_path=r"C:\conda", conda_env="x", platform="linux") == [
        ("Conda Path", r"C:\conda"), ("Conda Env", "x")]
    with pytest.raises(addin.AddinError, match="--conda-env"):
        addin.python_settings(conda_path=r"C:\conda", platform="linux")


def test_no_python_to_write_is_refused(tmp_path: Path) -> None:
    # a Linux build has no Excel beside it: a bare "python" would not be on PATH on the clerk's PC
    with pytest.raises(addin.AddinError, match="--python"):
        addin.python_settings(platform="linux", executable="/usr/bin/python3", prefix=str(tmp_path))
    with pytest.raises(addin.AddinError, match="--python"):
        addin.python_settings(platform="win32", executable="", prefix=str(tmp_path), environ={})
    # a macOS add-in must be built on that Mac (the AppleScript it calls is that Mac's xlwings version)
    with pytest.raises(addin.AddinError, match="Mac"):
        addin.python_settings("/usr/local/bin/python3", platform="linux")


# --------------------------------------------------------------------------------------------
# The compound file and the compression, against olefile and olevba


def test_compression_round_trips() -> None:
    rng = random.Random(7)
    text = (Path(addin.template_path()).parent / "xlwings.bas").read_bytes()
    for data in (b"", b"a", b"abc" * 5000, text, bytes(rng.getrandbits(8) for _ in range(9000))):
        packed = ovba.compress(data)
        assert ovba.decompress(packed) == data
    assert len(ovba.compress(text)) < len(text) // 2


def test_compound_file_is_what_olefile_reads() -> None:
    rng = random.Random(3)
    streams = {"PROJECT": b"Name=x", "VBA/dir": bytes(rng.getrandbits(8) for _ in range(5000)),
               "VBA/a": b"", "VBA/Module1": b"x" * 63, "VBA/Sub/deep": b"y" * 4096}
    data = ovba.write_compound(streams)
    ole = olefile.OleFileIO(data)
    try:
        assert {"/".join(e): ole.openstream(e).read() for e in ole.listdir()} == streams
    finally:
        ole.close()
    assert ovba.read_compound(data) == streams


# --------------------------------------------------------------------------------------------
# The command line


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="xlcheck")
    commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return commands.run(args, parser)


def test_cli_addin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["excel", "addin", "-o", str(tmp_path / "xlcheck.xlam"), "--python", WIN_PYTHON]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xlcheck.xlam", "xlwings-LICENSE.txt"]
    out = capsys.readouterr().out
    assert "已生成" in out and WIN_PYTHON in out
    assert addin.read_setting(tmp_path / "xlcheck.xlam", "INTERPRETER_WIN") == WIN_PYTHON


@pytest.mark.skipif(sys.platform.startswith("win") or sys.platform == "darwin", reason="Linux only")
def test_cli_addin_without_a_python_for_excel_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["excel", "addin", "-o", str(tmp_path)]) == 2
    assert "--python" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["excel", "addin", "-o", str(tmp_path / "other.txt"), "--python", WIN_PYTHON]) == 2
    assert ".xlam" in capsys.readouterr().err
    assert _run(["excel", "addin", "-o", str(tmp_path), "--rules", "no-such-rules", "--python", WIN_PYTHON]) == 2
    assert "no-such-rules" in capsys.readouterr().err
    assert _run(["excel"]) == 2


@pytest.mark.skipif(sys.platform.startswith("win") or sys.platform == "darwin", reason="Linux only")
def test_cli_install_on_linux_says_there_is_no_excel(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["excel", "install"]) == 3
    err = capsys.readouterr().err
    assert "没有 Microsoft Excel" in err and "no Excel" in err


def test_install_removes_only_our_old_second_addin(tmp_path: Path, built: Path) -> None:
    old = tmp_path / "xlcheck.excel.xlam"
    old.write_bytes(built.read_bytes())  # written by xlcheck (its creator is xlcheck)
    assert commands.remove_legacy_addins(tmp_path) == [old] and not old.exists()
    foreign = tmp_path / "xlcheck.excel.xlam"
    foreign.write_bytes(b"someone else's file")
    assert commands.remove_legacy_addins(tmp_path) == [] and foreign.exists()
