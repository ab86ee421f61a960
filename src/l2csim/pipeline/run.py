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
import hashlib
import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import yaml

from l2csim import __version__, layout
from l2csim.errors import StudyError
from l2csim.executors import scheduler_address
from l2csim.inputs import Inputs, read_inputs_log, resolve_inputs
from l2csim.log import EventLog
from l2csim.output import write_json
from l2csim.study import DEFAULT_STUDY_FILE, Study

STUDY_OUT = Path("outputs") / "study"
SAMPLE_STUDY = Path("outputs") / "sample-study"
MANIFEST = "manifest.json"
BASELINE = "baseline"


@dataclass(frozen=True)
class StudyOptions:
    """Settings of a study run. `jobs` and `scheduler` change speed, never results."""

    replications: int = 20
    seed: int = 0
    horizon: str = "365d"
    warmup: str = "30d"
    jobs: int = 0
    scheduler: str | None = None
    force: tuple[str, ...] = ()  # stage names (a prefix such as "simulate" counts), or "all"

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
        return self.out / "report" / "report.html"

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
    options = options or StudyOptions()
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
    manifest = _read_manifest(out)
    with _sigterm_as_interrupt(), contextlib.ExitStack() as pool:
        where = _LazyExecutor(pool, options)
        if scheduler_address(options.scheduler) is not None:
            where()  # a cluster that does not answer fails now, not after the first stages
        for stage in plan(inputs, out, options, where):
            if progress:
                progress.started(stage.name, stage.steps)
            outcome = _execute(stage, out, manifest, options, progress)
            run.outcomes.append(outcome)
            if progress:
                progress.finished(stage.name, outcome.reused, outcome.seconds)
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
    return {
        "replications": options.replications,
        "seed": options.seed,
        "horizon": options.horizon,
        "warmup": options.warmup,
    }


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
    model = out / "fit" / "model.json"
    customers = out / "customers"
    validation = out / "validate" / "validation.json"
    stages = [
        Stage("check", base, {}, lambda folder, _: _check(log_once(), folder)),
        Stage("mine", base, {}, lambda folder, _: _mine(log_once(), study, folder)),
        Stage("customers", base, {}, lambda folder, _: _customers(inputs, folder)),
        Stage(
            "fit",
            (*base, customers / "customers.csv", customers / "retention_model.json"),
            {},
            lambda folder, _: _fit(inputs, customers, folder),
        ),
        Stage(
            "validate",
            (*base, model),
            {},
            lambda folder, _: _validate(inputs, model, folder, options),
            steps=study.validation.replications,
        ),
    ]
    simulated = []
    for name, path in scenarios.items():
        stages.append(
            Stage(
                f"simulate/{name}",
                (*_extends_chain(path), model),
                _settings(options),
                _simulation(path, model, options, executor),
                steps=options.replications,
            )
        )
        simulated.append(out / "simulate" / name)
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
    return stages


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
    """Files the study file points at besides the log (reference model, CRM tiers, merges)."""
    files: list[Path] = []
    if study.reference_process_path is not None:
        files.append(study.reference_process_path)
    spec = study.customers
    for path in (spec.crm_tiers.path if spec.crm_tiers else None, spec.merges):
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
            data = yaml.safe_load(current.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            break  # load_scenario reports the syntax error when the stage runs
        parent = data.get("extends") if isinstance(data, dict) else None
        current = (current.parent / parent).resolve() if isinstance(parent, str) else None
    return tuple(chain)


# --- the stages' work ----------------------------------------------------------------------


def _check(log: EventLog, folder: Path) -> None:
    from l2csim.check.quality import check_quality, write_quality_json

    write_quality_json(check_quality(log), folder / "quality.json")


def _mine(log: EventLog, study: Study, folder: Path) -> None:
    from l2csim.mine.run import run

    run(log, study, folder)


def _customers(inputs: Inputs, folder: Path) -> None:
    from l2csim.customers.run import run

    run(inputs, folder)


def _fit(inputs: Inputs, customers: Path, folder: Path) -> None:
    from l2csim.fit import FitOptions, run

    options = FitOptions(
        tier_table=customers / "customers.csv",
        retention_model=customers / "retention_model.json",
    )
    run(inputs, folder / "model.json", options)


def _validate(inputs: Inputs, model: Path, folder: Path, options: StudyOptions) -> None:
    from l2csim.validation import validate

    jobs = options.jobs if options.jobs > 0 else os.cpu_count() or 1
    validate(inputs, folder, model=model, jobs=jobs)


def _simulation(
    scenario_file: Path,
    model: Path,
    options: StudyOptions,
    executor: Callable[[], Executor | None],
) -> Callable[[Path, Callable[[], None]], None]:
    def work(folder: Path, step: Callable[[], None]) -> None:
        from l2csim.scenario import load_scenario
        from l2csim.sim.run import simulate

        scenario = load_scenario(scenario_file).model_copy(update={"model_path": model})
        simulate(
            scenario,
            folder,
            replications=options.replications,
            seed=options.seed,
            horizon=options.horizon,
            warmup=options.warmup,
            executor=executor(),
            jobs=1,
            on_done=lambda _result: step(),
        )

    return work


def _compare(simulated: list[Path], study: Path, validation: Path, folder: Path) -> None:
    from l2csim.comparison import compare

    compare(simulated[0], list(simulated[1:]), folder, study=study, validation=validation, jobs=1)


def _report(out: Path, study: Path, folder: Path) -> None:
    from l2csim.report import build_report

    build_report(out, folder / "report.html", study=study)


# --- reuse, atomic stage folders, interrupts -------------------------------------------------


def _execute(
    stage: Stage,
    out: Path,
    manifest: dict[str, Any],
    options: StudyOptions,
    progress: Progress | None,
) -> StageOutcome:
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
        return StageOutcome(stage.name, True, 0.0, folder, float(entry.get("seconds", 0.0)))
    started = time.perf_counter()
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        stage.work(partial, progress.step if progress else lambda: None)
        _replace_folder(partial, folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    seconds = time.perf_counter() - started
    manifest["stages"][stage.name] = {
        "key": key,
        "inputs": inputs,
        "settings": stage.settings,
        "outputs": _hashes(folder),
        "seconds": round(seconds, 2),
    }
    write_json(out / MANIFEST, manifest)
    return StageOutcome(stage.name, False, seconds, folder, seconds)


def _replace_folder(new: Path, target: Path) -> None:
    """Put `new` where `target` is; the old folder goes only once the new one is in place."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


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
    return bool(recorded) and _hashes(folder) == recorded


def _hashes(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): file_hash(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def input_hash(path: Path) -> str:
    """sha256 of a file, or of a folder's relative paths and file hashes (an upstream
    stage's outputs); 'missing' for neither."""
    if path.is_dir():
        return _digest(_hashes(path))
    return file_hash(path)


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes ('missing' for a file that is not there)."""
    if not path.is_file():
        return "missing"
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


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
