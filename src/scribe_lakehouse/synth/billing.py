"""Claims and ExplanationOfBenefits, shaped like Synthea's (Blue Button style EOB with contained
ServiceRequest and Coverage, per-line adjudication). They are most of a real bundle's bytes."""

from __future__ import annotations

import random

from scribe_lakehouse.synth import catalog as cat
from scribe_lakehouse.synth.fhirkit import (
    Json,
    bare_concept,
    coding,
    concept,
    entry,
    location_ref,
    money,
    organization_ref,
    practitioner_ref,
    ref,
    ts,
)
from scribe_lakehouse.synth.model import Person, Visit

_CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
_TYPES = {t: bare_concept(_CLAIM_TYPE, t) for t in ("institutional", "professional", "pharmacy")}
_PRIORITY = bare_concept("http://terminology.hl7.org/CodeSystem/processpriority", "normal")
_BB = "https://bluebutton.cms.gov/resources/variables/"
_ADJ = "https://bluebutton.cms.gov/resources/codesystem/adjudication"
_SERVICE_CAT = {"coding": [coding(_BB + "line_cms_type_srvc_cd", "1", "Medical care")]}
_PLACES = {
    "WELLNESS": bare_concept(
        "http://terminology.hl7.org/CodeSystem/ex-serviceplace", "19", "Off Campus-Outpatient Hospital"
    ),
    "AMB": bare_concept(
        "http://terminology.hl7.org/CodeSystem/ex-serviceplace", "19", "Off Campus-Outpatient Hospital"
    ),
    "EMER": bare_concept(
        "http://terminology.hl7.org/CodeSystem/ex-serviceplace", "20", "Urgent Care Facility"
    ),
    "IMP": bare_concept("http://terminology.hl7.org/CodeSystem/ex-serviceplace", "21", "Inpatient Hospital"),
}
_ADJ_LINES = (
    ("line_coinsrnc_amt", "Line Beneficiary Coinsurance Amount", 0.2),
    ("line_prvdr_pmt_amt", "Line Provider Payment Amount", 0.8),
    ("line_sbmtd_chrg_amt", "Line Submitted Charge Amount", 1.0),
    ("line_alowd_chrg_amt", "Line Allowed Charge Amount", 1.0),
    ("line_bene_ptb_ddctbl_amt", "Line Beneficiary Part B Deductible Amount", 0.0),
)
_ADJ_CATEGORIES = {key: {"coding": [coding(_ADJ, _BB + key, display)]} for key, display, _ in _ADJ_LINES}
_PROCESSING: Json = {
    "category": {"coding": [coding(_ADJ, _BB + "line_prcsg_ind_cd", "Line Processing Indicator Code")]}
}
_DIAG_PRINCIPAL = [bare_concept("http://terminology.hl7.org/CodeSystem/ex-diagnosistype", "principal")]
_CARE_ROLE = bare_concept(
    "http://terminology.hl7.org/CodeSystem/claimcareteamrole", "primary", "Primary provider"
)
_SUBMITTED = concept("http://terminology.hl7.org/CodeSystem/adjudication", "submitted", "Submitted Amount")
_YEAR = 365 * 86400


Line = tuple[Json, str, int, float]


def line_items(v: Visit, rng: random.Random) -> list[Line]:
    """(productOrService, kind, index within kind, net) per encounter, diagnosis, procedure, shot, billed
    report or questionnaire (`v.billed`: Synthea bills lab and survey panels under their LOINC code) and
    prescription (unpriced here: its pharmacy claim carries the cost)."""
    lines: list[Line] = [
        (concept(cat.SNOMED, v.type_code, v.type_display), "encounter", 0, round(rng.uniform(70, 180), 2))
    ]
    for k, (_, code, display) in enumerate(v.new_conditions, start=1):
        lines.append((concept(cat.SNOMED, code, display), "diagnosis", k, 0.0))
    for k, (_, code, display) in enumerate(v.procedures, start=1):
        lines.append((concept(cat.SNOMED, code, display), "procedure", k, round(rng.uniform(200, 900), 2)))
    for _, cvx, display in v.immunizations:
        lines.append((concept(cat.CVX, cvx, display), "immunization", 0, 140.52))
    for billed in v.billed:
        lines.append((billed, "report", 0, round(rng.uniform(25, 160), 2)))
    for _, rx in v.prescriptions:
        lines.append((concept(cat.RXNORM, rx, cat.MEDICATIONS[rx]), "medication", 0, 0.0))
    return lines


def encounter_claim(p: Person, v: Visit, claim_id: str, lines: list[Line]) -> Json:
    """The encounter's Claim; `lines` (from `line_items`) are shared with its EOB."""
    f = v.facility
    items: list[Json] = []
    for seq, (product, kind, k, net) in enumerate(lines, start=1):
        item: Json = {"sequence": seq}
        if kind == "diagnosis":
            item["diagnosisSequence"] = [k]
        elif kind == "procedure":
            item["procedureSequence"] = [k]
        item["productOrService"] = product
        if kind == "encounter":
            item["encounter"] = [v.enc_ref]
        elif kind != "medication":
            item["net"] = money(net)
        items.append(item)
    total = round(sum(line[3] for line in lines), 2)
    res: Json = {
        "resourceType": "Claim",
        "id": claim_id,
        "status": "active",
        "type": _TYPES["institutional" if v.cls in ("EMER", "IMP") else "professional"],
        "use": "claim",
        "patient": {"reference": p.subject["reference"], "display": p.full_name},
        "billablePeriod": {"start": v.start_s, "end": v.end_s},
        "created": v.end_s,
        "provider": organization_ref(f.org_id, f.name),
        "priority": _PRIORITY,
        "facility": location_ref(f.loc_id, f.name),
    }
    if v.new_conditions:
        res["diagnosis"] = [
            {"sequence": k, "diagnosisReference": ref(cid)}
            for k, (cid, _, _) in enumerate(v.new_conditions, start=1)
        ]
    if v.procedures:
        res["procedure"] = [
            {"sequence": k, "procedureReference": ref(pid)}
            for k, (pid, _, _) in enumerate(v.procedures, start=1)
        ]
    res["insurance"] = [{"sequence": 1, "focal": True, "coverage": {"display": p.payer}}]
    res["item"] = items
    res["total"] = money(total)
    return entry(res, "Claim", claim_id)


def medication_claim(p: Person, v: Visit, claim_id: str, request_id: str, rx: str, cost: float) -> Json:
    f = v.facility
    res: Json = {
        "resourceType": "Claim",
        "id": claim_id,
        "status": "active",
        "type": _TYPES["pharmacy"],
        "use": "claim",
        "patient": p.subject,
        "billablePeriod": {"start": v.start_s, "end": v.end_s},
        "created": v.end_s,
        "provider": organization_ref(f.org_id, f.name),
        "priority": _PRIORITY,
        "prescription": ref(request_id),
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": p.payer}}],
        "item": [
            {
                "sequence": 1,
                "productOrService": concept(cat.RXNORM, rx, cat.MEDICATIONS[rx]),
                "encounter": [v.enc_ref],
            }
        ],
        "total": money(cost),
    }
    return entry(res, "Claim", claim_id)


def _adjudication(net: float, coinsurance: float) -> list[Json]:
    out: list[Json] = []
    for key, _, share in _ADJ_LINES:
        if key == "line_coinsrnc_amt":
            amount = round(net * coinsurance, 3)
        elif key == "line_prvdr_pmt_amt":
            amount = round(net * (1 - coinsurance), 3)
        else:
            amount = round(net * share, 2)
        out.append({"category": _ADJ_CATEGORIES[key], "amount": money(amount)})
    out.append(_PROCESSING)
    return out


def medication_line(rx: str, cost: float) -> list[Line]:
    """The one line of a pharmacy claim's EOB."""
    return [(concept(cat.RXNORM, rx, cat.MEDICATIONS[rx]), "pharmacy", 0, cost)]


def explanation_of_benefit(
    p: Person,
    v: Visit,
    eob_id: str,
    claim_id: str,
    lines: list[Line],
    rng: random.Random,
    *,
    pharmacy: bool = False,
) -> Json:
    """The EOB of the encounter's Claim (`lines` from `line_items`), or with `pharmacy` a prescription's."""
    f = v.facility
    npi_ref = practitioner_ref(v.practitioner.npi)
    coinsurance = 0.0 if p.payer == "NO_INSURANCE" else rng.choice((0.1, 0.2, 0.3))
    place = _PLACES[v.cls]
    period = {"start": v.start_s, "end": v.end_s}
    items: list[Json] = []
    paid = 0.0
    for seq, (product, kind, k, net) in enumerate(lines, start=1):
        item: Json = {"sequence": seq}
        if kind == "diagnosis":
            item["diagnosisSequence"] = [k]
        elif kind == "procedure":
            item["procedureSequence"] = [k]
        item["category"] = _SERVICE_CAT
        item["productOrService"] = product
        item["servicedPeriod"] = period
        item["locationCodeableConcept"] = place
        if kind == "encounter":
            item["encounter"] = [v.enc_ref]
        if net > 0:
            item["net"] = money(net)
            item["adjudication"] = _adjudication(net, coinsurance)
            paid += net * (1 - coinsurance)
        items.append(item)
    res: Json = {
        "resourceType": "ExplanationOfBenefit",
        "id": eob_id,
        "contained": [
            {
                "resourceType": "ServiceRequest",
                "id": "referral",
                "status": "completed",
                "intent": "order",
                "subject": p.subject,
                "requester": npi_ref,
                "performer": [npi_ref],
            },
            {
                "resourceType": "Coverage",
                "id": "coverage",
                "status": "active",
                "type": {"text": p.payer},
                "beneficiary": p.subject,
                "payor": [{"display": p.payer}],
            },
        ],
        "identifier": [
            {"system": _BB + "clm_id", "value": claim_id},
            {"system": "https://bluebutton.cms.gov/resources/identifier/claim-group", "value": "99999999999"},
        ],
        "status": "active",
        "type": _TYPES[
            "pharmacy" if pharmacy else "institutional" if v.cls in ("EMER", "IMP") else "professional"
        ],
        "use": "claim",
        "patient": p.subject,
        "billablePeriod": {"start": v.end_s, "end": ts(v.end + _YEAR)},
        "created": v.end_s,
        "insurer": {"display": p.payer},
        "provider": npi_ref,
        "referral": {"reference": "#referral"},
        "facility": location_ref(f.loc_id, f.name),
        "claim": ref(claim_id),
        "outcome": "complete",
        "careTeam": [{"sequence": 1, "provider": npi_ref, "role": _CARE_ROLE}],
    }
    if v.new_conditions and not pharmacy:
        res["diagnosis"] = [
            {"sequence": k, "diagnosisReference": ref(cid), "type": _DIAG_PRINCIPAL}
            for k, (cid, _, _) in enumerate(v.new_conditions, start=1)
        ]
    if v.procedures and not pharmacy:
        res["procedure"] = [
            {"sequence": k, "procedureReference": ref(pid)}
            for k, (pid, _, _) in enumerate(v.procedures, start=1)
        ]
    res["insurance"] = [{"focal": True, "coverage": {"reference": "#coverage", "display": p.payer}}]
    res["item"] = items
    res["total"] = [{"category": _SUBMITTED, "amount": money(round(sum(line[3] for line in lines), 2))}]
    res["payment"] = {"amount": money(round(paid, 2))}
    return entry(res, "ExplanationOfBenefit", eob_id)
