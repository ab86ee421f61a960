"""The bundled sample: a seeded lead-to-cash operation with planted problems and their truth.

`generate_sample` runs the SimPy model of a mid-market order operation for a period and
returns the event log, the ground truth of what was planted (see `l2csim.sample.truth`) and
the CRM's tier list; `write_sample` writes all of it as a complete study folder. The same
seed gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from l2csim.output import write_csv, write_json, write_text
from l2csim.sample.crm import crm_tiers
from l2csim.sample.customers import build_customers
from l2csim.sample.eventlog import csv_table, finish_table, raw_table, sort_table
from l2csim.sample.faults import plant_faults
from l2csim.sample.operation import Operation
from l2csim.sample.streams import Streams
from l2csim.sample.truth import build_truth

DEFAULT_START = dt.date(2025, 1, 6)

ORDERS_CSV = Path("event_logs") / "sample_orders.csv"
TRUTH_JSON = Path("event_logs") / "sample_truth.json"
CRM_CSV = Path("event_logs") / "sample_crm_tiers.csv"
STUDY_YAML = Path("scenarios") / "study.yaml"
REFERENCE_BPMN = Path("scenarios") / "documented_process.bpmn"

__all__ = ["DEFAULT_START", "Sample", "generate_sample", "write_sample"]


@dataclass(frozen=True)
class Sample:
    """A generated sample: the order log (CSV column names), its truth, the CRM tier list.

    `events.event_time` is tz-aware (Europe/Berlin); `order_value` is a float with two
    decimals; rows are in the order written.
    """

    events: pd.DataFrame
    truth: dict[str, Any]
    crm_tiers: pd.DataFrame


def generate_sample(seed: int = 42, days: int = 365, start: dt.date = DEFAULT_START) -> Sample:
    """Simulate `days` days of order intake from `start` (all orders run to completion)."""
    if days < 28:
        raise ValueError(f"days must be at least 28 (got {days}); reorder cadences need weeks.")
    streams = Streams.from_seed(seed)
    customers = build_customers(streams.customers, streams.names, days)
    operation = Operation(customers, streams, start, days)
    operation.run()
    table, faults = plant_faults(raw_table(operation), operation, streams.faults)
    events = finish_table(sort_table(table), operation.clock)
    crm, crm_faults = crm_tiers(customers, streams.crm)
    truth = build_truth(events, operation, faults, crm_faults, seed, start, days)
    return Sample(events=events, truth=truth, crm_tiers=crm)


def write_sample(out_dir: Path, seed: int = 42, days: int = 365) -> list[Path]:
    """Write the sample as a study folder under `out_dir`; return the paths written.

    Files: event_logs/sample_orders.csv, sample_truth.json, sample_crm_tiers.csv and
    scenarios/study.yaml, documented_process.bpmn (the study file and reference process)
    and the shipped scenarios (baseline.yaml and the policies compared with it), so the
    folder is a whole study that `l2csim study` runs.
    """
    out_dir = Path(out_dir)
    sample = generate_sample(seed=seed, days=days)
    package = resources.files(__name__)
    return [
        write_csv(out_dir / ORDERS_CSV, csv_table(sample.events)),
        write_json(out_dir / TRUTH_JSON, sample.truth),
        write_csv(out_dir / CRM_CSV, sample.crm_tiers),
        write_text(out_dir / STUDY_YAML, package.joinpath("study.yaml").read_text("utf-8")),
        write_text(
            out_dir / REFERENCE_BPMN,
            package.joinpath("documented_process.bpmn").read_text("utf-8"),
        ),
        *[
            write_text(out_dir / "scenarios" / scenario.name, scenario.read_text("utf-8"))
            for scenario in sorted(
                package.joinpath("scenarios").iterdir(), key=lambda entry: entry.name
            )
            if scenario.name.endswith(".yaml")
        ],
    ]
