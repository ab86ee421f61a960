"""Fitting a simulation model of today's lead-to-cash operation from its event log.

`fit_model(log, study)` returns ModelParams; `run(inputs, out)` reads the log, fits and
writes the model file. See each module for how its part is estimated.
"""

from __future__ import annotations

from pathlib import Path

from l2csim import layout
from l2csim.fit.model import FitOptions, fit_model
from l2csim.inputs import Inputs, read_inputs_log
from l2csim.params import ModelParams, write_params

DEFAULT_OUT = layout.default_model()

__all__ = ["DEFAULT_OUT", "FitOptions", "fit_model", "run"]


def run(
    inputs: Inputs, out: Path = DEFAULT_OUT, options: FitOptions | None = None
) -> tuple[ModelParams, Path]:
    """Read the inputs' log, fit the model and write it; return it and the path written."""
    log = read_inputs_log(inputs)
    params = fit_model(log, inputs.study, options)
    return params, write_params(params, out)
