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
import os
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
    pool = ProcessPoolExecutor(max_workers=jobs)
    try:
        yield Backend(pool, f"{jobs} local processes", jobs)
    finally:
        pool.shutdown(cancel_futures=True)


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
    try:
        workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        yield Backend(client.get_executor(pure=False), f"Dask at {address}", workers)
    finally:
        client.close()
