"""ModelParams: the fitted, human-readable description of today's lead-to-cash operation.

`l2csim fit` writes it as JSON; `l2csim simulate` reads it. Every number says where it came
from (the log, the study file, a default) so a steering group's appendix can list it. Times
are in hours; calendars are in the model's local time zone. The schema is versioned: a file
written by another schema version is refused with a clear message, never half-read.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from l2csim.errors import InputError
from l2csim.output import write_text

SCHEMA_VERSION = 2
START_NODE = "__start__"
END_NODE = "__end__"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provenance(_Frozen):
    """Where a number came from, e.g. source='log', detail='median of 1,204 calls'."""

    source: Literal["log", "study", "default", "retention_model"]
    detail: str = ""


class Distribution(_Frozen):
    """A non-negative duration in hours.

    kinds and their params: fixed {value}; exponential {mean}; lognormal {mu, sigma} of
    ln(hours); gamma {shape, scale}; weibull {shape, scale}; empirical: `quantiles`, equally
    spaced inverse-CDF values from the 0% to the 100% quantile, sampled with interpolation.
    `mean` is always filled in, for people reading the file.
    """

    kind: Literal["fixed", "exponential", "lognormal", "gamma", "weibull", "empirical"]
    mean: float = Field(ge=0)
    params: dict[str, float] = Field(default_factory=dict)
    quantiles: list[float] = Field(default_factory=list)
    ks_statistic: float | None = None
    n: int = 0
    provenance: Provenance

    @model_validator(mode="after")
    def _complete(self) -> Distribution:
        required = {
            "fixed": {"value"},
            "exponential": {"mean"},
            "lognormal": {"mu", "sigma"},
            "gamma": {"shape", "scale"},
            "weibull": {"shape", "scale"},
            "empirical": set(),
        }[self.kind]
        missing = required - set(self.params)
        if missing:
            raise ValueError(f"{self.kind} distribution needs params {sorted(missing)}")
        if self.kind == "empirical" and len(self.quantiles) < 2:
            raise ValueError("an empirical distribution needs at least 2 quantiles")
        return self

    def scaled(self, factor: float, provenance: Provenance | None = None) -> Distribution:
        """The same shape with every value times `factor` (calibration scales work)."""
        params = dict(self.params)
        if self.kind == "fixed":
            params["value"] *= factor
        elif self.kind == "exponential":
            params["mean"] *= factor
        elif self.kind == "lognormal":
            params["mu"] += math.log(factor)
        elif self.kind in ("gamma", "weibull"):
            params["scale"] *= factor
        return self.model_copy(
            update={
                "mean": self.mean * factor,
                "params": params,
                "quantiles": [q * factor for q in self.quantiles],
                "provenance": provenance or self.provenance,
            }
        )


def _check_break(start: float, end: float, break_start: float | None, break_end: float | None):
    if (break_start is None) != (break_end is None):
        raise ValueError("break_start and break_end go together")
    if break_start is not None and not start < break_start < break_end < end:
        raise ValueError(
            "the break must lie inside the shift (start < break_start < break_end < end)"
        )


def day_intervals(
    start: float, end: float, break_start: float | None = None, break_end: float | None = None
) -> list[tuple[float, float]]:
    """A working day's intervals (hours of the day): the shift, split by its break if any."""
    if break_start is None or break_end is None:
        return [(start, end)]
    return [(start, break_start), (break_end, end)]


class WeeklyHours(_Frozen):
    """Weekdays (0 = Monday) from start_hour to end_hour local time, less a daily break from
    break_start to break_end when one is given: a team's window, or a person's shift."""

    weekdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])
    start_hour: float = Field(default=8.0, ge=0, le=24)
    end_hour: float = Field(default=17.0, ge=0, le=24)
    break_start: float | None = None
    break_end: float | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.end_hour <= self.start_hour:
            raise ValueError("end_hour must be after start_hour")
        if not self.weekdays or any(d not in range(7) for d in self.weekdays):
            raise ValueError("weekdays must be numbers 0 (Monday) to 6 (Sunday)")
        _check_break(self.start_hour, self.end_hour, self.break_start, self.break_end)
        return self

    @property
    def intervals(self) -> list[tuple[float, float]]:
        return day_intervals(self.start_hour, self.end_hour, self.break_start, self.break_end)


class Calendar(WeeklyHours):
    """When a pool works (its weekly hours, see `WeeklyHours`)."""

    provenance: Provenance = Provenance(source="default")


class Member(WeeklyHours):
    """One person of a pool as the simulation works them: a weekly shift and attendance.

    On each of `weekdays` the person is at work from `start_hour` to `end_hour` local time,
    less a daily break (`break_start` to `break_end`, when the log shows one), on a share
    `attendance` of those days (leave, sickness, part-time days), absent in blocks of the
    lengths in `absence_spells`, more in the months `monthly_attendance` says are thin; a
    job not finished when the shift ends (or the break begins) is finished when the person
    is back.
    """

    name: str
    attendance: float = Field(default=1.0, gt=0, le=1)
    # The lengths (working days) of the person's absences as the log shows them: leave comes
    # in blocks, and a team short for two weeks queues as one short for single days does not.
    # Empty: each working day is an independent draw.
    absence_spells: list[int] = Field(default_factory=list)
    # The share of working days at work in each calendar month (January first) as the log
    # shows them: leave is seasonal (summer, the turn of the year), and a team thin all of
    # August queues as one thinned evenly over the year does not. Empty: `attendance` in
    # every month.
    monthly_attendance: list[float] = Field(default_factory=list)
    # With a leave plan (`ModelParams.leave`), on the days it covers: the share of working
    # days at work besides the planned leave, and those absences' lengths (sickness,
    # mostly); the planned days themselves are days away. None: the plan covered too few
    # of the person's days in the log to tell, and `attendance` stands for them too.
    unplanned_attendance: float | None = Field(default=None, gt=0, le=1)
    unplanned_spells: list[int] = Field(default_factory=list)
    provenance: Provenance = Provenance(source="default")

    @model_validator(mode="after")
    def _twelve_months(self) -> Member:
        if self.monthly_attendance and (
            len(self.monthly_attendance) != 12
            or not all(0 < a <= 1 for a in self.monthly_attendance)
        ):
            raise ValueError(
                "monthly_attendance: give 12 shares (January to December), each above 0 "
                "and at most 1, or none"
            )
        return self

    @property
    def daily_hours(self) -> float:
        return sum(e - s for s, e in self.intervals)

    @property
    def weekly_hours(self) -> float:
        return len(set(self.weekdays)) * self.daily_hours * self.attendance


class Pool(_Frozen):
    """A staff pool: a team of people who share a queue (order management, warehouse...).

    `members` are the team's people with their own shifts; without members the pool is
    `size` people all working to `calendar` (a model written by hand, or an external party).
    `calendar` is always the team's overall working window (when calls can come in).
    """

    name: str
    size: int = Field(ge=0)
    calendar: Calendar = Calendar()
    members: list[Member] = Field(default_factory=list)
    resources: list[str] = Field(default_factory=list)
    provenance: Provenance
    # Optional (simulation): an external party or system (carrier, EDI gateway) that is never
    # short of capacity; its activities take their time within its calendar but never queue.
    external: bool = False

    @property
    def capacity(self) -> float:
        """People at work at once on average over the team's working window."""
        window = len(set(self.calendar.weekdays)) * (
            self.calendar.end_hour - self.calendar.start_hour
        )
        if not self.members:
            return float(self.size)
        return sum(m.weekly_hours for m in self.members) / window if window else 0.0


class SegmentDelay(_Frozen):
    """A staff-free delay for one segment's orders, for a share `probability` of them."""

    delay: Distribution
    probability: float = Field(default=1.0, ge=0, le=1)


class ActivityParams(_Frozen):
    """An activity: which pool does it and how long the work takes (working hours).

    `pool_by_segment` names another pool for the segments whose orders a different team
    handles (e.g. each product line keys in its own orders); other segments use `pool`.
    """

    name: str
    pool: str
    duration: Distribution
    pool_by_segment: dict[str, str] = Field(default_factory=dict)
    # Optional (simulation): waiting before the work that needs no staff (stock, production,
    # carrier transit, the customer paying), in calendar hours, for a share
    # `delay_probability` of the activity's occurrences; None: it starts as soon as staff can.
    delay: Distribution | None = None
    delay_probability: float = Field(default=1.0, ge=0, le=1)
    # Per segment where its orders wait differently (custom systems wait for production);
    # other segments use `delay`.
    delay_by_segment: dict[str, SegmentDelay] = Field(default_factory=dict)
    # Optional (simulation): the share of occurrences a system or outside party does (EDI
    # intake beside keyed-in orders); those take no staff time and never queue.
    system_share: float = Field(default=0.0, ge=0, le=1)


class Tier(_Frozen):
    """A customer priority tier and its SLA. rank 0 is served first under tier priority.

    `promise_working_days` (per segment) is the promise as the study's SLA makes it: the
    end of the local day that many working days (`ModelParams.working_weekdays`) after the
    order's day; segments without it are promised `promised_hours` after arrival.
    `promise_mix` (per segment: working days -> share of orders) is where the tier's
    customers are promised different counts (the log does not name the tiers that set
    them): each order's count is drawn from it, and `promise_working_days` is its most
    common count.
    """

    name: str
    rank: int = Field(ge=0)
    customers: int = Field(ge=0)
    promised_hours: float = Field(gt=0)
    promise_working_days: dict[str, int] = Field(default_factory=dict)
    promise_mix: dict[str, dict[int, float]] = Field(default_factory=dict)
    courtesy_owed_at: list[str] = Field(default_factory=list)
    mean_order_value: float = Field(ge=0)
    provenance: Provenance


class Arrivals(_Frozen):
    """Order intake of one tier in one segment.

    `trend_per_week`: the relative change of the rate per week over the log's period (0
    unless the log shows a clear trend). Only a replay of the log's own period (validation,
    calibration) follows it; scenarios run at `orders_per_week`, the period's average.
    """

    tier: str
    segment: str
    orders_per_week: float = Field(ge=0)
    trend_per_week: float = 0.0
    provenance: Provenance


class ArrivalPattern(_Frozen):
    """Shares of orders by weekday (7 values, Monday first) and hour of day (24 values)."""

    weekday_weights: list[float] = Field(min_length=7, max_length=7)
    hour_weights: list[float] = Field(min_length=24, max_length=24)
    provenance: Provenance


class Routing(_Frozen):
    """The as-is path of one segment's orders, as a first-order Markov chain.

    transitions[a][b] is the share of a's occurrences followed by b; START_NODE opens and
    END_NODE closes every case, so informal steps and rework loops stay in the chain.
    """

    segment: str
    transitions: dict[str, dict[str, float]]
    cases: int = Field(ge=0)
    provenance: Provenance


class CensoredWait(_Frozen):
    """A wait that may never end, estimated with right-censoring (Kaplan-Meier): with
    probability `share` it ends within the longest wait the log shows, after `offset` plus a
    draw from `distribution` hours (`offset` < 0: it can end before its origin, e.g. a call
    before the promise); otherwise it does not end at all (the customer never phones)."""

    distribution: Distribution
    offset: float = Field(default=0.0, le=0)
    share: float = Field(ge=0, le=1)
    events: int = Field(default=0, ge=0)  # waits seen to end (calls)
    censored: int = Field(default=0, ge=0)  # waits cut short (delivered, or the log ended)


class CallHold(_Frozen):
    """A chasing caller nobody answers within `minutes` hangs up (costing no one's time),
    dials again `redial_hours` later (uniform between the bounds) up to `redials` times,
    then waits for the next chase as after an answered call."""

    minutes: float = Field(gt=0, le=240)
    redial_hours: tuple[float, float]
    redials: int = Field(default=1, ge=0, le=20)
    provenance: Provenance

    @model_validator(mode="after")
    def _ordered(self) -> CallHold:
        low, high = self.redial_hours
        if not 0 < low <= high:
            raise ValueError(f"redial_hours: {self.redial_hours} must be 0 < low <= high")
        return self


class UnansweredCalls(_Frozen):
    """How the model's callers make up for tries the log could not show (`fit.unanswered`):
    `share` of chases given up in the replay of the log's period, patience drawn
    `earlier_hours` earlier and gaps between tries times `repeat_scale`, already applied to
    `ChaseBehaviour.patience` and `repeat`."""

    share: float = Field(ge=0, lt=1)
    earlier_hours: float = Field(ge=0)
    repeat_scale: float = Field(gt=0, le=1)
    provenance: Provenance


class ChaseBehaviour(_Frozen):
    """When customers phone in about an order, how often, and what a call costs.

    With `patience` (per tier, hours after the promise, censored at delivery) and `repeat`
    (hours from one call to the next, censored at delivery), customers who would never have
    phoned stay quiet and calls repeat with no fixed cap; `patience_after_promise`,
    `repeat_after` and `max_calls` are the older, uncensored description (used without them).
    """

    patience_after_promise: Distribution
    repeat_after: Distribution
    max_calls: int = Field(default=3, ge=0)
    patience: dict[str, CensoredWait] = Field(default_factory=dict)
    repeat: CensoredWait | None = None
    # Per tier, the tier's own `repeat` where the log has enough of its repeat calls
    # (`fit.calls.repeat_waits`); tiers not named use `repeat`.
    repeat_by_tier: dict[str, CensoredWait] = Field(default_factory=dict)
    # The pool that answers for the segments where another team does; others use `pool`.
    pool_by_segment: dict[str, str] = Field(default_factory=dict)
    call: Distribution
    pool: str
    expedite_probability: float = Field(ge=0, le=1)
    provenance: Provenance
    # Optional (simulation): the activity (e.g. "Expedite order") whose pool and duration an
    # expedite costs when a chase call expedites the order; None: the order only jumps the queue.
    expedite_activity: str | None = None
    # Optional (simulation): how long an order expedited while it waits for someone outside
    # (stock, a supplier) still waits after the expedite, in hours; None: the wait is not cut.
    rushed_wait: Distribution | None = None
    rushed_steps: list[str] = Field(default_factory=list)  # the steps whose waits it cuts
    # Optional (simulation): the share of chase calls escalated to a team that then works the
    # expedite activity, on orders not escalated before (per tier; tiers not named use
    # `escalation_share`) and on orders escalated already (`escalation_again`: 0 where each
    # order is expedited once, as high where a customer who phones five times costs the team
    # five escalations). None: the older description, at most one expedite an order, with
    # `expedite_probability`.
    escalation_share: float | None = Field(default=None, ge=0, le=1)
    escalation_share_by_tier: dict[str, float] = Field(default_factory=dict)
    escalation_again: float | None = Field(default=None, ge=0, le=1)
    # Optional (simulation): the share of escalations that get the order ahead of its queue
    # (where the policy lets chases expedite), per tier (tiers not named use
    # `expedite_share`), measured as overtaking in the log (`fit.calls.fit_expedites`) and
    # written when the study's `calls.expedite_after_escalation` is `measured`. None: every
    # escalation does.
    expedite_share: float | None = Field(default=None, ge=0, le=1)
    expedite_share_by_tier: dict[str, float] = Field(default_factory=dict)
    # Who takes an escalation: segment -> the order's next step -> pool (the team holding the
    # order: the warehouse for an order waiting to be picked, the product line's team for
    # one waiting on production). Where it names none, the expedite activity's own pool.
    escalation_pools: dict[str, dict[str, str]] = Field(default_factory=dict)
    # How patience and the gaps between calls are counted: "working" hours of the calls
    # team (customers phone while someone answers: a promise kept Friday night and 10 hours
    # of patience is a call on Monday at 10), or plain "calendar" hours.
    clock: Literal["calendar", "working"] = "calendar"
    # Optional (simulation): how long a caller stays on hold before hanging up, and when they
    # call again (None: every call waits until answered). A log records answered calls only,
    # so this is an assumption, stated as one (`fit.calls.call_hold`).
    hold: CallHold | None = None
    # Optional (calibration): the tries the log's own congestion left unanswered, made up for
    # in `patience` and `repeat` (None: they are the answered calls' timing as the log shows).
    unanswered: UnansweredCalls | None = None


class CourtesyPractice(_Frozen):
    """Today's courtesy calls: probability per tier and milestone, and what a call costs."""

    probability: dict[str, dict[str, float]]
    call: Distribution
    pool: str
    provenance: Provenance
    # The pool that makes the calls for the segments where another team does (each product
    # line's team calls its own customers); other segments use `pool`.
    pool_by_segment: dict[str, str] = Field(default_factory=dict)


class RetentionEffect(_Frozen):
    """One experience effect as the customers analysis estimated it (log-odds per unit).

    status: `estimated` (a logit coefficient with its 95 % CI), `not_estimable` (the data
    cannot estimate it: 0 in the simulation, `note` says why) or `assumed` (the study file's
    stated value). `deliveries_with`: deliveries at risk with the experience;
    `churned_with`: churned customers who had it on a delivery that could have decided it.
    """

    estimate: float
    ci_low: float | None = None
    ci_high: float | None = None
    status: Literal["estimated", "not_estimable", "assumed"] = "estimated"
    deliveries_with: int | None = None
    churned_with: int | None = None
    note: str = ""


class RetentionTierOnly(_Frozen):
    """The churn model without the experience hypothesis: each tier's own rate per order."""

    intercept: float
    tier_offsets: dict[str, float] = Field(default_factory=dict)


class ChurnEvidence(_Frozen):
    """What a tier's churn rate rests on: churned customers in trials (deliveries at risk,
    or for a tier that borrows the pooled rate, the pooled exposure in its orders). The
    fit's parameter draws take the rate's uncertainty from it (Jeffreys, or the pooling
    prior)."""

    churned: float = Field(ge=0)
    trials: float = Field(gt=0)
    # A tier pooled with the others (`customers.churn._pooled_rates`): the Beta prior of
    # its rate, the pooled rate's churned customers in its weight of deliveries.
    prior_churned: float | None = Field(default=None, gt=0)
    prior_trials: float | None = Field(default=None, gt=0)


class RetentionParams(_Frozen):
    """Churn after each completed order: logit(p) = intercept + tier offset +
    sum(coefficient * experience).

    Experience variables: late_orders, chase_calls, courtesy_calls (counts over the
    customer's recent orders). The experience effects are a hypothesis (associations in the
    log within each tier); `tier_only` is the model without them, which a policy can choose
    (`retention.experience_effects: false`) and every run counts beside (the `_tier_only`
    KPIs).
    """

    intercept: float
    coefficients: dict[str, float]
    provenance: Provenance
    # Optional (simulation): how many of the customer's most recent orders the experience
    # counts cover (1 = the order just completed), and a per-tier offset added to the logit.
    window_orders: int = Field(default=1, ge=1)
    tier_offsets: dict[str, float] = Field(default_factory=dict)
    # False: no churn is simulated (e.g. a log without customers). `churn_tiers`: the tiers
    # whose customers can churn (None: every tier); tiers left out were never judged (one-time
    # buyers, orders without a customer) and lose no customers.
    enabled: bool = True
    churn_tiers: list[str] | None = None
    tier_only: RetentionTierOnly | None = None
    effects: dict[str, RetentionEffect] = Field(default_factory=dict)
    tier_evidence: dict[str, ChurnEvidence] = Field(default_factory=dict)


class InboxWait(_Frozen):
    """Orders that waited before the log first shows them: an e-mailed order sits in the
    keying team's inbox, and the log's first step (`activity`, e.g. "Order received") is when
    someone keyed it. Its promise still counts from when the customer ordered.

    Inferred from promised dates (working days from the keyed day to the promised day, short
    of the tier's rule) per intake channel, or stated in the study (`intake:`). In the
    simulation a share of each tier's staffed intake (`share_by_tier`) arrives when ordered,
    becomes visible after `visible_after` working hours of the keying team, then queues for
    that team with its other work; the rest of the wait comes from that queue.
    `wait_hours` is the whole mean wait before keying (working hours), `queue_hours` the
    part the team's queue explains in the log (its other work's mean wait), and `lag_days`
    the excess working days per channel the inference rests on.
    """

    activity: str
    share_by_tier: dict[str, float]
    visible_after: Distribution | None = None
    wait_hours: float = Field(ge=0)
    queue_hours: float = Field(ge=0)
    lag_days: dict[str, float] = Field(default_factory=dict)
    orders: int = Field(default=0, ge=0)
    provenance: Provenance


class Closures(_Frozen):
    """Days the whole company is closed (public holidays, a Christmas shutdown): nobody works.

    Attendance is fitted over the days the company was open, so a simulation that does not
    close on these days works through them with the whole staff. Between `first` and `last`
    (the log's span while orders came in) the log decides: `days`, the company's weekdays on
    which nobody did anything. Beyond it `beyond` holds the closures the study states (its
    public-holiday calendar, less the holidays the log shows worked) or, without one, the
    log's own closed days on the same date in other years. `stated`: days the study closes
    wherever they fall. Forecasts close on them; the as-is and what-if runs work through
    them for now (`sim.model.Simulation`'s `closures`). `not_holidays`: the days of `days`
    that the stated public-holiday calendar does not name (a small team all away on an
    ordinary day): closed, but counted as working days in promises, as the company's
    promised dates count them.
    """

    first: date | None = None
    last: date | None = None
    days: list[date] = Field(default_factory=list)
    beyond: list[date] = Field(default_factory=list)
    stated: list[date] = Field(default_factory=list)
    not_holidays: list[date] = Field(default_factory=list)
    calendar: str | None = None  # the public holidays `beyond` comes from, if stated
    provenance: Provenance = Provenance(source="default", detail="no closed days")

    def why_closed(self, day: date) -> str:
        """Where a closed day comes from, in words."""
        if day in self.stated:
            return "closed in the study (calendar.closed_days)"
        if self.first is not None and self.first <= day <= self.last:
            return "nobody worked in the log"
        if self.calendar:
            return f"a public holiday of {self.calendar}"
        return "closed on that date in the log's year"

    def all_days(self) -> frozenset[date]:
        """Every day the company is closed: the log's inside its span, `beyond` outside it,
        and the stated ones."""
        inside = self.first is not None and self.last is not None
        beyond = [d for d in self.beyond if not (inside and self.first <= d <= self.last)]
        return frozenset([*self.days, *beyond, *self.stated])

    def promise_days_off(self) -> frozenset[date]:
        """The closed days that are no working days in a promise: every closed day but the
        ordinary days nobody happened to work (`not_holidays`). Without a stated calendar
        the log cannot tell those apart, and every closed day counts."""
        return self.all_days() - frozenset(self.not_holidays)


class LogFingerprint(_Frozen):
    """Which log the model was fitted from, so a scenario can refuse a mismatched model."""

    path: str
    sha256: str
    events: int
    cases: int
    period_start: str
    period_end: str


class ModelRoles(_Frozen):
    order_received: list[str] = Field(default_factory=list)
    delivered: list[str] = Field(default_factory=list)
    chase_call: list[str] = Field(default_factory=list)
    courtesy_call: list[str] = Field(default_factory=list)
    milestones: list[str] = Field(default_factory=list)
    rework: list[str] = Field(default_factory=list)
    waiting_steps: list[str] = Field(default_factory=list)


class LeavePlan(_Frozen):
    """The staff's planned leave as the study states it (`calendar.leave`, `fit.leave`).

    Between `first` and `last` (the plan's earliest and latest day) the plan is taken as
    complete: in a forecast a person is away on their `days` and otherwise at work at their
    attendance besides planned leave (`Member.unplanned_attendance`), so leave falls on the
    weeks it really falls on. Outside that span, and in the as-is and what-if runs for now
    (`sim.model.Simulation`'s `planned_leave`), the fitted attendance by month stands.
    """

    first: date | None = None
    last: date | None = None
    days: dict[str, list[date]] = Field(default_factory=dict)
    provenance: Provenance = Provenance(source="default", detail="no leave plan")

    def covers(self, day: date) -> bool:
        return self.first is not None and self.first <= day <= self.last


class ModelParams(_Frozen):
    """Everything the simulation needs to replay today's operation."""

    schema_version: int = SCHEMA_VERSION
    created_from: LogFingerprint | None = None
    timezone: str = "UTC"
    working_weekdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])
    # An order placed at or after this local hour (or on a non-working day) counts its
    # promise from the next working day.
    promise_cutoff_hour: float = Field(default=24.0, ge=0, le=24)
    # An order placed on a day off counts from the next working day, or the last one before.
    promise_off_day: Literal["next", "previous"] = "next"
    roles: ModelRoles = ModelRoles()
    segment_attribute: str | None = None
    tiers: list[Tier]
    arrivals: list[Arrivals]
    arrival_pattern: ArrivalPattern
    routing: list[Routing]
    activities: list[ActivityParams]
    pools: list[Pool]
    chase: ChaseBehaviour
    courtesy: CourtesyPractice
    retention: RetentionParams
    # Optional: orders that waited unseen before the log's first step (None: none did).
    inbox: InboxWait | None = None
    closures: Closures = Closures()
    leave: LeavePlan = LeavePlan()
    notes: list[str] = Field(default_factory=list)
    # Set by `l2csim fit --calibrate`: what was tuned, and the distance to the log before
    # and after, on the tuned and the held-out part of the period.
    calibration: dict | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ModelParams:
        pools = {p.name for p in self.pools}
        activities = {a.name for a in self.activities}
        tiers = {t.name for t in self.tiers}
        problems = [
            f"activity {a.name!r} uses unknown pool {a.pool!r}"
            for a in self.activities
            if a.pool not in pools
        ]
        problems += [
            f"activity {a.name!r} in segment {segment!r} uses unknown pool {pool!r}"
            for a in self.activities
            for segment, pool in a.pool_by_segment.items()
            if pool not in pools
        ]
        called = [
            self.chase.pool, self.courtesy.pool,
            *self.chase.pool_by_segment.values(), *self.courtesy.pool_by_segment.values(),
        ]  # fmt: skip
        for pool in called:
            if pool not in pools:
                problems.append(f"calls use unknown pool {pool!r}")
        expedite = self.chase.expedite_activity
        if expedite is not None and expedite not in activities:
            problems.append(f"chase.expedite_activity names unknown activity {expedite!r}")
        problems += [
            f"chase.escalation_pools: segment {segment!r}, step {step!r}: "
            + (f"unknown pool {pool!r}" if pool not in pools else f"unknown activity {step!r}")
            for segment, by_step in self.chase.escalation_pools.items()
            for step, pool in by_step.items()
            if pool not in pools or step not in activities
        ]
        problems += [
            f"chase.{field}_by_tier names unknown tier {t!r}"
            for field, by_tier in (
                ("escalation_share", self.chase.escalation_share_by_tier),
                ("expedite_share", self.chase.expedite_share_by_tier),
            )
            for t in by_tier
            if t not in tiers
        ]
        problems += [
            f"arrivals name unknown tier {a.tier!r}" for a in self.arrivals if a.tier not in tiers
        ]
        if self.inbox is not None:
            if self.inbox.activity not in activities:
                problems.append(f"inbox.activity names unknown activity {self.inbox.activity!r}")
            problems += [
                f"inbox.share_by_tier names unknown tier {t!r}"
                for t in self.inbox.share_by_tier
                if t not in tiers
            ]
        for routing in self.routing:
            nodes = set(routing.transitions) | {
                b for row in routing.transitions.values() for b in row
            }
            unknown = sorted(nodes - activities - {START_NODE, END_NODE})
            if unknown:
                problems.append(
                    f"routing of {routing.segment!r} names unknown activities {unknown}"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def load_params(path: str | Path) -> ModelParams:
    """Read a model file; a wrong schema version or an invalid value is one clear message."""
    source = Path(path)
    if not source.is_file():
        raise InputError(f"{source}: model file not found; create it with `l2csim fit`.")
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{source}: not a JSON model file ({error}).") from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version != SCHEMA_VERSION:
        raise InputError(
            f"{source}: model schema version {version!r}, this l2csim reads version "
            f"{SCHEMA_VERSION}; refit it with `l2csim fit`."
        )
    try:
        return ModelParams.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(f"{source}: {where}: {first['msg']}; refit with `l2csim fit`.") from None


def write_params(params: ModelParams, path: str | Path) -> Path:
    """Write a model file atomically, keys sorted, so equal models give equal bytes."""
    text = json.dumps(params.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)
    return write_text(path, text + "\n")
