"""Writing outputs safely: atomically, and with log text made harmless for spreadsheets.

A failed run must never leave a half-written file that looks complete, so every file is
written to a temporary name in the same folder and renamed into place.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write text atomically (UTF-8, newline as given)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
    return Path(path)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write bytes atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write JSON atomically, with sorted keys so identical inputs give identical bytes."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=_json_default)
    return write_text(path, text + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells cannot run as spreadsheet formulas.

    Text from an event log is untrusted: a cell such as `=HYPERLINK(...)` would execute when
    a consultant opens the CSV. Such cells get a leading apostrophe (OWASP's advice); numbers
    stay numbers.
    """
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            text = series.astype("string")
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False)
            if risky.any():
                out[column] = series.where(~risky, "'" + text)
    return out


def write_csv(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    """Write a table as CSV atomically, with formula-like text neutralised."""
    with atomic_path(path) as tmp:
        neutralise_formulas(frame).to_csv(tmp, index=False, lineterminator="\n")
    return Path(path)


def write_parquet(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    """Write a table as Parquet atomically."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
    return Path(path)
