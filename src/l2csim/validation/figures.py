"""The figures behind the validation: today's KPIs as the log shows them beside the model's
replay of the same period, per-tier on-time shares, the wait before each activity, each
team's utilisation, and for each failed measure the step, tier or team that drives it.

Log and model are measured alike: orders a week, backlog and lead time by `flow_figures`
and waits with the calibration's functions (`fit.calibration.measures`) on both event logs
(from receipt to delivery, as a log shows an order); on-time shares with the order
table's SLA verdict for the log and the simulation's own verdict (the same promise rule) for
the model.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from l2csim.fit.calibration import measures
from l2csim.log import ACTIVITY, CASE, TIMESTAMP, EventLog
from l2csim.orders import OrderSpec, judged_orders, order_spans
from l2csim.params import ModelParams
from l2csim.sla import on_time_share
from l2csim.study import Study

HOUR = pd.Timedelta(hours=1)
MIN_JUDGED = 30
WEEK = 168.0


def flow_figures(
    orders: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, float | None]:
    """Orders a week, the mean backlog and the mean lead time of an order table (`received`,
    `delivered`) over start..end: from receipt (the order-received step) to delivery, as a
    log shows an order. The log and each replication's event log are measured by this one
    function: an order waiting unseen in an inbox before it is keyed is in neither's backlog
    nor lead time (the model's own KPIs count it from the moment it was sent)."""
    weeks = max((end - start) / HOUR / WEEK, 1e-9)
    open_until = orders["delivered"].fillna(end).clip(upper=end)
    open_hours = ((open_until - orders["received"]) / HOUR).clip(lower=0)
    delivered = orders["delivered"].notna()
    lead = (orders["delivered"] - orders["received"])[delivered] / HOUR
    return {
        "orders_per_week": round(len(orders) / weeks, 4),
        "backlog_mean": round(float(open_hours.sum() / ((end - start) / HOUR)), 4),
        "lead_time_mean_hours": round(float(lead.mean()), 4) if delivered.any() else None,
    }


def replica_flow(
    frame: pd.DataFrame, study: Study | None, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, float | None]:
    """`flow_figures` of one replication's event log, over the log's period: receipt and
    delivery read as the order table reads the log's (`orders.order_spans`)."""
    return flow_figures(order_spans(frame, OrderSpec.of_study(study).roles), start, end)


def log_kpis(
    log: EventLog, study: Study | None, params: ModelParams, judged: pd.DataFrame | None = None
) -> dict:
    """Today's KPIs over the log's period, as the log shows them (`judged`: the log's judged
    orders when already read)."""
    events = log.events
    start, end = events[TIMESTAMP].min(), events[TIMESTAMP].max()
    weeks = max((end - start) / HOUR / WEEK, 1e-9)
    if judged is None:
        _, judged = judged_orders(events, study)
    chase = (
        events[ACTIVITY].isin(params.roles.chase_call).sum() if params.roles.chase_call else None
    )
    sla: dict[str, float | None] = {"all": on_time_share(judged)} if study and study.sla else {}
    if study is not None and study.sla:
        for tier, rows in judged.groupby("tier"):
            if rows["late"].notna().sum() >= MIN_JUDGED:
                sla[str(tier)] = on_time_share(rows)
    return {
        **flow_figures(judged.set_index("case"), start, end),
        "chase_calls_per_week": round(chase / weeks, 4) if chase is not None else None,
        "sla_attainment": {k: round(v, 4) for k, v in sla.items() if v is not None},
    }


def model_kpis(results, tiers: list[str], flows: list[dict]) -> dict:
    """The same KPIs from the replay's replications: mean, min and max over them; orders,
    backlog and lead time from each replication's event log (`flows`, by `replica_flow`)."""

    def values(kpi: str, tier: str = "") -> np.ndarray:
        out = []
        for result in results:
            for name, t, segment, pool, week, day, value in result.rows:
                if name == kpi and t == tier and not segment and not pool and week < 0 and day < 0:
                    out.append(value)
        return np.array(out, dtype=float)

    def summary(array: np.ndarray) -> dict | None:
        array = array[np.isfinite(array)]
        if not len(array):
            return None
        return {
            "mean": round(float(array.mean()), 4),
            "min": round(float(array.min()), 4),
            "max": round(float(array.max()), 4),
        }

    def flow(kpi: str) -> np.ndarray:
        return np.array([f[kpi] if f[kpi] is not None else np.nan for f in flows], dtype=float)

    sla = {"all": summary(values("sla_attainment"))}
    sla.update({tier: summary(values("sla_attainment", tier)) for tier in tiers})
    return {
        "orders_per_week": summary(flow("orders_per_week")),
        "backlog_mean": summary(flow("backlog_mean")),
        "lead_time_mean_hours": summary(flow("lead_time_mean_hours")),
        "chase_calls_per_week": summary(values("chase_calls_per_week")),
        "sla_attainment": {k: v for k, v in sla.items() if v is not None},
    }


def log_waits(
    events: pd.DataFrame, segments: pd.Series, params: ModelParams, end: pd.Timestamp
) -> dict[str, float]:
    """One side of `wait_table`: a log's mean wait before each activity, and its weights
    (the real log, or one replication's events through `replica_waits`)."""
    roles = params.roles
    left_out = {*roles.chase_call, *roles.courtesy_call}
    after = end + pd.Timedelta(hours=1)  # everything is the "tuned" part here
    return measures(
        events, segments, roles.order_received, roles.delivered, left_out, after, after
    )["train"]


def replica_waits(frame: pd.DataFrame, params: ModelParams, end: pd.Timestamp) -> dict:
    """One replication's side of `wait_table` (its simulated events)."""
    return log_waits(frame, frame.groupby(CASE)["case:segment"].first(), params, end)


def wait_table(got_real: dict[str, float], replicas: list[dict]) -> pd.DataFrame:
    """Per activity: the mean wait before it in the log (`log_waits`) and in the replay
    (`replica_waits` of each replication), its weight (how often it occurs) and the
    relative error (1 hour at least as the scale)."""
    rows = []
    for key, value in got_real.items():
        if not key.startswith("wait:"):
            continue
        name = key.split(":", 1)[1]
        model = [r[key] for r in replicas if key in r]
        mean = float(np.mean(model)) if model else math.nan
        rows.append(
            {
                "activity": name,
                "log_hours": round(value, 4),
                "model_hours": round(mean, 4) if math.isfinite(mean) else None,
                "weight": round(got_real.get(f"weight:{name}", 0.0), 6),
                "error": round(min(abs(mean - value) / max(value, 1.0), 5.0), 4)
                if math.isfinite(mean)
                else 5.0,
            }
        )
    columns = ["activity", "log_hours", "model_hours", "weight", "error"]
    return pd.DataFrame(rows, columns=columns).sort_values("activity").reset_index(drop=True)


def weighted_error(waits: pd.DataFrame) -> float:
    if waits.empty or waits["weight"].sum() <= 0:
        return math.nan
    return float(np.average(waits["error"], weights=waits["weight"]))


def tier_sla(log_figures: dict, model_figures: dict) -> pd.DataFrame:
    """Per tier the log's and the model's on-time share (tiers with enough orders judged)."""
    rows = []
    for tier, share in sorted(log_figures["sla_attainment"].items()):
        if tier == "all":
            continue
        model = model_figures["sla_attainment"].get(tier)
        rows.append(
            {
                "tier": tier,
                "log": share,
                "model": model["mean"] if model else None,
                "difference": round(abs(model["mean"] - share), 4) if model else None,
            }
        )
    return pd.DataFrame(rows, columns=["tier", "log", "model", "difference"])


def utilisation(results, pools: list[str]) -> dict[str, float]:
    """Each staffed pool's mean utilisation over the replay."""
    out: dict[str, list[float]] = {}
    for result in results:
        for name, _tier, _segment, pool, _week, _day, value in result.rows:
            if name == "staff_utilisation" and pool in pools and math.isfinite(value):
                out.setdefault(pool, []).append(value)
    return {pool: round(float(np.mean(v)), 4) for pool, v in sorted(out.items())}


def causes(
    failed: list[str],
    waits: pd.DataFrame,
    tiers: pd.DataFrame,
    load: dict[str, float],
    log_figures: dict,
    model_figures: dict,
) -> dict[str, str]:
    """For each failed measure, what drives it, in a sentence."""
    out: dict[str, str] = {}
    worst_waits = waits.assign(share=waits["error"] * waits["weight"]).nlargest(2, "share")
    wait_text = "; ".join(
        f"the wait before {r.activity}: model {r.model_hours:,.0f} h vs log {r.log_hours:,.0f} h"
        for r in worst_waits.itertuples()
        if r.model_hours is not None and r.error > 0.1
    )
    busy = [f"{p} at {u:.0%}" for p, u in load.items() if u >= 0.9]
    idle = [f"{p} at {u:.0%}" for p, u in load.items() if u < 0.15]
    load_text = ""
    if busy:
        load_text = "teams near capacity in the model: " + ", ".join(busy)
    elif idle:
        load_text = "teams almost idle in the model: " + ", ".join(idle)
    congestion = "; ".join(t for t in (wait_text, load_text) if t) or "no single step stands out"
    for measure in failed:
        if measure in ("cycle_time", "backlog_daily", "activity_waits"):
            out[measure] = congestion
        elif measure in ("sla_attainment", "sla_by_tier"):
            if not tiers.empty and tiers["difference"].notna().any():
                worst = tiers.loc[tiers["difference"].idxmax()]
                out[measure] = (
                    f"{worst['tier']}: model {worst['model']:.0%} on time vs log {worst['log']:.0%}; "
                    + congestion
                )
            else:
                out[measure] = congestion
        elif measure == "chase_call_rate":
            model = (model_figures.get("chase_calls_per_week") or {}).get("mean")
            real = log_figures.get("chase_calls_per_week")
            if model is not None and real is not None:
                out[measure] = (
                    f"model {model:,.1f} chase calls a week vs log {real:,.1f}; on time: "
                    + ", ".join(
                        f"{r.tier} {r.model:.0%} vs {r.log:.0%}"
                        for r in tiers.itertuples()
                        if r.model is not None
                    )
                )
        elif measure in ("arrivals_weekly", "arrivals_hourly"):
            model = (model_figures.get("orders_per_week") or {}).get("mean")
            real = log_figures.get("orders_per_week")
            if model is not None and real is not None:
                out[measure] = f"model {model:,.1f} orders a week vs log {real:,.1f}"
        elif measure in ("activities", "ngrams", "control_flow"):
            out[measure] = "the order of steps differs: see the variants in mine/ beside the replay"
    return out


def not_applicable(params: ModelParams, study: Study | None) -> dict[str, str]:
    """Why a measure does not apply to this study (shown instead of a figure)."""
    reasons = {}
    if not params.roles.chase_call:
        reasons["chase_call_rate"] = "the study names no chase-call activity (roles.chase_call)"
    if study is None or not study.sla:
        reasons["sla_attainment"] = "the study declares no SLA (sla:)"
        reasons["sla_by_tier"] = "the study declares no SLA (sla:)"
    return reasons
