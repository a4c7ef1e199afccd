"""The provider directory: organizations, locations and practitioners, and the two reference bundles
(`organizations.json`, `practitioners.json`) that patient bundles' conditional references resolve against."""

from __future__ import annotations

import random
from dataclasses import dataclass

from scribe_lakehouse.synth import people
from scribe_lakehouse.synth.fhirkit import NPI, SYNTHEA_ID, Json, concept, new_uuid, profile

_ORG_TYPE = concept("http://terminology.hl7.org/CodeSystem/organization-type", "prov", "Healthcare Provider")
_PRIMARY_KINDS = frozenset({"PRIMARY CARE", "FAMILY PRACTICE", "HEALTH CENTER"})
_HOSPITAL_KINDS = frozenset({"HOSPITAL", "MEDICAL CENTER"})


@dataclass(frozen=True)
class Facility:
    """An Organization and its one Location (same name and address, distinct Synthea identifiers)."""

    org_id: str
    loc_id: str
    name: str
    kind: str
    city: str
    postal_code: str
    street: str
    phone: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Practitioner:
    npi: str
    given: str
    family: str
    gender: str
    facility: int  # index into ProviderPool.facilities
    specialty: tuple[str, str]

    @property
    def display(self) -> str:
        return f"Dr. {self.given} {self.family}"


@dataclass(frozen=True)
class ProviderPool:
    facilities: tuple[Facility, ...]
    practitioners: tuple[Practitioner, ...]
    staff: tuple[tuple[int, ...], ...]  # practitioner indexes per facility
    primary: tuple[int, ...]  # facility indexes for wellness and ambulatory care
    hospitals: tuple[int, ...]  # facility indexes for emergency and inpatient care


def build_pool(seed: int, *, facilities: int = 64) -> ProviderPool:
    """A deterministic directory for `seed` (independent of the patient count)."""
    rng = random.Random(f"scribe-synth-providers:{seed}")
    facs: list[Facility] = []
    pracs: list[Practitioner] = []
    staff: list[tuple[int, ...]] = []
    npis = rng.sample(range(10000, 99999), facilities * 6)
    for i in range(facilities):
        city, zip_code, lat, lon = people.CITIES[i % len(people.CITIES)]
        kind = people.ORG_KINDS[i % len(people.ORG_KINDS)]
        street = f"{rng.randint(1, 999)} {rng.choice(people.STREETS)}"
        phone = f"{rng.randint(201, 989)}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
        facs.append(
            Facility(
                new_uuid(rng),
                new_uuid(rng),
                f"{city.upper()} {kind}",
                kind,
                city,
                zip_code,
                street,
                phone,
                round(lat + rng.uniform(-0.05, 0.05), 6),
                round(lon + rng.uniform(-0.05, 0.05), 6),
            )
        )
        members: list[int] = []
        for _ in range(rng.randint(3, 6)):
            gender = rng.choice(("male", "female"))
            stems = people.given_stems(gender)
            specialty = people.SPECIALTIES[0] if kind in _PRIMARY_KINDS else rng.choice(people.SPECIALTIES)
            members.append(len(pracs))
            pracs.append(
                Practitioner(
                    f"99999{npis[len(pracs)]:05d}",
                    f"{rng.choice(stems)}{rng.randint(1, 999)}",
                    f"{rng.choice(people.FAMILY_NAMES)}{rng.randint(1, 999)}",
                    gender,
                    i,
                    specialty,
                )
            )
        staff.append(tuple(members))
    primary = tuple(i for i, f in enumerate(facs) if f.kind in _PRIMARY_KINDS or f.kind == "URGENT CARE")
    hospitals = tuple(i for i, f in enumerate(facs) if f.kind in _HOSPITAL_KINDS)
    return ProviderPool(tuple(facs), tuple(pracs), tuple(staff), primary, hospitals)


def _address(f: Facility) -> Json:
    return {"line": [f.street], "city": f.city, "state": "MA", "postalCode": f.postal_code, "country": "US"}


def _batch_entry(resource: Json, rtype: str, if_none_exist: str | None) -> Json:
    request: Json = {"method": "POST", "url": rtype}
    if if_none_exist is not None:
        request["ifNoneExist"] = if_none_exist
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource, "request": request}


def organizations_bundle(pool: ProviderPool) -> Json:
    """Organization + Location per facility, identified by Synthea identifiers (batch bundle)."""
    entries: list[Json] = []
    for f in pool.facilities:
        org_ident = {"system": SYNTHEA_ID, "value": f.org_id}
        org: Json = {
            "resourceType": "Organization",
            "id": f.org_id,
            "meta": profile("us-core-organization"),
            "identifier": [org_ident],
            "active": True,
            "type": [_ORG_TYPE],
            "name": f.name,
            "telecom": [{"system": "phone", "value": f.phone}],
            "address": [_address(f)],
        }
        loc: Json = {
            "resourceType": "Location",
            "id": f.loc_id,
            "meta": profile("us-core-location"),
            "identifier": [{"system": SYNTHEA_ID, "value": f.loc_id}],
            "status": "active",
            "name": f.name,
            "telecom": [{"system": "phone", "value": f.phone}],
            "address": _address(f),
            "position": {"longitude": f.lon, "latitude": f.lat},
            "managingOrganization": {"identifier": org_ident, "display": f.name},
        }
        entries.append(_batch_entry(org, "Organization", f"identifier={SYNTHEA_ID}|{f.org_id}"))
        entries.append(_batch_entry(loc, "Location", f"identifier={SYNTHEA_ID}|{f.loc_id}"))
    return {"resourceType": "Bundle", "type": "batch", "entry": entries}


def practitioners_bundle(pool: ProviderPool, seed: int) -> Json:
    """Practitioner + PractitionerRole per practitioner, identified by NPI (batch bundle)."""
    rng = random.Random(f"scribe-synth-practitioners:{seed}")
    entries: list[Json] = []
    for p in pool.practitioners:
        f = pool.facilities[p.facility]
        email = {
            "extension": [
                {
                    "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-direct",
                    "valueBoolean": True,
                }
            ],
            "system": "email",
            "value": f"{p.given}.{p.family}@example.com",
            "use": "work",
        }
        prac: Json = {
            "resourceType": "Practitioner",
            "id": new_uuid(rng),
            "meta": profile("us-core-practitioner"),
            "identifier": [{"system": NPI, "value": p.npi}],
            "active": True,
            "name": [{"family": p.family, "given": [p.given], "prefix": ["Dr."]}],
            "telecom": [email],
            "address": [_address(f)],
            "gender": p.gender,
        }
        specialty = concept("http://nucc.org/provider-taxonomy", *p.specialty)
        role: Json = {
            "resourceType": "PractitionerRole",
            "id": new_uuid(rng),
            "meta": profile("us-core-practitionerrole"),
            "practitioner": {"identifier": {"system": NPI, "value": p.npi}, "display": p.display},
            "organization": {"identifier": {"system": SYNTHEA_ID, "value": f.org_id}, "display": f.name},
            "code": [specialty],
            "specialty": [specialty],
            "location": [{"identifier": {"system": SYNTHEA_ID, "value": f.loc_id}, "display": f.name}],
            "telecom": [{"system": "phone", "value": f.phone}, email],
        }
        entries.append(_batch_entry(prac, "Practitioner", f"identifier={NPI}|{p.npi}"))
        entries.append(_batch_entry(role, "PractitionerRole", None))
    return {"resourceType": "Bundle", "type": "batch", "entry": entries}
