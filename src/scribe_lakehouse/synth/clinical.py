"""Builders for the clinical resources of a patient bundle, shaped like Synthea's R4 exporter output.

Each builder returns one bundle entry. Shared sub-objects (codings, categories, references) come from
`fhirkit` caches; nothing is mutated after it is built, except a MedicationRequest's status when it ends.
"""

from __future__ import annotations

from scribe_lakehouse.synth import catalog as cat
from scribe_lakehouse.synth import people
from scribe_lakehouse.synth.fhirkit import (
    SYNTHEA_ID,
    Json,
    bare_concept,
    concept,
    entry,
    location_ref,
    organization_ref,
    practitioner_ref,
    profile,
    quantity,
    ref,
)
from scribe_lakehouse.synth.model import Person, Visit

_OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"
_V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
_ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CAT_VITAL = [bare_concept(_OBS_CAT, "vital-signs", "Vital signs")]
CAT_LAB = [bare_concept(_OBS_CAT, "laboratory", "Laboratory")]
CAT_SURVEY = [bare_concept(_OBS_CAT, "survey", "Survey")]
CAT_SOCIAL = [bare_concept(_OBS_CAT, "social-history", "Social History")]
CAT_PROCEDURE = [bare_concept(_OBS_CAT, "procedure", "Procedure")]
_DR_LAB = [bare_concept(_V2_0074, "LAB", "Laboratory")]
_DR_ECG = [bare_concept(_V2_0074, "EC", "Electrocardiac")]
_DR_GENETICS = [bare_concept(_V2_0074, "GE", "Genetics")]
_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_VERIFIED = bare_concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed")
_COND_CAT = [
    bare_concept(
        "http://terminology.hl7.org/CodeSystem/condition-category",
        "encounter-diagnosis",
        "Encounter Diagnosis",
    )
]
_MED_CAT = [
    concept("http://terminology.hl7.org/CodeSystem/medicationrequest-category", "community", "Community")
]
_PPRF = [concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "PPRF", "primary performer")]
_CLASSES = {c: {"system": _ACT, "code": c} for c in ("AMB", "EMER", "IMP", "WELLNESS")}


def patient(p: Person, extra_given: str, ssn: str, deceased: str | None) -> Json:
    race_code, race_display, _, _ = p.race
    eth_code, eth_display, _ = p.ethnicity
    city, postal, lat, lon = p.city
    res: Json = {
        "resourceType": "Patient",
        "id": p.pid,
        "meta": profile("us-core-patient"),
        "extension": [
            {
                "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
                "extension": [
                    {
                        "url": "ombCategory",
                        "valueCoding": {"system": people.OMB, "code": race_code, "display": race_display},
                    },
                    {"url": "text", "valueString": race_display},
                ],
            },
            {
                "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
                "extension": [
                    {
                        "url": "ombCategory",
                        "valueCoding": {"system": people.OMB, "code": eth_code, "display": eth_display},
                    },
                    {"url": "text", "valueString": eth_display},
                ],
            },
            {
                "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                "valueCode": "M" if p.gender == "male" else "F",
            },
            {
                "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                "valueAddress": {"city": city, "state": "Massachusetts", "country": "US"},
            },
        ],
        "identifier": [
            {"system": SYNTHEA_ID, "value": p.pid},
            {
                "type": concept(
                    "http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical Record Number"
                ),
                "system": "http://hospital.smarthealthit.org",
                "value": p.pid,
            },
            {
                "type": concept(
                    "http://terminology.hl7.org/CodeSystem/v2-0203", "SS", "Social Security Number"
                ),
                "system": "http://hl7.org/fhir/sid/us-ssn",
                "value": ssn,
            },
        ],
        "name": [
            {"use": "official", "family": p.family, "given": [p.given, extra_given], "prefix": [p.prefix]}
        ],
        "telecom": [{"system": "phone", "value": "555-" + ssn[4:7] + "-" + ssn[7:], "use": "home"}],
        "gender": p.gender,
        "birthDate": p.birth.isoformat(),
    }
    if deceased is not None:
        res["deceasedDateTime"] = deceased
    res["address"] = [
        {
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/geolocation",
                    "extension": [
                        {"url": "latitude", "valueDecimal": lat},
                        {"url": "longitude", "valueDecimal": lon},
                    ],
                }
            ],
            "line": [p.street],
            "city": city,
            "state": "MA",
            "postalCode": postal,
            "country": "US",
        }
    ]
    res["maritalStatus"] = concept("http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", *p.marital)
    res["multipleBirthBoolean"] = False
    res["communication"] = [{"language": concept("urn:ietf:bcp:47", "en-US", "English (United States)")}]
    return entry(res, "Patient", p.pid)


def encounter(p: Person, v: Visit) -> Json:
    period = {"start": v.start_s, "end": v.end_s}
    f = v.facility
    res: Json = {
        "resourceType": "Encounter",
        "id": v.eid,
        "meta": profile("us-core-encounter"),
        "identifier": [{"use": "official", "system": SYNTHEA_ID, "value": v.eid}],
        "status": "finished",
        "class": _CLASSES[v.cls],
        "type": [concept(cat.SNOMED, v.type_code, v.type_display)],
        "subject": {"reference": p.subject["reference"], "display": f"{p.prefix} {p.full_name}"},
        "participant": [
            {
                "type": _PPRF,
                "period": period,
                "individual": practitioner_ref(v.practitioner.npi, v.practitioner.display),
            }
        ],
        "period": period,
    }
    if v.reason is not None:
        res["reasonCode"] = [bare_concept(cat.SNOMED, *v.reason)]
    res["location"] = [{"location": location_ref(f.loc_id, f.name)}]
    res["serviceProvider"] = organization_ref(f.org_id, f.name)
    return entry(res, "Encounter", v.eid)


def condition(p: Person, v: Visit, cid: str, c: cat.Condition, abatement: str | None) -> Json:
    res: Json = {
        "resourceType": "Condition",
        "id": cid,
        "meta": profile("us-core-condition-encounter-diagnosis"),
        "clinicalStatus": bare_concept(_CLINICAL, "resolved" if abatement else "active"),
        "verificationStatus": _VERIFIED,
        "category": _COND_CAT,
        "code": concept(cat.SNOMED, c.code, c.display),
        "subject": p.subject,
        "encounter": v.enc_ref,
        "onsetDateTime": v.start_s,
    }
    if abatement is not None:
        res["abatementDateTime"] = abatement
    res["recordedDate"] = v.start_s
    return entry(res, "Condition", cid)


def observation(
    p: Person,
    v: Visit,
    oid: str,
    category: list[Json],
    code: Json,
    profile_name: str,
    value_key: str,
    value: object,
) -> Json:
    """Any Observation: `value_key` is valueQuantity / valueCodeableConcept / valueString / component."""
    res: Json = {
        "resourceType": "Observation",
        "id": oid,
        "meta": profile(profile_name),
        "status": "final",
        "category": category,
        "code": code,
        "subject": p.subject,
        "encounter": v.enc_ref,
        "effectiveDateTime": v.start_s,
        "issued": v.issued_s,
        value_key: value,
    }
    return entry(res, "Observation", oid)


def blood_pressure(p: Person, v: Visit, oid: str, systolic: int, diastolic: int) -> Json:
    components = [
        {
            "code": concept(cat.LOINC, "8462-4", "Diastolic Blood Pressure"),
            "valueQuantity": quantity(diastolic, "mm[Hg]"),
        },
        {
            "code": concept(cat.LOINC, "8480-6", "Systolic Blood Pressure"),
            "valueQuantity": quantity(systolic, "mm[Hg]"),
        },
    ]
    code = concept(cat.LOINC, "85354-9", "Blood pressure panel with all children optional")
    return observation(p, v, oid, CAT_VITAL, code, "us-core-blood-pressure", "component", components)


def medication(mid: str, rx: str) -> Json:
    res: Json = {
        "resourceType": "Medication",
        "id": mid,
        "meta": profile("us-core-medication"),
        "code": concept(cat.RXNORM, rx, cat.MEDICATIONS[rx]),
        "status": "active",
    }
    return entry(res, "Medication", mid)


def medication_request(
    p: Person, v: Visit, mid: str, rx: str, status: str, medication_id: str | None, dosage: str | None
) -> Json:
    res: Json = {
        "resourceType": "MedicationRequest",
        "id": mid,
        "meta": profile("us-core-medicationrequest"),
        "status": status,
        "intent": "order",
        "category": _MED_CAT,
    }
    if medication_id is None:
        res["medicationCodeableConcept"] = concept(cat.RXNORM, rx, cat.MEDICATIONS[rx])
    else:
        res["medicationReference"] = ref(medication_id)
    res["subject"] = p.subject
    res["encounter"] = v.enc_ref
    res["authoredOn"] = v.start_s
    res["requester"] = practitioner_ref(v.practitioner.npi, v.practitioner.display)
    if v.reason is not None:
        res["reasonCode"] = [concept(cat.SNOMED, *v.reason)]
    if dosage is not None:
        res["dosageInstruction"] = [
            {"sequence": 1, "text": dosage, "asNeededBoolean": dosage == "Take as needed."}
        ]
    return entry(res, "MedicationRequest", mid)


def procedure(p: Person, v: Visit, pid: str, code: str, minutes: int) -> Json:
    res: Json = {
        "resourceType": "Procedure",
        "id": pid,
        "meta": profile("us-core-procedure"),
        "status": "completed",
        "code": concept(cat.SNOMED, code, cat.PROCEDURES[code]),
        "subject": p.subject,
        "encounter": v.enc_ref,
    }
    if minutes > 0:
        res["performedPeriod"] = {"start": v.start_s, "end": v.end_s}
    else:
        res["performedDateTime"] = v.start_s
    if v.reason is not None:
        res["reasonCode"] = [concept(cat.SNOMED, *v.reason)]
    res["location"] = location_ref(v.facility.loc_id, v.facility.name)
    return entry(res, "Procedure", pid)


def immunization(p: Person, v: Visit, iid: str, cvx: str) -> Json:
    res: Json = {
        "resourceType": "Immunization",
        "id": iid,
        "meta": profile("us-core-immunization"),
        "status": "completed",
        "vaccineCode": concept(cat.CVX, cvx, cat.IMMUNIZATIONS[cvx]),
        "patient": p.subject,
        "encounter": v.enc_ref,
        "occurrenceDateTime": v.start_s,
        "primarySource": True,
        "location": location_ref(v.facility.loc_id, v.facility.name),
    }
    return entry(res, "Immunization", iid)


def report(
    p: Person,
    v: Visit,
    rid: str,
    category: list[Json],
    code: Json,
    results: list[Json],
    conclusion: str | None = None,
    profile_name: str = "us-core-diagnosticreport-lab",
) -> Json:
    """A result DiagnosticReport (lab panel, ECG, genomic) whose `result` points at Observations."""
    res: Json = {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "meta": profile(profile_name),
        "status": "final",
        "category": category,
        "code": code,
        "subject": p.subject,
        "encounter": v.enc_ref,
        "effectiveDateTime": v.start_s,
        "issued": v.issued_s,
        "performer": [organization_ref(v.facility.org_id, v.facility.name)],
    }
    if results:
        res["result"] = results
    if conclusion is not None:
        res["conclusion"] = conclusion
    return entry(res, "DiagnosticReport", rid)


def lab_category() -> list[Json]:
    return _DR_LAB


def ecg_category() -> list[Json]:
    return _DR_ECG


def genetics_category() -> list[Json]:
    return _DR_GENETICS


def care_plan(p: Person, v: Visit, cid: str, condition_id: str, c: cat.Condition) -> Json:
    res: Json = {
        "resourceType": "CarePlan",
        "id": cid,
        "meta": profile("us-core-careplan"),
        "text": {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml">Care Plan for {c.display}.</div>',
        },
        "status": "active",
        "intent": "order",
        "category": [bare_concept("http://hl7.org/fhir/us/core/CodeSystem/careplan-category", "assess-plan")],
        "subject": p.subject,
        "encounter": v.enc_ref,
        "period": {"start": v.start_s},
        "addresses": [ref(condition_id)],
    }
    return entry(res, "CarePlan", cid)
