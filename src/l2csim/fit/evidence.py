"""What a model element rests on when the log lacks the column it would be fitted from.

Nothing is invented and presented as a result:
- **No customer column**: orders arrive as a stream (per tier and segment, at the log's
  rate); no customer is named or counted, so no customer can churn: retention is off,
  whatever churn model was given, and the arrivals' and retention's provenance say why.
- **No chase calls in the log** (no `chase_call` role, or its activities never occur): no
  chase calls are simulated (every tier's patience ends for no order), so there are no
  chase-call figures to show; the chase behaviour's provenance says so, and the report leaves
  chase calls out of its headline (`report.words.not_simulated`).
"""

from __future__ import annotations

import pandas as pd

from l2csim.log import ACTIVITY
from l2csim.params import (
    Arrivals,
    CensoredWait,
    ChaseBehaviour,
    Distribution,
    Provenance,
    RetentionParams,
    Tier,
)

ORDER_STREAM = (
    "the log has no customer column: orders arrive as a stream at the log's rate, no "
    "customers are invented"
)
NO_CHURN = (
    "the log has no customer column, so no customer can be followed or lost: churn is not simulated"
)
NO_CHASE = "the log has no chase calls: none are simulated (no chase-call figures)"


def order_stream(
    arrivals: list[Arrivals], retention: RetentionParams, has_customers: bool
) -> tuple[list[Arrivals], RetentionParams, list[str]]:
    """Without customers: arrivals say they are an order stream, and retention is off."""
    if has_customers:
        return arrivals, retention, []
    stream = [
        a.model_copy(
            update={
                "provenance": Provenance(
                    source=a.provenance.source, detail=f"{a.provenance.detail}; {ORDER_STREAM}"
                )
            }
        )
        for a in arrivals
    ]
    off = RetentionParams(
        intercept=0.0,
        coefficients={},
        enabled=False,
        provenance=Provenance(source="log", detail=NO_CHURN),
    )
    notes = [f"{ORDER_STREAM}; {NO_CHURN}"]
    if retention.enabled:
        notes.append(f"the churn model given ({retention.provenance.detail}) is not used")
    return stream, off, notes


def has_chase_calls(events: pd.DataFrame, chase_activities: list[str]) -> bool:
    return bool(chase_activities) and bool(events[ACTIVITY].isin(chase_activities).any())


def silent_chase(
    chase: ChaseBehaviour, tiers: list[Tier], has_calls: bool
) -> tuple[ChaseBehaviour, list[str]]:
    """Without chase calls in the log: a chase behaviour under which no customer phones."""
    if has_calls:
        return chase, []
    never = Distribution(
        kind="fixed",
        mean=0.0,
        params={"value": 0.0},
        provenance=Provenance(source="default", detail=NO_CHASE),
    )
    silent = CensoredWait(distribution=never, share=0.0)
    provenance = Provenance(source="default", detail=NO_CHASE)
    return chase.model_copy(
        update={
            "patience": {t.name: silent for t in tiers},
            "repeat": silent,
            "repeat_by_tier": {},
            "max_calls": 0,
            "expedite_probability": 0.0,
            "provenance": provenance,
            "patience_after_promise": never,
            "repeat_after": never,
        }
    ), [NO_CHASE]
