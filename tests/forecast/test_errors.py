"""Bad input to `l2csim forecast`: one clear message each (InputError in the library, one line
and exit code 1 at the command line)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from l2csim import forecast as fc
from l2csim.cli import cli
from l2csim.errors import InputError
from l2csim.inputs import read_inputs_log, resolve_inputs


@pytest.fixture(scope="module")
def inputs(small_study):
    return resolve_inputs(small_study)


@pytest.fixture(scope="module")
def events(inputs):
    return read_inputs_log(inputs).events


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2024-12-01", "before the log starts"),
        ("2025-01-01T12:00", "before the log starts"),
        ("2027-06-01", "after the log ends"),
        ("next tuesday", "not a date or time"),
    ],
)
def test_as_of_outside_the_log_or_not_a_moment(events, as_of, message) -> None:
    with pytest.raises(InputError, match=message):
        fc.parse_as_of(as_of, events, "Europe/Berlin")


@pytest.mark.parametrize(("horizon", "message"), [("0d", "at least one day"),
                                                  ("36h", "whole days"),
                                                  ("400d", "at most 365 days")])  # fmt: skip
def test_a_horizon_of_nothing_or_of_parts_of_days(horizon, message) -> None:
    with pytest.raises(InputError, match=message):
        fc.ForecastSettings(horizon=horizon)


def test_no_open_orders_at_as_of(inputs, tmp_path) -> None:
    """The small study's log ends when its last order is delivered: nothing open then."""
    with pytest.raises(fc.NoOpenOrders, match="no open orders"):
        fc.forecast(inputs, tmp_path, fc.ForecastSettings(replications=2, jobs=1))


def test_no_delivered_role(small_study, tmp_path) -> None:
    study = (small_study / "study.yaml").read_text(encoding="utf-8")
    copy = tmp_path / "scenarios"
    copy.mkdir()
    (copy / "study.yaml").write_text(
        study.replace("  delivered: Delivered", "").replace(
            "../event_logs/orders.csv", str(small_study.parent / "event_logs" / "orders.csv")
        ).replace("../event_logs/sample_crm_tiers.csv",
                  str(small_study.parent / "event_logs" / "sample_crm_tiers.csv")),
        encoding="utf-8",
    )  # fmt: skip
    (copy / "documented_process.bpmn").write_bytes(
        (small_study / "documented_process.bpmn").read_bytes()
    )
    with pytest.raises(InputError, match=r"roles\.delivered"):
        fc.forecast(resolve_inputs(copy), tmp_path / "out", fc.ForecastSettings(as_of="2025-04-01"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2024-12-01"], "before the log starts"),
        (["--as-of", "2027-06-01"], "after the log ends"),
        (["--horizon", "0d"], "at least one day"),
        ([], "no open orders"),
        (["--replications", "1"], "--replications"),
    ],
)
def test_the_command_says_it_in_one_line(small_study, tmp_path, args, message) -> None:
    result = CliRunner().invoke(
        cli, ["forecast", str(small_study), "--jobs", "1", "--out", str(tmp_path), *args]
    )
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    assert not (tmp_path / "daily.csv").exists()
