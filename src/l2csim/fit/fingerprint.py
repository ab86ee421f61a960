"""Which log a model was fitted from: content hash, size and period.

The path is kept as the file name only, so the same log fitted from another folder gives
the same model file; the sha256 identifies the content exactly.
"""

from __future__ import annotations

from pathlib import Path

from l2csim.log import START, TIMESTAMP, EventLog
from l2csim.output import sha256_file
from l2csim.params import LogFingerprint


def sha256_of(path: Path) -> str:
    """The log's content hash (output.sha256_file: one hash for all of l2csim)."""
    return sha256_file(path)


def fingerprint(log: EventLog) -> LogFingerprint:
    events = log.events
    first = events[TIMESTAMP].min()
    if START in events and events[START].notna().any():
        first = min(first, events[START].min())
    return LogFingerprint(
        path=Path(log.source).name,
        sha256=sha256_of(Path(log.source)),
        events=log.n_events,
        cases=log.n_cases,
        period_start=first.isoformat(),
        period_end=events[TIMESTAMP].max().isoformat(),
    )
