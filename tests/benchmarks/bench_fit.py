"""Benchmark: `fit_model` on BPI Challenge 2012 (164,511 events after pairing start/complete).

Reports the fit's wall time and, as the reference measured in the same run, the time to
compute one directly-follows count with plain pandas (the cheapest pass over the same
events any process-mining step makes); the ratio says how many such passes the whole fit
costs. Reading the XES file is timed apart and not part of the fit.

    python tests/benchmarks/bench_fit.py [--repeat 3]

Not a pytest test: run it by hand; results go to tests/benchmarks/results/fit.json.
Exits 1 when the fit takes longer than TARGET_SECONDS (median).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))

from l2csim.fit import fit_model  # noqa: E402
from l2csim.log import ACTIVITY, CASE, TIMESTAMP, read_log  # noqa: E402

# The large public logs are not shipped: L2CSIM_SHARED_DATA names their folder.
SOURCE_LOG = Path(os.environ.get("L2CSIM_SHARED_DATA", "../shared/data")) / "bpic2012.xes.gz"
RESULTS = HERE / "results" / "fit.json"
TARGET_SECONDS = 5.0


def directly_follows(events) -> int:
    ordered = events.sort_values([CASE, TIMESTAMP], kind="stable")
    same = ordered[CASE].eq(ordered[CASE].shift())
    pairs = ordered[ACTIVITY].shift()[same] + " > " + ordered[ACTIVITY][same]
    return int(pairs.value_counts().size)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    began = time.perf_counter()
    log = read_log(SOURCE_LOG)
    read_seconds = time.perf_counter() - began
    fits, references = [], []
    for _ in range(args.repeat):
        began = time.perf_counter()
        directly_follows(log.events)
        references.append(time.perf_counter() - began)
        began = time.perf_counter()
        fit_model(log)
        fits.append(time.perf_counter() - began)
    result = {
        "log": SOURCE_LOG.name,
        "events": log.n_events,
        "cases": log.n_cases,
        "read_seconds": round(read_seconds, 3),
        "fit_seconds": [round(s, 3) for s in fits],
        "fit_median_seconds": round(statistics.median(fits), 3),
        "reference_seconds": [round(s, 3) for s in references],
        "ratio_fit_to_directly_follows": round(
            statistics.median(fits) / statistics.median(references), 1
        ),
        "events_per_second": round(log.n_events / statistics.median(fits)),
        "machine": platform.platform(),
        "target_seconds": TARGET_SECONDS,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0 if result["fit_median_seconds"] <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
