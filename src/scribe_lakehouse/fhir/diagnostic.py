"""DiagnosticReports: which ones are ECG or genomic reports, and their Silver rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from scribe_lakehouse.fhir import codes
from scribe_lakehouse.fhir import fields as f
from scribe_lakehouse.fhir.fields import BundleContext, JsonObj
from scribe_lakehouse.fhir.model import Row
from scribe_lakehouse.fhir.references import binary_id
from scribe_lakehouse.registry import GENOMIC_DATA_LIMITATION

ECG = "ecg_metadata"
GENOMIC = "genomic_report"


def _concept_texts(cc: Any, out: list[str], report_codes: list[str]) -> None:
    """Collect text, displays and codes of a CodeableConcept, skipping malformed parts."""
    if type(cc) is not dict:
        return
    text = cc.get("text")
    if type(text) is str:
        out.append(text)
    codings = cc.get("coding")
    if type(codings) is list:
        for c in codings:
            if type(c) is dict:
                display = c.get("display")
                if type(display) is str:
                    out.append(display)
                code = c.get("code")
                if type(code) is str:
                    report_codes.append(code)


def classify(report: JsonObj) -> str | None:
    """`ecg_metadata`, `genomic_report` or None, from the report's code and category text/display."""
    texts: list[str] = []
    report_codes: list[str] = []
    _concept_texts(report.get("code"), texts, report_codes)
    categories = report.get("category")
    if type(categories) is list:
        for cat in categories:
            _concept_texts(cat, texts, report_codes)
    elif type(categories) is dict:  # STU3 shape
        _concept_texts(categories, texts, report_codes)
    blob = " ".join(texts).lower()
    if codes.is_ecg_text(blob) or not codes.ECG_REPORT_CODES.isdisjoint(report_codes):
        return ECG
    if codes.is_genomic_text(blob):
        return GENOMIC
    return None


def _report_date(report: JsonObj) -> dt.datetime | None:
    when = f.timestamp(report, "effectiveDateTime")
    if when is None:
        period = f.obj(report, "effectivePeriod")
        if period is not None:
            when = f.timestamp(period, "start", "effectivePeriod.")
    if when is None:
        when = f.timestamp(report, "issued")
    return when


def _attachments(report: JsonObj) -> tuple[bool, str | None]:
    """(any non-text attachment or Binary link in presentedForm, id of the first linked Binary)."""
    forms = f.lst(report, "presentedForm")
    if not forms:
        return False, None
    linked = False
    found: str | None = None
    for i, form in enumerate(forms):
        if type(form) is not dict:
            raise f.wrong_type(f"presentedForm[{i}]")
        url = f.string(form, "url", "presentedForm[].")
        bid = binary_id(url) if url else None
        if bid is not None:
            linked = True
            found = found or bid
            continue
        content_type = f.string(form, "contentType", "presentedForm[].") or ""
        if "data" in form and not content_type.startswith("text/"):
            linked = True
    return linked, found


def _quantity(obs: JsonObj, prefix: str) -> float | None:
    qty = f.obj(obs, "valueQuantity", prefix)
    return None if qty is None else f.number(qty, "value", prefix + "valueQuantity.")


def _text_value(obs: JsonObj, prefix: str) -> str | None:
    value = f.string(obs, "valueString", prefix)
    if value is None:
        value = f.concept(obs, "valueCodeableConcept", prefix)[1]
    return value


def _loinc_codes(obs: JsonObj) -> list[str]:
    cc = obs.get("code")
    found: list[str] = []
    if type(cc) is dict and type(cc.get("coding")) is list:
        found = [c["code"] for c in cc["coding"] if type(c) is dict and type(c.get("code")) is str]
    return found


def _ecg_values(report: JsonObj, resolver: BundleContext) -> dict[str, Any]:
    """rhythm / heart rate / PR / QRS from the report's `result` Observations (and their components)."""
    values: dict[str, Any] = {}
    results = f.lst(report, "result") or []
    for i, item in enumerate(results):
        if type(item) is not dict:
            raise f.wrong_type(f"result[{i}]")
        reference = f.string(item, "reference", "result[].")
        obs = resolver.find("Observation", reference) if reference else None
        if obs is None:
            continue
        parts: list[JsonObj] = [obs]
        components = obs.get("component")
        if type(components) is list:
            parts.extend(c for c in components if type(c) is dict)
        for part in parts:
            for code in _loinc_codes(part):
                if code == codes.LOINC_ECG_RHYTHM:
                    values.setdefault("rhythm", _text_value(part, "result.Observation."))
                elif code == codes.LOINC_HEART_RATE:
                    values.setdefault("heart_rate_bpm", _quantity(part, "result.Observation."))
                elif code == codes.LOINC_PR_INTERVAL:
                    values.setdefault("pr_interval_ms", _quantity(part, "result.Observation."))
                elif code in codes.LOINC_QRS_DURATION:
                    values.setdefault("qrs_duration_ms", _quantity(part, "result.Observation."))
    return values


def ecg_row(report: JsonObj, b: BundleContext) -> Row:
    ecg_id = f.resource_id(report)
    values = _ecg_values(report, b)
    has_waveform, waveform = _attachments(report)
    return {
        "ecg_id": ecg_id,
        "patient_id": f.required_ref(report, "subject"),
        "encounter_id": f.ref(report, "encounter"),
        "report_date": _report_date(report),
        "status": f.string(report, "status"),
        "conclusion": f.string(report, "conclusion"),
        "rhythm": values.get("rhythm"),
        "heart_rate_bpm": values.get("heart_rate_bpm"),
        "pr_interval_ms": values.get("pr_interval_ms"),
        "qrs_duration_ms": values.get("qrs_duration_ms"),
        "has_waveform": has_waveform,
        "waveform_binary_id": waveform,
        "source_file": b.source_file,
    }


def genomic_row(report: JsonObj, b: BundleContext) -> Row:
    conclusion = f.string(report, "conclusion")
    return {
        "report_id": f.resource_id(report),
        "patient_id": f.required_ref(report, "subject"),
        "encounter_id": f.ref(report, "encounter"),
        "report_date": _report_date(report),
        "status": f.string(report, "status"),
        "gene_panel_name": f.concept(report, "code")[1],
        "result_summary": conclusion,
        "has_pathogenic_variant": codes.has_pathogenic_variant(conclusion),
        "family_history_flag": codes.mentions_family_history(conclusion),
        "binary_id": _attachments(report)[1],
        "data_limitation": GENOMIC_DATA_LIMITATION,
        "source_file": b.source_file,
    }
