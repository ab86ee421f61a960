"""Finding a command's inputs: study files, bare logs with flags, and role names checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from l2csim.errors import L2csimError, StudyError
from l2csim.inputs import LogOverrides, read_inputs_log, resolve_inputs
from l2csim.log import CUSTOMER


@pytest.fixture
def study_dir(tmp_path: Path) -> Path:
    (tmp_path / "orders.csv").write_text(
        "order_ref,event,event_time,cust_no\n"
        "1,Order received,2025-01-06 09:00,C1\n1,Customer chase call,2025-01-07 09:00,C1\n"
    )
    (tmp_path / "study.yaml").write_text(
        "log:\n  path: orders.csv\n"
        "  columns: {case: order_ref, activity: event, timestamp: event_time}\n"
        "roles:\n  order_received: Order received\n  chase_call: Customer chase call\n"
    )
    return tmp_path


def test_study_and_flag_overrides(study_dir: Path) -> None:
    inputs = resolve_inputs(study_dir / "study.yaml", LogOverrides(customer="cust_no"))
    log = read_inputs_log(inputs)
    assert log.n_events == 2
    assert list(log.events[CUSTOMER]) == ["C1", "C1"]


def test_bare_log_with_flags(study_dir: Path) -> None:
    overrides = LogOverrides(case="order_ref", activity="event", timestamp="event_time")
    inputs = resolve_inputs(study_dir / "orders.csv", overrides)
    assert inputs.study is None
    assert read_inputs_log(inputs).n_cases == 1


def test_role_naming_an_unknown_activity(study_dir: Path) -> None:
    text = (
        (study_dir / "study.yaml").read_text().replace("Customer chase call", "Customer chase cal")
    )
    (study_dir / "study.yaml").write_text(text)
    with pytest.raises(
        StudyError,
        match=r"roles\.chase_call: 'Customer chase cal' is not an activity in the log\. Did you mean 'Customer chase call'\?",
    ):
        read_inputs_log(resolve_inputs(study_dir))


def test_no_argument_without_default_study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(L2csimError, match="no study or log given"):
        resolve_inputs(None)
