"""`l2csim forecast --backtest K`: would the forecast have been right on this very log?

The log is cut at K past dates (local midnights, evenly spaced from a quarter of the way into
the log — the model needs history — to the last date whose whole horizon the log still
covers). At each cut the model is fitted from the log up to the cut only and the forecast is
made from the open orders there; it is scored against what the rest of the log shows: the
backlog and how many of the cut's open orders were delivered by day 7 and by the horizon
(inside the 5-95 % band? how far off is the mean?), and how well `p_late` ranks the open
orders that were not yet due by whether they missed their promise (AUC). Beside it, the same
model run from empty with a warm-up (as simulation tools forecast) for the same dates, so
the user sees what starting from today's state is worth on their own data. With
`--calibrate` each cut's fit is calibrated as the forecast's would be, where the log before
the cut is long enough to hold out a part (`calibrated_per_cut`); shorter ones are fitted
uncalibrated.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from l2csim import layout
from l2csim.errors import InputError
from l2csim.executors import backend
from l2csim.forecast import state as st
from l2csim.forecast.calibrate import bands
from l2csim.forecast.outcomes import LogTimes, actual_days
from l2csim.forecast.run import (
    BASELINE,
    ForecastSettings,
    daily_values,
    hindcast_errors,
    late_probability,
    parse_as_of,
    policies,
    prepare,
    simulate_forward,
)
from l2csim.forecast.simulate import ForecastSpec
from l2csim.inputs import Inputs, read_inputs_log
from l2csim.log import TIMESTAMP
from l2csim.output import write_csv, write_json

WARMUP_WEEKS = 8  # the warm-up simulation's start-up period before the cut
MIN_HISTORY = 0.25  # the first cut comes this far into the log (the model needs history)
MIN_LATE = 10  # AUC only where at least this many orders were late and as many on time
MAX_CUTS = 52
SCORED = ("backlog", "open_orders_delivered")
BACKTEST_COLUMNS = (
    "as_of", "kpi", "day", "actual",
    "forecast_mean", "forecast_p05", "forecast_p50", "forecast_p95", "forecast_covered",
    "forecast_error", "warmup_mean", "warmup_p05", "warmup_p50", "warmup_p95",
    "warmup_covered", "warmup_error", "orders", "late_orders",
)  # fmt: skip


@dataclass
class BacktestResult:
    table: pd.DataFrame
    summary: dict
    written: list[Path] = field(default_factory=list)


def cut_dates(first: pd.Timestamp, last: pd.Timestamp, horizon_days: int, k: int,
              timezone: str) -> list[pd.Timestamp]:  # fmt: skip
    """K local midnights from a quarter into the log to the last one whose horizon the log
    (its order intake) still covers, evenly spaced (UTC)."""
    local_first = first.tz_convert(timezone).tz_localize(None)
    local_last = last.tz_convert(timezone).tz_localize(None)
    begin = local_first + (local_last - local_first) * MIN_HISTORY
    end = local_last - pd.Timedelta(days=horizon_days)
    begin, end = begin.ceil("D"), end.floor("D")
    if end < begin:
        raise InputError(
            f"--backtest: the log ({local_first:%Y-%m-%d} to {local_last:%Y-%m-%d}) is too "
            f"short to cut and still see {horizon_days} days after each cut; use a shorter "
            "--horizon or a longer log."
        )
    span_days = (end - begin).days
    steps = np.linspace(0, span_days, k) if k > 1 else np.array([span_days])
    days = sorted({round(x) for x in steps})
    return [
        (begin + pd.Timedelta(days=d))
        .tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
        .tz_convert("UTC")
        for d in days
    ]


def actually_late(opened: pd.DataFrame, cases: pd.DataFrame, log_end: pd.Timestamp) -> pd.Series:
    """Per open order: did it miss its promise (NaN: not knowable from the log)?"""
    delivered = (
        cases["delivered"].set_axis(cases.index.astype(str)).reindex(opened["order"].astype(str))
    )
    promised = opened["promised"].set_axis(delivered.index)
    late = (delivered > promised).astype(float)
    late[delivered.isna()] = np.where(promised[delivered.isna()] < log_end, 1.0, np.nan)
    late[promised.isna()] = np.nan
    return late


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    from scipy.stats import rankdata

    positive = labels == 1
    n1, n0 = int(positive.sum()), int((~positive).sum())
    if n1 == 0 or n0 == 0:
        return math.nan
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def backtest(
    inputs: Inputs,
    out: Path | None,
    settings: ForecastSettings,
    cuts: int,
    *,
    executor: Executor | None = None,
    on_cut: Callable[[pd.Timestamp], None] | None = None,
) -> BacktestResult:
    """Forecast from `cuts` past dates of the log and score them (see the module
    docstring); write backtest.csv and backtest.json into `out` when given."""
    if not 1 <= cuts <= MAX_CUTS:
        raise InputError(f"--backtest {cuts}: give 1 to {MAX_CUTS} cut dates.")
    horizon_days = settings.horizon_days
    log = read_inputs_log(inputs)
    study = inputs.study
    timezone = study.log.timezone if study is not None else "UTC"
    end = parse_as_of(settings.as_of, log.events, timezone)
    first = log.events[TIMESTAMP].min()
    known = st.cut_log(log, end)
    cases = st.orders_of(known.events, study)
    # Orders must still arrive over each cut's horizon (a log whose intake stops before its
    # last event, while the last orders finish, would score a forecast against no demand).
    intake_end = min(end, cases["arrival"].max())
    dates = cut_dates(first, intake_end, horizon_days, cuts, timezone)
    chase = list(study.roles.chase_call) if study is not None else []
    times = LogTimes.of(cases, known.events, chase)
    days = sorted({min(7, horizon_days), horizon_days})
    rows, scored_orders = [], []
    seconds = {"fit_and_state": 0.0, "simulate": 0.0, "hindcasts": 0.0}
    hindcasts_used: list[int] = []
    calibrated: list[bool] = []  # per cut: --calibrate, and the cut long enough for it
    with contextlib.ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(backend(settings.jobs, settings.scheduler)).executor
        for as_of in dates:
            if on_cut:
                on_cut(as_of)
            began = time.perf_counter()
            prepared = prepare(
                log, study, as_of, calibrate=settings.calibrate, jobs=settings.jobs or 1,
                require_open=False, calibration_required=False,
            )  # fmt: skip
            calibrated.append(prepared.fitted.calibration is not None)
            policy = policies(study, prepared.params, [])[BASELINE][0]
            as_fitted = prepared.fitted.model_copy(
                update={"arrivals": [a.model_copy(update={"trend_per_week": 0.0})
                                     for a in prepared.fitted.arrivals]}
            )  # fmt: skip
            fitted_policy = policies(study, as_fitted, [])[BASELINE][0]
            seconds["fit_and_state"] += time.perf_counter() - began
            began = time.perf_counter()
            error = hindcast_errors(log, study, prepared, policy, settings, executor, as_of)
            hindcasts_used.append(len(error.cuts) if error is not None else 0)
            seconds["hindcasts"] += time.perf_counter() - began
            began = time.perf_counter()
            start = prepared.start() if len(prepared.open_orders) else None
            warm_clock = st.Clock.weeks_before(as_of, timezone, WARMUP_WEEKS)
            # The warm-up forecast runs the model as fitted (as simulation tools would: no
            # intake level or attendance of today), from empty.
            specs = [
                ForecastSpec(as_fitted, fitted_policy, "warmup", settings.seed,
                             warm_clock.hours(as_of), horizon_days * 24.0, None,
                             warm_clock.origin.date()),
            ]  # fmt: skip
            if start is not None:
                specs.insert(
                    0,
                    ForecastSpec(prepared.params, policy, BASELINE, settings.seed, prepared.at,
                                 horizon_days * 24.0, start),
                )  # fmt: skip
            results = simulate_forward(specs, settings.replications, executor)
            seconds["simulate"] += time.perf_counter() - began
            forecast_runs = results[0] if start is not None else None
            actual = actual_days(times, prepared.open_orders["order"], as_of, horizon_days, end)
            rows += _score(
                as_of, days, actual, forecast_runs, results[-1], timezone, error,
                len(prepared.open_orders),
            )  # fmt: skip
            late_row, labelled = _score_late(prepared, forecast_runs, cases, end, horizon_days)
            rows.append(late_row)
            if labelled is not None:
                scored_orders.append(labelled)
    table = pd.DataFrame.from_records(rows, columns=list(BACKTEST_COLUMNS))
    summary = summarise(table, scored_orders, settings, dates, seconds)
    summary["hindcasts_per_cut"] = hindcasts_used
    summary["calibrated_per_cut"] = calibrated
    result = BacktestResult(table, summary)
    if out is not None:
        result.written += [
            write_csv(out / layout.BACKTEST_CSV, table),
            write_json(out / layout.BACKTEST_JSON, summary),
        ]
    return result


def _score(
    as_of, days, actual, forecast_runs, warmup_runs, timezone, error, open_orders
) -> list[tuple]:
    rows = []
    forecast = daily_values(forecast_runs) if forecast_runs else None
    warmup = daily_values(warmup_runs)
    label = as_of.tz_convert(timezone).strftime("%Y-%m-%d")
    for kpi in SCORED:
        upper = open_orders if kpi == "open_orders_delivered" else None
        for day in days:
            truth = float(actual[kpi][day - 1])
            if not math.isfinite(truth):
                continue
            values: list = []
            for source, model_error in ((forecast, error), (warmup, None)):
                if source is None:
                    values += [math.nan] * 6
                    continue
                mean, p05, p50, p95 = (
                    float(c[day - 1]) for c in bands(source[kpi], kpi, model_error, upper)
                )
                values += [round(mean, 2), round(p05, 2), round(p50, 2), round(p95, 2),
                           bool(p05 <= truth <= p95), round(abs(mean - truth), 2)]  # fmt: skip
            rows.append((label, kpi, day, truth, *values, math.nan, math.nan))
    return rows


def _score_late(prepared, forecast_runs, cases, log_end, horizon_days):
    """The AUC row of one cut (over the open orders not yet due at the cut) and the orders
    it scored (p_late, late) for the pooled AUC."""
    label = prepared.as_of.tz_convert(prepared.timezone).strftime("%Y-%m-%d")
    table = prepared.open_orders
    empty = (label, "p_late_auc", math.nan, math.nan, *([math.nan] * 12), len(table), 0)
    if not forecast_runs or table.empty:
        return empty, None
    start = prepared.start()
    promise = np.array([o.promise - prepared.at for o in start.orders])
    delivered = np.stack([r.delivered for r in forecast_runs])
    p_late = late_probability(delivered, promise, horizon_days * 24.0)
    late = actually_late(table, cases, log_end).to_numpy()
    due = (promise > 0) & np.isfinite(late)
    labelled = pd.DataFrame({"p_late": p_late[due], "late": late[due].astype(int)})
    n_late = int(labelled["late"].sum())
    n_on_time = len(labelled) - n_late
    value = auc(labelled["p_late"].to_numpy(), labelled["late"].to_numpy())
    if min(n_late, n_on_time) < MIN_LATE:
        value = math.nan
    row = (label, "p_late_auc", math.nan, math.nan,
           round(value, 3) if math.isfinite(value) else math.nan, *([math.nan] * 11),
           len(labelled), n_late)  # fmt: skip
    return row, labelled


def summarise(table: pd.DataFrame, scored: list[pd.DataFrame], settings: ForecastSettings,
              dates: list[pd.Timestamp], seconds: dict) -> dict:  # fmt: skip
    """backtest.json: coverage and mean absolute error per KPI and day, forecast beside the
    warm-up, and the AUC of p_late pooled over the cuts."""
    measures = []
    bands = table[table["kpi"].isin(SCORED)]
    for (kpi, day), rows in bands.groupby(["kpi", "day"], sort=True):
        forecast = rows["forecast_error"].astype(float)
        warmup = rows["warmup_error"].astype(float)
        mae, mae_warm = float(forecast.mean()), float(warmup.mean())
        measures.append(
            {
                "kpi": kpi,
                "day": int(day),
                "cuts": len(rows),
                "actual_mean": round(float(rows["actual"].mean()), 2),
                "forecast_coverage": round(float(rows["forecast_covered"].astype(float).mean()), 3),
                "warmup_coverage": round(float(rows["warmup_covered"].astype(float).mean()), 3),
                "forecast_mae": round(mae, 2),
                "warmup_mae": round(mae_warm, 2),
                "error_reduction": round(1 - mae / mae_warm, 3) if mae_warm > 0 else None,
            }
        )
    pooled = pd.concat(scored, ignore_index=True) if scored else pd.DataFrame(columns=["late"])
    n_late = int(pooled["late"].sum()) if len(pooled) else 0
    pooled_auc = (
        auc(pooled["p_late"].to_numpy(), pooled["late"].to_numpy())
        if min(n_late, len(pooled) - n_late) >= MIN_LATE
        else math.nan
    )
    covered = bands["forecast_covered"].astype(float)
    return {
        "schema_version": 1,
        "cuts": [d.isoformat() for d in dates],
        "horizon_days": settings.horizon_days,
        "replications": settings.replications,
        "seed": settings.seed,
        "warmup_weeks": WARMUP_WEEKS,
        "measures": measures,
        "forecast_coverage": round(float(covered.mean()), 3) if len(covered) else None,
        "p_late_auc": round(pooled_auc, 3) if math.isfinite(pooled_auc) else None,
        "p_late_orders": len(pooled),
        "p_late_late": n_late,
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
        "calibrate": settings.calibrate,
    }
