"""Processing time per activity: measured or estimated from the log, then fitted.

Measuring. Work is counted in the performer's working time: the hours of their fitted
shift (`fit.staff`) on the days they were at work, so a job begun before closing and
finished next morning counts the hours worked, not the night. With start timestamps the
processing time is the working time from start to end. With only completion times it is
estimated (the enablement / resource-availability method, as in start-time estimation):
work on an event began no earlier than the case's previous completion (the step was
enabled) and no earlier than the performer's previous completion (they were free), so

    processing = working time from max(case's previous, performer's previous completion)
                 to the completion

on the same day; for activities that often run into a second day (more than
`OVERNIGHT_SHARE` of their events are their performer's first completion of the day) also
from the previous day's last completion, up to `CAP_DAYS` shifts. So is the first completion
of the day of a busy person (their jobs fill at least `BUSY_SHARE` of their shift hours)
whose case was already waiting when they finished the evening before: they began it then,
and the long jobs are the ones that run into the morning, so leaving these out reads a
bottleneck's work short (picking 9 % short on the test bed's warehouse at 88 %); such jobs
are marked `carried`, and `without_carried` leaves them out again for steps found to wait
for something outside the log (the model does so before fitting: an automatic closure two
weeks after a ticket was resolved was not queued for its account overnight). A person's
first completion of the day otherwise says nothing about when they began (they may have
been idle). Where a person worked lightly loaded and idle time is not logged, the estimate is an
upper bound. For steps nothing in the log starts (a call that comes in, an order keyed
from the inbox or taken on the phone: the case's first step) that bound is often mostly
idle time, so their work is separated from it (`separate_idle`: each gap is the work, or
the work after a spell of idle time, fitted by maximum likelihood); calibration
(`fit.calibration`) scales what the log still cannot pin down. Steps that often wait for
something outside the log (stock, a customer's answer: a staff-free delay before at least
a fifth of them, `fit.waiting`) begin when it arrives, so their gaps hold idle time too; the
work is separated likewise where the idle part is clear, and the gaps are kept otherwise
(the bundled sample's picking, waiting for stock in 37 % of orders: 2.4 h read, 1.3 h
separated, 0.75 h true).
Events by systems and outside parties take no staff time (their share of an activity is
`system_share`; the waiting before them is a delay, see `fit.waiting`). An activity with
fewer than `MIN_SAMPLES` estimates gets a low quantile (10 %) of its waiting time as a fixed
duration, and one without even that (always first, no resource) a fixed zero; the
provenance says which.

Fitting. Exponential, lognormal, gamma and Weibull (location 0) are fitted by maximum
likelihood with scipy to the positive times (at most `MAX_FIT_SAMPLES`, taken as evenly
spaced order statistics so the result is deterministic); a candidate is acceptable when its
Kolmogorov-Smirnov statistic is at most `KS_ACCEPT` and its mean is within `MEAN_TOLERANCE`
of the sample mean (the simulated workload must match the log's); the acceptable candidate
with the lowest AIC wins. Otherwise, or when more than 5 % of times are zero, the empirical
distribution is kept as 101 quantiles. All times are hours.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from l2csim.log import ACTIVITY, CASE, RESOURCE, START, TIMESTAMP
from l2csim.params import Distribution, Member, Provenance, WeeklyHours

KS_ACCEPT = 0.1
MEAN_TOLERANCE = 0.1
MAX_FIT_SAMPLES = 5000
MIN_SAMPLES = 10
ZERO_SHARE_EMPIRICAL = 0.05
EMPIRICAL_POINTS = 101
WAITING_QUANTILE = 0.1
CAP_DAYS = 5
OVERNIGHT_SHARE = 0.4
BUSY_SHARE = 0.6  # share of shift hours a person's same-day jobs fill: busy
MIN_IDLE_SAMPLES = 30  # gaps needed to separate the work from idle time
IDLE_FIT_SAMPLES = 400
IDLE_GRID = 40
MIN_WORK_ALONE = 0.2  # below this share of gaps the work alone, the work must be
MIN_WORK_SHARE = 0.5  # at least this share of the gaps' mean to count as separated
# Log-likelihood the idle part must add over the work alone (a likelihood-ratio test with
# its two extra parameters at p = 0.001): a busy team's slightly long tail is not idle.
IDLE_LIKELIHOOD_GAIN = 6.9
LOGGED = "working time from logged start to end"
ESTIMATED = "working time from max(case, performer previous completion)"
HOUR = pd.Timedelta(hours=1)

CANDIDATES = {
    "exponential": stats.expon,
    "lognormal": stats.lognorm,
    "gamma": stats.gamma,
    "weibull": stats.weibull_min,
}


def working_hours(
    begin: pd.Series,
    end: pd.Series,
    member: WeeklyHours,
    timezone: str,
    open_days: np.ndarray | None = None,
    exact_within_day: bool = False,
) -> np.ndarray:
    """Hours of `member`'s shift between begin and end (UTC) on the shift's weekdays, and
    only on `open_days` (sorted local dates as int64 day numbers) when given. With
    `exact_within_day` (logged start times) a span inside one day counts in full."""
    b = begin.dt.tz_convert(timezone).dt.tz_localize(None)
    e = end.dt.tz_convert(timezone).dt.tz_localize(None)
    day_b = b.dt.normalize()
    day_e = e.dt.normalize()
    hb = ((b - day_b) / HOUR).to_numpy(dtype=float)
    he = ((e - day_e) / HOUR).to_numpy(dtype=float)
    nb = (day_b.to_numpy().astype("datetime64[D]")).astype(np.int64)
    ne = (day_e.to_numpy().astype("datetime64[D]")).astype(np.int64)
    s, f = member.start_hour, member.end_hour
    weekdays = np.zeros(7, dtype=bool)
    weekdays[member.weekdays] = True
    # 1970-01-01 was a Thursday (weekday 3).
    works_b = weekdays[(nb + 3) % 7]
    works_e = weekdays[(ne + 3) % 7]
    if open_days is not None:
        works_b &= _member_of(nb, open_days)
        works_e &= _member_of(ne, open_days)
    same = nb == ne
    pause = member.break_start, member.break_end

    def shift_hours(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Working hours of the shift between clock hours a and b of one day (break left out)."""
        a, b = np.clip(a, s, f), np.clip(b, s, f)
        hours = np.clip(b - a, 0, None)
        if pause[0] is not None:
            hours -= np.clip(np.minimum(b, pause[1]) - np.maximum(a, pause[0]), 0, None)
        return hours

    length = float(shift_hours(np.array([s]), np.array([f]))[0])
    first = np.where(works_b, shift_hours(hb, np.full_like(hb, f)), 0.0)
    last = np.where(works_e, shift_hours(np.full_like(he, s), he), 0.0)
    within = np.where(works_b, shift_hours(hb, he), 0.0)
    if exact_within_day:  # logged: the whole span, less the break it crossed
        within = he - hb
        if pause[0] is not None:
            within = within - np.clip(np.minimum(he, pause[1]) - np.maximum(hb, pause[0]), 0, None)
    # Whole working days strictly between.
    if open_days is not None:
        usable = open_days[weekdays[(open_days + 3) % 7]]
        between = np.maximum(
            np.searchsorted(usable, ne, side="left") - np.searchsorted(usable, nb, side="right"),
            0,
        )
    else:
        between = _weekdays_between(nb, ne, weekdays)
    return np.where(same, within, first + between * length + last)


def _weekdays_between(nb: np.ndarray, ne: np.ndarray, weekdays: np.ndarray) -> np.ndarray:
    """Number of days d with nb < d < ne (epoch day numbers) on the given weekdays."""
    # cumulative[j]: weekdays set among positions 0..j-1 of two weeks from Monday.
    cumulative = np.concatenate([[0], np.cumsum(np.tile(weekdays, 2))])

    def upto(n: np.ndarray) -> np.ndarray:
        """Days in [epoch day 0, n) on the weekdays; epoch day 0 is a Thursday (3)."""
        weeks, rest = np.divmod(n, 7)
        return weeks * int(weekdays.sum()) + cumulative[3 + rest] - cumulative[3]

    return np.maximum(upto(ne) - upto(nb + 1), 0)


def _member_of(days: np.ndarray, active_days: np.ndarray) -> np.ndarray:
    if len(active_days) == 0:
        return np.zeros(len(days), dtype=bool)
    i = np.clip(np.searchsorted(active_days, days), 0, len(active_days) - 1)
    return active_days[i] == days


def event_times(
    events: pd.DataFrame,
    members: dict[str, Member],
    systems: dict[str, str],
    timezone: str,
    calls: set[str] = frozenset(),
) -> pd.DataFrame:
    """Per event (events sorted by case and time): when it was enabled (the case's previous
    completion; for a step of the flow, its previous flow step: a call about the order in
    between does not enable it), when its work began (estimated or logged), its processing
    in working hours (NaN when unknown; 0 for systems) and who did it ('person', 'system'
    or '')."""
    times = events[TIMESTAMP]
    same_case = events[CASE].eq(events[CASE].shift())
    enabled = times.shift().where(same_case)
    if calls:
        flow = ~events[ACTIVITY].isin(list(calls))
        flow_enabled = events.loc[flow].groupby(CASE, sort=False)[TIMESTAMP].shift()
        enabled = enabled.where(~flow, flow_enabled.reindex(events.index))
    resource = events[RESOURCE] if RESOURCE in events else pd.Series(None, index=events.index)
    kind = np.where(
        resource.isin(list(systems)), "system", np.where(resource.isin(list(members)), "person", "")
    )
    out = pd.DataFrame(
        {
            "enabled": enabled,
            "began": pd.Series(pd.NaT, index=events.index, dtype=times.dtype),
            "processing": np.nan,
            "kind": kind,
            "carried": False,
        },
        index=events.index,
    )
    logged_start = events.get(START)
    out.loc[out["kind"] == "system", "processing"] = 0.0
    people = events.assign(**{RESOURCE: resource}).loc[
        out["kind"] == "person", [RESOURCE, TIMESTAMP, ACTIVITY]
    ]
    local_day = times.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
    day_number = local_day.to_numpy().astype("datetime64[D]").astype(np.int64)
    day_number = pd.Series(day_number, index=events.index)
    logged = logged_start is not None and logged_start.notna().any()
    spans_days = _long_activities(people, day_number)
    for who, rows in people.groupby(RESOURCE, sort=True):
        rows = rows.sort_values(TIMESTAMP, kind="stable")
        member = members[str(who)]
        days = day_number.loc[rows.index]
        previous_day = days.shift()
        free_at = rows[TIMESTAMP].shift()
        # Where the log records a start, it is the start; where it does not (a whole log of
        # completions, or steps a log of start/complete pairs records only the end of, such
        # as BPI Challenge 2012's O_SENT_BACK), the start is estimated.
        recorded = (
            logged_start.loc[rows.index].notna() if logged else pd.Series(False, index=rows.index)
        )
        estimated = pd.concat([enabled.loc[rows.index], free_at], axis=1).max(axis=1)
        began = logged_start.loc[rows.index].where(recorded, estimated) if logged else estimated
        same_day = previous_day.eq(days)
        # Jobs that run into a second day: the first completion of the day, begun at the
        # previous day's last completion, for activities that often span days.
        # Queued for the person when they became free (calls are not queued work).
        waiting = (enabled.loc[rows.index] <= free_at) & ~rows[ACTIVITY].isin(list(calls))
        overnight = (~same_day) & previous_day.notna() & (rows[ACTIVITY].isin(spans_days) | waiting)
        # A case's first event (keying in an order from the inbox or the phone) has no
        # enablement: like a call, its work began when the person was free, on the same day.
        first_event = enabled.loc[rows.index].isna()
        estimable = free_at.notna() & (
            (~first_event & (same_day | overnight)) | (first_event & same_day)
        )
        usable = recorded | estimable
        known = usable & began.notna() & (began <= rows[TIMESTAMP])
        hours = np.full(len(rows), np.nan)
        if known.any():
            # Only the days the person was at work count (a job left over a holiday
            # waited; it was not worked on).
            begun_days = began[known].dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
            present = np.unique(
                np.concatenate(
                    [
                        days.to_numpy(),
                        begun_days.to_numpy().astype("datetime64[D]").astype(np.int64),
                    ]
                )
            )
            for exact in (True, False):
                part = known & (recorded == exact)
                if not part.any():
                    continue
                worked = working_hours(
                    began[part], rows.loc[part, TIMESTAMP], member, timezone, present, exact
                )
                cap = np.inf if exact else CAP_DAYS * member.daily_hours
                hours[part.to_numpy()] = np.where(worked <= cap, worked, np.nan)
        # A job queued overnight for someone busy was begun when they became free; for
        # someone less busy the night may have begun with idle time, so it is dropped.
        carried = (overnight & ~rows[ACTIVITY].isin(spans_days) & ~recorded).to_numpy()
        if carried.any():
            at_work = len(np.unique(days.to_numpy())) * member.daily_hours
            measured = hours[same_day.to_numpy() & np.isfinite(hours)]
            load = measured.mean() * len(rows) if len(measured) else 0.0
            if at_work <= 0 or load / at_work < BUSY_SHARE:
                hours[carried] = np.nan
            else:
                out.loc[rows.index[carried], "carried"] = True
        out.loc[rows.index, "began"] = began
        out.loc[rows.index, "processing"] = hours
    return out


def without_carried(
    times: pd.DataFrame, events: pd.DataFrame, activities: set[str] | None = None
) -> pd.DataFrame:
    """`times` with the overnight jobs of busy people (`carried`) unknown again: all of them,
    or those of `activities` (steps that often wait for something outside the log begin
    when it arrives, so their first job of the morning was not queued overnight)."""
    drop = times["carried"]
    if activities is not None:
        drop = drop & events[ACTIVITY].isin(list(activities))
    if not drop.any():
        return times
    return times.assign(processing=times["processing"].mask(drop), carried=times["carried"] & ~drop)


def _long_activities(people: pd.DataFrame, day_number: pd.Series) -> set[str]:
    """Activities that often run into a second day: more than `OVERNIGHT_SHARE` of their
    events are their performer's first completion of the day."""
    ordered = people.sort_values([RESOURCE, TIMESTAMP], kind="stable")
    days = day_number.loc[ordered.index]
    first_of_day = ~(ordered[RESOURCE].eq(ordered[RESOURCE].shift()) & days.eq(days.shift()))
    share = first_of_day.groupby(ordered[ACTIVITY]).mean()
    return {str(a) for a, s in share.items() if s > OVERNIGHT_SHARE}


def waiting_hours(events: pd.DataFrame) -> pd.Series:
    """Time since the case's previous completion (waiting plus work), NaN for first events."""
    same_case = events[CASE].eq(events[CASE].shift())
    return ((events[TIMESTAMP] - events[TIMESTAMP].shift()) / HOUR).where(same_case)


def first_steps(events: pd.DataFrame, times: pd.DataFrame) -> pd.DataFrame:
    """Per case (events sorted by case and time): its first step's activity and who did it
    ('person', 'system' or '')."""
    first = events.groupby(CASE, sort=False).head(1)
    return pd.DataFrame(
        {"activity": first[ACTIVITY].to_numpy(), "kind": times.loc[first.index, "kind"].to_numpy()},
        index=pd.Index(first[CASE].to_numpy(), name=CASE),
    )


def outside_triggered(events: pd.DataFrame, times: pd.DataFrame, calls: set[str]) -> set[str]:
    """Activities nothing in the log starts: calls, and steps that are mostly a case's first
    (keying in an order): their start is when the person was free, idle time included."""
    staffed = times["kind"] == "person"
    first = times["enabled"].isna() & staffed
    share = first.groupby(events[ACTIVITY]).sum() / staffed.groupby(events[ACTIVITY]).sum()
    return {str(a) for a, s in share.items() if s > 0.5} | set(calls)


def fit_activity_durations(
    events: pd.DataFrame,
    times: pd.DataFrame,
    activities: list[str],
    method: str,
    outside: set[str] = frozenset(),
    waited: set[str] = frozenset(),
) -> dict[str, Distribution]:
    """A fitted processing-time distribution of each named activity's staffed events; for
    `outside` activities with estimated starts, the work separated from idle time; for
    `waited` ones (steps that often wait for something outside the log: stock, a
    customer's answer) likewise where the idle time is clearly there, else the gaps."""
    waiting = waiting_hours(events)
    staffed = times["kind"] != "system"
    by_activity = {a: group.index for a, group in events.loc[staffed].groupby(ACTIVITY, sort=True)}
    fitted = {}
    for activity in activities:
        rows = by_activity.get(activity, pd.Index([]))
        values = times.loc[rows, "processing"].dropna().to_numpy(dtype=float)
        if activity in outside and method == ESTIMATED and len(values) >= MIN_IDLE_SAMPLES:
            separated = separate_idle(values, f"{method}, {len(rows):,} events")
            if separated is None:  # mostly idle: only the shortest gaps come near the work
                value = float(np.quantile(values, WAITING_QUANTILE))
                detail = (
                    f"{WAITING_QUANTILE:.0%} quantile of {len(values):,} gaps since the "
                    f"person's previous completion (their mean, {float(np.mean(values)):.2f} "
                    "h, is mostly idle time, too little of it the work alone to separate)"
                )
                separated = fixed(value, len(values), Provenance(source="log", detail=detail))
            fitted[activity] = separated
            continue
        if activity in waited and method == ESTIMATED and len(values) >= MIN_IDLE_SAMPLES:
            separated = separate_idle(values, f"{method}, {len(rows):,} events")
            if separated is not None:
                fitted[activity] = separated
                continue
        if len(values) >= MIN_SAMPLES or (len(values) and method == LOGGED):
            fitted[activity] = fit_distribution(values, f"{method}, {len(rows):,} events")
            continue
        waits = waiting.reindex(rows).dropna().to_numpy(dtype=float)
        if len(waits):
            value = float(np.quantile(waits, WAITING_QUANTILE))
            detail = (
                f"only {len(values)} processing estimates; {WAITING_QUANTILE:.0%} quantile of "
                f"{len(waits):,} waiting times"
            )
            fitted[activity] = fixed(value, len(waits), Provenance(source="log", detail=detail))
        else:
            detail = "no processing or waiting time in the log (always first, no resource)"
            fitted[activity] = fixed(0.0, 0, Provenance(source="default", detail=detail))
    return fitted


def system_shares(events: pd.DataFrame, times: pd.DataFrame) -> dict[str, float]:
    """Per activity, the share of its events done by systems (which take no staff time)."""
    system = (times["kind"] == "system").groupby(events[ACTIVITY]).mean()
    return {str(a): float(s) for a, s in system.items() if s > 0}


NO_WORK = Distribution(
    kind="fixed",
    mean=0.0,
    params={"value": 0.0},
    provenance=Provenance(source="log", detail="external party: its time is in the delay"),
)


def fixed(value: float, n: int, provenance: Provenance) -> Distribution:
    return Distribution(
        kind="fixed", mean=value, params={"value": value}, n=n, provenance=provenance
    )


def fit_distribution(values: np.ndarray, detail: str = "") -> Distribution:
    """The best-fitting named distribution of non-negative hours, or the empirical one."""
    values = np.sort(np.asarray(values, dtype=float))
    n = len(values)
    provenance = Provenance(source="log", detail=detail)
    if n == 0:
        return fixed(0.0, 0, Provenance(source="default", detail=f"{detail}; no values"))
    sample_mean = float(values.mean())
    positive = values[values > 0]
    if len(positive) < 2 or np.ptp(positive) == 0:
        return fixed(sample_mean, n, provenance)
    if (n - len(positive)) / n > ZERO_SHARE_EMPIRICAL:
        return empirical(values, provenance, note="many zero times")
    sample = _thin(positive, MAX_FIT_SAMPLES)
    best: tuple[float, str, dict[str, float], float, float] | None = None
    lowest_ks = float("inf")
    for kind, family in CANDIDATES.items():
        params, mean, frozen = _fit(kind, family, sample)
        if params is None:
            continue
        ks = float(stats.kstest(sample, frozen.cdf).statistic)
        lowest_ks = min(lowest_ks, ks)
        if ks > KS_ACCEPT or abs(mean - sample_mean) > MEAN_TOLERANCE * sample_mean:
            continue
        aic = 2 * len(params) - 2 * float(np.sum(frozen.logpdf(sample)))
        if best is None or aic < best[0]:
            best = (aic, kind, params, mean, ks)
    if best is None:
        note = f"no named distribution fits: lowest KS {lowest_ks:.3f} or mean off by > 10 %"
        return empirical(values, provenance, note=note)
    _, kind, params, mean, ks = best
    return Distribution(
        kind=kind,
        mean=mean,
        params=params,
        ks_statistic=round(ks, 6),
        n=n,
        provenance=Provenance(source="log", detail=f"{detail}; MLE, lowest AIC of KS-accepted"),
    )


def separate_idle(values: np.ndarray, detail: str = "") -> Distribution | None:
    """Lognormal work from gaps that are either the work or the work after idle time.

    Each gap since the person's previous completion is, with probability q, just the work
    (they went straight on) and otherwise the work plus an exponential spell of idle time;
    the four parameters are fitted by maximum likelihood (the sum's density by the
    midpoint rule) on at most `IDLE_FIT_SAMPLES` evenly spaced order statistics. Where the
    idle part does not pass a likelihood-ratio test against the work alone
    (`IDLE_LIKELIHOOD_GAIN`), the gaps are the work (fitted as they are): a busy team's
    slightly long tail is not idle time. None where the work is not identifiable: the work
    under `MIN_WORK_SHARE` of the gaps' mean with fewer than `MIN_WORK_ALONE` of them the
    work alone, or without passing that test — with nearly every gap mostly idle, a short
    work and a longer, wider one fit about as well."""
    from scipy import optimize

    gaps = _thin(np.sort(values[values > 0].astype(float)), IDLE_FIT_SAMPLES)
    if len(gaps) < MIN_IDLE_SAMPLES:
        return None
    logs = np.log(gaps)
    fractions = (np.arange(IDLE_GRID) + 0.5) / IDLE_GRID
    work = gaps[:, None] * fractions  # the work part of each gap, on a grid
    log_work = np.log(work)

    def lognormal_pdf(x: np.ndarray, log_x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
        z = (log_x - mu) / sigma
        return np.exp(-0.5 * z * z) / (x * sigma * np.sqrt(2 * np.pi))

    def negative_log_likelihood(theta: np.ndarray) -> float:
        mu, log_sigma, logit_q, log_idle = theta
        sigma, idle = np.exp(log_sigma), np.exp(log_idle)
        q = 1.0 / (1.0 + np.exp(-logit_q))
        alone = lognormal_pdf(gaps, logs, mu, sigma)
        after_idle = (
            (
                lognormal_pdf(work, log_work, mu, sigma) * np.exp(-(gaps[:, None] - work) / idle)
            ).mean(axis=1)
            * gaps
            / idle
        )
        return -float(np.sum(np.log(q * alone + (1 - q) * after_idle + 1e-300)))

    # Starts from mostly idle to mostly work, the work at a low quantile of the gaps; the
    # best likelihood wins.
    result = None
    for work_quantile, logit_q in ((0.05, -2.5), (0.15, 0.0), (0.3, 2.5)):
        start = np.array(
            [
                np.log(np.quantile(gaps, work_quantile)),
                np.log(max(np.std(logs) / 2, 0.1)),
                logit_q,
                np.log(np.mean(gaps)),
            ]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            attempt = optimize.minimize(
                negative_log_likelihood, start, method="Nelder-Mead",
                options={
                    "maxiter": 1500, "xatol": 1e-4, "fatol": 1e-4,
                    # Steps of a useful size (the default 5 % barely moves a zero start).
                    "initial_simplex": np.vstack(
                        [start, start + np.diag([0.5, 0.3, 1.0, 0.5])]
                    ),
                },
            )  # fmt: skip
        if attempt.success and (result is None or attempt.fun < result.fun):
            result = attempt
    if result is None:
        return None
    mu, log_sigma, logit_q, log_idle = result.x
    sigma = float(np.exp(log_sigma))
    mean = float(np.exp(mu + sigma * sigma / 2))
    alone = stats.lognorm(np.std(logs), scale=np.exp(np.mean(logs)))
    if not np.isfinite(mean) or mean >= float(np.mean(gaps)):
        return fit_distribution(values, detail)  # the idle part explains nothing
    gain = -float(np.sum(alone.logpdf(gaps))) - float(result.fun)
    q = 1.0 / (1.0 + np.exp(-logit_q))
    if mean < MIN_WORK_SHARE * float(np.mean(gaps)) and (
        q < MIN_WORK_ALONE or gain < IDLE_LIKELIHOOD_GAIN
    ):
        return None  # mostly idle, and which part is work the gaps cannot tell
    if gain < IDLE_LIKELIHOOD_GAIN:
        return fit_distribution(values, detail)  # a long tail, not idle: the gaps are work
    return Distribution(
        kind="lognormal",
        mean=mean,
        params={"mu": float(mu), "sigma": sigma},
        n=len(values),
        provenance=Provenance(
            source="log",
            detail=(
                f"{detail}; work separated from idle time: {q:.0%} of the gaps are the work "
                f"alone, the rest follow {float(np.exp(log_idle)):.2f} h idle on average "
                f"(gaps' mean {float(np.mean(values)):.2f} h)"
            ),
        ),
    )


def empirical(values: np.ndarray, provenance: Provenance, note: str = "") -> Distribution:
    """Equally spaced quantiles 0 %..100 % of the values, sampled by interpolation."""
    quantiles = np.quantile(values, np.linspace(0, 1, EMPIRICAL_POINTS))
    # The mean of the piecewise-linear inverse CDF is the mean of adjacent midpoints.
    mean = float(np.mean((quantiles[1:] + quantiles[:-1]) / 2))
    detail = f"{provenance.detail}; empirical ({note})" if note else provenance.detail
    return Distribution(
        kind="empirical",
        mean=mean,
        quantiles=[float(q) for q in quantiles],
        n=len(values),
        provenance=Provenance(source=provenance.source, detail=detail),
    )


def _thin(sorted_values: np.ndarray, limit: int) -> np.ndarray:
    """At most `limit` evenly spaced order statistics: deterministic and shape-preserving."""
    if len(sorted_values) <= limit:
        return sorted_values
    picks = np.linspace(0, len(sorted_values) - 1, limit).round().astype(int)
    return sorted_values[picks]


def _fit(kind: str, family, sample: np.ndarray):
    """(params for the model file, mean, frozen scipy distribution), or Nones on failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if kind == "exponential":
                _, scale = family.fit(sample, floc=0)
                return {"mean": float(scale)}, float(scale), family(loc=0, scale=scale)
            shape, _, scale = family.fit(sample, floc=0)
        except (ValueError, RuntimeError, FloatingPointError):
            return None, None, None
    if not (np.isfinite(shape) and np.isfinite(scale) and shape > 0 and scale > 0):
        return None, None, None
    frozen = family(shape, loc=0, scale=scale)
    if kind == "lognormal":
        params = {"mu": float(np.log(scale)), "sigma": float(shape)}
    else:
        params = {"shape": float(shape), "scale": float(scale)}
    return params, float(frozen.mean()), frozen
