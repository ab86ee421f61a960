"""Forecast from today: the model started from the log's open orders, run over the next weeks.

`run(inputs, out, settings, scenario_files, backtest=K)` is the `l2csim forecast` command:
the forecast from as-of (`run.forecast`: daily bands, the proactive call list), the backtest
on K past dates of the same log against a warm-up simulation (`backtest.backtest`), and the
page with both (`page.write_page`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

from l2csim import layout
from l2csim.executors import backend
from l2csim.forecast.backtest import BacktestResult, backtest
from l2csim.forecast.page import write_page
from l2csim.forecast.run import (
    ForecastResult,
    ForecastSettings,
    NoOpenOrders,
    forecast,
    parse_as_of,
    prepare,
)
from l2csim.inputs import Inputs

__all__ = [
    "BacktestResult",
    "ForecastResult",
    "ForecastRun",
    "ForecastSettings",
    "NoOpenOrders",
    "backtest",
    "forecast",
    "parse_as_of",
    "prepare",
    "run",
]


@dataclass
class ForecastRun:
    """What `l2csim forecast` did: the forecast (None when only the backtest could run),
    the backtest (None unless asked), notes for the user, and the files written."""

    forecast: ForecastResult | None
    backtest: BacktestResult | None
    notes: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


def run(
    inputs: Inputs,
    out: Path,
    settings: ForecastSettings | None = None,
    scenario_files: Sequence[Path] = (),
    *,
    backtest_cuts: int | None = None,
    executor: Executor | None = None,
    on_done: Callable | None = None,
) -> ForecastRun:
    """The forecast from as-of, the backtest when `backtest_cuts` is given, and the page.

    With a backtest, a log with no open orders at as-of still gets its backtest (the
    forecast is left out, with a note); without one, that is an error.
    """
    settings = settings or ForecastSettings()
    notes: list[str] = []
    result = scored = None
    with contextlib.ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(backend(settings.jobs, settings.scheduler)).executor
        try:
            result = forecast(
                inputs, out, settings, scenario_files, executor=executor, on_done=on_done
            )
        except NoOpenOrders as error:
            if backtest_cuts is None:
                raise
            notes.append(f"{error} Only the backtest was run.")
        if backtest_cuts is not None:
            scored = backtest(inputs, out, settings, backtest_cuts, executor=executor)
    written = list(result.written) if result is not None else []
    if scored is not None:
        written += scored.written
    study = inputs.study
    written.append(write_page(out / layout.FORECAST_HTML, result, study, scored))
    return ForecastRun(result, scored, notes, written)
