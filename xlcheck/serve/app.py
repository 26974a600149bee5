"""The web application: the check page, the JSON API and their limits.

Every upload endpoint reads the request body through a counter (bigger than ``max_upload_mb`` is
refused with 413 as soon as it is seen, before anything is parsed), keeps the parts in memory,
refuses more than ``max_files`` files, and hands the bytes to a worker process
(:mod:`xlcheck.serve.pool`). Nothing a client sends is used as a path. Each request leaves one line
in the log, ``xlcheck.serve``: method, endpoint, status, files, bytes, verdict, milliseconds — never a
file name or content.
"""

from __future__ import annotations

import contextlib
import logging
import time
import urllib.parse
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..check import DEFAULT_RULESET
from ..plugins import PluginError, Registry, load_options
from .jobs import Upload, json_body, outcome, safe_name
from .pool import CheckPool, PoolError, PoolSettings

log = logging.getLogger("xlcheck.serve")

#: the page: hand-written HTML, CSS and JavaScript, no build step, nothing fetched from elsewhere
STATIC = Path(__file__).parent / "static"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"


@dataclass(frozen=True)
class ServeSettings:
    #: the rule set used when a request names none
    rules: str = DEFAULT_RULESET
    #: the largest request body accepted, in MB (all files of one request together)
    max_upload_mb: float = 20.0
    #: the most files one request may carry
    max_files: int = 20
    pool: PoolSettings = field(default_factory=PoolSettings)

    @property
    def max_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


class RefusedError(Exception):
    """A request the server will not carry out; ``message`` is for the clerk."""

    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(message)
        self.status, self.message, self.reason = status, message, reason


class _TooLargeError(Exception):
    pass


class _TooManyFilesError(Exception):
    pass


class _Parser(MultiPartParser):
    """Starlette's multipart parser, keeping every file in memory (the body is already bounded, and
    a spooled file would go to the system's temporary folder) and counting files against our cap."""

    def __init__(self, request: Request, stream: AsyncGenerator[bytes, None], settings: ServeSettings) -> None:
        super().__init__(request.headers, stream, max_files=float("inf"), max_fields=20, max_part_size=1024)
        self.spool_max_size = settings.max_bytes + 1
        self.file_cap = settings.max_files
        self.files = 0

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        if self._current_part.file is not None:
            self.files += 1
            if self.files > self.file_cap:
                raise _TooManyFilesError


@dataclass
class _Form:
    uploads: list[Upload]
    rules: str
    year: int | None
    size: int


def create_app(settings: ServeSettings | None = None, registry: Registry | None = None) -> Starlette:
    """The ASGI application; its lifespan starts and stops the worker processes."""
    settings = settings or ServeSettings()
    registry = registry or load_options(settings.pool.plugins)
    registry.effective(settings.rules)  # an unknown default rule set is a start-up error, not a 400 later
    pool = CheckPool(settings.pool)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.start()
        try:
            yield
        finally:
            await pool.stop()

    known: set[str] = set()  # rule sets already resolved: the registry does not change while serving

    async def read_form(request: Request, *, one: bool) -> _Form:
        return await _read_form(request, settings, registry, known, one=one)

    async def check(request: Request) -> tuple[Response, str]:
        form = await read_form(request, one=False)
        body, outcomes = await pool.run("check", form.uploads, form.rules, form.year)
        status = 422 if "unreadable" in outcomes else 200
        return _json_response(body, status), _verdicts(outcomes, form)

    async def annotate(request: Request) -> tuple[Response, str]:
        form = await read_form(request, one=True)
        name, data, report = await pool.run("annotate", form.uploads[0], form.rules, form.year)
        return _download(name, data), _verdicts([outcome(report)], form)

    async def clean(request: Request) -> tuple[Response, str]:
        form = await read_form(request, one=True)
        name, data = await pool.run("clean", form.uploads[0])
        return _download(name, data), f"1 file, {form.size} bytes, cleaned"

    async def summary(request: Request) -> tuple[Response, str]:
        form = await read_form(request, one=False)
        data = await pool.run("summary", form.uploads, form.rules, form.year)
        return _download("校验汇总.xlsx", data), f"{len(form.uploads)} files, {form.size} bytes, summary"

    async def preview(request: Request) -> tuple[Response, str]:
        form = await read_form(request, one=True)
        result = await pool.run("preview", form.uploads[0], form.rules, form.year)
        status = 422 if "error" in result["report"] else 200
        return _json(result, status), _verdicts([outcome(result["report"])], form)

    async def rules(request: Request) -> tuple[Response, str]:
        return _json(_rulesets(registry, settings.rules)), ""

    async def plugins(request: Request) -> tuple[Response, str]:
        return _json({"plugins": [{"name": p.name, "version": p.version, "source": p.source,
                                   "contributes": p.contributes, "error": p.error or None}
                                  for p in registry.plugins]}), ""

    async def healthz(request: Request) -> tuple[Response, str]:
        from .. import __version__

        return _json({"status": "ok", "version": __version__, "workers": settings.pool.workers,
                      "running": pool.running}), ""

    async def limits(request: Request) -> tuple[Response, str]:
        return _json({"max_upload_mb": settings.max_upload_mb, "max_files": settings.max_files,
                      "timeout": settings.pool.timeout, "rules": settings.rules}), ""

    async def openapi(request: Request) -> tuple[Response, str]:
        from .openapi import document

        return _json(document(settings)), ""

    async def page(request: Request) -> tuple[Response, str]:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"}), ""

    async def docs(request: Request) -> tuple[Response, str]:
        return RedirectResponse("../static/api.html"), ""  # relative: the proxy may add a prefix

    async def marks_css(request: Request) -> tuple[Response, str]:
        from .preview import marks_css as css

        return Response(css(), media_type="text/css", headers={"Cache-Control": "no-cache"}), ""

    endpoints: list[tuple[str, str, Callable[[Request], Awaitable[tuple[Response, str]]]]] = [
        ("/", "GET", page),
        ("/api/docs", "GET", docs),
        ("/marks.css", "GET", marks_css),
        ("/healthz", "GET", healthz),
        ("/api/rules", "GET", rules),
        ("/api/plugins", "GET", plugins),
        ("/api/limits", "GET", limits),
        ("/api/openapi.json", "GET", openapi),
        ("/api/check", "POST", check),
        ("/api/annotate", "POST", annotate),
        ("/api/clean", "POST", clean),
        ("/api/summary", "POST", summary),
        ("/api/preview", "POST", preview),
    ]
    routes: list[Route | Mount] = [Route(path, _logged(handler), methods=[method])
                                   for path, method, handler in endpoints]
    routes.append(Mount("/static", app=StaticFiles(directory=STATIC), name="static"))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(_SecurityHeaders)])
    app.state.pool = pool
    app.state.settings = settings
    return app


def _logged(handler: Callable[[Request], Awaitable[tuple[Response, str]]]) -> Callable[[Request], Awaitable[Response]]:
    """The handler, answering every refusal with its Chinese message and logging one line."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        what = ""
        try:
            response, what = await handler(request)
        except RefusedError as exc:
            response, what = _json({"error": exc.message}, exc.status), f"refused: {exc.reason}"
        except PoolError as exc:
            response, what = _json({"error": exc.message}, exc.status), f"refused: {type(exc).__name__}"
            if exc.status == 503:
                response.headers["Retry-After"] = "5"
        except Exception as exc:  # never a traceback to the client; the log says what broke, not the data
            log.error("%s %s internal error %s", request.method, request.url.path, type(exc).__name__)
            response = _json({"error": "xlcheck 内部错误，请稍后再试或联系管理员 (internal error)"}, 500)
            what = "internal error"
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %s%.1f ms", request.method, request.url.path, response.status_code,
                 f"{what}, " if what else "", elapsed)
        return response

    return endpoint


async def _read_form(request: Request, settings: ServeSettings, registry: Registry, known: set[str], *,
                     one: bool) -> _Form:
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise RefusedError(415, "请以 multipart/form-data 上传文件，文件放在 files 字段 "
                           "(send multipart/form-data with the workbooks in the field files)", "not multipart")
    limit = settings.max_bytes
    too_large = RefusedError(413, f"上传的内容超过 {settings.max_upload_mb:g} MB，未校验；请分批上传 "
                             f"(the upload is larger than {settings.max_upload_mb:g} MB)", "too large")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    size = 0

    async def bounded() -> AsyncGenerator[bytes, None]:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _TooLargeError
            yield chunk

    parser = _Parser(request, bounded(), settings)
    try:
        form = await parser.parse()
    except _TooLargeError:
        raise too_large from None
    except _TooManyFilesError:
        raise RefusedError(413, f"一次最多上传 {settings.max_files} 个文件，请分批上传 "
                           f"(at most {settings.max_files} files per request)", "too many files") from None
    except (MultiPartException, KeyError, ValueError, UnicodeDecodeError):
        raise RefusedError(400, "上传的内容无法解析，请重新选择文件上传 (malformed multipart body)",
                           "malformed") from None
    try:
        uploads: list[Upload] = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key != "files":
                    raise RefusedError(400, f"文件须放在 files 字段，而不是 {key[:40]} (files go in the field files)",
                                  "wrong field")
                uploads.append((safe_name(value.filename), await value.read()))
        rules = str(form.get("rules") or settings.rules)
        year_text = str(form.get("year") or "").strip()
    finally:
        await form.close()
    if not uploads:
        raise RefusedError(400, "没有收到文件：请选择要校验的工作簿 (no file in the field files)", "no file")
    if one and len(uploads) > 1:
        raise RefusedError(400, "这个接口一次只处理一个文件 (this endpoint takes one file)", "several files")
    if rules not in known:
        try:
            registry.effective(rules)
        except PluginError as exc:
            raise RefusedError(400, str(exc), "unknown rule set") from None
        known.add(rules)
    year = None
    if year_text:
        if not (year_text.isascii() and year_text.isdigit() and 1900 <= int(year_text) <= 2999):
            raise RefusedError(400, f"年度须为四位数字，如 2024，而不是 {year_text[:20]} (year must be like 2024)",
                               "bad year")
        year = int(year_text)
    return _Form(uploads, rules, year, size)


def _verdicts(outcomes: list[str], form: _Form) -> str:
    return (f"{len(outcomes)} file{'s' if len(outcomes) != 1 else ''}, {form.size} bytes, passed "
            f"{outcomes.count('passed')} failed {outcomes.count('failed')} unreadable {outcomes.count('unreadable')}")


def _json(data: Any, status: int = 200) -> Response:
    return _json_response(json_body(data), status)


def _json_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status, media_type="application/json", headers={"Cache-Control": "no-store"})


def _download(name: str, data: bytes) -> Response:
    # filename*: the clerk's Chinese file name (RFC 6266); filename: an ASCII stand-in for old clients
    fallback = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "._-" else "_" for ch in name)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{urllib.parse.quote(name)}"
    media = XLSM if name.lower().endswith(".xlsm") else XLSX
    return Response(data, media_type=media, headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


def _rulesets(registry: Registry, default: str) -> dict[str, Any]:
    sets = []
    for name, ruleset in sorted(registry.rulesets.items(), key=lambda item: (item[0] != default, item[0])):
        effective, fields = registry.effective(name)
        sets.append({
            "name": name, "title": ruleset.title, "extends": ruleset.extends,
            "rules": [{"id": e.rule.id, "severity": e.rule.severity.value, "enabled": e.rule.enabled,
                       "formats": list(e.rule.formats), "description": e.rule.description,
                       "added_by": e.added_by, "changed_by": e.changed_by or None} for e in effective],
            "fields": [{"key": f.key, "label": f.label} for f in fields],
        })
    return {"default": default, "rulesets": sets}


#: sent with every response: the page loads nothing from elsewhere and runs no inline script
_SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
                                 b"base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class _SecurityHeaders:
    """Adds the security headers to every HTTP response; everything else passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *_SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, with_headers)

