"""The `l2csim` command line: a thin click layer that parses options and calls the library.

No analysis lives here. Every error becomes one line on stderr naming the file and what to
do, with a non-zero exit (1; 2 for a usage mistake; 130 when interrupted); the traceback is
shown only with `l2csim --debug`. Commands write their outputs through
`output.writing_folder`: one run at a time per output folder, and the whole folder swapped
in at the end, so an interrupted command leaves the old outputs or the new, never a mix.

Heavy libraries (pandas, pm4py, matplotlib, dask, rich) are imported inside the commands
that need them, so `l2csim --help` starts at once.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from l2csim import __version__, layout
from l2csim.errors import L2csimError

if TYPE_CHECKING:
    from rich.console import Console

    from l2csim.inputs import Inputs, LogOverrides
    from l2csim.settings import RunSettings

DEBUG_ENV = "L2CSIM_DEBUG"
INTERRUPTED = 130  # exit code of an interrupted command (Ctrl-C or SIGTERM)
SCHEDULER_ENV = "L2CSIM_DASK_SCHEDULER"


@functools.cache
def console() -> Console:
    """The terminal output (rich), made on first use."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def escape(text: object) -> str:
    """Text for rich markup: log text is never read as markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(str(text))


def echo(text: str, style: str | None = None) -> None:
    console().print(text, style=style)


class L2csimGroup(click.Group):
    """The CLI edge: any error becomes one line and a non-zero exit, never a traceback
    (unless --debug); warnings from the library become one `Note:` line each."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug")) or os.environ.get(DEBUG_ENV, "") not in ("", "0")
        try:
            with _notes_as_lines(), _sigterm_as_interrupt():
                return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted; finished outputs are intact.", err=True)
            ctx.exit(INTERRUPTED)
        except L2csimError as error:
            if debug:
                raise
            raise click.ClickException(_one_line(str(error))) from None
        except (Exception, EOFError) as error:
            if debug:
                raise
            from l2csim.errors import explain

            raise click.ClickException(_one_line(explain(error))) from None


def _one_line(text: str) -> str:
    return " ".join(text.split())


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a command the way Ctrl-C does: staging folders and worker processes are
    cleaned up, the old outputs stay, exit code 130."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (tests): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _notes_as_lines() -> Iterator[None]:
    from l2csim.errors import L2csimWarning

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if issubclass(category, L2csimWarning):
            click.echo(f"Note: {_one_line(str(message))}", err=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always", L2csimWarning)
        warnings.showwarning = show
        yield


@click.group(cls=L2csimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="l2csim")
@click.option(
    "--debug",
    is_flag=True,
    help=f"Show the full traceback of an error (also with {DEBUG_ENV}=1).",
)
def cli(debug: bool) -> None:
    """Lead-to-cash process mining and simulation studies.

    Mine an order event log for the process staff actually follow, fit a simulation
    model from it, and compare policies with confidence intervals.
    """


# --- option groups, defined once -------------------------------------------------------------


def _options(*options: Callable[[Any], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def out_option(command_name: str, file: bool = False) -> Callable[[Any], Any]:
    """`--out DIR` (or FILE); without it the study's outputs/<command>/ (layout.default_out)."""
    where = f"outputs/{command_name}/" + ("model.json" if file else "")
    return click.option(
        "--out",
        "out",
        type=click.Path(file_okay=file, dir_okay=not file, path_type=Path),
        default=None,
        help=f"{'File' if file else 'Folder'} to write [default: the study's {where}, "
        f"else ./{where}].",
    )


def seed_option(default: int | None = 0) -> Callable[[Any], Any]:
    return click.option(
        "--seed",
        type=click.IntRange(0, 2**63 - 1),
        default=default,
        show_default=default is not None,
        help="Seed of all random streams.",
    )


def jobs_option(default: int = 0) -> Callable[[Any], Any]:
    return click.option(
        "--jobs",
        type=click.IntRange(0, 512),
        default=default,
        show_default=True,
        help="Local processes to run on (0: one per core).",
    )


scheduler_option = click.option(
    "--scheduler",
    envvar=SCHEDULER_ENV,
    help=f"Run on this Dask scheduler (tcp://HOST:PORT) [env {SCHEDULER_ENV}].",
)


def replications_option(default: str | None, auto: bool = True) -> Callable[[Any], Any]:
    extra = ", or auto (until --precision is reached)" if auto else ""
    return click.option(
        "--replications",
        default=default,
        show_default=default is not None,
        help=f"Replications per scenario (1 to 1000){extra}.",
    )


period_options = _options(
    click.option(
        "--horizon", default="365d", show_default=True, help="Simulated period (h, d, w)."
    ),
    click.option("--warmup", default="30d", show_default=True, help="Start-up period left out."),
)

fit_uncertainty_option = click.option(
    "--fit-uncertainty/--no-fit-uncertainty",
    "fit_uncertainty",
    default=None,
    help="Run replication i on the model's parameter draw i mod B (model_draws.json from "
    "`l2csim fit`), so intervals carry the fit's own uncertainty [on when the model has "
    "draws].",
)

run_options = _options(
    replications_option("10"),
    click.option(
        "--precision",
        default="5%",
        show_default=True,
        help="With --replications auto: target 95%-CI half-width of the headline KPIs.",
    ),
    click.option(
        "--max-replications",
        type=click.IntRange(2, 1000),
        default=100,
        show_default=True,
        help="With --replications auto: stop here even if the target is not met.",
    ),
    seed_option(),
    period_options,
    jobs_option(),
    scheduler_option,
    fit_uncertainty_option,
)
"""Options of the commands that run replications (simulate, compare)."""

RUN_OPTION_NAMES = (
    "replications", "precision", "max_replications", "seed", "horizon", "warmup", "jobs",
    "scheduler", "fit_uncertainty",
)  # fmt: skip


headroom_options = _options(
    click.option(
        "--headroom",
        is_flag=True,
        help="Also search the demand headroom: how much more demand until more than 10% of "
        "replications run away (headroom.json; compare: comparison.json/.csv).",
    ),
    click.option(
        "--headroom-replications",
        type=click.IntRange(2, 1000),
        default=10,
        show_default=True,
        help="Replications per demand factor in the headroom search.",
    ),
    click.option(
        "--headroom-horizon",
        default="180d",
        show_default=True,
        help="Simulated period of each headroom run (30-day warm-up included).",
    ),
    click.option(
        "--headroom-top",
        type=click.FloatRange(1.0, 10.0, min_open=True),
        default=2.0,
        show_default=True,
        help="Highest demand factor searched.",
    ),
    click.option(
        "--headroom-step",
        type=click.FloatRange(0.0, 9.0, min_open=True),
        default=0.1,
        show_default=True,
        help="Step between the demand factors searched.",
    ),
)
"""The headroom search's options (simulate, compare)."""

HEADROOM_OPTION_NAMES = (
    "headroom", "headroom_replications", "headroom_horizon", "headroom_top", "headroom_step",
)  # fmt: skip


def _headroom_settings(kwargs: dict[str, Any]) -> Any:
    """HeadroomSettings from the headroom options (popped), or None without --headroom."""
    values = {name: kwargs.pop(name) for name in HEADROOM_OPTION_NAMES if name in kwargs}
    if not values.get("headroom"):
        return None
    from l2csim.comparison.headroom import HeadroomSettings

    return HeadroomSettings(
        replications=values["headroom_replications"],
        horizon=values["headroom_horizon"],
        top=values["headroom_top"],
        step=values["headroom_step"],
    )


def _print_headroom(record: dict) -> None:
    style = "yellow" if record.get("status") != "beyond_range" else None
    echo(escape(record["message"]), style=style)


def _run_settings(kwargs: dict[str, Any], **extra: Any) -> RunSettings:
    """RunSettings from the run options (popped from the command's keyword arguments)."""
    from l2csim.settings import RunSettings

    values = {name: kwargs.pop(name) for name in RUN_OPTION_NAMES if name in kwargs}
    return RunSettings.from_options(**values, **extra)


def log_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that map a bare log's columns (they also override a study file's mapping)."""
    return _options(
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
    )(command)


LOG_FLAGS = (
    "case", "activity", "timestamp", "start_timestamp", "resource", "customer", "customer_name",
    "case_attributes", "timezone", "timestamp_format", "object_type",
)  # fmt: skip


def _overrides(flags: dict[str, Any]) -> LogOverrides:
    from l2csim.inputs import LogOverrides

    return LogOverrides(
        **{k: (tuple(v) if k == "case_attributes" else v) for k, v in flags.items()}
    )


def _with_log(command: Callable[..., Any]) -> Callable[..., Any]:
    """Shared argument handling: STUDY_OR_LOG plus the log flags."""

    @functools.wraps(command)
    def wrapper(study_or_log: str | None, **kwargs: Any) -> Any:
        from l2csim.inputs import resolve_inputs

        flags = {k: kwargs.pop(k) for k in LOG_FLAGS if k in kwargs}
        inputs = resolve_inputs(study_or_log, _overrides(flags))
        return command(inputs=inputs, **kwargs)

    wrapper = log_options(wrapper)
    return click.argument("study_or_log", required=False)(wrapper)


# --- writing ---------------------------------------------------------------------------------


def _study_file(inputs: Inputs) -> Path | None:
    return inputs.study.source if inputs.study is not None else None


def _warn(message: str) -> None:
    echo(f"[yellow]Warning: {escape(message)}[/yellow]")


def _wrote(paths: list[Path] | Path, staged: Path | None = None, out: Path | None = None) -> None:
    """Print what was written, where it is now (not the staging folder it was written in)."""
    for path in [paths] if isinstance(paths, Path) else paths:
        if staged is not None and out is not None:
            with contextlib.suppress(ValueError):
                path = out / Path(path).relative_to(staged)
        echo(f"Wrote {escape(path)}")


# --- commands ----------------------------------------------------------------------------------


@cli.command()
@_with_log
@out_option(layout.CHECK)
def check(inputs: Inputs, out: Path | None) -> None:
    """Check an event log's data quality and write quality.json.

    STUDY_OR_LOG is a study file or folder (default: scenarios/study.yaml), or a log file
    (CSV, XES, Parquet, OCEL 2.0) whose columns the flags map. Findings are not errors:
    the exit code is 0 whenever the log could be read. What the study file names but the
    log or folder does not have yet (roles, attributes, the CRM file) is listed as warnings.

    \b
    Examples:
      l2csim check
      l2csim check orders.csv --case order_ref --activity event --timestamp event_time
      l2csim check helpdesk.xes.gz --out outputs/helpdesk-check
    """
    from l2csim.check.quality import (
        check_quality,
        quality_table,
        with_study_warnings,
        write_quality_json,
    )
    from l2csim.inputs import read_inputs_log, study_warnings
    from l2csim.output import writing_folder

    out = out or layout.default_out(layout.CHECK, _study_file(inputs))
    log = read_inputs_log(inputs, strict=False)
    warnings_ = study_warnings(inputs.study, log) if inputs.study is not None else []
    report = with_study_warnings(check_quality(log), warnings_)
    echo(
        escape(
            f"{log.source}: {log.n_events:,} events, {log.n_cases:,} cases, "
            f"{len(log.activities)} activities ({log.format})"
        )
    )
    console().print(quality_table(report))
    for warning in warnings_:
        _warn(warning)
    with writing_folder(out) as folder:
        written = write_quality_json(report, folder / layout.QUALITY_JSON)
    _wrote(written, folder, out)


@cli.command()
@out_option("sample")
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=42,
    show_default=True,
    help="Random seed of the generator.",
)
@click.option(
    "--days",
    type=click.IntRange(min=28, max=3650),
    default=365,
    show_default=True,
    help="Length of the intake period in days (28 to 3650; reorder cadences need weeks).",
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
    out: Path | None,
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
    from l2csim.output import writing_folder

    if list_operations:
        from l2csim.sample.testbed import list_operations as operations

        for name, description in operations().items():
            console().print(f"[bold]{name}[/bold]: {escape(description)}")
        return
    if operation is not None:
        from l2csim.sample.testbed import OPERATIONS, write_operation

        if operation not in OPERATIONS:
            raise click.BadParameter(
                f"unknown operation {operation!r}; one of: {', '.join(OPERATIONS)}.",
                param_hint="--operation",
            )
        out = out or layout.default_out("testbed") / operation
        with writing_folder(out) as folder:
            written = write_operation(
                folder, operation, seed=seed, days=days, counterfactual_seeds=counterfactual_seeds
            )
        _wrote(written, folder, out)
        return
    from l2csim.sample import write_sample

    out = out or layout.default_out("sample")
    with writing_folder(out) as folder:
        written = write_sample(folder, seed=seed, days=days)
    _wrote(written, folder, out)


@cli.command()
@_with_log
@out_option(layout.CUSTOMERS)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Review date (YYYY-MM-DD) for recency, overdue reorders and churn [last order received].",
)
def customers(inputs: Inputs, out: Path | None, as_of: str | None) -> None:
    """Profile and tier customers; SLA attainment, overdue reorders and churn evidence.

    Merges re-keyed customers first (customer_merges.csv, reviewable; feed the edited copy
    back with the study key customers.merges), then writes customers.csv, tier_summary.csv,
    tiers.json, sla.csv, overdue.csv and retention_model.json, and prints the tiers, SLA
    attainment per tier and the overdue reorders. A log without a customer column still
    gets sla.csv and a retention model that switches churn off (exit code 0).

    \b
    Examples:
      l2csim customers
      l2csim customers scenarios/study.yaml --as-of 2025-10-01
      l2csim customers helpdesk.xes.gz --customer customer --out outputs/helpdesk-customers
    """
    from l2csim.customers.run import run
    from l2csim.output import writing_folder

    out = out or layout.default_out(layout.CUSTOMERS, _study_file(inputs))
    with writing_folder(out) as folder:
        result = run(inputs, folder, as_of)
        tables = _customer_tables(folder)
    for message in result.messages:
        echo(f"Note: {escape(message).replace(str(folder), str(out))}")
    for table in tables:
        console().print(table)
    if result.overdue is not None:
        echo(f"{len(result.overdue)} customer(s) with an overdue reorder")
    _wrote(result.paths, folder, out)


def _customer_tables(out: Path) -> list[Any]:
    """The tiers, SLA attainment per tier and the overdue accounts, as terminal tables."""
    import pandas as pd
    from rich.table import Table

    from l2csim.output import read_csv_table

    def read(name: str) -> pd.DataFrame | None:
        path = out / name
        if not path.is_file():
            return None
        return read_csv_table(path, keep_default_na=False, na_values=[""])

    def share(value: Any) -> str:
        return "" if pd.isna(value) else f"{float(value):.0%}"

    tables = []
    summary = read(layout.TIER_SUMMARY_CSV)
    if summary is not None and len(summary):
        table = Table(title="Customer tiers", title_justify="left")
        for column in ("tier", "customers", "orders", "revenue share", "set apart by"):
            table.add_column(column, justify="left" if column[0] in "ts" else "right")
        for row in summary.itertuples(index=False):
            table.add_row(
                escape(row.tier), f"{int(row.customers):,}", f"{int(row.orders):,}",
                share(row.revenue_share), escape(row.set_apart_by),
            )  # fmt: skip
        tables.append(table)
    sla = read(layout.SLA_CSV)
    if sla is not None and len(sla):
        overall = sla[(sla["segment"] == "all") & (sla["month"] == "all")]
        table = Table(title="SLA attainment per tier", title_justify="left")
        for column in ("tier", "orders judged", "on time", "courtesy calls made",
                       "chase calls", "answered in time"):  # fmt: skip
            table.add_column(column, justify="left" if column == "tier" else "right")
        for row in overall.itertuples(index=False):
            table.add_row(
                escape(row.tier), f"{int(row.judged_orders):,}", share(row.attainment),
                share(row.courtesy_made_share), f"{int(row.chase_calls):,}",
                share(row.chase_response_attainment),
            )  # fmt: skip
        tables.append(table)
    overdue = read(layout.OVERDUE_CSV)
    if overdue is not None and len(overdue):
        table = Table(title="Overdue reorders (highest value at stake first)", title_justify="left")
        for column in ("customer", "name", "tier", "last order", "expected", "value at stake"):
            table.add_column(column, justify="right" if column == "value at stake" else "left")
        for row in overdue.head(10).itertuples(index=False):
            table.add_row(
                escape(row.customer), escape(row.customer_name), escape(row.tier),
                str(row.last_order), str(row.expected_date), f"{float(row.value_at_stake):,.0f}",
            )  # fmt: skip
        if len(overdue) > 10:
            table.caption = f"and {len(overdue) - 10} more in {layout.OVERDUE_CSV}"
        tables.append(table)
    return tables


@cli.command()
@_with_log
@out_option(layout.FIT, file=True)
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
    help="retention_model.json from `l2csim customers` (without it: no churn, stated).",
)
@click.option(
    "--calibrate/--no-calibrate",
    default=None,
    help="Tune the teams' work to the log's own period [the study's calibration.enabled; "
    "off for a bare log].",
)
@click.option("--trials", type=int, help="Calibration budget in model runs [12].")
@click.option(
    "--draws",
    type=click.IntRange(0, 1000),
    default=20,
    show_default=True,
    help="Parameter sets to draw by a bootstrap over the log's orders (the fit's own "
    "uncertainty), written beside the model as <model>_draws.json; 0: none.",
)
@click.option(
    "--draws-seed",
    type=click.IntRange(0, 2**63 - 1),
    default=0,
    show_default=True,
    help="Seed of the bootstrap.",
)
@jobs_option(default=1)
def fit(
    inputs: Inputs,
    out: Path | None,
    tier_table: Path | None,
    retention_model: Path | None,
    calibrate: bool | None,
    trials: int | None,
    draws: int,
    draws_seed: int,
    jobs: int,
) -> None:
    """Fit a simulation model of today's operation from the log and write model.json.

    Arrivals per tier and segment, routing, activity durations, staff pools and calendars,
    chase and courtesy calls, retention: every number with where it came from. What fell
    back to a default is listed under `notes` in the file and printed here. Without --out
    the model goes to the study's outputs/fit/model.json, the file its baseline.yaml names.

    \b
    Examples:
      l2csim fit
      l2csim fit scenarios/study.yaml --tiers outputs/customers/customers.csv \\
          --retention outputs/customers/retention_model.json
      l2csim fit helpdesk.xes.gz --out outputs/helpdesk/model.json
      l2csim fit scenarios --calibrate --trials 30 --jobs 2
      l2csim fit scenarios --draws 50 --draws-seed 7
    """
    from l2csim.draws import draws_path
    from l2csim.fit import FitOptions, calibration_settings, run
    from l2csim.output import out_folder_lock

    out = out or layout.default_model(_study_file(inputs))
    settings = calibration_settings(inputs.study, calibrate, trials, jobs or os.cpu_count() or 1)
    options = FitOptions(
        tier_table=tier_table, retention_model=retention_model, calibration=settings
    )
    with out_folder_lock(out):  # one file (and its draws), each written atomically
        params, path = run(inputs, out, options, draws=draws, draws_seed=draws_seed)
    fitted_from = params.created_from
    if fitted_from is not None:
        echo(
            escape(
                f"{fitted_from.path}: {fitted_from.events:,} events, {fitted_from.cases:,} "
                f"cases; {len(params.tiers)} tiers, {len(params.routing)} segments, "
                f"{len(params.activities)} activities, {len(params.pools)} pools"
            )
        )
    for note in params.notes:
        echo(f"Note: {escape(note)}")
    _wrote(path)
    if draws:
        echo(
            f"Wrote {escape(draws_path(path))} ({draws} parameter sets, a bootstrap over the "
            f"log's orders, seed {draws_seed}; simulate uses them unless --no-fit-uncertainty)"
        )


@cli.command()
@_with_log
@out_option(layout.MINE)
@jobs_option()
def mine(inputs: Inputs, out: Path | None, jobs: int) -> None:
    """Mine process maps, variants, the informal process and the pain-point backlog.

    STUDY_OR_LOG is a study file or folder (default: scenarios/study.yaml), or a log file
    whose columns the flags map. With a study's reference_process, deviations from the
    documented process are catalogued; with its roles, tiers and sla, the role rules and the
    backlog's SLA and chase-call figures. Open DIR/maps.html in a browser (works offline).
    With --jobs 1 everything runs in this one process, one map drawing at a time.

    \b
    Examples:
      l2csim mine
      l2csim mine tests/data/helpdesk.xes.gz --out outputs/helpdesk-mine
    """
    from l2csim.inputs import read_inputs_log, without_missing_crm
    from l2csim.mine.run import run
    from l2csim.mine.workers import mining_pool
    from l2csim.output import writing_folder

    out = out or layout.default_out(layout.MINE, _study_file(inputs))
    study, warnings_ = without_missing_crm(inputs.study)
    with mining_pool(jobs) as pool:
        log = read_inputs_log(inputs)
        with writing_folder(out) as folder:
            result = run(log, study, folder, jobs=jobs, pool=pool)
    conformance = result.findings["conformance"]
    echo(
        escape(
            f"{log.source}: {log.n_cases:,} cases, "
            f"{result.findings['variants']['count']:,} variants, "
            f"{len(result.findings['deviations'])} deviations"
            + (f"; conformance by {conformance['method']}" if conformance else "")
        )
    )
    for warning in warnings_:
        _warn(warning)
    _wrote(sorted(p for p in result.paths if p.parent == folder), folder, out)


@cli.command()
@click.argument("study_dir", required=False, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for every stage's outputs and the manifest [default: the study's outputs/study/].",
)
@replications_option("20", auto=False)
@seed_option()
@period_options
@jobs_option()
@scheduler_option
@fit_uncertainty_option
@click.option(
    "--headroom-replications",
    type=click.IntRange(0, 1000),
    default=6,
    show_default=True,
    help="Replications per demand factor of each scenario's headroom search (120-day runs, "
    "factors 1 to 2 in steps of 0.25); 0: no search.",
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
@click.option(
    "--forecast",
    "forecast",
    is_flag=False,
    flag_value="last",
    default=None,
    metavar="[AS_OF]",
    help="Also forecast 28 days from the open orders at AS_OF (alone: the log's last event) "
    "into OUT/forecast/.",
)
def study(study_dir: Path | None, out: Path | None, force: tuple[str, ...], **kwargs: Any) -> None:
    """Run the whole study: check, mine, customers, fit, validate, simulate, compare, report.

    STUDY_DIR is a study folder or file (default: scenarios/study.yaml here; without one,
    it says so and runs the bundled demo, generated into outputs/sample-study). Every
    scenario YAML beside the study file is simulated and compared with baseline.yaml.
    Stages whose inputs have not changed are reused (content hashes in OUT/manifest.json,
    with each stage's time); an interrupted run keeps every finished stage and continues
    where it stopped. One run at a time per OUT folder. The steering-group report ends up
    in OUT/report/report.html. With --forecast, the forecast from the open orders at AS_OF
    (see `l2csim forecast`) is an extra stage, into OUT/forecast/.

    \b
    Examples:
      l2csim study
      l2csim study scenarios --replications 30 --seed 7
      l2csim study --force simulate
      l2csim study ../acme/scenarios --scheduler tcp://10.0.0.5:8786
      l2csim study --headroom-replications 20 --no-fit-uncertainty
    """
    from l2csim.pipeline.progress import StudyProgress, timings_table
    from l2csim.pipeline.run import MANIFEST, StudyOptions, demo_wanted, run_study
    from l2csim.settings import parse_replications

    kwargs["replications"] = parse_replications(kwargs["replications"])
    options = StudyOptions(force=force, **kwargs)
    if study_dir is None and demo_wanted():
        echo(
            f"No {layout.SCENARIOS}/{layout.STUDY_FILE} here, so this runs the bundled demo "
            f"study (the sample, generated once into {layout.OUTPUTS}/{layout.SAMPLE_STUDY}/). "
            "For your own study: l2csim study PATH/TO/scenarios"
        )
    with StudyProgress(console()) as progress:
        run = run_study(study_dir, out, options, progress=progress)
    console().print(timings_table(run))
    echo(f"Study finished in {run.wall_seconds:.1f} s; timings in {escape(run.out / MANIFEST)}")
    echo(f"Report: {escape(run.report)}")


def _print_precision(run: Any) -> None:
    if not run.precision:
        return
    parts = ", ".join(
        f"{kpi} ±{value:.1%}" if value == value else f"{kpi} n/a"
        for kpi, value in run.precision.items()
    )
    if run.precision_met:
        echo(f"Precision reached: {parts}")
    else:
        echo(f"[yellow]Precision target not reached at the cap: {parts}[/yellow]")


@contextlib.contextmanager
def _progress(description: str, total: int | None) -> Iterator[Callable[[Any], None]]:
    """A progress bar on a terminal (none when piped); yields the per-replication callback."""
    from rich.progress import Progress

    bar = Progress(console=console(), transient=True, disable=not console().is_terminal)
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda _result: bar.advance(task)


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@run_options
@click.option("--event-log", is_flag=True, help="Also write the simulated log (CSV and XES).")
@headroom_options
@out_option(layout.SIMULATE)
def simulate(scenario: Path, event_log: bool, out: Path | None, **kwargs: Any) -> None:
    """Simulate a scenario and write per-replication KPIs (kpis.parquet, kpis.csv).

    SCENARIO is a scenario file (scenarios/*.yaml, which names the fitted model and the
    policy) or a fitted model (model.json), run as the as-is baseline. Without --out it
    writes into the study's outputs/simulate/<scenario>/. The same seed gives
    byte-identical tables on any number of jobs or a Dask cluster; the same replication
    meets the same random streams in every scenario (common random numbers).

    \b
    Examples:
      l2csim simulate scenarios/baseline.yaml --replications 20 --seed 1
      l2csim simulate scenarios/tier_priority.yaml --replications auto --precision 5%
      l2csim simulate scenarios/baseline.yaml --scheduler tcp://10.0.0.5:8786
      l2csim simulate outputs/fit/model.json --replications 1 --event-log
      l2csim simulate scenarios/baseline.yaml --headroom --headroom-replications 20
    """
    from l2csim.output import writing_folder
    from l2csim.sim.run import simulate as run_simulation

    headroom = _headroom_settings(kwargs)
    settings = _run_settings(kwargs, event_log=event_log)
    if out is None:
        name = scenario.stem if scenario.suffix.lower() in (".yaml", ".yml") else "baseline"
        out = layout.default_out(layout.SIMULATE, layout.study_file_beside(scenario)) / name
    total = settings.replications or settings.max_replications
    found = None
    with writing_folder(out) as folder, _progress(f"Simulating {scenario.name}", total) as step:
        run = run_simulation(scenario, folder, settings, on_done=step)
        if headroom is not None:
            from l2csim.comparison.headroom import scenario_headroom, write_headroom

            found = scenario_headroom(scenario, settings.but(event_log=False), headroom)
            run.written.append(write_headroom(found, folder))
    echo(
        escape(
            f"{run.scenario}: {len(run.results)} replication(s), "
            f"{sum(r.orders for r in run.results):,} orders, "
            f"{sum(r.events for r in run.results):,} events ({run.events_per_second:,.0f}/s)"
        )
    )
    _print_precision(run)
    if found is not None:
        _print_headroom(found.record())
        echo(f"Headroom search: {found.runs} runs in {found.seconds:.1f} s")
    _wrote(run.written, folder, out)


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
@headroom_options
@out_option(layout.COMPARE)
def compare(
    baseline: str,
    scenarios: tuple[str, ...],
    study: Path | None,
    validation: Path | None,
    out: Path | None,
    **kwargs: Any,
) -> None:
    """Compare scenarios with the baseline: paired differences with 95% confidence intervals.

    BASELINE and each SCENARIO are a scenario file (run here with the same seed and
    replications), a fitted model.json (run as-is) or a folder from `l2csim simulate`
    (reused). Writes comparison.csv, comparison.json and charts (SVG and PNG); prints one
    reading per scenario and the recommendation. --jobs 1 runs everything in this process.

    \b
    Examples:
      l2csim compare scenarios/baseline.yaml scenarios/tier_priority.yaml \\
          scenarios/one_more_cs_agent.yaml --replications 20
      l2csim compare outputs/simulate/baseline outputs/simulate/tier_priority
      l2csim compare scenarios/baseline.yaml scenarios/*.yaml --replications auto
      l2csim compare scenarios/baseline.yaml scenarios/tier_priority.yaml --headroom
    """
    from l2csim.comparison import compare as run_compare
    from l2csim.output import writing_folder

    headroom = _headroom_settings(kwargs)
    settings = _run_settings(kwargs)
    others = [s for s in scenarios if Path(s).resolve() != Path(baseline).resolve()]
    if out is None:
        out = layout.default_out(layout.COMPARE, layout.study_file_beside(Path(baseline)))
    with writing_folder(out) as folder, _progress("Simulating", None) as step:
        result = run_compare(
            baseline,
            others,
            folder,
            settings,
            study=study,
            validation=validation,
            on_done=step,
            headroom=headroom,
        )
    for warning in result.warnings:
        _warn(warning)
    for reading in result.document["readings"].values():
        echo(f"- {escape(reading)}")
    for name, risk in result.document["risk"].items():
        if risk.get("runaway_share") is not None:
            echo(
                escape(
                    f"{name}: {risk['runaway_replications']} of {risk['judged']} replications "
                    f"run away ({risk['runaway_share']:.0%}, 95% CI "
                    f"{risk['runaway_low']:.0%}-{risk['runaway_high']:.0%})"
                )
            )
    for record in result.document["headroom"].values():
        _print_headroom(record)
    echo(escape(result.document["recommendation"]["statement"]))
    _wrote(result.written, folder, out)


@cli.command()
@_with_log
@click.option(
    "--model",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Fitted model.json to validate [the study's outputs/fit/model.json, else fit here].",
)
@jobs_option()
@scheduler_option
@out_option(layout.VALIDATE)
def validate(
    inputs: Inputs, model: Path | None, jobs: int, scheduler: str | None, out: Path | None
) -> None:
    """Check that the fitted as-is model reproduces the log it was fitted from.

    Replays the log's own period with the as-is policy and the simulated event log on,
    and measures the distance to the real log (cycle times, activity and n-gram
    frequencies, control flow, arrivals, backlog, chase-call rate, SLA attainment) beside
    a naive log's. Replications, seed and thresholds: the study's `validation:` section.
    Writes validation.json and validation.csv; exit code 0 even when a measure fails (the
    table says which).

    \b
    Examples:
      l2csim validate
      l2csim validate scenarios/study.yaml --model outputs/fit/model.json
    """
    from rich.table import Table

    from l2csim.output import writing_folder
    from l2csim.settings import RunSettings
    from l2csim.validation import validate as run_validation

    out = out or layout.default_out(layout.VALIDATE, _study_file(inputs))
    settings = RunSettings(jobs=jobs, scheduler=scheduler)
    with writing_folder(out) as folder:
        result = run_validation(inputs, folder, model=model, settings=settings)
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
    console().print(table)
    for note in result.document["notes"]:
        echo(f"Note: {escape(note)}")
    verdict = "passed" if result.passed else "FAILED: " + ", ".join(result.document["failed"])
    echo(f"Validation {verdict}", style="green" if result.passed else "bold red")
    _wrote(result.written, folder, out)


@cli.command()
@click.argument("grid", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@replications_option(None, auto=False)
@jobs_option()
@scheduler_option
@out_option(layout.SWEEP)
def sweep(
    grid: Path, replications: str | None, jobs: int, scheduler: str | None, out: Path | None
) -> None:
    """Run a grid of policies from a YAML file and write one table (sweep.csv).

    The grid file gives the base scenario, the axes, and the replications, seed, horizon
    and warm-up; --replications overrides the file's.

    \b
    Example:
      l2csim sweep scenarios/sweeps/cs_staff_x_courtesy.yaml --jobs 2
      l2csim sweep scenarios/sweeps/cs_staff_x_courtesy.yaml --scheduler tcp://10.0.0.5:8786
    """
    from l2csim.comparison.sweep import grid_settings
    from l2csim.comparison.sweep import sweep as run_sweep
    from l2csim.output import writing_folder
    from l2csim.settings import parse_replications

    count = parse_replications(replications) if replications is not None else None
    settings = grid_settings(grid, replications=count, jobs=jobs, scheduler=scheduler)
    out = out or layout.default_out(layout.SWEEP)
    with writing_folder(out) as folder:
        result = run_sweep(grid, folder, settings)
    echo(f"{len(result.points)} grid points")
    _wrote(result.written, folder, out)


@cli.command()
@_with_log
@click.option(
    "--as-of",
    "as_of",
    metavar="DATETIME",
    help="The moment to forecast from: YYYY-MM-DD (the end of that day) or YYYY-MM-DDTHH:MM, "
    "local time unless an offset is given [the log's last event].",
)
@click.option(
    "--horizon", default="28d", show_default=True, help="Days to forecast (d or w, whole days)."
)
@replications_option("20", auto=False)
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A scenario YAML whose policy to forecast beside today's (repeatable).",
)
@click.option(
    "--backtest",
    type=click.IntRange(1, 52),
    default=None,
    metavar="K",
    help="Also cut the log at K past dates, forecast and score against what happened.",
)
@click.option("--calibrate", is_flag=True, help="Calibrate the fit to the log (slower).")
@seed_option()
@jobs_option()
@scheduler_option
@out_option(layout.FORECAST)
def forecast(
    inputs: Inputs,
    as_of: str | None,
    horizon: str,
    replications: str,
    scenarios: tuple[Path, ...],
    backtest: int | None,
    calibrate: bool,
    seed: int,
    jobs: int,
    scheduler: str | None,
    out: Path | None,
) -> None:
    """Forecast the next weeks from the open orders at a moment, and whom to call now.

    Fits the model from the log up to --as-of only, starts it from the orders open then
    (where each is in the process, its calls so far, the staff at work) and runs it over
    --horizon with today's policy (the study's baseline.yaml) and each --scenario, with
    common random numbers. Writes daily.csv (bands per day), open_orders.csv (each open
    order's chance of missing its promise: the proactive call list), forecast.json,
    model.json and forecast.html. --backtest K also scores the forecast on K past dates of
    the log beside a warm-up simulation's (backtest.csv, backtest.json).

    \b
    Examples:
      l2csim forecast scenarios --as-of 2025-10-01
      l2csim forecast scenarios --as-of 2025-10-01 --scenario scenarios/one_more_cs_agent.yaml
      l2csim forecast scenarios --backtest 8 --horizon 4w --replications 30
    """
    from l2csim.forecast import ForecastSettings
    from l2csim.forecast import run as run_forecast
    from l2csim.output import writing_folder
    from l2csim.settings import parse_replications

    count = parse_replications(replications)
    settings = ForecastSettings(
        as_of=as_of,
        horizon=horizon,
        replications=count if count is not None else 0,
        seed=seed,
        jobs=jobs,
        scheduler=scheduler,
        calibrate=calibrate,
    )
    out = out or layout.default_out(layout.FORECAST, _study_file(inputs))
    with writing_folder(out) as folder, _progress("Forecasting", None) as step:
        done = run_forecast(
            inputs, folder, settings, scenarios, backtest_cuts=backtest, on_done=step
        )
    for note in done.notes:
        echo(f"Note: {escape(note)}")
    if done.forecast is not None:
        _print_forecast(done.forecast)
    if done.backtest is not None:
        _print_backtest(done.backtest)
    _wrote(done.written, folder, out)


def _print_forecast(result: Any) -> None:
    prepared = result.prepared
    daily = result.daily
    days = int(daily["day"].max())
    from l2csim.forecast.run import describe_as_of

    as_of = describe_as_of(prepared.as_of, prepared.timezone)
    echo(
        escape(
            f"As of {as_of}: {len(result.orders):,} open orders "
            f"({int((prepared.open_orders['promised'] < prepared.as_of).sum()):,} past their "
            f"promise); {int((result.orders['p_late'] >= 0.5).sum()):,} more likely late than not"
        )
    )
    for name in result.scenarios:
        parts = []
        for day in sorted({min(7, days), days}):
            row = daily[
                (daily["scenario"] == name) & (daily["kpi"] == "backlog") & (daily["day"] == day)
            ].iloc[0]
            parts.append(f"day {day} {row['mean']:.0f} ({row['p05']:.0f}-{row['p95']:.0f})")
        echo(escape(f"{name}: open orders " + ", ".join(parts)))


def _print_backtest(result: Any) -> None:
    from rich.table import Table

    table = Table(title="Backtest: forecast from the open orders vs warm-up simulation")
    for column in ("KPI", "day", "cuts", "in band", "warm-up in band", "error", "warm-up error"):
        table.add_column(column, justify="left" if column == "KPI" else "right")
    for m in result.summary["measures"]:
        table.add_row(
            m["kpi"], str(m["day"]), str(m["cuts"]), f"{m['forecast_coverage']:.0%}",
            f"{m['warmup_coverage']:.0%}", f"{m['forecast_mae']:.1f}", f"{m['warmup_mae']:.1f}",
        )  # fmt: skip
    console().print(table)
    auc = result.summary["p_late_auc"]
    echo(
        "AUC of p_late: "
        + (f"{auc:.2f}" if auc is not None else "n/a (too few late orders at the cuts)")
    )
    calibrated = result.summary.get("calibrated_per_cut", [])
    if result.summary.get("calibrate") and not all(calibrated):
        echo(
            f"Calibrated fits at {sum(calibrated)} of {len(calibrated)} cuts: the log before "
            "the others is too short to hold out a calibration part."
        )


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
    validate/, simulate/, compare/). Stages not run yet are named as missing in the report;
    a scenario or study file edited since its stage ran is marked stale. The file opens
    offline (e-mail attachment) and prints to PDF from any browser.

    \b
    Examples:
      l2csim report outputs/study
      l2csim report outputs/study --out board/report.html
    """
    from l2csim.output import out_folder_lock
    from l2csim.pipeline.run import stale_inputs
    from l2csim.report import build_report

    # not while a study writes into the folder
    lock = out_folder_lock(output_dir) if output_dir.is_dir() else contextlib.nullcontext()
    with lock:
        stale = stale_inputs(output_dir)
        path = build_report(output_dir, out, study=study)
    for line in stale:
        _warn(f"stale: {line}")
    _wrote(path)


def main() -> None:
    """Console-script entry point.

    An interrupted command leaves at once once it has said so: its outputs are finished or
    cleaned up and its workers end with it, and the interpreter's own shutdown would only
    join a process pool's helper thread whose pipe is already closed, which can print an
    "Exception ignored" traceback after the one-line message."""
    try:
        cli(prog_name="l2csim")
    except SystemExit as done:
        if done.code == INTERRUPTED:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(INTERRUPTED)
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
