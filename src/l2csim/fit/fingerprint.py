"""Which log a model was fitted from: content hash, size and period.

The path is kept as the file name only, so the same log fitted from another folder gives
the same model file; the sha256 identifies the content exactly.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from l2csim.log import START, TIMESTAMP, EventLog
from l2csim.params import LogFingerprint

CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


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
