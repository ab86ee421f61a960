"""Shared fixtures: the real public event logs in ../shared/data and small hand-made logs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The study output folder the report tests read, built once per session for every module.
pytest_plugins = ["report_study"]

SHARED_DATA = Path(os.environ.get("L2CSIM_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public logs (see its README); tests assert real counts on them."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real test logs not found at {SHARED_DATA}; set L2CSIM_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write CSV text to a file in tmp_path and return its path."""

    def write(text: str, name: str = "log.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write
