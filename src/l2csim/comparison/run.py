"""`l2csim compare`: run (or reuse) the baseline and the scenarios, then write the comparison.

Each argument is a scenario file (run here with the same seed and replications as the
baseline, into OUT/runs/NAME/), a fitted model.json (run as-is), or a folder written by
`l2csim simulate` (kpis.parquet + run.json), reused when its seed, horizon and warm-up match
the baseline's. Before anything runs, every model must have been fitted from the study's log
(content hash), and the baseline model's validation (validation.json from `l2csim
validate`) is looked up and recorded; a failed or missing validation is a warning.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from l2csim import layout
from l2csim.comparison.charts import write_charts
from l2csim.comparison.headroom import (
    HeadroomSettings,
    belongs_to,
    little_headroom,
    read_headroom,
    scenario_headroom,
    write_headroom,
)
from l2csim.comparison.readings import recommendation, scenario_reading
from l2csim.comparison.risk import (
    headroom_rows,
    percentile_columns,
    risk,
    runaway_rows,
)
from l2csim.comparison.table import Row, comparison_rows
from l2csim.confidence import CONFIDENCE, HEADLINE_KPIS, require_replications
from l2csim.errors import InputError, StudyError
from l2csim.executors import backend
from l2csim.output import sha256_file as sha256_of
from l2csim.output import write_csv, write_json
from l2csim.settings import RunSettings
from l2csim.sim.replications import ReplicationResult
from l2csim.sim.run import prepare, scenario_for, simulate
from l2csim.study import load_study

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Run:
    """One scenario's KPIs and what produced them (run.json)."""

    name: str
    kpis: pd.DataFrame
    info: dict
    folder: Path


@dataclass(frozen=True)
class ComparisonResult:
    document: dict
    rows: list[Row]
    written: list[Path]
    warnings: list[str] = field(default_factory=list)


def read_run(folder: Path) -> Run:
    """A folder written by `l2csim simulate`."""
    kpis_path, info_path = folder / layout.KPIS_PARQUET, folder / layout.RUN_JSON
    if not kpis_path.is_file() or not info_path.is_file():
        raise InputError(
            f"{folder}: not a simulate output folder (needs kpis.parquet and run.json); "
            "give a scenario .yaml, a model .json or a folder from `l2csim simulate`."
        )
    info = json.loads(info_path.read_text(encoding="utf-8"))
    kpis = pd.read_parquet(kpis_path)
    name = str(info.get("scenario") or folder.name)
    return Run(name, kpis.assign(scenario=name), info, folder)


def _is_folder(target: str | Path) -> bool:
    return Path(target).is_dir()


def check_log(runs: list[Run], study_path: Path | None) -> str | None:
    """Every model fitted from the same log, and that log the study's; returns its hash."""
    base = runs[0]
    expected = base.info.get("log_sha256")
    if study_path is not None:
        study = load_study(study_path)
        actual = sha256_of(study.log_path)
        if expected is not None and expected != actual:
            raise StudyError(
                f"{base.info.get('model')}: the baseline model was fitted from another log "
                f"(sha256 {expected[:12]}…) than the study's {study.log_path} "
                f"(sha256 {actual[:12]}…); refit it with `l2csim fit {study_path}`."
            )
        expected = expected or actual
    for run in runs[1:]:
        theirs = run.info.get("log_sha256")
        if expected is not None and theirs is not None and theirs != expected:
            raise StudyError(
                f"{run.info.get('scenario_file') or run.folder}: scenario {run.name!r} uses a "
                f"model fitted from another log (sha256 {theirs[:12]}…) than the baseline's "
                f"({expected[:12]}…); point its `model:` at the same fitted model."
            )
    return expected


def validation_status(model: Path | None, given: Path | None) -> dict:
    """The baseline model's validation: passed / failed / stale / not_validated."""
    candidates = [given] if given is not None else []
    if model is not None and given is None:
        candidates += [
            model.parent / layout.VALIDATION_JSON,
            model.parent.parent / layout.VALIDATE / layout.VALIDATION_JSON,
        ]
    for path in candidates:
        if path is None or not path.is_file():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        status = "passed" if data.get("passed") else "failed"
        if model is not None and data.get("model_sha256") not in (None, sha256_of(model)):
            status = "stale"
        return {"status": status, "file": str(path), "failed": data.get("failed", [])}
    if given is not None:
        raise InputError(f"--validation {given}: file not found; run `l2csim validate` first.")
    return {"status": "not_validated", "file": None, "failed": []}


def compare(
    baseline: str | Path,
    scenarios: list[str | Path],
    out: Path,
    settings: RunSettings | None = None,
    *,
    study: Path | None = None,
    validation: Path | None = None,
    confidence: float = CONFIDENCE,
    on_done: Callable[[ReplicationResult], None] | None = None,
    headroom: HeadroomSettings | None = None,
) -> ComparisonResult:
    """Compare scenarios with the baseline and write comparison.csv/.json and the charts.

    Scenario files run with `settings` (the later ones with the baseline's replications and
    seed) on one executor: `settings.jobs` local processes or `settings.scheduler`. With
    `headroom`, each scenario's demand headroom is searched too (`comparison.headroom`);
    simulate folders that hold a headroom.json bring theirs either way.
    """
    settings = settings or RunSettings()
    targets = [baseline, *scenarios]
    if not scenarios:
        raise InputError("give the baseline and at least one scenario to compare with it.")
    settings.require_replications()
    study = study if study is not None else _study_beside(baseline)
    # Check every input before any simulation runs.
    prepared = {}
    for target in targets:
        if not _is_folder(target):
            scenario, params, _ = prepare(target, settings)
            prepared[str(target)] = scenario
            if study is not None and params.created_from is not None:
                check_log(
                    [
                        Run(
                            scenario.name,
                            pd.DataFrame(),
                            {
                                "log_sha256": params.created_from.sha256,
                                "model": str(scenario.model_path),
                            },
                            Path("."),
                        )
                    ],
                    study,
                )
    names = [prepared[str(t)].name if str(t) in prepared else None for t in targets]
    known = [n for n in names if n]
    if len(set(known)) != len(known):
        raise InputError(f"two scenarios share a name ({known}); give each scenario file its own.")

    runs: list[Run] = []
    warnings: list[str] = []
    with backend(settings.jobs, settings.scheduler) as where:
        for target in targets:
            if _is_folder(target):
                run = read_run(Path(target))
            else:
                name = prepared[str(target)].name
                first_run = runs[0].info if runs else None
                these = settings
                if first_run is not None:
                    these = settings.but(
                        replications=first_run["replications"], seed=first_run["seed"]
                    )
                folder = out / layout.COMPARE_RUNS / name
                if where.executor is None:
                    these = these.but(jobs=1)  # the backend chose one process: keep to it
                simulate(target, folder, these, executor=where.executor, on_done=on_done)
                if headroom is not None:
                    found = scenario_headroom(target, these, headroom, executor=where.executor)
                    write_headroom(found, folder)
                run = read_run(folder)
            runs.append(run)
        headrooms = _headrooms(runs, settings, headroom, where.executor, warnings)
    base = runs[0]
    for run in runs[1:]:
        for key in ("seed", "horizon_hours", "warmup_hours"):
            if run.info.get(key) != base.info.get(key):
                raise InputError(
                    f"{run.folder}: {key} {run.info.get(key)} differs from the baseline's "
                    f"{base.info.get(key)}; paired differences need the same {key} (rerun it)."
                )
        if run.info.get("replications") != base.info.get("replications"):
            warnings.append(
                f"{run.name}: {run.info.get('replications')} replications against the "
                f"baseline's {base.info.get('replications')}; paired on the common ones."
            )
    for run in runs:
        require_replications(int(run.kpis["replication"].nunique()), f"{run.name}'s CI")
        if run.info.get("precision_met") is False:
            warnings.append(f"{run.name}: the precision target was not met at the cap.")
    log_sha = check_log(runs, study)
    model_path = Path(base.info["model"]) if base.info.get("model") else None
    checked = validation_status(model_path, validation)
    if checked["status"] != "passed":
        warnings.insert(
            0,
            f"the baseline model's validation is {checked['status'].replace('_', ' ')}"
            + (f" ({', '.join(checked['failed'])})" if checked["failed"] else "")
            + "; its predictions are not yet backed by reproducing the log (`l2csim validate`).",
        )
    kpis = {run.name: run.kpis for run in runs}
    rows = comparison_rows(kpis, base.name, confidence)
    warnings += _uncertainty_warnings(runs, headrooms)
    spread = percentile_columns(kpis)
    records = [
        {**r.record(), **spread.get((r.scenario, r.kpi, r.tier, r.segment, r.pool), {})}
        for r in rows
    ]
    records += runaway_rows(kpis, base.name, confidence)
    records += headroom_rows(headrooms, base.name)
    names = [run.name for run in runs]
    readings = {name: scenario_reading(rows, name) for name in names[1:]}
    document = {
        "schema_version": SCHEMA_VERSION,
        "baseline": base.name,
        "scenarios": [_scenario_entry(run) for run in runs],
        "seed": base.info.get("seed"),
        "replications": int(base.kpis["replication"].nunique()),
        "confidence": confidence,
        "horizon_hours": base.info.get("horizon_hours"),
        "warmup_hours": base.info.get("warmup_hours"),
        "log_sha256": log_sha,
        "validation": checked,
        "headline_kpis": [{"kpi": k, "tier": t} for k, t in HEADLINE_KPIS],
        "summary": [
            _summary(r)
            for r in rows
            if (r.kpi, r.tier) in HEADLINE_KPIS and not r.segment and not r.pool
        ],
        "rows": records,
        "readings": readings,
        "risk": {run.name: risk(run.kpis, confidence) for run in runs},
        "headroom": headrooms,
        "fit_uncertainty": base.info.get("fit_uncertainty") or {"used": False},
        "recommendation": recommendation(rows, names[1:], checked),
        "warnings": warnings,
    }
    frame = pd.DataFrame.from_records(records)
    written = [
        write_csv(out / layout.COMPARISON_CSV, frame),
        write_json(out / layout.COMPARISON_JSON, document),
        *write_charts(kpis, out),
    ]
    return ComparisonResult(document, rows, written, warnings)


def _headrooms(
    runs: list[Run],
    settings: RunSettings,
    wanted: HeadroomSettings | None,
    executor,
    warnings: list[str],
) -> dict[str, dict]:
    """Each run's headroom: its folder's headroom.json, else (when wanted) searched here from
    the scenario file its run.json names, with the run's seed and parameter draws."""
    found: dict[str, dict] = {}
    for run in runs:
        record = read_headroom(run.folder)
        if record is not None and not belongs_to(record, run.info):
            warnings.append(
                f"{run.name}: its headroom.json belongs to an earlier run in that folder; "
                "not used" + (", searched again." if wanted is not None else ".")
            )
            record = None
        if record is None and wanted is not None:
            source = run.info.get("scenario_file") or run.info.get("model")
            if not source or not Path(source).is_file():
                warnings.append(f"{run.name}: no scenario file to search its headroom from.")
                continue
            target = scenario_for(source)
            if run.info.get("model"):
                target = target.model_copy(update={"model_path": Path(run.info["model"])})
            used = (run.info.get("fit_uncertainty") or {}).get("used", False)
            these = settings.but(seed=run.info.get("seed", settings.seed), fit_uncertainty=used)
            record = scenario_headroom(target, these, wanted, executor=executor).record()
        if record is not None:
            found[run.name] = record
    return found


def _uncertainty_warnings(runs: list[Run], headrooms: dict[str, dict]) -> list[str]:
    """Pairing on parameter draws, and a baseline with little headroom."""
    out = []
    used = {
        run.name: (run.info.get("fit_uncertainty") or {}).get("model_sha256")
        if (run.info.get("fit_uncertainty") or {}).get("used")
        else None
        for run in runs
    }
    if len(set(used.values())) > 1:
        out.append(
            "the scenarios did not all run on the same parameter draws ("
            + ", ".join(f"{n}: {'draws' if d else 'no draws'}" for n, d in used.items())
            + "); their differences are paired on random streams only."
        )
    base = headrooms.get(runs[0].name)
    if little_headroom(base):
        out.append(f"today's operation has little headroom: {base['message']}.")
    return out


def _study_beside(baseline: str | Path) -> Path | None:
    path = Path(baseline)
    if path.suffix.lower() in (".yaml", ".yml"):
        return layout.study_file_beside(path)
    return None


def _scenario_entry(run: Run) -> dict:
    info = run.info
    return {
        "name": run.name,
        "description": info.get("description", ""),
        "scenario_file": info.get("scenario_file"),
        "model": info.get("model"),
        "model_sha256": info.get("model_sha256"),
        "replications": int(run.kpis["replication"].nunique()),
        "replications_mode": info.get("replications_mode", "fixed"),
        "precision_achieved": info.get("precision_achieved"),
        "folder": run.folder.as_posix(),
    }


def _summary(row: Row) -> dict:
    record = row.record()
    keep = [
        "scenario",
        "kpi",
        "tier",
        "label",
        "better",
        "n",
        "mean",
        "ci_low",
        "ci_high",
        "diff",
        "diff_low",
        "diff_high",
        "rel",
        "rel_low",
        "rel_high",
        "significant",
        "effect",
        "mean_text",
        "diff_text",
        "reading",
    ]
    return {k: record[k] for k in keep}
