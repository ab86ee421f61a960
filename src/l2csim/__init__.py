"""l2csim: lead-to-cash process mining and simulation studies.

The public API is re-exported here; the CLI (`l2csim ...`) is a thin layer over it.
"""

from l2csim.errors import InputError, L2csimError, StudyError
from l2csim.log import EventLog, LogSource, read_log
from l2csim.study import Study, load_study

__version__ = "0.1.0"

__all__ = [
    "EventLog",
    "InputError",
    "L2csimError",
    "LogSource",
    "Study",
    "StudyError",
    "__version__",
    "load_study",
    "read_log",
]
