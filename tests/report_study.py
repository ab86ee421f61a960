"""A real study output folder for the report tests: the shipped sample study run through
every stage in-process, with few replications and a short horizon (about 20 s)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from l2csim.study_run import StudyOptions, run_study

REPO = Path(__file__).resolve().parents[1]
FAST = StudyOptions(replications=3, horizon="60d", warmup="7d", jobs=1)


def _compare_and_validate(root: Path, out: Path) -> None:
    """compare/ and validate/ when the study did not write them and l2csim has them."""
    study = root / "scenarios" / "study.yaml"
    if not (out / "validate" / "validation.json").is_file() and importlib.util.find_spec(
        "l2csim.validation"
    ):
        from l2csim.inputs import resolve_inputs
        from l2csim.validation.run import validate

        validate(resolve_inputs(study), out / "validate", model=out / "fit" / "model.json")
    if not (out / "compare" / "comparison.json").is_file() and importlib.util.find_spec(
        "l2csim.comparison"
    ):
        from l2csim.comparison.run import compare

        folders = sorted(p for p in (out / "simulate").iterdir() if p.name != "baseline")
        compare(
            out / "simulate" / "baseline",
            folders,
            out / "compare",
            study=study,
            validation=out / "validate" / "validation.json",
            jobs=1,
        )


@pytest.fixture(scope="session")
def study_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report-study")
    for folder in ("event_logs", "scenarios"):
        shutil.copytree(REPO / folder, root / folder)
    out = root / "outputs" / "study"
    run_study(root / "scenarios", out, FAST)
    _compare_and_validate(root, out)
    return out


def needs(path: Path, what: str) -> None:
    """Skip a test whose input another issue's stage has not written yet, saying which."""
    if not path.is_file():
        pytest.skip(f"{path.name} not written: {what} is not in this branch yet")
