"""The visit mix: which class and type each encounter has, what (if anything) is diagnosed, and why.

Rates are tuned so resource counts per encounter track Coherent's (e.g. ~0.1 Conditions per encounter,
about a third of them abated) while notes and claims stay realistic.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from scribe_lakehouse.synth import catalog as cat

# class, type code, type display, conditions diagnosed now, reason (SNOMED code, display) or None
Choice = tuple[str, str, str, list[cat.Condition], tuple[str, str] | None]

CHRONIC = tuple(c for c in cat.CONDITIONS if c.chronic)
ACUTE = tuple(c for c in cat.CONDITIONS if not c.chronic and c.complaint)
FINDINGS = tuple(c for c in cat.CONDITIONS if not c.chronic and not c.complaint)
MAX_CHRONIC = 6
_COVID = "840539006"
_COVID_ERA = int(dt.datetime(2020, 3, 1, tzinfo=dt.UTC).timestamp())
_FOLLOW_UP = cat.ENCOUNTER_TYPES["AMB"][2]


def choose(
    rng: random.Random, *, t: int, age: float, first: bool, chronic: Sequence[cat.Condition]
) -> Choice:
    """A full visit: wellness (~25%), ambulatory (~60%), emergency (~14%) or inpatient (~4%)."""
    adult = age >= 18
    r = 0.0 if first else rng.random()
    new: list[cat.Condition] = []
    if r < (0.3 if not adult else 0.22):
        wellness = cat.ENCOUNTER_TYPES["WELLNESS"]
        code, display = rng.choice(wellness[:2]) if adult else wellness[2]
        if adult and len(chronic) < MAX_CHRONIC and rng.random() < 0.1 + age / 250:
            new.append(new_chronic(rng, chronic))
        if rng.random() < 0.04:
            new.append(rng.choice(FINDINGS))
        return "WELLNESS", code, display, new, None
    if r < 0.82:
        roll = rng.random()
        if chronic and roll < 0.45:
            c = rng.choice(chronic)
            return "AMB", *_FOLLOW_UP, new, (c.code, c.display)
        is_acute = rng.random() < 0.13
        if is_acute or (adult and len(chronic) < MAX_CHRONIC and rng.random() < 0.02 + age / 1500):
            c = acute(rng, t) if is_acute else new_chronic(rng, chronic)
            code, display = cat.ENCOUNTER_TYPES["AMB"][0 if c.complaint else 1]
            return "AMB", code, display, [c], (c.code, c.display)
        code, display = rng.choice(
            cat.ENCOUNTER_TYPES["AMB"][1:] if chronic else cat.ENCOUNTER_TYPES["AMB"][3:]
        )
        if chronic and code == "185347001":
            c = rng.choice(chronic)
            return "AMB", code, display, new, (c.code, c.display)
        return "AMB", code, display, new, None
    cls = "EMER" if r < 0.96 else "IMP"
    code, display = rng.choice(cat.ENCOUNTER_TYPES[cls])
    if chronic and rng.random() < 0.4:
        c = rng.choice(chronic)
        return cls, code, display, new, (c.code, c.display)
    if rng.random() < 0.35:
        c = acute(rng, t)
        return cls, code, display, [c], (c.code, c.display)
    return cls, code, display, new, None


def brief(rng: random.Random, chronic: Sequence[cat.Condition]) -> Choice:
    """A short ambulatory follow-up: no diagnosis."""
    if chronic:
        c = rng.choice(chronic)
        return "AMB", *_FOLLOW_UP, [], (c.code, c.display)
    return "AMB", "185347001", "Encounter for problem (procedure)", [], None


def acute(rng: random.Random, t: int) -> cat.Condition:
    """An acute condition plausible at time `t` (no COVID-19 before 2020)."""
    c = rng.choice(ACUTE)
    while c.code == _COVID and t < _COVID_ERA:
        c = rng.choice(ACUTE)
    return c


def new_chronic(rng: random.Random, held: Sequence[cat.Condition]) -> cat.Condition:
    codes = {c.code for c in held}
    return rng.choice([c for c in CHRONIC if c.code not in codes])
