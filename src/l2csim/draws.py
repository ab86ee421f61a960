"""Parameter draws: B alternative sets of the fitted model's estimated numbers, so the
simulation's intervals carry the fit's own uncertainty (`model_draws.json`).

`l2csim fit` writes them beside the model (`fit.uncertainty` makes them by a bootstrap over
the log's orders); `simulate`, `compare` and the study read them. Replication i runs on
draw i mod B of every scenario, so scenarios stay paired on the same random streams (common
random numbers) *and* on the same parameters (common draws).

A draw is stored compactly as changes to the fitted model, not as a whole model: factors on
rates, times and shares (1 = as fitted) and each segment's re-estimated routing. Applying
one keeps everything else of the fitted model — teams, people and shifts, calibration,
tiers and SLAs, calendars. The file names the model it belongs to by content hash; draws
of another fit are not used. A separate file, not a key of model.json: model.json is read
by every stage and hashed to say which model ran, and the draws are an optional addition a
user may leave out (`l2csim fit --draws 0`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from l2csim.errors import InputError
from l2csim.output import sha256_file, write_text
from l2csim.params import (
    ActivityParams,
    CensoredWait,
    ModelParams,
    RetentionParams,
    SegmentDelay,
)

DRAWS_SCHEMA = "l2csim/model-draws/1"
DRAWS_SUFFIX = "_draws.json"  # model.json -> model_draws.json
DEFAULT_DRAWS = 20
MAX_DRAWS = 1_000


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Change(_Frozen):
    """Factors on a wait that may not happen: `share` multiplies its probability (capped at
    1), `scale` its times."""

    share: float = Field(default=1.0, ge=0)
    scale: float = Field(default=1.0, gt=0)


class DelayChange(_Frozen):
    """A step's staff-free delay: overall and per segment where the model has one."""

    overall: Change = Change()
    by_segment: dict[str, Change] = Field(default_factory=dict)


class ParameterSet(_Frozen):
    """One draw, as changes to the fitted model (every factor 1 = the fitted value).

    arrivals: tier -> segment -> factor on orders per week; routing: segment -> from -> to
    -> probability (replaces the fitted chain of that segment); durations: activity ->
    factor on its processing time; chase_call / courtesy_call: factors on call length;
    patience: tier -> change of the customers' patience (share who would phone, when);
    repeat: change of the time to a repeat chase (all tiers', applied to each tier's own
    curve too); delays: activity -> change of its staff-free delay (share of occurrences
    that wait, how long); churn: tier -> shift of its churn log-odds (0 = as fitted), in the
    model with and without the experience effects.
    """

    arrivals: dict[str, dict[str, float]] = Field(default_factory=dict)
    routing: dict[str, dict[str, dict[str, float]]] = Field(default_factory=dict)
    durations: dict[str, float] = Field(default_factory=dict)
    chase_call: float = Field(default=1.0, gt=0)
    courtesy_call: float = Field(default=1.0, gt=0)
    patience: dict[str, Change] = Field(default_factory=dict)
    repeat: Change | None = None
    delays: dict[str, DelayChange] = Field(default_factory=dict)
    churn: dict[str, float] = Field(default_factory=dict)


class ModelDraws(_Frozen):
    """The draws file: how they were made, for which model, and the sets themselves.

    `spread` summarises how much the sets differ (coefficients of variation across sets),
    for people reading the file and for the report's appendix.
    """

    schema_: str = Field(default=DRAWS_SCHEMA, alias="schema")
    method: str
    seed: int = Field(ge=0)
    count: int = Field(ge=1, le=MAX_DRAWS)
    model_sha256: str
    log_sha256: str | None = None
    orders: int = Field(ge=0)
    varies: list[str]
    kept: list[str]
    spread: dict[str, float] = Field(default_factory=dict)
    sets: list[ParameterSet]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def describe(self, path: Path | None = None) -> dict:
        """What run.json and comparison.json record about the draws a run used."""
        return {
            "used": True,
            "draws": self.count,
            "method": self.method,
            "seed": self.seed,
            "file": str(path) if path is not None else None,
            "model_sha256": self.model_sha256,
            "spread": dict(self.spread),
        }


def draws_path(model: str | Path) -> Path:
    """Where a model's draws live: model.json -> model_draws.json in the same folder."""
    model = Path(model)
    return model.with_name(model.stem + DRAWS_SUFFIX)


def load_draws(path: str | Path) -> ModelDraws:
    """Read a draws file; another schema or an invalid value is one clear message."""
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{source}: no parameter draws; `l2csim fit` writes them beside the model (--draws 20)."
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{source}: not a JSON draws file ({error}).") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema != DRAWS_SCHEMA:
        raise InputError(
            f"{source}: draws schema {schema!r}, this l2csim reads {DRAWS_SCHEMA!r}; refit "
            "with `l2csim fit`."
        )
    try:
        draws = ModelDraws.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(f"{source}: {where}: {first['msg']}; refit with `l2csim fit`.") from None
    if len(draws.sets) != draws.count:
        raise InputError(
            f"{source}: says {draws.count} draws but holds {len(draws.sets)}; refit with "
            "`l2csim fit`."
        )
    return draws


def write_draws(draws: ModelDraws, path: str | Path) -> Path:
    """Write atomically: keys sorted, numbers to 6 significant digits, one line per set
    (equal draws give equal bytes; about 3 KB a set on the sample)."""
    data = _rounded(draws.model_dump(mode="json", by_alias=True))

    def dump(value) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    lines = [
        f"  {dump(key)}: {dump(value)}" for key, value in sorted(data.items()) if key != "sets"
    ]
    sets = ",\n".join(f"    {dump(item)}" for item in data["sets"])
    lines.append(f'  "sets": [\n{sets}\n  ]')
    return write_text(path, "{\n" + ",\n".join(lines) + "\n}\n")


def draws_for(model: Path, wanted: bool | None) -> tuple[ModelDraws | None, dict]:
    """The draws a run on `model` uses, and what run.json says about them.

    wanted None: the draws beside the model when they are there and belong to it; True:
    they must be (an error otherwise); False: none.
    """
    path = draws_path(model)
    if wanted is False:
        return None, {"used": False, "reason": "turned off (--no-fit-uncertainty)"}
    if not path.is_file():
        if wanted:
            raise InputError(
                f"{path}: no parameter draws beside the model; fit it with `l2csim fit` "
                "(which writes them; --draws 0 leaves them out) or run with "
                "--no-fit-uncertainty."
            )
        return None, {"used": False, "reason": f"no draws beside the model ({path.name})"}
    draws = load_draws(path)
    actual = sha256_file(model)
    if draws.model_sha256 != actual:
        reason = (
            f"{path.name} belongs to another fit of the model (sha256 "
            f"{draws.model_sha256[:12]}…, the model is {actual[:12]}…)"
        )
        if wanted:
            raise InputError(f"{path}: {reason}; refit with `l2csim fit`.")
        return None, {"used": False, "reason": reason + "; not used", "stale": True}
    return draws, draws.describe(path)


def apply_draw(params: ModelParams, draw: ParameterSet) -> ModelParams:
    """The fitted model with one draw's changes; everything a draw does not name is kept."""
    arrivals = [
        a.model_copy(
            update={
                "orders_per_week": a.orders_per_week
                * draw.arrivals.get(a.tier, {}).get(a.segment, 1.0)
            }
        )
        for a in params.arrivals
    ]
    routing = [
        r.model_copy(update={"transitions": draw.routing[r.segment]})
        if r.segment in draw.routing
        else r
        for r in params.routing
    ]
    activities = [_activity(a, draw) for a in params.activities]
    chase = params.chase
    patience = {
        tier: _wait(wait, draw.patience[tier]) if tier in draw.patience else wait
        for tier, wait in chase.patience.items()
    }
    repeat, repeat_by_tier = chase.repeat, chase.repeat_by_tier
    if repeat is not None and draw.repeat is not None:
        # the pooled curve's change, on each tier's own curve as well
        repeat = _wait(repeat, draw.repeat)
        repeat_by_tier = {t: _wait(w, draw.repeat) for t, w in repeat_by_tier.items()}
    chase = chase.model_copy(
        update={
            "call": chase.call.scaled(draw.chase_call),
            "patience": patience,
            "repeat": repeat,
            "repeat_by_tier": repeat_by_tier,
        }
    )
    courtesy = params.courtesy.model_copy(
        update={"call": params.courtesy.call.scaled(draw.courtesy_call)}
    )
    return params.model_copy(
        update={
            "arrivals": arrivals,
            "routing": routing,
            "activities": activities,
            "chase": chase,
            "courtesy": courtesy,
            "retention": _retention(params.retention, draw),
        }
    )


def _retention(retention: RetentionParams, draw: ParameterSet) -> RetentionParams:
    """The churn model with the draw's shift of each tier's log-odds, in the model with the
    experience effects and in the one without (a tier without an offset of its own, the
    reference, gets one)."""
    if not draw.churn:
        return retention

    def shifted(offsets: dict[str, float]) -> dict[str, float]:
        tiers = sorted(set(offsets) | set(draw.churn))
        return {t: offsets.get(t, 0.0) + draw.churn.get(t, 0.0) for t in tiers}

    tier_only = retention.tier_only
    if tier_only is not None:
        tier_only = tier_only.model_copy(update={"tier_offsets": shifted(tier_only.tier_offsets)})
    return retention.model_copy(
        update={"tier_offsets": shifted(retention.tier_offsets), "tier_only": tier_only}
    )


def _activity(activity: ActivityParams, draw: ParameterSet) -> ActivityParams:
    update: dict = {}
    factor = draw.durations.get(activity.name, 1.0)
    if factor != 1.0:
        update["duration"] = activity.duration.scaled(factor)
    change = draw.delays.get(activity.name)
    if change is not None and activity.delay is not None:
        update["delay"] = activity.delay.scaled(change.overall.scale)
        update["delay_probability"] = _share(activity.delay_probability, change.overall.share)
    if change is not None and activity.delay_by_segment:
        update["delay_by_segment"] = {
            segment: SegmentDelay(
                delay=delay.delay.scaled(change.by_segment[segment].scale),
                probability=_share(delay.probability, change.by_segment[segment].share),
            )
            if segment in change.by_segment
            else delay
            for segment, delay in activity.delay_by_segment.items()
        }
    return activity.model_copy(update=update) if update else activity


def _wait(wait: CensoredWait, change: Change) -> CensoredWait:
    return wait.model_copy(
        update={
            "distribution": wait.distribution.scaled(change.scale),
            "share": _share(wait.share, change.share),
        }
    )


def _share(value: float, factor: float) -> float:
    return min(1.0, max(0.0, value * factor))


def _rounded(value):
    """Floats to 6 significant digits, recursively: a compact file that still holds every
    digit the bootstrap supports."""
    if isinstance(value, float):
        return float(f"{value:.6g}") if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value
