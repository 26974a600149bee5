"""``xlcheck excel``: build the Excel add-ins, or install them into Excel's startup folder.

Wired into the main parser by ``xlcheck.cli`` through :func:`register`; :func:`run` is the handler.
Nothing here imports xlwings; the few calls into Excel go through :mod:`xlcheck.excel.live`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

EXIT_OK, EXIT_USAGE, EXIT_FAILURE = 0, 2, 3

_EPILOG = """\
示例 (examples):
  xlcheck excel install                          安装到 Excel 的启动文件夹 XLSTART（Windows / macOS，推荐）
  xlcheck excel install --rules guangdong        指定规则集下拉框的默认选项
  xlcheck excel addin -o xlcheck.xlam --python "C:\\Program Files\\Python312\\python.exe"
                                                 为另一台 Windows 电脑生成加载项
  xlcheck excel addin --conda-path "C:\\Users\\张三\\anaconda3" --conda-env base
                                                 该电脑用 Anaconda/Miniconda 时
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Add the ``excel`` command group to the main parser's subparsers; return its parser."""
    excel: argparse.ArgumentParser = subparsers.add_parser(
        "excel", help="Excel 加载项 (the Excel add-in)", epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="在 Excel 里一键校验：生成或安装 xlcheck 加载项"
                    "（功能区 xlcheck 选项卡：校验当前工作簿、清除标记、规则集）。\n"
                    "Build or install the xlcheck Excel add-in.")
    sub = excel.add_subparsers(dest="excel_command", metavar="SUBCOMMAND")
    addin = sub.add_parser("addin", help="生成加载项文件 (build the add-in file)",
                           description="从已安装的 xlwings 的加载项模板生成 xlcheck.xlam 和 xlwings-LICENSE.txt。"
                                       "不给 --python 时，写入正在运行的这个 Python（Windows 上的 Anaconda 环境写成 "
                                       "Conda Path/Conda Env）；在没有 Excel 的电脑上必须给出 --python 或 --conda-*。")
    addin.add_argument("--output", "-o", metavar="PATH", default="xlcheck.xlam",
                       help="加载项文件（.xlam）或文件夹 (add-in file or directory)")
    _common(addin)
    addin.add_argument("--python", metavar="PATH",
                       help="Excel 所在电脑上按钮调用的 python.exe 的完整路径 (interpreter on the Excel machine)")
    addin.add_argument("--conda-path", metavar="DIR",
                       help="Anaconda/Miniconda 的安装文件夹，与 --conda-env 一起用 (conda base folder)")
    addin.add_argument("--conda-env", metavar="NAME", help="conda 环境名（或环境的完整路径） (conda environment)")
    install = sub.add_parser("install", help="安装到 Excel (install into Excel's XLSTART)",
                             description="用正在运行的这个 Python 生成加载项，复制到 Excel 的启动文件夹 XLSTART，"
                                         "之后每次启动 Excel 都会加载。需要 Windows 或 macOS 上的 Microsoft Excel。")
    _common(install)
    return excel


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", default="national", metavar="NAME",
                        help="规则集下拉框的默认选项 (default rule set of the ribbon's drop-down)")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Handler of ``xlcheck excel ...``; returns the exit code."""
    command = getattr(args, "excel_command", None)
    if command == "addin":
        return _addin(args)
    if command == "install":
        return _install(args)
    print("xlcheck excel: 请指定子命令 addin 或 install (choose a subcommand: addin, install)", file=sys.stderr)
    return EXIT_USAGE


def _check_rules(name: str) -> str | None:
    """An error message when the rule set is unknown, else None."""
    from ..plugins import PluginError, default_registry

    try:
        default_registry().compiled(name)
    except (PluginError, KeyError) as exc:
        return f"xlcheck: {exc}"
    return None


def _addin(args: argparse.Namespace) -> int:
    from .addin import AddinError, build_addin, python_settings

    problem = _check_rules(args.rules)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    try:
        settings = python_settings(args.python, conda_path=args.conda_path, conda_env=args.conda_env)
    except AddinError as exc:
        print(f"xlcheck: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        written = build_addin(args.output, args.rules, settings=settings)
    except AddinError as exc:
        print(f"xlcheck: {exc}", file=sys.stderr)
        return EXIT_USAGE if "文件名" in str(exc) or "规则集名称" in str(exc) else EXIT_FAILURE
    print("已生成 Excel 加载项 (add-in written)：")
    for path in written:
        print(f"  {path}")
    print("按钮调用的 Python：" + "，".join(f"{key} = {value}" for key, value in settings))
    print("把 .xlam 复制到 Windows 电脑的 Excel 启动文件夹（%APPDATA%\\Microsoft\\Excel\\XLSTART）；"
          "macOS 请在那台 Mac 上运行 xlcheck excel install。详见 docs/excel.zh.md。")
    return EXIT_OK


def _install(args: argparse.Namespace) -> int:
    if not (sys.platform.startswith("win") or sys.platform == "darwin"):
        print("xlcheck: 本机没有 Microsoft Excel：加载项只能安装在装有 Excel 的 Windows 或 macOS 电脑上。"
              "可以用 xlcheck excel addin --python 路径 生成文件后拷贝到 Windows 电脑。\n"
              f"(there is no Excel on this system ({sys.platform}); the add-in installs on Windows or macOS only)",
              file=sys.stderr)
        return EXIT_FAILURE
    from .addin import ADDIN_FILE, LEGACY_FILES, LICENSE_NAME, AddinError, build_addin, python_settings
    from .live import close_addins, install_applescript, startup_dir

    problem = _check_rules(args.rules)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    try:
        settings = python_settings()
    except AddinError as exc:
        print(f"xlcheck: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        startup = startup_dir()
    except Exception as exc:
        print(f"xlcheck: 找不到 Excel 的启动文件夹，请确认已安装 Microsoft Excel (cannot reach Excel: {exc})",
              file=sys.stderr)
        return EXIT_FAILURE
    with tempfile.TemporaryDirectory(prefix="xlcheck-addin-") as tmp:
        try:
            build_addin(tmp, args.rules, settings=settings)
        except AddinError as exc:
            print(f"xlcheck: {exc}", file=sys.stderr)
            return EXIT_FAILURE
        close_addins([ADDIN_FILE, *LEGACY_FILES])
        try:
            startup.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(tmp) / ADDIN_FILE, startup / ADDIN_FILE)
            removed = remove_legacy_addins(startup)
            # Excel opens every file in XLSTART, so the licence goes to xlcheck's own folder.
            licence_dir = Path.home() / ".xlcheck"
            licence_dir.mkdir(exist_ok=True)
            shutil.copyfile(Path(tmp) / LICENSE_NAME, licence_dir / LICENSE_NAME)
            if sys.platform == "darwin":
                install_applescript()
        except OSError as exc:
            print(f"xlcheck: 安装失败，请先完全退出 Excel 再试 (install failed; quit Excel and retry): {exc}",
                  file=sys.stderr)
            return EXIT_FAILURE
    print(f"已安装 xlcheck 加载项到 {startup / ADDIN_FILE}（规则集：{args.rules}）。")
    print("按钮调用的 Python：" + "，".join(f"{key} = {value}" for key, value in settings))
    for path in removed:
        print(f"已删除旧版加载项 {path}")
    print(f"xlwings 许可证：{Path.home() / '.xlcheck' / LICENSE_NAME}")
    print("请重新启动 Excel（macOS 上用 Cmd-Q 完全退出后再打开），功能区会出现 xlcheck 选项卡。")
    return EXIT_OK


def remove_legacy_addins(folder: Path) -> list[Path]:
    """Delete the first version's second add-in from ``folder``, if xlcheck wrote it; return what went."""
    import zipfile

    from .addin import LEGACY_FILES

    removed = []
    for name in LEGACY_FILES:
        path = folder / name
        if not path.is_file():
            continue
        try:
            with zipfile.ZipFile(path) as zf:
                ours = b"<dc:creator>xlcheck</dc:creator>" in zf.read("docProps/core.xml")
        except (OSError, KeyError, zipfile.BadZipFile):
            ours = False
        if ours:
            path.unlink()
            removed.append(path)
    return removed
