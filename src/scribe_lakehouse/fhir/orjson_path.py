"""The orjson path: FHIR R4 bundle bytes -> rows (dicts) for the 10 Silver tables, in one pass.

orjson builds every JSON value; the extractors (fhir.resources, notes, diagnostic) walk the dicts and
check each field they read. It is the reference for the rules and the fallback of the typed fast path
(fhir.columnar): any file can be parsed here. Bad input never raises: a file that is not a Bundle, or a
resource that cannot be extracted, becomes a `QuarantineRecord` naming the field (never a value) and the
rest of the bundle is still parsed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from scribe_lakehouse.errors import InputError, ReasonCode
from scribe_lakehouse.fhir import diagnostic, notes, resources
from scribe_lakehouse.fhir.fields import BundleContext, JsonObj
from scribe_lakehouse.fhir.model import DicomHeader, ParseResult, QuarantineRecord, Row
from scribe_lakehouse.fhir.references import reference_id
from scribe_lakehouse.redaction import ref

__all__ = ["parse_into"]

_log = logging.getLogger(__name__)

_BOM = b"\xef\xbb\xbf"


class _Bundle:
    """One bundle being parsed (a `BundleContext`): its entries, provenance, the DICOM headers to join,
    and indexes of resources by id/fullUrl that are built only when a reference needs them."""

    __slots__ = ("_indexes", "dicom", "entries", "source_file")

    def __init__(self, entries: list[Any], source_file: str, dicom: Mapping[str, DicomHeader] | None):
        self.entries = entries
        self.source_file = source_file
        self.dicom = dicom
        self._indexes: dict[str, dict[str, JsonObj]] = {}

    def _index(self, resource_type: str) -> dict[str, JsonObj]:
        index: dict[str, JsonObj] = {}
        for entry in self.entries:
            if type(entry) is not dict:
                continue
            resource = entry.get("resource")
            if type(resource) is not dict or resource.get("resourceType") != resource_type:
                continue
            full_url = entry.get("fullUrl")
            if type(full_url) is str:
                index.setdefault(full_url, resource)
                bare = reference_id(full_url)
                if bare:
                    index.setdefault(bare, resource)
            rid = resource.get("id")
            if type(rid) is str and rid:
                index.setdefault(rid, resource)
        self._indexes[resource_type] = index
        return index

    def find(self, resource_type: str, reference: str) -> JsonObj | None:
        index = self._indexes.get(resource_type)
        if index is None:
            index = self._index(resource_type)
        found = index.get(reference)
        if found is None:
            bare = reference_id(reference)
            found = index.get(bare) if bare else None
        return found


Extractor = Callable[[JsonObj, BundleContext], Row]

# resourceType -> (Silver table, extractor); DiagnosticReports are classified first
_HANDLERS: dict[str, tuple[str, Extractor]] = {
    "Observation": ("observation", resources.observation_row),
    "Procedure": ("procedure", resources.procedure_row),
    "Encounter": ("encounter", resources.encounter_row),
    "DocumentReference": ("soap_note", notes.soap_note_row),
    "Condition": ("condition", resources.condition_row),
    "MedicationRequest": ("medication_request", resources.medication_request_row),
    "ImagingStudy": ("imaging_study", resources.imaging_study_row),
    "Patient": ("patient", resources.patient_row),
}
_REPORT_HANDLERS: dict[str, Extractor] = {
    diagnostic.ECG: diagnostic.ecg_row,
    diagnostic.GENOMIC: diagnostic.genomic_row,
}


# --- bundle level ---


def _load(data: bytes) -> list[Any]:
    """The bundle's entry list; InputError for a file that is empty, not UTF-8, not JSON or not a Bundle."""
    if data[:3] == _BOM:
        data = data[3:]
    if not data or data.isspace():
        raise InputError(ReasonCode.EMPTY_FILE, "file")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(ReasonCode.NOT_UTF8, "file") from None
        raise InputError(ReasonCode.INVALID_JSON, "file") from None
    if type(doc) is not dict or doc.get("resourceType") != "Bundle":
        raise InputError(ReasonCode.NOT_A_BUNDLE, "resourceType")
    entries = doc.get("entry")
    if entries is None:  # FHIR JSON has no empty arrays: a Bundle without entries omits the key
        return []
    if type(entries) is not list:
        raise InputError(ReasonCode.NOT_A_BUNDLE, "entry")
    return entries


def parse_into(
    result: ParseResult, data: bytes, source_file: str, dicom: Mapping[str, DicomHeader] | None
) -> None:
    """Add one bundle's rows, quarantine records and seen counts to `result`."""
    result.files += 1
    quarantine = result.quarantine
    try:
        entries = _load(data)
    except InputError as exc:
        quarantine.append(QuarantineRecord(source_file, None, None, None, exc.reason, exc.detail))
        _log.warning("bundle %s quarantined: %s", ref(source_file), exc.reason)
        return
    bundle = _Bundle(entries, source_file, dicom)
    rows = result.rows
    seen = result.seen
    handlers = _HANDLERS
    before = len(quarantine)
    for index, entry in enumerate(entries):
        if type(entry) is not dict:
            quarantine.append(
                QuarantineRecord(source_file, index, None, None, ReasonCode.WRONG_TYPE, "entry")
            )
            continue
        resource = entry.get("resource")
        if type(resource) is not dict:
            if resource is not None:
                quarantine.append(
                    QuarantineRecord(source_file, index, None, None, ReasonCode.WRONG_TYPE, "resource")
                )
            continue
        rtype = resource.get("resourceType")
        handler = handlers.get(rtype) if type(rtype) is str else None
        if handler is not None:
            table, extract = handler
        elif rtype == "DiagnosticReport":
            kind = diagnostic.classify(resource)
            if kind is None:
                continue
            table, extract = kind, _REPORT_HANDLERS[kind]
        else:
            continue  # Claim, ExplanationOfBenefit, Organization, … are not ours
        seen[table] += 1
        try:
            rows[table].append(extract(resource, bundle))
        except InputError as exc:
            quarantine.append(QuarantineRecord(source_file, index, rtype, table, exc.reason, exc.detail))
        except Exception as exc:  # a shape nobody foresaw must not stop the run
            quarantine.append(
                QuarantineRecord(
                    source_file, index, rtype, table, ReasonCode.EXTRACTION_FAILED, type(exc).__name__
                )
            )
    if len(quarantine) > before:
        _log.info("bundle %s: %d resources quarantined", ref(source_file), len(quarantine) - before)
