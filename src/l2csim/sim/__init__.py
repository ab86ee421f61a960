"""The lead-to-cash simulation: SimPy processes for customers, orders, staff and calls.

One module per concept (as in Ciw): customers (intake), orders, staff (pools and their
queues), calendars, routing, disciplines (queue policies), calls (chase and courtesy),
retention, kpis (streaming trackers), model (the wiring), streams and replications.
Policies, parameters and KPIs are plain data; SimPy stays in staff, calls and model.
"""

from l2csim.sim.model import Simulation
from l2csim.sim.replications import (
    KPI_COLUMNS,
    ReplicationResult,
    RunSpec,
    kpi_frame,
    run_replication,
    run_replications,
)
from l2csim.sim.streams import STREAMS, replication_streams

__all__ = [
    "KPI_COLUMNS",
    "STREAMS",
    "ReplicationResult",
    "RunSpec",
    "Simulation",
    "kpi_frame",
    "replication_streams",
    "run_replication",
    "run_replications",
]
