"""The generator's in-memory shapes: one synthetic person and the context of one visit."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from scribe_lakehouse.synth import catalog as cat
from scribe_lakehouse.synth import people
from scribe_lakehouse.synth.fhirkit import Json, new_uuid, ref
from scribe_lakehouse.synth.providers import Facility, Practitioner, ProviderPool


@dataclass(frozen=True)
class Person:
    pid: str
    given: str  # with Synthea's digits, e.g. "Rodney21"
    family: str
    gender: str  # "male" | "female"
    birth: dt.date
    race: tuple[str, str, str, int]
    ethnicity: tuple[str, str, str]
    city: tuple[str, str, float, float]
    street: str
    marital: tuple[str, str]
    payer: str
    smoking: tuple[str, str]
    primary: int  # facility index
    hospital: int  # facility index
    subject: Json  # shared {"reference": "urn:uuid:<pid>"}

    @property
    def prefix(self) -> str:
        return "Mr." if self.gender == "male" else "Mrs."

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}"


@dataclass
class Visit:
    """One encounter being built: ids, times, who and where, and what happened (for notes and claims)."""

    eid: str
    cls: str  # WELLNESS | AMB | EMER | IMP
    type_code: str
    type_display: str
    start: int  # UTC epoch seconds
    end: int
    start_s: str
    end_s: str
    issued_s: str
    practitioner: Practitioner
    facility: Facility
    enc_ref: Json
    age: int
    reason: tuple[str, str] | None = None  # SNOMED (code, display) of the condition treated
    new_conditions: list[tuple[str, str, str]] = field(default_factory=list)  # (resource id, code, display)
    procedures: list[tuple[str, str, str]] = field(default_factory=list)  # (resource id, code, display)
    immunizations: list[tuple[str, str, str]] = field(default_factory=list)  # (resource id, cvx, display)
    prescriptions: list[tuple[str, str]] = field(default_factory=list)  # (MedicationRequest id, RxNorm code)
    lab_reports: list[str] = field(default_factory=list)  # panel displays
    billed: list[Json] = field(default_factory=list)  # LOINC concepts of billed reports and questionnaires
    complaints: list[str] = field(default_factory=list)


def new_person(rng: random.Random, pool: ProviderPool, *, birth: dt.date, age_now: float) -> Person:
    """Draw demographics, payer, smoking status and the person's primary-care and hospital facilities."""
    gender = rng.choice(("male", "female"))
    stems = people.given_stems(gender)
    pid = new_uuid(rng)
    city = rng.choice(people.CITIES)
    local = [i for i in pool.primary if pool.facilities[i].city == city[0]]
    return Person(
        pid=pid,
        given=f"{rng.choice(stems)}{rng.randint(1, 999)}",
        family=f"{rng.choice(people.FAMILY_NAMES)}{rng.randint(1, 999)}",
        gender=gender,
        birth=birth,
        race=rng.choices(people.RACES, weights=[r[3] for r in people.RACES])[0],
        ethnicity=people.ETHNICITIES[1] if rng.random() < 0.12 else people.ETHNICITIES[0],
        city=city,
        street=f"{rng.randint(1, 999)} {rng.choice(people.STREETS)}",
        marital=people.MARITAL[1] if age_now < 20 else rng.choice(people.MARITAL),
        payer="Medicare" if age_now >= 65 else rng.choice(cat.PAYERS),
        smoking=cat.SMOKING[0] if age_now < 18 else rng.choices(cat.SMOKING, weights=(60, 25, 15))[0],
        primary=rng.choice(local or list(pool.primary)),
        hospital=rng.choice(pool.hospitals),
        subject=ref(pid),
    )
