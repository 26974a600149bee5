"""The ``xlcheck`` command.

Exit codes scripts rely on: 0 every file checked and no error found; 1 an error-severity finding in
some file; 2 the command line (or the plugin set-up) is wrong; 3 some file could not be checked, or
its annotated copy could not be written.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import batch, review
    from .plugins import Registry

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNREADABLE = 0, 1, 2, 3
#: Ctrl-C: what was checked is reported (and the summary written), as far as it went
EXIT_INTERRUPTED = 130

_EPILOG = """\
退出码 (exit codes): 0 全部通过 (no errors) · 1 发现错误 (error findings) · 2 命令行有误 (usage) ·
3 有文件无法校验 (a file could not be checked)

示例 (examples):
  xlcheck check 年度报告.xlsx                  校验，并在旁边写出 年度报告.checked.xlsx
  xlcheck check *.xlsx --no-annotate --format json
  xlcheck check 年度报告.xlsx --rules guangdong  按广东规则集校验
  xlcheck template 2021 -o 空白模板.xlsx
  xlcheck check 年度报告.html                  校验已发布的网页（也可以是 .docx、.pdf、.txt）
  xlcheck import 年度报告.html -o 年度报告.xlsx  把已发布的报告填入标准工作簿
  xlcheck rules --rules guangdong
"""


_CHECK_EPILOG = """
批量校验 (batch):
  xlcheck check 收件箱/ --out-dir 已标注/ --summary 汇总.xlsx
      递归校验文件夹中的每个工作簿（跳过隐藏文件和 ~$ 临时文件），只为有问题的文件在 已标注/ 中
      按原目录结构写出标注副本，并写出汇总表（每个文件一行，链接到标注副本）。
  给出文件夹、通配符或 @列表 而没有 --out-dir 时，不写标注副本：几千个 NAME.checked.xlsx 不应混进
  收集来的报表里（再次运行时也会被当作输入）。要标注请加 --out-dir，或 --in-place 直接标注原文件。
  Folders, globs and @lists write annotated copies only with --out-dir (or --in-place): copies are
  not scattered among the collected files. Ctrl-C stops cleanly: what was checked is reported and
  the summary written, exit code 130.
  xlcheck check @名单.txt -j 4 --summary 汇总.csv
  xlcheck check /共享/2024年报/ --executor dask --scheduler tcp://10.0.0.5:8786 --summary 汇总.xlsx
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"xlcheck: 命令行有误 (usage error): {message}\n")


class UsageError(Exception):
    """A command line that parses but cannot be carried out (unknown rule set or output format)."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; ``command`` (the command word already known to be given) leaves out the
    doors' commands when it is another one, so that their modules are not imported for a check."""
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

    check = sub.add_parser("check", help="校验工作簿 (check workbooks)", epilog=_EPILOG + _CHECK_EPILOG,
                           parents=[plugin_opts], formatter_class=argparse.RawDescriptionHelpFormatter,
                           description="校验一个或多个工作簿，或整个文件夹；默认在原文件旁写出标注副本 "
                                       "NAME.checked.xlsx，原文件不改动。\n"
                                       "Check workbooks, folders of workbooks, globs or @LIST files.")
    check.add_argument("files", nargs="+", metavar="INPUT",
                       help="工作簿 (.xlsx/.xlsm/.xls/.ods)、文件夹（递归）、通配符如 '报表/**/*.xlsx'，"
                            "或 @LIST（每行一个路径的文本文件）(workbooks, folders, globs, @list files)")
    check.add_argument("--format", default="text", metavar="FORMAT",
                       help="输出格式：text 表格（默认），json 供脚本使用，或插件提供的格式 (output format)")
    target = check.add_mutually_exclusive_group()
    target.add_argument("--output", "-o", metavar="PATH",
                        help="标注副本的路径（只校验一个文件时可用）(annotated copy path, one file only)")
    target.add_argument("--out-dir", metavar="DIR",
                        help="只为有问题的文件写标注副本，放入 DIR，保持输入的目录结构 "
                             "(annotated copies of files with findings only, into DIR, mirroring the input tree)")
    target.add_argument("--no-annotate", action="store_true", help="不写标注副本 (write no annotated copy)")
    target.add_argument("--in-place", action="store_true",
                        help="直接标注原文件，先在旁边保存备份 NAME.backup.xlsx (mark the file itself, after a backup)")
    check.add_argument("--year", type=int, metavar="YEAR", help="报告年度，覆盖从工作簿识别的年度 (report year)")
    check.add_argument("--summary", metavar="PATH",
                       help="写出给审核人的汇总：.xlsx（文件汇总、问题明细、规则统计图）、.csv 或 .json "
                            "(reviewer summary: .xlsx, .csv or .json)")
    check.add_argument("--jobs", "-j", type=_positive, metavar="N",
                       help="并行进程数，默认为全部 CPU 核心 (parallel processes; default: all cores)")
    check.add_argument("--executor", choices=("local", "dask"), default="local",
                       help="local 本机（默认）；dask 在 Dask 集群上校验，需 --scheduler (run on a Dask cluster)")
    check.add_argument("--scheduler", metavar="ADDRESS",
                       help="Dask 调度器地址，如 tcp://10.0.0.5:8786；文件须位于各节点都能访问的共享路径 "
                            "(Dask scheduler address; inputs and --out-dir on a path every worker can read)")
    _rules_option(check)
    _review_options(check)

    rules = sub.add_parser("rules", help="列出规则 (list rules)", parents=[plugin_opts],
                           description="列出规则集实际执行的每条规则：编号、级别、说明，以及规则集新增或修改了哪些。")
    _rules_option(rules)

    plugins = sub.add_parser("plugins", help="列出插件 (list plugins)", parents=[plugin_opts],
                             description="列出已加载的插件：版本、来源、提供的格式和规则集；加载失败的插件及原因。")
    plugins.add_argument("--check", action="store_true",
                         help="逐条列出每个插件的问题：加载时发现的错误（有错误的插件会被跳过）和警告，以及与下层"
                              "规则矛盾、一起把数值定死或可由下层规则推出的规则；有错误时退出码为 1，供插件作者的 "
                              "CI 使用 (print every problem of every plugin; exit 1 on any error)")
    plugins.add_argument("--strict", action="store_true",
                         help="与 --check 一起用：有警告时退出码也为 1 (with --check: warnings fail too)")

    fields = sub.add_parser("fields", help="列出字段 (list field keys)", parents=[plugin_opts],
                            description="列出规则可以读取的每个字段：字段键、报告中的名称、类型（count 不小于 0 "
                                        "的整数、signed 可为负的整数、amount 金额、text 文字），封面字段由哪个插件"
                                        "声明。\n"
                                        "Every field key a rule can read, with its label, kind and declaring plugin.")
    fields.add_argument("--format", choices=("2019", "2021"), help="只列出一种表格格式的字段 (one table format only)")
    fields.add_argument("--rules", metavar="NAME",
                        help="只列出这个规则集读取的封面字段；默认列出所有规则集声明的封面字段 "
                             "(cover fields of this rule set only; default: of every set)")

    template = sub.add_parser("template", help="生成空白标准模板 (write a blank template)", parents=[plugin_opts],
                              description="按官方格式生成空白标准工作簿；规则集要求封面信息时一并生成。")
    template.add_argument("format", choices=("2019", "2021"), help="表格格式 (table format)")
    template.add_argument("--output", "-o", metavar="PATH", required=True, help="输出路径 (output path)")
    _rules_option(template)

    _import_parser(sub, plugin_opts)

    if command is None or command in _DOORS:
        from .excel.commands import register as register_excel

        register_excel(sub)

        from .serve.command import register as register_serve

        register_serve(sub)

    cache = sub.add_parser("cache", help="上一年度报告的缓存 (the cache of last year's reports)",
                           description="--previous 读出的上一年度报告数值保存在本机缓存文件夹中，工作簿未改动时"
                                       "下次直接使用。本命令显示缓存的位置和大小；--clear 清除（随时可以清除，"
                                       "下次会重新读取工作簿）。位置可用环境变量 XLCHECK_CACHE_DIR 指定。\n"
                                       "Where the cache of last year's reports is and how large; --clear empties it.")
    cache.add_argument("--clear", action="store_true", help="清除缓存 (remove every entry)")
    clean = sub.add_parser("clean", help="清除标注 (remove xlcheck's marks)",
                           description="写出去掉 xlcheck 标注（填充、批注、校验结果表）的副本。")
    clean.add_argument("file", metavar="FILE")
    clean.add_argument("--output", "-o", metavar="PATH", required=True, help="输出路径 (output path)")
    return parser


def _import_parser(sub: Any, plugin_opts: argparse.ArgumentParser) -> None:
    imp = sub.add_parser("import", help="已发布的报告转为标准工作簿 (published report -> standard workbook)",
                         parents=[plugin_opts],
                         description="读取已发布的报告（网页 .html/.mht、Word .docx、PDF、从网页复制的文本 .txt），"
                                     "按识别出的格式写出填好数值的标准工作簿，可继续在 Excel/WPS 中修改，"
                                     "校验它时问题会标注在单元格上。\n"
                                     "Write the standard workbook of a published report's format, "
                                     "filled with its values.")
    imp.add_argument("file", metavar="FILE", help="已发布的报告或工作簿 (a published report, or a workbook)")
    imp.add_argument("--output", "-o", metavar="PATH", required=True, help="输出的 .xlsx 路径 (output .xlsx)")
    imp.add_argument("--force", action="store_true", help="覆盖已存在的输出文件 (replace an existing output file)")
    imp.add_argument("--year", type=int, metavar="YEAR",
                     help="报告年度；网页中有多个年度的报告时选这一年 (report year; picks it on a page with several)")
    _rules_option(imp)


def _rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", default="national", metavar="NAME",
                        help="规则集，默认 national 全国基线；其他规则集在全国基线之上执行 (rule set)")


def _review_options(check: argparse.ArgumentParser) -> None:
    group = check.add_argument_group("审核（跨年度比对、名单、汇总表） (reviewing)")
    group.add_argument("--previous", nargs="+", action="extend", default=[], metavar="LAST",
                       help="上一年度的报告：工作簿、文件夹、通配符或 @列表；按单位名称（或统一社会信用代码）配对，"
                            "做跨年度比对（T3-XY、T2-XY、XY-COPY），这些文件本身不校验。不给时，同一批中"
                            "相邻年度的报告自动配对 (last year's reports to compare with; paired by unit)")
    group.add_argument("--no-cache", action="store_true",
                       help="每次都重新读取 --previous 的工作簿，不使用也不写入缓存（默认把读出的数值存在本机缓存"
                            "文件夹中，文件未改动时下次直接使用；xlcheck cache 查看或清除）(read last year's "
                            "workbooks again, without the cache)")
    group.add_argument("--roster", metavar="名单.xlsx",
                       help="应报送单位名单（.xlsx 或 .csv，每行一个单位：单位名称、可选统一社会信用代码、可选"
                            "行政层级）；汇总中列出未报送和名单外的单位，名单给出的行政层级用于校验 "
                            "(roster of units: not reported / not on the roster; levels for the rules)")
    group.add_argument("--aggregate", metavar="汇总.xlsx",
                       help="写出汇总表：标准格式的空白工作簿，每个数据为通过校验的报告之和；第二张表列出计入"
                            "和未计入的报告及原因；汇总表本身也校验 (aggregate table of the passing reports)")


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    from .threads import one_blas_thread

    one_blas_thread()  # before anything loads numpy; batch workers inherit it
    _never_fail_to_print()
    _stop_like_ctrl_c()
    words = sys.argv[1:] if argv is None else list(argv)
    known = words[0] if words and words[0] in _COMMANDS else None
    parser = build_parser(known)
    args = parser.parse_args(words)
    # the console script, not a caller (a test, a script) whose own objects must stay collectable
    args.whole_process = argv is None
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
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


def _stop_like_ctrl_c() -> None:
    """SIGTERM (a service stopping, ``kill``) and SIGHUP (a closed terminal) end a run as Ctrl-C does:
    temporary files are removed, what was checked is reported and the summary written."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) in (signal.SIG_DFL, None):
            signal.signal(number, stop)


def _never_fail_to_print() -> None:
    """A character the console cannot show (a strict ASCII or UTF-8 stdout, a file name that is not
    valid Unicode) comes out escaped instead of ending the run with a traceback."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "") == "strict":
            reconfigure(errors="backslashreplace")


def _registry(args: argparse.Namespace) -> Registry:
    from .plugins import load_options

    # passed to every call explicitly: the process-wide default stays what an import would load
    registry = load_options(getattr(args, "plugin", []))
    if args.whole_process:
        import gc

        # what is loaded now lives as long as the process: the collector need not scan it again (about
        # 5 % of a fresh check's instructions), and forked batch workers do not touch its pages
        gc.freeze()
    for info in registry.plugins:
        # a plugin asked for and not loaded means rules that silently do not run: say so every time
        if info.error and args.command != "plugins":
            print(f"xlcheck: 插件 {info.name} {info.error}", file=sys.stderr)
    return registry


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"须为正整数 (must be at least 1): {text}")
    return value


def _check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from . import inputs
    from . import tasks as one

    if args.output and len(args.files) > 1:
        parser.error("--output 只能用于一个文件 (--output takes one file)")
    if args.summary and not args.summary.lower().endswith((".xlsx", ".csv", ".json")):
        parser.error("--summary 须为 .xlsx、.csv 或 .json 文件 (summary must be .xlsx, .csv or .json)")
    if args.executor == "dask" and not args.scheduler:
        parser.error("--executor dask 需要 --scheduler ADDRESS (a Dask run needs --scheduler)")
    if args.scheduler and args.executor != "dask":
        parser.error("--scheduler 只用于 --executor dask (--scheduler goes with --executor dask)")
    registry = _registry(args)
    if args.format not in registry.output_formats:
        raise UsageError(f"没有输出格式 {args.format}；可用：{'、'.join(registry.output_formats)} (unknown format)")
    registry.compiled(args.rules)
    try:
        found = inputs.expand(args.files, exclude=args.out_dir)
    except inputs.InputError as exc:
        raise UsageError(str(exc)) from None
    for empty in found.empty:
        print(f"xlcheck: {empty}：没有找到工作簿 (no workbooks found)", file=sys.stderr)
    for folder, why in found.unreadable:
        print(f"xlcheck: 无法读取文件夹 {folder}，其中的工作簿未校验：{why} (cannot read this folder)", file=sys.stderr)
    if not found.files:
        raise UsageError("没有要校验的工作簿 (nothing to check)")
    if args.output and (found.collected or len(found.files) > 1):
        parser.error("--output 只能用于一个文件 (--output takes one file)")
    if args.output and _same_file(args.output, found.files[0].path):
        parser.error("--output 指向了要校验的原文件；要直接标注原文件请用 --in-place，它会先保存备份 "
                     "(--output names the input itself: use --in-place, which keeps a backup)")
    if args.no_annotate:
        mode = one.NONE
    elif args.in_place:
        mode = one.IN_PLACE
    elif args.out_dir:
        mode = one.OUT_DIR
    elif found.collected:
        mode = one.NONE
        print("xlcheck: 批量校验未指定 --out-dir，不写标注副本 (no --out-dir: no annotated copies)", file=sys.stderr)
    else:
        mode = one.BESIDE
    settings = one.Settings(rules=args.rules, year=args.year, plugins=tuple(args.plugin), annotate=mode,
                            output=args.output, cache=not args.no_cache)
    dask = args.executor == "dask"
    tasks = one.plan(found.files, settings, args.out_dir, absolute=dask)
    review = None
    if args.previous or args.roster or args.aggregate or len(tasks) > 1:
        review = _review(args, tasks, settings, registry)
        result = review.result
    elif len(tasks) == 1 and not dask:  # one file: none of the machinery of many is imported
        result = one.run_here(tasks, settings, registry=registry)
    else:
        from . import batch

        bar = _Progress(len(tasks))
        try:
            result = batch.run(tasks, settings, registry=registry, jobs=args.jobs,
                               scheduler=args.scheduler if dask else None, on_outcome=bar.update)
        except batch.ExecutorError as exc:
            raise UsageError(str(exc)) from None
        finally:
            bar.close()
    from .names import readable

    failed_writes = False
    for outcome in result.outcomes:
        if outcome.write_error is not None:
            failed_writes = True
            print(f"xlcheck: {readable(outcome.report.path)}：无法写出标注副本 (annotated copy not written): "
                  f"{outcome.write_error}", file=sys.stderr)
    reports = result.reports
    registry.output_formats[args.format].render(reports, sys.stdout)
    if args.summary:
        failed_writes |= not _summary(args.summary, result, registry, args.rules, review)
    if review is not None:
        failed_writes |= review.aggregate_failed
    if result.interrupted:
        print(f"已中断 (interrupted)：共 {result.total} 个文件，已校验 {len(reports)} 个", file=sys.stderr)
        return EXIT_INTERRUPTED
    if failed_writes or found.unreadable or any(r.error is not None for r in reports):
        return EXIT_UNREADABLE
    aggregate_passed = review is None or review.aggregate is None or review.aggregate.report.ok
    return EXIT_OK if all(r.ok for r in reports) and aggregate_passed else EXIT_FINDINGS


def _review(args: argparse.Namespace, tasks: list[batch.Task], settings: batch.Settings,
            registry: Registry) -> review.ReviewResult:
    """A run that pairs years, reads a roster, writes an aggregate: ``xlcheck.review``."""
    from . import batch, review

    previous: list[batch.Task] = []
    if args.previous:
        try:
            found = batch.expand(args.previous)
        except batch.InputError as exc:
            raise UsageError(str(exc)) from None
        for empty in found.empty:
            print(f"xlcheck: {empty}：没有找到上一年度的工作簿 (no workbooks found)", file=sys.stderr)
        for folder, why in found.unreadable:
            print(f"xlcheck: 无法读取文件夹 {folder}，其中的上一年度工作簿未读取：{why} (cannot read this folder)",
                  file=sys.stderr)
        mine = {os.path.normcase(os.path.abspath(t.path)) for t in tasks}
        kept = [f for f in found.files if os.path.normcase(os.path.abspath(f.path)) not in mine]
        previous = batch.plan(kept, settings, absolute=args.executor == "dask")
    roster = None
    if args.roster:
        from .roster import RosterError, read_roster

        try:
            roster = read_roster(args.roster)
        except RosterError as exc:
            raise UsageError(str(exc)) from None
        for problem in roster.problems:
            print(f"xlcheck: {problem}", file=sys.stderr)
        settings = settings._replace(roster=roster)
    if args.aggregate and any(_same_file(args.aggregate, t.path) for t in tasks):
        raise UsageError(f"--aggregate 指向了要校验的文件 {args.aggregate} (the aggregate would overwrite an input)")
    bar = _Progress(len(tasks) + len(previous))
    try:
        outcome = review.run(tasks, previous, settings, registry=registry, explicit=bool(args.previous),
                             jobs=args.jobs, scheduler=args.scheduler if args.executor == "dask" else None,
                             on_outcome=lambda o: bar.update(o, counted=o.index < len(tasks)))
    except batch.ExecutorError as exc:
        raise UsageError(str(exc)) from None
    finally:
        bar.close()
    if roster is not None:
        outcome.roster = roster.status(outcome.result.reports)
        print(f"xlcheck: {_roster_line(args.roster, outcome.roster)}", file=sys.stderr)
    if args.aggregate:
        from .aggregate import AggregateError, write_aggregate

        try:
            outcome.aggregate = write_aggregate(args.aggregate, outcome.result.reports, registry=registry,
                                                rules=args.rules, year=args.year)
        except AggregateError as exc:
            print(f"xlcheck: {exc}", file=sys.stderr)
            outcome.aggregate_failed = True
        else:
            print(f"xlcheck: {outcome.aggregate.describe()}", file=sys.stderr)
    return outcome


def _roster_line(path: str, statuses: Sequence[Any]) -> str:
    from .roster import MISSING, OFF_ROSTER, REPORTED

    def count(status: str) -> int:
        return sum(1 for s in statuses if s.status == status)

    missing = [s.unit for s in statuses if s.status == MISSING]
    shown = "、".join(missing[:10]) + ("等" if len(missing) > 10 else "")
    listed, reported = count(REPORTED) + count(MISSING), count(REPORTED)
    names = f"（{shown}）" if missing else ""
    return (f"名单 {os.path.basename(path)}：应报送 {listed} 个单位，已报送 {reported} 个，"
            f"未报送 {count(MISSING)} 个{names}；名单外的文件 {count(OFF_ROSTER)} 个")


def _summary(path: str, result: batch.BatchResult, registry: Registry, rules: str,
             review: review.ReviewResult | None = None) -> bool:
    from .summary import SummaryError, write_summary

    effective = registry.effective(rules)[0]
    titles = {item.rule.id: item.rule.description for item in effective}
    extra: dict[str, Any] = {}
    if review is not None:  # the reviewer's sheets: across years, roster, per-rule pass/fail
        extra = {"rules": [item.rule for item in effective], "paired": review.paired, "roster": review.roster}
    try:
        write_summary(path, result.outcomes, total=result.total, interrupted=result.interrupted, rule_titles=titles,
                      **extra)
    except SummaryError as exc:
        print(f"xlcheck: {exc}", file=sys.stderr)
        return False
    print(f"汇总已写入 (summary written)：{path}", file=sys.stderr)
    return True


class _Progress:
    """A progress bar on stderr, when it is a terminal and there are several files, with the counts of
    clean files, files with errors and unreadable files. Started at the first result, so worker
    processes are forked before its refresh thread exists."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.enabled = total >= 2 and sys.stderr.isatty()
        self.counts = [0, 0, 0]
        self._bar: Any = None
        self._task: Any = None

    def update(self, outcome: batch.Outcome, counted: bool = True) -> None:
        """One more file done; ``counted``: in the counts of verdicts (not last year's files, read only)."""
        if not self.enabled:
            return
        report = outcome.report
        if not counted:
            pass
        elif report.error is not None:
            self.counts[2] += 1
        elif report.ok:
            self.counts[0] += 1
        else:
            self.counts[1] += 1
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn("校验中 (checking)"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), TextColumn("{task.description}"),
                                 console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("", total=self.total)
        clean, errors, unreadable = self.counts
        counts = f"[green]通过 {clean}[/] · [red]有错误 {errors}[/] · [dim]无法校验 {unreadable}[/]"
        self._bar.update(self._task, advance=1, description=counts)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _rules(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .output import render_table

    registry = _registry(args)
    rules, fields = registry.effective(args.rules)
    ruleset = registry.rulesets[args.rules]
    rows = []
    for item in rules:
        rule = item.rule
        origin = item.added_by if args.rules == "national" or item.added_by == "national" else f"新增：{item.added_by}"
        if item.replaced:
            origin += f"（取代 {item.replaced}）"
        if item.changed_by:
            origin += f"（修改：{item.changed_by}）"
        rows.append((rule.id, rule.severity.label if rule.enabled else "关闭", "、".join(rule.formats) or "全部",
                     rule.description, origin))
    render_table(("编号", "级别", "适用格式", "说明", "来源"), rows, sys.stdout, flex=3,
                 title=f"规则集 {ruleset.name}：{ruleset.title}")
    if fields:
        print("封面信息 (cover fields)：" + "、".join(f.label for f in fields))
    return EXIT_OK


def _plugins(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .output import render_table

    registry = _registry(args)
    if args.strict and not args.check:
        parser.error("--strict 只用于 --check (--strict goes with --check)")
    if args.check:
        return _plugins_check(registry, strict=args.strict)
    rows = [(info.name, info.version, info.source, "、".join(info.contributes), info.error or "正常")
            for info in registry.plugins]
    render_table(("插件", "版本", "来源", "提供", "状态"), rows, sys.stdout, flex=4, title="已加载的插件 (plugins)")
    return EXIT_OK


def _plugins_check(registry: Registry, *, strict: bool) -> int:
    """Every problem of every plugin, one a line under its plugin, the sanity warnings included;
    exit 1 on an error (or, ``strict``, on a warning)."""
    from .sanity import sanity_problems

    extra = sanity_problems(registry)
    errors = warnings = 0
    for info in registry.plugins:
        problems = [*info.problems, *(p for p in extra if p.plugin == info.name)]
        errors += sum(p.severity == "error" for p in problems)
        warnings += sum(p.severity != "error" for p in problems)
        state = "已跳过 (skipped)" if info.failed else ("有警告 (warnings)" if problems else "正常 (ok)")
        print(f"{info.name} {info.version}".rstrip() + f"：{state}")
        for problem in problems:
            print(f"  {'错误' if problem.severity == 'error' else '警告'}  {problem}")
    if errors or warnings:
        print(f"发现 {errors} 个错误、{warnings} 个警告 ({errors} errors, {warnings} warnings)")
        return EXIT_FINDINGS if errors or strict else EXIT_OK
    print("所有插件都没有问题 (no problems)")
    return EXIT_OK


def _fields(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .fieldref import field_reference
    from .output import render_table

    registry = _registry(args)
    entries = field_reference(registry, args.format, args.rules)
    if not entries:
        raise UsageError("没有字段：提供表格格式的插件未加载 (no layouts loaded)")
    every = {x.format for x in registry.layouts}
    rows = [(e.key, e.label, e.kind, "全部" if set(e.formats) == every else "、".join(e.formats), e.source)
            for e in entries]
    scope = f"{args.format} 版" if args.format else "全部格式"
    render_table(("字段", "名称", "类型", "格式", "来源"), rows, sys.stdout, flex=1,
                 title=f"字段 (field keys)：{scope}" + (f"，规则集 {args.rules}" if args.rules else ""))
    return EXIT_OK


def _template(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .template import build_template

    registry = _registry(args)
    layout = next((x for x in registry.layouts if x.format == args.format), None)
    if layout is None:
        raise UsageError(f"没有 {args.format} 版格式：提供格式的插件未加载 (no layout for format {args.format})")
    fields = registry.fields(args.rules)
    try:
        build_template(layout, args.output, fields)
    except OSError as exc:
        print(f"xlcheck: 无法写出 {args.output}：{exc.strerror} (cannot write)", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"已写出 {layout.name} 空白模板：{args.output}")
    return EXIT_OK


def _clean(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .annotated_copy import clean

    try:
        clean(args.file, args.output)
    except Exception as exc:  # any failure is reported in one line
        print(f"xlcheck: {args.file}：{exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"已写出去掉标注的副本：{args.output}")
    return EXIT_OK


def _cache(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .yearcache import cache_dir, clear, size

    root = cache_dir()
    count, total = size(root)
    if args.clear:
        clear(root)
        left, _ = size(root)
        if left:
            print(f"xlcheck: {root}：有 {left} 个缓存文件未能删除 (could not remove every entry)", file=sys.stderr)
            return EXIT_UNREADABLE
        print(f"已清除上一年度报告的缓存：{count} 个报告，{total / 1024:.0f} KB（{root}）")
        return EXIT_OK
    print(f"上一年度报告的缓存：{root}\n{count} 个报告，{total / 1024:.0f} KB；xlcheck cache --clear 清除")
    return EXIT_OK


def _import(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .published.importer import ImportFailedError, import_report

    registry = _registry(args)
    registry.compiled(args.rules)
    try:
        done = import_report(args.file, args.output, registry=registry, rules=args.rules, year=args.year,
                             force=args.force)
    except ImportFailedError as exc:
        print(f"xlcheck: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    year = f"、{done.year} 年度" if done.year else ""
    blank = f"，{done.empty} 个单元格原报告未填写" if done.empty else ""
    print(f"已写出 {done.format} 版格式{year}的标准工作簿：{done.target}（填入 {done.filled} 个数值{blank}）\n"
          f"校验并标注：xlcheck check {done.target}")
    return EXIT_OK


def _excel(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .excel.commands import run

    return run(args, parser)


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .serve.command import run

    return run(args, parser)


#: commands whose parsers live in their door's own module
_DOORS = ("excel", "serve")
_COMMANDS = {"check": _check, "rules": _rules, "plugins": _plugins, "fields": _fields, "template": _template,
             "clean": _clean, "cache": _cache, "excel": _excel, "serve": _serve, "import": _import}

if __name__ == "__main__":
    sys.exit(main())
