"""Outputs are written atomically and log text cannot run as a spreadsheet formula."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from l2csim.output import atomic_path, neutralise_formulas, write_csv, write_json


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out" / "kpis.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_failed_rewrite_keeps_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "quality.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("{")
        raise RuntimeError
    assert target.read_text() == '{\n  "a": 1\n}\n'


def test_formulas_neutralised_numbers_kept(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "name": ["=HYPERLINK('http://x')", "+1", "@SUM(A1)", "-2", "ACME", None],
            "value": [-1, 2, 3, 4, 5, 6],
        }
    )
    safe = neutralise_formulas(frame)
    assert list(safe["name"][:4]) == ["'=HYPERLINK('http://x')", "'+1", "'@SUM(A1)", "'-2"]
    assert safe["name"][4] == "ACME" and safe["name"][5] is None
    assert list(safe["value"]) == [-1, 2, 3, 4, 5, 6]
    path = write_csv(tmp_path / "t.csv", frame)
    assert "\n'=HYPERLINK" in path.read_text()


def test_outputs_get_ordinary_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        path = write_json(tmp_path / "a.json", {})
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_json_is_deterministic(tmp_path: Path) -> None:
    first = write_json(
        tmp_path / "a.json", {"b": [1, 2], "a": pd.Timestamp("2025-01-01", tz="UTC")}
    )
    second = write_json(
        tmp_path / "b.json", {"a": pd.Timestamp("2025-01-01", tz="UTC"), "b": [1, 2]}
    )
    assert first.read_bytes() == second.read_bytes()
