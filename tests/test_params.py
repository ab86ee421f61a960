"""The model file: a complete model round-trips byte for byte; broken files are refused clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from l2csim.errors import InputError
from l2csim.params import (
    END_NODE,
    START_NODE,
    ActivityParams,
    ArrivalPattern,
    Arrivals,
    ChaseBehaviour,
    CourtesyPractice,
    Distribution,
    ModelParams,
    Pool,
    Provenance,
    RetentionParams,
    Routing,
    Tier,
    load_params,
    write_params,
)

DEFAULT = Provenance(source="default")


def hours(mean: float) -> Distribution:
    return Distribution(kind="exponential", mean=mean, params={"mean": mean}, provenance=DEFAULT)


def small_model(**changes) -> ModelParams:
    fields = dict(
        tiers=[
            Tier(
                name="key",
                rank=0,
                customers=5,
                promised_hours=72,
                mean_order_value=900,
                provenance=DEFAULT,
            )
        ],
        arrivals=[Arrivals(tier="key", segment="all", orders_per_week=10, provenance=DEFAULT)],
        arrival_pattern=ArrivalPattern(
            weekday_weights=[1 / 7] * 7, hour_weights=[1 / 24] * 24, provenance=DEFAULT
        ),
        routing=[
            Routing(
                segment="all",
                transitions={START_NODE: {"Ship": 1.0}, "Ship": {END_NODE: 1.0}},
                cases=10,
                provenance=DEFAULT,
            )
        ],
        activities=[ActivityParams(name="Ship", pool="warehouse", duration=hours(1))],
        pools=[
            Pool(name="warehouse", size=2, provenance=DEFAULT),
            Pool(name="cs", size=1, provenance=DEFAULT),
        ],
        chase=ChaseBehaviour(
            patience_after_promise=hours(24),
            repeat_after=hours(24),
            call=hours(0.1),
            pool="cs",
            expedite_probability=0.3,
            provenance=DEFAULT,
        ),
        courtesy=CourtesyPractice(
            probability={"key": {"Ship": 0.5}}, call=hours(0.1), pool="cs", provenance=DEFAULT
        ),
        retention=RetentionParams(
            intercept=-4, coefficients={"late_orders": 0.5}, provenance=DEFAULT
        ),
    )
    fields.update(changes)
    return ModelParams(**fields)


def test_round_trip_is_byte_identical(tmp_path: Path) -> None:
    first = write_params(small_model(), tmp_path / "a.json")
    again = write_params(load_params(first), tmp_path / "b.json")
    assert first.read_bytes() == again.read_bytes()
    assert load_params(first) == small_model()


def test_unknown_pool_and_activity_are_refused() -> None:
    with pytest.raises(ValidationError, match="activity 'Ship' uses unknown pool 'dock'"):
        small_model(activities=[ActivityParams(name="Ship", pool="dock", duration=hours(1))])
    routing = Routing(
        segment="all", transitions={START_NODE: {"Fly": 1.0}}, cases=1, provenance=DEFAULT
    )
    with pytest.raises(ValidationError, match=r"names unknown activities \['Fly'\]"):
        small_model(routing=[routing])


def test_distribution_needs_its_params() -> None:
    with pytest.raises(ValidationError, match=r"lognormal distribution needs params \['sigma'\]"):
        Distribution(kind="lognormal", mean=1, params={"mu": 0}, provenance=DEFAULT)


def test_wrong_version_and_broken_files(tmp_path: Path) -> None:
    path = write_params(small_model(), tmp_path / "model.json")
    data = json.loads(path.read_text())
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="schema version 99, this l2csim reads version 2; refit"):
        load_params(path)
    path.write_text("{")
    with pytest.raises(InputError, match="not a JSON model file"):
        load_params(path)
    data["schema_version"] = 2
    data["pools"][0]["size"] = -1
    path.write_text(json.dumps(data))
    with pytest.raises(
        InputError, match=r"pools\.0\.size: Input should be greater than or equal to 0"
    ):
        load_params(path)
    with pytest.raises(InputError, match="model file not found"):
        load_params(tmp_path / "none.json")
