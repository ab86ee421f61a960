"""The bundled sample fitted once for the fit tests that read it (several modules do)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from l2csim.fit import FitOptions, fit_model
from l2csim.inputs import Inputs, read_inputs_log, resolve_inputs
from l2csim.log import EventLog
from l2csim.params import ModelParams

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SampleFit:
    inputs: Inputs
    log: EventLog
    params: ModelParams


@pytest.fixture(scope="session")
def sample_fit() -> SampleFit:
    """The sample study's log fitted with its CRM tiers, uncalibrated."""
    inputs = resolve_inputs(REPO / "scenarios" / "study.yaml")
    log = read_inputs_log(inputs)
    tiers = REPO / "event_logs" / "sample_crm_tiers.csv"
    return SampleFit(inputs, log, fit_model(log, inputs.study, FitOptions(tier_table=tiers)))
