"""Customer names, plain and hard: distinct company names per locale, and the planted cases.

Hard cases a customer-identity method must get right: a re-keyed second record of the same
customer (name in capitals, "Ltd" written "Limited", "Group" as "GRP", "&" vs "and", typos,
umlauts spelled out); two different customers with the very same name; generic names
("Service GmbH"); numbered branches that are different customers ("Stadtwerke Nord 2" is
not "Stadtwerke Nord 3"); one-time walk-in buyers recorded as "Walk-in buyer 17".
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from l2csim.sample.testbed.streams import Entropy, substream

WORDS = {
    "DE": {
        "surnames": (
            "Müller Schäfer Köhler Böhm Krämer Hübner Jäger Günther Schröder Fröhlich "
            "Wörner Büttner Weber Becker Hoffmann Wagner Schulz Fischer Richter Klein Wolf "
            "Neumann Schwarz Zimmermann Braun Hartmann Lange Werner Krause Lehmann Schmitt "
            "Meier Brandt Vogel Kaiser Peters Roth Frank Baumann Graf Seidel Ludwig Kuhn "
            "Sommer Haas Engel Horn Busch Berger Arnold Pohl Keller Bauer Lorenz Otto Voigt "
            "Stein Albrecht Franke Winter Jung Hahn Schubert Vogt Friedrich Scholz Möller "
            "Weiß Krüger Beck Lang Herrmann König Walter Mayer Huber Kaufmann"
        ),
        "trades": (
            "Anlagenbau Pumpentechnik Maschinenbau Chemie Stahlbau Brauerei Papierfabrik "
            "Lebensmitteltechnik Agrartechnik Energietechnik Klärtechnik Metallbau "
            "Kunststofftechnik Gebäudetechnik Wassertechnik Fördertechnik Antriebstechnik "
            "Umwelttechnik Verfahrenstechnik Armaturen Hydraulik Kältetechnik"
        ),
        "places": (
            "Bremen Kassel Ulm Hagen Siegen Fulda Passau Rheine Minden Lüneburg Düren "
            "Nürtingen Göppingen Tübingen Bückeburg Jülich Cottbus Gera Jena Zwickau Bautzen "
            "Wismar Celle Hameln Lahr Coburg Amberg Landshut Kempten Aalen"
        ),
        "forms": (("GmbH", 0.5), ("GmbH & Co. KG", 0.2), ("AG", 0.1), ("KG", 0.1), ("SE", 0.1)),
        "generic": (
            "Service GmbH",
            "Technik GmbH",
            "Handel GmbH",
            "Industrieservice GmbH",
            "Montage GmbH",
            "Vertrieb GmbH",
        ),
        "branches": (
            "Stadtwerke Nord",
            "Stadtwerke Süd",
            "Klärwerk Ost",
            "Wasserverband Mitte",
            "Zweckverband West",
        ),
        "walk_in": "Walk-in buyer",
    },
    "GB": {
        "surnames": (
            "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright "
            "Thompson Evans Walker White Roberts Green Hall Wood Jackson Clarke Hughes "
            "Edwards Turner Harris Cooper Hill Ward Morris Moore King Baker Harrison Morgan "
            "Patel Lewis Allen Bennett Carter Mitchell Parker Shaw Price Bailey Cook "
            "Marshall Holmes Barker Fletcher Grant Knight Lloyd Palmer Russell Stevens Webb "
            "Rose Foster Gray Butler Dixon Pearce Chapman Mason Ellis Kelly Hunt Murray"
        ),
        "trades": (
            "Engineering Fabrications Hydraulics Plant Water Brewing Foods Packaging "
            "Controls Fluid Building Process Plastics Metals Pumps Valves Irrigation "
            "Dairies Chemicals Maltings Haulage Marine"
        ),
        "places": (
            "Leeds Bristol Derby Preston Hull Swindon Reading Norwich Exeter Stoke Wigan "
            "Luton Bolton York Carlisle Ipswich Lincoln Dundee Perth Bangor Truro Hereford "
            "Kendal Whitby Buxton Ely Selby Ripon"
        ),
        "forms": (
            ("Ltd", 0.55),
            ("Group Ltd", 0.15),
            ("plc", 0.1),
            ("& Sons Ltd", 0.1),
            ("LLP", 0.1),
        ),
        "generic": (
            "Services Ltd",
            "Engineering Ltd",
            "Supplies Ltd",
            "Trading Ltd",
            "Maintenance Ltd",
            "Solutions Ltd",
        ),
        "branches": (
            "Northern Water Depot",
            "Southern Water Depot",
            "County Council Works",
            "Eastern Rail Yard",
            "Harbour Authority Store",
        ),
        "walk_in": "Walk-in buyer",
    },
    "US": {
        "surnames": (
            "Miller Davis Garcia Rodriguez Martinez Anderson Thomas Hernandez Moore Martin "
            "Jackson Thompson White Lopez Lee Gonzalez Harris Clark Lewis Robinson Walker "
            "Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson "
            "Baker Hall Rivera Campbell Mitchell Carter Roberts Phillips Evans Turner Parker "
            "Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Peterson Cooper Reed "
            "Bailey Bell Kelly Howard Ward Cox Richardson Wood Watson Brooks Bennett"
        ),
        "trades": (
            "Industrial Pump Machining Hydraulic Water Process Controls Fabrication Brewing "
            "Mechanical Irrigation Dairy Plastics Steel Valve Marine Chemical Grain Paper "
            "Foundry Tooling Filtration"
        ),
        "places": (
            "Peoria Joliet Rockford Elgin Dubuque Toledo Gary Racine Kenosha Aurora "
            "Springfield Decatur Moline Waukegan Champaign Davenport Akron Dayton Muncie "
            "Madison Oshkosh Appleton Ames Lansing Flint Bloomington Quincy Galena"
        ),
        "forms": (("Inc.", 0.5), ("LLC", 0.25), ("Corp.", 0.1), ("Co.", 0.1), ("Group Inc.", 0.05)),
        "generic": (
            "Services Inc.",
            "Supply Co.",
            "Industrial Inc.",
            "Solutions LLC",
            "Maintenance LLC",
            "Equipment Co.",
        ),
        "branches": (
            "City Water Plant",
            "County Road Depot",
            "Rail Yard",
            "Port Terminal",
            "School District Facility",
        ),
        "walk_in": "Walk-in buyer",
    },
}

_UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
_FORM_WORDS = re.compile(
    r"\b(gmbh|co|kg|ag|se|ltd|limited|plc|llp|inc|llc|corp|group|grp|sons|and)\b|[&.,]"
)


def _words(locale: str, key: str) -> tuple[str, ...]:
    return tuple(WORDS[locale][key].split())


def normalise(name: str) -> str:
    """Lower case, umlauts spelled out, legal forms and punctuation dropped (for distinctness)."""
    text = "".join(_UMLAUTS.get(c, c) for c in name).lower()
    return " ".join(_FORM_WORDS.sub(" ", text).split())


def company_name(locale: str, rng: np.random.Generator) -> str:
    surnames, trades, places = (_words(locale, k) for k in ("surnames", "trades", "places"))
    forms = WORDS[locale]["forms"]
    weights = np.array([w for _, w in forms])
    form = forms[int(rng.choice(len(forms), p=weights / weights.sum()))][0]
    surname = surnames[int(rng.integers(len(surnames)))]
    trade = trades[int(rng.integers(len(trades)))]
    place = places[int(rng.integers(len(places)))]
    pattern = int(rng.integers(4))
    if pattern == 0:
        core = f"{surname} {trade}"
    elif pattern == 1:
        core = f"{trade} {place}" if locale == "DE" else f"{place} {trade}"
    elif pattern == 2:
        other = surnames[int(rng.integers(len(surnames)))]
        core = f"{surname} & {other}" if other != surname else f"{surname} {trade}"
    else:
        core = f"{surname} {trade} {place}"
    if form.startswith("& ") and "&" in core:
        form = form.removeprefix("& Sons ")
    return f"{core} {form}"


@lru_cache(maxsize=64)
def distinct_names(locale: str, seed: Entropy, count: int) -> tuple[str, ...]:
    """`count` company names no two of which look alike (only planted cases may)."""
    rng = substream(seed, "names", 0)
    names: list[str] = []
    keys: list[str] = []
    attempts = 0
    while len(names) < count:
        attempts += 1
        if attempts > 200 * (count + 10):
            raise ValueError(f"cannot draw {count} distinct {locale} names")
        candidate = company_name(locale, rng)
        key = normalise(candidate)
        if process.extractOne(key, keys, scorer=fuzz.token_sort_ratio, score_cutoff=86) is None:
            names.append(candidate)
            keys.append(key)
    return tuple(names)


def typo(name: str, rng: np.random.Generator) -> str:
    """Swap two adjacent letters inside the first long word, as a hurried typist does."""
    words = name.split(" ")
    index = next((i for i, w in enumerate(words) if len(w) >= 4), 0)
    word = words[index]
    position = int(rng.integers(1, max(2, len(word) - 2)))
    chars = list(word)
    chars[position], chars[position + 1] = chars[position + 1], chars[position]
    swapped = "".join(chars)
    words[index] = swapped if swapped != word else word[:position] + word[position + 1 :]
    return " ".join(words)


_LEGAL_SPELLED = (
    ("GmbH & Co. KG", "GmbH u. Co. KG"),
    ("GmbH", "Gesellschaft mbH"),
    ("Ltd", "Limited"),
    ("Inc.", "Incorporated"),
    ("Corp.", "Corporation"),
    ("LLC", "L.L.C."),
    ("Co.", "Company"),
    ("plc", "PLC"),
    ("AG", "Aktiengesellschaft"),
)


def alias(name: str, kind: str, rng: np.random.Generator) -> tuple[str, str]:
    """The name as keyed again under a second record, and the kind of difference made.

    kinds: `capitals`, `legal_form` (Ltd -> Limited, GmbH -> Gesellschaft mbH ...),
    `group` (Group -> GRP), `ampersand` (& -> and, or back), `umlaut` (ü -> ue), `typo`.
    A kind that does not apply to the name falls back to a typo.
    """
    if kind == "capitals":
        return name.upper(), kind
    if kind == "legal_form":
        for short, long in _LEGAL_SPELLED:
            if name.endswith(" " + short):
                return name[: -len(short)] + long, kind
    if kind == "group" and " Group" in name:
        return name.replace(" Group", " GRP"), kind
    if kind == "ampersand":
        if " & " in name:
            return name.replace(" & ", " and "), kind
        if " and " in name:
            return name.replace(" and ", " & "), kind
    if kind == "umlaut":
        spelled = "".join(_UMLAUTS.get(c, c) for c in name)
        if spelled != name:
            return spelled, kind
    return typo(name, rng), "typo"


def generic_names(locale: str, count: int) -> list[str]:
    """Generic company names (each a different customer), e.g. "Service GmbH"."""
    pool = WORDS[locale]["generic"]
    return [pool[i % len(pool)] for i in range(count)]


def branch_names(locale: str, group: int, size: int) -> list[str]:
    """Numbered branches of one organisation, each a different customer ("... Nord 2")."""
    base = WORDS[locale]["branches"][group % len(WORDS[locale]["branches"])]
    return [f"{base} {n}" for n in range(2, size + 2)]


def walk_in(locale: str, number: int) -> str:
    return f"{WORDS[locale]['walk_in']} {number}"
