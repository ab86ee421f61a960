"""`l2csim forecast`: the next weeks from the open orders of today, and which orders to call.

`prepare` reads the log, cuts it at as-of, fits the model from what was known then, reads
the state (open orders where they are, their customers' calls, the staff at work) and
checks every input first. `simulate_forward` runs the replications of each policy from that
state (common random numbers across policies). `summarise_days` and `call_list` turn them
into `daily.csv` (bands per day and KPI) and `open_orders.csv` (the proactive call list);
`forecast` does all of it and writes the page. Every input mistake is one `InputError`.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from l2csim import layout
from l2csim.errors import InputError
from l2csim.executors import backend
from l2csim.forecast import state as st
from l2csim.forecast.calibrate import HINDCASTS, ErrorModel, bands, hindcast_dates, run_hindcasts
from l2csim.forecast.model import as_of_today, fit_options, fit_until
from l2csim.forecast.outcomes import LogTimes
from l2csim.forecast.simulate import (
    COUNTS,
    ForecastReplication,
    ForecastSpec,
    run_forecast_replication,
)
from l2csim.inputs import Inputs, read_inputs_log
from l2csim.log import TIMESTAMP, EventLog
from l2csim.output import write_csv, write_json
from l2csim.params import END_NODE, START_NODE, ModelParams, write_params
from l2csim.policy import Policy
from l2csim.scenario import load_scenario, resolve_policy
from l2csim.settings import MAX_HORIZON_DAYS, bounded_int, parse_duration
from l2csim.sim.routing import bypass

BASELINE = "baseline"
KPIS = ("backlog", "arrived", "delivered", "open_orders_delivered", "chase_calls",
        "late_deliveries")  # fmt: skip
QUANTILES = (0.05, 0.5, 0.95)
DAILY_COLUMNS = ("scenario", "day", "date", "kpi", "mean", "p05", "p50", "p95")
HINDCAST_REPLICATIONS = 5  # per hindcast: its mean and spread are all that is needed
ORDER_COLUMNS = (
    "order", "customer", "tier", "current_activity", "last_activity", "age_hours", "promised",
    "p_late", "delivery_p50", "delivery_p90", "value_at_stake",
)  # fmt: skip
MAX_FORECAST_DAYS = 365
DEFAULT_REPLICATIONS = 20


@dataclass(frozen=True)
class ForecastSettings:
    """How a forecast runs: as-of (None: the log's last event), the horizon ('28d'),
    replications, seed, where (jobs, scheduler) and whether to calibrate the fit."""

    as_of: str | None = None
    horizon: str = "28d"
    replications: int = DEFAULT_REPLICATIONS
    seed: int = 0
    jobs: int = 0
    scheduler: str | None = None
    calibrate: bool = False
    hindcasts: int = HINDCASTS  # past cuts that measure the model's own error (0: none)

    def __post_init__(self) -> None:
        bounded_int(self.replications, "--replications", 2, 1000)
        bounded_int(self.seed, "--seed", 0, 2**63 - 1)
        bounded_int(self.jobs, "--jobs", 0, 512)
        self.horizon_days  # noqa: B018 - checks the horizon now

    @property
    def horizon_days(self) -> int:
        hours = parse_duration(self.horizon, "horizon")
        if hours <= 0:
            raise InputError(f"--horizon {self.horizon}: give a horizon of at least one day.")
        if hours % 24:
            raise InputError(f"--horizon {self.horizon}: give whole days, e.g. 28d or 4w.")
        days = int(hours // 24)
        if days > min(MAX_HORIZON_DAYS, MAX_FORECAST_DAYS):
            raise InputError(
                f"--horizon {self.horizon}: a forecast from today reaches at most "
                f"{MAX_FORECAST_DAYS} days; use `l2csim simulate` for the long run."
            )
        return days


@dataclass(frozen=True)
class Prepared:
    """Everything a forecast from one moment needs, checked."""

    as_of: pd.Timestamp
    params: ModelParams  # fitted up to as-of, set to today (as_of_today, staff at work)
    fitted: ModelParams  # as fitted
    open_orders: pd.DataFrame  # state.OPEN_COLUMNS
    clock: st.Clock
    at: float  # as-of on the clock
    staff_away: dict[str, list[str]]  # left out: did nothing for longer than any absence
    timezone: str
    rules: dict  # segment -> sim.state.PathRule
    staff: dict[str, dict[str, int]]  # team -> person -> working days away at as-of

    def closed_days(self, horizon_days: int) -> list[datetime.date]:
        """The days of the horizon (as-of's local day on) the company is closed."""
        first = self.as_of.tz_convert(self.timezone).date()
        closed = self.params.closures.all_days()
        days = (first + datetime.timedelta(days=k) for k in range(horizon_days + 1))
        return [day for day in days if day in closed]

    def planned_leave(self, horizon_days: int) -> dict[str, int]:
        """Person -> their days of planned leave (the study's plan) in the horizon."""
        first = self.as_of.tz_convert(self.timezone).date()
        last = first + datetime.timedelta(days=horizon_days)
        at_work = {m.name for pool in self.params.pools for m in pool.members}
        counts = {
            person: sum(1 for day in days if first <= day <= last)
            for person, days in self.params.leave.days.items()
            if person in at_work
        }
        return {person: n for person, n in counts.items() if n}

    def start(self):
        return st.start_state(
            self.open_orders, self.clock, self.at, self.params, self.rules, self.staff
        )


@dataclass
class ForecastResult:
    """What a forecast computed and wrote."""

    prepared: Prepared
    daily: pd.DataFrame
    orders: pd.DataFrame
    scenarios: dict[str, str]  # name -> description
    runs: dict[str, list[ForecastReplication]]
    error: ErrorModel | None = None
    written: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


class NoOpenOrders(InputError):
    """Every order received by as-of was delivered by then: nothing to forecast from."""


# --- as-of and the state ----------------------------------------------------------------------


def parse_as_of(text: str | None, events: pd.DataFrame, timezone: str) -> pd.Timestamp:
    """as-of as a UTC moment: a date means the end of that local day; a time without an
    offset is local; None is the log's last event. Outside the log's period it is refused."""
    first, last = events[TIMESTAMP].min(), events[TIMESTAMP].max()
    if text is None:
        return last
    try:
        moment = pd.Timestamp(str(text).strip())
    except (ValueError, TypeError):
        moment = pd.NaT
    if pd.isna(moment):
        raise InputError(
            f"--as-of {text!r}: not a date or time; write it as YYYY-MM-DD or "
            "YYYY-MM-DDTHH:MM (local time, or with an offset)."
        )
    bare_date = len(str(text).strip()) <= 10
    if moment.tzinfo is None:
        moment = moment.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
    if bare_date:
        local = moment.tz_convert(timezone).tz_localize(None) + pd.Timedelta(days=1)
        moment = local.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
    moment = moment.tz_convert("UTC")
    zone = timezone
    if moment < first:
        raise InputError(
            f"--as-of {text}: before the log starts ({_local(first, zone)}); give a moment "
            "inside the log's period."
        )
    if moment > last and not (bare_date and moment - last < pd.Timedelta(days=1)):
        raise InputError(
            f"--as-of {text}: after the log ends ({_local(last, zone)}); the state at as-of "
            "must be in the log. Give a moment up to its last event, or leave --as-of out."
        )
    return min(moment, last) if bare_date else moment


def _local(moment: pd.Timestamp, timezone: str) -> str:
    return moment.tz_convert(timezone).strftime("%Y-%m-%d %H:%M %Z")


def describe_as_of(moment: pd.Timestamp, timezone: str) -> str:
    """as-of for people: 'the end of 2025-10-01' for a local midnight, else the local time."""
    local = moment.tz_convert(timezone)
    if local == local.normalize():
        return f"the end of {(local - pd.Timedelta(days=1)).strftime('%Y-%m-%d')}"
    return local.strftime("%Y-%m-%d %H:%M %Z")


def prepare(
    log: EventLog,
    study,
    as_of: pd.Timestamp,
    *,
    calibrate: bool = False,
    jobs: int = 1,
    require_open: bool = True,
    calibration_required: bool = True,
) -> Prepared:
    """Cut the log at as-of, fit the model from it and read the state there.
    `calibration_required=False`: a cut too short to calibrate is fitted uncalibrated."""
    if study is None or not study.roles.delivered:
        where = study.source if study is not None else log.source
        raise InputError(
            f"{where}: a forecast needs to know which orders are still open: name the "
            "activity that delivers an order (roles.delivered in the study file)."
        )
    timezone = study.log.timezone
    cut = st.cut_log(log, as_of)
    if cut.events.empty:
        raise InputError(f"{log.source}: no events by as-of {_local(as_of, timezone)}.")
    running = st.in_progress(log.events, as_of)
    fitted = fit_until(cut, study, fit_options(study, calibrate, jobs, calibration_required))
    cases = st.orders_of(cut.events, study)
    table = st.open_orders(cut.events, study, fitted, as_of, running, cases)
    if require_open and table.empty:
        raise NoOpenOrders(
            f"{log.source}: no open orders at {_local(as_of, timezone)} (every order received "
            "by then was delivered by then); give an earlier --as-of, or check roles.delivered."
        )
    params, away, staff = st.staff_at_work(cut.events, as_of_today(fitted), as_of)
    clock = st.Clock.of_week(as_of, timezone)
    rules = st.path_rules(cut.events, study, fitted, cases) if len(table) else {}
    return Prepared(
        as_of, params, fitted, table, clock, clock.hours(as_of), away, timezone, rules, staff
    )


# --- policies ---------------------------------------------------------------------------------


def policies(study, params: ModelParams, scenario_files: Sequence[Path]) -> dict[str, tuple]:
    """name -> (policy, description): today's (the study's baseline.yaml, else the as-is
    policy) and one per scenario file, checked against the model."""
    out: dict[str, tuple[Policy, str]] = {}
    baseline_file = study.folder / "baseline.yaml" if study is not None else None
    if baseline_file is not None and baseline_file.is_file():
        scenario = load_scenario(baseline_file)
        out[BASELINE] = (
            resolve_policy(scenario.policy, params, str(baseline_file)),
            scenario.description or "today's policy",
        )
    else:
        out[BASELINE] = (Policy(), "today's policy (as-is)")
    for path in scenario_files:
        scenario = load_scenario(path)
        name = scenario.name
        if name in out:
            if Path(path).resolve() == (baseline_file.resolve() if baseline_file else None):
                continue
            raise InputError(f"{path}: a second scenario named {name!r}; rename one file.")
        out[name] = (resolve_policy(scenario.policy, params, str(path)), scenario.description)
    return out


# --- running ----------------------------------------------------------------------------------


def simulate_forward(
    specs: list[ForecastSpec],
    replications: int,
    executor: Executor | None = None,
    on_done: Callable[[ForecastReplication], None] | None = None,
) -> list[list[ForecastReplication]]:
    """Replications 0..n-1 of every spec, all submitted at once; results by replication."""
    if executor is None:
        out = []
        for spec in specs:
            row = []
            for i in range(replications):
                row.append(run_forecast_replication(spec, i))
                if on_done:
                    on_done(row[-1])
            out.append(row)
        return out
    futures = [
        [executor.submit(run_forecast_replication, spec, i) for i in range(replications)]
        for spec in specs
    ]
    out = []
    for row in futures:
        results = []
        for future in row:
            results.append(future.result())
            if on_done:
                on_done(results[-1])
        out.append(sorted(results, key=lambda r: r.replication))
    return out


def daily_values(runs: list[ForecastReplication]) -> dict[str, np.ndarray]:
    """Per KPI, replications x days: backlog at each day's end, open orders delivered so
    far (cumulative), the other counts per day."""
    counts = np.stack([r.counts for r in runs]).astype(float)  # reps x COUNTS x days
    index = {name: i for i, name in enumerate(COUNTS)}
    start = np.array([r.open_at_start for r in runs], dtype=float)[:, None]
    arrived = counts[:, index["arrived"]]
    delivered = counts[:, index["delivered"]]
    return {
        "backlog": start + np.cumsum(arrived, axis=1) - np.cumsum(delivered, axis=1),
        "arrived": arrived,
        "delivered": delivered,
        "open_orders_delivered": np.cumsum(counts[:, index["open_orders_delivered"]], axis=1),
        "chase_calls": counts[:, index["chase_calls"]],
        "late_deliveries": counts[:, index["late_deliveries"]],
    }


def summarise_days(
    runs: dict[str, list[ForecastReplication]],
    as_of: pd.Timestamp,
    timezone: str,
    error: ErrorModel | None = None,
    open_orders: int | None = None,
) -> pd.DataFrame:
    """daily.csv: per scenario, day and KPI the mean, the median and the 5-95 % band for
    the real day (`calibrate.bands`: a prediction band with the model's own error from the
    hindcasts)."""
    records = []
    for scenario, results in runs.items():
        values = daily_values(results)
        days = values["backlog"].shape[1]
        columns = {
            kpi: bands(values[kpi], kpi, error,
                       open_orders if kpi == "open_orders_delivered" else None)
            for kpi in KPIS
        }  # fmt: skip
        for day in range(days):
            begins = (as_of + pd.Timedelta(days=day)).tz_convert(timezone)
            for kpi in KPIS:
                mean, p05, p50, p95 = (round(float(c[day]), 2) for c in columns[kpi])
                records.append(
                    (scenario, day + 1, begins.strftime("%Y-%m-%d"), kpi, mean, p05, p50, p95)
                )
    return pd.DataFrame.from_records(records, columns=list(DAILY_COLUMNS))


def hindcast_errors(
    log: EventLog,
    study,
    prepared: Prepared,
    policy: Policy,
    settings: ForecastSettings,
    executor: Executor | None,
    known_until: pd.Timestamp | None = None,
) -> ErrorModel | None:
    """The model's own error on past cuts of the log before as-of (calibrate.py)."""
    if settings.hindcasts <= 0:
        return None
    horizon = settings.horizon_days
    known_until = known_until if known_until is not None else prepared.as_of
    first = log.events[TIMESTAMP].min()
    dates = hindcast_dates(first, prepared.as_of, horizon, settings.hindcasts)
    cut = st.cut_log(log, known_until)
    cases = st.orders_of(cut.events, study)
    times = LogTimes.of(cases, cut.events, prepared.params.roles.chase_call)
    replications = HINDCAST_REPLICATIONS

    def simulate(starts):
        specs = [
            ForecastSpec(prepared.params, policy, "hindcast", settings.seed, s.at,
                         horizon * 24.0, s)
            for s in starts
        ]  # fmt: skip
        return [daily_values(r) for r in simulate_forward(specs, replications, executor)]

    return run_hindcasts(dates, cut, study, prepared, times, simulate, known_until, horizon, cases)


def late_probability(delivered: np.ndarray, promise: np.ndarray, horizon: float) -> np.ndarray:
    """Per order, the share of replications delivering it after its promise (an order not
    delivered within the horizon is late when its promise falls inside the horizon)."""
    late = delivered > promise[None, :]
    missing = np.isnan(delivered) & (promise[None, :] < horizon)
    return (late | missing).mean(axis=0)


def delivery_quantile(delivered: np.ndarray, q: float) -> np.ndarray:
    """Per order, the q-quantile of its delivery (hours after as-of; NaN beyond the horizon)."""
    values = np.where(np.isnan(delivered), np.inf, delivered)
    out = np.quantile(values, q, axis=0, method="inverted_cdf")
    return np.where(np.isfinite(out), out, np.nan)


def next_steps(params: ModelParams) -> dict[tuple[str, str | None], str]:
    """(segment, last step) -> the step it most likely waits for next (calls left out)."""
    calls = {*params.roles.chase_call, *params.roles.courtesy_call}
    if params.chase.expedite_activity:
        calls.add(params.chase.expedite_activity)
    out = {}
    for routing in params.routing:
        chain = bypass(routing.transitions, calls)
        for node, row in chain.items():
            candidates = sorted((-p, b) for b, p in row.items() if b != END_NODE and p > 0)
            if candidates:
                last = None if node == START_NODE else node
                out[(routing.segment, last)] = candidates[0][1]
    return out


def call_list(
    prepared: Prepared,
    runs: dict[str, list[ForecastReplication]],
    horizon_hours: float,
) -> pd.DataFrame:
    """open_orders.csv: every open order with its chance of missing its promise and its
    likely delivery, sorted by value at stake x p_late (the proactive call list)."""
    table = prepared.open_orders
    start = prepared.start()
    promise = np.array([o.promise - prepared.at for o in start.orders])
    value = np.array(
        [o.value if math.isfinite(o.value) else _tier_value(prepared.params, o.tier)
         for o in start.orders]
    )  # fmt: skip
    baseline = np.stack([r.delivered for r in runs[BASELINE]])
    p_late = late_probability(baseline, promise, horizon_hours)
    zone = prepared.timezone
    nexts = next_steps(prepared.params)
    current = [
        row.current_activity
        if isinstance(row.current_activity, str)
        else nexts.get((row.segment, row.last_activity if isinstance(row.last_activity, str)
                        else None), "")
        for row in table.itertuples(index=False)
    ]  # fmt: skip
    out = pd.DataFrame(
        {
            "order": table["order"].astype(str),
            "customer": table["customer"].astype(object).where(table["customer"].notna(), ""),
            "tier": table["tier"].astype(str),
            "current_activity": current,
            "last_activity": table["last_activity"].fillna("").astype(str),
            "age_hours": ((prepared.as_of - table["received"]) / st.HOUR).round(1),
            "promised": _times(table["promised"], zone),
            "p_late": np.round(p_late, 3),
            "delivery_p50": _times(_after(prepared, delivery_quantile(baseline, 0.5)), zone),
            "delivery_p90": _times(_after(prepared, delivery_quantile(baseline, 0.9)), zone),
            "value_at_stake": np.round(value, 2),
        }
    )
    for name, results in runs.items():
        if name != BASELINE:
            other = np.stack([r.delivered for r in results])
            out[f"p_late[{name}]"] = np.round(late_probability(other, promise, horizon_hours), 3)
    out["_key"] = out["value_at_stake"] * out["p_late"]
    out = out.sort_values(
        ["_key", "p_late", "age_hours", "order"], ascending=[False, False, False, True],
        kind="stable",
    )  # fmt: skip
    return out.drop(columns="_key").reset_index(drop=True)


def _tier_value(params: ModelParams, tier: str) -> float:
    return next((t.mean_order_value for t in params.tiers if t.name == tier), 0.0)


def _after(prepared: Prepared, hours: np.ndarray) -> pd.Series:
    moments = prepared.as_of + pd.to_timedelta(hours, unit="h")
    return pd.Series(moments)


def _times(values: pd.Series, timezone: str) -> pd.Series:
    """UTC times as local ISO text with the offset ('' for none)."""
    values = pd.to_datetime(pd.Series(values).reset_index(drop=True), utc=True)
    text = values.dt.tz_convert(timezone).dt.strftime("%Y-%m-%dT%H:%M%z")
    return text.fillna("").str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)


# --- the whole command ------------------------------------------------------------------------


def forecast(
    inputs: Inputs,
    out: Path | None,
    settings: ForecastSettings | None = None,
    scenario_files: Sequence[Path] = (),
    *,
    executor: Executor | None = None,
    on_done: Callable[[ForecastReplication], None] | None = None,
) -> ForecastResult:
    """Forecast the next `settings.horizon` from as-of; write daily.csv, open_orders.csv,
    forecast.json and model.json into `out` (`out` None: write nothing)."""
    settings = settings or ForecastSettings()
    horizon_days = settings.horizon_days
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    log = read_inputs_log(inputs)
    study = inputs.study
    timezone = study.log.timezone if study is not None else "UTC"
    as_of = parse_as_of(settings.as_of, log.events, timezone)
    prepared = prepare(log, study, as_of, calibrate=settings.calibrate, jobs=settings.jobs or 1)
    chosen = policies(study, prepared.params, scenario_files)
    seconds["fit_and_state"] = time.perf_counter() - began
    began = time.perf_counter()
    start = prepared.start()
    specs = [
        ForecastSpec(prepared.params, policy, name, settings.seed, prepared.at,
                     horizon_days * 24.0, start, prepared.clock.origin.date())
        for name, (policy, _) in chosen.items()
    ]  # fmt: skip
    with contextlib.ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(backend(settings.jobs, settings.scheduler)).executor
        results = simulate_forward(specs, settings.replications, executor, on_done)
        seconds["simulate"] = time.perf_counter() - began
        began = time.perf_counter()
        error = hindcast_errors(log, study, prepared, chosen[BASELINE][0], settings, executor)
        seconds["hindcasts"] = time.perf_counter() - began
    runs = dict(zip(chosen, results, strict=True))
    daily = summarise_days(runs, as_of, timezone, error, len(prepared.open_orders))
    orders = call_list(prepared, runs, horizon_days * 24.0)
    result = ForecastResult(
        prepared, daily, orders, {k: v[1] for k, v in chosen.items()}, runs, error, [], seconds
    )
    if out is not None:
        result.written += [
            write_csv(out / layout.DAILY_CSV, daily),
            write_csv(out / layout.OPEN_ORDERS_CSV, orders),
            write_params(prepared.fitted, out / layout.MODEL_JSON),
            write_json(out / layout.FORECAST_JSON, summary(result, settings, log)),
        ]
    return result


def summary(result: ForecastResult, settings: ForecastSettings, log: EventLog) -> dict:
    """forecast.json: what was forecast from what."""
    prepared = result.prepared
    table = prepared.open_orders
    return {
        "schema_version": 1,
        "log": Path(log.source).name,
        "as_of": prepared.as_of.isoformat(),
        "horizon_days": settings.horizon_days,
        "replications": settings.replications,
        "seed": settings.seed,
        "calibrated": settings.calibrate,
        "scenarios": [{"name": k, "description": v} for k, v in result.scenarios.items()],
        "open_orders": len(table),
        "open_orders_by_tier": {
            str(k): int(v) for k, v in table["tier"].value_counts().sort_index().items()
        },
        "overdue_at_as_of": int((table["promised"] < prepared.as_of).sum()),
        "model_period": {
            "start": prepared.fitted.created_from.period_start
            if prepared.fitted.created_from
            else None,
            "end": prepared.fitted.created_from.period_end
            if prepared.fitted.created_from
            else None,
        },
        "staff_not_at_work": prepared.staff_away,
        "staff_away_at_as_of": {
            team: {person: days for person, days in sorted(people.items()) if days}
            for team, people in sorted(prepared.staff.items())
            if any(people.values())
        },
        "closed_days_in_horizon": [
            d.isoformat() for d in prepared.closed_days(settings.horizon_days)
        ],
        "planned_leave_in_horizon": prepared.planned_leave(settings.horizon_days),
        "reorder_clocks": "none: the model's customers order as a Poisson stream per tier",
        "model_error": result.error.summary() if result.error is not None else None,
        "notes": list(prepared.fitted.notes),
    }
