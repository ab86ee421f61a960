"""The `l2csim` command line: a thin click layer that parses options and calls the library.

No analysis lives here. User-caused errors (`L2csimError`) become one line on stderr and
exit code 1; interrupts exit 130.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from l2csim import __version__
from l2csim.errors import L2csimError
from l2csim.inputs import LogOverrides, read_inputs_log, resolve_inputs

OUTPUTS = Path("outputs")
console = Console(highlight=False, soft_wrap=True)


class L2csimGroup(click.Group):
    """Turns the library's user errors into `Error: ...` and a non-zero exit, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except L2csimError as error:
            raise click.ClickException(str(error)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted; finished outputs are intact.", err=True)
            ctx.exit(130)


@click.group(cls=L2csimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="l2csim")
def cli() -> None:
    """Lead-to-cash process mining and simulation studies.

    Mine an order event log for the process staff actually follow, fit a simulation
    model from it, and compare policies with confidence intervals.
    """


def log_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that map a bare log's columns (they also override a study file's mapping)."""
    options = [
        click.option("--case", help="Column holding the case (order) id."),
        click.option("--activity", help="Column holding the activity name."),
        click.option("--timestamp", help="Column holding the (completion) time."),
        click.option("--start-timestamp", help="Column holding the start time, if any."),
        click.option("--resource", help="Column holding who did the work."),
        click.option("--customer", help="Column holding the customer id."),
        click.option("--customer-name", help="Column holding the customer name."),
        click.option(
            "--case-attribute",
            "case_attributes",
            multiple=True,
            help="A column to keep as case attribute case:NAME (repeatable).",
        ),
        click.option("--timezone", help="Time zone of times written without offset [UTC]."),
        click.option("--timestamp-format", help="strftime format when times are not ISO 8601."),
        click.option("--object-type", help="OCEL object type to flatten on (e.g. orders)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def out_option(command_name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--out DIR`, defaulting to a folder under outputs/ named for the command."""
    return click.option(
        "--out",
        "out",
        type=click.Path(file_okay=False, path_type=Path),
        default=OUTPUTS / command_name,
        show_default=True,
        help="Folder to write into.",
    )


def _overrides(flags: dict[str, Any]) -> LogOverrides:
    return LogOverrides(
        **{k: (tuple(v) if k == "case_attributes" else v) for k, v in flags.items()}
    )


def _wrote(paths: list[Path] | Path) -> None:
    for path in [paths] if isinstance(paths, Path) else paths:
        console.print(f"Wrote {path}")


def _with_log(command: Callable[..., Any]) -> Callable[..., Any]:
    """Shared argument handling: STUDY_OR_LOG plus the log flags."""

    @functools.wraps(command)
    def wrapper(study_or_log: str | None, **kwargs: Any) -> Any:
        flag_names = set(LogOverrides.__dataclass_fields__)
        flags = {k: kwargs.pop(k) for k in list(kwargs) if k in flag_names}
        inputs = resolve_inputs(study_or_log, _overrides(flags))
        return command(inputs=inputs, **kwargs)

    wrapper = log_options(wrapper)
    return click.argument("study_or_log", required=False)(wrapper)


@cli.command()
@_with_log
@out_option("check")
def check(inputs: Any, out: Path) -> None:
    """Check an event log's data quality and write quality.json.

    STUDY_OR_LOG is a study file or folder (default: scenarios/study.yaml), or a log file
    (CSV, XES, Parquet, OCEL 2.0) whose columns the flags map. Findings are not errors:
    the exit code is 0 whenever the log could be read.

    \b
    Examples:
      l2csim check
      l2csim check orders.csv --case order_ref --activity event --timestamp event_time
      l2csim check helpdesk.xes.gz --out outputs/helpdesk-check
    """
    from l2csim.check.quality import check_quality, quality_table, write_quality_json

    log = read_inputs_log(inputs)
    report = check_quality(log)
    console.print(
        f"{log.source}: {log.n_events:,} events, {log.n_cases:,} cases, "
        f"{len(log.activities)} activities ({log.format})"
    )
    console.print(quality_table(report))
    _wrote(write_quality_json(report, out / "quality.json"))


@cli.command()
@out_option("sample")
@click.option("--seed", default=42, show_default=True, help="Random seed of the generator.")
@click.option(
    "--days",
    type=click.IntRange(min=28),
    default=365,
    show_default=True,
    help="Length of the intake period in days (reorder cadences need weeks).",
)
@click.option(
    "--operation",
    metavar="NAME",
    help="Write a test-bed operation of known truth instead (see --list-operations); "
    "default --out outputs/testbed/NAME.",
)
@click.option(
    "--counterfactual-seeds",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="With --operation: seeds for the policies' true effects and the headroom (0: none).",
)
@click.option("--list-operations", is_flag=True, help="List the test-bed operations and exit.")
@click.pass_context
def sample(
    ctx: click.Context,
    out: Path,
    seed: int,
    days: int,
    operation: str | None,
    counterfactual_seeds: int,
    list_operations: bool,
) -> None:
    """Generate the bundled sample study: a year of a mid-market lead-to-cash operation.

    Writes a study folder (event_logs/ with the log, its ground truth and a CRM tier list;
    scenarios/ with study.yaml and the documented process). The shipped sample is seed 42.
    With --operation, writes a test-bed operation instead: its log, truth, the policies'
    true effects (counterfactual) and one scenario per policy.

    \b
    Examples:
      l2csim sample --out outputs/sample --seed 7
      l2csim check outputs/sample
      l2csim sample --list-operations
      l2csim sample --operation near_capacity --seed 1 --counterfactual-seeds 5
    """
    if list_operations:
        from l2csim.sample.testbed import list_operations as operations

        for name, description in operations().items():
            console.print(f"[bold]{name}[/bold]: {escape(description)}")
        return
    if operation is not None:
        from l2csim.sample.testbed import OPERATIONS, write_operation

        if operation not in OPERATIONS:
            raise click.BadParameter(
                f"unknown operation {operation!r}; one of: {', '.join(OPERATIONS)}.",
                param_hint="--operation",
            )
        if ctx.get_parameter_source("out") == click.core.ParameterSource.DEFAULT:
            out = OUTPUTS / "testbed" / operation
        _wrote(
            write_operation(
                out, operation, seed=seed, days=days, counterfactual_seeds=counterfactual_seeds
            )
        )
        return
    from l2csim.sample import write_sample

    _wrote(write_sample(out, seed=seed, days=days))


@cli.command()
@_with_log
@out_option("customers")
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Review date (YYYY-MM-DD) for recency, overdue reorders and churn [last order received].",
)
def customers(inputs: Any, out: Path, as_of: str | None) -> None:
    """Profile and tier customers; SLA attainment, overdue reorders and churn evidence.

    Merges re-keyed customers first (customer_merges.csv, reviewable; feed the edited copy
    back with the study key customers.merges), then writes customers.csv, tier_summary.csv,
    tiers.json, sla.csv, overdue.csv and retention_model.json. A log without a customer
    column still gets sla.csv and the fallback retention model (exit code 0).

    \b
    Examples:
      l2csim customers
      l2csim customers scenarios/study.yaml --as-of 2025-10-01
      l2csim customers helpdesk.xes.gz --customer customer --out outputs/helpdesk-customers
    """
    from l2csim.customers.run import run

    result = run(inputs, out, as_of)
    for message in result.messages:
        console.print(f"Note: {message}")
    if result.overdue is not None:
        console.print(f"{len(result.overdue)} customer(s) with an overdue reorder")
    _wrote(result.paths)


@cli.command()
@_with_log
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=OUTPUTS / "fit" / "model.json",
    show_default=True,
    help="Model file to write.",
)
@click.option(
    "--tiers",
    "tier_table",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of customer id and tier (customers.csv from `l2csim customers`, or a CRM "
    "export); overrides the study's customers.crm_tiers.",
)
@click.option(
    "--retention",
    "retention_model",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="retention_model.json from `l2csim customers` (without it: stated default churn).",
)
def fit(inputs: Any, out: Path, tier_table: Path | None, retention_model: Path | None) -> None:
    """Fit a simulation model of today's operation from the log and write model.json.

    Arrivals per tier and segment, routing, activity durations, staff pools and calendars,
    chase and courtesy calls, retention: every number with where it came from. What fell
    back to a default is listed under `notes` in the file and printed here.

    \b
    Examples:
      l2csim fit
      l2csim fit scenarios/study.yaml --tiers outputs/customers/customers.csv \\
          --retention outputs/customers/retention_model.json
      l2csim fit helpdesk.xes.gz --out outputs/helpdesk/model.json
    """
    from l2csim.fit import FitOptions, run

    options = FitOptions(tier_table=tier_table, retention_model=retention_model)
    params, path = run(inputs, out, options)
    fitted_from = params.created_from
    if fitted_from is not None:
        console.print(
            f"{fitted_from.path}: {fitted_from.events:,} events, {fitted_from.cases:,} cases; "
            f"{len(params.tiers)} tiers, {len(params.routing)} segments, "
            f"{len(params.activities)} activities, {len(params.pools)} pools"
        )
    for note in params.notes:
        console.print(f"Note: {note}")
    _wrote(path)


@cli.command()
@_with_log
@out_option("mine")
def mine(inputs: Any, out: Path) -> None:
    """Mine process maps, variants, the informal process and the pain-point backlog.

    STUDY_OR_LOG is a study file or folder (default: scenarios/study.yaml), or a log file
    whose columns the flags map. With a study's reference_process, deviations from the
    documented process are catalogued; with its roles, tiers and sla, the role rules and the
    backlog's SLA and chase-call figures. Open DIR/maps.html in a browser (works offline).

    \b
    Examples:
      l2csim mine
      l2csim mine ../shared/data/helpdesk.xes.gz --out outputs/helpdesk-mine
    """
    from l2csim.mine.run import run

    log = read_inputs_log(inputs)
    result = run(log, inputs.study, out)
    conformance = result.findings["conformance"]
    console.print(
        f"{log.source}: {log.n_cases:,} cases, {result.findings['variants']['count']:,} variants, "
        f"{len(result.findings['deviations'])} deviations"
        + (f"; conformance by {conformance['method']}" if conformance else "")
    )
    _wrote(sorted(p for p in result.paths if p.parent == out))


@cli.command()
@click.argument("study_dir", required=False, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=OUTPUTS / "study",
    show_default=True,
    help="Folder for every stage's outputs and the manifest.",
)
@click.option(
    "--replications",
    type=click.IntRange(min=2),
    default=20,
    show_default=True,
    help="Replications per scenario (at least 2, for confidence intervals).",
)
@click.option("--seed", default=0, show_default=True, help="Seed of all random streams.")
@click.option("--horizon", default="365d", show_default=True, help="Simulated period (h, d, w).")
@click.option("--warmup", default="30d", show_default=True, help="Start-up period left out.")
@click.option("--jobs", default=0, show_default=True, help="Parallel processes (0: all cores).")
@click.option(
    "--scheduler",
    envvar="L2CSIM_DASK_SCHEDULER",
    help="Run the simulations on this Dask scheduler (tcp://HOST:PORT) "
    "[env L2CSIM_DASK_SCHEDULER].",
)
@click.option(
    "--force",
    "force",
    multiple=True,
    is_flag=False,
    flag_value="all",
    metavar="[STAGE]",
    help="Redo a stage (repeatable; e.g. --force simulate) or, alone, every stage.",
)
def study(
    study_dir: Path | None,
    out: Path,
    replications: int,
    seed: int,
    horizon: str,
    warmup: str,
    jobs: int,
    scheduler: str | None,
    force: tuple[str, ...],
) -> None:
    """Run the whole study: check, mine, customers, fit, validate, simulate, compare, report.

    STUDY_DIR is a study folder or file (default: scenarios/study.yaml here; without one,
    the bundled sample is generated into outputs/sample-study). Every scenario YAML beside
    the study file is simulated and compared with baseline.yaml. Stages whose inputs have
    not changed are reused (content hashes in OUT/manifest.json, with each stage's time);
    an interrupted run keeps every finished stage and continues where it stopped. The
    steering-group report ends up in OUT/report/report.html.

    \b
    Examples:
      l2csim study
      l2csim study scenarios --replications 30 --seed 7
      l2csim study --force simulate
      l2csim study ../acme/scenarios --scheduler tcp://10.0.0.5:8786
    """
    from l2csim.pipeline.progress import StudyProgress, timings_table
    from l2csim.pipeline.run import MANIFEST, StudyOptions, run_study

    options = StudyOptions(
        replications=replications,
        seed=seed,
        horizon=horizon,
        warmup=warmup,
        jobs=jobs,
        scheduler=scheduler,
        force=force,
    )
    with StudyProgress(console) as progress:
        run = run_study(study_dir, out, options, progress=progress)
    console.print(timings_table(run))
    console.print(f"Study finished in {run.wall_seconds:.1f} s; timings in {run.out / MANIFEST}")
    console.print(f"Report: {run.report}")


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by the commands that run replications (simulate, compare, sweep)."""
    options = [
        click.option(
            "--replications",
            default="10",
            show_default=True,
            help="Replications per scenario, or auto (until --precision is reached).",
        ),
        click.option(
            "--precision",
            default="5%",
            show_default=True,
            help="With --replications auto: target 95%-CI half-width of the headline KPIs.",
        ),
        click.option(
            "--max-replications",
            default=100,
            show_default=True,
            help="With --replications auto: stop here even if the target is not met.",
        ),
        click.option("--seed", default=0, show_default=True, help="Seed of all random streams."),
        click.option(
            "--horizon", default="365d", show_default=True, help="Simulated period (h, d, w)."
        ),
        click.option(
            "--warmup", default="30d", show_default=True, help="Start-up period left out."
        ),
        click.option(
            "--jobs", default=0, show_default=True, help="Parallel processes (0: all cores)."
        ),
        click.option(
            "--scheduler",
            envvar="L2CSIM_DASK_SCHEDULER",
            help="Run on this Dask scheduler (tcp://HOST:PORT) [env L2CSIM_DASK_SCHEDULER].",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _print_precision(run: Any) -> None:
    if not run.precision:
        return
    parts = ", ".join(
        f"{kpi} ±{value:.1%}" if value == value else f"{kpi} n/a"
        for kpi, value in run.precision.items()
    )
    if run.precision_met:
        console.print(f"Precision reached: {parts}")
    else:
        console.print(f"[yellow]Precision target not reached at the cap: {parts}[/yellow]")


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@run_options
@click.option("--event-log", is_flag=True, help="Also write the simulated log (CSV and XES).")
@out_option("simulate")
def simulate(
    scenario: Path,
    replications: str,
    precision: str,
    max_replications: int,
    seed: int,
    horizon: str,
    warmup: str,
    jobs: int,
    scheduler: str | None,
    event_log: bool,
    out: Path,
) -> None:
    """Simulate a scenario and write per-replication KPIs (kpis.parquet, kpis.csv).

    SCENARIO is a scenario file (scenarios/*.yaml, which names the fitted model and the
    policy) or a fitted model (model.json), run as the as-is baseline. The same seed gives
    byte-identical tables on any number of jobs or a Dask cluster; the same replication
    meets the same random streams in every scenario (common random numbers).

    \b
    Examples:
      l2csim simulate scenarios/baseline.yaml --replications 20 --seed 1
      l2csim simulate scenarios/tier_priority.yaml --replications auto --precision 5%
      l2csim simulate scenarios/baseline.yaml --scheduler tcp://10.0.0.5:8786
      l2csim simulate outputs/fit/model.json --replications 1 --event-log
    """
    from rich.progress import Progress

    from l2csim.sim.run import parse_replications
    from l2csim.sim.run import simulate as run_simulation

    count = parse_replications(replications)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(f"Simulating {scenario.name}", total=count or max_replications)
        run = run_simulation(
            scenario,
            out,
            replications=replications,
            precision=precision,
            max_replications=max_replications,
            seed=seed,
            horizon=horizon,
            warmup=warmup,
            event_log=event_log,
            jobs=jobs,
            scheduler=scheduler,
            on_done=lambda _result: bar.advance(task),
        )
    console.print(
        f"{run.scenario}: {len(run.results)} replication(s), "
        f"{sum(r.orders for r in run.results):,} orders, "
        f"{sum(r.events for r in run.results):,} events ({run.events_per_second:,.0f}/s)"
    )
    _print_precision(run)
    _wrote(run.written)


@cli.command()
@click.argument("baseline")
@click.argument("scenarios", nargs=-1, required=True)
@run_options
@click.option(
    "--study",
    type=click.Path(exists=True, path_type=Path),
    help="Study whose log every model must be fitted from [study.yaml beside BASELINE].",
)
@click.option(
    "--validation",
    type=click.Path(dir_okay=False, path_type=Path),
    help="validation.json of the baseline model [found beside the model].",
)
@out_option("compare")
def compare(
    baseline: str,
    scenarios: tuple[str, ...],
    replications: str,
    precision: str,
    max_replications: int,
    seed: int,
    horizon: str,
    warmup: str,
    jobs: int,
    scheduler: str | None,
    study: Path | None,
    validation: Path | None,
    out: Path,
) -> None:
    """Compare scenarios with the baseline: paired differences with 95% confidence intervals.

    BASELINE and each SCENARIO are a scenario file (run here with the same seed and
    replications), a fitted model.json (run as-is) or a folder from `l2csim simulate`
    (reused). Writes comparison.csv, comparison.json and charts (SVG and PNG); prints one
    reading per scenario and the recommendation.

    \b
    Examples:
      l2csim compare scenarios/baseline.yaml scenarios/tier_priority.yaml \\
          scenarios/one_more_cs_agent.yaml --replications 20
      l2csim compare outputs/simulate/baseline outputs/simulate/tier_priority
      l2csim compare scenarios/baseline.yaml scenarios/*.yaml --replications auto
    """
    from rich.progress import Progress

    from l2csim.comparison import compare as run_compare

    others = [s for s in scenarios if Path(s).resolve() != Path(baseline).resolve()]
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("Simulating", total=None)
        result = run_compare(
            baseline,
            others,
            out,
            replications=replications,
            precision=precision,
            max_replications=max_replications,
            seed=seed,
            horizon=horizon,
            warmup=warmup,
            jobs=jobs,
            scheduler=scheduler,
            study=study,
            validation=validation,
            on_done=lambda _result: bar.advance(task),
        )
    for warning in result.warnings:
        console.print(f"[yellow]Warning: {escape(warning)}[/yellow]")
    for reading in result.document["readings"].values():
        console.print(f"- {escape(reading)}")
    console.print(escape(result.document["recommendation"]["statement"]))
    _wrote(result.written)


@cli.command()
@_with_log
@click.option(
    "--model",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Fitted model.json to validate [the study's outputs/fit/model.json, else fit here].",
)
@click.option("--jobs", default=1, show_default=True, help="Parallel processes.")
@out_option("validate")
def validate(inputs: Any, model: Path | None, jobs: int, out: Path) -> None:
    """Check that the fitted as-is model reproduces the log it was fitted from.

    Replays the log's own period with the as-is policy and the simulated event log on,
    and measures the distance to the real log (cycle times, activity and n-gram
    frequencies, control flow, arrivals, backlog, chase-call rate, SLA attainment) beside
    a naive log's. Thresholds: the study's `validation:` section. Writes validation.json
    and validation.csv; exit code 0 even when a measure fails (the table says which).

    \b
    Examples:
      l2csim validate
      l2csim validate scenarios/study.yaml --model outputs/fit/model.json
    """
    from rich.table import Table

    from l2csim.validation import validate as run_validation

    result = run_validation(inputs, out, model=model, jobs=jobs)
    table = Table(title="Validation: simulated vs real log (smaller is closer)")
    for column in ("measure", "model", "naive", "threshold", "status"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for row in result.document["measures"]:
        style = {"fail": "bold red", "pass": "green"}.get(row["status"], "dim")
        value = "n/a" if row["value"] is None else f"{row['value']:.3g}"
        naive = "n/a" if row["naive"] is None else f"{row['naive']:.3g}"
        table.add_row(
            escape(row["label"]), value, naive, f"{row['threshold']:g}", row["status"], style=style
        )
    console.print(table)
    for note in result.document["notes"]:
        console.print(f"Note: {escape(note)}")
    verdict = "passed" if result.passed else "FAILED: " + ", ".join(result.document["failed"])
    console.print(f"Validation {verdict}", style="green" if result.passed else "bold red")
    _wrote(result.written)


@cli.command()
@click.argument("grid", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replications", type=int, help="Replications per point [the grid file's].")
@click.option("--jobs", default=0, show_default=True, help="Parallel processes (0: all cores).")
@click.option(
    "--scheduler",
    envvar="L2CSIM_DASK_SCHEDULER",
    help="Run on this Dask scheduler (tcp://HOST:PORT) [env L2CSIM_DASK_SCHEDULER].",
)
@out_option("sweep")
def sweep(
    grid: Path, replications: int | None, jobs: int, scheduler: str | None, out: Path
) -> None:
    """Run a grid of policies from a YAML file and write one table (sweep.csv).

    \b
    Example:
      l2csim sweep scenarios/sweeps/cs_staff_x_courtesy.yaml --jobs 2
      l2csim sweep scenarios/sweeps/cs_staff_x_courtesy.yaml --scheduler tcp://10.0.0.5:8786
    """
    from l2csim.comparison.sweep import sweep as run_sweep

    result = run_sweep(grid, out, jobs=jobs, scheduler=scheduler, replications=replications)
    console.print(f"{len(result.points)} grid points")
    _wrote(result.written)


@cli.command()
@click.argument("output_dir", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write [OUTPUT_DIR/report/report.html].",
)
@click.option(
    "--study",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Study file whose documented process to draw [the one the mine stage read].",
)
def report(output_dir: Path, out: Path | None, study: Path | None) -> None:
    """Build the steering-group report from a study's outputs: one self-contained HTML file.

    OUTPUT_DIR is the folder `l2csim study` wrote (check/, mine/, customers/, fit/,
    validate/, simulate/, compare/). Stages not run yet are named as missing in the report.
    The file opens offline (e-mail attachment) and prints to PDF from any browser.

    \b
    Examples:
      l2csim report outputs/study
      l2csim report outputs/study --out board/report.html
    """
    from l2csim.report import build_report

    _wrote(build_report(output_dir, out, study=study))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="l2csim")
