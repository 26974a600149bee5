"""Checking many workbooks: which files a command line names, and running the checks over them.

* :func:`expand` turns the command line's inputs (files, folders, globs, ``@list.txt``) into the
  workbooks to check: folders are walked recursively, skipping hidden files and folders, Office lock
  files (``~$*``) and xlcheck's own outputs (``*.checked.*``, ``*.backup.*``).
* :func:`plan` decides for each workbook where its annotated copy goes (beside it, into a folder
  mirroring the input tree, in place, or nowhere).
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
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .findings import Report
from .reader import SUPPORTED_SUFFIXES

if TYPE_CHECKING:
    from .plugins import Registry

#: How long to wait for a Dask scheduler to answer before giving up.
DASK_CONNECT_TIMEOUT = "10s"
#: Below this many files a local run stays in one process: starting workers costs more than it saves.
MIN_PARALLEL = 8

NONE, BESIDE, IN_PLACE, OUT_DIR = "none", "beside", "in_place", "out_dir"


class InputError(Exception):
    """An input that cannot be expanded (an unreadable list file); the message is for the user."""


class ExecutorError(Exception):
    """The chosen executor cannot run (dask missing, scheduler unreachable); the message is for the user."""


# ------------------------------------------------------------------------------------------------
# Inputs


class Found(NamedTuple):
    """One workbook to check: ``path`` as it will be shown, ``root`` the folder its mirrored copy is
    placed relative to (the folder walked, or the file's own folder)."""

    path: str
    root: str


@dataclass(eq=False)
class Expansion:
    """The workbooks named by the command line's inputs."""

    files: list[Found] = field(default_factory=list)
    #: some input was a folder, a glob or a list file (batch semantics: see ``xlcheck check --help``)
    collected: bool = False
    #: inputs that named nothing to check (an empty folder, a glob matching nothing)
    empty: list[str] = field(default_factory=list)
    #: folders the walk could not read, with the reason (their files are not checked)
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def is_workbook_name(name: str, *, walking: bool = False) -> bool:
    """A name worth checking: a workbook, or a published report (web page, Word, PDF; text too, except
    in a folder walk, where a .txt is more often a note than a report)."""
    from .published import is_published_name

    return name.lower().endswith(SUPPORTED_SUFFIXES) or is_published_name(name, walking=walking)


def skipped_name(name: str) -> bool:
    """Names a folder walk passes over: hidden, Office/WPS lock files, xlcheck's own outputs."""
    if name.startswith((".", "~$")):
        return True
    stem = name.rsplit(".", 1)[0]
    if stem.endswith(".checked"):
        return True
    _head, dot, tail = stem.rpartition(".backup")
    return bool(dot) and (tail == "" or (tail.startswith("-") and tail[1:].isdigit()))


def _hidden(path: str) -> bool:
    """Hidden by the Windows attribute (names starting with a dot are caught by ``skipped_name``)."""
    attributes = getattr(os.stat(path, follow_symlinks=False), "st_file_attributes", 0)
    return bool(attributes & 0x2)  # FILE_ATTRIBUTE_HIDDEN


def _walk(top: str, exclude: str | None, unreadable: list[tuple[str, str]] | None = None) -> Iterator[str]:
    def failed(exc: OSError) -> None:
        if unreadable is not None:
            unreadable.append((exc.filename if isinstance(exc.filename, str) else top, exc.strerror or str(exc)))

    for folder, dirs, files in os.walk(top, onerror=failed):
        kept = []
        for d in sorted(dirs):
            full = os.path.join(folder, d)
            if d.startswith(".") or _hidden(full):
                continue
            if exclude is not None and os.path.abspath(full) == exclude:
                continue
            kept.append(d)
        dirs[:] = kept
        for name in sorted(files):
            full = os.path.join(folder, name)
            if is_workbook_name(name, walking=True) and not skipped_name(name) and not _hidden(full):
                yield full


def _has_magic(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def _read_list(name: str) -> list[str]:
    try:
        data = Path(name).read_bytes()
    except OSError as exc:
        raise InputError(f"无法读取文件列表 {name}：{exc.strerror} (cannot read list file)") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # a list saved by Notepad on a Chinese Windows
        text = data.decode("gb18030", errors="replace")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def expand(inputs: Sequence[str], *, exclude: str | os.PathLike[str] | None = None) -> Expansion:
    """The workbooks named by ``inputs``, in order, each once.

    A folder is walked recursively; a pattern with ``*``/``?``/``[`` that is not itself an existing path
    is expanded (``**`` reaches into subfolders); ``@FILE`` reads one input per line (blank lines and
    ``#`` comments skipped; paths relative to the current folder). A plain path is kept as given, even
    when it does not exist, so its report says why it could not be checked. ``exclude`` is a folder the
    walk never enters (the output folder, when it lies inside the input tree).
    """
    import glob

    out = Expansion()
    skip = os.path.abspath(exclude) if exclude is not None else None
    seen: set[str] = set()

    def add(path: str, root: str) -> None:
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            out.files.append(Found(path, root))

    def one(arg: str) -> None:
        if os.path.isdir(arg):
            out.collected = True
            before = len(out.files)
            for path in _walk(arg, skip, out.unreadable):
                add(path, arg)
            if len(out.files) == before:
                out.empty.append(arg)
        elif _has_magic(arg) and not os.path.exists(arg):
            out.collected = True
            before = len(out.files)
            for match in sorted(glob.glob(arg, recursive=True)):
                if os.path.isdir(match):
                    for path in _walk(match, skip, out.unreadable):
                        add(path, match)
                elif is_workbook_name(os.path.basename(match)) and not skipped_name(os.path.basename(match)):
                    add(match, os.path.dirname(match) or ".")
            if len(out.files) == before:
                out.empty.append(arg)
        else:
            add(arg, os.path.dirname(arg) or ".")

    for arg in inputs:
        if arg.startswith("@") and len(arg) > 1:
            out.collected = True
            entries = _read_list(arg[1:])
            if not entries:
                out.empty.append(arg)
            for entry in entries:
                one(entry)
        else:
            one(arg)
    return out


# ------------------------------------------------------------------------------------------------
# What to do with each file


class Settings(NamedTuple):
    """What every worker needs to check a file the way the command line asked; pickles."""

    rules: str = "national"
    year: int | None = None
    #: ``-p`` options: plugin modules to load, ``no:NAME`` to block
    plugins: tuple[str, ...] = ()
    #: ``none`` / ``beside`` (NAME.checked.xlsx, or ``output``) / ``in_place`` / ``out_dir``
    annotate: str = NONE
    #: with ``annotate="beside"``: the annotated copy's path (one file only)
    output: str | None = None
    #: keep each report's values (``Report.values``) for pairing years and the aggregate
    keep_values: bool = False
    #: a roster (``xlcheck.roster.Roster``) giving each unit's 行政层级 to the rules
    roster: Any = None


@dataclass(frozen=True)
class Task:
    """One file to check: ``path`` as shown, ``source`` as opened, ``target`` where its copy goes
    (``out_dir`` mode; ``target_shown`` is how the copy's path is shown)."""

    index: int
    path: str
    source: str
    target: str | None = None
    target_shown: str | None = None
    #: last year's report, read to compare with and not checked itself (``--previous``)
    reference: bool = False
    #: already checked (the cross-year rules ran in the parent): only its annotated copy is left to write
    report: Report | None = None


@dataclass
class Outcome:
    """What checking one file produced."""

    index: int
    report: Report
    #: the annotated workbook to link to, when one was written
    copy: str | None = None
    #: why the annotated copy could not be written
    write_error: str | None = None


@dataclass(eq=False)
class BatchResult:
    """What a run produced."""

    #: one per finished file, in input order
    outcomes: list[Outcome]
    #: how many files the run was asked to check
    total: int
    interrupted: bool = False
    #: the largest peak resident memory of any process that checked files (bytes)
    peak_rss: int = 0

    @property
    def reports(self) -> list[Report]:
        return [o.report for o in self.outcomes]


def plan(files: Sequence[Found], settings: Settings, out_dir: str | os.PathLike[str] | None = None,
         *, absolute: bool = False) -> list[Task]:
    """One task per file; with ``out_dir``, each copy goes to the same place in a tree mirroring the
    inputs (below the folder all inputs have in common) as ``NAME.checked.xlsx``. ``absolute`` makes the
    paths workers open absolute (remote workers do not share our current folder).

    No two inputs ever write one output: when ``报告.xls``, ``报告.xlsx`` and ``报告.ods`` would all
    become ``报告.checked.xlsx``, the one already in that format keeps the name and the others keep
    their own suffix in theirs (``报告.xls.checked.xlsx``)."""
    from .annotated_copy import default_output

    def opened(p: str) -> str:
        return os.path.abspath(p) if absolute else p

    common = None
    if out_dir is not None and files:
        common = os.path.commonpath([os.path.abspath(f.root) for f in files])
    wanted: list[str | None] = []
    for found in files:
        if out_dir is not None and common is not None:
            rel = os.path.relpath(os.path.abspath(found.path), common)
            if rel.startswith(os.pardir):  # a file outside its root (a glob with ..): keep its name only
                rel = os.path.basename(found.path)
            wanted.append(str(default_output(Path(out_dir) / rel)))
        elif settings.annotate == BESIDE and settings.output is None:
            wanted.append(str(default_output(found.path)))
        elif settings.annotate == IN_PLACE and not found.path.lower().endswith((".xlsx", ".xlsm")):
            wanted.append(str(default_output(found.path)))  # a legacy workbook's marked copy
        else:
            wanted.append(None)
    renamed = _without_collisions(files, wanted)
    tasks = []
    for i, found in enumerate(files):
        shown = wanted[i] if out_dir is not None else renamed.get(i)
        target = opened(shown) if shown is not None else None
        tasks.append(Task(i, found.path, opened(found.path), target, shown))
    return tasks


def _without_collisions(files: Sequence[Found], wanted: list[str | None]) -> dict[int, str]:
    """Rename (in ``wanted``) every output two inputs would share; return the renamed ones by index."""
    by_target: dict[str, list[int]] = {}
    for i, target in enumerate(wanted):
        if target is not None:
            by_target.setdefault(os.path.normcase(os.path.abspath(target)), []).append(i)
    taken = set(by_target)
    renamed: dict[int, str] = {}
    for group in by_target.values():
        if len(group) < 2:
            continue
        suffix = Path(str(wanted[group[0]])).suffix.lower()
        # the input already in the copy's format keeps the plain name
        keeper = next((i for i in group if files[i].path.lower().endswith(suffix)), group[0])
        for i in group:
            if i == keeper:
                continue
            plain = Path(str(wanted[i]))
            source_suffix = Path(files[i].path).suffix
            stem = plain.name[: -len(".checked" + plain.suffix)]
            n = 1
            while True:
                extra = source_suffix + (f"-{n}" if n > 1 else "")
                candidate = str(plain.with_name(f"{stem}{extra}.checked{plain.suffix}"))
                key = os.path.normcase(os.path.abspath(candidate))
                if key not in taken:
                    break
                n += 1
            taken.add(key)
            wanted[i] = renamed[i] = candidate
    return renamed


# ------------------------------------------------------------------------------------------------
# Checking one file, in whichever process


_local = threading.local()
#: registries built before forking, inherited by forked pool workers
_inherited: dict[tuple[str, tuple[str, ...]], Registry] = {}


def _registry_for(settings: Settings) -> Registry:
    """This thread's registry for ``settings``: plugins loaded and the rule set compiled once.

    Per thread because a compiled rule keeps its Cerberus validator, which is not thread-safe.
    """
    cache: dict[tuple[str, tuple[str, ...]], Registry] = _local.__dict__.setdefault("registries", {})
    key = (settings.rules, settings.plugins)
    registry = cache.get(key)
    if registry is None:
        registry = _inherited.pop(key, None)
        if registry is None:
            from .plugins import load_options

            registry = load_options(settings.plugins)
        registry.compiled(settings.rules)
        cache[key] = registry
    return registry


def check_task(task: Task, settings: Settings, registry: Registry) -> Outcome:
    """Check one file and write its annotated copy as ``settings`` says; never raises for a bad file."""
    from .check import check, read_values

    if task.reference:
        report = read_values(task.source, rules=settings.rules, registry=registry)
        report.path = task.path
        if report.values is not None:
            report.values.path = task.path
        return Outcome(task.index, report)
    if task.report is not None:
        report = task.report
        report.path = task.source
    else:
        roster = settings.roster
        report = check(task.source, rules=settings.rules, year=settings.year, registry=registry,
                       unit_level=roster.level_for if roster is not None else None,
                       keep_values=settings.keep_values)
        if report.values is not None:
            report.values.path = task.path
    outcome = Outcome(task.index, report)
    mode = settings.annotate
    # copies only of files with findings in a folder run; a file marked in place only when there is
    # something to mark or earlier marks to take away (else every run would leave another backup)
    wanted = mode != NONE and report.error is None and not _published(task.source) and (
        mode == BESIDE or bool(report.findings) or (mode == IN_PLACE and report.marked))
    if wanted:
        try:
            _annotate(outcome, task, settings)
        except Exception as exc:  # a failed copy must not stop the other files
            outcome.write_error = str(exc) or type(exc).__name__
    report.path = task.path
    return outcome


def _published(path: str) -> bool:
    from .annotated_copy import is_published_source

    return is_published_source(path)


def _annotate(outcome: Outcome, task: Task, settings: Settings) -> None:
    from .annotated_copy import annotate, annotate_in_place, conversion_note, default_output, needs_conversion

    report = outcome.report
    if settings.annotate == IN_PLACE:
        marked, backup = annotate_in_place(report, task.target)
        if needs_conversion(task.source):  # a legacy workbook is left alone and marked as a new .xlsx
            report.annotated = outcome.copy = str(marked)
        else:
            shown = str(marked) if task.source == task.path else task.path
            report.annotated = f"{shown}（原文件已备份为 {backup.name}）"
            outcome.copy = task.path
    elif settings.annotate == OUT_DIR:
        assert task.target is not None and task.target_shown is not None
        Path(task.target).parent.mkdir(parents=True, exist_ok=True)
        annotate(report, task.target)
        report.annotated = outcome.copy = task.target_shown
    else:
        output = settings.output if settings.output is not None else task.target
        written = annotate(report, output)
        shown = (settings.output if settings.output is not None else task.target_shown
                 if task.target_shown is not None else str(default_output(task.path)))
        report.annotated = outcome.copy = shown if task.source != task.path else str(written)
    if report.annotated is not None:
        # an .xls/.ods copy is a new .xlsx: say so beside its path
        report.annotated += conversion_note(task.source)


def _rss() -> int:
    """Peak resident memory of this process in bytes (0 where ``resource`` is missing: Windows)."""
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def check_chunk(tasks: Sequence[Task], settings: Settings) -> tuple[list[Outcome], int]:
    """A worker's unit of work (process pool and Dask): outcomes and the worker's peak memory."""
    registry = _registry_for(settings)
    return [check_task(t, settings, registry) for t in tasks], _rss()


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


Progress = Callable[[Outcome], None]


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
        registry = _registry_for(settings)
    try:
        for task in tasks:
            outcome = check_task(task, settings, registry)
            collect([outcome], 0)
    except KeyboardInterrupt:
        return True
    finally:
        if tasks:
            collect([], _rss())
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
        _inherited[(settings.rules, settings.plugins)] = registry
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
        _inherited.clear()
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
