"""The customer base: tiers with their SLAs and order cadences, and re-keyed duplicate records.

Tiers are what the company *should* treat differently: key accounts reorder every one to
three weeks and are owed a courtesy call at each milestone; one-time buyers order once. About
fifteen customers were keyed in twice, under a second number with a near-identical name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from l2csim.customers.identity import normalise_name

KEY_ACCOUNT = "key_account"
PRIORITY = "priority"
OCCASIONAL = "occasional"
ONE_TIME = "one_time"
TIERS = (KEY_ACCOUNT, PRIORITY, OCCASIONAL, ONE_TIME)

PUMPS = "Industrial pumps"
SPARES = "Spare parts"
CUSTOM = "Custom systems"
PRODUCT_LINES = (PUMPS, SPARES, CUSTOM)
LINE_WEIGHTS = (0.45, 0.40, 0.15)


@dataclass(frozen=True)
class TierPolicy:
    """What a tier is promised and how its customers behave."""

    customers: int
    sla_working_days: int  # promised_by = order day + this (+ the product line's lead time)
    courtesy_milestones: tuple[str, ...]  # where the SLA owes a courtesy call
    chase_patience_days: int  # working days past the promise before the customer phones
    value_factor: float
    channels: tuple[float, float, float]  # EDI, e-mail, phone


TIER_POLICIES: dict[str, TierPolicy] = {
    KEY_ACCOUNT: TierPolicy(
        25, 4, ("Order confirmed", "Shipped", "Delivered"), 0, 1.6, (0.85, 0.15, 0.0)
    ),
    PRIORITY: TierPolicy(60, 5, ("Shipped", "Delivered"), 1, 1.1, (0.30, 0.50, 0.20)),
    OCCASIONAL: TierPolicy(150, 7, (), 1, 0.8, (0.0, 0.60, 0.40)),
    ONE_TIME: TierPolicy(520, 8, (), 2, 0.6, (0.0, 0.50, 0.50)),
}

REKEYED_CUSTOMERS = 15
STOPPED_KEY_ACCOUNTS = 4


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_SURNAMES = _words(
    "Müller Schäfer Köhler Böhm Krämer Hübner Jäger Günther Schröder Fröhlich Wörner "
    "Büttner Weber Becker Hoffmann Wagner Schulz Fischer Richter Klein Wolf Neumann Schwarz "
    "Zimmermann Braun Hartmann Lange Werner Krause Lehmann Schmitt Meier Brandt Vogel "
    "Kaiser Peters Roth Frank Baumann Graf Seidel Ludwig Kuhn Sommer Haas Engel Horn Busch "
    "Berger Arnold Pohl Keller Bauer Lorenz Otto Voigt Stein Albrecht Franke Winter"
)
_TRADES = _words(
    "Anlagenbau Pumpentechnik Maschinenbau Chemie Stahlbau Brauerei Papierfabrik "
    "Lebensmitteltechnik Agrartechnik Energietechnik Klärtechnik Metallbau "
    "Kunststofftechnik Gebäudetechnik Wassertechnik Fördertechnik"
)
_PLACES = _words(
    "Bremen Kassel Ulm Hagen Siegen Fulda Passau Rheine Minden Lüneburg Düren Nürtingen "
    "Göppingen Tübingen Bückeburg Jülich"
)
_FORMS = ("GmbH", "GmbH & Co. KG", "AG", "KG", "e.K.", "SE")
_FORM_WEIGHTS = (0.5, 0.2, 0.1, 0.1, 0.05, 0.05)
_UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}


@dataclass(frozen=True)
class Customer:
    """One real customer. `alias_no` is its second, re-keyed record, if it has one."""

    cust_no: str
    name: str
    tier: str
    product_lines: tuple[str, ...]
    cadence_days: tuple[float, ...]  # mean days between orders, per product line
    alias_no: str | None = None
    alias_name: str | None = None
    alias_kind: str | None = None  # umlaut / legal_form / typo
    stop_day: int | None = None  # from this day on (offset from start) no more orders


def _company_name(rng: np.random.Generator) -> str:
    pattern = int(rng.integers(4))
    form = _FORMS[int(rng.choice(len(_FORMS), p=_FORM_WEIGHTS))]
    surname = _SURNAMES[int(rng.integers(len(_SURNAMES)))]
    trade = _TRADES[int(rng.integers(len(_TRADES)))]
    place = _PLACES[int(rng.integers(len(_PLACES)))]
    if pattern == 0:
        return f"{surname} {trade} {form}"
    if pattern == 1:
        return f"{trade} {place} {form}"
    if pattern == 2:
        other = _SURNAMES[int(rng.integers(len(_SURNAMES)))]
        if other == surname:
            return f"{surname} {trade} {form}"
        return f"{surname} & {other} {form}"
    return f"{surname} {trade} {place} {form}"


def spell_out_umlauts(name: str) -> str:
    return "".join(_UMLAUTS.get(ch, ch) for ch in name)


def drop_legal_form(name: str) -> str:
    for form in sorted(_FORMS, key=len, reverse=True):
        if name.endswith(" " + form):
            return name[: -len(form) - 1]
    return name


def typo(name: str, rng: np.random.Generator) -> str:
    """Swap two adjacent letters inside the first word, as a hurried typist does."""
    word_end = name.find(" ")
    word_end = len(name) if word_end < 0 else word_end
    position = int(rng.integers(1, max(2, word_end - 1)))
    chars = list(name)
    chars[position], chars[position + 1] = chars[position + 1], chars[position]
    swapped = "".join(chars)
    return swapped if swapped != name else name[:position] + name[position + 1 :]


def _distinct_names(rng: np.random.Generator, count: int) -> list[str]:
    """Company names no two of which look alike to the re-keying detector.

    Only the planted re-keyed records may be near-identical; two different customers
    called 'Stahlbau Rheine GmbH' and 'Stahlbau Rheine KG' would be false ground truth.
    """
    names: list[str] = []
    keys: list[str] = []
    while len(names) < count:
        candidate = _company_name(rng)
        key = normalise_name(candidate)
        if process.extractOne(key, keys, scorer=fuzz.token_sort_ratio, score_cutoff=85) is None:
            names.append(candidate)
            keys.append(key)
    return names


def build_customers(
    rng: np.random.Generator, names_rng: np.random.Generator, days: int
) -> list[Customer]:
    """Draw the customer base: tiers, product lines, cadences, duplicates, stopped accounts."""
    names = _distinct_names(names_rng, sum(p.customers for p in TIER_POLICIES.values()))
    total = len(names)
    numbers = [f"C{10001 + i}" for i in range(total)]
    order = rng.permutation(total)  # customer numbers are not grouped by tier
    drafts: list[dict] = []
    position = 0
    for tier, policy in TIER_POLICIES.items():
        for _ in range(policy.customers):
            number = numbers[int(order[position])]
            name = names[position]
            position += 1
            if tier == KEY_ACCOUNT:
                n_lines = 1 + int(rng.random() < 0.75) + int(rng.random() < 0.35)
            else:
                n_lines = 1 if tier == ONE_TIME else 1 + int(rng.random() < 0.5)
            lines = rng.choice(len(PRODUCT_LINES), size=n_lines, replace=False, p=LINE_WEIGHTS)
            lines = tuple(PRODUCT_LINES[int(i)] for i in sorted(lines))
            if tier == KEY_ACCOUNT:
                cadence = tuple(float(rng.uniform(7, 18)) for _ in lines)
            elif tier == PRIORITY:
                cadence = tuple(float(rng.uniform(21, 56)) for _ in lines)
            elif tier == OCCASIONAL:
                cadence = tuple(float(rng.uniform(25, 80)) * len(lines) for _ in lines)
            else:
                cadence = (float(days),)
            drafts.append(
                {
                    "cust_no": number,
                    "name": name,
                    "tier": tier,
                    "product_lines": lines,
                    "cadence_days": cadence,
                }
            )

    # Re-keyed records: repeat customers typed in again under a new number.
    repeat = [i for i, d in enumerate(drafts) if d["tier"] != ONE_TIME]
    with_umlaut = [i for i in repeat if spell_out_umlauts(drafts[i]["name"]) != drafts[i]["name"]]
    chosen_umlaut = list(rng.choice(with_umlaut, size=5, replace=False))
    rest = [i for i in repeat if i not in chosen_umlaut]
    others = list(rng.choice(rest, size=REKEYED_CUSTOMERS - 5, replace=False))
    kinds = {int(i): "umlaut" for i in chosen_umlaut}
    for j, i in enumerate(others):
        kinds[int(i)] = "legal_form" if j % 2 == 0 else "typo"
    next_number = 10001 + total
    for i in sorted(kinds):
        draft = drafts[i]
        kind = kinds[i]
        if kind == "umlaut":
            alias = spell_out_umlauts(draft["name"])
        elif kind == "legal_form":
            alias = drop_legal_form(draft["name"])
            if alias == draft["name"]:
                kind, alias = "typo", typo(draft["name"], names_rng)
        else:
            alias = typo(draft["name"], names_rng)
        draft.update(alias_no=f"C{next_number}", alias_name=alias, alias_kind=kind)
        next_number += 1

    # Key accounts whose regular order stops for reasons unrelated to service.
    key_accounts = [i for i, d in enumerate(drafts) if d["tier"] == KEY_ACCOUNT and i not in kinds]
    for i in rng.choice(key_accounts, size=STOPPED_KEY_ACCOUNTS, replace=False):
        drafts[int(i)]["stop_day"] = int(rng.uniform(0.35, 0.7) * days)
    return [Customer(**d) for d in drafts]
