"""Calibration: tune what the log cannot pin down so the model reproduces the log's period.

Processing times read off a completion-only log are estimates: idle time before a job (a
pick wave, a break, untracked work) inflates them, and a lightly loaded team shows it most.
So after the fit, the model replays the log's own period (as validation does, with orders
arriving when the log's came) and the work of each staffed team is scaled to bring the
simulated log close to the real one, with optuna (a well-kept optimiser; SIMOD tunes its
models the same way with hyperopt) within a stated budget of replays: one TPE study per
team, run in lockstep, each told how far the waits before its own steps and the shared lead
times and backlog are off, plus a small cost for moving away from the work the log shows
(`PRIOR_WEIGHT`): the log's estimate is evidence, and an as-is fit bought by distorting one
team would mislead every what-if about it.

The distance is the mean relative error over what congestion shows: lead time (mean and
90th percentile) per segment, the daily backlog of orders between receipt and delivery,
and the waiting before each activity (weighted by how often it occurs), all measured by the
same functions on both logs (`measures`). Only orders received in the first
`1 - holdout` of the period are tuned on; the last part is held out and its distance
reported before and after; scales that fit the tuned part better but the held-out part
worse fit noise, and the fitted model is kept (said so in the notes).

The team sizes and shifts come from who worked when (`fit.staff`) and stay as fitted; the
delays (waiting nobody works on) stay as measured.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from l2csim.errors import InputError
from l2csim.log import ACTIVITY, CASE, TIMESTAMP
from l2csim.params import ModelParams, Provenance
from l2csim.policy import Policy

HOUR = pd.Timedelta(hours=1)
SCALE_RANGE = (0.25, 2.0)
MIN_PART_DAYS = 28
BATCH = 2
PRIOR_WEIGHT = 0.1  # per unit of log-scale: x2 costs 0.07 of distance
SEGMENT = "case:segment"


@dataclass(frozen=True)
class CalibrationSettings:
    """How hard to try: trials (model runs), the held-out share of the period, the seed."""

    trials: int = 20
    holdout: float = 0.2
    seed: int = 0
    jobs: int = 1
    # Asked for (--calibrate, or the study's calibration: section): a log too short to hold
    # out is an error. On by default only: the fit goes on uncalibrated, and says so.
    required: bool = True

    def long_enough(self, days: float) -> bool:
        """Whether a log of `days` leaves `MIN_PART_DAYS` in the tuned and the held-out part."""
        return days * self.holdout >= MIN_PART_DAYS and days * (1 - self.holdout) >= MIN_PART_DAYS

    def check(self) -> None:
        if self.trials < 1:
            raise InputError(
                f"calibration budget {self.trials}: give at least 1 trial (each trial "
                "replays the log's period once)."
            )
        if not 0 < self.holdout < 0.5:
            raise InputError(
                f"calibration holdout {self.holdout}: give a share between 0 and 0.5 of the "
                "period to hold out (0.2 = the last fifth)."
            )


def measures(
    events: pd.DataFrame,
    segments: pd.Series,
    received_roles: list[str],
    delivered_roles: list[str],
    left_out: set[str],
    cut: pd.Timestamp,
    end: pd.Timestamp,
) -> dict[str, dict[str, float]]:
    """What congestion shows, for orders received before `cut` ('train') and from `cut`
    to `end` ('holdout'): lead time mean and p90 per segment, mean daily backlog, and the
    mean wait before each activity (time since the case's previous event)."""
    ordered = events.sort_values([CASE, TIMESTAMP], kind="stable")
    grouped = ordered.groupby(CASE, sort=True)
    first = grouped[TIMESTAMP].min()
    received = _role_time(ordered, received_roles, "min").reindex(first.index).fillna(first)
    delivered = _role_time(ordered, delivered_roles, "max").reindex(first.index)
    if not delivered_roles:
        delivered = grouped[TIMESTAMP].max()
    segment = segments.reindex(first.index).fillna("all").astype(str)
    lead = (delivered - received) / HOUR
    # The wait before a step: since the case's previous step of the flow (a call about the
    # order in between does not end it).
    flow = ~ordered[ACTIVITY].isin(list(left_out))
    previous = ordered.loc[flow].groupby(CASE, sort=False)[TIMESTAMP].shift()
    wait = ((ordered[TIMESTAMP] - previous.reindex(ordered.index)) / HOUR).where(flow)
    case_received = ordered[CASE].map(received)
    out: dict[str, dict[str, float]] = {}
    for part, mask in (
        ("train", received < cut),
        ("holdout", (received >= cut) & (received <= end)),
    ):
        values: dict[str, float] = {}
        for name, group in lead[mask].groupby(segment[mask]):
            done = group.dropna()
            if len(done) >= 10:
                values[f"lead_mean:{name}"] = float(done.mean())
                values[f"lead_p90:{name}"] = float(done.quantile(0.9))
        start = received[mask].min() if mask.any() else cut
        stop = cut if part == "train" else end
        days = pd.date_range(start.normalize() + pd.Timedelta(days=1), stop, freq="D")
        if len(days):
            opened = np.searchsorted(np.sort(received.to_numpy()), days.to_numpy(), side="right")
            closed = np.searchsorted(
                np.sort(delivered.dropna().to_numpy()), days.to_numpy(), side="right"
            )
            values["backlog_mean"] = float(np.mean(opened - closed))
        in_part = (
            case_received.between(start, stop)
            & wait.notna()
            & ~ordered[ACTIVITY].isin(list(left_out))
        )
        by_activity = wait[in_part].groupby(ordered.loc[in_part, ACTIVITY].astype(str))
        counts = by_activity.size()
        for name, mean in by_activity.mean().items():
            values[f"wait:{name}"] = float(mean)
            values[f"weight:{name}"] = float(counts[name] / counts.sum())
        out[part] = values
    return out


def distance(real: dict[str, float], simulated: dict[str, float]) -> float:
    """Mean relative error over the measures both have (activity waits by their weight)."""
    errors, weights = [], []
    for key, target in real.items():
        if key.startswith("weight:") or key not in simulated:
            continue
        value = simulated[key]
        if not math.isfinite(value):
            value = 0.0
        scale = max(abs(target), 1.0)
        weight = real.get(f"weight:{key.split(':', 1)[1]}", 1.0) if key.startswith("wait:") else 1.0
        errors.append(min(abs(value - target) / scale, 5.0))
        weights.append(weight)
    missing = [k for k in real if not k.startswith(("weight:", "wait:")) and k not in simulated]
    errors += [5.0] * len(missing)  # nothing delivered where the log delivers: far off
    weights += [1.0] * len(missing)
    return float(np.average(errors, weights=weights)) if errors else math.nan


def staffed_pools(params: ModelParams) -> list[str]:
    """The teams whose work the calibration scales: staffed pools that do some activity."""
    used = {a.pool for a in params.activities} | {
        p for a in params.activities for p in a.pool_by_segment.values()
    }
    return [p.name for p in params.pools if not p.external and p.name in used and p.members]


def apply_scales(params: ModelParams, scales: dict[str, float], note: str = "") -> ModelParams:
    """The model with each team's work (its activities' processing times) scaled."""
    activities = []
    for activity in params.activities:
        factor = scales.get(activity.pool, 1.0)
        if factor != 1.0 and activity.duration.mean > 0:
            detail = f"{activity.duration.provenance.detail}; x{factor:.3g} by calibration {note}"
            duration = activity.duration.scaled(
                factor, Provenance(source="log", detail=detail.strip())
            )
            activity = activity.model_copy(update={"duration": duration})
        activities.append(activity)
    return params.model_copy(update={"activities": activities})


@dataclass(frozen=True)
class Period:
    """The log's period on the simulation clock, when its orders came, and the cut."""

    begin: pd.Timestamp  # UTC moment of simulated hour 0
    horizon: float  # hours
    cut: pd.Timestamp
    end: pd.Timestamp
    intake: tuple[float, float] | None = None  # hours: the first and last order's arrival


def log_period(params: ModelParams, events: pd.DataFrame, holdout: float) -> Period:
    """The log's period on the model's clock, with orders arriving when the log's came, cut
    before the held-out last `holdout` of it."""
    from l2csim.sim.replications import origin

    start, end = events[TIMESTAMP].min(), events[TIMESTAMP].max()
    begin = pd.Timestamp(origin(params)).tz_localize(params.timezone).tz_convert("UTC")
    received = _role_time(events, params.roles.order_received, "min")
    first_seen = events.groupby(CASE)[TIMESTAMP].min()
    arrivals = received.reindex(first_seen.index).fillna(first_seen)
    intake = ((arrivals.min() - begin) / HOUR, (arrivals.max() - begin) / HOUR)
    cut = start + (end - start) * (1 - holdout)
    return Period(begin, (end - begin) / HOUR, cut, end, intake)


def replay(params: ModelParams, period: Period, seed: int) -> pd.DataFrame:
    """One replication of the as-is model over the log's period, as an event log."""
    from l2csim.sim.replications import RunSpec, run_replication
    from l2csim.sim.run import event_frame

    spec = RunSpec(
        params, Policy(), "calibration", seed, period.horizon, 0.0, event_log=True,
        intake=period.intake,
    )  # fmt: skip
    return event_frame([run_replication(spec, 0)], params.timezone)


def _trial(args) -> dict[str, dict[str, float]]:
    """The measures of one replay with the given scales ({} when nothing happened)."""
    params, scales, period, seed, left_out = args
    simulated = replay(apply_scales(params, scales), period, seed)
    if simulated.empty:
        return {"train": {}, "holdout": {}}
    segments = simulated.groupby(CASE)[SEGMENT].first()
    return measures(
        simulated, segments, params.roles.order_received, params.roles.delivered,
        left_out, period.cut, period.end,
    )  # fmt: skip


def team_error(real: dict[str, float], got: dict[str, float], activities: set[str]) -> float:
    """How far the waits before a team's own activities are off (weighted relative error)."""
    picked = {
        k: v
        for k, v in real.items()
        if k.split(":", 1)[0] in ("wait", "weight") and k.split(":", 1)[1] in activities
    }
    return distance(picked, got) if picked else 0.0


def flow_error(real: dict[str, float], got: dict[str, float]) -> float:
    """How far lead times and the backlog are off (every team shares this)."""
    picked = {k: v for k, v in real.items() if k.startswith(("lead_", "backlog"))}
    return distance(picked, got) if picked else 0.0


@dataclass(frozen=True)
class CalibrationResult:
    params: ModelParams
    scales: dict[str, float]
    before: dict[str, float]  # distance on train / holdout with the fitted model
    after: dict[str, float]
    trials: int

    def document(self) -> dict:
        return {
            "method": "one optuna TPE study per staffed team over its work scale, in lockstep",
            "trials": self.trials,
            "scales": {k: round(v, 4) for k, v in sorted(self.scales.items())},
            "distance_before": {k: round(v, 4) for k, v in self.before.items()},
            "distance_after": {k: round(v, 4) for k, v in self.after.items()},
        }


def calibrate(
    params: ModelParams,
    events: pd.DataFrame,
    segments: pd.Series,
    settings: CalibrationSettings,
    executor: Executor | None = None,
) -> CalibrationResult:
    """Tune each staffed team's work scale against the log's own period (see the module)."""
    import optuna

    settings.check()
    start, end = events[TIMESTAMP].min(), events[TIMESTAMP].max()
    days = (end - start) / pd.Timedelta(days=1)
    if not settings.long_enough(days):
        raise InputError(
            f"the log covers {days:.0f} days: calibration holds out the last "
            f"{settings.holdout:.0%} and needs at least {MIN_PART_DAYS} days in each part; "
            "calibrate a longer log, or fit without --calibrate."
        )
    roles = params.roles
    period = log_period(params, events, settings.holdout)
    cut = period.cut
    left_out = {*roles.chase_call, *roles.courtesy_call}
    if params.chase.expedite_activity:
        left_out.add(params.chase.expedite_activity)
    real = measures(events, segments, roles.order_received, roles.delivered, left_out, cut, end)
    pools = staffed_pools(params)
    activities = {
        pool: {
            a.name
            for a in params.activities
            if a.pool == pool or pool in a.pool_by_segment.values()
        }
        for pool in pools
    }
    seed = settings.seed
    own = executor is None and settings.jobs > 1
    runner = ProcessPoolExecutor(settings.jobs) if own else executor

    # A replay depends only on its scales: one already run (the fitted model is the first
    # trial; the best scales may be a trial's) is not run again.
    replayed: dict[tuple, dict[str, dict[str, float]]] = {}

    def evaluate(batch: list[dict[str, float]]) -> list[dict[str, dict[str, float]]]:
        keys = [tuple(sorted(scales.items())) for scales in batch]
        todo = {k: s for k, s in zip(keys, batch, strict=True) if k not in replayed}
        jobs = [(params, scales, period, seed, left_out) for scales in todo.values()]
        got = [_trial(job) for job in jobs] if runner is None else runner.map(_trial, jobs)
        replayed.update(zip(todo, got, strict=True))
        return [replayed[k] for k in keys]

    def both(got: dict[str, dict[str, float]]) -> tuple[float, float]:
        return distance(real["train"], got["train"]), distance(real["holdout"], got["holdout"])

    try:
        if not pools:
            before = both(evaluate([{}])[0])
            return CalibrationResult(params, {}, _pair(before), _pair(before), 0)
        # One optuna study per team, run in lockstep: each replay tries a scale for every
        # team, and each team's study is told how far the waits before its own steps (and
        # the shared lead times and backlog) are off. Teams act on their own steps mostly,
        # so a dozen replays go a long way where one joint search would need many more.
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        studies = {
            pool: optuna.create_study(
                direction="minimize",
                sampler=optuna.samplers.TPESampler(seed=seed + i, n_startup_trials=4),
            )
            for i, pool in enumerate(pools)
        }
        for study in studies.values():
            study.enqueue_trial({"scale": 1.0})
        done = 0
        while done < settings.trials:
            size = min(BATCH, settings.trials - done)
            asked = [{pool: studies[pool].ask() for pool in pools} for _ in range(size)]
            batch = [
                {
                    pool: trial.suggest_float("scale", *SCALE_RANGE, log=True)
                    for pool, trial in row.items()
                }
                for row in asked
            ]
            for row, got in zip(asked, evaluate(batch), strict=True):
                shared = flow_error(real["train"], got["train"])
                for pool, trial in row.items():
                    error = team_error(real["train"], got["train"], activities[pool]) + shared
                    # The work read off the log is evidence too: moving away from it costs.
                    error += PRIOR_WEIGHT * abs(math.log(trial.params["scale"]))
                    studies[pool].tell(trial, error)
            done += size
        # The first trial was the enqueued one, the fitted model itself: its replay is the
        # distance before calibration too, not run a second time.
        before = both(evaluate([dict.fromkeys(pools, 1.0)])[0])
        scales = {pool: float(studies[pool].best_params["scale"]) for pool in pools}
        after = both(evaluate([scales])[0])
    finally:
        if own and runner is not None:
            runner.shutdown(cancel_futures=True)
    if after[0] > before[0] or after[1] > before[1]:
        # Worse on the tuned part, or better there but worse on the held-out part: the
        # scales fit noise, and the fitted model is kept.
        kept = CalibrationResult(
            params, dict.fromkeys(pools, 1.0), _pair(before), _pair(before), settings.trials
        )
        note = (
            f"calibration: {settings.trials} trials found scales ({_scales(scales)}) that do not "
            f"bring the model closer on both parts of the period (tuned {before[0]:.3f} -> "
            f"{after[0]:.3f}, held out {before[1]:.3f} -> {after[1]:.3f}); the fitted model is kept"
        )
        document = {**kept.document(), "kept_fitted_model": True, "rejected_distance": _pair(after)}
        return CalibrationResult(
            params.model_copy(update={"notes": [*params.notes, note], "calibration": document}),
            kept.scales,
            kept.before,
            kept.after,
            settings.trials,
        )
    note = f"({settings.trials} trials, distance {before[0]:.3f} -> {after[0]:.3f})"
    calibrated = apply_scales(params, scales, note)
    result = CalibrationResult(calibrated, scales, _pair(before), _pair(after), settings.trials)
    notes = [*calibrated.notes, "calibration: " + _summary(result)]
    return CalibrationResult(
        calibrated.model_copy(update={"notes": notes, "calibration": result.document()}),
        scales,
        result.before,
        result.after,
        settings.trials,
    )


def _scales(scales: dict[str, float]) -> str:
    return ", ".join(f"{p} x{s:.2f}" for p, s in sorted(scales.items()))


def _pair(values: tuple[float, float]) -> dict[str, float]:
    return {"train": values[0], "holdout": values[1]}


def _summary(result: CalibrationResult) -> str:
    scales = _scales(result.scales)
    return (
        f"work scaled ({scales}) over {result.trials} trials; distance to the log "
        f"{result.before['train']:.3f} -> {result.after['train']:.3f} (tuned part), "
        f"{result.before['holdout']:.3f} -> {result.after['holdout']:.3f} (held-out part)"
    )


def _role_time(events: pd.DataFrame, activities: list[str], how: str) -> pd.Series:
    hits = events.loc[events[ACTIVITY].isin(activities), [CASE, TIMESTAMP]]
    return hits.groupby(CASE, sort=True)[TIMESTAMP].agg(how)
