"""One file's work, in whichever process checks it: :func:`plan` decides for each workbook where its
annotated copy goes (beside it, into a folder mirroring the input tree, in place, or nowhere);
:func:`check_task` checks it and writes that copy; :func:`run_here` checks a few files in this process.

Apart from :mod:`xlcheck.batch` (pools, Dask) so that checking one file imports only what it needs.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .findings import Report

if TYPE_CHECKING:
    from .inputs import Found
    from .plugins import Registry
    from .yearcache import YearCache

NONE, BESIDE, IN_PLACE, OUT_DIR = "none", "beside", "in_place", "out_dir"


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
    #: keep the values read from last year's workbooks in the user's cache folder and use them again
    #: while a workbook is unchanged (``xlcheck.yearcache``): the parent looks them up and keeps them,
    #: the workers return what they read as entries
    cache: bool = False


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
    #: last year's report as a line for the parent to keep in the cache (``YearCache.entry``)
    entry: str | None = None


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
    def default_output(path: str | os.PathLike[str]) -> Path:
        from .annotated_copy import default_output

        return default_output(path)

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


_local = threading.local()
#: registries built before forking (:mod:`xlcheck.batch`), inherited by forked pool workers
inherited: dict[tuple[str, tuple[str, ...]], Registry] = {}


def registry_for(settings: Settings, *, freeze: bool = False) -> Registry:
    """This thread's registry for ``settings``: plugins loaded and the rule set compiled once.

    Per thread because a compiled rule keeps its Cerberus validator, which is not thread-safe.
    ``freeze``: a worker process's own load, whose objects live as long as the worker.
    """
    cache: dict[tuple[str, tuple[str, ...]], Registry] = _local.__dict__.setdefault("registries", {})
    key = (settings.rules, settings.plugins)
    registry = cache.get(key)
    if registry is None:
        registry = inherited.pop(key, None)
        if registry is None:
            from .plugins import load_options

            registry = load_options(settings.plugins)
            if freeze:
                registry.compiled(settings.rules)
                import gc

                gc.freeze()  # a worker's plugins stay for its whole life: see cli._registry
        registry.compiled(settings.rules)
        cache[key] = registry
    return registry


def check_task(task: Task, settings: Settings, registry: Registry) -> Outcome:
    """Check one file and write its annotated copy as ``settings`` says; never raises for a bad file."""
    from .check import check, read_values

    if task.reference:  # the parent looked it up in the cache already (xlcheck.review)
        cache = year_cache(settings.rules, registry) if settings.cache else None
        key = cache.key(task.source) if cache is not None else None
        report = read_values(task.source, rules=settings.rules, registry=registry)
        entry = cache.entry(key, report) if cache is not None else None
        report.path = task.path
        if report.values is not None:
            report.values.path = task.path
        return Outcome(task.index, report, entry=entry)
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


#: (id of the registry, rule set) -> (the registry, kept so that its id stays its own; its cache)
_caches: dict[tuple[int, str], tuple[Registry, YearCache]] = {}


def year_cache(rules: str, registry: Registry) -> YearCache:
    """One per process and rule set: its fingerprint reads the plugins' files once."""
    from .yearcache import YearCache, cache_dir, fingerprint

    key = (id(registry), rules)
    hit = _caches.get(key)
    if hit is None or hit[0] is not registry:
        hit = _caches[key] = (registry, YearCache(cache_dir(), fingerprint(registry, rules)))
    return hit[1]


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


def peak_rss() -> int:
    """Peak resident memory of this process in bytes (0 where ``resource`` is missing: Windows)."""
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


Progress = Callable[[Outcome], None]


def run_here(tasks: Sequence[Task], settings: Settings, *, registry: Registry | None = None,
             on_outcome: Progress | None = None) -> BatchResult:
    """Check ``tasks`` one after the other in this process (what :func:`xlcheck.batch.run` does for a
    small run); Ctrl-C ends it early with ``interrupted=True`` and the outcomes finished so far."""
    if registry is None:
        registry = registry_for(settings)
    outcomes: list[Outcome] = []
    interrupted = False
    try:
        for task in tasks:
            outcomes.append(check_task(task, settings, registry))
            if on_outcome is not None:
                on_outcome(outcomes[-1])
    except KeyboardInterrupt:
        interrupted = True
    return BatchResult(outcomes, len(tasks), interrupted, peak_rss() if tasks else 0)
