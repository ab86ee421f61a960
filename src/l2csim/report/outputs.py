"""Reading a study output folder (one sub-folder per stage) for the report.

A stage that has not run yet is not an error: its files read as None and the section
says so. A file that is there but unreadable is an InputError naming it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from l2csim import layout
from l2csim.errors import InputError, StudyError
from l2csim.output import read_csv_table


@dataclass(frozen=True)
class StudyOutputs:
    """The folder `l2csim study` writes: check/, mine/, customers/, fit/, validate/,
    simulate/<scenario>/, compare/, report/."""

    root: Path

    def path(self, relative: str) -> Path:
        return self.root / relative

    def json(self, relative: str) -> Any | None:
        path = self.root / relative
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise InputError(
                f"{path}: not readable JSON ({error}); rerun the stage that writes it."
            ) from None

    def csv(self, relative: str) -> pd.DataFrame | None:
        path = self.root / relative
        if not path.is_file():
            return None
        try:
            return read_csv_table(path, keep_default_na=False, na_values=[""])
        except (pd.errors.ParserError, UnicodeDecodeError) as error:
            raise InputError(
                f"{path}: not readable CSV ({error}); rerun the stage that writes it."
            ) from None

    def text(self, relative: str) -> str | None:
        path = self.root / relative
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def scenarios(self) -> list[str]:
        """Simulated scenarios, baseline first, then in comparison order or by name."""
        folder = self.root / layout.SIMULATE
        names = (
            sorted(p.name for p in folder.iterdir() if (p / layout.KPIS_PARQUET).is_file())
            if folder.is_dir()
            else []
        )
        comparison = self.json(layout.rel(layout.COMPARE, layout.COMPARISON_JSON)) or {}
        order = [s.get("name") for s in comparison.get("scenarios", [])]
        rank = {n: i for i, n in enumerate(["baseline", *order])}
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))

    def kpis(self, scenario: str) -> pd.DataFrame:
        return pd.read_parquet(self.root / "simulate" / scenario / layout.KPIS_PARQUET)


def open_outputs(root: Path) -> StudyOutputs:
    """The study output folder, or a StudyError saying how to make one."""
    if not root.is_dir():
        raise StudyError(
            f"{root}: no such study output folder; run `l2csim study` first "
            "(it writes outputs/study/), or give the folder it wrote."
        )
    stages = ("check", "mine", "customers", "fit", "validate", "simulate", "compare")
    if not any((root / s).is_dir() for s in stages):
        raise StudyError(
            f"{root}: not a study output folder (it holds none of "
            f"{', '.join(s + '/' for s in stages)}); "
            "give the folder `l2csim study` wrote (default outputs/study)."
        )
    return StudyOutputs(root)
