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
  xlcheck excel addin -o xlcheck.xlam            生成加载项（另有 xlcheck.excel.xlam 与许可证文件）
  xlcheck excel install                          安装到 Excel 的启动文件夹 XLSTART（Windows / macOS）
  xlcheck excel install --rules national         指定按钮使用的规则集
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Add the ``excel`` command group to the main parser's subparsers; return its parser."""
    excel: argparse.ArgumentParser = subparsers.add_parser(
        "excel", help="Excel 加载项 (the Excel add-in)", epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="在 Excel 里一键校验：生成或安装 xlcheck 加载项"
                    "（功能区 xlcheck 选项卡：校验当前工作簿、清除标记）。\n"
                    "Build or install the xlcheck Excel add-in.")
    sub = excel.add_subparsers(dest="excel_command", metavar="SUBCOMMAND")
    addin = sub.add_parser("addin", help="生成加载项文件 (build the add-in files)",
                           description="从已安装的 xlwings 的加载项模板生成 xlcheck.xlam（校验当前工作簿）、"
                                       "xlcheck.excel.xlam（清除标记）和 xlwings-LICENSE.txt。")
    addin.add_argument("--output", "-o", metavar="PATH", default="xlcheck.xlam",
                       help="加载项路径，文件名必须是 xlcheck.xlam，也可以给一个文件夹 (add-in path or directory)")
    addin.add_argument("--rules", default="national", metavar="NAME", help="按钮使用的规则集 (rule set)")
    addin.add_argument("--python", metavar="PATH",
                       help="按钮调用的 Python 解释器，默认用系统 PATH 中的 python (interpreter to pin)")
    install = sub.add_parser("install", help="安装到 Excel (install into Excel's XLSTART)",
                             description="生成加载项并复制到 Excel 的启动文件夹 XLSTART，之后每次启动 Excel 都会加载。"
                                         "需要 Windows 或 macOS 上的 Microsoft Excel。")
    install.add_argument("--rules", default="national", metavar="NAME", help="按钮使用的规则集 (rule set)")
    return excel


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
    from .addin import AddinError, build_addin

    problem = _check_rules(args.rules)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    try:
        written = build_addin(args.output, args.rules, python=args.python)
    except AddinError as exc:
        print(f"xlcheck: {exc}", file=sys.stderr)
        # A wrong file name is the user's to fix; anything else is a failure.
        return EXIT_USAGE if "必须命名" in str(exc) or "规则集名称" in str(exc) else EXIT_FAILURE
    print("已生成 Excel 加载项 (add-in written)：")
    for path in written:
        print(f"  {path}")
    print("两个 .xlam 需放在同一个 Excel 启动文件夹中，文件名不能改；安装方法见 docs/excel.zh.md。")
    return EXIT_OK


def _install(args: argparse.Namespace) -> int:
    if not (sys.platform.startswith("win") or sys.platform == "darwin"):
        print("xlcheck: 本机没有 Microsoft Excel：加载项只能安装在装有 Excel 的 Windows 或 macOS 电脑上。"
              "可以用 xlcheck excel addin -o xlcheck.xlam 生成文件后拷贝过去。\n"
              f"(there is no Excel on this system ({sys.platform}); the add-in installs on Windows or macOS only)",
              file=sys.stderr)
        return EXIT_FAILURE
    from .addin import ADDINS, LICENSE_NAME, AddinError, build_addin
    from .live import close_addins, install_applescript, startup_dir

    problem = _check_rules(args.rules)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    try:
        startup = startup_dir()
    except Exception as exc:
        print(f"xlcheck: 找不到 Excel 的启动文件夹，请确认已安装 Microsoft Excel (cannot reach Excel: {exc})",
              file=sys.stderr)
        return EXIT_FAILURE
    with tempfile.TemporaryDirectory(prefix="xlcheck-addin-") as tmp:
        try:
            build_addin(tmp, args.rules, python=sys.executable)
        except AddinError as exc:
            print(f"xlcheck: {exc}", file=sys.stderr)
            return EXIT_FAILURE
        close_addins([a.file_name for a in ADDINS])
        try:
            startup.mkdir(parents=True, exist_ok=True)
            for addin in ADDINS:
                shutil.copyfile(Path(tmp) / addin.file_name, startup / addin.file_name)
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
    print(f"已安装 xlcheck 加载项到 {startup}（规则集：{args.rules}，Python：{sys.executable}）。")
    print(f"xlwings 许可证：{Path.home() / '.xlcheck' / LICENSE_NAME}")
    print("请重新启动 Excel（macOS 上用 Cmd-Q 完全退出后再打开），功能区会出现 xlcheck 选项卡。")
    return EXIT_OK
