"""The policies the world can run, and each one as the l2csim scenario that asks for it.

A `WorldPolicy` is plain data: the queue discipline (and whether a chase still expedites),
who gets courtesy calls, extra people per team and a demand factor. `policies_for(spec)`
gives an operation's named policies; `scenario_yaml` writes one as a scenario file that
`extends: baseline.yaml`, with exactly the keys l2csim's Policy reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from l2csim.sample.testbed.spec import KEY_ACCOUNT, OperationSpec

Discipline = Literal["squeaky_wheel", "fifo", "tier_priority", "earliest_promise"]


@dataclass(frozen=True)
class WorldPolicy:
    """How the world is run. The defaults are the as-is operation.

    discipline: `squeaky_wheel` (first come, first served; an order a chase expedited goes
    first), `fifo`, `tier_priority` (top tier first), `earliest_promise` (earliest promised
    deadline first). `expedite_on_chase`: whether a chase escalation can expedite the order
    (None: only under squeaky_wheel). courtesy `as_is` (the informal practice) or `tiers`
    (every milestone the tier's SLA owes, for `courtesy_tiers` only, nobody else).
    """

    name: str = "baseline"
    description: str = "Today's operation (squeaky wheel, informal courtesy calls)."
    discipline: Discipline = "squeaky_wheel"
    expedite_on_chase: bool | None = None
    courtesy: Literal["as_is", "tiers"] = "as_is"
    courtesy_tiers: tuple[str, ...] = ()
    add_staff: tuple[tuple[str, int], ...] = ()
    demand_factor: float = 1.0
    scenario: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def expedites(self) -> bool:
        if self.expedite_on_chase is None:
            return self.discipline == "squeaky_wheel"
        return self.expedite_on_chase

    def extra_staff(self, team: str) -> int:
        return dict(self.add_staff).get(team, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "discipline": self.discipline,
            "expedite_on_chase": self.expedites,
            "courtesy": self.courtesy,
            "courtesy_tiers": list(self.courtesy_tiers),
            "add_staff": dict(self.add_staff),
            "demand_factor": self.demand_factor,
        }


BASELINE = WorldPolicy(
    scenario={
        "discipline": "squeaky_wheel",
        "preemption": False,
        "courtesy": {"rule": "as_is"},
    }
)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def policies_for(spec: OperationSpec) -> list[WorldPolicy]:
    """The operation's policies: priorities, courtesy calls, one more person, more demand."""
    bottleneck_team, bottleneck_activity = spec.bottleneck
    chase_team = spec.calls.chase_team
    # A pool is named by what it does, so it survives a refit that renames pools.
    bottleneck_pool = (
        "role:chase_call" if bottleneck_team == chase_team else f"activity:{bottleneck_activity}"
    )
    out = [
        WorldPolicy(
            name="tier_priority",
            description="Key accounts first in every queue (tier rank order); a chase still "
            "expedites.",
            discipline="tier_priority",
            expedite_on_chase=True,
            scenario={"discipline": "tier_priority", "expedite_on_chase": True},
        ),
        WorldPolicy(
            name="key_accounts_first_with_calls",
            description="Tier priority everywhere (a chase still expedites) and courtesy calls "
            "for key accounts only, at every milestone their SLA owes.",
            discipline="tier_priority",
            expedite_on_chase=True,
            courtesy="tiers",
            courtesy_tiers=(KEY_ACCOUNT,),
            scenario={
                "discipline": "tier_priority",
                "expedite_on_chase": True,
                "courtesy": {"rule": "tiers", "tiers": [KEY_ACCOUNT]},
            },
        ),
        WorldPolicy(
            name="key_account_calls",
            description="Courtesy calls for key accounts only, at every milestone their SLA "
            "owes; nobody else is called.",
            courtesy="tiers",
            courtesy_tiers=(KEY_ACCOUNT,),
            scenario={"courtesy": {"rule": "tiers", "tiers": [KEY_ACCOUNT]}},
        ),
        WorldPolicy(
            name="earliest_promise",
            description="Every queue serves the earliest promised delivery first.",
            discipline="earliest_promise",
            scenario={"discipline": "earliest_promise"},
        ),
        WorldPolicy(
            name=f"one_more_{slug(bottleneck_team)}",
            description=f"One more person in {bottleneck_team} (the bottleneck).",
            add_staff=((bottleneck_team, 1),),
            scenario={"staffing": {"pools": {bottleneck_pool: {"add": 1}}}},
        ),
    ]
    if chase_team != bottleneck_team:
        out.append(
            WorldPolicy(
                name=f"one_more_{slug(chase_team)}",
                description=f"One more person in {chase_team} (who answers chase calls).",
                add_staff=((chase_team, 1),),
                scenario={"staffing": {"pools": {"role:chase_call": {"add": 1}}}},
            )
        )
    out.append(
        WorldPolicy(
            name="demand_plus_15",
            description="15 % more orders from every stream.",
            demand_factor=1.15,
            scenario={"demand": {"factor": 1.15}},
        )
    )
    return out


def policy_named(spec: OperationSpec, name: str) -> WorldPolicy:
    if name in ("baseline", "as_is"):
        return BASELINE
    for policy in policies_for(spec):
        if policy.name == name:
            return policy
    known = ", ".join(["baseline", *(p.name for p in policies_for(spec))])
    raise KeyError(f"operation {spec.name!r} has no policy {name!r}; it has: {known}")


def demand(factor: float) -> WorldPolicy:
    """The as-is policy at a demand factor (the headroom scan)."""
    return WorldPolicy(
        name=f"demand_x{factor:.2f}",
        description=f"Demand x {factor:.2f}.",
        demand_factor=factor,
        scenario={"demand": {"factor": factor}},
    )


def baseline_yaml(spec: OperationSpec) -> str:
    """baseline.yaml: the fitted model run with the as-is policy."""
    document = {
        "description": BASELINE.description,
        "model": "../outputs/fit/model.json",
        "policy": BASELINE.scenario,
    }
    return (
        f"# The as-is operation {spec.name}: the model fitted from its log (`l2csim fit`), run\n"
        "# with today's policy. Every other scenario extends this file; model is relative to it.\n"
        + yaml.safe_dump(document, sort_keys=False, width=100)
    )


def scenario_yaml(policy: WorldPolicy) -> str:
    """The policy as an l2csim scenario file that extends baseline.yaml."""
    document = {
        "extends": "baseline.yaml",
        "description": policy.description,
        "policy": policy.scenario,
    }
    return f"# {policy.name}\n" + yaml.safe_dump(document, sort_keys=False, width=100)
