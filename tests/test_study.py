"""The study file: valid files load, every mistake is named by key path with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from l2csim.errors import StudyError
from l2csim.study import load_study

VALID = """
log:
  path: orders.csv
  columns: {case: order_ref, activity: event, timestamp: event_time,
            resource: performed_by, customer: cust_no}
  case_attributes: [cust_name, product_line, order_value, promised_by]
  timezone: Europe/Berlin
roles:
  order_received: Order received
  delivered: [Shipped, Delivered]
  chase_call: [Customer chase call]
  courtesy_call: [Courtesy call]
  milestones: [Order confirmed, Shipped, Delivered]
  rework: [Correct order data]
segments: [product_line]
reference_process: documented_process.bpmn
"""


@pytest.fixture
def study_dir(tmp_path: Path) -> Path:
    (tmp_path / "orders.csv").write_text("order_ref,event,event_time\n1,A,2025-01-06\n")
    (tmp_path / "documented_process.bpmn").write_text("<definitions/>")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "study.yaml"
    path.write_text(text)
    return path


def test_valid_study_resolves_relative_paths(study_dir: Path) -> None:
    study = load_study(write(study_dir, VALID))
    assert study.log_path == (study_dir / "orders.csv").resolve()
    assert study.reference_process_path == (study_dir / "documented_process.bpmn").resolve()
    assert study.roles.order_received == ["Order received"]  # a string becomes a list
    assert study.roles.delivered == ["Shipped", "Delivered"]
    assert study.segment_columns == ["case:product_line"]
    assert study.log.columns.customer == "cust_no"


def test_folder_finds_its_study_file(study_dir: Path) -> None:
    write(study_dir, VALID)
    assert load_study(study_dir).log.timezone == "Europe/Berlin"


def test_unknown_key_names_path_and_suggests(study_dir: Path) -> None:
    path = write(study_dir, VALID.replace("case_attributes:", "case_atributes:"))
    with pytest.raises(
        StudyError,
        match=r"log\.case_atributes: unknown key\. Did you mean 'case_attributes'\? Allowed here: path, columns",
    ):
        load_study(path)


def test_unknown_nested_key(study_dir: Path) -> None:
    path = write(study_dir, VALID.replace("customer: cust_no", "client: cust_no"))
    with pytest.raises(
        StudyError, match=r"log\.columns\.client: unknown key.*Allowed here: case, activity"
    ):
        load_study(path)


def test_wrong_type(study_dir: Path) -> None:
    path = write(study_dir, VALID.replace("segments: [product_line]", "segments: {a: 1}"))
    with pytest.raises(StudyError, match=r"segments: Input should be a valid list"):
        load_study(path)


def test_unknown_timezone(study_dir: Path) -> None:
    path = write(study_dir, VALID.replace("Europe/Berlin", "Mars/Olympus"))
    with pytest.raises(StudyError, match=r"log\.timezone: unknown time zone 'Mars/Olympus'"):
        load_study(path)


def test_missing_log_and_reference_files(study_dir: Path) -> None:
    path = write(study_dir, VALID.replace("orders.csv", "missing.csv"))
    with pytest.raises(StudyError, match=r"log\.path: missing\.csv does not exist"):
        load_study(path)
    path = write(study_dir, VALID.replace("documented_process.bpmn", "nope.bpmn"))
    with pytest.raises(StudyError, match=r"reference_process: nope\.bpmn does not exist"):
        load_study(path)


def test_missing_required_key(study_dir: Path) -> None:
    with pytest.raises(StudyError, match=r"log: required key is missing"):
        load_study(write(study_dir, "segments: [a]\n"))


def test_invalid_yaml_names_line(study_dir: Path) -> None:
    with pytest.raises(StudyError, match=r"invalid YAML at line 3, column 13: mapping values"):
        load_study(write(study_dir, "log:\n  path: a.csv\n  columns: a: b\n"))


def test_empty_and_non_mapping_files(study_dir: Path) -> None:
    with pytest.raises(StudyError, match="the file is empty"):
        load_study(write(study_dir, ""))
    with pytest.raises(StudyError, match="expected a mapping"):
        load_study(write(study_dir, "- a\n- b\n"))


def test_missing_study_file(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="study file not found"):
        load_study(tmp_path / "study.yaml")
    with pytest.raises(StudyError, match=r"no study\.yaml in this folder"):
        load_study(tmp_path)


def test_calls_section_states_the_hold_and_refuses_a_backwards_redial(study_dir: Path) -> None:
    path = write(study_dir, VALID + "calls:\n  hold_minutes: 3\n  redial_hours: [2, 4]\n")
    calls = load_study(path).calls
    assert (calls.hold_minutes, calls.redial_hours, calls.redials, calls.stated) == (
        3.0,
        (2.0, 4.0),
        None,
        True,
    )
    path = write(study_dir, VALID + "calls:\n  redial_hours: [4, 2]\n")
    with pytest.raises(StudyError, match=r"calls: .*redial_hours: \[4\.0, 2\.0\] must be"):
        load_study(path)
