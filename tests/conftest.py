"""Shared fixtures: the real public event logs shipped in tests/data, the large ones found
through L2CSIM_SHARED_DATA, and small hand-made logs."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The study output folder the report tests read, built once per session for every module.
pytest_plugins = ["report_study"]

# The public logs the suite needs, shipped compressed with their sources (tests/data/README.md).
TEST_DATA = REPO / "tests" / "data"
# The large public logs (BPI Challenge 2012, road-traffic fines): benchmarks and the few
# tests marked `large` use them from this folder; without it those tests are skipped.
LARGE_DATA_ENV = "L2CSIM_SHARED_DATA"


@pytest.fixture(scope="session")
def shared_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped real public logs (tests/data); tests assert real counts on them.

    Logs are read compressed as they are (every l2csim reader takes .gz); the reference
    models (`*.bpmn.gz`) are unpacked here, since pm4py's BPMN reader takes plain files.
    """
    folder = tmp_path_factory.mktemp("data")
    for path in sorted(TEST_DATA.iterdir()):
        if path.name.endswith(".bpmn.gz"):
            with gzip.open(path, "rb") as packed, (folder / path.stem).open("wb") as plain:
                shutil.copyfileobj(packed, plain)
        elif path.suffix != ".md":
            (folder / path.name).symlink_to(path)
    return folder


@pytest.fixture(scope="session")
def large_data() -> Path:
    """The folder of large public logs (L2CSIM_SHARED_DATA); the test is skipped without it."""
    folder = os.environ.get(LARGE_DATA_ENV)
    if not folder or not Path(folder).is_dir():
        pytest.skip(
            f"large public logs: set {LARGE_DATA_ENV} to the folder holding bpic2012.xes.gz "
            "and road_traffic_fines.xes.gz (see tests/data/README.md)"
        )
    return Path(folder)


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write CSV text to a file in tmp_path and return its path."""

    def write(text: str, name: str = "log.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write
