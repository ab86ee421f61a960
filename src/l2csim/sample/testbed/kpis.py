"""The true KPIs of a world run, measured on the world itself (not on its log).

Names and definitions follow l2csim's simulation KPIs (`l2csim.sim.kpis`) so a prediction
can be compared with them; the window is [warm-up, end of the intake period) in simulation
time, and the world starts empty like the log does. Times in hours, shares 0-1.

- `orders_arrived`: orders placed by customers in the window (the customer's moment of
  ordering: an e-mail waiting in the inbox has arrived).
- `orders_delivered`: of those, delivered before the window ends.
- `lead_time_mean_hours`: mean hours from placing to delivery, over the orders delivered.
- `sla_attainment`: share of the delivered orders delivered on time: by the end of the
  promised local day (date promises) or within the promised hours of placing (hours).
- `backlog_mean`: time-averaged number of orders placed and not yet delivered (every
  order, also those placed before the warm-up), over the window.
- `chase_calls_per_week`: chase calls answered in the window per week of the window.
- `courtesy_calls_made`, `courtesy_calls_owed`, `courtesy_calls_owed_made`: calls made in
  the window; milestone events in the window at which the order's tier is owed a call;
  calls made at such milestones.
- `customers_churned`: customers who left after a bad experience in the window (not those
  who stopped for outside reasons); `revenue_at_risk_annual`: their expected annual revenue
  (orders per year at their cadence x their mean order value).
- `staff_utilisation` per team: hours its people worked on the team's tasks over the hours
  they were at work (a person on k teams counts 1/k of their hours to each), in the window.
- `runaway`: the backlog ran away and is not coming back: the mean daily backlog (open
  orders at the end of each local day) of the last quarter of the window exceeds
  `RUNAWAY_RATIO` times the backlog the promises allow (Little's law: orders placed per day
  in that quarter x their mean promised lead time in days), and the least-squares trend of
  the last quarter, carried one more quarter ahead, still leaves it above that (a rising
  or stuck backlog; a crisis that is draining is not a runaway).
- `weekly`: orders arrived, chase calls, and the backlog at the end of each week of the
  window (to show that demand is flat).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from l2csim.sample.testbed.world import World

RUNAWAY_RATIO = 1.5
DIGITS = 6


def _round(x: float) -> float | None:
    return (
        None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), DIGITS)
    )


def _order_stats(orders: list, w1: float) -> dict[str, Any]:
    arrived = len(orders)
    delivered = [o for o in orders if o.delivered_at is not None and o.delivered_at < w1]
    lead = [(o.delivered_at - o.arrival) / 60.0 for o in delivered]
    on_time = [o.delivered_at <= o.deadline for o in delivered]
    return {
        "orders_arrived": arrived,
        "orders_delivered": len(delivered),
        "lead_time_mean_hours": _round(float(np.mean(lead))) if lead else None,
        "lead_time_p90_hours": _round(float(np.quantile(lead, 0.9))) if lead else None,
        "sla_attainment": _round(float(np.mean(on_time))) if on_time else None,
    }


def daily_backlog(world: World, w0: float, w1: float) -> tuple[np.ndarray, np.ndarray]:
    """(day offsets, open orders at the end of each local day) from w0 to w1."""
    arrivals = np.sort(np.array([o.arrival for o in world.orders]))
    delivered = np.sort(
        np.array([o.delivered_at for o in world.orders if o.delivered_at is not None])
    )
    first = world.clock.day_of(w0)
    days = [d for d in range(first, world.days) if world.clock.end_of_day(d) <= w1]
    ends = np.array([world.clock.end_of_day(d) for d in days])
    open_orders = np.searchsorted(arrivals, ends, side="right") - np.searchsorted(
        delivered, ends, side="right"
    )
    return np.array(days), open_orders.astype(float)


def runaway(days: np.ndarray, backlog: np.ndarray, promised: float) -> dict[str, Any]:
    """Whether the backlog ran away by the end of the window (see the module docstring).

    `promised`: the backlog the promises allow (Little's law: orders placed per day in the
    last quarter x their mean promised lead time in days)."""
    n = len(backlog)
    if n < 28:
        return {"runaway": False, "reason": "window shorter than four weeks"}
    quarter = max(7, n // 4)
    last = backlog[-quarter:]
    slope = float(np.polyfit(days[-quarter:], last, 1)[0])
    mean = float(last.mean())
    projected = mean + slope * quarter
    limit = RUNAWAY_RATIO * max(promised, 1.0)
    return {
        "runaway": bool(mean > limit and projected > limit),
        "last_quarter_mean_backlog": _round(mean),
        "promised_backlog": _round(promised),
        "ratio": _round(mean / max(promised, 1.0)),
        "last_quarter_slope_per_day": _round(slope),
        "projected_next_quarter": _round(projected),
    }


def measure(world: World, warmup_days: float = 0.0) -> dict[str, Any]:
    """Every KPI of the run over [warm-up, end of the intake period)."""
    w0, w1 = warmup_days * 1440.0, world.window[1]
    tiers = world.spec.tier_names
    orders = [o for o in world.orders if w0 <= o.arrival < w1]
    by_tier: dict[str, dict[str, Any]] = {
        t: _order_stats([o for o in orders if o.tier_spec.name == t], w1) for t in tiers
    }
    overall = _order_stats(orders, w1)
    weeks = (w1 - w0) / (7 * 1440.0)

    index_tier = {o.index: o.tier_spec.name for o in world.orders}
    chases = [(t, i) for t, i in world.calls.chase_times if w0 <= t < w1]
    courtesy = [c for c in world.calls.courtesy if w0 <= c[0] < w1]
    owed = [m for m in world.calls.milestones if w0 <= m[0] < w1 and m[3]]
    churned = [s for s in world.states if s.churned_at is not None and w0 <= s.churned_at < w1]
    counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for _, i in chases:
        counts[index_tier[i]]["chase_calls"] += 1
    for _, i, _, was_owed in courtesy:
        counts[index_tier[i]]["courtesy_calls_made"] += 1
        counts[index_tier[i]]["courtesy_calls_owed_made"] += was_owed
    for _, i, _, _ in owed:
        counts[index_tier[i]]["courtesy_calls_owed"] += 1
    for state in churned:
        counts[state.customer.tier]["customers_churned"] += 1
        counts[state.customer.tier]["revenue_at_risk_annual"] += state.customer.annual_revenue
    for t in tiers:
        for kpi in (
            "chase_calls",
            "courtesy_calls_made",
            "courtesy_calls_owed",
            "courtesy_calls_owed_made",
            "customers_churned",
        ):
            by_tier[t][kpi] = int(counts[t][kpi])
        by_tier[t]["revenue_at_risk_annual"] = _round(counts[t]["revenue_at_risk_annual"])

    overlap = 0.0
    for o in world.orders:
        end = o.delivered_at if o.delivered_at is not None else math.inf
        overlap += max(0.0, min(end, w1) - max(o.arrival, w0))
    days, backlog = daily_backlog(world, w0, w1)
    quarter_start = w1 - max(7, len(backlog) // 4) * 1440.0
    recent = [o for o in orders if o.arrival >= quarter_start]
    promised = (
        len(recent)
        / ((w1 - quarter_start) / 1440.0)
        * float(np.mean([o.deadline - o.arrival for o in recent]))
        / 1440.0
        if recent
        else 0.0
    )

    teams = {}
    share = defaultdict(int)
    for member in world.members.values():
        share[member.name] = len(member.teams)
    for name, team in world.teams.items():
        available = sum(m.calendar.worked(w0, w1) / share[m.name] for m in team.members)
        teams[name] = {
            "staff_utilisation": _round(team.busy_window / available) if available else None,
            "busy_hours": _round(team.busy_window / 60.0),
            "available_hours": _round(available / 60.0),
        }
    people = {
        m.name: _round(m.busy_window / m.calendar.worked(w0, w1))
        if m.calendar.worked(w0, w1) > 0
        else None
        for m in world.members.values()
    }

    week_of = lambda t: int((t - w0) // (7 * 1440.0))  # noqa: E731
    n_weeks = math.ceil(weeks - 1e-9)
    weekly_orders = np.zeros(n_weeks, dtype=int)
    for o in orders:
        weekly_orders[min(week_of(o.arrival), n_weeks - 1)] += 1
    weekly_chases = np.zeros(n_weeks, dtype=int)
    for t, _ in chases:
        weekly_chases[min(week_of(t), n_weeks - 1)] += 1
    weekly_backlog = [
        int(backlog[min(len(backlog) - 1, (w + 1) * 7 - 1)]) if len(backlog) else 0
        for w in range(n_weeks)
    ]

    overall.update(
        {
            "backlog_mean": _round(overlap / (w1 - w0)),
            "chase_calls": len(chases),
            "chase_calls_per_week": _round(len(chases) / weeks),
            "chase_calls_per_order": _round(len(chases) / max(1, len(orders))),
            "courtesy_calls_made": len(courtesy),
            "courtesy_calls_owed": len(owed),
            "courtesy_calls_owed_made": sum(1 for c in courtesy if c[3]),
            "customers_churned": len(churned),
            "revenue_at_risk_annual": _round(sum(s.customer.annual_revenue for s in churned)),
            "escalations": sum(1 for e in world.calls.escalations if w0 <= e[0] < w1),
        }
    )
    return {
        "window": {"warmup_days": warmup_days, "days": world.days},
        "overall": overall,
        "by_tier": by_tier,
        "by_team": teams,
        "by_person": people,
        "runaway": runaway(days, backlog, promised),
        "weekly": {
            "orders": weekly_orders.tolist(),
            "chase_calls": weekly_chases.tolist(),
            "backlog_end_of_week": weekly_backlog,
        },
    }


def flat(kpis: dict[str, Any]) -> dict[str, float | None]:
    """The KPIs as one flat mapping: `kpi`, `kpi[tier]`, `staff_utilisation[team]`, `runaway`."""
    out: dict[str, float | None] = {}
    for kpi, value in kpis["overall"].items():
        out[kpi] = value
    for tier, values in kpis["by_tier"].items():
        for kpi, value in values.items():
            out[f"{kpi}[{tier}]"] = value
    for team, values in kpis["by_team"].items():
        out[f"staff_utilisation[{team}]"] = values["staff_utilisation"]
    out["runaway"] = float(kpis["runaway"]["runaway"])
    return out


def kpi_rows(kpis: dict[str, Any]) -> list[tuple[str, str, str, float | None]]:
    """(kpi, tier, pool, value) rows in the shape of l2csim's KPI table (pool = team)."""
    rows = [(k, "", "", v) for k, v in kpis["overall"].items()]
    for tier, values in kpis["by_tier"].items():
        rows += [(k, tier, "", v) for k, v in values.items()]
    for team, values in kpis["by_team"].items():
        rows.append(("staff_utilisation", "", team, values["staff_utilisation"]))
    return rows
