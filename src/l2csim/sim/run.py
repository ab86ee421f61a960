"""`l2csim simulate`: run a scenario (or a fitted model as-is) and write its KPI tables.

Writes into the output folder: `kpis.parquet` and `kpis.csv` (the tidy long table, see
README), `run.json` (what ran: scenario, model, seed, horizon, speed) and with `event_log`
the simulated log as `events.csv` and `events.xes` (pm4py's column names, UTC times), which
`l2csim mine` reads like any log.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from l2csim.confidence import headline_precision, replications_needed, require_replications
from l2csim.errors import InputError
from l2csim.executors import backend
from l2csim.output import write_csv, write_json, write_parquet
from l2csim.params import ModelParams
from l2csim.scenario import Scenario, load_scenario, load_with_model, model_scenario
from l2csim.sim.replications import (
    ReplicationResult,
    RunSpec,
    kpi_frame,
    run_replications,
)

_UNITS = {"h": 1.0, "d": 24.0, "w": 168.0}


def parse_duration(text: str, what: str) -> float:
    """'365d', '12w', '48h' (or a bare number of days) -> hours."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hdw]?)\s*", str(text))
    if not match:
        raise InputError(f"--{what} {text!r}: give a number with a unit h, d or w, e.g. 365d.")
    return float(match.group(1)) * _UNITS[match.group(2) or "d"]


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


def parse_replications(value: int | str) -> int | None:
    """A replication count, or None for 'auto' (run until the precision target is met)."""
    if isinstance(value, int):
        count = value
    elif str(value).strip().lower() == "auto":
        return None
    else:
        try:
            count = int(str(value))
        except ValueError:
            raise InputError(
                f"--replications {value!r}: give a whole number, or auto with --precision."
            ) from None
    if count < 1:
        raise InputError("--replications must be at least 1.")
    return count


def parse_precision(value: float | str) -> float:
    """'5%' or 0.05 -> 0.05: the target relative half-width of the 95% intervals."""
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        number = math.nan
    if not 0 < number < 1:
        raise InputError(f"--precision {value!r}: give a relative half-width such as 5% or 0.05.")
    return number


def prepare(
    target: str | Path | Scenario,
    *,
    seed: int = 0,
    horizon: str = "365d",
    warmup: str = "30d",
    event_log: bool = False,
) -> tuple[Scenario, ModelParams, RunSpec]:
    """The scenario, its model and the run spec: everything checked before any work starts."""
    horizon_h, warmup_h = parse_duration(horizon, "horizon"), parse_duration(warmup, "warmup")
    if warmup_h >= horizon_h:
        raise InputError(f"--warmup {warmup} must be shorter than --horizon {horizon}.")
    scenario, params = load_with_model(scenario_for(target))
    spec = RunSpec(
        params=params,
        policy=scenario.policy,
        scenario=scenario.name,
        seed=seed,
        horizon_hours=horizon_h,
        warmup_hours=warmup_h,
        event_log=event_log,
    )
    return scenario, params, spec


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
    *,
    replications: int | str = 10,
    seed: int = 0,
    horizon: str = "365d",
    warmup: str = "30d",
    event_log: bool = False,
    jobs: int = 0,
    scheduler: str | None = None,
    precision: float | str = 0.05,
    max_replications: int = 100,
    executor: Executor | None = None,
    on_done: Callable[[ReplicationResult], None] | None = None,
) -> SimulationRun:
    """Run the replications of a scenario and write the KPI tables (and the event log).

    `replications` is a count or 'auto' (until the headline KPIs' intervals are within
    `precision`, at most `max_replications`). Replications run on `executor` when given,
    else on a Dask cluster (`scheduler`) or `jobs` local processes (0: one per core);
    results do not depend on which.
    """
    count = parse_replications(replications)
    target_precision = parse_precision(precision)
    scenario, params, spec = prepare(
        target, seed=seed, horizon=horizon, warmup=warmup, event_log=event_log
    )
    with contextlib.ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(backend(jobs, scheduler)).executor
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
    written = [write_parquet(out / "kpis.parquet", kpis), write_csv(out / "kpis.csv", kpis)]
    if event_log:
        log = event_frame(results, params.timezone)
        written += [write_csv(out / "events.csv", log), _write_xes(out / "events.xes", log)]
    fitted_from = params.created_from
    written.append(
        write_json(
            out / "run.json",
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
                "simulated_events": sum(r.events for r in results),
                "orders": sum(r.orders for r in results),
            },
        )
    )
    return SimulationRun(scenario.name, kpis, results, written, achieved, met)


def sha256_of(path: Path) -> str:
    """The content hash of a file (the model a run used)."""
    from l2csim.fit.fingerprint import sha256_of as digest

    return digest(Path(path))


def event_frame(results: list[ReplicationResult], timezone: str) -> pd.DataFrame:
    """The simulated event logs of all replications as one pm4py-named DataFrame (UTC).

    Simulated time is local wall-clock time (calendars ignore daylight saving); converting
    to UTC reads the repeated autumn hour as standard time and moves the skipped spring
    hour forward, so no event is lost.
    """
    rows = [row for r in results for row in (r.event_rows or [])]
    frame = pd.DataFrame.from_records(rows)
    if frame.empty:
        return frame
    standard = np.zeros(len(frame), dtype=bool)  # the repeated autumn hour: standard time
    for column in ("start_timestamp", "time:timestamp"):
        frame[column] = (
            pd.to_datetime(frame[column])
            .dt.tz_localize(timezone, ambiguous=standard, nonexistent="shift_forward")
            .dt.tz_convert("UTC")
        )
    order = frame["case:concept:name"].str.extract(r"R(\d+)-(\d+)").astype(int)
    frame = frame.assign(_r=order[0], _c=order[1])
    frame = frame.sort_values(["_r", "_c", "time:timestamp"], kind="stable")
    return frame.drop(columns=["_r", "_c"]).reset_index(drop=True)


def _write_xes(path: Path, frame: pd.DataFrame) -> Path:
    """XES through pm4py's writer, renamed into place only when complete."""
    from l2csim.pm4py_adapter import pm4py

    pm = pm4py()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".xes", dir=path.parent)
    os.close(fd)
    try:
        pm.write_xes(frame, tmp, case_id_key="case:concept:name")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
