"""Comparing scenarios with the baseline: paired differences with confidence intervals,
plain-language readings, risk, a recommendation and charts (`l2csim compare`).

Modules: kpis (labels and directions), numbers (rounding to the uncertainty), table (the
per-KPI rows), readings (sentences, risk, recommendation), charts, run (the command).
"""

from l2csim.comparison.run import ComparisonResult, compare, read_run

__all__ = ["ComparisonResult", "compare", "read_run"]
