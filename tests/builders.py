"""Hand-built FHIR R4 resources and bundles in Synthea's shape, for tests."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

Res = dict[str, Any]


def _ref(rid: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{rid}"}


def coding(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def patient(pid: str, birth: str = "1980-06-15", gender: str = "female") -> Res:
    return {
        "resourceType": "Patient",
        "id": pid,
        "birthDate": birth,
        "gender": gender,
        "name": [{"given": ["Test1"], "family": "Person2"}],
        "address": [{"city": "Boston", "state": "MA", "postalCode": "02101"}],
    }


def encounter(eid: str, pid: str, start: str, display: str = "General examination") -> Res:
    return {
        "resourceType": "Encounter",
        "id": eid,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "type": [coding("http://snomed.info/sct", "162673000", display)],
        "subject": _ref(pid),
        "period": {"start": start, "end": start},
        "participant": [
            {"individual": {"reference": "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999999799"}}
        ],
    }


def condition(cid: str, pid: str, eid: str, display: str, onset: str, abatement: str | None = None) -> Res:
    res: Res = {
        "resourceType": "Condition",
        "id": cid,
        "subject": _ref(pid),
        "encounter": _ref(eid),
        "clinicalStatus": coding(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"
        ),
        "code": coding("http://snomed.info/sct", "1", display),
        "onsetDateTime": onset,
        "recordedDate": onset,
    }
    if abatement:
        res["abatementDateTime"] = abatement
    return res


def medication(mid: str, pid: str, eid: str, display: str, authored: str, status: str = "active") -> Res:
    return {
        "resourceType": "MedicationRequest",
        "id": mid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": coding("http://www.nlm.nih.gov/research/umls/rxnorm", "2", display),
        "subject": _ref(pid),
        "encounter": _ref(eid),
        "authoredOn": authored,
    }


def vital(oid: str, pid: str, eid: str, code: str, value: float, when: str, unit: str = "/min") -> Res:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "category": [
            coding("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital signs")
        ],
        "code": coding("http://loinc.org", code, code),
        "subject": _ref(pid),
        "encounter": _ref(eid),
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit},
    }


def blood_pressure(oid: str, pid: str, eid: str, systolic: float, diastolic: float, when: str) -> Res:
    res = vital(oid, pid, eid, "85354-9", 0, when)
    del res["valueQuantity"]
    res["component"] = [
        {
            "code": coding("http://loinc.org", "8480-6", "Systolic Blood Pressure"),
            "valueQuantity": {"value": systolic, "unit": "mm[Hg]"},
        },
        {
            "code": coding("http://loinc.org", "8462-4", "Diastolic Blood Pressure"),
            "valueQuantity": {"value": diastolic, "unit": "mm[Hg]"},
        },
    ]
    return res


NOTE = (
    "# Chief Complaint\nCough.\n\n# History of Present Illness\nThe patient reports a cough for three days "
    "with no fever.\n\n# Assessment and Plan\nViral infection, likely self-limiting.\n\n"
    "## Plan\nRest and fluids.\n"
)


def note(nid: str, pid: str, eid: str, when: str, text: str = NOTE, data: str | None = None) -> Res:
    payload = data if data is not None else base64.b64encode(text.encode("utf-8")).decode("ascii")
    return {
        "resourceType": "DocumentReference",
        "id": nid,
        "status": "current",
        "type": [coding("http://loinc.org", "34117-2", "History and physical note")],
        "subject": _ref(pid),
        "date": when,
        "content": [{"attachment": {"contentType": "text/plain; charset=utf-8", "data": payload}}],
        "context": {"encounter": [_ref(eid)]},
    }


def bundle(*resources: Res) -> Res:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:{r['id']}",
                "resource": r,
                "request": {"method": "POST", "url": r["resourceType"]},
            }
            for r in resources
        ],
    }


def write(folder: Path, name: str, content: Res | str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, "utf-8")
    else:
        path.write_text(json.dumps(content), "utf-8")
    return path
