"""Headroom: how much more demand an option takes before it tips over.

**Definition.** The demand factor f (a multiplier on every arrival rate, on top of what the
scenario already says) at which the share of replications that run away (`runaway`) first
passes `threshold` (10 %); headroom = f - 1 ("+35 % more demand"). It is searched on a grid
of factors from 1 to `top` (2.0) in steps of `step` (0.1), and within the grid cell where
the share passes the threshold it is interpolated linearly between the two bracketing
factors.

**Its interval.** At each factor the runaway share has a Wilson 95 % interval. The lower
end of the headroom is where the interval's *upper* bound first passes the threshold (below
it, a runaway share of 10 % is ruled out); the upper end is where its *lower* bound first
does (from there a share under 10 % is ruled out) — or "beyond the range searched" when it
never does up to `top`. With n replications per factor a share of 0 of n has a Wilson upper
bound of 3.84/(n + 3.84): only from 35 replications per factor can the data rule out a 10 %
share at all, so with the small budgets used here the lower end is often +0 %. That is the
honest reading of few replications, not a defect of the search.

**Search.** Every factor runs the same replications 0..n-1 (common random numbers and, with
the fit's uncertainty on, the same parameter draws), a shorter horizon than the study's
(default 180 days after a 30-day warm-up), and factors are visited by bisection over the grid
for each of the three crossings (share, upper and lower bound), reusing every factor run:
about 5-9 factors instead of 11. An option that does not run away at `top` is reported as
"no runaway within the range searched (up to x2.0)" without further search (plus one run at
x1.0 for the interval's lower end). The share is assumed to rise with demand; bisection
finds *a* crossing where it does not.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from l2csim import layout
from l2csim.comparison.numbers import fmt, step_for
from l2csim.comparison.runaway import DEFINITION, judge_rows, wilson
from l2csim.errors import InputError
from l2csim.output import write_json
from l2csim.settings import RunSettings, bounded_int, parse_duration
from l2csim.sim.replications import (
    ReplicationResult,
    RunSpec,
    run_replication,
    run_replications,
)

THRESHOLD = 0.10
LITTLE = 0.10  # a baseline with less headroom than this gets a warning


@dataclass(frozen=True)
class HeadroomSettings:
    """The search's budget: replications per factor, the horizon and warm-up of each run,
    the grid (1.0 to `top` by `step`), the runaway share that counts as tipping over, and
    the interval's confidence level."""

    replications: int = 10
    horizon: str = "180d"
    warmup: str = "30d"
    top: float = 2.0
    step: float = 0.1
    threshold: float = THRESHOLD
    confidence: float = 0.95

    def __post_init__(self) -> None:
        bounded_int(self.replications, "--headroom-replications", 2, 1_000)
        horizon = parse_duration(self.horizon, "headroom-horizon")
        warmup = parse_duration(self.warmup, "headroom-warmup")
        if (horizon - warmup) / 24 < 28:
            raise InputError(
                f"headroom horizon {self.horizon} after a {self.warmup} warm-up: give at least "
                "28 days after the warm-up, or runaways cannot be judged."
            )
        if not 1.0 < float(self.top) <= 10.0 or not 0 < float(self.step) <= self.top - 1.0:
            raise InputError(
                f"headroom range up to x{self.top} in steps of {self.step}: give a top factor "
                "above 1 (at most 10) and a step that fits in the range."
            )
        if not 0 < float(self.threshold) < 1:
            raise InputError(f"headroom threshold {self.threshold}: give a share such as 0.1.")

    @property
    def grid(self) -> list[float]:
        count = math.floor((self.top - 1.0) / self.step + 1e-9)
        factors = [round(1.0 + i * self.step, 6) for i in range(count + 1)]
        if factors[-1] < self.top - 1e-9:
            factors.append(round(self.top, 6))
        return factors

    def key(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Point:
    """One demand factor's replications: how many were judged and ran away, the share and
    its Wilson interval, and which replications ran away."""

    factor: float
    judged: int
    runaways: int
    low: float
    high: float
    ran_away: tuple[int, ...] = ()

    @property
    def share(self) -> float:
        return self.runaways / self.judged if self.judged else math.nan


@dataclass(frozen=True)
class Headroom:
    """The search's result for one scenario (see the module docstring for the reading)."""

    scenario: str
    status: str  # "found" | "beyond_range" | "already" (runs away at today's demand)
    factor: float | None  # where the runaway share passes the threshold
    factor_low: float | None
    factor_high: float | None  # None: beyond the range searched
    settings: HeadroomSettings
    points: list[Point] = field(default_factory=list)
    seconds: float = 0.0
    runs: int = 0
    run_key: str | None = None  # which simulate run it belongs to (`run_key`)

    @property
    def headroom(self) -> float | None:
        return None if self.factor is None else self.factor - 1.0

    @property
    def step(self) -> float:
        """The rounding the interval supports (numbers.step_for of its half-width, in %)."""
        low = self.factor_low if self.factor_low is not None else self.settings.top
        high = self.factor_high if self.factor_high is not None else self.settings.top
        half = max((high - low) / 2, self.settings.step / 2)
        return step_for(half * 100)

    def _bounds(self) -> tuple[str, str]:
        """The interval's ends as text: '0', '+80', 'beyond +100'."""
        top = f"beyond +{fmt((self.settings.top - 1) * 100, 1)}"
        low = (self.factor_low if self.factor_low is not None else self.settings.top) - 1
        a = fmt(low * 100, self.step, sign=True) if self.factor_low is not None else top
        b = (
            fmt((self.factor_high - 1) * 100, self.step, sign=True)
            if self.factor_high is not None
            else top
        )
        return a, b

    @property
    def message(self) -> str:
        """The result in a sentence (printed, and in the report)."""
        top = self.settings.top
        n = self.settings.replications
        share = f"{self.settings.threshold:.0%}"
        low, high = self._bounds()
        if self.status == "beyond_range":
            return (
                f"{self.scenario}: no runaway within the range searched: the runaway share "
                f"stays at or below {share} up to x{top:g} demand ({n} replications per "
                f"factor), so its headroom is beyond +{fmt((top - 1) * 100, 1)}%"
            )
        if self.status == "already":
            return (
                f"{self.scenario}: already runs away at today's demand (more than {share} of "
                f"{n} replications at x1.0): no headroom (95% CI {low}% to {high}%)"
            )
        assert self.headroom is not None
        return (
            f"{self.scenario}: headroom {fmt(self.headroom * 100, self.step, sign=True)}% more "
            f"demand until more than {share} of replications run away (95% CI {low}% to "
            f"{high}%; {n} replications per factor)"
        )

    @property
    def text(self) -> str:
        """The short form for tables: '+80% (95% CI 0 to +80%)'."""
        low, high = self._bounds()
        if self.status == "beyond_range":
            return f"beyond +{fmt((self.settings.top - 1) * 100, 1)}% (no runaway up to x{self.settings.top:g})"
        return (
            f"{fmt((self.headroom or 0.0) * 100, self.step, sign=True)}% (95% CI {low}% to {high}%)"
        )

    def record(self) -> dict:
        """What comparison.json and headroom.json hold."""
        return {
            "scenario": self.scenario,
            "status": self.status,
            "factor": _round(self.factor),
            "factor_low": _round(self.factor_low),
            "factor_high": _round(self.factor_high),
            "headroom": _round(self.headroom),
            "headroom_low": _round(None if self.factor_low is None else self.factor_low - 1),
            "headroom_high": _round(None if self.factor_high is None else self.factor_high - 1),
            "beyond_range": self.factor_high is None,
            "message": self.message,
            "text": self.text,
            "threshold": self.settings.threshold,
            "replications": self.settings.replications,
            "horizon": self.settings.horizon,
            "warmup": self.settings.warmup,
            "grid": self.settings.grid,
            "confidence": self.settings.confidence,
            "runaway_definition": DEFINITION,
            "points": [
                {
                    "factor": p.factor,
                    "judged": p.judged,
                    "runaways": p.runaways,
                    "share": _round(p.share),
                    "low": _round(p.low),
                    "high": _round(p.high),
                    "ran_away": list(p.ran_away),
                }
                for p in self.points
            ],
            "runs": self.runs,
            "run_key": self.run_key,
        }


def headroom(
    spec: RunSpec,
    settings: HeadroomSettings | None = None,
    *,
    executor: Executor | None = None,
    jobs: int = 1,
    on_point: Callable[[Point], None] | None = None,
) -> Headroom:
    """Search the demand factor at which `spec`'s scenario tips over (module docstring).

    Runs replications 0..n-1 of `spec` (its seed and parameter draws) at each factor visited,
    with the settings' horizon and warm-up, on `executor` or `jobs` local processes.
    """
    return Search(spec, settings, executor=executor, jobs=jobs).result(on_point)


class Search:
    """A headroom search under way. Every search visits the top factor first and, with fewer
    than ~35 replications per factor, x1.0 next (`_first` tests index 0 first); on an
    executor both are submitted when the search starts, so they run beside other work there
    (the scenario's own replications) rather than after it, with no wait between them.
    Which factors are visited, and so the result, does not change."""

    def __init__(
        self,
        spec: RunSpec,
        settings: HeadroomSettings | None = None,
        *,
        executor: Executor | None = None,
        jobs: int = 1,
    ) -> None:
        self.settings = settings or HeadroomSettings()
        self.began = time.perf_counter()
        self.spec, self.executor, self.jobs = spec, executor, jobs
        self.grid = self.settings.grid
        self.base = replace(
            spec,
            horizon_hours=parse_duration(self.settings.horizon, "headroom-horizon"),
            warmup_hours=parse_duration(self.settings.warmup, "headroom-warmup"),
            event_log=False,
        )
        self.pending: dict[int, list[Future]] = {}
        self.run_key: str | None = None  # which simulate run it belongs to (`run_key`)
        if executor is not None:
            last = len(self.grid) - 1
            self._submit(last)
            n = self.settings.replications
            if wilson(0, n, self.settings.confidence)[1] > self.settings.threshold:
                self._submit(0)  # no share at the top rules x1.0 out (module docstring)

    def _at(self, index: int) -> RunSpec:
        demand = self.spec.policy.demand
        factor = demand.factor * self.grid[index]
        policy = self.spec.policy.model_copy(
            update={"demand": demand.model_copy(update={"factor": factor})}
        )
        return replace(self.base, policy=policy)

    def _submit(self, index: int) -> None:
        assert self.executor is not None
        spec = self._at(index)
        n = self.settings.replications
        self.pending[index] = [self.executor.submit(run_replication, spec, i) for i in range(n)]

    def _runs(self, index: int) -> list[ReplicationResult]:
        if index in self.pending:
            return sorted(
                (f.result() for f in self.pending.pop(index)), key=lambda r: r.replication
            )
        return run_replications(
            self._at(index), self.settings.replications, executor=self.executor, jobs=self.jobs
        )

    def result(self, on_point: Callable[[Point], None] | None = None) -> Headroom:
        """The bisection over the grid (module docstring), waiting for the runs it needs."""
        settings, grid = self.settings, self.grid
        points: dict[int, Point] = {}

        def at(index: int) -> Point:
            if index not in points:
                runs = self._runs(index)
                points[index] = _point(grid[index], runs, settings.confidence)
                if on_point:
                    on_point(points[index])
            return points[index]

        threshold = settings.threshold

        def share(i: int) -> bool:
            return at(i).share > threshold

        def upper(i: int) -> bool:
            return at(i).high > threshold

        def lower(i: int) -> bool:
            return at(i).low > threshold

        try:
            last = len(grid) - 1
            factor = low = high = None
            if not share(last):
                status = "beyond_range"
                if upper(last):  # else even the interval's lower end is beyond the range
                    low = _crossing(points, grid, _first(upper, 0, last), "high", threshold)
            else:
                found = _first(share, 0, last)
                status = "already" if found == 0 else "found"
                factor = _crossing(points, grid, found, "share", threshold)
                low = _crossing(points, grid, _first(upper, 0, found), "high", threshold)
                if lower(last):
                    high = _crossing(points, grid, _first(lower, found, last), "low", threshold)
        finally:
            for futures in self.pending.values():  # submitted but not needed after all
                for future in futures:
                    future.cancel()
            self.pending.clear()
        ordered = [points[i] for i in sorted(points)]
        return Headroom(
            scenario=self.spec.scenario,
            status=status,
            factor=factor,
            factor_low=low,
            factor_high=high,
            settings=settings,
            points=ordered,
            seconds=time.perf_counter() - self.began,
            runs=len(ordered) * settings.replications,
            run_key=self.run_key,
        )


def _point(factor: float, results: list[ReplicationResult], confidence: float) -> Point:
    verdicts = {r.replication: judge_rows(r.rows) for r in results}
    judged = [r for r, v in verdicts.items() if v.runaway is not None]
    ran = tuple(sorted(r for r, v in verdicts.items() if v.runaway))
    low, high = wilson(len(ran), len(judged), confidence)
    return Point(factor, len(judged), len(ran), low, high, ran)


def _first(test: Callable[[int], bool], lo: int, hi: int) -> int:
    """The smallest index in [lo, hi] where `test` holds, by bisection, given it holds at
    hi (the test is assumed to turn true once and stay true)."""
    if test(lo):
        return lo
    while hi - lo > 1:
        middle = (lo + hi) // 2
        if test(middle):
            hi = middle
        else:
            lo = middle
    return hi


def _crossing(
    points: dict[int, Point], grid: list[float], index: int, what: str, threshold: float
) -> float:
    """The factor where `what` (share, high or low) reaches the threshold: interpolated
    between the nearest factor run below `index` (where it was below the threshold) and
    `index`; the grid's first factor when it is above the threshold there already."""
    before = max((i for i in points if i < index), default=None)
    if before is None:
        return grid[index]
    value = {
        "share": lambda p: p.share,
        "high": lambda p: p.high,
        "low": lambda p: p.low,
    }[what]
    a, b = value(points[before]), value(points[index])
    fa, fb = grid[before], grid[index]
    if not (math.isfinite(a) and math.isfinite(b)) or b <= a:
        return fb
    return fa + (threshold - a) / (b - a) * (fb - fa)


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 4)


def scenario_headroom(
    target,
    run: RunSettings,
    settings: HeadroomSettings | None = None,
    *,
    executor: Executor | None = None,
    on_point: Callable[[Point], None] | None = None,
) -> Headroom:
    """The headroom of a scenario (file, model or Scenario) run with `run`'s seed and
    parameter draws, as `simulate` runs it; on `executor`, else on `run.jobs` local
    processes or `run.scheduler`."""
    from l2csim.executors import backend

    if executor is not None:
        return scenario_search(target, run, settings, executor=executor).result(on_point)
    with backend(run.jobs, run.scheduler) as where:
        search = scenario_search(target, run, settings, executor=where.executor)
        return search.result(on_point)


def scenario_search(
    target, run: RunSettings, settings: HeadroomSettings | None = None, *, executor
) -> Search:
    """`scenario_headroom` started on `executor` (its first factors submitted there, see
    `Search`); its `result()` finishes it. Lets a caller queue the search behind the
    scenario's own replications, so no worker waits between the two."""
    from l2csim.output import sha256_file
    from l2csim.sim.run import prepare_run

    scenario, _, spec, uncertainty = prepare_run(target, run)
    search = Search(spec, settings, executor=executor)
    search.run_key = run_key(
        scenario.policy.model_dump(mode="json"),
        sha256_file(scenario.model_path),
        run.seed,
        bool(uncertainty.get("used")),
    )
    return search


def run_key(policy: dict, model_sha256: str | None, seed: int | None, draws: bool) -> str:
    """What ties a headroom search to a simulate run: the policy, the model, the seed and
    whether parameter draws were used (run.json holds all four)."""
    from l2csim.output import sha256_json

    return sha256_json(
        {"policy": policy, "model_sha256": model_sha256, "seed": seed, "draws": draws}
    )


def belongs_to(record: dict, info: dict) -> bool:
    """Whether a headroom.json was searched for the run its folder's run.json describes (an
    older search left beside a newer run does not)."""
    used = bool((info.get("fit_uncertainty") or {}).get("used"))
    expected = run_key(info.get("policy") or {}, info.get("model_sha256"), info.get("seed"), used)
    return record.get("run_key") == expected


def write_headroom(found: Headroom, folder: Path) -> Path:
    """headroom.json beside a scenario's kpis (what compare and the report read)."""
    return write_json(folder / layout.HEADROOM_JSON, found.record())


def read_headroom(folder: Path) -> dict | None:
    """A simulate folder's headroom.json, if the search ran for it."""
    path = folder / layout.HEADROOM_JSON
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def little_headroom(record: dict | None, little: float = LITTLE) -> bool:
    """Whether a headroom record says the operation tips over within `little` more demand
    (or already does)."""
    if not record or record.get("status") == "beyond_range":
        return False
    value = record.get("headroom")
    return value is not None and value < little
