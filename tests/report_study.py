"""A real study output folder for the report tests: the shipped sample study run through
every stage in-process (validate, compare and the report included), with few replications
and a short horizon (about 40 s)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from l2csim.pipeline.run import StudyOptions, run_study

REPO = Path(__file__).resolve().parents[1]
FAST = StudyOptions(
    replications=3, horizon="60d", warmup="7d", jobs=1,
    headroom_replications=3, headroom_horizon="90d", headroom_step=0.5,  # factors 1, 1.5, 2
)  # fmt: skip


@pytest.fixture(scope="session")
def study_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report-study")
    for folder in ("event_logs", "scenarios"):
        shutil.copytree(REPO / folder, root / folder)
    out = root / "outputs" / "study"
    run_study(root / "scenarios", out, FAST)
    return out


def needs(path: Path, what: str) -> None:
    """The study writes every stage's outputs, so a missing one is a failure, not a skip."""
    assert path.is_file(), f"{path} not written: the study's {what} stage did not run"
