"""The study file (`scenarios/study.yaml`): which log, how its columns map, what activities mean.

Validated with pydantic so a mistake is reported by its key path with the fix, before any
work starts. Paths inside the file are relative to the file itself.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from l2csim.errors import StudyError

DEFAULT_STUDY_FILE = Path("scenarios") / "study.yaml"


def _as_list(value: Any) -> Any:
    """Let a role name one activity as a plain string or several as a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return value


ActivityList = Annotated[list[str], BeforeValidator(_as_list)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnMap(_Strict):
    """Which column of the user's log holds each field l2csim needs.

    Defaults are pm4py's (and XES's) names, so such logs need no mapping at all.
    """

    case: str = "case:concept:name"
    activity: str = "concept:name"
    timestamp: str = "time:timestamp"
    start_timestamp: str | None = None
    resource: str | None = None
    customer: str | None = None
    customer_name: str | None = None
    lifecycle: str | None = None


class LogSpec(_Strict):
    """Where the log is and how to read it."""

    path: Path
    columns: ColumnMap = ColumnMap()
    case_attributes: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    timestamp_format: str | None = None
    object_type: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'UTC' or 'Europe/Berlin'"
            ) from None
        return value


class Roles(_Strict):
    """What activities mean for lead-to-cash: each role names one or more activities."""

    order_received: ActivityList = Field(default_factory=list)
    delivered: ActivityList = Field(default_factory=list)
    chase_call: ActivityList = Field(default_factory=list)
    courtesy_call: ActivityList = Field(default_factory=list)
    milestones: ActivityList = Field(default_factory=list)
    rework: ActivityList = Field(default_factory=list)

    def named_activities(self) -> dict[str, list[str]]:
        """Role name → activities, for checking them against a log."""
        return {name: list(getattr(self, name)) for name in type(self).model_fields}


class MiningSpec(_Strict):
    """How `l2csim mine` abstracts maps and bounds conformance checking (all optional)."""

    noise_threshold: float = Field(default=0.2, ge=0.0, le=1.0)
    coverage_levels: list[float] = Field(default_factory=lambda: [1.0, 0.8, 0.5])
    top_variants: int = Field(default=50, ge=1)
    max_segment_values: int = Field(default=8, ge=1)
    alignment_max_variants: int = Field(default=300, ge=0)
    alignment_time_limit: float = Field(default=60.0, gt=0)
    min_share: float = Field(default=0.01, ge=0.0, le=1.0)

    @field_validator("coverage_levels")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        if not value or any(not 0 < level <= 1 for level in value):
            raise ValueError("coverage levels are fractions in (0, 1], e.g. [1.0, 0.8, 0.5]")
        return sorted(set(value), reverse=True)


class TiersSpec(_Strict):
    """Where each customer's priority tier comes from, and which milestones each tier is owed
    a courtesy call at. Either `attribute` (a case attribute of the log) or `path` (a CSV)."""

    path: Path | None = None
    id_column: str = "customer"
    tier_column: str = "tier"
    attribute: str | None = None
    owed_courtesy_milestones: dict[str, list[str]] = Field(default_factory=dict)

    @property
    def case_attribute(self) -> str | None:
        if self.attribute is None:
            return None
        return self.attribute if self.attribute.startswith("case:") else f"case:{self.attribute}"


class SlaSpec(_Strict):
    """When an order is on time: by a promised date in the log, or within days per tier."""

    promised_by: str | None = None
    days_by_tier: dict[str, float] = Field(default_factory=dict)
    default_days: float | None = None

    @property
    def promised_column(self) -> str | None:
        if self.promised_by is None:
            return None
        name = self.promised_by
        return name if name.startswith("case:") else f"case:{name}"


class Study(_Strict):
    """A whole study: the log, the roles of its activities, and how to break results down."""

    log: LogSpec
    roles: Roles = Roles()
    segments: list[str] = Field(default_factory=list)
    reference_process: Path | None = None
    mining: MiningSpec = MiningSpec()
    tiers: TiersSpec | None = None
    sla: SlaSpec | None = None
    source: Path | None = Field(default=None, exclude=True)

    @property
    def folder(self) -> Path:
        """The folder relative paths in the file are resolved against."""
        return self.source.parent if self.source else Path.cwd()

    @property
    def log_path(self) -> Path:
        return _resolve(self.folder, self.log.path)

    @property
    def reference_process_path(self) -> Path | None:
        if self.reference_process is None:
            return None
        return _resolve(self.folder, self.reference_process)

    @property
    def tiers_path(self) -> Path | None:
        if self.tiers is None or self.tiers.path is None:
            return None
        return _resolve(self.folder, self.tiers.path)

    @property
    def segment_columns(self) -> list[str]:
        """Segment attributes as canonical case-attribute columns (`case:<name>`)."""
        return [s if s.startswith("case:") else f"case:{s}" for s in self.segments]


def _resolve(folder: Path, path: Path) -> Path:
    return path if path.is_absolute() else (folder / path).resolve()


def load_study(path: str | Path) -> Study:
    """Read and validate a study file; every problem is reported with its key path and fix."""
    source = Path(path)
    if source.is_dir():
        for candidate in (source / "study.yaml", source / DEFAULT_STUDY_FILE):
            if candidate.is_file():
                source = candidate
                break
        else:
            raise StudyError(f"{source}: no study.yaml in this folder or its scenarios/ folder.")
    if not source.is_file():
        raise StudyError(f"{source}: study file not found.")
    data = read_yaml_mapping(source)
    try:
        study = Study.model_validate({**data, "source": source.resolve()})
    except ValidationError as error:
        raise StudyError(describe_validation_error(source, error, Study)) from None
    if not study.log_path.is_file():
        raise StudyError(
            f"{source}: log.path: {study.log.path} does not exist (looked for {study.log_path}); "
            "paths are relative to the study file."
        )
    reference = study.reference_process_path
    if reference is not None and not reference.is_file():
        raise StudyError(
            f"{source}: reference_process: {study.reference_process} does not exist "
            f"(looked for {reference}); give a BPMN or PNML file relative to the study file."
        )
    return study


def read_yaml_mapping(source: Path) -> dict[str, Any]:
    """Parse a YAML file that must hold a mapping; syntax errors name the line."""
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise StudyError(
            f"{source}: not UTF-8 text ({error.reason} at byte {error.start})."
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(error, "problem", None) or str(error)
        raise StudyError(f"{source}: invalid YAML at {where}: {problem}.") from None
    if data is None:
        raise StudyError(f"{source}: the file is empty; it must hold a YAML mapping of keys.")
    if not isinstance(data, dict):
        raise StudyError(
            f"{source}: expected a mapping of keys at the top, got {type(data).__name__}."
        )
    return data


def describe_validation_error(source: Path, error: ValidationError, model: type[BaseModel]) -> str:
    """One message for all problems in a file: key path, what is wrong, what to write instead."""
    lines = []
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        key = ".".join(location) or "(top level)"
        kind = problem["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, location[:-1])
            hint = ""
            close = difflib.get_close_matches(location[-1], allowed, n=1)
            if close:
                hint = f" Did you mean '{close[0]}'?"
            lines.append(f"{key}: unknown key.{hint} Allowed here: {', '.join(allowed)}.")
        elif kind == "missing":
            lines.append(f"{key}: required key is missing.")
        else:
            message = problem["msg"].removeprefix("Value error, ")
            lines.append(f"{key}: {message} (got {problem.get('input')!r}).")
    return f"{source}: " + " ".join(lines)


def _allowed_keys(model: type[BaseModel], location: list[str]) -> list[str]:
    """The field names allowed at a key path, for 'did you mean' hints."""
    current: Any = model
    for part in location:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        current = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if current is None:
            return []
    return [name for name in current.model_fields if name != "source"]
