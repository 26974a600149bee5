"""The ``xlcheck`` command.

Exit codes scripts rely on: 0 every file checked and no error found; 1 an error-severity finding in
some file; 2 the command line (or the plugin set-up) is wrong; 3 some file could not be checked, or
its annotated copy could not be written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .findings import Report
    from .plugins import Registry

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNREADABLE = 0, 1, 2, 3

_EPILOG = """\
退出码 (exit codes): 0 全部通过 (no errors) · 1 发现错误 (error findings) · 2 命令行有误 (usage) ·
3 有文件无法校验 (a file could not be checked)

示例 (examples):
  xlcheck check 年度报告.xlsx                  校验，并在旁边写出 年度报告.checked.xlsx
  xlcheck check *.xlsx --no-annotate --format json
  xlcheck check 年度报告.xlsx --rules guangdong  按广东规则集校验
  xlcheck template 2021 -o 空白模板.xlsx
  xlcheck rules --rules guangdong
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"xlcheck: 命令行有误 (usage error): {message}\n")


class UsageError(Exception):
    """A command line that parses but cannot be carried out (unknown rule set or output format)."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="xlcheck", formatter_class=argparse.RawDescriptionHelpFormatter,
                     description="校验政府信息公开工作年度报告的 Excel 表格，并把每个问题标注在单元格上。\n"
                                 "Check government information disclosure annual report workbooks.",
                     epilog=_EPILOG)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    plugin_opts = _Parser(add_help=False)
    plugin_opts.add_argument("-p", "--plugin", action="append", default=[], metavar="NAME",
                             help="加载插件模块 NAME，或用 no:NAME 停用插件 NAME；可重复 "
                                  "(load plugin module NAME, or block plugin NAME with no:NAME)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="校验工作簿 (check workbooks)", epilog=_EPILOG, parents=[plugin_opts],
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           description="校验一个或多个工作簿；默认在原文件旁写出标注副本 NAME.checked.xlsx，"
                                       "原文件不改动。")
    check.add_argument("files", nargs="+", metavar="FILE", help=".xlsx / .xlsm 工作簿 (workbooks)")
    check.add_argument("--format", default="text", metavar="FORMAT",
                       help="输出格式：text 表格（默认），json 供脚本使用，或插件提供的格式 (output format)")
    target = check.add_mutually_exclusive_group()
    target.add_argument("--output", "-o", metavar="PATH",
                        help="标注副本的路径（只校验一个文件时可用）(annotated copy path, one file only)")
    target.add_argument("--no-annotate", action="store_true", help="不写标注副本 (write no annotated copy)")
    target.add_argument("--in-place", action="store_true",
                        help="直接标注原文件，先在旁边保存备份 NAME.backup.xlsx (mark the file itself, after a backup)")
    check.add_argument("--year", type=int, metavar="YEAR", help="报告年度，覆盖从工作簿识别的年度 (report year)")
    _rules_option(check)

    rules = sub.add_parser("rules", help="列出规则 (list rules)", parents=[plugin_opts],
                           description="列出规则集实际执行的每条规则：编号、级别、说明，以及规则集新增或修改了哪些。")
    _rules_option(rules)

    sub.add_parser("plugins", help="列出插件 (list plugins)", parents=[plugin_opts],
                   description="列出已加载的插件：版本、来源、提供的格式和规则集；加载失败的插件及原因。")

    template = sub.add_parser("template", help="生成空白标准模板 (write a blank template)", parents=[plugin_opts],
                              description="按官方格式生成空白标准工作簿；规则集要求封面信息时一并生成。")
    template.add_argument("format", choices=("2019", "2021"), help="表格格式 (table format)")
    template.add_argument("--output", "-o", metavar="PATH", required=True, help="输出路径 (output path)")
    _rules_option(template)

    clean = sub.add_parser("clean", help="清除标注 (remove xlcheck's marks)",
                           description="写出去掉 xlcheck 标注（填充、批注、校验结果表）的副本。")
    clean.add_argument("file", metavar="FILE")
    clean.add_argument("--output", "-o", metavar="PATH", required=True, help="输出路径 (output path)")
    return parser


def _rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", default="national", metavar="NAME",
                        help="规则集，默认 national 全国基线；其他规则集在全国基线之上执行 (rule set)")


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    from .plugins import PluginError

    try:
        result: int = _COMMANDS[args.command](args, parser)
        return result
    except (PluginError, UsageError) as exc:
        print(f"xlcheck: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("已中断 (interrupted)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _registry(args: argparse.Namespace) -> Registry:
    from .plugins import load, set_default_registry

    options: list[str] = getattr(args, "plugin", [])
    blocked = [p.removeprefix("no:") for p in options if p.startswith("no:")]
    modules = [p for p in options if not p.startswith("no:")]
    registry = load(blocked=blocked, modules=modules)
    set_default_registry(registry)
    return registry


def _check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .check import check

    if args.output and len(args.files) > 1:
        parser.error("--output 只能用于一个文件 (--output takes one file)")
    registry = _registry(args)
    if args.format not in registry.output_formats:
        raise UsageError(f"没有输出格式 {args.format}；可用：{'、'.join(registry.output_formats)} (unknown format)")
    registry.compiled(args.rules)
    reports: list[Report] = []
    failed_writes = False
    for path in _progress(args.files):
        report = check(path, rules=args.rules, year=args.year, registry=registry)
        reports.append(report)
        if report.error is None and not args.no_annotate:
            failed_writes |= not _annotate(report, args.output, args.in_place)
    registry.output_formats[args.format].render(reports, sys.stdout)
    if failed_writes or any(r.error is not None for r in reports):
        return EXIT_UNREADABLE
    return EXIT_OK if all(r.ok for r in reports) else EXIT_FINDINGS


def _annotate(report: Report, output: str | None, in_place: bool) -> bool:
    from .annotate import annotate, annotate_in_place

    try:
        if in_place:
            marked, backup = annotate_in_place(report)
            report.annotated = f"{marked}（原文件已备份为 {backup.name}）"
        else:
            report.annotated = str(annotate(report, output))
    except Exception as exc:  # a failed copy must not stop the other files
        print(f"xlcheck: {report.path}：无法写出标注副本 (annotated copy not written): {exc}", file=sys.stderr)
        return False
    return True


def _progress(files: Sequence[str]) -> Iterable[str]:
    """The files, with a progress bar on a terminal when there are several."""
    if len(files) < 2 or not sys.stderr.isatty():
        return files
    from rich.console import Console
    from rich.progress import track

    return track(files, description="校验中 (checking)", console=Console(stderr=True), transient=True)


def _rules(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from rich.console import Console
    from rich.table import Table

    registry = _registry(args)
    rules, fields = registry.effective(args.rules)
    ruleset = registry.rulesets[args.rules]
    table = Table(title=f"规则集 {ruleset.name}：{ruleset.title}")
    for name in ("编号", "级别", "适用格式", "说明", "来源"):
        table.add_column(name, overflow="fold")
    for item in rules:
        rule = item.rule
        severity = rule.severity.label if rule.enabled else "关闭"
        origin = item.added_by
        if args.rules != "national" and item.added_by != "national":
            origin = f"新增：{item.added_by}"
        if item.changed_by:
            origin += f"（修改：{item.changed_by}）"
        table.add_row(rule.id, severity, "、".join(rule.formats) or "全部", rule.description, origin)
    console = Console(highlight=False)
    console.print(table)
    if fields:
        console.print("封面信息 (cover fields): " + "、".join(f.label for f in fields))
    return EXIT_OK


def _plugins(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from rich.console import Console
    from rich.table import Table

    registry = _registry(args)
    table = Table(title="已加载的插件 (plugins)")
    for name in ("插件", "版本", "来源", "提供", "状态"):
        table.add_column(name, overflow="fold")
    for info in registry.plugins:
        status = f"[red]{info.error}[/]" if info.error else "[green]正常[/]"
        table.add_row(info.name, info.version, info.source, "\n".join(info.contributes), status)
    Console(highlight=False).print(table)
    return EXIT_OK


def _template(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .template import build_template

    registry = _registry(args)
    layout = next(x for x in registry.layouts if x.format == args.format)
    fields = registry.fields(args.rules)
    try:
        build_template(layout, args.output, fields)
    except OSError as exc:
        print(f"xlcheck: 无法写出 {args.output}：{exc.strerror} (cannot write)", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"已写出 {layout.name} 空白模板：{args.output}")
    return EXIT_OK


def _clean(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .annotate import clean

    try:
        clean(args.file, args.output)
    except Exception as exc:  # any failure is reported in one line
        print(f"xlcheck: {args.file}：{exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"已写出去掉标注的副本：{args.output}")
    return EXIT_OK


_COMMANDS = {"check": _check, "rules": _rules, "plugins": _plugins, "template": _template, "clean": _clean}

if __name__ == "__main__":
    sys.exit(main())
