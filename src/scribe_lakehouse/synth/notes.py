"""Clinical notes in Coherent's Markdown layout (no Objective section), ~940 characters on average.

Headers: `# Chief Complaint`, `# History of Present Illness`, `# Social History`, `# Allergies`,
`# Medications`, `# Assessment and Plan`, `## Plan` — the set Synthea's note template writes.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Sequence

from scribe_lakehouse.synth import catalog as cat
from scribe_lakehouse.synth.fhirkit import (
    Json,
    bare_concept,
    entry,
    organization_ref,
    practitioner_ref,
    profile,
)
from scribe_lakehouse.synth.model import Person, Visit

PLAIN_TEXT = "text/plain; charset=utf-8"
_NOTE_CODINGS = {
    "coding": [
        {"system": cat.LOINC, "code": "34117-2", "display": "History and physical note"},
        {"system": cat.LOINC, "code": "51847-2", "display": "Evaluation + Plan note"},
    ]
}
_NOTE_CAT = [
    bare_concept(
        "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
        "clinical-note",
        "Clinical Note",
    )
]
_NOTE_FORMAT = {
    "system": "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode",
    "code": "urn:ihe:iti:xds:2017:mimeTypeSufficient",
    "display": "mimeType Sufficient",
}

HEADERS = (
    "# Chief Complaint",
    "# History of Present Illness",
    "# Social History",
    "# Allergies",
    "# Medications",
    "# Assessment and Plan",
    "## Plan",
)
_MARITAL = {"M": "married", "S": "single", "D": "divorced", "W": "widowed"}
_SMOKING = {
    "266919005": "Patient has never smoked.",
    "8517006": "Patient quit smoking at age {quit}.",
    "449868002": "Patient is a current smoker.",
}
_SES = ("low", "middle", "high")
_EDUCATION = (
    "completed some college courses",
    "a high school diploma",
    "a bachelor's degree",
    "a graduate degree",
    "completed primary school",
)
_ALLERGIES = (
    "No Known Allergies.",
    "Allergy to tree pollen (disorder).",
    "Allergy to penicillin (finding).",
    "Allergy to peanuts (disorder).",
)
_HISTORY_LIMIT = 12
_FOLLOW_UP = {
    "WELLNESS": "Next routine examination in one year; counseled on diet, exercise and preventive care.\n",
    "AMB": "Return to clinic in 3 months, or sooner if symptoms worsen or new concerns arise.\n",
    "EMER": "Discharged home in stable condition with return precautions; follow up with primary care.\n",
    "IMP": "Discharged with follow-up arranged with primary care within 7 days of discharge.\n",
}


def social_history(p: Person, rng: random.Random) -> tuple[str, str]:
    """The per-patient Social History and Allergies paragraphs: (adult version, childhood version)."""
    smoking = _SMOKING[p.smoking[0]].format(quit=rng.randint(17, 45))
    allergies = f"# Allergies\n{_ALLERGIES[0] if rng.random() < 0.8 else rng.choice(_ALLERGIES[1:])}\n\n"
    ses = f"Patient comes from a {rng.choice(_SES)} socioeconomic background.\n"
    adult = (
        f"# Social History\nPatient is {_MARITAL[p.marital[0]]}. {smoking}\n"
        f" Patient identifies as heterosexual.\n\n{ses}"
        f" Patient has {rng.choice(_EDUCATION)}.\nPatient currently has {p.payer}.\n\n"
    )
    child = f"# Social History\nPatient lives with family. No tobacco exposure.\n\n{ses}\n"
    return adult + allergies, child + allergies


def render(
    p: Person, v: Visit, social: tuple[str, str], history: Sequence[str], active_meds: Sequence[str]
) -> str:
    """The note for visit `v`; `history`: earlier condition displays; `active_meds`: RxNorm codes."""
    race_word = p.race[2]
    parts = [f"\n{v.start_s[:10]}\n\n# Chief Complaint\n"]
    if v.complaints:
        parts.append("".join(f"- {c}\n" for c in v.complaints))
        parts.append("\n")
    else:
        parts.append("No complaints.\n")
    parts.append(
        f"\n# History of Present Illness\n{p.given} is a {v.age} year-old {p.ethnicity[2]} "
        f"{race_word} {p.gender}, seen today for {v.type_display.lower()}."
    )
    if history:
        shown = list(history)[-_HISTORY_LIMIT:]
        parts.append(" Patient has a history of " + ", ".join(h.lower() for h in shown) + ".")
    if v.reason is not None and not v.new_conditions:
        parts.append(
            f" Returns for follow-up of {v.reason[1].lower()}; reports no new symptoms since last visit."
        )
    parts.append("\n\n")
    parts.append(social[0] if v.age >= 18 else social[1])
    parts.append("# Medications\n")
    if active_meds:
        parts.append("\n".join(cat.MEDICATIONS[m].lower() for m in active_meds))
        parts.append("\n\n")
    else:
        parts.append("No Active Medications.\n\n")
    parts.append("# Assessment and Plan\n")
    presenting = [d for _, _, d in v.new_conditions]
    if not presenting and v.reason is not None:
        presenting = [v.reason[1]]
    if presenting:
        parts.append("Patient is presenting with " + ", ".join(d.lower() for d in presenting) + ". \n")
        if not v.new_conditions:
            parts.append("Condition appears stable on current management; continue to monitor. \n")
    if active_meds and v.cls != "EMER":
        parts.append(
            f"Reviewed current medications ({len(active_meds)}); adherence discussed and "
            "no adverse effects reported. \n"
        )
    parts.append("\n\n## Plan\n")
    if v.immunizations:
        parts.append(
            "Patient was given the following immunizations: "
            + ", ".join(d.lower() for _, _, d in v.immunizations)
            + ". \n"
        )
    if v.procedures:
        parts.append("The following procedures were conducted:\n")
        parts.append("".join(f"- {d.lower()}\n" for _, _, d in v.procedures))
    if v.lab_reports:
        parts.append("The following lab reports were completed:\n")
        parts.append("".join(f"- {d.lower()}\n" for d in v.lab_reports))
    if v.prescriptions:
        parts.append("Patient was prescribed the following medications:\n")
        parts.append("".join(f"- {cat.MEDICATIONS[rx].lower()}\n" for _, rx in v.prescriptions))
    if not (v.immunizations or v.procedures or v.lab_reports or v.prescriptions):
        parts.append("Continue current care plan. No changes to treatment at this visit.\n")
    parts.append(_FOLLOW_UP[v.cls])
    return "".join(parts)


def note_pair(p: Person, v: Visit, report_id: str, doc_id: str, note: str) -> tuple[Json, Json]:
    """The note DiagnosticReport (presentedForm) and its DocumentReference twin, same base64 text."""
    data = base64.b64encode(note.encode("utf-8")).decode("ascii")
    author = practitioner_ref(v.practitioner.npi, v.practitioner.display)
    dr: Json = {
        "resourceType": "DiagnosticReport",
        "id": report_id,
        "meta": profile("us-core-diagnosticreport-note"),
        "status": "final",
        "category": [_NOTE_CODINGS],
        "code": _NOTE_CODINGS,
        "subject": p.subject,
        "encounter": v.enc_ref,
        "effectiveDateTime": v.start_s,
        "issued": v.issued_s,
        "performer": [author],
        "presentedForm": [{"contentType": PLAIN_TEXT, "data": data}],
    }
    doc: Json = {
        "resourceType": "DocumentReference",
        "id": doc_id,
        "meta": profile("us-core-documentreference"),
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": "urn:uuid:" + report_id}],
        "status": "superseded",
        "type": _NOTE_CODINGS,
        "category": _NOTE_CAT,
        "subject": p.subject,
        "date": v.issued_s,
        "author": [author],
        "custodian": organization_ref(v.facility.org_id, v.facility.name),
        "content": [{"attachment": {"contentType": PLAIN_TEXT, "data": data}, "format": _NOTE_FORMAT}],
        "context": {"encounter": [v.enc_ref], "period": {"start": v.start_s, "end": v.end_s}},
    }
    return entry(dr, "DiagnosticReport", report_id), entry(doc, "DocumentReference", doc_id)
