"""Where `l2csim mine` does its pm4py work: in worker processes, beside the maps.

pm4py's model discovery and conformance checking need only the variant counts and the
documented model, not the events, so they run in other processes while this one reads the
log and draws the maps; with one job everything runs here, one step after another, and the
outputs are byte-identical either way (every step is deterministic and seeded).

Workers are forked from a fork server that has imported pm4py once (about 1.8 s of a CPU),
while the log is being read; they never hold a copy of the log.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from l2csim.executors import stop_workers
from l2csim.mine.conformance import (
    Conformance,
    ReferenceStructure,
    Variant,
    check_conformance,
    load_reference,
    reference_structure,
)

PRELOAD = "l2csim.mine.preload"  # imports pm4py quietly: the fork server's one import


def worker_count(jobs: int) -> int:
    """Worker processes for `jobs` (0: one per core): the jobs beyond this process, at most
    two (there are two pm4py tasks of any size: discovery and conformance)."""
    jobs = jobs if jobs > 0 else os.cpu_count() or 1
    return min(jobs - 1, 2)


@contextlib.contextmanager
def mining_pool(jobs: int) -> Iterator[Executor | None]:
    """Worker processes for `mine` (None with one job: everything in this process)."""
    workers = worker_count(jobs)
    if workers < 1:
        yield None
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload([PRELOAD])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_end_with_server)  # fmt: skip
    # Starting the workers waits for the fork server's import of pm4py: done from a thread,
    # so this process reads the log meanwhile.
    starting = threading.Thread(target=pool.submit, args=(warm_up,), daemon=True)
    starting.start()
    try:
        yield pool
    except BaseException:
        stop_workers(pool)
        raise
    finally:
        pool.shutdown(cancel_futures=True)


def _end_with_server() -> None:
    """In a worker: end when the process that forked it ends, even by SIGKILL (Linux). That
    is the fork server, which ends when `mine` does (executors.die_with_parent would take the
    fork server for a dead parent and exit at once)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


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


def warm_up() -> None:
    """Start the workers (and the fork server's import of pm4py) before they are needed."""
    from l2csim.pm4py_adapter import pm4py

    pm4py()


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
