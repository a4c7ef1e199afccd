"""msgspec Structs for the typed fast path: only the fields the Silver tables read are declared.

Everything else — undeclared members, and every resource type no table reads (Claim,
ExplanationOfBenefit, Organization, …, declared as empty Structs) — is skipped by msgspec in C, without
building Python objects. The decode is strict: a value of the wrong JSON type, a resource type not
listed here, or a date the shared parser rejects makes the whole file fall back to the orjson path
(fhir.parser), which quarantines exactly the resources it cannot extract. Dates stay strings here so
that both paths convert them with the same function (fhir.dates).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

import msgspec
from msgspec import UNSET, Raw, Struct, UnsetType, field

# Member names are FHIR's own (camelCase), so msgspec matches them without renaming.


class Coding(Struct, gc=False):
    code: str | None = None
    display: str | None = None


class CodeableConcept(Struct, gc=False):
    coding: list[Coding] | None = None
    text: str | None = None


class Identifier(Struct, gc=False):
    value: str | None = None


class Reference(Struct, gc=False):
    reference: str | None = None
    identifier: Identifier | None = None


class DisplayedReference(Reference, gc=False):
    """A Reference whose display the rules read (medicationReference)."""

    display: str | None = None


class Period(Struct, gc=False):
    start: str | None = None
    end: str | None = None


class Quantity(Struct, gc=False):
    value: float | None = None
    unit: str | None = None
    code: str | None = None


class SubExtension(Struct, gc=False):
    url: str | None = None
    valueString: str | None = None
    valueCoding: Coding | None = None


class Extension(Struct, gc=False):
    url: str | None = None
    extension: list[SubExtension] | None = None


class Address(Struct, gc=False):
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None


class Participant(Struct, gc=False):
    individual: Reference | None = None


class Component(Struct, gc=False):
    code: CodeableConcept | None = None
    valueQuantity: Quantity | None = None
    valueString: str | None = None
    valueCodeableConcept: CodeableConcept | None = None


class Dosage(Struct, gc=False):
    text: str | None = None


class NoteAttachment(Struct, gc=False):
    # base64 decoded by msgspec in C (~0.8 µs a note against ~2.3 µs for str + binascii); it accepts only
    # canonical base64, so a note with line breaks or without padding sends its file to the orjson path
    data: bytes | None = None
    url: str | None = None


class Content(Struct, gc=False):
    attachment: NoteAttachment | None = None


class DocContext(Struct, gc=False):
    encounter: list[Reference] | None = None


class FormAttachment(Struct, gc=False):
    """A DiagnosticReport presentedForm: only whether `data` is present matters, so it stays raw."""

    url: str | None = None
    contentType: str | None = None
    data: Raw | UnsetType = UNSET


class Series(Struct, gc=False):
    modality: Coding | None = None
    bodySite: Coding | None = None
    description: str | None = None
    numberOfInstances: int | None = None
    instance: list[Raw] | None = None


# --- resources: tagged by resourceType ---


class Resource(Struct, tag_field="resourceType", tag=True, gc=False):
    pass


class Patient(Resource):
    id: str | None = None
    extension: list[Extension] | None = None
    birthDate: str | None = None
    gender: str | None = None
    address: list[Address] | None = None
    deceasedDateTime: str | None = None
    deceasedBoolean: bool | None = None


class Encounter(Resource):
    id: str | None = None
    subject: Reference | None = None
    type: list[CodeableConcept] | None = None
    klass: Coding | None = field(default=None, name="class")
    period: Period | None = None
    status: str | None = None
    participant: list[Participant] | None = None
    reasonCode: list[CodeableConcept] | None = None


class Condition(Resource):
    id: str | None = None
    subject: Reference | None = None
    encounter: Reference | None = None
    code: CodeableConcept | None = None
    clinicalStatus: CodeableConcept | None = None
    onsetDateTime: str | None = None
    onsetPeriod: Period | None = None
    abatementDateTime: str | None = None
    abatementPeriod: Period | None = None
    recordedDate: str | None = None


class Observation(Resource):
    id: str | None = None
    subject: Reference | None = None
    encounter: Reference | None = None
    code: CodeableConcept | None = None
    category: list[CodeableConcept] | None = None
    valueQuantity: Quantity | None = None
    valueString: str | None = None
    valueCodeableConcept: CodeableConcept | None = None
    component: list[Component] | None = None
    effectiveDateTime: str | None = None
    effectiveInstant: str | None = None
    effectivePeriod: Period | None = None


class MedicationRequest(Resource):
    id: str | None = None
    subject: Reference | None = None
    encounter: Reference | None = None
    medicationCodeableConcept: CodeableConcept | None = None
    medicationReference: DisplayedReference | None = None
    status: str | None = None
    intent: str | None = None
    authoredOn: str | None = None
    dosageInstruction: list[Dosage] | None = None


class Medication(Resource):
    id: str | None = None
    code: CodeableConcept | None = None


class Procedure(Resource):
    id: str | None = None
    subject: Reference | None = None
    encounter: Reference | None = None
    code: CodeableConcept | None = None
    status: str | None = None
    performedPeriod: Period | None = None
    performedDateTime: str | None = None


class DocumentReference(Resource):
    id: str | None = None
    subject: Reference | None = None
    context: DocContext | None = None
    content: list[Content] | None = None
    date: str | None = None


class Binary(Resource):
    id: str | None = None
    data: bytes | None = None  # as NoteAttachment.data


class DiagnosticReport(Resource):
    id: str | None = None
    subject: Reference | None = None
    encounter: Reference | None = None
    code: CodeableConcept | None = None
    category: list[CodeableConcept] | None = None
    status: str | None = None
    conclusion: str | None = None
    effectiveDateTime: str | None = None
    effectivePeriod: Period | None = None
    issued: str | None = None
    # read only for ECG and genomic reports (decoded then with the types below): raw until needed
    presentedForm: Raw | UnsetType = UNSET
    result: Raw | UnsetType = UNSET


class ImagingStudy(Resource):
    id: str | None = None
    subject: Reference | None = None
    encounter: Reference | None = None
    identifier: list[Identifier] | None = None
    series: list[Series] | None = None
    description: str | None = None
    started: str | None = None
    status: str | None = None
    numberOfSeries: int | None = None
    numberOfInstances: int | None = None


# Resource types no Silver table reads: every member is skipped. A type absent from this list makes the
# typed decode reject the file (the orjson path then parses it), so the list covers what Synthea writes.
_SKIPPED = (
    "AllergyIntolerance",
    "Basic",
    "CarePlan",
    "CareTeam",
    "Claim",
    "Communication",
    "Composition",
    "Consent",
    "Coverage",
    "Device",
    "DeviceRequest",
    "ExplanationOfBenefit",
    "FamilyMemberHistory",
    "Goal",
    "Immunization",
    "List",
    "Location",
    "Media",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationStatement",
    "NutritionOrder",
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Provenance",
    "Questionnaire",
    "QuestionnaireResponse",
    "RelatedPerson",
    "RiskAssessment",
    "ServiceRequest",
    "Specimen",
    "SupplyDelivery",
)
SKIPPED_TYPES: tuple[type[Resource], ...] = tuple(
    msgspec.defstruct(name, [], bases=(Resource,), tag=name)  # type: ignore[misc]
    for name in _SKIPPED
)

READ_TYPES: tuple[type[Resource], ...] = (
    Patient,
    Encounter,
    Condition,
    Observation,
    MedicationRequest,
    Medication,
    Procedure,
    DocumentReference,
    Binary,
    DiagnosticReport,
    ImagingStudy,
)


# msgspec decodes `resource` as a union tagged by resourceType; mypy sees the common base class.
if TYPE_CHECKING:
    AnyResource = Resource
else:
    AnyResource = Union[READ_TYPES + SKIPPED_TYPES]  # noqa: UP007 (built from a tuple at runtime)


class Entry(Struct, gc=False):
    fullUrl: str | None = None
    resource: AnyResource | None = None


class Bundle(Struct, tag_field="resourceType", tag="Bundle", gc=False):
    entry: list[Entry] | None = None


DECODER = msgspec.json.Decoder(Bundle)
FORMS_DECODER = msgspec.json.Decoder(list[FormAttachment] | None)
RESULTS_DECODER = msgspec.json.Decoder(list[Reference] | None)
