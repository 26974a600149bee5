"""Worker processes that run the checks, so the event loop only moves bytes.

Processes, not threads: a check is CPU-bound Python (threads would share one core), and a process
that overruns the time limit can be killed and replaced, which a thread cannot. Each worker loads
the plugins and compiles the rule sets once and then serves jobs over a pipe. The pool caps how
many checks run at once (one per worker) and how many requests may wait for a worker; beyond that a
request is refused at once rather than queued without bound.

Every job gets a fresh folder inside the pool's private temporary folder (mode 0700); the folder is
removed when the job ends, whether it finished, failed, or its worker was killed, and the whole
private folder when the pool stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import shutil
import signal
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

#: how long a new worker may take to import xlcheck and load the plugins
START_TIMEOUT = 120.0


class PoolError(Exception):
    """A job could not be done; ``message`` is for the clerk, ``status`` the HTTP status to answer with."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BusyError(PoolError):
    """Every worker is busy and the waiting line is full (or a worker did not come free in time)."""

    status = 503


class TimeLimitError(PoolError):
    """The job ran longer than the time limit; its worker was killed and replaced."""

    status = 422


class JobError(PoolError):
    """The job refused its input (an unreadable workbook, a copy that cannot be written)."""

    status = 422


class WorkerDiedError(PoolError):
    """The worker exited while doing the job (it ran out of memory, or the reader crashed)."""

    status = 422


@dataclass(frozen=True)
class PoolSettings:
    #: worker processes: at most this many checks run at once
    workers: int = 2
    #: requests that may wait for a free worker; one more is refused with BusyError
    queue: int = 16
    #: seconds a job may run (and a request may wait for a worker)
    timeout: float = 60.0
    #: ``-p`` options for the workers' plugin loading, as on the command line
    plugins: tuple[str, ...] = ()


def _worker_main(conn: Connection, plugins: Sequence[str]) -> None:
    """A worker's life: load the plugins, say ready, then do jobs until told to stop."""
    # Ctrl-C on the server stops the parent, which stops the workers; they should not print tracebacks
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from ..plugins import load_options
    from .jobs import JOBS, UploadError

    registry = load_options(plugins)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        name, args = message
        try:
            reply: tuple[str, Any] = ("ok", JOBS[name](registry, *args))
        except UploadError as exc:
            reply = ("refused", str(exc))
        except Exception as exc:  # a job must never take its worker down; the parent answers 500
            reply = ("internal", f"{type(exc).__name__}: {exc}")
        conn.send(reply)


class _Worker:
    """One worker process and the parent's end of its pipe. Used by one thread at a time."""

    def __init__(self, context: Any, plugins: Sequence[str]) -> None:
        self._context = context
        self._plugins = tuple(plugins)
        self._process: Any = None
        self._conn: Connection | None = None
        self.start()

    def start(self) -> None:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, args=(child, self._plugins), daemon=True,
                                        name="xlcheck-serve-worker")
        process.start()
        child.close()
        self._process, self._conn = process, parent
        if not parent.poll(START_TIMEOUT):
            self.kill()
            raise RuntimeError("xlcheck serve: a worker process did not start")
        try:
            parent.recv()
        except EOFError:
            self.kill()
            raise RuntimeError("xlcheck serve: a worker process failed to load the plugins") from None

    def kill(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()
        if self._process is not None:
            self._process.join(5)
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(None)
        if self._process is not None:
            self._process.join(2)
        self.kill()

    def call(self, name: str, args: tuple[Any, ...], timeout: float) -> Any:
        """Run one job and return its result (blocking; the pool calls this from a thread)."""
        assert self._conn is not None
        conn = self._conn
        try:
            conn.send((name, args))
            if not conn.poll(timeout):
                self.restart()
                raise TimeLimitError(f"校验超过 {timeout:g} 秒仍未完成，已停止；文件可能过大或过于复杂 "
                               f"(the check took longer than {timeout:g} s and was stopped)")
            kind, payload = conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self.restart()
            raise WorkerDiedError("校验进程意外退出，未能校验这个文件；文件可能已损坏或过于复杂 "
                             "(the worker exited while checking)") from None
        if kind == "ok":
            return payload
        if kind == "refused":
            raise JobError(payload)
        raise PoolError(f"xlcheck 内部错误，未能完成校验；请把文件和这条信息反馈给开发者 (internal error: {payload})")

    def restart(self) -> None:
        self.kill()
        self.start()


class CheckPool:
    """The worker processes, the cap on running and waiting checks, and the private temporary folder."""

    def __init__(self, settings: PoolSettings) -> None:
        self.settings = settings
        self.root: str | None = None
        self._workers: list[_Worker] = []
        self._idle: asyncio.Queue[_Worker] | None = None
        self._waiting = 0

    @property
    def running(self) -> int:
        """Checks running now."""
        return len(self._workers) - (self._idle.qsize() if self._idle is not None else 0)

    async def start(self) -> None:
        self.root = tempfile.mkdtemp(prefix="xlcheck-serve-")  # mkdtemp makes it 0700
        # spawn, on every platform: forking a process that runs an event loop and threads is unsafe
        context = multiprocessing.get_context("spawn")
        loop = asyncio.get_running_loop()
        starting = [loop.run_in_executor(None, _Worker, context, self.settings.plugins)
                    for _ in range(self.settings.workers)]
        results = await asyncio.gather(*starting, return_exceptions=True)
        self._workers = [w for w in results if isinstance(w, _Worker)]
        failed = [e for e in results if isinstance(e, BaseException)]
        if failed:  # leave nothing behind: no half-started pool, no private folder
            await self.stop()
            raise failed[0]
        self._idle = asyncio.Queue()
        for worker in self._workers:
            self._idle.put_nowait(worker)

    async def stop(self) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(None, w.stop) for w in self._workers))
        self._workers = []
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    async def run(self, job: str, *args: Any) -> Any:
        """Run ``job`` in a free worker; raise BusyError when none is free and the waiting line is full."""
        import anyio.to_thread

        assert self._idle is not None and self.root is not None, "the pool is not started"
        timeout = self.settings.timeout
        if self._idle.empty() and self._waiting >= self.settings.queue:
            raise BusyError(_BUSY)
        self._waiting += 1
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout)
        except asyncio.TimeoutError:
            raise BusyError(_BUSY) from None
        finally:
            self._waiting -= 1
        folder = tempfile.mkdtemp(prefix="job-", dir=self.root)
        try:
            return await anyio.to_thread.run_sync(worker.call, job, (folder, *args), timeout)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            self._idle.put_nowait(worker)


_BUSY = "服务器正忙，请稍后再试 (all workers are busy; try again shortly)"
