"""`l2csim sweep`: run a grid of policies (e.g. CS staff 2..6 x courtesy rule) and write one table.

The grid file names a base scenario and `axes`: policy key paths (dots between keys, e.g.
`staffing.pools.role:chase_call.size`) with the values to try. Every combination is a
scenario (the base's policy with those keys set), validated like a scenario file; all
points x replications are submitted at once, so the workers stay busy, and every point uses
the same seed (common random numbers across the grid). `sweep.csv` has one row per grid
point and KPI (and key) with the mean and its 95% CI.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from l2csim import layout
from l2csim.comparison.kpis import SERIES_KPIS
from l2csim.confidence import estimate
from l2csim.draws import draws_for
from l2csim.errors import StudyError
from l2csim.executors import backend
from l2csim.output import write_csv, write_parquet
from l2csim.policy import Policy
from l2csim.scenario import deep_merge, load_scenario, load_with_model, resolve_policy
from l2csim.settings import MAX_REPLICATIONS, RunSettings
from l2csim.sim.replications import ReplicationResult, RunSpec, kpi_frame, run_many
from l2csim.study import describe_validation_error, read_yaml_mapping

MAX_POINTS = 1_000  # grid points in one sweep (each runs every replication)


class Grid(BaseModel):
    """The keys of a grid file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: str
    axes: dict[str, list[Any]] = Field(min_length=1)
    replications: int = Field(default=10, ge=2, le=MAX_REPLICATIONS)
    seed: int = 0
    horizon: str = "365d"
    warmup: str = "30d"


@dataclass(frozen=True)
class SweepResult:
    table: pd.DataFrame
    points: list[dict[str, Any]]
    written: list[Path]


def _nested(path: str, value: Any) -> dict[str, Any]:
    out: Any = value
    for key in reversed(path.split(".")):
        out = {key: out}
    return out


def load_grid(path: Path) -> Grid:
    try:
        grid = Grid.model_validate(read_yaml_mapping(path))
    except ValidationError as error:
        raise StudyError(describe_validation_error(path, error, Grid)) from None
    points = 1
    for axis, values in grid.axes.items():
        if not values:
            raise StudyError(f"{path}: axes.{axis}: give at least one value.")
        points *= len(values)
    if points > MAX_POINTS:
        raise StudyError(
            f"{path}: axes: {points:,} grid points; at most {MAX_POINTS:,} run in one sweep "
            "(split the grid into several files)."
        )
    return grid


def grid_settings(grid_file: Path, **overrides: object) -> RunSettings:
    """The grid file's replications, seed, horizon and warm-up, with the options given
    (None means the grid's own value)."""
    grid = load_grid(grid_file)
    values = {
        "replications": grid.replications,
        "seed": grid.seed,
        "horizon": grid.horizon,
        "warmup": grid.warmup,
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return RunSettings(**values)  # type: ignore[arg-type]


def sweep(
    grid_file: Path,
    out: Path,
    settings: RunSettings | None = None,
    *,
    on_done: Callable[[ReplicationResult], None] | None = None,
) -> SweepResult:
    """Run every grid point and write sweep.csv (and all replications' KPIs as Parquet).

    `settings` default to the grid file's (`grid_settings`); every point runs with them.
    """
    grid = load_grid(grid_file)
    settings = settings or grid_settings(grid_file)
    settings.require_replications()
    reps = settings.replications or grid.replications
    base, params = load_with_model(load_scenario(grid_file.parent / grid.base))
    draws, _ = draws_for(base.model_path, settings.fit_uncertainty)  # the fit's uncertainty
    sets = tuple(draws.sets) if draws is not None else ()
    raw_base = load_scenario(grid_file.parent / grid.base).policy.model_dump(mode="json")
    axes = list(grid.axes)
    points, specs = [], []
    for i, values in enumerate(itertools.product(*grid.axes.values())):
        policy_data = raw_base
        for axis, value in zip(axes, values, strict=True):
            policy_data = deep_merge(policy_data, _nested(axis, value))
        where = f"{grid_file}: point {dict(zip(axes, values, strict=True))}"
        try:
            policy = Policy.model_validate(policy_data)
        except ValidationError as error:
            raise StudyError(
                describe_validation_error(Path(where), error, Policy, prefix="policy.")
            ) from None
        policy = resolve_policy(policy, params, where)
        name = f"point_{i:03d}"
        points.append({"point": name, **dict(zip(axes, values, strict=True))})
        specs.append(
            RunSpec(
                params, policy, name, settings.seed,
                horizon_hours=settings.horizon_hours, warmup_hours=settings.warmup_hours,
                draws=sets,
            )
        )  # fmt: skip
    with backend(settings.jobs, settings.scheduler) as where_run:
        results = run_many(specs, reps, executor=where_run.executor, on_done=on_done)
    kpis = pd.concat(
        [kpi_frame(r, spec.scenario) for r, spec in zip(results, specs, strict=True)],
        ignore_index=True,
    )
    records = []
    scalar = kpis[~kpis["kpi"].isin(SERIES_KPIS)]
    grouped = scalar.groupby(["scenario", "kpi", "tier", "segment", "pool"], sort=False)
    by_point = {p["point"]: p for p in points}
    for (name, kpi, tier, segment, pool), group in grouped:
        est = estimate(group["value"].to_numpy(dtype=float))
        records.append(
            {
                **by_point[name], "kpi": kpi, "tier": tier, "segment": segment, "pool": pool,
                "n": est.n, "mean": est.mean, "ci_low": est.low, "ci_high": est.high,
            }
        )  # fmt: skip
    table = pd.DataFrame.from_records(records)
    written = [
        write_csv(out / layout.SWEEP_CSV, table),
        write_parquet(out / layout.KPIS_PARQUET, kpis),
    ]
    return SweepResult(table, points, written)
