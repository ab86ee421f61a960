"""The forecast tests' small study (tests/forecast_study.py), written once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast_study import write_small_study


@pytest.fixture(scope="session")
def small_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_study(tmp_path_factory.mktemp("forecast-study"))
