"""People in the report and on the maps page: pseudonymised unless the study asks for names.

The log's resources are employees; a report sent to a steering group (and a maps page sent
round a department) should not name them (GDPR data minimisation). Unless the study file
says `report: {people: names}`, each resource becomes "Team member 3 of Pick and pack" when
its staff pool is known (the fitted model's pools) and "Person 7" otherwise; systems and
outside parties (external pools: an EDI gateway, a carrier) keep their names. Free text that
names people (a parameter's detail, a fitted person's shift) is redacted the same way. Numbers are
stable for the same inputs: within a pool by name, else by how much work the resource did
(most first), then by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class People:
    """Maps a resource name to what the reader is shown."""

    pseudonyms: Mapping[str, str] = field(default_factory=dict)
    names: bool = False  # the study asked for names: show them as they are

    def __call__(self, name: object) -> str:
        text = "" if name is None else str(name)
        if self.names:
            return text
        return self.pseudonyms.get(text, "a person" if text else "")

    @property
    def known(self) -> set[str]:
        return set(self.pseudonyms)

    def redact(self, text: str) -> str:
        """Free text (a parameter's path or detail, a note) with every known name replaced."""
        if self.names or not text:
            return text
        for name in sorted(self.pseudonyms, key=len, reverse=True):
            if name in text:
                text = text.replace(name, self.pseudonyms[name])
        return text

    @classmethod
    def from_pools(
        cls, pools: Iterable[Mapping], *, names: bool = False, extra: Iterable[str] = ()
    ) -> People:
        """Pseudonyms from the fitted model's pools ({name, resources}); `extra` resources
        not in any pool (most work first) become "Person N"."""
        mapping: dict[str, str] = {}
        for pool in pools:
            if pool.get("external"):  # systems and outside parties, not employees
                continue
            members = sorted({str(r) for r in pool.get("resources") or []})
            label = str(pool.get("name") or "a team")
            for i, member in enumerate(members, start=1):
                mapping.setdefault(member, f"Team member {i} of {label}")
        return cls(_persons(extra, mapping), names)

    @classmethod
    def ranked(cls, resources: Iterable[str], *, names: bool = False) -> People:
        """Pseudonyms "Person 1", "Person 2"... in the order given (most work first)."""
        return cls(_persons(resources, {}), names)


def _persons(resources: Iterable[str], mapping: dict[str, str]) -> dict[str, str]:
    result = dict(mapping)
    count = 0
    for resource in resources:
        text = str(resource)
        if text and text not in result:
            count += 1
            result[text] = f"Person {count}"
    return result
