"""KPI trackers: streaming statistics of one replication, in memory that does not grow with time.

Counts, sums and integer-hour histograms only (quantiles come from the histograms, to the
hour); no event lists. Everything before the warm-up is ignored: orders count when they
arrive after it, calls and work when they happen after it, the backlog is time-averaged from
it. The daily backlog and weekly chase-call series are the only per-period values.
`rows()` gives the tidy long table of README.md: (kpi, tier, segment, pool, week, day, value).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

Row = tuple[str, str, str, str, int, int, float]
NO_KEY = -1  # week/day column of a KPI that has no period


def quantile_from_hist(hist: dict[int, float], q: float) -> float:
    """The q-quantile of values binned by floor(value), linearly within the bin."""
    total = sum(hist.values())
    if total <= 0:
        return math.nan
    target = q * total
    acc = 0.0
    for value in sorted(hist):
        weight = hist[value]
        if acc + weight >= target:
            return value + (target - acc) / weight if weight else float(value)
        acc += weight
    return float(max(hist))


def step_quantile(hist: dict[int, float], q: float) -> float:
    """The q-quantile of an integer-valued, time-weighted quantity (the backlog)."""
    total = sum(hist.values())
    if total <= 0:
        return math.nan
    acc = 0.0
    for value in sorted(hist):
        acc += hist[value]
        if acc >= q * total:
            return float(value)
    return float(max(hist))


@dataclass
class TierStats:
    arrived: int = 0
    delivered: int = 0
    lead_sum: float = 0.0
    lead_hist: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    on_time: int = 0
    chase_calls: int = 0
    courtesy_made: int = 0
    courtesy_owed: int = 0
    courtesy_owed_made: int = 0
    rework: int = 0
    churned: int = 0
    revenue_at_risk: float = 0.0
    churned_tier_only: int = 0  # the same draws without the experience hypothesis
    revenue_at_risk_tier_only: float = 0.0
    reminders: int = 0
    won_back: int = 0


class Tracker:
    """All KPIs of one replication, fed by the model as things happen."""

    def __init__(
        self,
        tiers: list[str],
        segments: list[str],
        pools: list[str],
        warmup: float,
        horizon: float,
    ) -> None:
        self.tier_names = tiers
        self.segment_names = segments
        self.pool_names = pools
        self.warmup = warmup
        self.horizon = horizon
        self.tiers = [TierStats() for _ in tiers]
        self.segments = [TierStats() for _ in segments]
        self.backlog = 0
        self._backlog_since = 0.0
        self.backlog_hist: dict[int, float] = defaultdict(float)
        self.backlog_daily: list[tuple[int, int]] = []
        self.chase_weekly: dict[int, int] = defaultdict(int)
        self.chase_hours_by_pool: dict[str, float] = defaultdict(float)
        self.hung_up = 0  # calls nobody answered before the caller hung up
        self.given_up = 0  # chases whose caller hung up with no redial left (fit.unanswered)
        self.events = 0  # every simulated event-log event, warm-up included

    # --- feeds ---------------------------------------------------------------------------

    def _backlog_change(self, now: float, delta: int) -> None:
        if now > self.warmup:
            since = max(self._backlog_since, self.warmup)
            self.backlog_hist[self.backlog] += now - since
        self._backlog_since = now
        self.backlog += delta

    def order_arrived(self, order, now: float) -> None:
        self._backlog_change(now, +1)
        if now >= self.warmup:
            self.tiers[order.tier].arrived += 1
            self.segments[order.segment].arrived += 1

    def order_delivered(self, order, now: float) -> None:
        self._backlog_change(now, -1)
        if order.arrival < self.warmup:
            return
        lead = now - order.arrival
        on_time = now <= order.promise
        for stats in (self.tiers[order.tier], self.segments[order.segment]):
            stats.delivered += 1
            stats.lead_sum += lead
            stats.lead_hist[int(lead)] += 1
            stats.on_time += on_time

    def day_end(self, day: int) -> None:
        self.backlog_daily.append((day, self.backlog))

    def chase_call(self, order, now: float, hours: float) -> None:
        if now >= self.warmup:
            self.tiers[order.tier].chase_calls += 1
            self.chase_weekly[int((now - self.warmup) // 168)] += 1

    def chase_hung_up(self, order, now: float) -> None:
        if now >= self.warmup:
            self.hung_up += 1

    def chase_given_up(self, order, now: float) -> None:
        if now >= self.warmup:
            self.given_up += 1

    def chase_hours(self, pool, hours: float) -> None:
        if pool.env.now >= self.warmup:
            self.chase_hours_by_pool[pool.name] += hours

    def courtesy_owed(self, order, now: float) -> None:
        if now >= self.warmup:
            self.tiers[order.tier].courtesy_owed += 1

    def courtesy_made(self, order, owed: bool, now: float) -> None:
        if now >= self.warmup:
            stats = self.tiers[order.tier]
            stats.courtesy_made += 1
            stats.courtesy_owed_made += owed

    def rework(self, order, now: float) -> None:
        if now >= self.warmup:
            self.tiers[order.tier].rework += 1

    def churned(self, customer, now: float) -> None:
        if now >= self.warmup:
            stats = self.tiers[customer.tier]
            stats.churned += 1
            stats.revenue_at_risk += customer.annual_revenue

    def churned_tier_only(self, customer, now: float) -> None:
        """A customer the tier's own rate would have lost (no experience effects)."""
        if now >= self.warmup:
            stats = self.tiers[customer.tier]
            stats.churned_tier_only += 1
            stats.revenue_at_risk_tier_only += customer.annual_revenue

    def won_back(self, customer, now: float) -> None:
        if now >= self.warmup:
            stats = self.tiers[customer.tier]
            stats.won_back += 1
            stats.churned -= 1
            stats.revenue_at_risk -= customer.annual_revenue

    def reminder(self, customer, now: float) -> None:
        if now >= self.warmup:
            self.tiers[customer.tier].reminders += 1

    def close(self, now: float) -> None:
        """Close the backlog integral at the horizon."""
        self._backlog_change(now, 0)

    # --- the table -------------------------------------------------------------------------

    def rows(self, pools: list) -> list[Row]:
        """The tidy KPI rows of this replication, in a fixed order."""
        out: list[Row] = []

        def add(kpi: str, value: float, tier="", segment="", pool="", week=NO_KEY, day=NO_KEY):
            out.append((kpi, tier, segment, pool, week, day, float(value)))

        hist = self.backlog_hist
        span = sum(hist.values())
        add("backlog_mean", sum(k * v for k, v in hist.items()) / span if span else math.nan)
        add("backlog_p95", step_quantile(hist, 0.95))
        add("backlog_end", self.backlog)
        total = TierStats()
        for name, stats in zip(self.tier_names, self.tiers, strict=True):
            _order_rows(add, stats, tier=name)
            add("chase_calls", stats.chase_calls, tier=name)
            add("courtesy_calls_made", stats.courtesy_made, tier=name)
            add("courtesy_calls_owed", stats.courtesy_owed, tier=name)
            add("courtesy_calls_owed_made", stats.courtesy_owed_made, tier=name)
            add("rework_steps", stats.rework, tier=name)
            add("customers_churned", stats.churned, tier=name)
            add("revenue_at_risk_annual", stats.revenue_at_risk, tier=name)
            add("customers_churned_tier_only", stats.churned_tier_only, tier=name)
            add("revenue_at_risk_annual_tier_only", stats.revenue_at_risk_tier_only, tier=name)
            if stats.reminders:
                add("review_reminders", stats.reminders, tier=name)
                add("customers_won_back", stats.won_back, tier=name)
            _merge(total, stats)
        _order_rows(add, total)
        for name, stats in zip(self.segment_names, self.segments, strict=True):
            _order_rows(add, stats, segment=name)
        weeks = max(1e-9, (self.horizon - self.warmup) / 168)
        add("chase_calls", total.chase_calls)
        add("chase_calls_per_week", total.chase_calls / weeks)
        add("chase_calls_unanswered", self.hung_up)
        add("courtesy_calls_made", total.courtesy_made)
        add("courtesy_calls_owed", total.courtesy_owed)
        add("courtesy_calls_owed_made", total.courtesy_owed_made)
        add("rework_steps", total.rework)
        add("customers_churned", total.churned)
        add("revenue_at_risk_annual", total.revenue_at_risk)
        add("customers_churned_tier_only", total.churned_tier_only)
        add("revenue_at_risk_annual_tier_only", total.revenue_at_risk_tier_only)
        for pool in pools:
            available = pool.available_hours(self.warmup, self.horizon)
            add("staff_busy_hours", pool.busy_hours, pool=pool.name)
            if not pool.external:
                add(
                    "staff_utilisation",
                    pool.busy_hours / available if available else math.nan,
                    pool=pool.name,
                )
            add(
                "hours_lost_to_chase_calls",
                self.chase_hours_by_pool.get(pool.name, 0.0),
                pool=pool.name,
            )
        add("hours_lost_to_chase_calls", sum(self.chase_hours_by_pool.values()))
        for week in range(int(weeks + 0.999)):
            add("chase_calls_weekly", self.chase_weekly.get(week, 0), week=week)
        for day, backlog in self.backlog_daily:
            add("backlog_daily", backlog, day=day)
        return out


def _order_rows(add, stats: TierStats, **keys: str) -> None:
    add("orders_arrived", stats.arrived, **keys)
    add("orders_delivered", stats.delivered, **keys)
    n = stats.delivered
    add("lead_time_mean_hours", stats.lead_sum / n if n else math.nan, **keys)
    add("lead_time_p50_hours", quantile_from_hist(stats.lead_hist, 0.5), **keys)
    add("lead_time_p90_hours", quantile_from_hist(stats.lead_hist, 0.9), **keys)
    add("sla_attainment", stats.on_time / n if n else math.nan, **keys)


def _merge(total: TierStats, stats: TierStats) -> None:
    total.arrived += stats.arrived
    total.delivered += stats.delivered
    total.lead_sum += stats.lead_sum
    for k, v in stats.lead_hist.items():
        total.lead_hist[k] += v
    total.on_time += stats.on_time
    total.chase_calls += stats.chase_calls
    total.courtesy_made += stats.courtesy_made
    total.courtesy_owed += stats.courtesy_owed
    total.courtesy_owed_made += stats.courtesy_owed_made
    total.rework += stats.rework
    total.churned += stats.churned
    total.revenue_at_risk += stats.revenue_at_risk
    total.churned_tier_only += stats.churned_tier_only
    total.revenue_at_risk_tier_only += stats.revenue_at_risk_tier_only
