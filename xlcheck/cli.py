"""The ``xlcheck`` command.

Exit codes scripts rely on: 0 every file checked and no error found; 1 an error-severity finding in
some file; 2 the command line is wrong; 3 some file could not be checked (or its annotated copy
could not be written).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNREADABLE = 0, 1, 2, 3

_EPILOG = """\
退出码 (exit codes): 0 全部通过 (no errors) · 1 发现错误 (error findings) · 2 命令行有误 (usage) ·
3 有文件无法校验 (a file could not be checked)

示例 (examples):
  xlcheck check 年度报告.xlsx                  校验并在旁边写出 年度报告.checked.xlsx
  xlcheck check *.xlsx --no-annotate --format json
  xlcheck template 2021 -o 空白模板.xlsx
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"xlcheck: 命令行有误 (usage error): {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="xlcheck", formatter_class=argparse.RawDescriptionHelpFormatter,
                     description="校验政府信息公开工作年度报告的 Excel 表格，并把每个问题标注在单元格上。\n"
                                 "Check government information disclosure annual report workbooks.",
                     epilog=_EPILOG)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="校验工作簿 (check workbooks)", epilog=_EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           description="校验一个或多个工作簿；默认在原文件旁写出标注副本 NAME.checked.xlsx，"
                                       "原文件不改动。")
    check.add_argument("files", nargs="+", metavar="FILE", help=".xlsx / .xlsm 工作簿 (workbooks)")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="输出格式：text 表格（默认），json 供脚本使用 (output format)")
    target = check.add_mutually_exclusive_group()
    target.add_argument("--output", "-o", metavar="PATH",
                        help="标注副本的路径（只校验一个文件时可用）(annotated copy path, one file only)")
    target.add_argument("--no-annotate", action="store_true", help="不写标注副本 (write no annotated copy)")
    check.add_argument("--year", type=int, metavar="YEAR", help="报告年度，覆盖从工作簿识别的年度 (report year)")
    check.add_argument("--rules", default="national", metavar="NAME",
                       help="规则集，默认 national 全国基线 (rule set)")

    rules = sub.add_parser("rules", help="列出规则 (list rules)",
                           description="列出规则集中的每条规则：编号、级别、说明。")
    rules.add_argument("--rules", default="national", metavar="NAME", help="规则集 (rule set)")

    template = sub.add_parser("template", help="生成空白标准模板 (write a blank template)",
                              description="按官方格式生成空白标准工作簿。")
    template.add_argument("format", choices=("2019", "2021"), help="表格格式 (table format)")
    template.add_argument("--output", "-o", metavar="PATH", required=True, help="输出路径 (output path)")

    clean = sub.add_parser("clean", help="清除标注 (remove xlcheck's marks)",
                           description="写出去掉 xlcheck 标注（填充、批注、校验结果表）的副本。")
    clean.add_argument("file", metavar="FILE")
    clean.add_argument("--output", "-o", metavar="PATH", required=True, help="输出路径 (output path)")
    return parser


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        result: int = _COMMANDS[args.command](args, parser)
        return result
    except KeyboardInterrupt:
        print("已中断 (interrupted)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .annotate import annotate
    from .check import check
    from .output import render_json, render_text
    from .plugins import PluginError, default_registry

    if args.output and len(args.files) > 1:
        parser.error("--output 只能用于一个文件 (--output takes one file)")
    try:
        registry = default_registry()
        registry.compiled(args.rules)
    except PluginError as exc:
        print(f"xlcheck: {exc}", file=sys.stderr)
        return EXIT_USAGE
    reports, written, failed_writes = [], {}, False
    for path in args.files:
        report = check(path, rules=args.rules, year=args.year, registry=registry)
        reports.append(report)
        if report.error is None and not args.no_annotate:
            try:
                written[report.path] = str(annotate(report, args.output))
            except Exception as exc:  # a failed copy must not stop the other files
                failed_writes = True
                print(f"xlcheck: {path}：无法写出标注副本 (annotated copy not written): {exc}", file=sys.stderr)
    if args.format == "json":
        render_json(reports, sys.stdout)
    else:
        render_text(reports, sys.stdout, written)
    if failed_writes or any(r.error is not None for r in reports):
        return EXIT_UNREADABLE
    return EXIT_OK if all(r.ok for r in reports) else EXIT_FINDINGS


def _rules(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from rich.console import Console
    from rich.table import Table

    from .plugins import PluginError, default_registry
    from .rules import effective_rules

    registry = default_registry()
    try:
        rules = effective_rules(args.rules, registry.rulesets)
    except KeyError:
        print(f"xlcheck: {PluginError(args.rules)} 没有这个规则集 (unknown rule set)", file=sys.stderr)
        return EXIT_USAGE
    table = Table(title=f"规则集 {args.rules}：{registry.rulesets[args.rules].title}")
    for name in ("编号", "级别", "适用格式", "说明", "来源"):
        table.add_column(name, overflow="fold")
    for rule, _plugin, origin in rules:
        severity = rule.severity.label if rule.enabled else "关闭"
        table.add_row(rule.id, severity, "、".join(rule.formats) or "全部", rule.description,
                      origin if origin == args.rules or args.rules == "national" else f"{origin}")
    Console(highlight=False).print(table)
    return EXIT_OK


def _template(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .plugins import default_registry
    from .template import build_template

    layout = next(x for x in default_registry().layouts if x.format == args.format)
    try:
        build_template(layout, args.output)
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


_COMMANDS = {"check": _check, "rules": _rules, "template": _template, "clean": _clean}

if __name__ == "__main__":
    sys.exit(main())
