"""The customer base and the order intake: who orders, when, and who has stopped ordering.

Each tier has `customers` customers; each tier x segment has its own arrival stream, a
Poisson process whose rate follows the fitted weekday and hour-of-day pattern. An arrival
picks a customer of its tier at random; a customer who has churned is replaced by a new one
of the tier (the model, `sim.model`), so the volume stays what the log shows while churn
counts customers lost and revenue at risk. The arrival times stay the same in every
scenario (common random numbers). Plain objects, no SimPy.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque

from l2csim.params import ArrivalPattern

WEEK_HOURS = 168
WEEKS_PER_YEAR = 365.25 / 7


class Customer:
    """One customer: its tier, whether it still orders, and its recent experience."""

    __slots__ = ("active", "annual_revenue", "index", "last_order_at", "orders", "recent", "tier")

    def __init__(self, index: int, tier: int, annual_revenue: float, window: int) -> None:
        self.index = index
        self.tier = tier
        self.active = True
        self.annual_revenue = annual_revenue
        self.orders = 0
        self.last_order_at: float | None = None
        self.recent: deque[tuple[int, int, int]] = deque(maxlen=window)  # late, chases, courtesy


class WeeklyIntensity:
    """A Poisson rate that repeats weekly, constant within each hour of the week.

    `next_arrival(t, e)` inverts the cumulative intensity: the arrival after t, given an
    Exp(1) draw e. Exact, with one draw per arrival.
    """

    __slots__ = ("_cum", "_rates", "per_week")

    def __init__(self, orders_per_week: float, pattern: ArrivalPattern) -> None:
        wd, wh = pattern.weekday_weights, pattern.hour_weights
        total = sum(wd) * sum(wh)
        rates = [
            orders_per_week * wd[d] * wh[h] / total if total > 0 else 0.0
            for d in range(7)
            for h in range(24)
        ]
        cum, acc = [0.0], 0.0
        for r in rates:
            acc += r
            cum.append(acc)
        self._rates = rates
        self._cum = cum
        self.per_week = acc

    def next_arrival(self, t: float, e: float) -> float:
        week = t // WEEK_HOURS
        tw = t - week * WEEK_HOURS
        slot = min(int(tw), WEEK_HOURS - 1)
        target = self._cum[slot] + self._rates[slot] * (tw - slot) + e
        weeks = target // self.per_week
        rem = target - weeks * self.per_week
        s = min(bisect_right(self._cum, rem) - 1, WEEK_HOURS - 1)
        while self._rates[s] <= 0:  # rounding at a slot edge
            s = (s + 1) % WEEK_HOURS
        return (week + weeks) * WEEK_HOURS + s + (rem - self._cum[s]) / self._rates[s]


def build_customers(
    counts: list[int], annual_revenue: list[float], window: int
) -> list[list[Customer]]:
    """Customers per tier (tier index order), numbered across tiers."""
    tiers, index = [], 0
    for tier, (n, revenue) in enumerate(zip(counts, annual_revenue, strict=True)):
        tiers.append([Customer(index + i, tier, revenue, window) for i in range(n)])
        index += n
    return tiers
