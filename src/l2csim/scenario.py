"""Scenario files: a fitted model plus a policy, written as the difference from another scenario.

`baseline.yaml` names the model (`model: ../outputs/fit/model.json`, relative to the file)
and today's policy; every other scenario says `extends: baseline.yaml` and overrides only
what changes. Parents are merged key by key (mappings merge, anything else is replaced).
Mistakes are one message naming the file, the key path and what is allowed; unknown tiers
and pools name the ones the model knows. Pools can be named through what they do, which
stays stable when a refit renames them: `role:chase_call`, `role:courtesy_call`,
`activity:<activity name>`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from l2csim.errors import StudyError
from l2csim.params import ModelParams, load_params
from l2csim.policy import MAX_STAFF, Policy
from l2csim.study import describe_validation_error, read_yaml_mapping, rename_deprecated


class ScenarioFile(BaseModel):
    """The YAML keys of a scenario file (after `extends` is merged)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    description: str = ""
    model: str
    policy: Policy = Policy()


class Scenario(BaseModel):
    """A loaded scenario: its name, model file and policy (pool aliases resolved when checked)."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    model_path: Path
    policy: Policy = Field(default_factory=Policy)
    source: Path | None = None


def _read_yaml(path: Path) -> dict[str, Any]:
    """The scenario file's keys (the one YAML reader and its bounds, old key names renamed)."""
    return rename_deprecated(read_yaml_mapping(path), path)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`: mappings merge recursively, other values replace."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _merged(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise StudyError(f"{chain[-1]}: `extends` makes a cycle ({cycle}); remove one link.")
    if not path.is_file():
        if chain:
            raise StudyError(
                f"{chain[-1]}: extends {path.name!r}, which does not exist at {path}; "
                "fix the `extends` path (relative to the file)."
            )
        raise StudyError(f"{path}: scenario file not found.")
    data = _read_yaml(path)
    if isinstance(data.get("model"), str):
        data["model"] = str((path.parent / data["model"]).resolve())
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise StudyError(f"{path}: extends: give one scenario file name, e.g. baseline.yaml.")
    base = _merged(path.parent / parent, (*chain, path))
    base.pop("name", None)  # a child never inherits its parent's name
    return deep_merge(base, data)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file with everything it extends; validate it."""
    source = Path(path)
    data = _merged(source, ())
    try:
        parsed = ScenarioFile.model_validate(data)
    except ValidationError as error:
        raise StudyError(describe_validation_error(source, error, ScenarioFile)) from None
    return Scenario(
        name=parsed.name or source.stem,
        description=parsed.description,
        model_path=Path(parsed.model),
        policy=parsed.policy,
        source=source,
    )


def model_scenario(model_path: str | Path) -> Scenario:
    """A fitted model file run as it is: the as-is baseline."""
    return Scenario(name="baseline", description="as-is", model_path=Path(model_path))


# --- checking a scenario against its model ---------------------------------------------------


def pool_aliases(params: ModelParams) -> dict[str, str]:
    """`role:...` and `activity:...` names for the model's pools."""
    aliases = {"role:chase_call": params.chase.pool, "role:courtesy_call": params.courtesy.pool}
    for activity in params.activities:
        aliases[f"activity:{activity.name}"] = activity.pool
    return aliases


def resolve_policy(policy: Policy, params: ModelParams, where: str) -> Policy:
    """The policy with pool aliases replaced by pool names; unknown tiers and pools refused."""
    tiers = [t.name for t in params.tiers]
    for place, tier in policy.tier_names():
        if tier not in tiers:
            raise StudyError(
                f"{where}: policy.{place}: unknown tier {tier!r}; the model's tiers are {tiers}."
            )
    pools = [p.name for p in params.pools]
    aliases = pool_aliases(params)

    def pool(place: str, name: str) -> str:
        if name in pools:
            return name
        if name in aliases:
            return aliases[name]
        raise StudyError(
            f"{where}: policy.{place}: unknown pool {name!r}; the model's pools are {pools} "
            "(or name one by what it does: role:chase_call, role:courtesy_call, "
            "activity:<activity name>)."
        )

    for place, name in policy.pool_names():
        pool(place, name)
    staffing = policy.staffing
    changes = {pool(f"staffing.pools.{k}", k): v for k, v in staffing.pools.items()}
    sizes = {p.name: p.size for p in params.pools}
    for name, change in staffing.pools.items():
        resolved = pool(f"staffing.pools.{name}", name)
        if change.size is None and change.add:
            after = sizes[resolved] + change.add
            if not 0 <= after <= MAX_STAFF:
                raise StudyError(
                    f"{where}: policy.staffing.pools.{name}.add: {change.add:+d} gives pool "
                    f"{resolved!r} {after} people (it has {sizes[resolved]}); a pool has 0 to "
                    f"{MAX_STAFF} people."
                )
    dedicated = staffing.dedicated_account_managers
    if dedicated is not None:
        dedicated = dedicated.model_copy(
            update={"pool": pool("staffing.dedicated_account_managers.pool", dedicated.pool)}
        )
    review = policy.proactive_review
    if review.pool is not None:
        review = review.model_copy(update={"pool": pool("proactive_review.pool", review.pool)})
    milestones = set(params.roles.milestones)
    named = list(policy.courtesy.milestones or [])
    for sla in policy.sla.values():
        named += sla.courtesy_milestones or []
    unknown = sorted(set(named) - milestones)
    if unknown:
        raise StudyError(
            f"{where}: policy names milestone(s) {unknown}; the model's milestones are "
            f"{sorted(milestones)}."
        )
    return policy.model_copy(
        update={
            "staffing": staffing.model_copy(
                update={"pools": changes, "dedicated_account_managers": dedicated}
            ),
            "proactive_review": review,
        }
    )


def load_with_model(scenario: Scenario) -> tuple[Scenario, ModelParams]:
    """Load the scenario's model and return the scenario with its policy checked and resolved."""
    params = load_params(scenario.model_path)
    where = str(scenario.source or scenario.model_path)
    policy = resolve_policy(scenario.policy, params, where)
    return scenario.model_copy(update={"policy": policy}), params
