"""The README's speed section, rendered from the benchmarks' results files.

Every figure in the section between the markers `<!-- speed:begin -->` and
`<!-- speed:end -->` of README.md comes from tests/benchmarks/results/*.json (written by
bench_study.py, bench_mine.py and bench_simulate.py), with the load it was measured under,
so the README never states a speed nobody measured.

    python tests/benchmarks/speed_section.py           # print the section
    python tests/benchmarks/speed_section.py --write   # replace it in README.md
    python tests/benchmarks/speed_section.py --check   # exit 1 when README.md differs
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
README = HERE.parents[1] / "README.md"
BEGIN, END = "<!-- speed:begin -->", "<!-- speed:end -->"
STAGES = ("check", "mine", "customers", "fit", "validate", "simulate/*", "compare", "report")


def _read(name: str) -> dict | None:
    path = RESULTS / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _range(s: dict, digits: int = 1, unit: str = "") -> str:
    return f"{s['min']:.{digits}f}{unit}–{s['max']:.{digits}f}{unit}"


def _loads(runs: list[dict]) -> str:
    values = [r["load_before"][0] for r in runs]
    return f"{min(values):.1f}–{max(values):.1f}"


def study_part(doc: dict) -> list[str]:
    this = doc["this"]
    runs = this["runs"]
    n = len(runs)
    lines = [
        f"`l2csim study` on the bundled sample from a cold start (an empty folder, so the "
        f"sample is generated first; `{doc['command']}`), {n} run(s) on a "
        f"{doc['machine']['cpus']}-core machine shared with other work (1-minute load "
        f"average {_loads(runs)} before the runs, the previous run's own tail included), "
        f"measured {doc['measured'][:10]} at commit "
        f"`{doc['commit']}` by `tests/benchmarks/bench_study.py`:",
        "",
        "| stage | median s | range |",
        "| --- | --- | --- |",
    ]
    for stage in STAGES:
        s = this["stages"].get(stage)
        if s is not None:
            lines.append(f"| `{stage}` | {s['median']:.1f} | {_range(s)} |")
    wall, cpu = this["wall"], this["cpu"]
    lines += [
        f"| **whole command, wall clock** (sample generation and Python start-up included) "
        f"| **{wall['median']:.1f}** | **{_range(wall)}** |",
        "",
        f"`mine` and `validate` run beside the stages after them, so their seconds overlap. "
        f"CPU time of the whole process tree (workers included): median {cpu['median']:.1f} s "
        f"({_range(cpu)}); the largest process peaked at {this['peak_mb']['max']} MB. The "
        f"target is ≤ {doc['target_seconds']:g} s of wall clock on 2 idle cores: "
        + (
            "met."
            if wall["median"] <= doc["target_seconds"]
            else f"not met (half the least CPU time measured, {cpu['min'] / 2:.1f} s, is "
            "the floor on two cores however well the work is spread)."
        ),
    ]
    if "baseline" in doc:
        lines += [
            "",
            "| pair | load before (this, baseline) | this tree s | baseline s | ratio |",
            "| --- | --- | --- | --- | --- |",
        ]
        for i, (a, b) in enumerate(zip(runs, doc["baseline"]["runs"], strict=True), 1):
            lines.append(
                f"| {i} | {a['load_before'][0]:.1f}, {b['load_before'][0]:.1f} | "
                f"{a['wall']:.1f} | {b['wall']:.1f} | {a['wall'] / b['wall']:.2f} |"
            )
    if "ratio_wall" in doc:
        label = doc.get("baseline_label") or "the baseline tree"
        lines += [
            "",
            f"Paired with {label} in the same session (runs interleaved): wall clock "
            f"{doc['ratio_wall']['median']:.2f}× ({_range(doc['ratio_wall'], 2, '×')}), CPU "
            f"time {doc['ratio_cpu']['median']:.2f}× ({_range(doc['ratio_cpu'], 2, '×')}).",
        ]
    help_ = doc.get("help")
    if help_:
        lines += [
            "",
            f"Start-up: `l2csim --help` takes {help_['wall']['median']:.2f} s of wall clock "
            f"(median of {len(help_['runs'])} runs, {_range(help_['wall'], 2, ' s')}).",
        ]
    return lines


def mine_part(doc: dict) -> list[str]:
    lines: list[str] = []
    for key, entry in doc.items():
        if lines:
            lines.append("")  # one paragraph per log
        pairs = entry["pairs"]
        loads = [p[w]["load"] for p in pairs for w in ("l2csim", "pm4py")]
        what = entry.get("events_note") or key
        reference = (
            " (with conformance against a documented process)"
            if entry.get("reference_process")
            else ""
        )
        lines.append(
            f"`l2csim mine` on {what}{reference} against the plain pm4py sequence (read, DFG, "
            f"performance DFG, variants, inductive miner, token replay), {len(pairs)} pairs "
            f"in one run, measured {entry['measured'][:10]} (`tests/benchmarks/bench_mine.py`; "
            f"load {min(loads):.1f}–{max(loads):.1f}): l2csim {entry['l2csim_seconds']['median']:.1f} s "
            f"({_range(entry['l2csim_seconds'])}), pm4py {entry['pm4py_seconds']['median']:.1f} s "
            f"({_range(entry['pm4py_seconds'])}); time ratio {entry['ratio_time']['median']:.2f}× "
            f"({_range(entry['ratio_time'], 2, '×')}), target {entry.get('target', '≤ 0.5×')}; "
            f"peak memory ratio {entry['ratio_memory']['median']:.2f}× "
            f"({_range(entry['ratio_memory'], 2, '×')}) for the largest process"
            + (
                f", {entry['ratio_memory_tree']['median']:.2f}× "
                f"({_range(entry['ratio_memory_tree'], 2, '×')}) for the whole process tree "
                f"(proportional set size, mine's worker and graphviz included)"
                if "ratio_memory_tree" in entry
                else ""
            )
            + (f"; mine with `--jobs {entry['jobs']}`" if "jobs" in entry else "")
            + "."
        )
    return lines


def simulate_part(doc: dict) -> list[str]:
    rows = []
    models = [(n, e) for n, e in doc.items() if isinstance(e, dict) and "year" in e]
    for name, entry in sorted(
        models, key=lambda m: (m[0].split("_x")[0], m[1].get("demand_factor", 1))
    ):
        year = entry["year"]
        factor = entry.get("demand_factor", 1.0)
        ratio = entry.get("ratio_to_prosimos")
        before = entry.get("speedup_over_baseline")
        unanswered = year.get("unanswered_calls_per_event")
        both = year.get("events_and_unanswered_calls_per_cpu_second_median")
        rows.append(
            f"| `{name}` | ×{factor:g} | {year['events_per_cpu_second_median']:,.0f} | "
            f"{year['min']:,.0f}–{year['max']:,.0f} | "
            + (f"{unanswered:.2f} | {both:,.0f} | " if unanswered is not None else "– | – | ")
            + (f"{ratio:.1f}× | " if ratio is not None else "– | ")
            + (f"{before:.2f}× |" if before is not None else "– |")
        )
    memory = [
        f"`{name}` {e['peak_bytes']['90d'] / 1e6:.1f} MB at 90 days, "
        f"{e['peak_bytes']['730d'] / 1e6:.1f} MB at 2 years"
        for name, e in models
        if e.get("peak_bytes")
    ]
    load = doc.get("load_average_start") or ["?"]
    end = doc.get("load_average_end") or ["?"]
    prosimos = (doc.get("prosimos") or {}).get("credit_application") or {}
    reference = (
        f" Prosimos, in the same run, {prosimos['events_per_cpu_second_median']:,.0f} events "
        "per CPU second: the machine's speed moves from day to day (a shared host), so "
        "compare the ratios, not events per second measured on different days."
        if prosimos
        else ""
    )
    label = (doc.get("baseline") or {}).get("label") or "the baseline tree"
    return [
        f"Simulation speed, one replication of a year per fresh process (CPU seconds of the "
        f"replication and the clean-up after it), measured {str(doc.get('measured', '?'))[:10]} "
        f"at commit `{doc.get('commit')}` by `tests/benchmarks/bench_simulate.py` (load "
        f"{load[0]} at the start, {end[0]} at the end); the overloaded models keep the staff "
        f"and multiply demand; an unanswered call (a caller on hold hangs up and dials again "
        f"later) is simulated work but no event in a log, so it is counted beside the events; "
        f"the last column is the speed against {label}, interleaved in the same run."
        f"{reference}",
        "",
        "| model | demand | events per CPU second (median) | range | unanswered calls per "
        "event | events and unanswered calls per CPU second | vs Prosimos | vs before |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        *(
            ["", "Peak traced memory of one replication: " + "; ".join(memory) + "."]
            if memory
            else []
        ),
    ]


def render() -> str:
    """The section's text from the results files (a part whose file is missing says so)."""
    parts = []
    for name, part in (
        ("study.json", study_part),
        ("mine.json", mine_part),
        ("simulate.json", simulate_part),
    ):
        doc = _read(name)
        parts.append(
            "\n".join(part(doc)) if doc else f"(not measured: tests/benchmarks/results/{name})"
        )
    note = (
        "<!-- Generated by tests/benchmarks/speed_section.py from tests/benchmarks/results/; "
        "rerun the benchmarks and then the script with --write rather than editing here. -->"
    )
    return "\n\n".join([note, *parts])


def replaced(readme: str, section: str) -> str:
    """README text with the part between the markers replaced by `section`."""
    if BEGIN not in readme or END not in readme:
        raise SystemExit(f"{README}: no {BEGIN} ... {END} markers in the speed section")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{section}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true")
    group.add_argument("--check", action="store_true")
    args = parser.parse_args()
    section = render()
    if not (args.write or args.check):
        print(section)
        return 0
    text = README.read_text(encoding="utf-8")
    new = replaced(text, section)
    if args.check:
        if new != text:
            print("README.md's speed section differs from the results files; run with --write")
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
