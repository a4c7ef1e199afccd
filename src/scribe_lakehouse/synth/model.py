"""The generator's in-memory shapes: one synthetic person and the context of one visit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from scribe_lakehouse.synth.fhirkit import Json
from scribe_lakehouse.synth.providers import Facility, Practitioner


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
    """One encounter being built: ids, formatted times, who and where, and what happened (for notes/claims)."""

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
    complaints: list[str] = field(default_factory=list)
