"""Routing: calls taken out of the chain keep path probabilities; rework scaling is exact."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from l2csim.params import END_NODE, START_NODE
from l2csim.sim.routing import RouteTable, bypass, scale_into
from l2csim.sim.streams import uniforms

CHAIN = {
    START_NODE: {"A": 1.0},
    "A": {"Fix": 0.2, "Call": 0.3, "B": 0.5},
    "Fix": {"Fix": 0.25, "B": 0.75},
    "Call": {"Call": 0.5, "B": 0.25, "Fix": 0.25},
    "B": {END_NODE: 1.0},
}


def test_bypass_keeps_every_path_probability() -> None:
    chain = bypass(CHAIN, ["Call"])
    assert "Call" not in chain and all("Call" not in row for row in chain.values())
    # A -> Call -> (B | Fix) each 0.5 after leaving the self-loop: 0.3 * 0.5 = 0.15 each.
    assert chain["A"] == pytest.approx({"Fix": 0.35, "B": 0.65})
    assert sum(chain["A"].values()) == pytest.approx(1.0)


def test_scale_into_rework_multiplies_its_probability() -> None:
    chain = scale_into(CHAIN, ["Fix"], 0.5)
    assert chain["A"]["Fix"] == pytest.approx(0.1)
    assert chain["A"]["Call"] / chain["A"]["B"] == pytest.approx(0.3 / 0.5)
    assert sum(chain["A"].values()) == pytest.approx(1.0)
    assert chain["Fix"]["Fix"] == pytest.approx(0.125)
    assert scale_into(CHAIN, ["Fix"], 10.0)["A"]["Fix"] == pytest.approx(1.0)  # capped


def test_sampled_paths_follow_the_chain() -> None:
    chain = bypass(CHAIN, ["Call"])
    table = RouteTable(chain, {"A": 0, "Fix": 1, "B": 2})
    draw = uniforms(np.random.default_rng(3))
    paths = Counter(tuple(table.sample(draw.next)) for _ in range(20000))
    assert paths[(0, 2)] / 20000 == pytest.approx(0.65, abs=0.01)
    # A -> Fix -> B: 0.35 * 0.75
    assert paths[(0, 1, 2)] / 20000 == pytest.approx(0.35 * 0.75, abs=0.01)
    assert all(path[0] == 0 and path[-1] == 2 for path in paths)
