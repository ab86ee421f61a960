"""Hard customer-name sets with known truth, and their order timelines, for identity tests.

`hard_orders(seed)` draws an order table (customer, customer_name, received, value,
product) of one year in which:
- named companies (German and English names, many legal forms) order at their tier's
  cadence (key accounts every 1-3 weeks, priority every 3-8 weeks, occasional every 1-4
  months, one-time buyers once);
- some are re-keyed under a second id with a changed name: capitals, 'Ltd' written
  'Limited' (and other legal forms spelt two ways), the legal form dropped, 'Group' written
  'GRP' (and other abbreviations), a typo, umlauts spelt out or lost, accents lost, or
  several at once; the customer then uses both ids, interleaved, or moves to the new one;
- numbered walk-in buyers ('Walk-in buyer 17'), a placeholder id for cash sales with many
  orders, generic names under several ids ('Cash customer', 'Service GmbH'), branches that
  differ in a number ('Stadtwerke Nord 2' / '3'), and different customers with the same
  name, with names one letter apart, or with names that differ in the legal form only.

The truth (`HardTruth`) lists the re-keyed pairs (the only pairs that are one customer),
each id's tier and the walk-in ids. Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

START = pd.Timestamp("2025-01-01", tz="UTC")
DAYS = 365
PRODUCTS = ("Pumps", "Valves", "Spare parts", "Service contracts", "Custom systems")
TIER_SHARES = {"key_account": 0.08, "priority": 0.17, "occasional": 0.35, "one_time": 0.40}
CADENCE = {"key_account": (7, 18), "priority": (21, 56), "occasional": (30, 120)}
VALUE = {"key_account": 9.0, "priority": 8.2, "occasional": 7.5, "one_time": 7.0}

_SURNAMES = [
    "Müller",
    "Schäfer",
    "Köhler",
    "Böhm",
    "Krämer",
    "Hübner",
    "Jäger",
    "Günther",
    "Schröder",
    "Fröhlich",
    "Wörner",
    "Büttner",
    "Weber",
    "Becker",
    "Hoffmann",
    "Wagner",
    "Schulz",
    "Fischer",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Schmitt",
    "Meier",
    "Brandt",
    "Vogel",
    "Kaiser",
    "Peters",
    "Roth",
    "Frank",
    "Baumann",
    "Graf",
    "Seidel",
    "Ludwig",
    "Kuhn",
    "Sommer",
    "Haas",
    "Engel",
    "Horn",
    "Busch",
    "Berger",
    "Arnold",
    "Pohl",
    "Keller",
    "Bauer",
    "Lorenz",
    "Otto",
    "Voigt",
    "Stein",
    "Albrecht",
    "Franke",
    "Winter",
    "Smith",
    "Johnson",
    "Clarke",
    "Turner",
    "Walker",
    "Hughes",
    "Edwards",
    "Morgan",
    "Cooper",
    "Bennett",
    "Dupont",
    "Moreau",
    "Lefèvre",
    "Girard",
    "Rossi",
    "Bianchi",
    "Ferrari",
    "Esposito",
    "Jansen",
    "Visser",
    "Dekker",
    "Nilsson",
    "Lindqvist",
    "Kowalski",
    "Nowak",
    "Novák",
    "Dvořák",
]
_TRADES = [
    "Anlagenbau",
    "Pumpentechnik",
    "Maschinenbau",
    "Chemie",
    "Stahlbau",
    "Brauerei",
    "Papierfabrik",
    "Metallbau",
    "Kunststofftechnik",
    "Gebäudetechnik",
    "Wassertechnik",
    "Fördertechnik",
    "Logistik",
    "Elektrotechnik",
    "Engineering",
    "Industries",
    "Manufacturing",
    "Logistics",
    "Systems",
    "Chemicals",
    "Foods",
    "Plastics",
    "Holdings",
    "Energy",
    "Construction",
    "Technologies",
    "Automation",
    "Hydraulics",
    "Packaging",
    "Textiles",
]
_PLACES = [
    "Bremen",
    "Kassel",
    "Ulm",
    "Hagen",
    "Siegen",
    "Fulda",
    "Passau",
    "Rheine",
    "Minden",
    "Lüneburg",
    "Düren",
    "Nürtingen",
    "Göppingen",
    "Tübingen",
    "Jülich",
    "Leeds",
    "Bristol",
    "Derby",
    "Lyon",
    "Nantes",
    "Genève",
    "Milano",
    "Utrecht",
    "Malmö",
    "Kraków",
    "Brno",
    "Zürich",
]
_FORMS = {
    # legal form: the other ways it is written
    "GmbH": ("G.m.b.H.", "GMBH", "Gmbh"),
    "GmbH & Co. KG": ("GmbH & Co KG", "GmbH und Co. KG"),
    "AG": ("A.G.", "Aktiengesellschaft"),
    "KG": ("K.G.",),
    "Ltd": ("Limited", "Ltd.", "LTD"),
    "Limited": ("Ltd", "Ltd."),
    "Inc.": ("Incorporated", "Inc", "INC."),
    "S.A.": ("SA", "S.A", "s.a."),
    "SARL": ("S.A.R.L.", "Sarl"),
    "B.V.": ("BV", "B.V"),
    "plc": ("PLC", "p.l.c."),
    "LLC": ("L.L.C.", "llc"),
    "e.K.": ("e. K.", "eK"),
    "S.p.A.": ("SpA", "S.P.A."),
}
_ABBREVIATIONS = {
    "Group": "GRP",
    "International": "Intl",
    "and": "&",
    "&": "and",
    "Brothers": "Bros",
    "Manufacturing": "Mfg",
    "Company": "Co",
    "Holdings": "Hldgs",
}
_GENERIC = ("Cash customer", "Service GmbH", "Barverkauf", "Diverse Kunden", "Retail customer")


@dataclass
class HardTruth:
    """What is true of a generated set: one-customer pairs, tiers, walk-in ids, kinds."""

    pairs: set[tuple[str, str]] = field(default_factory=set)
    tier: dict[str, str] = field(default_factory=dict)
    walk_in: set[str] = field(default_factory=set)
    placeholder: set[str] = field(default_factory=set)
    kind: dict[tuple[str, str], str] = field(default_factory=dict)  # how the alias differs
    trap: dict[tuple[str, str], str] = field(default_factory=dict)  # look-alike, not one


def _company(rng: np.random.Generator) -> str:
    surname = str(rng.choice(_SURNAMES))
    trade = str(rng.choice(_TRADES))
    place = str(rng.choice(_PLACES))
    form = str(rng.choice(list(_FORMS)))
    pattern = int(rng.integers(7))
    if pattern == 0:
        return f"{surname} {trade} {form}"
    if pattern == 1:
        return f"{trade} {place} {form}"
    if pattern == 2:
        other = str(rng.choice(_SURNAMES))
        return f"{surname} & {other} {form}" if other != surname else f"{surname} {form}"
    if pattern == 3:
        return f"{surname} {trade} {place} {form}"
    if pattern == 4:
        return f"{surname} Group {form}"
    if pattern == 5:
        return f"{surname} International {trade} {form}"
    return f"{surname} Brothers and {trade} {form}"


def _typo(name: str, rng: np.random.Generator) -> str:
    """One hurried-typist slip in a word of 5+ letters: swap, drop, double or wrong letter."""
    words = name.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    i = int(rng.choice(long)) if long else 0
    word = words[i]
    p = int(rng.integers(1, max(2, len(word) - 1)))
    kind = int(rng.integers(4))
    if kind == 0 and p + 1 < len(word):
        word = word[:p] + word[p + 1] + word[p] + word[p + 2 :]
    elif kind == 1:
        word = word[:p] + word[p + 1 :]
    elif kind == 2:
        word = word[:p] + word[p] + word[p:]
    else:
        letters = "aeinrstl".replace(word[p].lower(), "")
        word = word[:p] + letters[int(rng.integers(len(letters)))] + word[p + 1 :]
    words[i] = word
    return " ".join(words)


def _form_of(name: str) -> str | None:
    return next((f for f in sorted(_FORMS, key=len, reverse=True) if name.endswith(" " + f)), None)


def alias_name(name: str, kind: str, rng: np.random.Generator) -> str:
    """The name as keyed again, changed in the way `kind` says."""
    form = _form_of(name)
    if kind == "capitals":
        return name.upper()
    if kind == "form_spelling" and form:
        other = str(rng.choice(_FORMS[form]))
        return name[: -len(form)] + other
    if kind == "form_dropped" and form:
        return name[: -len(form) - 1]
    if kind == "abbreviation":
        for word, short in _ABBREVIATIONS.items():
            if f" {word} " in f" {name} ":
                return f" {name} ".replace(f" {word} ", f" {short} ", 1).strip()
        return name.upper()
    if kind == "typo":
        return _typo(name, rng)
    if kind == "umlaut":
        spelt = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
        lost = {"ä": "a", "ö": "o", "ü": "u", "Ä": "A", "Ö": "O", "Ü": "U"}
        table = spelt if rng.random() < 0.7 else lost
        changed = "".join(table.get(ch, ch) for ch in name)
        if changed != name:
            return changed
        import unicodedata

        stripped = unicodedata.normalize("NFKD", name)
        stripped = "".join(ch for ch in stripped if not unicodedata.combining(ch))
        return stripped if stripped != name else _typo(name, rng)
    if kind == "issue_13":  # capitals, Ltd -> Limited, Group -> GRP, as on the unseen log
        changed = name.replace("Group", "GRP").replace(" Ltd", " Limited")
        return changed.upper()
    return _typo(name, rng)


ALIAS_KINDS = (
    "capitals",
    "form_spelling",
    "form_dropped",
    "abbreviation",
    "typo",
    "umlaut",
    "issue_13",
)


def _timeline(tier: str, rng: np.random.Generator) -> np.ndarray:
    """Order days (float, from START) of one customer over the year."""
    if tier == "one_time":
        return np.array([rng.uniform(0, DAYS)])
    low, high = CADENCE[tier]
    cadence = rng.uniform(low, high)
    t = rng.uniform(0, cadence)
    days = []
    while t < DAYS:
        days.append(t)
        if rng.random() < 0.05:  # a second order the same day
            days.append(t + rng.uniform(0, 0.3))
        t += cadence * rng.gamma(8.0, 1 / 8.0)
    return np.array(days if days else [rng.uniform(0, DAYS)])


def hard_orders(
    seed: int = 1,
    named: int = 444,
    rekeyed: int = 46,
    walk_ins: int = 1800,
    same_name_pairs: int = 4,
    typo_apart_pairs: int = 4,
    form_apart_pairs: int = 4,
    branches: int = 4,
) -> tuple[pd.DataFrame, HardTruth]:
    """An order table with hard customer names and the truth about who is who (see module)."""
    rng = np.random.default_rng(seed)
    truth = HardTruth()
    rows: list[tuple[str, str, float, float, str]] = []
    next_id = iter(range(10_001, 10_000_000))
    tiers = list(TIER_SHARES)
    shares = np.array(list(TIER_SHARES.values()))

    def customer(name: str, tier: str, ids: tuple[str, ...] = (), mode: str = "") -> list[str]:
        """Draw one real customer's orders under `name` (and an alias id, if given)."""
        own = ids or (f"C{next(next_id)}",)
        days = _timeline(tier, rng)
        level = VALUE[tier] + rng.normal(0, 0.4)
        lines = rng.choice(len(PRODUCTS), size=1 + int(rng.integers(3)), replace=False)
        switch = rng.uniform(0.3, 0.7) * DAYS
        share = rng.uniform(0.25, 0.6)
        for day in np.sort(days):
            who = 0
            if len(own) > 1:
                who = int(day >= switch) if mode == "switch" else int(rng.random() < share)
            rows.append(
                (
                    own[who],
                    name if who == 0 else ids_names[own[1]],
                    float(day),
                    float(np.exp(level + rng.normal(0, 0.3))),
                    PRODUCTS[int(rng.choice(lines))],
                )
            )
        for i in own:
            truth.tier[i] = tier
        return list(own)

    ids_names: dict[str, str] = {}
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < named:
        name = _company(rng)
        if name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    tier_of = [tiers[int(rng.choice(len(tiers), p=shares))] for _ in range(named)]
    repeat_positions = [i for i in range(named) if tier_of[i] != "one_time"]
    size = min(rekeyed, len(repeat_positions))
    chosen = set(rng.choice(repeat_positions, size=size, replace=False).tolist())
    for position, name in enumerate(names):
        tier = tier_of[position]
        if position in chosen:
            kind = ALIAS_KINDS[len(truth.pairs) % len(ALIAS_KINDS)]
            alias = alias_name(name, kind, rng)
            if alias == name:
                alias = name.upper()
            first, second = f"C{next(next_id)}", f"C{next(next_id)}"
            ids_names[second] = alias
            mode = "switch" if rng.random() < 0.3 else "mixed"
            customer(name, tier, (first, second), mode)
            pair = (min(first, second), max(first, second))
            truth.pairs.add(pair)
            truth.kind[pair] = kind
        else:
            customer(name, tier)

    def trap(name_a: str, name_b: str, label: str) -> None:
        tier_a, tier_b = (tiers[int(rng.choice(3))] for _ in range(2))
        (a,) = customer(name_a, tier_a)
        (b,) = customer(name_b, tier_b)
        truth.trap[(min(a, b), max(a, b))] = label

    for _ in range(same_name_pairs):  # two different customers, one name
        name = _company(rng)
        trap(name, name, "same name")
    for _ in range(typo_apart_pairs):  # 'Meyer Logistik' and 'Meier Logistik'
        name = _company(rng)
        other = _typo(name, rng)
        trap(name, other, "one letter apart")
    for _ in range(form_apart_pairs):  # 'Stahlbau Rheine GmbH' and 'Stahlbau Rheine KG'
        base = f"{rng.choice(_TRADES)} {rng.choice(_PLACES)}"
        trap(f"{base} GmbH", f"{base} KG", "legal forms differ")
    for _ in range(branches):  # 'Stadtwerke Nord 2', 'Stadtwerke Nord 3'
        base = f"Stadtwerke {rng.choice(_PLACES)}"
        for number in range(1, 4):
            customer(f"{base} {number}", tiers[int(rng.choice(3))])
    for generic in _GENERIC:  # different buyers under one generic name
        for _ in range(3):
            customer(generic, "one_time" if rng.random() < 0.6 else "occasional")
    for number in range(1, walk_ins + 1):
        (walk_in,) = customer(f"Walk-in buyer {number}", "one_time")
        truth.walk_in.add(walk_in)
    # One id for all cash sales: many buyers, many small orders.
    cash = f"C{next(next_id)}"
    truth.tier[cash] = "one_time"
    truth.walk_in.add(cash)
    truth.placeholder.add(cash)
    for day in np.sort(rng.uniform(0, DAYS, size=300)):
        value = float(np.exp(rng.normal(6, 0.5)))
        rows.append((cash, "Barverkauf Laufkunden", float(day), value, "Spare parts"))

    frame = pd.DataFrame(rows, columns=["customer", "customer_name", "day", "value", "product"])
    present = set(frame["customer"])  # an alias never used before the year's end is no pair
    truth.pairs = {p for p in truth.pairs if p[0] in present and p[1] in present}
    truth.tier = {i: t for i, t in truth.tier.items() if i in present}
    frame = frame.sort_values(["day", "customer"], kind="stable").reset_index(drop=True)
    frame["received"] = START + pd.to_timedelta(frame.pop("day") * 86_400, unit="s").dt.floor("s")
    frame["value"] = frame["value"].round(2)
    frame.insert(0, "case", [f"SO-{i:07d}" for i in range(len(frame))])
    return frame, truth


def scores(proposed: pd.DataFrame, truth: HardTruth) -> dict[str, float]:
    """Precision and recall of merged pairs (and of merged + review) against the truth.

    A merge counts through its groups: ids joined by any chain of merges are one customer,
    so every pair inside a merged group is judged.
    """
    result: dict[str, float] = {"true_pairs": len(truth.pairs), "pairs": len(proposed)}
    for label, decisions in (("merge", {"merge"}), ("merge_review", {"merge", "review"})):
        chosen = proposed[proposed["decision"].isin(decisions)]
        found = _group_pairs(chosen)
        hit = len(found & truth.pairs)
        result[f"{label}_pairs"] = len(found)
        result[f"{label}_precision"] = hit / len(found) if found else 1.0
        result[f"{label}_recall"] = hit / len(truth.pairs) if truth.pairs else 1.0
    return result


def _group_pairs(pairs: pd.DataFrame) -> set[tuple[str, str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs[["id_a", "id_b"]].astype(str).to_numpy():
        parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    found = set()
    for members in groups.values():
        members.sort()
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                found.add((a, b))
    return found
