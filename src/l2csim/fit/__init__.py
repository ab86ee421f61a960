"""Fitting a simulation model of today's lead-to-cash operation from its event log.

`fit_model(log, study)` returns ModelParams; `run(inputs, out)` reads the log, fits and
writes the model file. See each module for how its part is estimated.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from l2csim import layout

if TYPE_CHECKING:
    from l2csim.fit.calibration import CalibrationSettings
    from l2csim.fit.model import FitOptions, fit_model
    from l2csim.inputs import Inputs
    from l2csim.params import ModelParams
    from l2csim.study import Study

DEFAULT_OUT = layout.default_model()

# Imported on first use: the fit pulls in scipy.stats and optuna, and stages that only read
# a submodule (validation's `fit.period`, `fit.cases`) should not wait for them.
_LAZY = {
    "CalibrationSettings": "l2csim.fit.calibration",
    "FitOptions": "l2csim.fit.model",
    "fit_model": "l2csim.fit.model",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_OUT",
    "CalibrationSettings",
    "FitOptions",
    "calibration_settings",
    "fit_model",
    "run",
]


def calibration_settings(
    study: Study | None, enabled: bool | None = None, trials: int | None = None, jobs: int = 1
) -> CalibrationSettings | None:
    """The calibration a fit runs: the study's `calibration:` section (on by default), with
    flags overriding it; a bare log is calibrated only when asked."""
    from l2csim.fit.calibration import CalibrationSettings

    spec = study.calibration if study is not None else None
    on = enabled if enabled is not None else (spec.enabled if spec is not None else False)
    if not on:
        return None
    # Asked for: the flag, or a calibration: section written in the study file.
    asked = enabled is not None or (study is not None and "calibration" in study.model_fields_set)
    settings = CalibrationSettings(
        trials=trials if trials is not None else (spec.trials if spec else 12),
        holdout=spec.holdout if spec else 0.2,
        seed=spec.seed if spec else 0,
        jobs=max(1, jobs),
        required=asked,
    )
    settings.check()
    return settings


def run(
    inputs: Inputs,
    out: Path = DEFAULT_OUT,
    options: FitOptions | None = None,
    *,
    draws: int = 0,
    draws_seed: int = 0,
) -> tuple[ModelParams, Path]:
    """Read the inputs' log, fit the model and write it; return it and the path written.

    With `draws` > 0 also write that many parameter sets beside it (model_draws.json, the
    fit's uncertainty: `fit.uncertainty`); with 0 an earlier fit's draws are removed."""
    from l2csim.fit.model import fit_model
    from l2csim.fit.uncertainty import write_model_draws
    from l2csim.inputs import read_inputs_log
    from l2csim.params import write_params

    log = read_inputs_log(inputs)
    params = fit_model(log, inputs.study, options)
    path = write_params(params, out)
    write_model_draws(
        log, inputs.study, params, path, count=draws, seed=draws_seed, options=options
    )
    return params, path
