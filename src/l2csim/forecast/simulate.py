"""The forecast's replications: the model run forward from a start (or from empty, warmed up).

`ForecastSpec` is everything one replication needs as plain picklable data, so any
executor (local processes, a Dask cluster) runs `run_forecast_replication`. Replication i
draws on the streams of `replication_streams(seed, i)` in every scenario (common random
numbers), plus its own stream for the start state. `DailyTracker` counts per forecast day
(24-hour windows from as-of) what arrived, was delivered (and how many of those were open
at as-of, or late), the chase calls, and when each order open at as-of was delivered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from l2csim.params import ModelParams
from l2csim.policy import Policy
from l2csim.sim.kpis import Tracker
from l2csim.sim.model import Simulation
from l2csim.sim.state import START_STREAM, StartState
from l2csim.sim.streams import replication_streams

START_KEY = 1 << 20  # spawn key of the start state's stream (far from the model's streams)
COUNTS = ("arrived", "delivered", "open_orders_delivered", "chase_calls", "late_deliveries")


class DailyTracker(Tracker):
    """The model's tracker (warm-up = as-of) plus per-day counts from as-of."""

    def __init__(self, tiers, segments, pools, warmup: float, horizon: float) -> None:
        super().__init__(tiers, segments, pools, warmup, horizon)
        self.at = warmup
        self.days = max(1, math.ceil((horizon - warmup) / 24.0 - 1e-9))
        self.counts = np.zeros((len(COUNTS), self.days), dtype=np.int64)
        self.open_at_start = 0
        self.delivered_at: dict[int, float] = {}

    def _day(self, now: float) -> int:
        return min(int((now - self.at) // 24.0), self.days - 1)

    def order_arrived(self, order, now: float) -> None:
        super().order_arrived(order, now)
        if now <= self.at:
            self.open_at_start += 1
        else:
            self.counts[0, self._day(now)] += 1

    def order_delivered(self, order, now: float) -> None:
        super().order_delivered(order, now)
        if now < self.at:
            self.open_at_start -= 1
            return
        day = self._day(now)
        self.counts[1, day] += 1
        if order.arrival <= self.at:
            self.counts[2, day] += 1
            self.delivered_at[order.id] = now
        if now > order.promise:
            self.counts[4, day] += 1

    def chase_call(self, order, now: float, hours: float) -> None:
        super().chase_call(order, now, hours)
        if now >= self.at:
            self.counts[3, self._day(now)] += 1


@dataclass(frozen=True)
class ForecastSpec:
    """One forecast run: the model, the policy, the start (None: from empty with a warm-up
    until `at`), and the clock: the forecast covers hours `at` to `at + horizon_hours`."""

    params: ModelParams
    policy: Policy
    scenario: str
    seed: int
    at: float
    horizon_hours: float
    start: StartState | None = None
    first_day: date | None = None  # the local date of the clock's hour 0 (seasonal attendance)


@dataclass(frozen=True)
class ForecastReplication:
    """One replication's daily counts (COUNTS x days), the open orders at as-of, and for
    each start order (by position) its delivery in hours after as-of (NaN: not in the
    horizon)."""

    replication: int
    counts: np.ndarray
    open_at_start: int
    delivered: np.ndarray


def run_forecast_replication(spec: ForecastSpec, replication: int) -> ForecastReplication:
    streams = replication_streams(spec.seed, replication)
    if spec.start is not None:
        seq = np.random.SeedSequence(spec.seed, spawn_key=(replication, START_KEY))
        streams[START_STREAM] = np.random.Generator(np.random.PCG64(seq))
    end = spec.at + spec.horizon_hours
    sim = Simulation(
        spec.params,
        spec.policy,
        streams,
        horizon=end,
        warmup=spec.at,
        intake=(spec.at if spec.start is not None else 0.0, end),
        start=spec.start,
        tracker=DailyTracker,
        first_day=spec.first_day or (spec.start.first_day if spec.start is not None else None),
        closures=True,  # a holiday in a four-week horizon is a tenth of its working days
        planned_leave=True,  # and a fortnight's leave of one of two people a quarter of it
    )
    tracker = sim.run()
    assert isinstance(tracker, DailyTracker)
    n = len(spec.start.orders) if spec.start is not None else 0
    delivered = np.full(n, np.nan)
    for order_id, when in tracker.delivered_at.items():
        if order_id < n:
            delivered[order_id] = when - spec.at
    return ForecastReplication(replication, tracker.counts, tracker.open_at_start, delivered)
