"""Policies: the levers a scenario pulls on the fitted model, as plain validated data.

A Policy says how work is queued, what each tier is promised, who gets courtesy calls,
how pools are staffed, how much demand comes in, how often order data needs rework,
whether overdue key accounts get a reminder and whether churn follows the experience
hypothesis. Every field has the as-is value as default, so an empty policy replays today's
operation. All of them combine freely.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from l2csim.params import Calendar

MAX_STAFF = 1_000  # people in one pool
MAX_FACTOR = 100.0  # demand multipliers
MAX_HOURS = 10 * 365 * 24.0  # promised lead times: at most ten years


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Factor = Annotated[float, Field(gt=0, le=MAX_FACTOR)]


Discipline = Literal["fifo", "squeaky_wheel", "tier_priority", "earliest_promise", "least_slack"]


class TierSla(_Strict):
    """Overrides of a tier's SLA; None keeps the fitted value. The keys are the study
    file's `sla:` keys (`courtesy_owed_at`, the old name, is still read)."""

    promised_hours: float | None = Field(default=None, gt=0, le=MAX_HOURS)
    courtesy_milestones: list[str] | None = None


class CourtesyRule(_Strict):
    """Who gets a courtesy call at which milestones.

    rule: `as_is` (today's informal practice, by the fitted probabilities), `none`, `all`
    (every order at every milestone), `tiers` (orders of `tiers`), `value_threshold` (orders
    worth at least `min_value`). For all but as_is and none the calls are made at
    `milestones` if given, else at the milestones the tier's SLA owes a call (`all` and
    `value_threshold`: at every milestone when the SLA owes none).
    """

    rule: Literal["as_is", "none", "all", "tiers", "value_threshold"] = "as_is"
    tiers: list[str] = Field(default_factory=list)
    min_value: float = Field(default=0.0, ge=0)
    milestones: list[str] | None = None


class PoolChange(_Strict):
    """A pool's size (absolute, or `add` people to the fitted size) and/or calendar."""

    size: int | None = Field(default=None, ge=0, le=MAX_STAFF)
    add: int = Field(default=0, ge=-MAX_STAFF, le=MAX_STAFF)  # no pool below 0: see scenario
    calendar: Calendar | None = None


class DedicatedManagers(_Strict):
    """A separate team that does `pool`'s work for the orders of `tiers` only.

    With `take_from_pool` the members leave the shared pool (same headcount); otherwise they
    are hired on top.
    """

    pool: str
    tiers: list[str]
    size: int = Field(ge=1, le=MAX_STAFF)
    take_from_pool: bool = True


class Staffing(_Strict):
    pools: dict[str, PoolChange] = Field(default_factory=dict)
    dedicated_account_managers: DedicatedManagers | None = None


class Demand(_Strict):
    """Arrival-rate multipliers: `factor` for every stream, per tier and per segment (they
    multiply)."""

    factor: Factor = 1.0
    tiers: dict[str, Factor] = Field(default_factory=dict)
    segments: dict[str, Factor] = Field(default_factory=dict)


class DataQuality(_Strict):
    """Scales the probability of stepping into a rework activity (0.5 = re-keying halved)."""

    rework_multiplier: float = Field(default=1.0, ge=0, le=MAX_FACTOR)


class ProactiveReview(_Strict):
    """A weekly review that phones customers of `tiers` whose reorder is overdue.

    Overdue: no order for `overdue_factor` times the tier's mean gap between orders. The call
    takes `call_hours` of `pool` (default: the courtesy-call pool); a churned customer is won
    back with `win_back_probability`. These are assumptions, not fitted numbers.
    """

    enabled: bool = False
    tiers: list[str] = Field(default_factory=list)
    every_days: float = Field(default=7.0, gt=0, le=3650)
    overdue_factor: float = Field(default=2.0, gt=0, le=MAX_FACTOR)
    pool: str | None = None
    call_hours: float = Field(default=0.25, ge=0, le=24)
    win_back_probability: float = Field(default=0.3, ge=0, le=1)


class Retention(_Strict):
    """Which churn model the scenario's headline retention KPIs follow.

    `experience_effects: true` (default): the fitted experience effects (late orders, chase
    and courtesy calls) change each customer's churn — a stated hypothesis; `false`: each
    tier churns at its own rate whatever happens to its orders. Every run also counts churn
    without the hypothesis (the `_tier_only` KPIs), so the two can be read side by side.
    """

    experience_effects: bool = True


class Policy(_Strict):
    """The whole set of levers. The defaults are today's operation."""

    discipline: Discipline = "squeaky_wheel"
    # Whether a chase call expedites the order (it goes before every order not expedited);
    # None: the discipline's own rule (squeaky_wheel yes, the others no). fifo cannot.
    expedite_on_chase: bool | None = None
    preemption: bool = False
    sla: dict[str, TierSla] = Field(default_factory=dict)
    courtesy: CourtesyRule = CourtesyRule()
    staffing: Staffing = Staffing()
    demand: Demand = Demand()
    data_quality: DataQuality = DataQuality()
    proactive_review: ProactiveReview = ProactiveReview()
    retention: Retention = Retention()

    @model_validator(mode="after")
    def _expedite_possible(self) -> Policy:
        if self.expedite_on_chase and self.discipline == "fifo":
            raise ValueError(
                "expedite_on_chase: true cannot be honoured by discipline fifo (strictly first "
                "come, first served); use squeaky_wheel for FIFO with expedites"
            )
        return self

    def tier_names(self) -> list[tuple[str, str]]:
        """(where, tier) for every tier the policy names, to check against the model."""
        named = [(f"sla.{t}", t) for t in self.sla]
        named += [(f"courtesy.tiers[{i}]", t) for i, t in enumerate(self.courtesy.tiers)]
        named += [(f"demand.tiers.{t}", t) for t in self.demand.tiers]
        named += [
            (f"proactive_review.tiers[{i}]", t) for i, t in enumerate(self.proactive_review.tiers)
        ]
        dedicated = self.staffing.dedicated_account_managers
        if dedicated:
            named += [
                (f"staffing.dedicated_account_managers.tiers[{i}]", t)
                for i, t in enumerate(dedicated.tiers)
            ]
        return named

    def pool_names(self) -> list[tuple[str, str]]:
        """(where, pool) for every pool the policy names."""
        named = [(f"staffing.pools.{p}", p) for p in self.staffing.pools]
        dedicated = self.staffing.dedicated_account_managers
        if dedicated:
            named.append(("staffing.dedicated_account_managers.pool", dedicated.pool))
        if self.proactive_review.pool:
            named.append(("proactive_review.pool", self.proactive_review.pool))
        return named
