"""Where everything is written: each command's default output folder and every stage's file
names, in one place.

A study is a folder holding its log(s) and `scenarios/` (study.yaml, baseline.yaml and the
options); its outputs go to the study's own `outputs/` folder, one sub-folder per command or
stage: `<study>/outputs/<command>/`. The study's `baseline.yaml` names its model as
`../outputs/fit/model.json`, so `l2csim fit STUDY` and then `l2csim simulate
STUDY/scenarios/baseline.yaml` meet at the same file wherever the commands are run from.
Without a study (a bare log, a model file) the outputs go to `./outputs/<command>/`.
"""

from __future__ import annotations

from pathlib import Path

OUTPUTS = "outputs"
STUDY_FILE = "study.yaml"
SCENARIOS = "scenarios"

# --- stages (also the commands and the sub-folders of a study's outputs) ---------------------
CHECK = "check"
MINE = "mine"
CUSTOMERS = "customers"
FIT = "fit"
VALIDATE = "validate"
SIMULATE = "simulate"
COMPARE = "compare"
REPORT = "report"
SWEEP = "sweep"
STUDY = "study"
FORECAST = "forecast"

# --- file names, by the stage that writes them -------------------------------------------------
QUALITY_JSON = "quality.json"  # check

FINDINGS_JSON = "findings.json"  # mine
MAPS_HTML = "maps.html"
MAPS_FOLDER = "maps"
VARIANTS_CSV = "variants.csv"
DEVIATIONS_CSV = "deviations.csv"
BACKLOG_CSV = "backlog.csv"
PROCESS_BPMN = "process.bpmn"
PROCESS_SVG = "process.svg"
HANDOVERS_CSV = "handovers.csv"
HANDOVER_SVG = "handover.svg"
HANDOVER_PNG = "handover.png"

CUSTOMERS_CSV = "customers.csv"  # customers
CUSTOMERS_PARQUET = "customers.parquet"
CUSTOMER_MERGES_CSV = "customer_merges.csv"
TIER_SUMMARY_CSV = "tier_summary.csv"
TIERS_JSON = "tiers.json"
SLA_CSV = "sla.csv"
OVERDUE_CSV = "overdue.csv"
RETENTION_MODEL_JSON = "retention_model.json"

MODEL_JSON = "model.json"  # fit

VALIDATION_JSON = "validation.json"  # validate
VALIDATION_CSV = "validation.csv"

KPIS_PARQUET = "kpis.parquet"  # simulate (and sweep)
KPIS_CSV = "kpis.csv"
RUN_JSON = "run.json"
EVENTS_CSV = "events.csv"
EVENTS_XES = "events.xes"
HEADROOM_JSON = "headroom.json"  # simulate --headroom (and the study): the demand headroom

COMPARISON_JSON = "comparison.json"  # compare
COMPARISON_CSV = "comparison.csv"
COMPARE_RUNS = "runs"  # compare's own simulations: runs/<scenario>/

SWEEP_CSV = "sweep.csv"  # sweep

REPORT_HTML = "report.html"  # report

DAILY_CSV = "daily.csv"  # forecast
OPEN_ORDERS_CSV = "open_orders.csv"
FORECAST_JSON = "forecast.json"
FORECAST_HTML = "forecast.html"
BACKTEST_CSV = "backtest.csv"
BACKTEST_JSON = "backtest.json"

MANIFEST_JSON = "manifest.json"  # study
SAMPLE_STUDY = "sample-study"  # the bundled sample, generated when no study is here
LOCK_FILE = ".l2csim.lock"  # one run at a time per output folder


def rel(stage: str, name: str) -> str:
    """A stage's file relative to a study's output folder, e.g. 'mine/findings.json'."""
    return f"{stage}/{name}"


def study_root(study_file: Path) -> Path:
    """The study folder: the parent of the folder holding study.yaml (`<study>/scenarios/`)."""
    return Path(study_file).resolve().parent.parent


def study_file_beside(path: Path) -> Path | None:
    """The study.yaml in the same folder as a scenario file, if there is one."""
    candidate = Path(path).parent / STUDY_FILE
    return candidate if candidate.is_file() else None


def outputs_of(study_file: Path | None) -> Path:
    """The outputs folder: the study's own, or ./outputs without a study."""
    if study_file is None:
        return Path(OUTPUTS)
    return _relative(study_root(study_file) / OUTPUTS)


def default_out(command: str, study_file: Path | None = None) -> Path:
    """`--out` when not given: `<study>/outputs/<command>`, or `outputs/<command>`."""
    return outputs_of(study_file) / command


def default_model(study_file: Path | None = None) -> Path:
    """Where `l2csim fit` writes the model and validate/simulate look for it."""
    return default_out(FIT, study_file) / MODEL_JSON


def _relative(path: Path) -> Path:
    """A path below the current folder is shown relative to it (shorter messages)."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path
