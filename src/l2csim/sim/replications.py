"""Replications: run one scenario N times with independent, reproducible random streams.

Replication i always uses the streams of `SeedSequence(seed, spawn_key=(i,))` (see
streams.py), whichever scenario runs, however many replications run and whichever executor
runs them: the same replication index meets the same arrivals, paths and durations in every
scenario (common random numbers), and results are identical on 1 or many processes.
With parameter draws (`RunSpec.draws`, the fit's uncertainty, see l2csim.draws) replication
i also runs on draw i mod B in every scenario (common draws), so differences stay paired.
`run_replication` is a top-level function of picklable data, so any
`concurrent.futures.Executor` (a process pool, or a Dask client's executor) can run it.

The cyclic garbage collector is off while a replication runs (`gc_paused`): the model makes
few reference cycles, but thousands of waiting orders make every automatic collection scan
them all again (55-65 % of the CPU under overload). One collection afterwards frees what the
replication left behind.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import pandas as pd

from l2csim.draws import ParameterSet, apply_draw
from l2csim.params import ModelParams
from l2csim.policy import Policy
from l2csim.sim.calendars import origin
from l2csim.sim.kpis import NO_KEY, Row
from l2csim.sim.model import Simulation
from l2csim.sim.streams import replication_streams

KPI_COLUMNS = ["scenario", "replication", "kpi", "tier", "segment", "pool", "week", "day", "value"]


@dataclass(frozen=True)
class RunSpec:
    """Everything one replication needs, as plain picklable data."""

    params: ModelParams
    policy: Policy
    scenario: str = "baseline"
    seed: int = 0
    horizon_hours: float = 365 * 24.0
    warmup_hours: float = 30 * 24.0
    event_log: bool = False
    intake: tuple[float, float] | None = None  # orders arrive only in these hours
    draws: tuple[ParameterSet, ...] = ()  # replication i runs on draws[i % len(draws)]
    closures: bool = False  # close on the model's closed days (Simulation: forecasts do)

    def params_for(self, replication: int) -> ModelParams:
        """The model replication `replication` runs on: the fitted one, or its draw."""
        if not self.draws:
            return self.params
        return apply_draw(self.params, self.draws[replication % len(self.draws)])


@dataclass(frozen=True)
class ReplicationResult:
    replication: int
    rows: list[Row]
    events: int
    orders: int
    seconds: float
    event_columns: dict | None = None  # the event log's columns (Simulation.event_columns)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic cyclic garbage collection inside; one collection of what was made inside
    on the way out, error or not; the collector's state restored as it was.

    Objects that existed before are frozen meanwhile (unless the caller froze some itself),
    so the collection afterwards scans only the replication's objects, not the whole process
    (pandas, the fitted model, earlier results).
    """
    enabled = gc.isenabled()
    freeze = gc.get_freeze_count() == 0
    gc.disable()
    if freeze:
        gc.freeze()
    try:
        yield
    finally:
        try:
            gc.collect()
        finally:
            if freeze:
                gc.unfreeze()
            if enabled:
                gc.enable()


def run_replication(spec: RunSpec, replication: int) -> ReplicationResult:
    """Run replication `replication` of the spec from its own streams (see `gc_paused`)."""
    with gc_paused():
        return _replication(spec, replication)


def _replication(spec: RunSpec, replication: int) -> ReplicationResult:
    began = time.perf_counter()
    sim = Simulation(
        spec.params_for(replication),
        spec.policy,
        replication_streams(spec.seed, replication),
        horizon=spec.horizon_hours,
        warmup=spec.warmup_hours,
        event_log=spec.event_log,
        intake=spec.intake,
        closures=spec.closures,
    )
    tracker = sim.run()
    rows = tracker.rows(sim.pools)
    events = sim.event_columns(replication, origin(spec.params)) if spec.event_log else None
    for pool in sim.pools:
        pool.close()  # orders still waiting go now, by reference counting (see StaffPool)
    return ReplicationResult(
        replication,
        rows,
        tracker.events,
        sim.orders_created,
        time.perf_counter() - began,
        events,
    )


def run_replications(
    spec: RunSpec,
    replications: int,
    *,
    jobs: int = 1,
    executor: Executor | None = None,
    first: int = 0,
    on_done: Callable[[ReplicationResult], None] | None = None,
) -> list[ReplicationResult]:
    """Run replications first..first+n-1, in parallel when jobs > 1 or an executor is given.

    Results come back sorted by replication index, so the output does not depend on which
    worker finished first.
    """
    indices = range(first, first + replications)
    results: list[ReplicationResult] = []
    if executor is None and (jobs <= 1 or replications <= 1):
        for i in indices:
            result = run_replication(spec, i)
            results.append(result)
            if on_done:
                on_done(result)
        return results
    own = executor is None
    pool = executor or ProcessPoolExecutor(max_workers=min(jobs, replications))
    try:
        futures = [pool.submit(run_replication, spec, i) for i in indices]
        for future in futures:
            result = future.result()
            results.append(result)
            if on_done:
                on_done(result)
    finally:
        if own:
            pool.shutdown(cancel_futures=True)
    return sorted(results, key=lambda r: r.replication)


def replications_as_done(
    spec: RunSpec, replications: int, *, executor: Executor | None = None
) -> Iterator[ReplicationResult]:
    """Replications 0..n-1, submitted now, yielded as each finishes (on an executor they run
    while the caller does other work, and the caller can use each as it comes; without one
    they run one after another as asked for). Each draws only from its own streams, so what
    the caller makes of one does not depend on the order they come in."""
    if executor is None:
        return (run_replication(spec, i) for i in range(replications))
    futures = [executor.submit(run_replication, spec, i) for i in range(replications)]
    return (future.result() for future in as_completed(futures))


def run_many(
    specs: list[RunSpec],
    replications: int,
    *,
    executor: Executor | None = None,
    first: int = 0,
    on_done: Callable[[ReplicationResult], None] | None = None,
) -> list[list[ReplicationResult]]:
    """Replications first..first+n-1 of every spec, all submitted at once (a scenario sweep).

    One list per spec, sorted by replication: scenarios and replications share the workers,
    so a sweep keeps every worker busy, and the results do not depend on the executor.
    """
    indices = range(first, first + replications)
    if executor is None:
        out = []
        for spec in specs:
            out.append(run_replications(spec, replications, first=first, on_done=on_done))
        return out
    futures = [[executor.submit(run_replication, spec, i) for i in indices] for spec in specs]
    out = []
    for row in futures:
        results = []
        for future in row:
            result = future.result()
            results.append(result)
            if on_done:
                on_done(result)
        out.append(sorted(results, key=lambda r: r.replication))
    return out


def kpi_frame(results: list[ReplicationResult], scenario: str) -> pd.DataFrame:
    """The tidy long KPI table: one row per replication x KPI x key (see README)."""
    records = [
        (scenario, r.replication, *row)
        for r in sorted(results, key=lambda r: r.replication)
        for row in r.rows
    ]
    frame = pd.DataFrame.from_records(records, columns=KPI_COLUMNS)
    for column in ("week", "day"):
        frame[column] = frame[column].astype("Int64").mask(frame[column] == NO_KEY)
    return frame
