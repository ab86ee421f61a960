"""The study file (`scenarios/study.yaml`): which log, how its columns map, what activities mean.

Validated with pydantic so a mistake is reported by its key path with the fix, before any
work starts. Paths inside the file are relative to the file itself.
"""

from __future__ import annotations

import difflib
import typing
import warnings
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from l2csim.errors import L2csimDeprecation, StudyError

DEFAULT_STUDY_FILE = Path("scenarios") / "study.yaml"
# Study, scenario and grid files are small hand-written YAML: these bounds refuse a file that
# is something else, or an alias bomb (a few lines whose &anchors and *aliases expand to
# billions of values), before it costs memory.
MAX_YAML_BYTES = 1_000_000
MAX_YAML_VALUES = 100_000
MAX_HOURS = 10 * 365 * 24.0  # promised and response times: at most ten years


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


class LifecycleSpec(_Strict):
    """How the lifecycle column (XES `lifecycle:transition`) is read.

    `start` and `complete` name the values that start and complete work (default XES's
    `start` and `complete`); a start pairs with the next completion of the same activity in
    the case. `keep_as_activity`: true keeps every event, its value joined to the activity
    ("Accepted (In Progress)"), as a log of statuses needs; false pairs start and complete
    and leaves other values out; unset (automatic) keeps them as activities when the column
    holds values that are not lifecycle transitions (statuses such as "In Progress").
    """

    start: ActivityList = Field(default_factory=lambda: ["start"])
    complete: ActivityList = Field(default_factory=lambda: ["complete", "completed"])
    keep_as_activity: bool | None = None


class LogSpec(_Strict):
    """Where the log is and how to read it."""

    path: Path
    columns: ColumnMap = ColumnMap()
    case_attributes: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    timestamp_format: str | None = None
    object_type: str | None = None
    lifecycle: LifecycleSpec = LifecycleSpec()

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
    # Steps where the order waits for someone outside (the customer paying, a supplier):
    # simulated as staff-free delays, whoever records them.
    waiting_steps: ActivityList = Field(default_factory=list)

    def named_activities(self) -> dict[str, list[str]]:
        """Role name → activities, for checking them against a log."""
        return {name: list(getattr(self, name)) for name in type(self).model_fields}


class MiningSpec(_Strict):
    """How `l2csim mine` abstracts maps and bounds conformance checking (all optional)."""

    noise_threshold: float = Field(default=0.2, ge=0.0, le=1.0)
    coverage_levels: list[float] = Field(default_factory=lambda: [1.0, 0.8, 0.5])
    top_variants: int = Field(default=50, ge=1)
    max_segment_values: int = Field(default=8, ge=1)
    alignment_max_variants: int = Field(default=100, ge=0)
    alignment_time_limit: float = Field(default=60.0, gt=0)
    # token replay: the most frequent variants exactly, a seeded sample of the other cases
    token_replay_variants: int = Field(default=100, ge=0)
    token_replay_sample: int = Field(default=200, ge=1)
    token_replay_time_limit: float = Field(default=60.0, gt=0)
    min_share: float = Field(default=0.01, ge=0.0, le=1.0)
    # a case attribute of the log holding the customer's tier; used before customers.crm_tiers
    tier_attribute: str = "tier"

    @field_validator("coverage_levels")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        if not value or any(not 0 < level <= 1 for level in value):
            raise ValueError("coverage levels are fractions in (0, 1], e.g. [1.0, 0.8, 0.5]")
        return sorted(set(value), reverse=True)


# --- customers and SLAs (issue 4) --------------------------------------------------------

DEFAULT_TIER_LABELS = ["key_account", "priority", "occasional"]
DEFAULT_TIER_WEIGHTS = {
    "revenue": 0.45,
    "orders": 0.30,
    "breadth": 0.10,
    "regularity": 0.10,
    "recency": 0.05,
}
TIER_FEATURES = ("revenue", "orders", "breadth", "regularity", "recency", "growth", "tenure")


class TierSpec(_Strict):
    """How customers are tiered from their profiles (see tiers.py for the method)."""

    method: str = "score"
    labels: list[str] = Field(default_factory=lambda: list(DEFAULT_TIER_LABELS))
    one_time: str = "one_time"
    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_TIER_WEIGHTS))
    cutoffs: list[float] | None = None

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if value not in ("score", "kmeans"):
            raise ValueError(f"unknown tier method {value!r}; use 'score' or 'kmeans'")
        return value

    @field_validator("labels")
    @classmethod
    def _enough_labels(cls, value: list[str]) -> list[str]:
        if len(value) < 2 or len(set(value)) != len(value):
            raise ValueError("give at least two distinct tier labels, top tier first")
        return value

    @field_validator("weights")
    @classmethod
    def _known_weights(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(TIER_FEATURES))
        if unknown:
            raise ValueError(
                f"unknown feature(s) {', '.join(unknown)}; weights may name "
                f"{', '.join(TIER_FEATURES)}"
            )
        if not any(w > 0 for w in value.values()) or any(w < 0 for w in value.values()):
            raise ValueError("weights must be >= 0 with at least one > 0")
        return value

    @field_validator("cutoffs")
    @classmethod
    def _valid_cutoffs(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and (
            any(not 0 < c < 1 for c in value) or value != sorted(value, reverse=True)
        ):
            raise ValueError(
                "cutoffs are score quantiles between 0 and 1, highest first "
                "(e.g. [0.9, 0.65] for three tiers)"
            )
        return value


def _as_crm(value: Any) -> Any:
    """Let `crm_tiers` be a bare path."""
    return {"path": value} if isinstance(value, str) else value


class CrmTiers(_Strict):
    """A CRM export of tiers: one row per customer id; columns found by name when not given."""

    path: Path
    id_column: str | None = None
    tier_column: str | None = None


CHURN_FALLBACK_KEYS = ("const", "late", "chase_calls", "courtesy_calls")


class ChurnSpec(_Strict):
    """When a customer counts as churned, and the churn model's fallback (customers/churn.py).

    Churned: a customer with at least `min_orders` orders whose silence since its last order
    would have been broken by an order with probability `confidence` under its own rhythm
    (the overdue test) and lasts at least `k` of its cadences. `fallback`: stated log-odds
    (const, late, chase_calls, courtesy_calls) used only when the log cannot fit the model.
    """

    k: float = Field(default=2.0, gt=0)
    confidence: float = Field(default=0.975, gt=0.5, lt=1)
    min_orders: int = Field(default=4, ge=3)
    min_churned: int = Field(default=8, ge=1)
    fallback: dict[str, float] | None = None

    @field_validator("fallback")
    @classmethod
    def _known_terms(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return value
        unknown = sorted(set(value) - set(CHURN_FALLBACK_KEYS))
        if unknown:
            raise ValueError(
                f"unknown term(s) {unknown}; the churn model has {list(CHURN_FALLBACK_KEYS)}"
            )
        if "const" not in value:
            raise ValueError("needs 'const', the log-odds of churn after an order")
        return value


class ReorderSpec(_Strict):
    """When a regular customer's next order counts as overdue (reorders.py)."""

    min_orders: int = Field(default=4, ge=3)
    confidence: float = Field(default=0.95, gt=0, lt=1)
    min_overdue_cadences: float = Field(default=2.0, gt=0)


class CustomersSpec(_Strict):
    """Customer identity, profiles, tiers, overdue reorders and churn (`l2csim customers`)."""

    merges: Path | None = None
    merge_threshold: float = Field(default=90.0, gt=0, le=100)  # name score of candidates
    auto_merge_score: float = Field(default=85.0, gt=0, le=100)  # match probability, percent
    match_columns: list[str] = Field(default_factory=list)  # e.g. [email, vat_id, address]
    value: str | None = None
    products: str | None = None
    tiers: TierSpec = TierSpec()
    crm_tiers: Annotated[CrmTiers | None, BeforeValidator(_as_crm)] = None
    churn: ChurnSpec = ChurnSpec()
    reorders: ReorderSpec = ReorderSpec()


class TierSla(_Strict):
    """What one tier is promised: a lead time or a promised-date attribute, calls, response."""

    promised_hours: float | None = Field(default=None, gt=0, le=MAX_HOURS)
    promised_date: str | None = None
    courtesy_milestones: ActivityList = Field(default_factory=list)
    chase_response_hours: float | None = Field(default=None, gt=0, le=MAX_HOURS)


class ValidationThresholds(_Strict):
    """The largest distance between the simulated and the real log that still passes.

    cycle_time: Wasserstein distance of case cycle times (hourly bins) over the real mean
    cycle time; activities / ngrams: log-distance-measures' 1-gram / 3-gram distribution
    distances (0 same, 1 disjoint); control_flow: its control-flow log distance (0..1, on a
    sample of cases); arrivals_hourly: Wasserstein distance of arrival times in hours;
    arrivals_weekly, backlog_daily: mean absolute error of weekly arrivals / daily open
    cases over the real mean; chase_call_rate: relative error of chase calls per case;
    sla_attainment: absolute difference of the on-time share; sla_by_tier: the largest such
    difference over tiers with at least 30 orders judged; activity_waits: the mean relative
    error of the wait before each activity, weighted by how often it occurs.
    """

    cycle_time: float = Field(default=0.25, gt=0)
    activities: float = Field(default=0.10, gt=0)
    ngrams: float = Field(default=0.25, gt=0)
    control_flow: float = Field(default=0.40, gt=0)
    arrivals_hourly: float = Field(default=48.0, gt=0)
    arrivals_weekly: float = Field(default=0.25, gt=0)
    backlog_daily: float = Field(default=0.35, gt=0)
    chase_call_rate: float = Field(default=0.30, gt=0)
    sla_attainment: float = Field(default=0.10, gt=0)
    sla_by_tier: float = Field(default=0.10, gt=0)
    activity_waits: float = Field(default=0.35, gt=0)


class CalendarSpec(_Strict):
    """`calendar:` the company's closed days where the log cannot show them (fit.closures).

    Inside the log's span the days nobody worked are the closures. Beyond it (a forecast,
    a year ahead) `public_holidays` names the country whose holidays close the company,
    with a region after a hyphen ("DE", "GB-ENG", "US-CA"); `closed_days` are days the
    company closes wherever they fall (a planned shutdown). `leave`: a CSV of the staff's
    planned leave (`person`, `first_day`, `last_day`, one row per block; fit.leave): a
    company knows who is on holiday next month, which no log before it can show.
    """

    public_holidays: str | None = None
    closed_days: list[date] = Field(default_factory=list)
    leave: Path | None = None

    @field_validator("public_holidays")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from l2csim.public_holidays import holiday_calendar

        holiday_calendar(value, [2025])  # raises ValueError with the fix
        return value


class CalibrationSpec(_Strict):
    """Whether and how hard `fit` tunes the model to the log's own period (fit.calibration)."""

    enabled: bool = True
    trials: int = Field(default=12, ge=1, le=10_000)
    holdout: float = Field(default=0.2, gt=0, lt=0.5)
    seed: int = 0


class IntakeSpec(_Strict):
    """`intake:` orders that wait unseen before the log's first step (fit.intake).

    An e-mailed order the log first shows when someone keyed it waited in an inbox since
    the customer ordered. `channel`: the case attribute saying how each order came in
    (without it, an attribute whose name holds "channel", else who recorded the first
    step: staff or a system); `waiting_channels`: the channels whose orders wait (without
    it, those whose promised dates show it); `wait_hours`: their mean wait before keying
    starts, in the keying team's working hours, stated instead of inferred; `infer: false`:
    no inbox wait unless stated.
    """

    channel: str | None = None
    waiting_channels: list[str] = Field(default_factory=list)
    wait_hours: float | None = Field(default=None, ge=0, le=MAX_HOURS)
    infer: bool = True


class CallsSpec(_Strict):
    """`calls:` what a chasing customer does when nobody answers (fit.calls.call_hold).

    A log records the calls someone answered, never those a caller gave up on, so this is
    an assumption the study may state: `hold_minutes` on hold before hanging up (0: callers
    wait until answered), `redials` quick tries again `redial_hours` (low, high) later, then
    the customer waits as after an answered call. Unstated values are the defaults (5
    minutes, 1 redial, 1-3 hours), shown as such wherever chase calls are.

    `expedite_after_escalation`: whether every escalated chase gets the order ahead of its
    queue (`all`, the default) or the share per tier the log shows (`measured`, see
    `fit.calls.fit_expedites`; the model's notes give that share either way).
    """

    hold_minutes: float | None = Field(default=None, ge=0, le=240)
    expedite_after_escalation: Literal["all", "measured"] = "all"
    redials: int | None = Field(default=None, ge=0, le=20)
    redial_hours: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> CallsSpec:
        if self.redial_hours is not None:
            low, high = self.redial_hours
            if not 0 < low <= high <= MAX_HOURS:
                raise ValueError(
                    f"redial_hours: {list(self.redial_hours)} must be [low, high] hours with "
                    "0 < low <= high"
                )
        return self

    @property
    def stated(self) -> bool:
        return any(v is not None for v in (self.hold_minutes, self.redials, self.redial_hours))


class ValidationSpec(_Strict):
    """How `l2csim validate` replays the log's period and what counts as reproducing it."""

    replications: int = Field(default=3, ge=1, le=100)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    control_flow_cases: int = Field(default=300, ge=10, le=100_000)
    thresholds: ValidationThresholds = ValidationThresholds()


class ReportSpec(_Strict):
    """`report:` how the steering-group report and the maps page speak about people and money."""

    people: Literal["pseudonymised", "names"] = "pseudonymised"
    currency: str | None = None  # e.g. "€" or "EUR"; without it money reads "value units"


class Study(_Strict):
    """A whole study: the log, the roles of its activities, and how to break results down."""

    title: str = "Lead-to-cash study"
    case_noun: str = "orders"  # what a case is called in the report, plural ("tickets")
    log: LogSpec
    roles: Roles = Roles()
    segments: list[str] = Field(default_factory=list)
    reference_process: Path | None = None
    mining: MiningSpec = MiningSpec()
    customers: CustomersSpec = CustomersSpec()
    sla: dict[str, TierSla] = Field(default_factory=dict)
    validation: ValidationSpec = ValidationSpec()
    calibration: CalibrationSpec = CalibrationSpec()
    intake: IntakeSpec = IntakeSpec()
    calls: CallsSpec = CallsSpec()
    calendar: CalendarSpec = CalendarSpec()
    report: ReportSpec = ReportSpec()
    # People per step for steps the log names no one for (fit.concurrency): declared here,
    # else inferred from how many of the step's cases are in progress at once.
    pools: dict[str, Annotated[int, Field(ge=0, le=1000)]] = Field(default_factory=dict)
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

    def resolve(self, path: Path) -> Path:
        """A path from the study file, relative to the file's folder."""
        return _resolve(self.folder, path)

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
    data = rename_deprecated(read_yaml_mapping(source), source)
    data.pop("source", None)  # not a key of the file
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
    """Parse a study, scenario or grid file, which must hold a YAML mapping of keys.

    The one YAML reader of l2csim: syntax errors name the line, and a file too large, nested
    too deep, referring to itself or whose aliases expand beyond MAX_YAML_VALUES values is
    refused before it is built.
    """
    source = Path(source)
    try:
        size = source.stat().st_size
        if size > MAX_YAML_BYTES:
            raise StudyError(
                f"{source}: {size:,} bytes is too large for a study or scenario file (at most "
                f"{MAX_YAML_BYTES:,}); is it the right file?"
            )
        text = source.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise StudyError(
            f"{source}: not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8."
        ) from None
    except IsADirectoryError:
        raise StudyError(f"{source}: is a folder; give a YAML file.") from None
    except OSError as error:
        raise StudyError(f"{source}: cannot be read ({error.strerror}).") from None
    try:
        data = _load_bounded(text, source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise StudyError(f"{source}: invalid YAML at {where}: {problem}.") from None
    except RecursionError:
        raise StudyError(
            f"{source}: nested too deeply to be a study or scenario file; is it the right file?"
        ) from None
    if data is None:
        raise StudyError(f"{source}: the file is empty; it must hold a YAML mapping of keys.")
    if not isinstance(data, dict):
        raise StudyError(
            f"{source}: expected a mapping of keys at the top, got {type(data).__name__}."
        )
    return data


def _load_bounded(text: str, source: Path) -> Any:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {}, set(), source)
        if size > MAX_YAML_VALUES:
            raise StudyError(
                f"{source}: its aliases (*name) expand to {size:,} values, more than "
                f"{MAX_YAML_VALUES:,}; write the values out instead of repeating anchors."
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, memo: dict[int, int], path: set[int], source: Path) -> int:
    """How many values a node stands for once every alias is written out (memoised, so an
    alias bomb is measured without being expanded)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in path:
        raise StudyError(f"{source}: an alias refers to itself (&anchor inside its own value).")
    path.add(key)
    if isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    else:
        children = []
    size = 1 + sum(_expanded_size(child, memo, path, source) for child in children)
    path.discard(key)
    memo[key] = size
    return size


# Old key names still read, each with a one-line note: {old: new}.
RENAMED_KEYS = {"courtesy_owed_at": "courtesy_milestones"}


def rename_deprecated(data: Any, source: Path, where: str = "") -> Any:
    """Read old key names (RENAMED_KEYS) as the new ones, with a deprecation note each."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            place = f"{where}.{key}" if where else str(key)
            new = RENAMED_KEYS.get(key) if isinstance(key, str) else None
            if new is not None and new not in data:
                warnings.warn(
                    f"{source}: {place}: the key is now called {new!r}; {key!r} is still "
                    "read, but rename it.",
                    L2csimDeprecation,
                    stacklevel=2,
                )
                key = new
            out[key] = rename_deprecated(value, source, place)
        return out
    if isinstance(data, list):
        return [rename_deprecated(item, source, where) for item in data]
    return data


def describe_validation_error(
    source: Path, error: ValidationError, model: type[BaseModel], prefix: str = ""
) -> str:
    """One message for all problems in a file: key path, what is wrong, what to write instead.

    The one explainer for study, scenario and grid files: unknown keys get the keys allowed
    there and a did-you-mean; `prefix` is put before every key path (e.g. "policy.").
    """
    lines = []
    for problem in error.errors()[:10]:
        location = [str(part) for part in problem["loc"]]
        key = prefix + (".".join(location) or "(top level)")
        kind = problem["type"]
        if kind == "extra_forbidden":
            allowed = allowed_keys(model, location[:-1])
            hint = ""
            close = difflib.get_close_matches(location[-1], allowed, n=1)
            if close:
                hint = f" Did you mean '{close[0]}'?"
            lines.append(f"{key}: unknown key.{hint} Allowed here: {', '.join(allowed)}.")
        elif kind == "missing":
            lines.append(f"{key}: required key is missing.")
        else:
            message = problem["msg"].removeprefix("Value error, ")
            lines.append(f"{key}: {message} (got {_short(problem.get('input'))}).")
    more = len(error.errors()) - 10
    if more > 0:
        lines.append(f"({more} more problem(s) after these.)")
    return f"{source}: " + " ".join(lines)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def allowed_keys(model: type[BaseModel], location: list[str]) -> list[str]:
    """The field names allowed at a key path, for 'did you mean' hints (dict keys and list
    positions on the way are stepped over)."""
    current: Any = model
    for part in location:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            continue  # a mapping key or list position: the value's model stays current
        current = _model_in(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [name for name in current.model_fields if name != "source"]
    return []


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation (X, X | None, dict[str, X], list[X], ...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
