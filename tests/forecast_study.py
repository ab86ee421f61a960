"""A small study for the forecast tests (tests/forecast): the bundled sample's first weeks, with hostile text.

The orders received before `LAST_ORDER` (about 1,000 orders, all finishing in the log, so the
log's last event has no open orders), the sample's study file and scenarios, and two orders
open at `AS_OF` whose customer is keyed as a spreadsheet formula and as markup.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
LAST_ORDER = "2025-04-15"
AS_OF = "2025-04-01"
FORMULA_CUSTOMER = '=HYPERLINK("http://example.com","x")'
MARKUP_CUSTOMER = "<script>alert(1)</script>"


def write_small_study(root: Path, hostile: bool = True) -> Path:
    """The small study under root; returns root/scenarios."""
    log = pd.read_csv(REPO / "event_logs" / "sample_orders.csv", dtype=str, keep_default_na=False)
    received = log[log["event"] == "Order received"].groupby("order_ref")["event_time"].min()
    keep = received[received.str[:10] < LAST_ORDER].index
    log = log[log["order_ref"].isin(keep)].copy()
    if hostile:
        times = pd.to_datetime(log["event_time"], utc=True)
        by_order = times.groupby(log["order_ref"])
        as_of = pd.Timestamp(AS_OF, tz="UTC")
        # Long open at as-of (past their promise): at the top of the call list.
        open_then = by_order.min().lt(as_of - pd.Timedelta(days=14)) & by_order.max().gt(
            as_of + pd.Timedelta(days=2)
        )
        chosen = sorted(open_then[open_then].index)[:2]
        for order, customer in zip(chosen, (FORMULA_CUSTOMER, MARKUP_CUSTOMER), strict=True):
            log.loc[log["order_ref"] == order, "cust_no"] = customer
            log.loc[log["order_ref"] == order, "order_value"] = "9999999.00"
    (root / "event_logs").mkdir(parents=True)
    log.to_csv(root / "event_logs" / "orders.csv", index=False)
    shutil.copy(REPO / "event_logs" / "sample_crm_tiers.csv", root / "event_logs")
    scenarios = root / "scenarios"
    scenarios.mkdir()
    for name in ("baseline.yaml", "one_more_cs_agent.yaml", "documented_process.bpmn"):
        shutil.copy(REPO / "scenarios" / name, scenarios / name)
    study = (REPO / "scenarios" / "study.yaml").read_text(encoding="utf-8")
    study = study.replace("../event_logs/sample_orders.csv", "../event_logs/orders.csv")
    (scenarios / "study.yaml").write_text(study, encoding="utf-8")
    return scenarios
