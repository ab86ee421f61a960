"""The test bed of known operations: structurally different worlds whose truth is known.

Each named operation (`OPERATIONS`) is an independent SimPy model of a lead-to-cash
operation (named people with personal calendars, a customer base with cadences and churn,
chase and courtesy calls, waits nobody works on). `generate_operation` runs one and returns
its event log and truth; `write_operation` writes it as a study folder with the
counterfactual truth of its policies (common random numbers over K seeds) and its demand
headroom; `load_operation` reads such a folder back. Same name, seed, days and policy give
byte-identical files. It imports nothing from `l2csim.sim` or `l2csim.fit`: it is the
world l2csim's model must reproduce, not a copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from l2csim.output import write_json
from l2csim.sample.testbed.counterfactual import counterfactual
from l2csim.sample.testbed.crm import crm_tiers
from l2csim.sample.testbed.eventlog import event_table
from l2csim.sample.testbed.operations import OPERATIONS, operation
from l2csim.sample.testbed.people import leave_plan
from l2csim.sample.testbed.policies import BASELINE, WorldPolicy, policies_for, policy_named
from l2csim.sample.testbed.truth import build_truth
from l2csim.sample.testbed.world import World
from l2csim.sample.testbed.write import EVENT_LOGS, LoadedOperation, load_operation, write_run

MIN_DAYS = 28


@dataclass(frozen=True)
class OperationRun:
    """One generated run: the log (as written, all text), its truth, the CRM list, the world."""

    name: str
    seed: int
    days: int
    policy: WorldPolicy
    events: pd.DataFrame
    truth: dict[str, Any]
    crm_tiers: pd.DataFrame | None
    world: World
    leave: pd.DataFrame  # the staff's planned leave (people.leave_plan)


def list_operations() -> dict[str, str]:
    """Operation name -> its one-line description."""
    return {name: operation(name).description for name in OPERATIONS}


def generate_operation(
    name: str, seed: int = 0, days: int = 365, policy: WorldPolicy | str | None = None
) -> OperationRun:
    """Run operation `name` for `days` days of intake (plus the extraction tail)."""
    spec = operation(name)
    if days < MIN_DAYS:
        raise ValueError(f"days must be at least {MIN_DAYS} (got {days}); cadences need weeks.")
    if isinstance(policy, str):
        policy = policy_named(spec, policy)
    policy = policy or BASELINE
    world = World(spec, seed, days, policy).run()
    events = event_table(world)
    crm = None
    if spec.log.tiers == "crm":
        crm, wrong = crm_tiers(world, set(events[spec.log.column("customer")]))
    truth = build_truth(world, events)
    if crm is not None:
        truth["customers"]["crm"] = {
            "wrong_tiers": wrong,
            "wrong_share": round(len(wrong) / max(1, len(crm)), 6),
        }
    leave = pd.DataFrame(
        leave_plan(world.people, world.clock, world.span, world.holidays),
        columns=["person", "first_day", "last_day"],
    )
    return OperationRun(name, seed, days, policy, events, truth, crm, world, leave)


def write_operation(
    out_dir: str | Path,
    name: str,
    seed: int = 0,
    days: int = 365,
    counterfactual_seeds: int = 5,
    headroom: bool = True,
    jobs: int = 1,
) -> list[Path]:
    """Write operation `name` as a study folder under `out_dir`; return the paths written.

    With `counterfactual_seeds` K > 0 also `<name>_counterfactual.json`: every policy's
    effect on K seeds (the written log is the first seed's baseline) and, with `headroom`,
    the demand factor at which runaway seeds pass 10 %."""
    run = generate_operation(name, seed, days)
    paths = write_run(Path(out_dir), run)
    if counterfactual_seeds > 0:
        truth = counterfactual(name, seed, days, counterfactual_seeds, headroom=headroom, jobs=jobs)
        paths.insert(
            2, write_json(Path(out_dir) / EVENT_LOGS / f"{name}_counterfactual.json", truth)
        )
    return paths


__all__ = [
    "BASELINE",
    "OPERATIONS",
    "LoadedOperation",
    "OperationRun",
    "WorldPolicy",
    "counterfactual",
    "generate_operation",
    "list_operations",
    "load_operation",
    "operation",
    "policies_for",
    "write_operation",
]
