"""Writing outputs safely: atomically, one folder at a time, one run at a time per folder,
and with log text made harmless for spreadsheets and browsers.

A failed run must never leave a half-written file that looks complete, nor a folder that
mixes files of two runs: every file is written to a temporary name in its folder and renamed
into place, and a command's whole output folder is built beside the old one and swapped in
with one rename (`staged_folder`). `out_folder_lock` keeps a second run out of a folder
another run is writing. This module also holds the one content hash (sha256) l2csim uses.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from l2csim.errors import InputError, L2csimError

if TYPE_CHECKING:
    import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A cell that a spreadsheet would run as a formula, possibly already behind apostrophes: one
# more apostrophe neutralises it, and reading removes exactly one, so the round trip is lossless.
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
_NEUTRALISED = re.compile(r"^'+[=+\-@\t\r]")
CHUNK = 1 << 20
# A folder holding more files than this that l2csim did not write is not swapped (see
# staged_folder): --out must name a folder of l2csim's own, not a home or project folder.
MAX_FOREIGN_FILES = 200


# --- hashing ------------------------------------------------------------------------------------


def sha256_file(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def sha256_json(data: Any) -> str:
    """sha256 of a JSON-able value (keys sorted): a key for settings and input lists."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def folder_hashes(folder: Path) -> dict[str, str]:
    """Relative path → sha256 of every file under a folder ({} when there is no folder)."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- atomic files ---------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = ".part") -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` only on success.

    `suffix` ends the temporary name, for writers that insist on an extension (XES).
    """
    target = Path(path)
    with os_errors(target.parent):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
        os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
    try:
        with os_errors(target):
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
    import pandas as pd

    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


# --- spreadsheets: formulas neutralised, losslessly -------------------------------------------


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells cannot run as spreadsheet formulas.

    Text from an event log is untrusted: a cell such as `=HYPERLINK(...)` would execute when
    a consultant opens the CSV. Such cells get a leading apostrophe (OWASP's advice); numbers
    stay numbers. Cells already written as apostrophes before a formula character get one
    more, so `restore_formulas` gives back exactly the original text (a customer id `=1+2`
    reaches `fit` unchanged).
    """
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            text = series.astype("string")
            risky = text.str.contains(_FORMULA, regex=True).fillna(False).astype(bool)
            if risky.any():
                out[column] = series.where(~risky, "'" + text)
    return out


def restore_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo `neutralise_formulas` on a table read back from a CSV l2csim wrote."""
    import pandas as pd

    out = frame
    for column in frame.columns:
        series = frame[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            text = series.astype("string")
            marked = text.str.contains(_NEUTRALISED, regex=True).fillna(False).astype(bool)
            if marked.any():
                out = out if out is not frame else frame.copy()
                out[column] = series.where(~marked, text.str.slice(1))
    return out


def read_csv_table(path: str | os.PathLike[str], **options: Any) -> pd.DataFrame:
    """Read a CSV that l2csim wrote (or a person edited), with the formula guard removed."""
    import pandas as pd

    return restore_formulas(pd.read_csv(path, **options))


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


# --- HTML ------------------------------------------------------------------------------------

# Bidirectional-text controls (U+202A-U+202E, U+2066-U+2069) and the marks (U+200E/F, U+061C)
# can make a name read backwards in a page ("Trojan source"); they are shown as their code.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def show_bidi(text: str) -> str:
    """Text with bidi controls replaced by their code (for text a script puts in a page)."""
    return _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def escape_html(value: object) -> str:
    """Text for HTML (and SVG/DOT labels): markup escaped, bidi controls made visible."""
    import html

    text = html.escape("" if value is None else str(value), quote=True)
    return _BIDI.sub(lambda m: f"&lt;U+{ord(m.group()):04X}&gt;", text)


# --- one folder at a time -----------------------------------------------------------------


@contextlib.contextmanager
def staged_folder(target: Path, keep: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield a new empty folder beside `target`; when the block succeeds it replaces `target`
    with one rename, so an interrupted command leaves the old outputs or the new, never a mix.

    Files in `target` that the command does not write (a user's own files in an --out folder
    that existed) are carried over into the new folder by hard link (or copy) before the
    swap, so nothing of theirs is lost; names in `keep` too. The staging folder's name is
    unique per run (`.NAME.<pid>-<random>.partial`).
    """
    target = Path(target)
    _refuse_unsafe_target(target)
    tag = f"{os.getpid()}-{secrets.token_hex(3)}"
    partial = target.with_name(f".{target.name}.{tag}.partial")
    with os_errors(partial):
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.mkdir()
    try:
        yield partial
        written = {p.relative_to(partial) for p in partial.rglob("*")}
        if target.is_dir():
            _carry_over(target, partial, written)
        swap_folder(partial, target, tag)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def swap_folder(new: Path, target: Path, tag: str | None = None) -> None:
    """Put `new` where `target` is; the old folder goes only once the new one is in place."""
    tag = tag or f"{os.getpid()}-{secrets.token_hex(3)}"
    old = target.with_name(f".{target.name}.{tag}.old")
    with os_errors(target):
        if target.exists():
            target.rename(old)
        new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def clean_stale(folder: Path, name: str = "*") -> None:
    """Remove staging and old folders (of outputs called `name`) that a killed run left in
    `folder` (call only while holding the lock of the outputs concerned)."""
    if not folder.is_dir():
        return
    name = name if name == "*" else glob.escape(name)
    for pattern in (f".{name}.*.partial", f".{name}.*.old"):
        for leftover in folder.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def writing_folder(out: Path) -> Iterator[Path]:
    """How a command writes its output folder: under the folder's lock (one run at a time),
    into a staging folder that replaces `out` as a whole when the block succeeds. Yields the
    staging folder to write into."""
    out = Path(out)
    _refuse_unsafe_target(out)
    with out_folder_lock(out):
        absolute = out.absolute()
        clean_stale(absolute.parent, absolute.name)
        with staged_folder(absolute) as folder:
            yield folder


def _carry_over(old: Path, new: Path, written: set[Path]) -> None:
    foreign = [
        p for p in sorted(old.rglob("*")) if p.relative_to(old) not in written and not p.is_dir()
    ]
    if len(foreign) > MAX_FOREIGN_FILES:
        raise InputError(
            f"{old}: holds {len(foreign):,} files l2csim did not write; give --out a folder of "
            "its own (a new or empty one, e.g. outputs/NAME)."
        )
    for path in foreign:
        relative = path.relative_to(old)
        if relative.parts[0] in {".", ".."}:
            continue
        destination = new / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            destination.symlink_to(os.readlink(path))
            continue
        try:
            os.link(path, destination)
        except OSError:
            shutil.copy2(path, destination)


def _refuse_unsafe_target(target: Path) -> None:
    """A folder swap must never move the folder the user is in, or one above it."""
    here = Path.cwd().resolve()
    resolved = target.resolve()
    if resolved == here or resolved in here.parents:
        raise InputError(
            f"--out {target}: that is the current folder (or holds it); l2csim replaces its "
            "output folder as a whole, so give a folder of its own, e.g. outputs/NAME."
        )


# --- one run at a time per output folder -------------------------------------------------------


@contextlib.contextmanager
def out_folder_lock(out: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock of an output folder for a whole run (a file beside the folder, so that
    swapping the folder does not move it). A second run fails at once with one line naming
    the folder, unless `wait` seconds let the first one finish.
    """
    from filelock import FileLock, Timeout

    shown = Path(out)
    out = shown.absolute()
    lock_path = out.with_name(f".{out.name}.lock")
    with os_errors(lock_path):
        lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path, timeout=wait)
    try:
        lock.acquire()
    except Timeout:  # a TimeoutError, so before OSError
        raise L2csimError(
            f"{shown}: another l2csim run is writing into this folder; wait for it to finish, "
            "or give this run another --out."
        ) from None
    except OSError as error:
        raise InputError(describe_os_error(error, lock_path)) from None
    try:
        yield
    finally:
        lock.release()


# --- operating-system errors in words -------------------------------------------------------

_OS_ADVICE = {
    errno.ENOSPC: "the disk is full; free some space (or write elsewhere with --out) and run again",
    errno.EDQUOT: "the disk quota is exhausted; free some space and run again",
    errno.EROFS: "the file system is read-only; write elsewhere with --out",
    errno.EACCES: "permission denied; write elsewhere with --out, or fix the folder's permissions",
    errno.EPERM: "operation not permitted; write elsewhere with --out, or fix the permissions",
    errno.ENAMETOOLONG: "the path is too long; use a shorter --out",
    errno.ENOTDIR: "a part of the path is a file, not a folder; fix the path",
    errno.EISDIR: "that is a folder where a file was expected; fix the path",
}


def describe_os_error(error: OSError, path: str | os.PathLike[str] | None = None) -> str:
    """One line naming the file and what to do about an operating-system error."""
    where = error.filename or path or "a file"
    advice = _OS_ADVICE.get(error.errno or 0)
    reason = error.strerror or type(error).__name__
    if advice is None:
        return f"{where}: {reason}."
    return f"{where}: {reason}: {advice}."


@contextlib.contextmanager
def os_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn an OSError while writing `path` into an InputError that names the file."""
    try:
        yield
    except OSError as error:
        if isinstance(error, (FileNotFoundError,)) and error.filename is None:
            raise
        raise InputError(describe_os_error(error, path)) from None
