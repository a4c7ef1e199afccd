"""Row extractors for the clinical resources: Patient, Encounter, Condition, Observation,
MedicationRequest, Procedure and ImagingStudy. Each takes the resource and its bundle context and
returns one Silver row, or raises `InputError` naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from scribe_lakehouse.fhir import codes
from scribe_lakehouse.fhir import fields as f
from scribe_lakehouse.fhir.fields import BundleContext, JsonObj
from scribe_lakehouse.fhir.model import Row


def _us_core_text(ext: JsonObj, path: str) -> str | None:
    """US Core race/ethnicity: the `text` sub-extension, else the first ombCategory display."""
    omb: str | None = None
    for sub in f.lst(ext, "extension", path + ".") or ():
        if type(sub) is not dict:
            raise f.wrong_type(path + ".extension[]")
        url = sub.get("url")
        if url == "text":
            text = f.string(sub, "valueString", path + ".extension[text].")
            if text:
                return text
        elif url == "ombCategory" and omb is None:
            coding = f.obj(sub, "valueCoding", path + ".extension[ombCategory].")
            if coding is not None:
                omb = f.string(coding, "display", path + ".extension[ombCategory].valueCoding.")
    return omb


def patient_row(r: JsonObj, b: BundleContext) -> Row:
    patient_id = f.resource_id(r)
    race = ethnicity = None
    for ext in f.lst(r, "extension") or ():
        if type(ext) is not dict:
            raise f.wrong_type("extension[]")
        url = ext.get("url")
        if url == codes.US_CORE_RACE:
            race = _us_core_text(ext, "extension[us-core-race]")
        elif url == codes.US_CORE_ETHNICITY:
            ethnicity = _us_core_text(ext, "extension[us-core-ethnicity]")
    address = f.first(r, "address") or {}
    deceased_date = f.timestamp(r, "deceasedDateTime")
    return {
        "patient_id": patient_id,
        "birth_date": f.date(r, "birthDate"),
        "gender": f.string(r, "gender"),
        "race": race,
        "ethnicity": ethnicity,
        "state": f.string(address, "state", "address[0]."),
        "city": f.string(address, "city", "address[0]."),
        "zip": f.string(address, "postalCode", "address[0]."),
        "deceased": deceased_date is not None or bool(f.boolean(r, "deceasedBoolean")),
        "deceased_date": deceased_date,
        "source_file": b.source_file,
    }


def _class_code(r: JsonObj) -> str | None:
    cls = r.get("class")
    if type(cls) is list:  # R5: a list of CodeableConcepts
        return f.first_concept(r, "class")[0]
    c = f.obj(r, "class")
    return None if c is None else f.string(c, "code", "class.")


def encounter_row(r: JsonObj, b: BundleContext) -> Row:
    encounter_id = f.resource_id(r)
    type_code, type_display = f.first_concept(r, "type")
    reason_code, reason_display = f.first_concept(r, "reasonCode")
    period = f.obj(r, "period") or {}
    participant = f.first(r, "participant")
    provider = None if participant is None else f.ref(participant, "individual", "participant[0].")
    return {
        "encounter_id": encounter_id,
        "patient_id": f.required_ref(r, "subject"),
        "type_code": type_code,
        "type_display": type_display,
        "class_code": _class_code(r),
        "start_date": f.timestamp(period, "start", "period."),
        "end_date": f.timestamp(period, "end", "period."),
        "status": f.string(r, "status"),
        "provider_id": provider,
        "reason_code": reason_code,
        "reason_display": reason_display,
        "source_file": b.source_file,
    }


def _period_bound(r: JsonObj, key: str, bound: str) -> dt.datetime | None:
    period = f.obj(r, key)
    return None if period is None else f.timestamp(period, bound, key + ".")


def condition_row(r: JsonObj, b: BundleContext) -> Row:
    condition_id = f.resource_id(r)
    code, display = f.concept(r, "code")
    onset = f.timestamp(r, "onsetDateTime")
    if onset is None and "onsetPeriod" in r:
        onset = _period_bound(r, "onsetPeriod", "start")
    abatement = f.timestamp(r, "abatementDateTime")
    if abatement is None and "abatementPeriod" in r:
        abatement = _period_bound(r, "abatementPeriod", "end")
    return {
        "condition_id": condition_id,
        "patient_id": f.required_ref(r, "subject"),
        "encounter_id": f.ref(r, "encounter"),
        "code": code,
        "display": display,
        "clinical_status": f.concept(r, "clinicalStatus")[0],
        "onset_date": onset,
        "abatement_date": abatement,
        "recorded_date": f.timestamp(r, "recordedDate"),
        "source_file": b.source_file,
    }


def _components(components: list[Any]) -> str:
    """component[] as compact JSON: [{code, display, value, unit}, …]."""
    out = []
    for comp in components:
        if type(comp) is not dict:
            raise f.wrong_type("component[]")
        code, display = f.concept(comp, "code", "component[].")
        qty = f.obj(comp, "valueQuantity", "component[].")
        value = unit = None
        if qty is not None:
            value = f.number(qty, "value", "component[].valueQuantity.")
            unit = f.string(qty, "unit", "component[].valueQuantity.")
        out.append({"code": code, "display": display, "value": value, "unit": unit})
    return orjson.dumps(out).decode()


def observation_row(r: JsonObj, b: BundleContext) -> Row:
    observation_id = f.resource_id(r)
    code, display = f.concept(r, "code")
    value = unit = None
    qty = f.obj(r, "valueQuantity")
    if qty is not None:
        value = f.number(qty, "value", "valueQuantity.")
        unit = f.string(qty, "unit", "valueQuantity.") or f.string(qty, "code", "valueQuantity.")
    value_string = f.string(r, "valueString")
    if value_string is None and "valueCodeableConcept" in r:
        value_string = f.concept(r, "valueCodeableConcept")[1]
    components = f.lst(r, "component")
    effective = f.timestamp(r, "effectiveDateTime")
    if effective is None:
        effective = f.timestamp(r, "effectiveInstant")
        if effective is None and "effectivePeriod" in r:
            effective = _period_bound(r, "effectivePeriod", "start")
    return {
        "observation_id": observation_id,
        "patient_id": f.required_ref(r, "subject"),
        "encounter_id": f.ref(r, "encounter"),
        "code": code,
        "display": display,
        "category": f.coding(f.first(r, "category"), "category[0]")[0],
        "value": value,
        "unit": unit,
        "value_string": value_string,
        "components_json": _components(components) if components else None,
        "effective_date": effective,
        "source_file": b.source_file,
    }


def _medication(r: JsonObj, b: BundleContext) -> tuple[str | None, str | None]:
    """RxNorm code and display: medicationCodeableConcept, else the referenced Medication."""
    code, display = f.concept(r, "medicationCodeableConcept")
    if code is None and display is None:
        med_ref = f.obj(r, "medicationReference")
        if med_ref is not None:
            reference = f.string(med_ref, "reference", "medicationReference.")
            medication = b.find("Medication", reference) if reference else None
            if medication is not None:
                code, display = f.concept(medication, "code", "medicationReference.Medication.")
            if display is None:
                display = f.string(med_ref, "display", "medicationReference.")
    return code, display


def medication_request_row(r: JsonObj, b: BundleContext) -> Row:
    request_id = f.resource_id(r)
    code, display = _medication(r, b)
    dosage = f.first(r, "dosageInstruction")
    return {
        "medication_request_id": request_id,
        "patient_id": f.required_ref(r, "subject"),
        "encounter_id": f.ref(r, "encounter"),
        "code": code,
        "display": display,
        "status": f.string(r, "status"),
        "intent": f.string(r, "intent"),
        "authored_on": f.timestamp(r, "authoredOn"),
        "dosage_text": None if dosage is None else f.string(dosage, "text", "dosageInstruction[0]."),
        "source_file": b.source_file,
    }


def procedure_row(r: JsonObj, b: BundleContext) -> Row:
    procedure_id = f.resource_id(r)
    code, display = f.concept(r, "code")
    start = end = None
    period = f.obj(r, "performedPeriod")
    if period is not None:
        start = f.timestamp(period, "start", "performedPeriod.")
        end = f.timestamp(period, "end", "performedPeriod.")
    if start is None:
        start = f.timestamp(r, "performedDateTime")
    return {
        "procedure_id": procedure_id,
        "patient_id": f.required_ref(r, "subject"),
        "encounter_id": f.ref(r, "encounter"),
        "code": code,
        "display": display,
        "status": f.string(r, "status"),
        "performed_start": start,
        "performed_end": end,
        "source_file": b.source_file,
    }


def _study_uid(r: JsonObj) -> str | None:
    for ident in f.lst(r, "identifier") or ():
        if type(ident) is not dict:
            raise f.wrong_type("identifier[]")
        value = f.string(ident, "value", "identifier[].")
        if value is not None and value.startswith("urn:oid:") and len(value) > 8:
            return value[8:]
    return None


def _instances(series: list[JsonObj]) -> int:
    total = 0
    for s in series:
        n = f.integer(s, "numberOfInstances", "series[].")
        if n is None:
            n = len(f.lst(s, "instance", "series[].") or ())
        total += n
    return total


def imaging_study_row(r: JsonObj, b: BundleContext) -> Row:
    study_id = f.resource_id(r)
    series = f.lst(r, "series") or []
    for s in series:
        if type(s) is not dict:
            raise f.wrong_type("series[]")
    s0: JsonObj = series[0] if series else {}
    modality = f.bare_coding(s0, "modality", "series[0].")[0]
    body_site, body_site_display = f.bare_coding(s0, "bodySite", "series[0].")
    uid = _study_uid(r)
    header = b.dicom.get(uid) if b.dicom and uid else None
    # DICOM values win; a DICOM placeholder (already null) or a study without DICOM falls back to FHIR
    study_description = header.study_description if header else None
    if study_description is None:
        study_description = f.string(r, "description")
    series_description = header.series_description if header else None
    if series_description is None:
        series_description = f.string(s0, "description", "series[0].")
    return {
        "study_id": study_id,
        "patient_id": f.required_ref(r, "subject"),
        "encounter_id": f.ref(r, "encounter"),
        "started_date": f.timestamp(r, "started"),
        "status": f.string(r, "status"),
        "modality": modality,
        "body_site": body_site,
        "body_site_display": body_site_display,
        "series_count": len(series) if series else f.integer(r, "numberOfSeries"),
        "instance_count": _instances(series) if series else f.integer(r, "numberOfInstances"),
        "study_description": study_description,
        "series_description": series_description,
        "study_date": header.study_date if header else None,
        "manufacturer": header.manufacturer if header else None,
        "magnetic_field_strength": header.magnetic_field_strength if header else None,
        "slice_thickness_mm": header.slice_thickness_mm if header else None,
        "rows": header.rows if header else None,
        "columns": header.columns if header else None,
        "dicom_binary_id": uid if header else None,
        "dicom_extracted": header is not None,
        "source_file": b.source_file,
    }
