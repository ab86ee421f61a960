"""A naive log to read the distances against: what a model that knows only totals produces.

Same number of cases and case lengths as the real log, arrivals spread uniformly over its
intake period, each event's activity drawn from the real activity frequencies alone, and
the gaps between a case's events drawn from all real gaps (shuffled durations). A fitted
model earns trust by being much closer to the real log than this.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from l2csim.log import ACTIVITY, CASE, TIMESTAMP


def naive_log(real: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    events = real.sort_values([CASE, TIMESTAMP], kind="stable")
    lengths = events.groupby(CASE, sort=True).size().to_numpy()
    gaps = events.groupby(CASE, sort=False)[TIMESTAMP].diff().dropna()
    gap_hours = (gaps / pd.Timedelta(hours=1)).to_numpy()
    frequencies = events[ACTIVITY].value_counts(sort=False).sort_index()
    first = events.groupby(CASE, sort=True)[TIMESTAMP].min()
    start, last_arrival = first.min(), first.max()

    n_cases, n_events = len(lengths), int(lengths.sum())
    span_hours = (last_arrival - start) / pd.Timedelta(hours=1)
    arrivals = np.sort(rng.uniform(0, span_hours, n_cases))
    case_of_event = np.repeat(np.arange(n_cases), rng.permutation(lengths))
    step = rng.choice(gap_hours, n_events) if len(gap_hours) else np.zeros(n_events)
    starts_case = np.r_[True, case_of_event[1:] != case_of_event[:-1]]
    step[starts_case] = 0.0
    offset = pd.Series(step).groupby(case_of_event).cumsum().to_numpy()
    hours = arrivals[case_of_event] + offset
    activities = rng.choice(
        frequencies.index.to_numpy(), n_events, p=(frequencies / frequencies.sum()).to_numpy()
    )
    return pd.DataFrame(
        {
            CASE: [f"N-{i}" for i in case_of_event],
            ACTIVITY: activities,
            TIMESTAMP: start + pd.to_timedelta(hours, unit="h"),
        }
    )
