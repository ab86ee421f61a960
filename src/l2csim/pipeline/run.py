"""The whole study in one call: check, mine, customers, fit, validate, simulate every
scenario, compare, report — reusing every stage whose inputs have not changed.

Each stage writes into a temporary folder that is renamed into place only when the stage
has finished, and the manifest (`manifest.json` in the study's output folder) records a
stage only after that. An interrupted run (Ctrl-C, SIGTERM) therefore leaves every finished
stage intact and no half-written output; the next run continues with the first stage whose
inputs (content hashes of files and settings) differ from the manifest, or whose outputs are
missing or changed.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from l2csim import __version__, layout
from l2csim.draws import draws_path
from l2csim.errors import L2csimError, StudyError
from l2csim.executors import scheduler_address
from l2csim.inputs import Inputs, read_inputs_log, resolve_inputs
from l2csim.log import EventLog
from l2csim.output import (
    clean_stale,
    folder_hashes,
    out_folder_lock,
    sha256_file,
    sha256_json,
    swap_folder,
    write_json,
)
from l2csim.settings import STUDY_REPLICATIONS, RunSettings
from l2csim.study import DEFAULT_STUDY_FILE, Study, read_yaml_mapping

if TYPE_CHECKING:
    from l2csim.comparison.headroom import HeadroomSettings

STUDY_OUT = Path(layout.OUTPUTS) / layout.STUDY
SAMPLE_STUDY = Path(layout.OUTPUTS) / layout.SAMPLE_STUDY
MANIFEST = layout.MANIFEST_JSON
BASELINE = "baseline"
# The files a stage must have written to be recorded as done (besides any others).
REQUIRED_OUTPUTS = {
    layout.CHECK: (layout.QUALITY_JSON,),
    layout.MINE: (layout.FINDINGS_JSON, layout.MAPS_HTML),
    layout.CUSTOMERS: (layout.SLA_CSV, layout.RETENTION_MODEL_JSON),
    layout.FIT: (layout.MODEL_JSON,),
    layout.VALIDATE: (layout.VALIDATION_JSON, layout.VALIDATION_CSV),
    layout.SIMULATE: (layout.KPIS_PARQUET, layout.KPIS_CSV, layout.RUN_JSON),
    layout.COMPARE: (layout.COMPARISON_JSON, layout.COMPARISON_CSV),
    layout.REPORT: (layout.REPORT_HTML,),
    layout.FORECAST: (layout.DAILY_CSV, layout.OPEN_ORDERS_CSV, layout.FORECAST_HTML),
}
FORECAST_LAST = "last"  # `--forecast` alone: from the log's last event


@dataclass(frozen=True)
class StudyOptions(RunSettings):
    """The run settings of a study (20 replications by default, at least 2) and the stages
    to redo anyway. `jobs` and `scheduler` change speed, never results."""

    replications: int | None = STUDY_REPLICATIONS
    force: tuple[str, ...] = ()  # stage names (a prefix such as "simulate" counts), or "all"
    # The demand headroom of every scenario, searched in its simulate stage on a small
    # budget (comparison.headroom): replications per factor (0: no search), each run's
    # horizon, the step between demand factors 1.0..2.0.
    headroom_replications: int = 6
    headroom_horizon: str = "120d"
    headroom_step: float = 0.25
    forecast: str | None = None  # the optional forecast stage: its as-of ("last": log's end)

    def __post_init__(self) -> None:
        if self.replications is None:
            raise StudyError("l2csim study needs a number of replications (not auto).")
        super().__post_init__()
        self.require_replications(2, "the study's comparison")
        self.headroom()  # checked now, not after the first stages

    def headroom(self) -> HeadroomSettings | None:
        """The study's headroom search, or None when turned off (0 replications)."""
        if self.headroom_replications == 0:
            return None
        from l2csim.comparison.headroom import HeadroomSettings

        return HeadroomSettings(
            replications=self.headroom_replications,
            horizon=self.headroom_horizon,
            step=self.headroom_step,
        )

    def forces(self, stage: str) -> bool:
        return any(f == "all" or stage == f or stage.startswith(f"{f}/") for f in self.force)


class Progress(Protocol):
    """What a progress display is told: a stage starts (with its number of steps when it
    has countable ones, e.g. replications), takes a step, ends (reused or done)."""

    def started(self, stage: str, steps: int | None) -> None: ...

    def step(self) -> None: ...

    def finished(self, stage: str, reused: bool, seconds: float) -> None: ...


@dataclass(frozen=True)
class Stage:
    """One step of the study: the files (or folders) and settings that decide its result,
    and the work, which writes into the folder it is given and may report steps."""

    name: str
    inputs: tuple[Path, ...]
    settings: dict[str, Any]
    work: Callable[[Path, Callable[[], None]], None]
    steps: int | None = None
    # Runs in a process of its own beside the stages after it, and is recorded when it
    # ends (at the latest before a stage that reads its folder): for a stage whose outputs
    # only later stages read, so it fills a core the stages after it leave idle.
    background: bool = False


@dataclass(frozen=True)
class StageOutcome:
    """A stage of one run: reused or done, the seconds it took now, and the seconds it took
    when it last ran (the same unless reused)."""

    name: str
    reused: bool
    seconds: float
    folder: Path
    ran_seconds: float = 0.0


@dataclass
class StudyRun:
    """What a run did, stage by stage, and where the report is."""

    out: Path
    outcomes: list[StageOutcome] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def report(self) -> Path:
        return self.out / layout.REPORT / layout.REPORT_HTML

    @property
    def seconds(self) -> float:
        return sum(o.seconds for o in self.outcomes)


def demo_wanted() -> bool:
    """No study in ./scenarios: `l2csim study` without a target runs the bundled demo."""
    return not DEFAULT_STUDY_FILE.is_file()


def default_study() -> Path:
    """The study in ./scenarios; without one, the bundled sample generated once (seed 42)."""
    if DEFAULT_STUDY_FILE.is_file():
        return DEFAULT_STUDY_FILE
    study_file = SAMPLE_STUDY / DEFAULT_STUDY_FILE
    if not study_file.is_file():
        from l2csim.sample import write_sample

        write_sample(SAMPLE_STUDY, seed=42)
    return study_file


def run_study(
    target: str | Path | None = None,
    out: Path | None = None,
    options: StudyOptions | None = None,
    progress: Progress | None = None,
) -> StudyRun:
    """Run every stage of the study in order, reusing those whose inputs are unchanged.

    `out` defaults to the study's outputs/study/ (outputs/study/ for the bundled demo).
    Each stage's time (0 when reused) is recorded in the manifest under `last_run`.
    """
    options = _study_options(options)
    demo = target is None and demo_wanted()
    inputs = resolve_inputs(target if target is not None else default_study())
    if inputs.study is None:
        raise StudyError(
            f"{inputs.source.path}: `l2csim study` needs a study file (study.yaml with the "
            "log mapping and roles) or a folder holding one, not a bare log."
        )
    if out is None:
        out = STUDY_OUT if demo else layout.default_out(layout.STUDY, inputs.study.source)
    started = time.perf_counter()
    run = StudyRun(out=out)
    with out_folder_lock(out), _sigterm_as_interrupt(), contextlib.ExitStack() as pool:
        clean_stale(out)  # staging folders of a killed run; nobody else is writing here
        manifest = _read_manifest(out)
        where = _LazyExecutor(pool, options)
        if scheduler_address(options.scheduler) is not None:
            where()  # a cluster that does not answer fails now, not after the first stages
        stages = plan(inputs, out, options, where)
        outcomes: dict[int, StageOutcome] = {}
        pending: dict[int, _Background] = {}
        try:
            for index, stage in enumerate(stages):
                needed = {str(p) for p in stage.inputs}
                _collect(pending, outcomes, out, manifest, progress, needed)
                if stage.background:
                    launched = _launch(stage, out, manifest, options)
                    if isinstance(launched, _Background):
                        pending[index] = launched
                        continue
                    outcome = launched
                else:
                    if progress:
                        progress.started(stage.name, stage.steps)
                    outcome = _execute(stage, out, manifest, options, progress)
                outcomes[index] = outcome
                if progress:
                    progress.finished(stage.name, outcome.reused, outcome.seconds)
            _collect(pending, outcomes, out, manifest, progress, None)
        finally:
            # Interrupted, or a stage failed: what finished is kept (as a stage run in turn
            # would be), the rest stops at once.
            with contextlib.suppress(Exception):
                _collect(pending, outcomes, out, manifest, None, set())
            for job in pending.values():
                job.stop()
        run.outcomes = [outcomes[i] for i in sorted(outcomes)]  # in the plan's order
        run.wall_seconds = time.perf_counter() - started
        manifest["last_run"] = {
            "options": _settings(options),
            "wall_seconds": round(run.wall_seconds, 2),
            "stages": [
                {"stage": o.name, "reused": o.reused, "seconds": round(o.seconds, 2)}
                for o in run.outcomes
            ],
        }
        write_json(out / MANIFEST, manifest)
    return run


def _study_options(options: RunSettings | None) -> StudyOptions:
    """StudyOptions from any RunSettings (the study's own defaults when None)."""
    if options is None:
        return StudyOptions()
    if isinstance(options, StudyOptions):
        return options
    return StudyOptions(**{k: getattr(options, k) for k in _RUN_FIELDS})


_RUN_FIELDS = (
    "replications", "seed", "horizon", "warmup", "precision", "max_replications", "jobs",
    "scheduler", "fit_uncertainty",
)  # fmt: skip


class _LazyExecutor:
    """One pool (or Dask client) for every simulation of the run, opened on first use, so a
    run that reuses every simulation starts no workers at all."""

    def __init__(self, stack: contextlib.ExitStack, options: StudyOptions) -> None:
        self._stack, self._options, self._executor = stack, options, None
        self._opened = False

    def __call__(self) -> Executor | None:
        if not self._opened:
            from l2csim.executors import backend

            opened = backend(self._options.jobs, self._options.scheduler)
            self._executor = self._stack.enter_context(opened).executor
            self._opened = True
        return self._executor


def _settings(options: StudyOptions) -> dict[str, Any]:
    return options.key()


def _headroom_key(options: StudyOptions) -> dict[str, Any] | None:
    found = options.headroom()
    return found.key() if found is not None else None


def plan(
    inputs: Inputs,
    out: Path,
    options: StudyOptions,
    executor: Callable[[], Executor | None] | None = None,
) -> list[Stage]:
    """The stages in order, each with the inputs that decide whether it must run again."""
    study = inputs.study
    assert study is not None
    executor = executor or (lambda: None)
    log_once = cache(lambda: read_inputs_log(inputs))
    base = (study.source, study.log_path, *_study_files(study))
    scenarios = scenario_files(study)
    model = out / layout.FIT / layout.MODEL_JSON
    draws = draws_path(model)  # the fit's parameter draws (l2csim.draws)
    customers = out / layout.CUSTOMERS
    validation = out / layout.VALIDATE / layout.VALIDATION_JSON
    # Stages beside others only when more than one core may be used (--jobs 1: one core).
    beside = _can_fork() and _cores(options.jobs) > 1
    stages = [
        Stage("check", base, {}, lambda folder, _: _check(log_once(), folder)),
        # The log read by check (in this process) is the one mine's process starts with.
        Stage(
            "mine",
            base,
            {},
            lambda folder, _: _mine(log_once(), study, folder),
            background=beside,
        ),
        Stage("customers", base, {}, lambda folder, _: _customers(inputs, folder)),
        Stage(
            "fit",
            (*base, customers / layout.CUSTOMERS_CSV, customers / layout.RETENTION_MODEL_JSON),
            {},
            lambda folder, _: _fit(inputs, customers, folder, _cores(options.jobs)),
        ),
        Stage(
            "validate",
            (*base, model),
            {},
            lambda folder, _: _validate(inputs, model, folder, options),
            steps=study.validation.replications,
            background=beside,  # beside the simulations; compare reads it
        ),
    ]
    simulated = []
    for name, path in scenarios.items():
        stages.append(
            Stage(
                f"simulate/{name}",
                (*_extends_chain(path), model, draws),
                {**_settings(options), "headroom": _headroom_key(options)},
                _simulation(path, model, options, executor),
                steps=options.replications,
            )
        )
        simulated.append(out / layout.SIMULATE / name)
    stages.append(
        Stage(
            "compare",
            (study.source, validation, *simulated),
            {},
            lambda folder, _: _compare(simulated, study.source, validation, folder),
        )
    )
    upstream = [out / s.name for s in stages]
    stages.append(
        Stage(
            "report",
            (study.source, *_study_files(study), *upstream),
            {},
            lambda folder, _: _report(out, study.source, folder),
        )
    )
    if options.forecast is not None:
        stages.append(_forecast_stage(inputs, options, scenarios[BASELINE], executor))
    return stages


def _forecast_stage(
    inputs: Inputs, options: StudyOptions, baseline: Path, executor: Callable
) -> Stage:
    """The optional stage: the next 28 days from the open orders at the given as-of."""
    study = inputs.study
    assert study is not None
    as_of = None if options.forecast == FORECAST_LAST else options.forecast
    settings = {"as_of": as_of, "replications": options.replications, "seed": options.seed}

    def work(folder: Path, step: Callable[[], None]) -> None:
        from l2csim.forecast import ForecastSettings
        from l2csim.forecast import run as run_forecast

        run_forecast(
            inputs,
            folder,
            ForecastSettings(jobs=options.jobs, scheduler=options.scheduler, **settings),
            executor=executor(),
            on_done=lambda _result: step(),
        )

    files = (study.source, study.log_path, *_study_files(study), *_extends_chain(baseline))
    return Stage(layout.FORECAST, files, settings, work)


def scenario_files(study: Study) -> dict[str, Path]:
    """The scenarios to compare: every YAML beside the study file but itself, baseline first."""
    folder = study.folder
    found = {
        p.stem: p
        for p in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
        if study.source is None or p.resolve() != study.source.resolve()
    }
    if BASELINE not in found:
        raise StudyError(
            f"{folder}: no baseline.yaml beside the study file; write one that names the fitted "
            "model (model: ../outputs/fit/model.json) and today's policy."
        )
    if len(found) < 2:
        raise StudyError(
            f"{folder}: only baseline.yaml beside the study file; write at least one scenario "
            "to compare with it (a YAML with `extends: baseline.yaml` and the policy to change)."
        )
    return {BASELINE: found.pop(BASELINE), **found}


def _study_files(study: Study) -> tuple[Path, ...]:
    """Files the study file points at besides the log (reference model, CRM tiers, merges,
    leave plan)."""
    files: list[Path] = []
    if study.reference_process_path is not None:
        files.append(study.reference_process_path)
    spec = study.customers
    for path in (spec.crm_tiers.path if spec.crm_tiers else None, spec.merges,
                 study.calendar.leave):  # fmt: skip
        if path is not None:
            files.append(path if path.is_absolute() else (study.folder / path).resolve())
    return tuple(files)


def _extends_chain(path: Path) -> tuple[Path, ...]:
    """A scenario file and the files it extends, so editing a parent reruns its children."""
    chain: list[Path] = []
    current: Path | None = path.resolve()
    while current is not None and current.is_file() and current not in chain:
        chain.append(current)
        try:
            data = read_yaml_mapping(current)
        except L2csimError:
            break  # load_scenario reports the problem when the stage runs
        parent = data.get("extends") if isinstance(data, dict) else None
        current = (current.parent / parent).resolve() if isinstance(parent, str) else None
    return tuple(chain)


# --- the stages' work ----------------------------------------------------------------------


def _check(log: EventLog, folder: Path) -> None:
    from l2csim.check.quality import check_quality, write_quality_json

    write_quality_json(check_quality(log), folder / layout.QUALITY_JSON)


def _mine(log: EventLog, study: Study, folder: Path) -> None:
    from l2csim.mine.run import run

    run(log, study, folder)


def _customers(inputs: Inputs, folder: Path) -> None:
    from l2csim.customers.run import run

    run(inputs, folder)


def _fit(inputs: Inputs, customers: Path, folder: Path, jobs: int = 1) -> None:
    from l2csim.draws import DEFAULT_DRAWS
    from l2csim.fit import FitOptions, calibration_settings, run

    options = FitOptions(
        tier_table=customers / layout.CUSTOMERS_CSV,
        retention_model=customers / layout.RETENTION_MODEL_JSON,
        calibration=calibration_settings(inputs.study, jobs=jobs),
    )
    run(inputs, folder / layout.MODEL_JSON, options, draws=DEFAULT_DRAWS)


def _cores(jobs: int) -> int:
    return jobs if jobs > 0 else os.cpu_count() or 1


def _validate(inputs: Inputs, model: Path, folder: Path, options: StudyOptions) -> None:
    from l2csim.validation import validate

    # on this machine (as mine and fit), with the run's --jobs
    validate(inputs, folder, model=model, settings=RunSettings(jobs=options.jobs))


def _simulation(
    scenario_file: Path,
    model: Path,
    options: StudyOptions,
    executor: Callable[[], Executor | None],
) -> Callable[[Path, Callable[[], None]], None]:
    def work(folder: Path, step: Callable[[], None]) -> None:
        from l2csim.comparison.headroom import scenario_search, write_headroom
        from l2csim.scenario import load_scenario
        from l2csim.sim.run import simulate

        scenario = load_scenario(scenario_file).model_copy(update={"model_path": model})
        pool = executor()
        settings = options if pool is not None else options.but(jobs=1)
        wanted = options.headroom()  # beside the KPIs, with the same seed and parameter draws
        searches: list = []

        def done(_result) -> None:
            step()
            if wanted is not None and not searches:  # queued behind the replications
                searches.append(scenario_search(scenario, settings, wanted, executor=pool))

        simulate(scenario, folder, settings, executor=pool, on_done=done)
        if wanted is not None:
            search = searches[0] if searches else None
            search = search or scenario_search(scenario, settings, wanted, executor=pool)
            write_headroom(search.result(), folder)

    return work


def _compare(simulated: list[Path], study: Path, validation: Path, folder: Path) -> None:
    from l2csim.comparison import compare

    compare(
        simulated[0],
        list(simulated[1:]),
        folder,
        RunSettings(jobs=1),
        study=study,
        validation=validation,
    )


def _report(out: Path, study: Path, folder: Path) -> None:
    from l2csim.report import build_report

    build_report(out, folder / layout.REPORT_HTML, study=study)


# --- reuse, atomic stage folders, interrupts -------------------------------------------------


def _execute(
    stage: Stage,
    out: Path,
    manifest: dict[str, Any],
    options: StudyOptions,
    progress: Progress | None,
) -> StageOutcome:
    reused, key, inputs = _reuse(stage, out, manifest, options)
    if reused is not None:
        return reused
    started = time.perf_counter()
    partial, tag = _partial(out / stage.name)
    try:
        stage.work(partial, progress.step if progress else lambda: None)
        return _record(stage, out, manifest, key, inputs, partial, tag, started)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _reuse(
    stage: Stage, out: Path, manifest: dict[str, Any], options: StudyOptions
) -> tuple[StageOutcome | None, str, dict[str, str]]:
    """The stage's outcome when its recorded outputs can be reused (else None, and the stage
    is no longer recorded as done), its key and its inputs' hashes."""
    folder = out / stage.name
    inputs = {str(p): input_hash(p) for p in stage.inputs}
    # The key holds contents, not places: a study folder moved or copied elsewhere is reused.
    hashes = [inputs[str(p)] for p in stage.inputs]
    key = _digest({"l2csim": __version__, "inputs": hashes, "settings": stage.settings})
    entry = manifest["stages"].get(stage.name)
    if (
        not options.forces(stage.name)
        and entry is not None
        and entry.get("key") == key
        and _outputs_intact(folder, entry.get("outputs", {}))
    ):
        entry["inputs"] = inputs  # where the inputs are now (the same contents)
        seconds = float(entry.get("seconds", 0.0))
        return StageOutcome(stage.name, True, 0.0, folder, seconds), key, inputs
    manifest["stages"].pop(stage.name, None)  # not done until its new outputs are checked
    return None, key, inputs


def _partial(folder: Path) -> tuple[Path, str]:
    """A staging folder unique to this run, beside where the stage's outputs go."""
    tag = f"{os.getpid()}-{secrets.token_hex(3)}"
    partial = folder.with_name(f".{folder.name}.{tag}.partial")
    partial.mkdir(parents=True)
    return partial, tag


def _record(
    stage: Stage,
    out: Path,
    manifest: dict[str, Any],
    key: str,
    inputs: dict[str, str],
    partial: Path,
    tag: str,
    started: float,
    seconds: float | None = None,
) -> StageOutcome:
    """Put a finished stage's outputs in place and record it as done in the manifest."""
    folder = out / stage.name
    written = _complete_outputs(stage.name, partial)
    swap_folder(partial, folder, tag)
    if folder_hashes(folder) != written:
        raise StudyError(
            f"{folder}: the {stage.name} stage's outputs changed while they were put in place "
            "(another program writing there?); run the study again."
        )
    if seconds is None:
        seconds = time.perf_counter() - started
    manifest["stages"][stage.name] = {
        "key": key,
        "inputs": inputs,
        "settings": stage.settings,
        "outputs": written,
        "seconds": round(seconds, 2),
    }
    write_json(out / MANIFEST, manifest)
    return StageOutcome(stage.name, False, seconds, folder, seconds)


# --- stages in the background ---------------------------------------------------------------


def _can_fork() -> bool:
    """A background stage's process starts as a copy of this one (the log already read):
    where processes cannot be forked, background stages run in turn like the others."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


class _Background:
    """A stage's work under way in a forked process, writing into its staging folder."""

    def __init__(self, stage: Stage, out: Path, key: str, inputs: dict[str, str]) -> None:
        import multiprocessing

        self.stage, self.key, self.inputs = stage, key, inputs
        self.partial, self.tag = _partial(out / stage.name)
        self.began = time.perf_counter()
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_background_work, args=(stage.work, self.partial, send)
        )  # not a daemon: its work may start processes of its own (validate's pool)
        self.process.start()
        send.close()

    def done(self) -> bool:
        return self.receive.poll()

    def result(self) -> float:
        """The seconds the work took (waiting for it to end); its error raised here."""
        try:
            kind, value = self.receive.recv()
        except EOFError:
            kind, value = (
                "error",
                StudyError(
                    f"the {self.stage.name} stage's process ended without finishing (exit code "
                    f"{self.process.exitcode}); run the study again, with --debug for details."
                ),
            )
        self.process.join()
        if kind == "error":
            raise value
        return float(value)

    def stop(self) -> None:
        """End the work now and leave nothing of it behind."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.receive.close()
        shutil.rmtree(self.partial, ignore_errors=True)


def _background_work(
    work: Callable[[Path, Callable[[], None]], None], folder: Path, send: Any
) -> None:
    """In the forked process: the stage's work, then its seconds or its error to the parent."""
    import pickle

    from l2csim.executors import die_with_parent

    die_with_parent()  # and SIGTERM ends it, not the parent's "stop cleanly" handler
    began = time.perf_counter()
    try:
        work(folder, lambda: None)
    except BaseException as error:  # every failure goes to the parent
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:  # an error that cannot travel goes as text
            error = StudyError(f"{type(error).__name__}: {error}")
        send.send(("error", error))
        return
    send.send(("done", time.perf_counter() - began))


def _launch(
    stage: Stage, out: Path, manifest: dict[str, Any], options: StudyOptions
) -> StageOutcome | _Background:
    reused, key, inputs = _reuse(stage, out, manifest, options)
    return reused if reused is not None else _Background(stage, out, key, inputs)


def _collect(
    pending: dict[int, _Background],
    outcomes: dict[int, StageOutcome],
    out: Path,
    manifest: dict[str, Any],
    progress: Progress | None,
    needed: set[str] | None,
) -> None:
    """Record the background stages that have finished, waiting for those whose folders are
    `needed` (all of them when None)."""
    for index in sorted(pending):
        job = pending[index]
        folder = str(out / job.stage.name)
        reads = needed is None or any(
            n == folder or n.startswith(folder + os.sep) for n in needed
        )  # the folder, or a file in it
        if not reads and not job.done():
            continue
        seconds = job.result()
        del pending[index]
        try:
            outcome = _record(
                job.stage, out, manifest, job.key, job.inputs, job.partial, job.tag,
                job.began, seconds,
            )  # fmt: skip
        finally:
            shutil.rmtree(job.partial, ignore_errors=True)
        outcomes[index] = outcome
        if progress:
            progress.finished(job.stage.name, False, outcome.seconds)


def _complete_outputs(stage: str, folder: Path) -> dict[str, str]:
    """The hashes of a stage's outputs, after checking it wrote the files it must."""
    required = REQUIRED_OUTPUTS.get(stage.split("/")[0], ())
    missing = [name for name in required if not (folder / name).is_file()]
    if missing:
        raise StudyError(
            f"the {stage} stage finished without writing {', '.join(missing)}; it is not "
            "recorded as done (run the study again; with --debug for details)."
        )
    return folder_hashes(folder)


def stale_inputs(out: Path) -> list[str]:
    """Input files (study, scenarios, log, ...) edited since the stage that read them ran:
    the outputs, and a report built from them, no longer show the study as it is now."""
    manifest = _read_manifest(Path(out))
    stale: dict[str, list[str]] = {}
    root = Path(out).resolve()
    for stage, entry in manifest["stages"].items():
        for name, recorded in (entry.get("inputs") or {}).items():
            path = Path(name)
            if path.is_dir() or root in path.resolve().parents:
                continue  # an upstream stage's outputs: checked through that stage
            if file_hash(path) != recorded:
                stale.setdefault(str(path), []).append(stage)
    return [
        f"{path} changed after {', '.join(stages)} ran; run l2csim study again"
        for path, stages in sorted(stale.items())
    ]


def _read_manifest(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("stages"), dict):
                return data
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass  # an unreadable manifest only costs a full rerun
    return {"stages": {}}


def _outputs_intact(folder: Path, recorded: dict[str, str]) -> bool:
    return bool(recorded) and folder_hashes(folder) == recorded


def input_hash(path: Path) -> str:
    """sha256 of a file, or of a folder's relative paths and file hashes (an upstream
    stage's outputs); 'missing' for neither."""
    if path.is_dir():
        return sha256_json(folder_hashes(path))
    return file_hash(path)


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes ('missing' for a file that is not there)."""
    return sha256_file(path) if path.is_file() else "missing"


_digest = sha256_json


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a run the way Ctrl-C does, so the same clean-up applies."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
