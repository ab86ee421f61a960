"""`l2csim simulate`: run a scenario (or a fitted model as-is) and write its KPI tables.

Writes into the output folder: `kpis.parquet` and `kpis.csv` (the tidy long table, see
README), `run.json` (what ran: scenario, model, seed, horizon, speed) and with `event_log`
the simulated log as `events.csv` and `events.xes` (pm4py's column names, UTC times), which
`l2csim mine` reads like any log.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from l2csim import layout
from l2csim.confidence import headline_precision, replications_needed, require_replications
from l2csim.draws import draws_for
from l2csim.errors import InputError, L2csimWarning
from l2csim.executors import backend
from l2csim.output import atomic_path, sha256_file, write_csv, write_json, write_parquet
from l2csim.params import ModelParams
from l2csim.scenario import Scenario, load_scenario, load_with_model, model_scenario
from l2csim.settings import RunSettings, parse_duration, parse_precision, parse_replications
from l2csim.sim.replications import (
    ReplicationResult,
    RunSpec,
    kpi_frame,
    run_replications,
)

__all__ = [
    "SimulationRun",
    "parse_duration",
    "parse_precision",
    "parse_replications",
    "prepare",
    "prepare_run",
    "run_to_precision",
    "simulate",
]


def scenario_for(target: str | Path | Scenario) -> Scenario:
    """A scenario YAML, or a fitted model JSON run as the as-is baseline (or a Scenario)."""
    if isinstance(target, Scenario):
        return target
    path = Path(target)
    if path.suffix.lower() == ".json":
        return model_scenario(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        return load_scenario(path)
    raise InputError(f"{path}: give a scenario (.yaml) or a fitted model (.json).")


@dataclass(frozen=True)
class SimulationRun:
    scenario: str
    kpis: pd.DataFrame
    results: list[ReplicationResult]
    written: list[Path]
    precision: dict[str, float] = field(default_factory=dict)
    precision_met: bool | None = None

    @property
    def events_per_second(self) -> float:
        seconds = sum(r.seconds for r in self.results)
        return sum(r.events for r in self.results) / seconds if seconds else 0.0


def prepare(
    target: str | Path | Scenario, settings: RunSettings | None = None
) -> tuple[Scenario, ModelParams, RunSpec]:
    """The scenario, its model and the run spec: everything checked before any work starts."""
    scenario, params, spec, _ = prepare_run(target, settings)
    return scenario, params, spec


def prepare_run(
    target: str | Path | Scenario, settings: RunSettings | None = None
) -> tuple[Scenario, ModelParams, RunSpec, dict]:
    """As `prepare`, and what run.json says about the parameter draws the spec carries (the
    fit's uncertainty: the draws beside the model, see `settings.fit_uncertainty`)."""
    settings = settings or RunSettings()
    scenario, params = load_with_model(scenario_for(target))
    draws, uncertainty = draws_for(scenario.model_path, settings.fit_uncertainty)
    if uncertainty.get("stale"):  # draws of another fit: said, and run without them
        warnings.warn(uncertainty["reason"], L2csimWarning, stacklevel=2)
    spec = RunSpec(
        params=params,
        policy=scenario.policy,
        scenario=scenario.name,
        seed=settings.seed,
        horizon_hours=settings.horizon_hours,
        warmup_hours=settings.warmup_hours,
        event_log=settings.event_log,
        draws=tuple(draws.sets) if draws is not None else (),
    )
    return scenario, params, spec, uncertainty


def run_to_precision(
    spec: RunSpec,
    *,
    precision: float = 0.05,
    max_replications: int = 100,
    batch: int = 10,
    executor: Executor | None = None,
    on_done: Callable[[ReplicationResult], None] | None = None,
) -> tuple[list[ReplicationResult], dict[str, float], bool]:
    """Add replications in batches until every headline KPI's 95% CI half-width is within
    `precision` of its mean, or `max_replications` ran.

    Batches are sized from the results (half-width ~ 1/sqrt(n)), never from the number of
    workers, so the replications run - and the numbers - are the same on any executor.
    Returns the results, the achieved relative half-width per headline KPI and whether the
    target was met.
    """
    require_replications(max_replications, "--replications auto")
    results: list[ReplicationResult] = []
    size = min(max_replications, max(3, batch))
    while True:
        results += run_replications(
            spec, size, executor=executor, first=len(results), on_done=on_done
        )
        achieved = headline_precision(kpi_frame(results, spec.scenario))
        met = all(math.isnan(v) or v <= precision for v in achieved.values())
        n = len(results)
        if met or n >= max_replications:
            return results, achieved, met
        needed = max(replications_needed(n, v, precision) for v in achieved.values())
        size = min(max_replications - n, max(batch, needed - n))


def simulate(
    target: str | Path | Scenario,
    out: Path,
    settings: RunSettings | None = None,
    *,
    executor: Executor | None = None,
    on_done: Callable[[ReplicationResult], None] | None = None,
) -> SimulationRun:
    """Run the replications of a scenario and write the KPI tables (and the event log).

    `settings.replications` is a count or None for auto (until the headline KPIs' intervals
    are within `settings.precision`, at most `settings.max_replications`). Replications run
    on `executor` when given, else on a Dask cluster (`settings.scheduler`) or
    `settings.jobs` local processes (0: one per core); results do not depend on which.
    """
    settings = settings or RunSettings()
    count = settings.replications
    target_precision = settings.precision
    max_replications = settings.max_replications
    seed, event_log = settings.seed, settings.event_log
    scenario, params, spec, uncertainty = prepare_run(target, settings)
    with contextlib.ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(backend(settings.jobs, settings.scheduler)).executor
        achieved: dict[str, float] = {}
        met: bool | None = None
        if count is None:
            results, achieved, met = run_to_precision(
                spec,
                precision=target_precision,
                max_replications=max_replications,
                executor=executor,
                on_done=on_done,
            )
        else:
            results = run_replications(spec, count, executor=executor, on_done=on_done)
    kpis = kpi_frame(results, scenario.name)
    written = [
        write_parquet(out / layout.KPIS_PARQUET, kpis),
        write_csv(out / layout.KPIS_CSV, kpis),
    ]
    if event_log:
        log = event_frame(results, params.timezone)
        written += [
            write_csv(out / layout.EVENTS_CSV, log),
            _write_xes(out / layout.EVENTS_XES, log),
        ]
    fitted_from = params.created_from
    written.append(
        write_json(
            out / layout.RUN_JSON,
            {
                "scenario": scenario.name,
                "description": scenario.description,
                "scenario_file": str(scenario.source) if scenario.source else None,
                "model": str(scenario.model_path),
                "model_sha256": sha256_of(scenario.model_path),
                "log_sha256": fitted_from.sha256 if fitted_from else None,
                "policy": scenario.policy.model_dump(mode="json"),
                "seed": seed,
                "replications": len(results),
                "replications_mode": "auto" if count is None else "fixed",
                "precision_target": target_precision if count is None else None,
                "precision_achieved": achieved or None,
                "precision_met": met,
                "horizon_hours": spec.horizon_hours,
                "warmup_hours": spec.warmup_hours,
                "fit_uncertainty": uncertainty,
                "simulated_events": sum(r.events for r in results),
                "orders": sum(r.orders for r in results),
            },
        )
    )
    return SimulationRun(scenario.name, kpis, results, written, achieved, met)


def sha256_of(path: Path) -> str:
    """The content hash of a file (the model a run used)."""
    return sha256_file(path)


def event_frame(results: list[ReplicationResult], timezone: str) -> pd.DataFrame:
    """The simulated event logs of all replications as one pm4py-named DataFrame (UTC),
    ordered by replication, case number and time.

    Simulated time is local wall-clock time (calendars ignore daylight saving); converting
    to UTC reads the repeated autumn hour as standard time and moves the skipped spring
    hour forward, so no event is lost.
    """
    parts = [
        pd.DataFrame(r.event_columns).assign(_r=r.replication) for r in results if r.event_columns
    ]
    if not parts:
        return pd.DataFrame()
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    standard = np.zeros(len(frame), dtype=bool)  # the repeated autumn hour: standard time
    for column in ("start_timestamp", "time:timestamp"):
        frame[column] = (
            pd.to_datetime(frame[column])
            .dt.tz_localize(timezone, ambiguous=standard, nonexistent="shift_forward")
            .dt.tz_convert("UTC")
        )
    frame = frame.sort_values(["_r", "_case", "time:timestamp"], kind="stable")
    return frame.drop(columns=["_r", "_case"]).reset_index(drop=True)


def _write_xes(path: Path, frame: pd.DataFrame) -> Path:
    """XES through pm4py's line-by-line writer, renamed into place only when complete, with
    the XES extensions its columns use named in a fixed order. Not its Rust writer (rustxes,
    used when installed), which orders each trace's and event's attributes differently on
    every run, and not pm4py's own detection of the extensions, a set whose order follows
    the interpreter's string hashing: either way the same replications gave different files."""
    from l2csim.pm4py_adapter import pm4py, pm4py_module

    pm = pm4py()
    xes_extensions = pm4py_module("pm4py.objects.log.obj").XESExtension
    parts = {part for column in frame.columns for part in str(column).split(":")}
    extensions = [ext for ext in xes_extensions if ext.prefix in parts]
    with atomic_path(path, suffix=".xes") as tmp:  # pm4py's writer wants the .xes suffix
        pm.write_xes(
            frame,
            str(tmp),
            case_id_key="case:concept:name",
            extensions=extensions,
            variant_str="line_by_line",
        )
    return path
