"""`l2csim simulate`: run a scenario (or a fitted model as-is) and write its KPI tables.

Writes into the output folder: `kpis.parquet` and `kpis.csv` (the tidy long table, see
README), `run.json` (what ran: scenario, model, seed, horizon, speed) and with `event_log`
the simulated log as `events.csv` and `events.xes` (pm4py's column names, UTC times), which
`l2csim mine` reads like any log.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from l2csim.errors import InputError
from l2csim.output import write_csv, write_json, write_parquet
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

    @property
    def events_per_second(self) -> float:
        seconds = sum(r.seconds for r in self.results)
        return sum(r.events for r in self.results) / seconds if seconds else 0.0


def simulate(
    target: str | Path | Scenario,
    out: Path,
    *,
    replications: int = 10,
    seed: int = 0,
    horizon: str = "365d",
    warmup: str = "30d",
    event_log: bool = False,
    jobs: int = 0,
    on_done: Callable[[ReplicationResult], None] | None = None,
) -> SimulationRun:
    """Run the replications of a scenario and write the KPI tables (and the event log).

    `jobs` processes run replications in parallel (0: one per core); results do not depend
    on it.
    """
    if replications < 1:
        raise InputError("--replications must be at least 1.")
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
    jobs = jobs if jobs > 0 else os.cpu_count() or 1
    results = run_replications(spec, replications, jobs=jobs, on_done=on_done)
    kpis = kpi_frame(results, scenario.name)
    written = [write_parquet(out / "kpis.parquet", kpis), write_csv(out / "kpis.csv", kpis)]
    if event_log:
        log = event_frame(results, params.timezone)
        written += [write_csv(out / "events.csv", log), _write_xes(out / "events.xes", log)]
    events = sum(r.events for r in results)
    written.append(
        write_json(
            out / "run.json",
            {
                "scenario": scenario.name,
                "scenario_file": str(scenario.source) if scenario.source else None,
                "model": str(scenario.model_path),
                "policy": scenario.policy.model_dump(mode="json"),
                "seed": seed,
                "replications": replications,
                "horizon_hours": horizon_h,
                "warmup_hours": warmup_h,
                "simulated_events": events,
                "orders": sum(r.orders for r in results),
            },
        )
    )
    return SimulationRun(scenario.name, kpis, results, written)


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
