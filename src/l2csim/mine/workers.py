"""Where `l2csim mine` does its pm4py work: in worker processes, beside the maps.

pm4py's model discovery and conformance checking need only the variant counts and the
documented model, not the events, so they run in other processes while this one draws the
maps; with one job everything runs here, one step after another, and the outputs are
byte-identical either way (every step is deterministic and seeded).

Workers are started (spawned: a fresh interpreter that imports pm4py, about 1.8 s of a CPU)
on the first task, once the log has been read: while rustxes parses a log its process holds
the most memory, and a worker importing pm4py beside it would add to that peak. They never
hold a copy of the log.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from l2csim.executors import die_with_parent, stop_workers
from l2csim.mine.conformance import (
    Conformance,
    ReferenceStructure,
    Variant,
    check_conformance,
    load_reference,
    reference_structure,
)


def worker_count(jobs: int) -> int:
    """Worker processes for `jobs` (0: one per core): the jobs beyond this process, at most
    two (there are two pm4py tasks of any size: discovery and conformance)."""
    jobs = jobs if jobs > 0 else os.cpu_count() or 1
    return min(jobs - 1, 2)


@contextlib.contextmanager
def mining_pool(jobs: int) -> Iterator[Executor | None]:
    """Worker processes for `mine` (None with one job: everything in this process); they
    start on the first task submitted."""
    workers = worker_count(jobs)
    if workers < 1:
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=die_with_parent)  # fmt: skip
    try:
        yield pool
    except BaseException:
        stop_workers(pool)
        raise
    finally:
        pool.shutdown(cancel_futures=True)


def submit(pool: Executor | None, task: Callable[..., Any], *args: Any) -> Future:
    """Run `task` in the pool, or (without one) here, when its result is first asked for."""
    if pool is not None:
        return pool.submit(task, *args)
    return _Later(task, args)


class _Later(Future):
    """A future computed in this process on the first `result()`: with one job, steps run
    where and when the sequential code would have run them."""

    def __init__(self, task: Callable[..., Any], args: tuple[Any, ...]) -> None:
        super().__init__()
        self._task, self._args = task, args

    def result(self, timeout: float | None = None) -> Any:
        if not self.done():
            try:
                self.set_result(self._task(*self._args))
            except BaseException as error:
                self.set_exception(error)
        return super().result(timeout)


# --- the tasks (module-level functions, so a worker can unpickle them) ------------------


def structure_task(path: Path) -> ReferenceStructure:
    """The documented process's activities, mandatory steps and precedence."""
    return reference_structure(load_reference(path))


def model_task(variants: Counter, noise_threshold: float) -> tuple[str, str]:
    """The discovered process: its BPMN XML (laid out) and the DOT of its picture."""
    from l2csim.mine.bpmn import bpmn_dot, bpmn_xml, discover_bpmn

    model = discover_bpmn(variants, noise_threshold)
    return bpmn_xml(model), bpmn_dot(model).source


def conformance_task(
    path: Path, ranked: list[tuple[Variant, int]], limits: dict[str, Any]
) -> Conformance:
    """Fitness of the variants to the documented process, bounded by `limits`."""
    return check_conformance(ranked, load_reference(path), **limits)
