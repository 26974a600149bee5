"""Checking many workbooks: which files a command line names, and running the checks over them.

* :func:`expand` (:mod:`xlcheck.inputs`) turns the command line's inputs (files, folders, globs,
  ``@list.txt``) into the workbooks to check: folders are walked recursively, skipping hidden files
  and folders, Office lock files (``~$*``) and xlcheck's own outputs (``*.checked.*``, ``*.backup.*``).
* :func:`plan` (:mod:`xlcheck.tasks`) decides for each workbook where its annotated copy goes (beside
  it, into a folder mirroring the input tree, in place, or nowhere).
* :func:`run` checks them one after the other (one file, ``jobs=1``), in a local process pool, or on a
  Dask cluster, and returns every outcome in input order, however the work was spread. Ctrl-C stops
  handing out work, keeps what was finished and marks the result ``interrupted``.

Each worker process (or Dask worker thread) loads the plugins once and compiles the rule set once,
then checks file after file; results travel back as plain dataclasses. Nothing here imports
multiprocessing or dask until a run needs it, so checking one file starts as fast as before.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .findings import Report
from .inputs import Expansion, Found, InputError, expand, is_workbook_name, skipped_name
from .tasks import (
    BESIDE,
    IN_PLACE,
    NONE,
    OUT_DIR,
    BatchResult,
    Outcome,
    Progress,
    Settings,
    Task,
    check_task,
    inherited,
    peak_rss,
    plan,
    registry_for,
)

if TYPE_CHECKING:
    from .plugins import Registry

__all__ = ["BESIDE", "IN_PLACE", "NONE", "OUT_DIR", "BatchResult", "ExecutorError", "Expansion", "Found",
           "InputError", "Outcome", "Progress", "Settings", "Task", "check_chunk", "check_task", "default_jobs",
           "expand", "is_workbook_name", "plan", "run", "skipped_name"]

#: How long to wait for a Dask scheduler to answer before giving up.
DASK_CONNECT_TIMEOUT = "10s"
#: Below this many files a local run stays in one process: starting workers costs more than it saves.
MIN_PARALLEL = 8


class ExecutorError(Exception):
    """The chosen executor cannot run (dask missing, scheduler unreachable); the message is for the user."""


def check_chunk(tasks: Sequence[Task], settings: Settings) -> tuple[list[Outcome], int]:
    """A worker's unit of work (process pool and Dask): outcomes and the worker's peak memory."""
    registry = registry_for(settings, freeze=True)
    return [check_task(t, settings, registry) for t in tasks], peak_rss()


def _init_worker() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops handing out work and collects theirs."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # inherited from the CLI's handler: a stopped worker exits through its finally blocks (temporary
    # files removed), not mid-write
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))


def _failed(task: Task, why: str) -> Outcome:
    from .names import readable

    return Outcome(task.index, Report(task.path, error=f"{readable(os.path.basename(task.path))}：{why}"))


# ------------------------------------------------------------------------------------------------
# Running


def default_jobs() -> int:
    """Every core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(tasks: Sequence[Task], settings: Settings, *, registry: Registry | None = None, jobs: int | None = None,
        scheduler: str | None = None, on_outcome: Progress | None = None) -> BatchResult:
    """Check every task and return the outcomes in input order.

    ``scheduler`` (a Dask scheduler address) runs the checks on that cluster; otherwise ``jobs``
    processes (default: every core) check files in parallel, and a small run (one job, or fewer than
    ``MIN_PARALLEL`` files) stays in this process with ``registry``. Ctrl-C ends the run early with
    ``interrupted=True`` and the outcomes of the files finished so far.
    """
    done: dict[int, Outcome] = {}
    peak = [0]

    def collect(outcomes: Sequence[Outcome], rss: int) -> None:
        peak[0] = max(peak[0], rss)
        for outcome in outcomes:
            done[outcome.index] = outcome
            if on_outcome is not None:
                on_outcome(outcome)

    jobs = jobs or default_jobs()
    if scheduler is not None:
        interrupted = _run_dask(tasks, settings, scheduler, collect)
    elif jobs > 1 and len(tasks) >= MIN_PARALLEL:
        interrupted = _run_pool(tasks, settings, jobs, registry, collect)
    else:
        interrupted = _run_here(tasks, settings, registry, collect)
    ordered = [done[i] for i in sorted(done)]
    return BatchResult(ordered, len(tasks), interrupted, peak[0])


Collect = Callable[[Sequence[Outcome], int], None]


def _run_here(tasks: Sequence[Task], settings: Settings, registry: Registry | None, collect: Collect) -> bool:
    if registry is None:
        registry = registry_for(settings)
    try:
        for task in tasks:
            outcome = check_task(task, settings, registry)
            collect([outcome], 0)
    except KeyboardInterrupt:
        return True
    finally:
        if tasks:
            collect([], peak_rss())
    return False


def _chunks(tasks: Sequence[Task], workers: int, largest: int) -> list[list[Task]]:
    """Small enough that every worker stays busy to the end and Ctrl-C is answered quickly, big enough
    that passing work and results between processes costs little."""
    size = max(1, min(largest, len(tasks) // (workers * 8)))
    return [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]


def _run_pool(tasks: Sequence[Task], settings: Settings, jobs: int, registry: Registry | None,
              collect: Collect) -> bool:
    import concurrent.futures as cf
    import multiprocessing

    # Forking hands each worker this process's loaded plugins and compiled rules for nothing; elsewhere
    # (Windows, macOS) each worker loads them once itself.
    context = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    if registry is not None and context is not None:
        inherited[(settings.rules, settings.plugins)] = registry
    queue = _chunks(tasks, jobs, 8)
    queue.reverse()
    pending: dict[cf.Future[tuple[list[Outcome], int]], list[Task]] = {}
    suspects: list[Task] = []
    interrupted = False
    try:
        while queue or pending or suspects:
            if suspects:
                try:
                    _isolate(suspects, settings, context, collect)
                except KeyboardInterrupt:
                    interrupted = True
                    break
                continue
            pool = cf.ProcessPoolExecutor(max_workers=min(jobs, len(queue) or 1), mp_context=context,
                                          initializer=_init_worker)
            try:
                broken = _feed(pool, queue, pending, settings, jobs, collect, suspects)
            except KeyboardInterrupt:
                interrupted = True
                queue.clear()
                _drain(pending, collect)
                broken = False
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
            if not broken and not suspects:
                break
    finally:
        inherited.clear()
    return interrupted


#: what a file that took its worker process down is told
WORKER_DIED = ("校验这个文件时校验进程意外退出，文件可能已损坏或是恶意构造的；其他文件不受影响 "
               "(the worker process died while checking this file)")


def _isolate(suspects: list[Task], settings: Settings, context: Any, collect: Collect) -> None:
    """The files a dead worker's pool held: each is checked alone in a fresh worker, so the one that
    kills its worker is reported alone and every other file gets its real result."""
    import concurrent.futures as cf
    from concurrent.futures.process import BrokenProcessPool

    pool: Any = None
    try:
        while suspects:
            task = suspects.pop(0)
            if pool is None:
                pool = cf.ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_init_worker)
            try:
                outcomes, rss = pool.submit(check_chunk, [task], settings).result()
            except BrokenProcessPool:
                collect([_failed(task, WORKER_DIED)], 0)
                pool.shutdown(wait=True)
                pool = None
            except Exception as exc:  # a bug must cost only this file
                collect([_failed(task, f"校验时出错 (internal error): {type(exc).__name__}: {exc}")], 0)
            else:
                collect(outcomes, rss)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _feed(pool: Any, queue: list[list[Task]], pending: dict[Any, list[Task]], settings: Settings, jobs: int,
          collect: Collect, suspects: list[Task]) -> bool:
    """Keep a few chunks per worker in flight until the queue is empty; True if the pool broke (a
    worker died: which file killed it cannot be told, so every file the pool held goes to
    ``suspects``, to be checked one by one, and the rest of the queue to a new pool)."""
    import concurrent.futures as cf
    from concurrent.futures.process import BrokenProcessPool

    while queue or pending:
        while queue and len(pending) < jobs * 2:
            chunk = queue.pop()
            pending[pool.submit(check_chunk, chunk, settings)] = chunk
        finished, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
        broken = False
        for future in finished:
            chunk = pending.pop(future)
            try:
                outcomes, rss = future.result()
            except BrokenProcessPool:
                broken = True
                suspects.extend(chunk)
            except Exception as exc:  # a bug must cost only the chunk's files, not the run
                collect([_failed(t, f"校验时出错 (internal error): {type(exc).__name__}: {exc}") for t in chunk], 0)
            else:
                collect(outcomes, rss)
        if broken:
            for chunk in pending.values():
                suspects.extend(chunk)
            pending.clear()
            return True
    return False


def _drain(pending: dict[Any, list[Task]], collect: Collect) -> None:
    """After Ctrl-C: keep what the workers finish of the chunks they already hold; a second Ctrl-C
    stops waiting."""
    import concurrent.futures as cf

    for future in list(pending):
        if future.cancel():
            pending.pop(future)
    try:
        for future in cf.as_completed(list(pending)):
            pending.pop(future)
            try:
                outcomes, rss = future.result()
            except Exception:  # an interrupted chunk is simply not in the summary
                continue
            collect(outcomes, rss)
    except KeyboardInterrupt:
        pass


def _run_dask(tasks: Sequence[Task], settings: Settings, address: str, collect: Collect) -> bool:
    try:
        import distributed
    except ImportError:
        raise ExecutorError("--executor dask 需要安装 dask：pip install 'xlcheck[cluster]' "
                            "(dask[distributed] is not installed)") from None
    dist: Any = distributed  # untyped
    try:
        client = dist.Client(address, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False)
    except Exception as exc:  # OSError, TimeoutError, ValueError for a malformed address
        raise ExecutorError(f"无法连接 Dask 调度器 {address}：{exc} (cannot reach the scheduler)") from None
    futures: dict[Any, list[Task]] = {}
    try:
        workers = max(1, sum(client.nthreads().values()))
        for chunk in _chunks(tasks, workers, 32):
            futures[client.submit(check_chunk, chunk, settings, pure=False)] = chunk
        try:
            for future in dist.as_completed(list(futures), loop=client.loop):
                chunk = futures.pop(future)
                try:
                    outcomes, rss = future.result()
                except Exception as exc:  # a lost worker or a bug: the chunk's files are reported
                    collect([_failed(t, f"集群校验出错 (cluster error): {type(exc).__name__}: {exc}")
                             for t in chunk], 0)
                else:
                    collect(outcomes, rss)
        except KeyboardInterrupt:
            for future, _chunk in list(futures.items()):
                if future.status == "finished":
                    outcomes, rss = future.result()
                    collect(outcomes, rss)
            client.cancel(list(futures))
            return True
    finally:
        client.close()
    return False
