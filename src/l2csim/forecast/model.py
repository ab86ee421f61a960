"""The model a forecast runs: fitted from the log up to as-of only, then set to today.

`fit_until` cuts the log at as-of and fits it with `l2csim.fit.fit_model` (calibration only
when asked: it is slow, and the forecast's backtest says how good the plain fit is).
`as_of_today` holds each intake stream at its level at as-of (a clear trend over the
fitted period moves it from the period's average to its end; then it stays flat over the
horizon rather than being extrapolated); who is away and who has gone is the start
state's (`state.staff_at_work`).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from l2csim.fit import FitOptions, calibration_settings, fit_model
from l2csim.log import EventLog
from l2csim.params import ModelParams
from l2csim.study import Study

TREND_LIMITS = (0.2, 3.0)  # the same bounds as a replay's trend (sim.model._trend_factor)


def fit_options(
    study: Study | None, calibrate: bool = False, jobs: int = 1, required: bool = True
) -> FitOptions:
    """The study's CRM tiers (as `l2csim validate` fits), calibrated only when asked.
    `required=False`: a log too short to calibrate is fitted uncalibrated (a backtest's
    early cuts), and the fit's notes say so."""
    crm = study.customers.crm_tiers if study is not None else None
    calibration = calibration_settings(study, enabled=True, jobs=jobs) if calibrate else None
    if calibration is not None and not required:
        calibration = replace(calibration, required=False)
    return FitOptions(
        tier_table=study.resolve(crm.path) if study is not None and crm is not None else None,
        tier_id_column=crm.id_column if crm is not None else None,
        tier_column=crm.tier_column if crm is not None else None,
        calibration=calibration,
    )


def fit_until(cut: EventLog, study: Study | None, options: FitOptions) -> ModelParams:
    """The model fitted from the log as it was known at as-of."""
    return fit_model(cut, study, options)


def as_of_today(params: ModelParams) -> ModelParams:
    """Intake at its level at the end of the fitted period, flat (no trend) from there."""
    fitted = params.created_from
    if fitted is None:
        return params
    span = pd.Timestamp(fitted.period_end) - pd.Timestamp(fitted.period_start)
    half_weeks = span / pd.Timedelta(weeks=1) / 2
    low, high = TREND_LIMITS
    arrivals = []
    for a in params.arrivals:
        factor = min(high, max(low, 1.0 + a.trend_per_week * half_weeks))
        arrivals.append(
            a.model_copy(
                update={"orders_per_week": a.orders_per_week * factor, "trend_per_week": 0.0}
            )
        )
    return params.model_copy(update={"arrivals": arrivals})
