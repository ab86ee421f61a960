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


def read_inputs_log(inputs: Inputs, *, strict: bool = True) -> EventLog:
    """Read the log and check that the study's roles name activities that occur in it.

    `strict=False` reads the log whatever the roles say (`l2csim check` reports them as
    warnings: a study is written step by step, and the roles come after the mapping).
    """
    log = read_log(inputs.source)
    if inputs.study is not None and strict:
        check_roles(inputs.study, log)
    return log


def role_problems(study: Study, log: EventLog) -> list[str]:
    """Role activities that the log never shows, each with a did-you-mean hint."""
    known = set(log.events[ACTIVITY].unique())
    problems = []
    for role, activities in study.roles.named_activities().items():
        for activity in activities:
            if activity in known:
                continue
            close = difflib.get_close_matches(activity, sorted(known), n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            problems.append(f"roles.{role}: {activity!r} is not an activity in the log.{hint}")
    return problems


def check_roles(study: Study, log: EventLog) -> None:
    """Refuse role activities that the log never shows: a typo there would silently count zero."""
    problems = role_problems(study, log)
    if problems:
        raise StudyError(
            f"{study.source}: "
            + " ".join(problems)
            + " Use the activity names exactly as the log writes them."
        )


def study_warnings(study: Study, log: EventLog) -> list[str]:
    """What in the study file does not fit the log or points at a missing file.

    `l2csim check` prints these as warnings (a study file is written step by step: roles,
    customers and SLAs come after the log mapping); the commands that need a part refuse it
    when they run.
    """
    warnings = [f"{p} Use the activity names exactly as the log writes them." for p in
                role_problems(study, log)]  # fmt: skip
    columns = set(log.events.columns)
    activities = set(log.events[ACTIVITY].unique())

    def attribute(key: str, name: str | None) -> None:
        if name is not None and _case_column(name) not in columns:
            warnings.append(
                f"{key}: attribute {name!r} is not in the log; keep it with "
                "log.case_attributes (or --case-attribute)."
            )

    for segment in study.segments:
        attribute("segments", segment)
    attribute("customers.value", study.customers.value)
    attribute("customers.products", study.customers.products)
    attribute("intake.channel", study.intake.channel)
    for tier, sla in study.sla.items():
        attribute(f"sla.{tier}.promised_date", sla.promised_date)
        for milestone in sla.courtesy_milestones:
            if milestone not in activities:
                warnings.append(
                    f"sla.{tier}.courtesy_milestones: {milestone!r} is not an activity in the log."
                )
    warnings += crm_problems(study)
    warnings += leave_problems(study, log)
    merges = study.customers.merges
    if merges is not None and not study.resolve(merges).is_file():
        warnings.append(
            f"customers.merges: {merges} does not exist (looked for {study.resolve(merges)}); "
            "point it at your reviewed copy of customer_merges.csv, or remove the key."
        )
    return [f"{study.source}: {w}" for w in warnings]


def crm_problems(study: Study) -> list[str]:
    """The CRM tier file named by customers.crm_tiers: missing or unreadable."""
    from l2csim.customers.crm import read_tier_table

    spec = study.customers.crm_tiers
    if spec is None:
        return []
    path = study.resolve(spec.path)
    if not path.is_file():
        return [
            f"customers.crm_tiers: {spec.path} does not exist (looked for {path}); `mine` "
            "goes on without it, `customers`, `fit` and `study` need it: export the CRM's "
            "tiers there, or remove the key to let l2csim tier customers itself."
        ]
    try:
        read_tier_table(path, spec.id_column, spec.tier_column, key="customers.crm_tiers")
    except L2csimError as error:
        return [f"customers.crm_tiers: {error}"]
    return []


def leave_problems(study: Study, log: EventLog) -> list[str]:
    """The leave plan named by calendar.leave: missing, unreadable, or naming nobody the
    log shows (`fit` and every command after it need it readable)."""
    from l2csim.fit.leave import plan_for_log

    if study.calendar.leave is None:
        return []
    try:
        _, notes = plan_for_log(study.resolve(study.calendar.leave), log.events)
    except L2csimError as error:
        return [f"calendar.leave: {error}"]
    return [f"calendar.leave: {n.removeprefix('leave plan: ')}" for n in notes]


def without_missing_crm(study: Study | None) -> tuple[Study | None, list[str]]:
    """The study without a customers.crm_tiers file that does not exist yet, and a warning.

    `l2csim mine` tiers cases by the CRM file when there is one; in a study being written
    step by step it may not be there yet, which is no reason not to draw the maps.
    """
    if study is None or study.customers.crm_tiers is None:
        return study, []
    if study.resolve(study.customers.crm_tiers.path).is_file():
        return study, []
    customers = study.customers.model_copy(update={"crm_tiers": None})
    return study.model_copy(update={"customers": customers}), [
        f"{study.source}: {p} Mined without CRM tiers." for p in crm_problems(study)
    ]


def _case_column(name: str) -> str:
    return name if name.startswith("case:") else f"case:{name}"
