"""Where replications run: local processes by default, or an existing Dask cluster.

Both are `concurrent.futures` executors, and every replication draws only from its own
seeded streams, so the numbers do not depend on which one ran them. A Dask scheduler is
named with `--scheduler tcp://HOST:PORT` or the `L2CSIM_DASK_SCHEDULER` variable; one that
does not answer within the timeout is a clear error, never a hang. The workers need l2csim
installed (the same version) to unpickle the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

from l2csim.errors import InputError

SCHEDULER_ENV = "L2CSIM_DASK_SCHEDULER"
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Backend:
    """What runs the work: None means in this process, one replication after another."""

    executor: Executor | None
    description: str
    workers: int


def scheduler_address(scheduler: str | None) -> str | None:
    """The scheduler given, else the environment's, else None (local processes)."""
    return scheduler or os.environ.get(SCHEDULER_ENV) or None


@contextlib.contextmanager
def backend(
    jobs: int = 0, scheduler: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Iterator[Backend]:
    """An executor for the duration of a run, shut down afterwards.

    jobs: local processes (0: one per core; 1: no pool at all). scheduler: a Dask
    scheduler address, which takes precedence over jobs.
    """
    address = scheduler_address(scheduler)
    if address is not None:
        with _dask(address, timeout) as found:
            yield found
        return
    jobs = jobs if jobs > 0 else os.cpu_count() or 1
    if jobs <= 1:
        yield Backend(None, "1 local process", 1)
        return
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=die_with_parent)
    try:
        yield Backend(pool, f"{jobs} local processes", jobs)
    except BaseException:
        stop_workers(pool)  # interrupted: do not wait for replications under way
        raise
    finally:
        pool.shutdown(cancel_futures=True)


def die_with_parent() -> None:
    """In a worker process: end when the process that started it ends, even by SIGKILL, so
    no worker outlives a killed run (Linux; elsewhere the pool's own clean-up applies)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's "stop cleanly" handler
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # it died before prctl took effect
        os._exit(1)


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate a pool's worker processes now (they would finish their replication first)."""
    processes = list(getattr(pool, "_processes", {}).values())  # the pool keeps no public list
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()


async def _probe(address: str, timeout: float) -> None:
    """Ask the scheduler who it is. dask's own connect timeout does not cover a peer that
    accepts the connection and then stays silent, so the whole exchange is bounded here."""
    from distributed.comm import connect

    comm = await connect(address, timeout=timeout)
    try:
        await comm.write({"op": "identity", "reply": True})
        await comm.read()
    finally:
        await comm.close()


@contextlib.contextmanager
def _dask(address: str, timeout: float) -> Iterator[Backend]:
    if "://" not in address:
        raise InputError(
            f"--scheduler {address!r}: give the scheduler's address as tcp://HOST:PORT "
            f"(or set {SCHEDULER_ENV})."
        )
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise InputError("--scheduler needs dask.distributed: pip install distributed") from None
    try:
        asyncio.run(asyncio.wait_for(_probe(address, timeout), timeout))
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise InputError(
            f"--scheduler {address}: no Dask scheduler answered within {timeout:g} s "
            f"({type(error).__name__}); check the address and that `dask scheduler` runs "
            f"there, or leave out --scheduler (and {SCHEDULER_ENV}) to run locally."
        ) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # a peer that is not a Dask scheduler answers nonsense
        raise InputError(
            f"--scheduler {address}: what answers there is not a Dask scheduler "
            f"({type(error).__name__}); check the host and port of `dask scheduler`, or leave "
            f"out --scheduler (and {SCHEDULER_ENV}) to run locally."
        ) from None
    try:
        workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        yield Backend(client.get_executor(pure=False), f"Dask at {address}", workers)
    finally:
        client.close()
