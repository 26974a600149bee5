"""Worker processes that run the checks, so the event loop only moves bytes.

Processes, not threads: a check is CPU-bound Python (threads would share one core), and a process
that overruns the time limit can be killed and replaced, which a thread cannot. Each worker loads
the plugins and compiles the rule sets once and then serves jobs over a pipe. The pool caps how
many checks run at once (one per worker) and how many requests may wait for a worker; beyond that a
request is refused at once rather than queued without bound.

Every job gets a fresh folder inside the pool's private temporary folder (mode 0700); the folder is
removed when the job ends, whether it finished, failed, or its worker was killed, and the whole
private folder when the pool stops. The worker makes and removes its job's folder itself, so the event
loop never waits on the file system; the private folder is in memory (``/dev/shm``) where the system
has one and no ``TMPDIR`` says otherwise, so an upload never reaches a disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import pickle
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

#: how long a new worker may take to import xlcheck and load the plugins
START_TIMEOUT = 120.0
#: a job message up to this size is written to the pipe from the event loop itself (the pipe's buffer
#: takes it at once); a bigger one from a thread
_SEND_INLINE = 128 * 1024


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
    # One worker is one core's worth of checks: 8-16 ms of a 35 ms check went to BLAS threads' spinning
    from ..threads import one_blas_thread

    one_blas_thread()
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
        name, folder, args = message
        try:
            os.mkdir(folder, 0o700)
            reply: tuple[str, Any] = ("ok", JOBS[name](registry, folder, *args))
        except UploadError as exc:
            reply = ("refused", str(exc))
        except Exception as exc:  # a job must never take its worker down; the parent answers 500
            reply = ("internal", f"{type(exc).__name__}: {exc}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        conn.send(reply)


def _time_limit(timeout: float) -> TimeLimitError:
    return TimeLimitError(f"校验超过 {timeout:g} 秒仍未完成，已停止；文件可能过大或过于复杂 "
                          f"(the check took longer than {timeout:g} s and was stopped)")


def _died() -> WorkerDiedError:
    return WorkerDiedError("校验进程意外退出，未能校验这个文件；文件可能已损坏或过于复杂 "
                           "(the worker exited while checking)")


class _Worker:
    """One worker process and the parent's end of its pipe. Used by one thread at a time."""

    def __init__(self, context: Any, plugins: Sequence[str]) -> None:
        self._context = context
        self._plugins = tuple(plugins)
        self._process: Any = None
        self._conn: Connection | None = None
        #: the folder of the job being done
        self.folder: str | None = None
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

    def call(self, name: str, folder: str, args: tuple[Any, ...], timeout: float) -> Any:
        """Run one job in ``folder`` (which the worker makes and removes) and return its result
        (blocking: the thread path, where the event loop cannot watch the pipe)."""
        self.folder = folder
        try:
            self._send(name, folder, args)
            assert self._conn is not None
            if not self._conn.poll(timeout):
                self.restart()
                raise _time_limit(timeout)
            return self._receive()
        except (EOFError, OSError):
            self.restart()
            raise _died() from None
        finally:
            self.folder = None

    async def call_async(self, name: str, folder: str, args: tuple[Any, ...], timeout: float) -> Any:
        """``call`` without a thread: the event loop watches the pipe for the reply (POSIX event loops;
        NotImplementedError on those that cannot, before anything is sent)."""
        loop = asyncio.get_running_loop()
        assert self._conn is not None
        fd = self._conn.fileno()
        ready: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, readable)
        self.folder = folder
        try:
            try:
                message = pickle.dumps((name, folder, args), pickle.HIGHEST_PROTOCOL)
                if len(message) > _SEND_INLINE:  # a big upload: the pipe takes it in pieces, off the loop
                    await loop.run_in_executor(None, self._conn.send_bytes, message)
                else:
                    self._conn.send_bytes(message)
                await asyncio.wait_for(ready, timeout)
            except asyncio.TimeoutError:
                loop.remove_reader(fd)
                await loop.run_in_executor(None, self.restart)
                raise _time_limit(timeout) from None
            finally:
                loop.remove_reader(fd)
            return self._receive()
        except (EOFError, OSError):
            await loop.run_in_executor(None, self.restart)
            raise _died() from None
        finally:
            self.folder = None

    def _send(self, name: str, folder: str, args: tuple[Any, ...]) -> None:
        assert self._conn is not None
        self._conn.send((name, folder, args))

    def _receive(self) -> Any:
        assert self._conn is not None
        kind, payload = self._conn.recv()
        if kind == "ok":
            return payload
        if kind == "refused":
            raise JobError(payload)
        raise PoolError(f"xlcheck 内部错误，未能完成校验；请把文件和这条信息反馈给开发者 (internal error: {payload})")

    def restart(self) -> None:
        """A new worker in place of this one; what the old one left of its job goes with it."""
        self.kill()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.start()


class CheckPool:
    """The worker processes, the cap on running and waiting checks, and the private temporary folder."""

    def __init__(self, settings: PoolSettings) -> None:
        self.settings = settings
        self.root: str | None = None
        self._workers: list[_Worker] = []
        self._idle: asyncio.Queue[_Worker] | None = None
        self._waiting = 0
        self._jobs = 0
        #: whether the event loop can watch the workers' pipes (else a thread waits on each job)
        self._watch = True

    @property
    def running(self) -> int:
        """Checks running now."""
        return len(self._workers) - (self._idle.qsize() if self._idle is not None else 0)

    async def start(self) -> None:
        self.root = tempfile.mkdtemp(prefix="xlcheck-serve-", dir=scratch())  # mkdtemp makes it 0700
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
        self._jobs += 1
        folder = os.path.join(self.root, f"job-{self._jobs}")
        # shielded: a request given up on (the client went away) still lets its job finish, so the
        # worker goes back to the idle line with no reply left in its pipe
        task = asyncio.ensure_future(self._run(worker, job, folder, args))
        task.add_done_callback(_settled)
        return await asyncio.shield(task)

    async def _run(self, worker: _Worker, job: str, folder: str, args: tuple[Any, ...]) -> Any:
        import anyio.to_thread

        assert self._idle is not None
        timeout = self.settings.timeout
        try:
            if self._watch:
                try:
                    return await worker.call_async(job, folder, args, timeout)
                except NotImplementedError:  # e.g. Windows' proactor loop: wait in a thread instead
                    self._watch = False
            return await anyio.to_thread.run_sync(worker.call, job, folder, args, timeout)
        finally:
            self._idle.put_nowait(worker)


def _settled(task: asyncio.Future[Any]) -> None:
    """A job whose request was given up on: its outcome is nobody's, and says nothing to the log."""
    if not task.cancelled():
        task.exception()


def scratch() -> str | None:
    """Where the private temporary folder goes: ``TMPDIR`` when the administrator set one; else the
    system's memory-backed folder (``/dev/shm`` on Linux), where uploads never reach a disk and
    making and removing a job's folder costs no disk write; else the system's temporary folder."""
    if os.environ.get("TMPDIR"):
        return None
    shm = "/dev/shm"
    if sys.platform.startswith("linux") and os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return None


_BUSY = "服务器正忙，请稍后再试 (all workers are busy; try again shortly)"
