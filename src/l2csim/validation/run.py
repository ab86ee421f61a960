"""`l2csim validate`: replay the log's own period with the fitted as-is model and measure
how far the simulated log is from the real one, beside a naive log's distances.

The model is the one given, else the study's `../outputs/fit/model.json` when it was fitted
from this very log, else one fitted here (written to OUT/model.json). The as-is policy runs
from the Monday before the log's first event to its last, with no warm-up (the real log
starts from its own first order too), for `validation.replications` replications. Cycle
times and control flow are compared on the cases that arrive early enough to finish inside
the period (first event at least the real p95 cycle time before the end), arrivals and the
backlog over the whole period. Each measure passes when the mean over replications is within
the study's `validation.thresholds`, or for arrival times and weekly arrivals within what the
log's own sampling noise makes a model exactly right exceed one time in ten, when that is
larger (a small operation's weeks vary by more than any fixed threshold; `notes` says so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from l2csim import layout
from l2csim.errors import StudyError
from l2csim.executors import backend
from l2csim.fit import period
from l2csim.fit.cases import case_segments
from l2csim.inputs import Inputs, read_inputs_log
from l2csim.log import ACTIVITY, CASE, TIMESTAMP, EventLog
from l2csim.orders import judged_orders
from l2csim.output import sha256_file as sha256_of
from l2csim.output import write_csv, write_json
from l2csim.params import load_params, write_params
from l2csim.policy import Policy
from l2csim.settings import RunSettings
from l2csim.sim.replications import RunSpec, origin, replications_as_done
from l2csim.sim.run import event_frame
from l2csim.sla import on_time_share
from l2csim.study import Study, ValidationSpec
from l2csim.validation import figures as f
from l2csim.validation import measures as m
from l2csim.validation.naive import naive_log

SCHEMA_VERSION = 1
HOUR = pd.Timedelta(hours=1)


@dataclass(frozen=True)
class ValidationResult:
    document: dict
    table: pd.DataFrame
    written: list[Path]

    @property
    def passed(self) -> bool:
        return bool(self.document["passed"])


def choose_model(inputs: Inputs, log: EventLog, model: Path | None, notes: list[str]):
    """(params, path or None): the given model, the study's fitted one, or a fresh fit."""
    log_sha = sha256_of(Path(log.source))
    if model is not None:
        params = load_params(model)
        fitted = params.created_from
        if fitted is not None and fitted.sha256 != log_sha:
            raise StudyError(
                f"{model}: fitted from another log ({fitted.path}, sha256 "
                f"{fitted.sha256[:12]}…) than {log.source} (sha256 {log_sha[:12]}…); "
                "validate it against its own log or refit with `l2csim fit`."
            )
        return params, model
    if inputs.study is not None:
        default = layout.default_model(inputs.study.source).resolve()
        if default.is_file():
            params = load_params(default)
            if params.created_from is not None and params.created_from.sha256 == log_sha:
                return params, default
            notes.append(f"{default} was fitted from another log; fitted the model afresh")
    from l2csim.fit import FitOptions, fit_model

    crm = inputs.study.customers.crm_tiers if inputs.study is not None else None
    options = FitOptions(
        tier_table=inputs.study.resolve(crm.path) if crm is not None else None,
        tier_id_column=crm.id_column if crm is not None else None,
        tier_column=crm.tier_column if crm is not None else None,
    )
    notes.append("model fitted on the fly from the log")
    return fit_model(log, inputs.study, options), None


def validate(
    inputs: Inputs,
    out: Path,
    *,
    model: Path | None = None,
    settings: RunSettings | None = None,
) -> ValidationResult:
    """Run the validation and write validation.json and validation.csv (and model.json
    when the model was fitted here).

    The replications and seed are the study's `validation:` section's; `settings` says
    where they run (`jobs`, `scheduler`).
    """
    settings = settings or RunSettings(jobs=1)
    spec = inputs.study.validation if inputs.study is not None else ValidationSpec()
    log = read_inputs_log(inputs)
    log, notes = period.for_validation(log)  # wrongly dated cases out; the recent window
    params, model_path = choose_model(inputs, log, model, notes)
    params = period.replay_from(params, log)
    written: list[Path] = []
    if model_path is None:
        model_path = write_params(params, out / layout.MODEL_JSON)
        written.append(model_path)
    real = log.events[[CASE, ACTIVITY, TIMESTAMP]].sort_values([CASE, TIMESTAMP], kind="stable")
    start, end = real[TIMESTAMP].min(), real[TIMESTAMP].max()
    begin = pd.Timestamp(origin(params)).tz_localize(params.timezone).tz_convert("UTC")
    horizon = (end - begin) / HOUR
    # The log's orders, judged, read once: the replay's intake, the SLA and the segments.
    _, judged = judged_orders(log.events, inputs.study)
    run = RunSpec(
        params, Policy(), "as_is", spec.seed, horizon_hours=horizon, warmup_hours=0.0,
        event_log=True, intake=intake_hours(judged["received"], begin),
    )  # fmt: skip
    chase = list(params.roles.chase_call)
    with backend(settings.jobs, settings.scheduler) as where:
        done = replications_as_done(run, spec.replications, executor=where.executor)
        # The log's side while the replications run: none of it depends on them.
        real_cases = m.cases_of(real)
        cycle = (real_cases["last"] - real_cases["first"]) / HOUR
        cutoff = end - pd.Timedelta(hours=float(cycle.quantile(0.95)))
        promises = _promises(log, inputs.study, judged)
        real_sla = _share_on_time(promises)
        side = _RealSide.of(real, cutoff, start, end, chase, real_sla, spec.control_flow_cases)
        naive_measured = []
        for i in range(spec.replications):
            rng = np.random.Generator(
                np.random.PCG64(np.random.SeedSequence(spec.seed, spawn_key=(10_000 + i, 1)))
            )
            naive = naive_log(real, rng)
            naive_measured.append(side.distances(naive, _naive_sla(naive, promises), rng))
        tier_names = [t.name for t in params.tiers]
        log_figures = f.log_kpis(log, inputs.study, params, judged)
        real_segments = case_segments(judged, log.events, inputs.study)
        got_real = f.log_waits(log.events, real_segments, params, end)
        noise_rng = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(spec.seed, spawn_key=(20_000,)))
        )
        arrival_noise = m.arrival_noise_limit(side.early, noise_rng)
        # Each replication's log and measures as it comes (the others may still run).
        measured: dict[int, dict[str, float]] = {}
        replica_waits: dict[int, dict[str, float]] = {}
        flows: dict[int, dict[str, float | None]] = {}
        finished = []
        for result in done:
            i = result.replication
            frame = event_frame([result], params.timezone)
            rng = np.random.Generator(
                np.random.PCG64(np.random.SeedSequence(spec.seed, spawn_key=(10_000 + i,)))
            )
            sim = frame[[CASE, ACTIVITY, TIMESTAMP]]
            measured[i] = side.distances(sim, _kpi(result.rows, "sla_attainment"), rng)
            replica_waits[i] = f.replica_waits(frame, params, end)
            flows[i] = f.replica_flow(frame, inputs.study, start, end)
            finished.append(result)
    results = sorted(finished, key=lambda r: r.replication)
    per_source = {"model": [measured[r.replication] for r in results], "naive": naive_measured}

    # The figures behind the measures: log and model side by side.
    model_figures = f.model_kpis(results, tier_names, [flows[r.replication] for r in results])
    tiers = f.tier_sla(log_figures, model_figures)
    waits = f.wait_table(got_real, [replica_waits[r.replication] for r in results])
    staffed = [p.name for p in params.pools if not p.external]
    load = f.utilisation(results, staffed)
    if tiers["difference"].notna().any():
        for values in per_source["model"]:
            values["sla_by_tier"] = float(tiers["difference"].max())
    for values in per_source["model"]:
        values["activity_waits"] = f.weighted_error(waits)
    not_applicable = f.not_applicable(params, inputs.study)

    thresholds = spec.thresholds.model_dump()
    if arrival_noise > thresholds["arrivals_hourly"]:
        notes.append(
            f"arrival times: the log's own sampling noise is above the threshold of "
            f"{thresholds['arrivals_hourly']:g} h (a model exactly right would exceed "
            f"{arrival_noise:.0f} h one time in ten); judged against {arrival_noise:.0f} h"
        )
        thresholds["arrivals_hourly"] = round(arrival_noise, 1)
    weekly_noise = m.weekly_noise_limit(side.weekly, spec.replications, noise_rng)
    if weekly_noise > thresholds["arrivals_weekly"]:
        notes.append(
            f"weekly arrivals: at {side.weekly.mean():.1f} orders a week the log's own weekly "
            f"noise is above the threshold of {thresholds['arrivals_weekly']:g} (a model "
            f"exactly right would exceed {weekly_noise:.2f} one time in ten); judged against "
            f"{weekly_noise:.2f}"
        )
        thresholds["arrivals_weekly"] = round(weekly_noise, 2)
    rows = []
    for measure in m.MEASURES:
        model_values = np.array([v[measure.name] for v in per_source["model"]], dtype=float)
        naive_values = np.array([v[measure.name] for v in per_source["naive"]], dtype=float)
        value = float(np.nanmean(model_values)) if np.isfinite(model_values).any() else math.nan
        naive = float(np.nanmean(naive_values)) if np.isfinite(naive_values).any() else math.nan
        limit = thresholds[measure.name]
        available = math.isfinite(value)
        rows.append(
            {
                "measure": measure.name,
                "label": measure.label,
                "unit": measure.unit,
                "source": measure.source,
                "value": value if available else None,
                "min": float(np.nanmin(model_values)) if available else None,
                "max": float(np.nanmax(model_values)) if available else None,
                "naive": naive if math.isfinite(naive) else None,
                "threshold": limit,
                "status": ("pass" if value <= limit else "fail") if available else "n/a",
                "why_not": None if available else not_applicable.get(measure.name, "no data"),
                "better_than_naive": bool(value < naive)
                if available and math.isfinite(naive)
                else None,
            }
        )
    failed = [r["measure"] for r in rows if r["status"] == "fail"]
    why = f.causes(failed, waits, tiers, load, log_figures, model_figures)
    for row in rows:
        row["cause"] = why.get(row["measure"])
    document = {
        "schema_version": SCHEMA_VERSION,
        "log": Path(log.source).name,
        "log_sha256": sha256_of(Path(log.source)),
        "model": str(model_path),
        "model_sha256": sha256_of(model_path),
        "seed": spec.seed,
        "replications": spec.replications,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "cases_compared_until": cutoff.isoformat(),
        "passed": not failed,
        "failed": failed,
        "measures": rows,
        "log_kpis": log_figures,
        "model_kpis": model_figures,
        "sla_by_tier": tiers.to_dict(orient="records"),
        "activity_waits": waits.to_dict(orient="records"),
        "utilisation": load,
        "calibration": params.calibration,
        "notes": notes,
    }
    table = pd.DataFrame.from_records(rows)
    written += [
        write_json(out / layout.VALIDATION_JSON, document),
        write_csv(out / layout.VALIDATION_CSV, table),
    ]
    return ValidationResult(document, table, written)


def intake_hours(received: pd.Series, begin: pd.Timestamp) -> tuple[float, float]:
    """When the log's orders came in (`received`), in hours of the replay's clock (first
    to last order)."""
    return (received.min() - begin) / HOUR, (received.max() - begin) / HOUR


def _early(events: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    first = events.groupby(CASE, sort=False)[TIMESTAMP].transform("min")
    return events[first <= cutoff]


def _kpi(rows, name: str) -> float:
    for kpi, tier, segment, pool, _week, _day, value in rows:
        if kpi == name and not tier and not segment and not pool:
            return float(value)
    return math.nan


def _promises(
    log: EventLog, study: Study | None, judged: pd.DataFrame | None = None
) -> pd.DataFrame | None:
    """Per real case: arrival, delivery, promised moment and verdict, by the shared order
    table and SLA rule (None when the study declares no SLA). `judged`: the log's judged
    orders when already read (`judged_orders`)."""
    if study is None or not study.sla:
        return None
    if judged is None:
        _, judged = judged_orders(log.events, study)
    cases = judged.set_index("case")
    return cases.assign(arrival=cases["received"])


def _share_on_time(cases: pd.DataFrame | None) -> float:
    share = on_time_share(cases) if cases is not None else None
    return math.nan if share is None else share


@dataclass(frozen=True)
class _RealSide:
    """The real log's side of the per-replication measures, prepared once: its cases that
    began by `cutoff` (later ones may not have finished in the replay) and its figures."""

    early: pd.DataFrame
    weekly: pd.Series
    backlog: pd.Series
    chase_rate: float
    sla: float
    cutoff: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp
    chase: tuple[str, ...]
    cfld_cases: int

    @classmethod
    def of(
        cls,
        real: pd.DataFrame,
        cutoff: pd.Timestamp,
        start: pd.Timestamp,
        end: pd.Timestamp,
        chase: list[str],
        sla: float,
        cfld_cases: int,
    ) -> _RealSide:
        early = _early(real, cutoff)
        return cls(
            early=early,
            weekly=m.weekly_arrivals(real, start, end),
            backlog=m.daily_backlog(real, start, end),
            chase_rate=m.chase_rate(early, list(chase)) if chase else math.nan,
            sla=sla,
            cutoff=cutoff,
            start=start,
            end=end,
            chase=tuple(chase),
            cfld_cases=cfld_cases,
        )

    def distances(self, other: pd.DataFrame, sla: float, rng: np.random.Generator) -> dict:
        """Every per-replication measure of `other` (a simulated or naive log)."""
        early = _early(other, self.cutoff)
        values = m.log_distances(self.early, early, rng, self.cfld_cases)
        values["arrivals_weekly"] = m.relative_mae(
            self.weekly, m.weekly_arrivals(other, self.start, self.end)
        )
        values["backlog_daily"] = m.relative_mae(
            self.backlog, m.daily_backlog(other, self.start, self.end)
        )
        values["chase_call_rate"] = (
            m.relative_error(self.chase_rate, m.chase_rate(early, list(self.chase)))
            if self.chase
            else math.nan
        )
        values["sla_attainment"] = abs(sla - self.sla) if math.isfinite(self.sla) else math.nan
        values["sla_by_tier"] = math.nan  # over the replications, in `validate`
        values["activity_waits"] = math.nan
        return values


def _naive_sla(naive: pd.DataFrame, cases: pd.DataFrame | None) -> float:
    """The naive cases' cycle times against the real cases' promised lead times."""
    if cases is None:
        return math.nan
    promised = ((cases["promised"] - cases["arrival"]) / HOUR).dropna().to_numpy()
    spans = m.cases_of(naive)
    lead = ((spans["last"] - spans["first"]) / HOUR).to_numpy()[: len(promised)]
    return float((lead <= promised[: len(lead)]).mean()) if len(lead) else math.nan
