"""Forecast from today: the model started from the log's open orders, run over the next weeks.

`forecast(inputs, out, settings)` writes daily bands, the proactive call list and a page;
`backtest(inputs, out, settings, cuts)` scores forecasts made at past dates of the same log
against what happened, beside a warm-up simulation's.
"""

from __future__ import annotations

from l2csim.forecast.run import ForecastResult, ForecastSettings, forecast, parse_as_of, prepare

__all__ = ["ForecastResult", "ForecastSettings", "forecast", "parse_as_of", "prepare"]
