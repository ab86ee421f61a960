"""Errors a user can cause and fix. The CLI turns them into one line and a non-zero exit."""


class L2csimError(Exception):
    """Base class: the message names the file, the place and the fix."""


class InputError(L2csimError):
    """An input file (event log, model, reference process) cannot be used as it is."""


class StudyError(L2csimError):
    """A study or scenario YAML file is invalid."""


class L2csimWarning(UserWarning):
    """Something the user should know that does not stop the run (printed as one line)."""


class L2csimDeprecation(L2csimWarning):
    """An old key name or option, still read; the message says the new one."""


def explain(error: BaseException) -> str:
    """One line for an error that reached the command line without being one of ours: what
    it means in words and what to do, naming the file when the error knows it. The full
    traceback is for `l2csim --debug`."""
    import json
    import subprocess
    import zlib

    text = " ".join(str(error).split())[:300] or type(error).__name__
    name = type(error).__name__
    if isinstance(error, OSError) and type(error).__name__ == "BadGzipFile":
        return f"a .gz file is not gzip-compressed ({text}); give the plain file or compress it."
    if isinstance(error, OSError):
        from l2csim.output import describe_os_error

        return describe_os_error(error)
    if isinstance(error, EOFError):
        return (
            f"a compressed file ends too early ({text}): it was cut off while copying or "
            "downloading; copy it again."
        )
    if isinstance(error, zlib.error):
        return f"a compressed file is corrupt ({text}); copy it again."
    if isinstance(error, UnicodeDecodeError):
        return f"a file is not UTF-8 text ({error.reason}); save it as UTF-8."
    if isinstance(error, MemoryError):
        return (
            "ran out of memory; use a smaller input (a shorter period, fewer replications) or a "
            "machine with more memory."
        )
    if isinstance(error, RecursionError):
        return "an input is nested too deeply to be read; check that it is the right file."
    if isinstance(error, subprocess.CalledProcessError) or "graphviz" in type(error).__module__:
        stderr = getattr(error, "stderr", b"") or b""
        detail = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else str(stderr)
        detail = " ".join(detail.split())[:200] or text
        return (
            f"graphviz (dot) could not draw a map ({detail}); very long or unusual activity "
            "or resource names are the usual cause: shorten them in the log."
        )
    if type(error).__name__ == "ZoneInfoNotFoundError":
        return f"unknown time zone ({text}); use an IANA name such as UTC or Europe/Berlin."
    if isinstance(error, json.JSONDecodeError):
        return f"a JSON file is not valid JSON ({text}); rerun the command that wrote it."
    if type(error).__name__ == "ValidationError":  # pydantic, on a file l2csim wrote
        return f"a file l2csim reads back does not have the expected fields ({text[:200]})."
    return (
        f"unexpected error {name}: {text}. This is probably a bug in l2csim: rerun with "
        "l2csim --debug and report the traceback."
    )
