"""What an operation is, as frozen data: customers, product lines, teams, intake, calls, log.

A world (`world.py`) is built from one `OperationSpec`; the named operations are in
`operations.py`. Units: work in minutes, waits and patience in hours, shares 0-1, money in
the operation's currency.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from l2csim.sample.testbed.calendars import Pattern

EDI, EMAIL, PHONE = "EDI", "e-mail", "phone"
CHANNELS = (EDI, EMAIL, PHONE)
KEY_ACCOUNT, PRIORITY, OCCASIONAL, ONE_TIME = "key_account", "priority", "occasional", "one_time"
TIERS = (KEY_ACCOUNT, PRIORITY, OCCASIONAL, ONE_TIME)


@dataclass(frozen=True)
class Dist:
    """A non-negative random quantity, drawn from a standard normal `z` and a uniform `u`.

    kind: `lognormal` (mean, cv), `exponential` (mean), `uniform` (low, high), `fixed` (mean).
    Drawing from pre-drawn numbers keeps each order's draws in fixed places of its stream.
    """

    kind: Literal["lognormal", "exponential", "uniform", "fixed"]
    mean: float = 0.0
    cv: float = 0.5
    low: float = 0.0
    high: float = 0.0

    @staticmethod
    def lognormal(mean: float, cv: float) -> Dist:
        return Dist("lognormal", mean, cv)

    @staticmethod
    def uniform(low: float, high: float) -> Dist:
        return Dist("uniform", (low + high) / 2, 0.0, low, high)

    @staticmethod
    def exponential(mean: float) -> Dist:
        return Dist("exponential", mean, 1.0)

    @staticmethod
    def fixed(value: float) -> Dist:
        return Dist("fixed", value, 0.0)

    def draw(self, z: float, u: float) -> float:
        if self.kind == "lognormal":
            sigma = math.sqrt(math.log1p(self.cv**2))
            return self.mean * math.exp(sigma * z - sigma * sigma / 2)
        if self.kind == "exponential":
            return -self.mean * math.log1p(-u)
        if self.kind == "uniform":
            return self.low + (self.high - self.low) * u
        return self.mean

    def describe(self, unit: str, scale: float = 1.0) -> dict[str, Any]:
        """The distribution for the truth file, scaled (e.g. minutes -> hours by 1/60)."""
        out: dict[str, Any] = {"kind": self.kind, "unit": unit, "mean": round(self.mean * scale, 6)}
        if self.kind == "lognormal":
            out["cv"] = self.cv
        if self.kind == "uniform":
            out.update(low=round(self.low * scale, 6), high=round(self.high * scale, 6))
        return out


NO_WAIT = Dist.fixed(0.0)
PATIENCE = Dist.lognormal(24.0, 0.8)
REPEAT_GAP = Dist.lognormal(30.0, 0.5)
COURTESY_DELAY = Dist.uniform(0.5, 6.0)
PHONE_HOURS = Pattern.weekdays((("08:00", "17:00"),))


@dataclass(frozen=True)
class TierSpec:
    """One customer tier: how many, how they order, what they are promised, how they behave.

    Regular tiers have `customers` at the start and `new_per_year` joining; `one_time` buyers
    arrive as their own stream (`arrivals_per_week`). Patience: a customer phones
    `patience_shift_hours + patience` hours after the end of the promised day (negative:
    before it, when there is no news); then again every `repeat_gap` hours until delivery.
    """

    name: str
    customers: int = 0
    new_per_year: float = 0.0
    arrivals_per_week: float = 0.0
    cadence_days: tuple[float, float] = (30.0, 60.0)  # a customer's mean gap, drawn in range
    cadence_cv: float = 0.4  # spread of the gaps (gamma)
    value_factor: float = 1.0
    channels: tuple[float, float, float] = (0.3, 0.5, 0.2)  # EDI, e-mail, phone
    lines: tuple[float, ...] = ()  # weights over the operation's product lines
    sla_working_days: int = 5
    sla_hours: float | None = None  # promise in hours after receipt (operations without dates)
    courtesy_owed: tuple[str, ...] = ()
    courtesy_practice: tuple[tuple[str, float], ...] = ()  # as-is: milestone -> chance
    patience_shift_hours: float = 0.0
    patience: Dist = PATIENCE
    repeat_gap: Dist = REPEAT_GAP
    escalation_share: float = 0.35  # chase calls escalated to the team holding the order
    expedite_probability: float = 0.7  # escalations that expedite the order
    churn_intercept: float | None = None  # logit per delivered order; None: never churns
    outside_stop_per_year: float = 0.0  # hazard of stopping for reasons outside service
    rekeyed_share: float = 0.0  # customers with a second, re-keyed record
    alias_use: float = 0.4  # non-EDI orders of such customers keyed under the second record

    @property
    def one_time(self) -> bool:
        return self.name == ONE_TIME

    def practice(self, milestone: str) -> float:
        return dict(self.courtesy_practice).get(milestone, 0.0)


@dataclass(frozen=True)
class StepSpec:
    """One step of an order's path.

    kind `work`: a person of `team` works `work` minutes (activity logged by that person).
    kind `wait`: nobody works; the order waits `wait` hours (`clock` says in which time:
    `hours` of the wall clock, `office` hours of the company's working days, `days` working
    days of `carrier`/company calendar ending at a time of day) and the event is logged by
    one of `resources` (a carrier, a system, a batch job); `batch` rounds the completion up
    to the system's next run (local times on working days). `logged=False`: invisible.
    Whether an order has the step: `probability`, or `by_channel`, plus `rekeyed_extra` for
    orders of re-keyed customers; `repeat` is the chance of one more round (rework);
    `min_value` skips the step for orders worth less; `expeditable` waits are cut short when
    a chase expedites the order.
    """

    activity: str
    kind: Literal["work", "wait"] = "work"
    team: str | None = None
    work: Dist | None = None
    wait: Dist | None = None
    clock: Literal["hours", "office", "days"] = "hours"
    resources: tuple[str, ...] = ()
    batch: tuple[str, ...] = ()
    probability: float = 1.0
    by_channel: tuple[float, float, float] | None = None
    rekeyed_extra: float = 0.0
    repeat: float = 0.0
    min_value: float = 0.0
    milestone: bool = False
    expeditable: bool = False
    rush: Dist | None = None  # hours the rest of an expedited wait still takes
    logged: bool = True
    delivers: bool = False  # the step that puts the goods at the customer


@dataclass(frozen=True)
class LineSpec:
    """A product line: its order value, lead time, owning team and path."""

    name: str
    value_median: float
    lead_working_days: int
    owner: str  # the team an escalation goes to when no team holds the order
    steps: tuple[StepSpec, ...]


@dataclass(frozen=True)
class PersonSpec:
    """A named person: weekly pattern, vacation days per year, sickness."""

    name: str
    pattern: Pattern
    vacation_days: int = 28
    sick_rate: float = 0.012  # chance a working day starts a sick spell


@dataclass(frozen=True)
class TeamSpec:
    """A team sharing one queue; `shared_login` is a login some of its events are booked under."""

    name: str
    members: tuple[PersonSpec, ...]
    hire_pattern: Pattern | None = None  # the hours a new hire works (policy: one more)
    hire_names: tuple[str, ...] = ()
    shared_login: str | None = None
    shared_login_share: float = 0.0


@dataclass(frozen=True)
class IntakeSpec:
    """How orders enter: EDI gateway; e-mail inbox keyed by `keyer`; phone taken by `phone`.

    mode `arrival`: "Order received" is logged at arrival (EDI gateway, the mailbox, the
    phone agent) and e-mails get a `key_activity` step; mode `keyed`: "Order received" is
    logged when the order is keyed, by the person who keyed it (inbox waits are invisible).
    E-mails only come up for keying `inbox_delay` office hours after arrival.
    """

    mode: Literal["arrival", "keyed"]
    keyer: str
    phone: str
    key_work: Dist
    phone_work: Dist
    inbox_delay: Dist = NO_WAIT
    edi_resource: str = "EDI gateway"
    mailbox_resource: str = "Order mailbox"
    received_activity: str = "Order received"
    key_activity: str = "Key in order"


@dataclass(frozen=True)
class CallSpec:
    """Chase and courtesy calls: who takes them, how long they take, their activity names."""

    chase_team: str
    courtesy_team: str | None  # None: the product line's owner team calls
    chase_work: Dist
    escalation_work: Dist
    courtesy_work: Dist
    courtesy_delay: Dist = COURTESY_DELAY  # office hours after the milestone
    calm_hours: float = 48.0  # after a courtesy call the customer does not chase for this long
    phone_hours: Pattern = PHONE_HOURS
    chase_activity: str = "Customer chase call"
    escalation_activity: str = "Expedite order"
    courtesy_activity: str = "Courtesy call"


@dataclass(frozen=True)
class ChurnSpec:
    """logit P(leave after a delivered order) = tier intercept + late + chases + courtesy.

    Chases count every time the customer chased the order, answered or not (a customer who
    cannot get through is no happier).

    Decided `decide_after_hours` after delivery (a courtesy call at delivery counts).
    `courtesy` is the hypothesis: negative where courtesy calls do retain, 0 where not.
    """

    late: float = 1.0
    per_chase: float = 0.4
    courtesy: float = -0.4
    decide_after_hours: float = 48.0


@dataclass(frozen=True)
class LogFormat:
    """How the log is written: column names, timestamps, tiers and extras.

    `columns` maps canonical names (order, activity, time, start, resource, customer,
    customer_name, line, value, promised, channel, tier) to the CSV's names.
    """

    columns: tuple[tuple[str, str], ...]
    timestamps: Literal["completion", "start_end"] = "completion"
    tiers: Literal["crm", "attribute", "none"] = "crm"
    crm_stale_share: float = 0.07
    order_prefix: str = "SO-"
    first_order_number: int = 250001
    customer_prefix: str = "C"
    first_customer_number: int = 10001

    def column(self, canonical: str) -> str | None:
        return dict(self.columns).get(canonical)


@dataclass(frozen=True)
class NameSpec:
    """Customer names: locale and which hard cases are planted (counts)."""

    locale: Literal["DE", "GB", "US"] = "DE"
    difficulty: Literal["easy", "moderate", "hard"] = "moderate"
    walk_in_share: float = 0.0  # one-time buyers recorded as "Walk-in buyer N"
    same_name_pairs: int = 0  # two different customers with the very same name
    generic_names: int = 0  # customers with a generic name ("Service GmbH")
    branch_groups: int = 0  # groups of numbered branches ("Stadtwerke Nord 2", "... 3")
    rekeyed_kinds: tuple[str, ...] = ("umlaut", "legal_form", "typo")


@dataclass(frozen=True)
class OperationSpec:
    """One whole operation. `bottleneck` names the team and one activity only it does."""

    name: str
    description: str
    timezone: str
    country: Literal["DE", "GB", "US"]
    currency: str
    tiers: tuple[TierSpec, ...]
    lines: tuple[LineSpec, ...]
    teams: tuple[TeamSpec, ...]
    intake: IntakeSpec
    calls: CallSpec
    churn: ChurnSpec
    log: LogFormat
    names: NameSpec
    bottleneck: tuple[str, str]
    dimensions: dict[str, str] = field(default_factory=dict)
    start: dt.date = dt.date(2025, 1, 6)
    system_users: tuple[str, ...] = ()
    promise: Literal["date", "hours"] = "date"
    extract_after_days: int = 45  # the log is extracted this long after the intake period
    edi_hours: tuple[float, float] = (0.0, 24.0)  # when EDI orders are sent (local hours)
    email_hours: tuple[float, float] = (7.0, 18.5)

    def team(self, name: str) -> TeamSpec:
        for team in self.teams:
            if team.name == name:
                return team
        raise KeyError(f"no team {name!r} in operation {self.name!r}")

    def tier(self, name: str) -> TierSpec:
        for tier in self.tiers:
            if tier.name == name:
                return tier
        raise KeyError(f"no tier {name!r} in operation {self.name!r}")

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tiers)

    def team_activities(self) -> dict[str, list[str]]:
        """What each team's people do, derived from the lines, intake and calls.

        Escalations ("Expedite order") go to whichever team holds the order's next task, so
        every team that works on orders can get them (and the line owners, for waits)."""
        out: dict[str, dict[str, None]] = {t.name: {} for t in self.teams}
        intake = self.intake
        if intake.mode == "arrival":
            out[intake.keyer][intake.key_activity] = None
        else:
            out[intake.keyer][intake.received_activity] = None
        out[intake.phone][intake.received_activity] = None
        for line in self.lines:
            for step in line.steps:
                if step.kind == "work" and step.team:
                    out[step.team][step.activity] = None
        calls = self.calls
        out[calls.chase_team][calls.chase_activity] = None
        callers = [calls.courtesy_team] if calls.courtesy_team else [x.owner for x in self.lines]
        for team in callers:
            out[team][calls.courtesy_activity] = None
        holders = {intake.keyer, intake.phone, *(x.owner for x in self.lines)}
        holders |= {s.team for x in self.lines for s in x.steps if s.kind == "work" and s.team}
        for team in holders:
            out[team][calls.escalation_activity] = None
        return {team: list(acts) for team, acts in out.items()}

    def teams_of(self, activity: str) -> list[str]:
        return [t for t, acts in self.team_activities().items() if activity in acts]
