"""l2csim: lead-to-cash process mining and simulation studies.

The public API is re-exported here; the CLI (`l2csim ...`) is a thin layer over it. The
names are loaded on first use, so `import l2csim` (and `l2csim --help`) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from l2csim.errors import InputError, L2csimError, StudyError

__version__ = "0.1.0"

# name -> module that defines it
_LAZY = {
    "EventLog": "l2csim.log",
    "LogSource": "l2csim.log",
    "read_log": "l2csim.log",
    "Study": "l2csim.study",
    "load_study": "l2csim.study",
    "RunSettings": "l2csim.settings",
}

__all__ = [
    "EventLog",
    "InputError",
    "L2csimError",
    "LogSource",
    "RunSettings",
    "Study",
    "StudyError",
    "__version__",
    "load_study",
    "read_log",
]

if TYPE_CHECKING:
    from l2csim.log import EventLog, LogSource, read_log
    from l2csim.settings import RunSettings
    from l2csim.study import Study, load_study


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'l2csim' has no attribute {name!r}")
