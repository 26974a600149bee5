"""``xlcheck serve``: the command line of the web door.

Wired into the main parser by ``xlcheck.cli`` through :func:`register`; :func:`run` is the handler.
Nothing here imports the web stack until the server starts.
"""

from __future__ import annotations

import argparse
import os
import sys

EXIT_OK, EXIT_USAGE = 0, 2

_EPILOG = """\
示例 (examples):
  xlcheck serve                                  在本机 http://127.0.0.1:8765/ 提供校验页面
  xlcheck serve --host 10.1.2.3 --rules guangdong  在内网地址上为整个办公室提供服务
  curl -F files=@年度报告.xlsx http://127.0.0.1:8765/api/check

没有内置登录认证：只在本机 (127.0.0.1) 或单位内网地址上提供服务，需要时放在单位的反向代理之后。
No authentication is built in: bind to loopback or an internal address.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Add the ``serve`` command to the main parser's subparsers; return its parser."""
    cores = os.cpu_count() or 1
    serve: argparse.ArgumentParser = subparsers.add_parser(
        "serve", help="提供网页校验服务和 JSON 接口 (the check page and JSON API)", epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="启动网页服务：填报人员用浏览器上传工作簿即可校验、下载标注副本，无需安装 Python；"
                    "其他系统可调用 JSON 接口（说明见 /api/docs）。需要 pip install \"xlcheck[serve]\"。\n"
                    "Serve the check page and the JSON API.")
    serve.add_argument("--host", default="127.0.0.1",
                       help="监听地址，默认只限本机 127.0.0.1；为办公室提供服务时用内网地址 (address to bind)")
    serve.add_argument("--port", type=int, default=8765, help="端口，默认 8765 (port)")
    serve.add_argument("--rules", default="national", metavar="NAME",
                       help="默认规则集，页面上仍可选择其他已安装的规则集 (default rule set)")
    serve.add_argument("--max-upload-mb", type=_positive_float, default=20.0, metavar="MB",
                       help="一次上传的大小上限，默认 20 MB (largest request body)")
    serve.add_argument("--max-files", type=_positive_int, default=20, metavar="N",
                       help="一次上传的文件数上限，默认 20 (files per request)")
    serve.add_argument("--workers", type=_positive_int, default=min(cores, 4), metavar="N",
                       help=f"校验进程数，即同时进行的校验数上限，默认 {min(cores, 4)} (worker processes)")
    serve.add_argument("--queue", type=_non_negative_int, default=16, metavar="N",
                       help="等待空闲进程的请求数上限，超出时答复 503 稍后再试，默认 16 (requests that may wait)")
    serve.add_argument("--timeout", type=_positive_float, default=60.0, metavar="SECONDS",
                       help="每个请求的校验时限，超时即停止，默认 60 秒 (time limit per request)")
    serve.add_argument("-p", "--plugin", action="append", default=[], metavar="NAME",
                       help="加载插件模块 NAME，或用 no:NAME 停用插件 NAME (load or block a plugin)")
    return serve


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Handler of ``xlcheck serve``; returns the exit code when the server stops."""
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        print('xlcheck serve 需要额外的依赖，请先安装：pip install "xlcheck[serve]" '
              '(the serve extra is not installed)', file=sys.stderr)
        return EXIT_USAGE
    import logging

    from ..plugins import load_options
    from .app import ServeSettings, create_app
    from .pool import PoolSettings

    plugins = tuple(args.plugin)
    registry = load_options(plugins)
    for info in registry.plugins:
        if info.error:
            print(f"xlcheck: 插件 {info.name} {info.error}", file=sys.stderr)
    settings = ServeSettings(rules=args.rules, max_upload_mb=args.max_upload_mb, max_files=args.max_files,
                             pool=PoolSettings(workers=args.workers, queue=args.queue, timeout=args.timeout,
                                               plugins=plugins))
    app = create_app(settings, registry)  # PluginError for an unknown --rules: cli.main says so, exit 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"xlcheck 校验服务：http://{shown}:{args.port}/ （按 Ctrl-C 停止）", file=sys.stderr)
    if not _private(args.host):
        print("xlcheck: 注意：没有内置登录认证，请只在本机或单位内网地址上提供服务 "
              "(warning: no authentication is built in; bind to loopback or an internal address)", file=sys.stderr)
    # the app logs one line per request itself (no file names); uvicorn's access log would add a second
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning",
                timeout_graceful_shutdown=int(args.timeout) + 5)
    return EXIT_OK


def _private(host: str) -> bool:
    import ipaddress

    if host in ("localhost", ""):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: cannot tell
    return address.is_loopback or (address.is_private and not address.is_unspecified)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"须为正整数 (must be at least 1): {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"须为非负整数 (must be at least 0): {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"须为正数 (must be positive): {text}")
    return value
