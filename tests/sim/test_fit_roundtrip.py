"""Fit round trip: simulate a known model, fit its event log, recover what was put in.

Covers what the simulated log must carry for `l2csim fit` (tiers, segments, customers,
resources, start times). Arrival rates and routing probabilities are checked here; mean
durations are left to the fit's own tests (the fit branch estimates processing time from
completion gaps — see the simulation report).
"""

from __future__ import annotations

import pytest

from l2csim.inputs import LogOverrides, read_inputs_log, resolve_inputs
from l2csim.output import write_csv
from l2csim.policy import Policy
from l2csim.sim.replications import RunSpec, run_replication
from l2csim.sim.run import event_frame
from sim_models import SEGMENTS, TIERS, sample_like_model

STUDY = """\
log:
  path: events.csv
  columns: {resource: "org:resource", customer: "case:customer",
            start_timestamp: start_timestamp}
  case_attributes: ["case:tier", "case:segment", "case:order_value"]
roles:
  order_received: Order received
  delivered: Delivered
  chase_call: Customer chase call
  courtesy_call: Courtesy call
  milestones: [Order confirmed, Shipped, Delivered]
  rework: Correct order data
segments: [segment]
"""


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    from l2csim.fit import fit_model

    folder = tmp_path_factory.mktemp("roundtrip")
    known = sample_like_model(churn=False)
    result = run_replication(
        RunSpec(
            known, Policy(), seed=3, horizon_hours=365 * 24.0, warmup_hours=0.0, event_log=True
        ),
        0,
    )
    write_csv(folder / "events.csv", event_frame([result], known.timezone))
    (folder / "study.yaml").write_text(STUDY)
    inputs = resolve_inputs(str(folder / "study.yaml"), LogOverrides())
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)  # fit must not pick up a retention model from ./outputs
        return fit_model(read_inputs_log(inputs), inputs.study)


def test_arrival_rates_per_tier_are_recovered(fitted) -> None:
    per_tier: dict[str, float] = {}
    for a in fitted.arrivals:
        per_tier[a.tier] = per_tier.get(a.tier, 0.0) + a.orders_per_week
    for name, _, per_week, *_ in TIERS:
        assert per_tier[name] == pytest.approx(per_week, rel=0.1), name
    for segment, share in SEGMENTS.items():
        got = sum(a.orders_per_week for a in fitted.arrivals if a.segment == segment)
        assert got / sum(per_tier.values()) == pytest.approx(share, abs=0.03), segment


def test_routing_probabilities_are_recovered(fitted) -> None:
    chains = {r.segment: r.transitions for r in fitted.routing}
    assert set(chains) == set(SEGMENTS)
    pumps = chains["Industrial pumps"]
    assert pumps["Order received"]["Key in order"] == pytest.approx(0.55, abs=0.03)
    assert pumps["Key in order"]["Correct order data"] == pytest.approx(0.15, abs=0.03)
    custom = chains["Custom systems"]
    assert custom["Order confirmed"]["Technical clarification"] == pytest.approx(0.75, abs=0.05)
