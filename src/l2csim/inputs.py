"""How a command finds its inputs: a study file, a study folder, or a bare log path with flags.

A consultant can look at a log before any study file exists (`l2csim check orders.csv
--case order_ref ...`); with a study file, its mapping applies and flags override it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from pathlib import Path

from l2csim.errors import L2csimError, StudyError
from l2csim.log import ACTIVITY, EventLog, LogSource, read_log
from l2csim.study import DEFAULT_STUDY_FILE, ColumnMap, Study, load_study

STUDY_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LogOverrides:
    """Column and reading options given on the command line; None means 'not given'."""

    case: str | None = None
    activity: str | None = None
    timestamp: str | None = None
    start_timestamp: str | None = None
    resource: str | None = None
    customer: str | None = None
    customer_name: str | None = None
    case_attributes: tuple[str, ...] = ()
    timezone: str | None = None
    timestamp_format: str | None = None
    object_type: str | None = None

    def apply(self, source: LogSource) -> LogSource:
        column_fields = ColumnMap.model_fields
        columns = {
            name: getattr(self, name)
            for name in column_fields
            if getattr(self, name, None) is not None
        }
        merged = source.columns.model_copy(update=columns) if columns else source.columns
        return replace(
            source,
            columns=merged,
            case_attributes=tuple(dict.fromkeys((*source.case_attributes, *self.case_attributes))),
            timezone=self.timezone or source.timezone,
            timestamp_format=self.timestamp_format or source.timestamp_format,
            object_type=self.object_type or source.object_type,
        )


@dataclass(frozen=True)
class Inputs:
    """What a command works on: the study (if any) and how to read its log."""

    study: Study | None
    source: LogSource


def resolve_inputs(target: str | Path | None, overrides: LogOverrides | None = None) -> Inputs:
    """Turn the command's STUDY_OR_LOG argument into a study and a log source.

    No argument means the study in `scenarios/study.yaml` under the current folder.
    """
    overrides = overrides or LogOverrides()
    if target is None:
        if not DEFAULT_STUDY_FILE.is_file():
            raise L2csimError(
                f"no study or log given and no {DEFAULT_STUDY_FILE} here; pass a study file, "
                "a study folder or a log file (e.g. l2csim check orders.csv --case order_ref)."
            )
        target = DEFAULT_STUDY_FILE
    path = Path(target)
    if path.is_dir() or path.suffix.lower() in STUDY_SUFFIXES:
        study = load_study(path)
        return Inputs(study=study, source=overrides.apply(LogSource.from_study(study)))
    return Inputs(study=None, source=overrides.apply(LogSource(path=path)))


def read_inputs_log(inputs: Inputs) -> EventLog:
    """Read the log and check that the study's roles name activities that occur in it."""
    log = read_log(inputs.source)
    if inputs.study is not None:
        check_roles(inputs.study, log)
    return log


def check_roles(study: Study, log: EventLog) -> None:
    """Refuse role activities that the log never shows: a typo there would silently count zero."""
    known = set(log.events[ACTIVITY].unique())
    problems = []
    for role, activities in study.roles.named_activities().items():
        for activity in activities:
            if activity in known:
                continue
            close = difflib.get_close_matches(activity, sorted(known), n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            problems.append(f"roles.{role}: {activity!r} is not an activity in the log.{hint}")
    if problems:
        raise StudyError(
            f"{study.source}: "
            + " ".join(problems)
            + " Use the activity names exactly as the log writes them."
        )
