"""A reviewer's batch: checking this year's workbooks, pairing them with last year's and running the
cross-year rules, then writing the annotated copies.

1. every workbook is checked (and every ``--previous`` workbook read, not checked) by the batch
   executor chosen — in this process, a process pool or on Dask — each keeping its values; last
   year's workbooks the cache holds unchanged (``xlcheck.yearcache``) are taken from it here, and
   what the workers read is kept in it;
2. here, in this process: reports are paired with last year's and the cross-year rules run
   (``xlcheck.pairing``), from the values the workers returned;
3. the annotated copies are written by the same executor, now that every finding is known.

No workbook is read twice for checking; the annotated copy reads its workbook once, as always.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from . import batch

if TYPE_CHECKING:
    from .plugins import Registry


@dataclass(eq=False)
class ReviewResult:
    """What a reviewer's run produced: the batch result of this year's files, last year's reports
    read to compare with, and whether reports were paired at all."""

    result: batch.BatchResult
    previous: list[batch.Outcome]
    paired: bool
    #: the roster status (``xlcheck.roster.Status``), with ``--roster``
    roster: list[Any] | None = None
    #: the aggregate written (``xlcheck.aggregate.Aggregate``), with ``--aggregate``
    aggregate: Any = None
    aggregate_failed: bool = False


def run(tasks: Sequence[batch.Task], previous: Sequence[batch.Task], settings: batch.Settings, *,
        registry: Registry, explicit: bool, jobs: int | None = None, scheduler: str | None = None,
        on_outcome: batch.Progress | None = None, on_annotated: batch.Progress | None = None) -> ReviewResult:
    """Check ``tasks`` and read ``previous`` (last year's workbooks, named with ``--previous``:
    ``explicit``), pair and compare the years, then annotate as ``settings`` says."""
    from .pairing import compare_years

    n = len(tasks)
    references = [replace(t, index=n + i, reference=True) for i, t in enumerate(previous)]
    cached = _cached(references, settings, registry)
    unreported = list(cached.values()) if on_outcome is not None else []
    tell = on_outcome or (lambda outcome: None)

    def progress(outcome: batch.Outcome) -> None:
        # the cached reports count with the first result: a progress bar starts its thread then,
        # and must not before the workers are forked
        while unreported:
            tell(unreported.pop())
        tell(outcome)

    checking = settings._replace(annotate=batch.NONE, keep_values=True)
    first = batch.run([*tasks, *(t for t in references if t.index not in cached)], checking, registry=registry,
                      jobs=jobs, scheduler=scheduler, on_outcome=progress if on_outcome is not None else None)
    while unreported:  # nothing was left to check or read
        tell(unreported.pop())
    outcomes = [o for o in first.outcomes if o.index < n]
    read = [o for o in first.outcomes if o.index >= n]
    if settings.cache:  # what was read before a Ctrl-C is as good as the rest
        from .tasks import year_cache

        year_cache(settings.rules, registry).keep(o.entry for o in read)
        for outcome in read:  # kept: the run has no more use for the text
            outcome.entry = None
    before = sorted([*read, *cached.values()], key=lambda o: o.index)
    paired = compare_years([o.report for o in outcomes], [o.report for o in before], registry=registry,
                           rules=settings.rules, explicit=explicit)
    peak, interrupted = first.peak_rss, first.interrupted
    if settings.annotate != batch.NONE and not first.interrupted:
        by_index = {t.index: t for t in tasks}
        # the values stay here (the aggregate needs them); the workers need the findings only
        second = [replace(by_index[o.index], report=replace(o.report, values=None)) for o in outcomes
                  if o.report.error is None]
        written = batch.run(second, settings, registry=registry, jobs=jobs, scheduler=scheduler,
                            on_outcome=on_annotated)
        peak, interrupted = max(peak, written.peak_rss), written.interrupted
        mine = {o.index: o for o in outcomes}
        for done in written.outcomes:
            outcome = mine[done.index]
            outcome.copy, outcome.write_error = done.copy, done.write_error
            outcome.report.annotated = done.report.annotated
            if done.report.error is not None and outcome.report.error is None:  # the worker died
                outcome.write_error = done.report.error
    result = batch.BatchResult(outcomes, n, interrupted, peak)
    return ReviewResult(result, before, paired)


def _cached(references: Sequence[batch.Task], settings: batch.Settings, registry: Registry) -> dict[int, batch.Outcome]:
    """Last year's reports the cache holds (``settings.cache``), by index: looked up here, so that
    the workers get only the workbooks that have to be read."""
    if not settings.cache or not references:
        return {}
    from .tasks import year_cache

    found = {}
    for task, report in zip(references, year_cache(settings.rules, registry).lookup([t.source for t in references]),
                            strict=True):
        if report is not None:
            report.path = task.path
            if report.values is not None:
                report.values.path = task.path
            found[task.index] = batch.Outcome(task.index, report)
    return found
