"""Numbers in the report with no more digits than their uncertainty supports.

The rule is compare's (l2csim.comparison.numbers, used here): round to the decade of the interval's half-width. Point figures
without an interval get three significant digits.
"""

from __future__ import annotations

import math

from l2csim.comparison import numbers as comparison_numbers
from l2csim.comparison.numbers import DASH, MINUS, clip, interval, step_for

__all__ = ["DASH", "MINUS", "fmt", "sig", "step_for", "with_ci"]


def fmt(value: float | None, step: float = 0.01, *, sign: bool = False, suffix: str = "") -> str:
    """compare's rounding, also for a figure an output left out (None -> 'n/a')."""
    if value is None:
        return "n/a"
    return comparison_numbers.fmt(value, step, sign=sign, suffix=suffix)


def sig(value: float | None, digits: int = 3, *, sign: bool = False, suffix: str = "") -> str:
    """A point figure with `digits` significant digits."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return "n/a"
    if value == 0:
        return f"0{suffix}"
    step = 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)
    return fmt(value, max(step, 1e-6) if step < 1 else step, sign=sign, suffix=suffix)


def with_ci(
    value: float,
    low: float,
    high: float,
    *,
    scale: float = 1.0,
    sign: bool = False,
    suffix: str = "",
    lower: float | None = None,
    upper: float | None = None,
    label: str = "95% CI ",
) -> str:
    """'25 (95% CI 24–26)' rounded to what the interval supports; the interval is clipped
    to [lower, upper] (in the shown scale) and a non-zero end is never printed as 0."""
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (value, low, high)):
        return sig(value * scale if isinstance(value, int | float) else None, suffix=suffix)
    if high == low:  # every replication gave the same value: no interval to show
        return sig(value * scale, suffix=suffix, sign=sign) + " (all replications alike)"
    step = step_for((high - low) / 2 * scale)
    shown = clip(value * scale, value * scale, lower, upper)[0]
    joined = interval(low * scale, high * scale, step, sign=sign, lower=lower, upper=upper)
    return f"{fmt(shown, step, sign=sign)}{suffix} ({label}{joined}{suffix})"


def share(value: float | None) -> str:
    """A proportion as a whole-number percentage ('12%'; '0.4%' below one per cent)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    percent = value * 100
    return fmt(percent, 0.1 if 0 < abs(percent) < 1 else 1, suffix="%")
