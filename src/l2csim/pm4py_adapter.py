"""The one place that imports pm4py, so its quirks are handled once.

pm4py prints a licence banner when imported from a script's top level; our users should
see l2csim's output only. pm4py is also slow to import (seconds), so it is imported on
first use rather than when l2csim is imported.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from types import ModuleType

from l2csim.errors import L2csimError


def pm4py() -> ModuleType:
    """Return the pm4py module, imported quietly."""
    sys._pm4py_welcome_shown = True  # type: ignore[attr-defined]
    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")
    os.environ.setdefault("PM4PY_SHOW_INTERNAL_WARNINGS", "False")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py as module

    return module


def pm4py_module(name: str) -> ModuleType:
    """Return a pm4py submodule (e.g. an algorithm with its Parameters), imported quietly."""
    import importlib

    pm4py()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(name)


def require_graphviz() -> str:
    """Return the path of graphviz's `dot`, or fail up front with how to install it.

    pm4py would otherwise raise `ExecutableNotFound` deep inside a rendering call.
    """
    dot = shutil.which("dot")
    if dot is None:
        raise L2csimError(
            "graphviz's 'dot' program was not found on PATH; install it "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz)."
        )
    return dot
