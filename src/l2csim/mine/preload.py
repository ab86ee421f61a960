"""Imported by the fork server `mine`'s workers start from: pm4py, once and quietly, so
every worker begins with it loaded (see l2csim.mine.workers)."""

from l2csim.pm4py_adapter import pm4py

pm4py()
import l2csim.mine.workers  # noqa: E402,F401  (what the workers unpickle their tasks from)
