"""Waiting nobody works on, found in the bundled sample where its generator planted it:
stock shortages before picking (every custom system, about a quarter of pumps, a fifth of
spare parts), the carrier's transit, the wait for technical clarification."""

from __future__ import annotations

from pathlib import Path

import pytest

from l2csim.fit import fit_model
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.params import ModelParams
from l2csim.sample.operation import STOCK_SHORTAGE

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample(sample_fit) -> ModelParams:
    return sample_fit.params


def test_stock_shortages_are_delays_per_product_line(sample: ModelParams) -> None:
    pick = next(a for a in sample.activities if a.name == "Pick and pack")
    shares = {line: spec.probability for line, spec in pick.delay_by_segment.items()}
    for line, (share, low, _high) in STOCK_SHORTAGE.items():
        # Shortages shorter than a working day are queue-like and not counted as delays.
        assert shares[line] == pytest.approx(share, abs=0.1), line
        days = pick.delay_by_segment[line].delay.mean / 24
        assert days >= low * 0.8, line


def test_the_carriers_transit_is_theirs_and_the_busy_steps_have_no_delay(sample) -> None:
    """Transit is the carriers' time in their own working hours (an outside party never
    queues); the busy team steps wait only in their queues."""
    by_name = {a.name: a for a in sample.activities}
    delivered = by_name["Delivered"]
    external = {p.name for p in sample.pools if p.external}
    assert delivered.pool in external and delivered.delay is None
    assert 7 < delivered.duration.mean < 30  # 1-3 working days of transit
    for busy in ("Credit check", "Order confirmed", "Shipped", "Invoice sent"):
        assert by_name[busy].delay is None, busy
    assert by_name["Technical clarification"].delay_probability > 0.6  # waits 1-6 days


def test_a_declared_waiting_step_is_all_delay(tmp_path) -> None:
    """Declaring 'Invoice sent' as the customer's waiting makes all its waiting a delay;
    an undeclared unknown step is refused before any work."""
    from l2csim.errors import L2csimError
    from l2csim.inputs import check_roles

    study = (REPO / "scenarios" / "study.yaml").read_text(encoding="utf-8")
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "documented_process.bpmn").write_bytes(
        (REPO / "scenarios" / "documented_process.bpmn").read_bytes()
    )
    (tmp_path / "event_logs").symlink_to(REPO / "event_logs")
    (folder / "study.yaml").write_text(
        study.replace(
            "  rework: Correct order data",
            "  rework: Correct order data\n  waiting_steps: [Payment in]",
        ),
        encoding="utf-8",
    )
    inputs = resolve_inputs(folder / "study.yaml")
    with pytest.raises(L2csimError, match="Payment in"):
        check_roles(inputs.study, read_inputs_log(inputs))
    (folder / "study.yaml").write_text(
        study.replace(
            "  rework: Correct order data",
            "  rework: Correct order data\n  waiting_steps: [Invoice sent]",
        ),
        encoding="utf-8",
    )
    inputs = resolve_inputs(folder / "study.yaml")
    model = fit_model(read_inputs_log(inputs), inputs.study)
    invoice = next(a for a in model.activities if a.name == "Invoice sent")
    # Finance only records that wait, so it is not staff the orders queue for: its time is
    # an outside party's, counted in its working hours.
    external = {p.name for p in model.pools if p.external}
    assert invoice.pool in external and invoice.delay is None
    assert "in its working hours" in invoice.duration.provenance.detail
    assert any("only records the end of waits" in n for n in model.notes)
