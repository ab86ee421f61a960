"""How a run of replications is set up: one frozen `RunSettings` that `simulate`, `compare`,
`validate`, `sweep` and the study take, checked once when it is made.

Every number a user gives is bounded here with a message that names the option and the
allowed range, so a typo such as `--replications 1000000000` or `--horizon 1000000d` is
refused at once instead of growing memory for hours.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any

from l2csim.errors import InputError

MAX_REPLICATIONS = 1_000
MAX_HORIZON_DAYS = 3_650  # ten years of simulated operation
MAX_JOBS = 512
MAX_SEED = 2**63 - 1
DEFAULT_REPLICATIONS = 10
STUDY_REPLICATIONS = 20

_UNITS = {"h": 1.0, "d": 24.0, "w": 168.0}


def parse_duration(text: str | float | int, what: str) -> float:
    """'365d', '12w', '48h' (or a bare number of days) -> hours, within 0..10 years."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hdw]?)\s*", str(text))
    if not match:
        raise InputError(f"--{what} {text!r}: give a number with a unit h, d or w, e.g. 365d.")
    hours = float(match.group(1)) * _UNITS[match.group(2) or "d"]
    if not math.isfinite(hours) or hours > MAX_HORIZON_DAYS * 24:
        raise InputError(
            f"--{what} {text!r}: at most {MAX_HORIZON_DAYS} days ({MAX_HORIZON_DAYS // 365} "
            "years) can be simulated; give a shorter period."
        )
    return hours


def parse_replications(value: int | str | None) -> int | None:
    """A replication count, or None for 'auto' (run until the precision target is met)."""
    if value is None or str(value).strip().lower() == "auto":
        return None
    try:
        count = int(str(value).strip())
    except ValueError:
        raise InputError(
            f"--replications {value!r}: give a whole number, or auto with --precision."
        ) from None
    return bounded_int(count, "--replications", 1, MAX_REPLICATIONS)


def parse_precision(value: float | str) -> float:
    """'5%' or 0.05 -> 0.05: the target relative half-width of the 95% intervals."""
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        number = math.nan
    if not 0 < number < 1:
        raise InputError(f"--precision {value!r}: give a relative half-width such as 5% or 0.05.")
    return number


def bounded_int(value: Any, what: str, low: int, high: int) -> int:
    """An integer within [low, high], or an InputError naming the option and the range."""
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except ValueError:
            raise InputError(f"{what} {value!r}: give a whole number.") from None
    if not low <= value <= high:
        raise InputError(f"{what} {value}: give a whole number from {low:,} to {high:,}.")
    return value


@dataclass(frozen=True)
class RunSettings:
    """Everything about how replications run, apart from what is simulated.

    replications: a count, or None for auto (until every headline KPI's 95% CI half-width
    is within `precision` of its mean, at most `max_replications`). horizon and warm-up as
    written ('365d', '12w', '48h'), checked and bounded when made. jobs: local processes (0:
    one per core); scheduler: a Dask scheduler address (or L2CSIM_DASK_SCHEDULER). jobs and
    scheduler change where the work runs, never the numbers. fit_uncertainty: run the
    replications on the model's parameter draws (model_draws.json, see l2csim.draws) —
    None: when the model has draws that belong to it, True: required, False: never.
    """

    replications: int | None = DEFAULT_REPLICATIONS
    seed: int = 0
    horizon: str = "365d"
    warmup: str = "30d"
    precision: float = 0.05
    max_replications: int = 100
    jobs: int = 0
    scheduler: str | None = None
    event_log: bool = False
    fit_uncertainty: bool | None = None
    hours: tuple[float, float] = field(default=(0.0, 0.0), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.replications is not None:
            object.__setattr__(
                self,
                "replications",
                bounded_int(self.replications, "--replications", 1, MAX_REPLICATIONS),
            )
        bounded_int(self.seed, "--seed", 0, MAX_SEED)
        bounded_int(self.max_replications, "--max-replications", 2, MAX_REPLICATIONS)
        bounded_int(self.jobs, "--jobs", 0, MAX_JOBS)
        if not 0 < float(self.precision) < 1:
            raise InputError(f"--precision {self.precision!r}: give a share such as 0.05.")
        horizon = parse_duration(self.horizon, "horizon")
        warmup = parse_duration(self.warmup, "warmup")
        if horizon <= 0:
            raise InputError(f"--horizon {self.horizon}: give a period longer than 0.")
        if warmup >= horizon:
            raise InputError(
                f"--warmup {self.warmup} must be shorter than --horizon {self.horizon}."
            )
        object.__setattr__(self, "hours", (horizon, warmup))

    @classmethod
    def from_options(
        cls,
        *,
        replications: int | str | None = DEFAULT_REPLICATIONS,
        precision: float | str = 0.05,
        **options: Any,
    ) -> RunSettings:
        """From command-line values: replications may be 'auto', precision '5%'."""
        return cls(
            replications=parse_replications(replications),
            precision=parse_precision(precision),
            **options,
        )

    @property
    def horizon_hours(self) -> float:
        return self.hours[0]

    @property
    def warmup_hours(self) -> float:
        return self.hours[1]

    @property
    def workers(self) -> int:
        """Local processes to use: jobs, or one per core for 0."""
        return self.jobs if self.jobs > 0 else os.cpu_count() or 1

    def require_replications(self, minimum: int = 2, what: str = "a confidence interval") -> None:
        """Refuse a fixed count below `minimum` (auto always runs at least 3)."""
        if self.replications is not None and self.replications < minimum:
            raise InputError(
                f"{what} needs at least {minimum} replications (got {self.replications}); "
                f"run with --replications {minimum} or more."
            )

    def key(self) -> dict[str, Any]:
        """What decides the numbers (for a manifest): not jobs, not the scheduler."""
        key = {
            "replications": self.replications,
            "seed": self.seed,
            "horizon": self.horizon,
            "warmup": self.warmup,
        }
        if self.fit_uncertainty is not None:  # the default (None) keeps older keys valid
            key["fit_uncertainty"] = self.fit_uncertainty
        return key

    def but(self, **changes: Any) -> RunSettings:
        """A copy with some settings changed (checked again)."""
        return replace(self, **changes)
