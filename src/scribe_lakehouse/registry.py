"""Every table declared once: name, grain, primary key, typed columns and validation rules.

Arrow schemas, the data dictionary, the Gold JSON Schema, Dagster descriptions and the validation
engines are all derived from what is written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

Layer = Literal["silver", "gold", "system"]

STRING = pa.string()
BOOL = pa.bool_()
INT32 = pa.int32()
INT64 = pa.int64()
DOUBLE = pa.float64()
DATE = pa.date32()
TIMESTAMP = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Column:
    """One typed column. `required` columns are non-null in every row; `contract_required` Gold fields
    are keys always present in every corpus row (their value may still be null where the rule says)."""

    name: str
    type: pa.DataType
    description: str
    required: bool = False
    contract_required: bool = False


# --- validation rules (interpreted by local/validate.py with Polars and by the Spark engine) ---


@dataclass(frozen=True)
class RangeRule:
    """Every non-null value of `column` lies within [low, high]."""

    name: str
    column: str
    low: float
    high: float


@dataclass(frozen=True)
class ShareBelowRule:
    """At most `max_share` of rows have `column` < `value`."""

    name: str
    column: str
    value: float
    max_share: float


@dataclass(frozen=True)
class ShareAllTrueRule:
    """At least `min_share` of rows have every one of `columns` true."""

    name: str
    columns: tuple[str, ...]
    min_share: float


@dataclass(frozen=True)
class ForeignKeyRule:
    """Every non-null `column` value exists in `ref_table`.`ref_column`."""

    name: str
    column: str
    ref_table: str
    ref_column: str


Rule = RangeRule | ShareBelowRule | ShareAllTrueRule | ForeignKeyRule


@dataclass(frozen=True)
class TableSpec:
    """A table: where it lives, what one row is, its key, columns and rules."""

    name: str
    layer: Layer
    grain: str
    primary_key: str | None
    columns: tuple[Column, ...]
    source: str = ""
    min_rows: int = 0
    rules: tuple[Rule, ...] = field(default=())

    @property
    def qualified_name(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def path(self) -> str:
        """Path of the table relative to the lakehouse root."""
        return f"{'silver' if self.layer == 'system' else self.layer}/{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def contract_required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.contract_required)

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=not c.required) for c in self.columns])

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(
    name: str,
    type_: pa.DataType,
    description: str,
    *,
    required: bool = False,
    contract_required: bool = False,
) -> Column:
    return Column(name, type_, description, required, contract_required or required)


PROVENANCE = (
    _c("source_file", STRING, "Bronze bundle file name the row was parsed from", required=True),
    _c("ingest_timestamp", TIMESTAMP, "UTC time of the run that wrote the row", required=True),
)
PROVENANCE_COLUMNS = tuple(c.name for c in PROVENANCE)


def _patient_fk() -> ForeignKeyRule:
    return ForeignKeyRule("patient_exists", "patient_id", "patient", "patient_id")


def _encounter_fk() -> ForeignKeyRule:
    return ForeignKeyRule("encounter_exists", "encounter_id", "encounter", "encounter_id")


def _silver(
    name: str,
    grain: str,
    source: str,
    columns: tuple[Column, ...],
    *,
    min_rows: int = 0,
    rules: tuple[Rule, ...] = (),
) -> TableSpec:
    names = {c.name for c in columns}
    fks: list[Rule] = []
    if "patient_id" in names and name != "patient":
        fks.append(_patient_fk())
    if "encounter_id" in names and name != "encounter":
        fks.append(_encounter_fk())
    return TableSpec(
        name=name,
        layer="silver",
        grain=grain,
        primary_key=columns[0].name,
        columns=columns + PROVENANCE,
        source=source,
        min_rows=min_rows,
        rules=rules + tuple(fks),
    )


PATIENT_ID = _c("patient_id", STRING, "Patient id (bare, from subject/patient reference)", required=True)
ENCOUNTER_ID = _c("encounter_id", STRING, "Encounter id (bare, from the encounter reference)")

PATIENT = _silver(
    "patient",
    "One row per patient (FHIR Patient).",
    "Patient",
    (
        _c("patient_id", STRING, "Patient.id", required=True),
        _c("birth_date", DATE, "Patient.birthDate"),
        _c("gender", STRING, "Patient.gender"),
        _c("race", STRING, "US Core race extension: text, else ombCategory display"),
        _c("ethnicity", STRING, "US Core ethnicity extension: text, else ombCategory display"),
        _c("state", STRING, "address[0].state"),
        _c("city", STRING, "address[0].city"),
        _c("zip", STRING, "address[0].postalCode"),
        _c("deceased", BOOL, "true when deceasedDateTime or deceasedBoolean=true"),
        _c("deceased_date", TIMESTAMP, "deceasedDateTime"),
    ),
    min_rows=100,
)

ENCOUNTER = _silver(
    "encounter",
    "One row per encounter (FHIR Encounter).",
    "Encounter",
    (
        _c("encounter_id", STRING, "Encounter.id", required=True),
        PATIENT_ID,
        _c("type_code", STRING, "type[0].coding[0].code"),
        _c("type_display", STRING, "type[0].coding[0].display, else type[0].text"),
        _c("class_code", STRING, "class.code"),
        _c("start_date", TIMESTAMP, "period.start"),
        _c("end_date", TIMESTAMP, "period.end"),
        _c("status", STRING, "Encounter.status"),
        _c("provider_id", STRING, "participant[0].individual: bare id or NPI of a conditional reference"),
        _c("reason_code", STRING, "reasonCode[0].coding[0].code"),
        _c("reason_display", STRING, "reasonCode[0].coding[0].display, else text"),
    ),
    min_rows=100,
)

CONDITION = _silver(
    "condition",
    "One row per condition (FHIR Condition).",
    "Condition",
    (
        _c("condition_id", STRING, "Condition.id", required=True),
        PATIENT_ID,
        ENCOUNTER_ID,
        _c("code", STRING, "code.coding[0].code (SNOMED CT)"),
        _c("display", STRING, "code.coding[0].display, else code.text"),
        _c("clinical_status", STRING, "clinicalStatus.coding[0].code"),
        _c("onset_date", TIMESTAMP, "onsetDateTime (or onsetPeriod.start)"),
        _c("abatement_date", TIMESTAMP, "abatementDateTime (or abatementPeriod.end)"),
        _c("recorded_date", TIMESTAMP, "recordedDate"),
    ),
    min_rows=50,
)

OBSERVATION = _silver(
    "observation",
    "One row per observation (FHIR Observation).",
    "Observation",
    (
        _c("observation_id", STRING, "Observation.id", required=True),
        PATIENT_ID,
        ENCOUNTER_ID,
        _c("code", STRING, "code.coding[0].code (LOINC)"),
        _c("display", STRING, "code.coding[0].display, else code.text"),
        _c("category", STRING, "category[0].coding[0].code"),
        _c("value", DOUBLE, "valueQuantity.value"),
        _c("unit", STRING, "valueQuantity.unit"),
        _c("value_string", STRING, "valueString, else valueCodeableConcept display"),
        _c("components_json", STRING, "JSON list of {code, display, value, unit} from component[]"),
        _c("effective_date", TIMESTAMP, "effectiveDateTime (or effectivePeriod.start)"),
    ),
    min_rows=100,
)

MEDICATION_REQUEST = _silver(
    "medication_request",
    "One row per medication request (FHIR MedicationRequest).",
    "MedicationRequest",
    (
        _c("medication_request_id", STRING, "MedicationRequest.id", required=True),
        PATIENT_ID,
        ENCOUNTER_ID,
        _c("code", STRING, "medicationCodeableConcept (or referenced Medication) coding[0].code (RxNorm)"),
        _c("display", STRING, "medicationCodeableConcept (or referenced Medication) display"),
        _c("status", STRING, "MedicationRequest.status"),
        _c("intent", STRING, "MedicationRequest.intent"),
        _c("authored_on", TIMESTAMP, "authoredOn"),
        _c("dosage_text", STRING, "dosageInstruction[0].text"),
    ),
)

PROCEDURE = _silver(
    "procedure",
    "One row per procedure (FHIR Procedure).",
    "Procedure",
    (
        _c("procedure_id", STRING, "Procedure.id", required=True),
        PATIENT_ID,
        ENCOUNTER_ID,
        _c("code", STRING, "code.coding[0].code (SNOMED CT)"),
        _c("display", STRING, "code.coding[0].display, else code.text"),
        _c("status", STRING, "Procedure.status"),
        _c("performed_start", TIMESTAMP, "performedPeriod.start or performedDateTime"),
        _c("performed_end", TIMESTAMP, "performedPeriod.end"),
    ),
)

SOAP_NOTE = _silver(
    "soap_note",
    "One row per clinical note (FHIR DocumentReference with a text attachment).",
    "DocumentReference",
    (
        _c("note_id", STRING, "DocumentReference.id", required=True),
        PATIENT_ID,
        _c("encounter_id", STRING, "context.encounter[0] (bare id)", required=True),
        _c("note_date", TIMESTAMP, "DocumentReference.date"),
        _c("note_text", STRING, "content[0].attachment.data (base64, UTF-8), inline or via Binary"),
        _c("has_subjective", BOOL, "a subjective section header is present"),
        _c("has_objective", BOOL, "an objective section header is present"),
        _c("has_assessment", BOOL, "an assessment section header is present"),
        _c("has_plan", BOOL, "a plan section header is present"),
        _c("char_count", INT32, "characters in note_text"),
        _c("word_count", INT32, "whitespace-separated words in note_text"),
        _c("binary_id", STRING, "id of the Binary holding the text, when referenced by attachment.url"),
    ),
    min_rows=50,
    rules=(
        ShareBelowRule("short_notes_at_most_20pct", "char_count", 100, 0.20),
        ShareAllTrueRule(
            "sap_sections_at_least_80pct", ("has_subjective", "has_assessment", "has_plan"), 0.80
        ),
    ),
)

ECG_METADATA = _silver(
    "ecg_metadata",
    "One row per ECG report (FHIR DiagnosticReport about an electrocardiogram).",
    "DiagnosticReport",
    (
        _c("ecg_id", STRING, "DiagnosticReport.id", required=True),
        PATIENT_ID,
        ENCOUNTER_ID,
        _c("report_date", TIMESTAMP, "effectiveDateTime, else issued"),
        _c("status", STRING, "DiagnosticReport.status"),
        _c("conclusion", STRING, "DiagnosticReport.conclusion"),
        _c("rhythm", STRING, "result Observation 8893-1 (value string or display)"),
        _c("heart_rate_bpm", DOUBLE, "result Observation 8867-4"),
        _c("pr_interval_ms", DOUBLE, "result Observation 8625-6"),
        _c("qrs_duration_ms", DOUBLE, "result Observation 8633-4 (or 8625-2)"),
        _c("has_waveform", BOOL, "a waveform attachment (presentedForm or Binary) is linked"),
        _c("waveform_binary_id", STRING, "id of the waveform Binary"),
    ),
    rules=(RangeRule("heart_rate_30_250", "heart_rate_bpm", 30, 250),),
)

IMAGING_STUDY = _silver(
    "imaging_study",
    "One row per imaging study (FHIR ImagingStudy, enriched from its DICOM header when landed).",
    "ImagingStudy",
    (
        _c("study_id", STRING, "ImagingStudy.id", required=True),
        PATIENT_ID,
        ENCOUNTER_ID,
        _c("started_date", TIMESTAMP, "ImagingStudy.started"),
        _c("status", STRING, "ImagingStudy.status"),
        _c("modality", STRING, "series[0].modality.code (FHIR's modality stands)"),
        _c("body_site", STRING, "series[0].bodySite.code"),
        _c("body_site_display", STRING, "series[0].bodySite.display"),
        _c("series_count", INT32, "number of series"),
        _c("instance_count", INT32, "number of instances over all series"),
        _c("study_description", STRING, "DICOM StudyDescription (placeholders become null), else FHIR"),
        _c("series_description", STRING, "DICOM SeriesDescription, else series[0].description"),
        _c("study_date", DATE, "DICOM StudyDate"),
        _c("manufacturer", STRING, "DICOM Manufacturer (placeholders become null)"),
        _c("magnetic_field_strength", DOUBLE, "DICOM MagneticFieldStrength (tesla)"),
        _c("slice_thickness_mm", DOUBLE, "DICOM SliceThickness"),
        _c("rows", INT32, "DICOM Rows"),
        _c("columns", INT32, "DICOM Columns"),
        _c("dicom_binary_id", STRING, "StudyInstanceUID of the joined DICOM file (never its file name)"),
        _c("dicom_extracted", BOOL, "true when a DICOM header was read for this study"),
    ),
)

GENOMIC_REPORT = _silver(
    "genomic_report",
    "One row per genomic report (FHIR DiagnosticReport about genetic testing).",
    "DiagnosticReport",
    (
        _c("report_id", STRING, "DiagnosticReport.id", required=True),
        PATIENT_ID,
        ENCOUNTER_ID,
        _c("report_date", TIMESTAMP, "effectiveDateTime, else issued"),
        _c("status", STRING, "DiagnosticReport.status"),
        _c("gene_panel_name", STRING, "code display, else code.text"),
        _c("result_summary", STRING, "DiagnosticReport.conclusion"),
        _c("has_pathogenic_variant", BOOL, "negation-aware: 'No pathogenic variants detected' is false"),
        _c("family_history_flag", BOOL, "the conclusion mentions family history"),
        _c("binary_id", STRING, "id of a linked Binary report, if any"),
        _c(
            "data_limitation",
            STRING,
            "always 'Synthea simulated inheritance — not clinical variants'",
            required=True,
        ),
    ),
)

GENOMIC_DATA_LIMITATION = "Synthea simulated inheritance — not clinical variants"

SILVER_TABLES: tuple[TableSpec, ...] = (
    PATIENT,
    ENCOUNTER,
    CONDITION,
    OBSERVATION,
    MEDICATION_REQUEST,
    PROCEDURE,
    SOAP_NOTE,
    ECG_METADATA,
    IMAGING_STUDY,
    GENOMIC_REPORT,
)
SILVER: dict[str, TableSpec] = {t.name: t for t in SILVER_TABLES}

# --- system tables ---

INGEST_LOG = TableSpec(
    name="ingest_log",
    layer="system",
    grain="One row per table per validation run.",
    primary_key=None,
    columns=(
        _c("run_id", STRING, "run identifier", required=True),
        _c("table", STRING, "table name", required=True),
        _c("row_count", INT64, "rows in the table after the run", required=True),
        _c("passed", BOOL, "every rule passed", required=True),
        _c("failed_checks", pa.list_(STRING), "names of the failed rules", required=True),
        _c("resources_seen", INT64, "resources of this table's kind seen in the files parsed by this run"),
        _c("rows_written", INT64, "distinct rows handed to the MERGE by this run"),
        _c("rows_inserted", INT64, "rows inserted by this run's MERGE"),
        _c("rows_updated", INT64, "rows updated by this run's MERGE"),
        _c("rows_quarantined", INT64, "resources of this kind quarantined by this run"),
        _c("duplicates_collapsed", INT64, "duplicate keys within this run collapsed to the last"),
        _c("detail_json", STRING, "rule-by-rule results as JSON: [{rule, passed, observed, expected}]"),
        _c("ingest_timestamp", TIMESTAMP, "UTC time of the run", required=True),
    ),
)

QUARANTINE = TableSpec(
    name="quarantine",
    layer="system",
    grain="One row per rejected file or resource.",
    primary_key="quarantine_id",
    columns=(
        _c(
            "quarantine_id",
            STRING,
            "hash of source file, content hash, entry index and reason",
            required=True,
        ),
        _c("run_id", STRING, "run identifier", required=True),
        _c("source_file", STRING, "Bronze file name", required=True),
        _c("entry_index", INT32, "index of the entry in Bundle.entry; null for a whole-file rejection"),
        _c("resource_type", STRING, "FHIR resourceType when known"),
        _c("reason", STRING, "reason code (errors.ReasonCode)", required=True),
        _c("detail", STRING, "what was wrong, naming the field (never a value)", required=True),
        _c("ingest_timestamp", TIMESTAMP, "UTC time of the run", required=True),
    ),
)

PROCESSED_FILES = TableSpec(
    name="processed_files",
    layer="system",
    grain="One row per Bronze file version parsed into Silver.",
    primary_key="bronze_path",
    columns=(
        _c("bronze_path", STRING, "path of the file under bronze/", required=True),
        _c("sha256", STRING, "checksum of the bytes parsed", required=True),
        _c("cohort", STRING, "cohort label", required=True),
        _c("run_id", STRING, "run that parsed it", required=True),
        _c("ingest_timestamp", TIMESTAMP, "UTC time of the run", required=True),
    ),
)

SYSTEM_TABLES: tuple[TableSpec, ...] = (INGEST_LOG, QUARANTINE, PROCESSED_FILES)

# --- Gold ---

VITALS_TYPE = pa.struct(
    [
        pa.field("heart_rate", DOUBLE),
        pa.field("bp_systolic", DOUBLE),
        pa.field("bp_diastolic", DOUBLE),
        pa.field("temperature", DOUBLE),
        pa.field("o2_saturation", DOUBLE),
    ]
)
LAB_TYPE = pa.struct([pa.field("name", STRING), pa.field("value", DOUBLE), pa.field("unit", STRING)])
IMAGING_TYPE = pa.struct(
    [
        pa.field("has_imaging", BOOL),
        pa.field("modality", STRING),
        pa.field("body_site_display", STRING),
        pa.field("study_description", STRING),
        pa.field("study_date", DATE),
        pa.field("series_count", INT32),
        pa.field("dicom_binary_id", STRING),
    ]
)
SILVER_VERSIONS_TYPE = pa.struct([pa.field(t.name, INT64) for t in SILVER_TABLES])

GOLD_ENCOUNTER_SUMMARY = TableSpec(
    name="encounter_summary",
    layer="gold",
    grain="One row per encounter (one per silver.encounter row): the AI-ready corpus.",
    primary_key="summary_id",
    columns=(
        _c(
            "summary_id",
            STRING,
            "UUIDv5(corpus namespace, encounter_id): stable across rebuilds",
            required=True,
        ),
        _c("patient_id", STRING, "from encounter", required=True),
        _c("encounter_id", STRING, "from encounter", required=True),
        _c(
            "patient_age",
            INT32,
            "whole years at the encounter date (birthday-anniversary rule); null if a date is missing",
            contract_required=True,
        ),
        _c("patient_gender", STRING, "from patient (null if the patient is missing)", contract_required=True),
        _c("encounter_type", STRING, 'encounter.type_display ("" if absent)', required=True),
        _c("encounter_date", DATE, "date of encounter.start_date", contract_required=True),
        _c(
            "active_conditions",
            pa.list_(STRING),
            "distinct sorted displays of the patient's conditions with onset <= encounter_date "
            "(or null) and abatement > encounter_date (or null)",
            required=True,
        ),
        _c(
            "active_medications",
            pa.list_(STRING),
            "distinct sorted displays of the patient's active medication requests first authored "
            "<= encounter_date",
            required=True,
        ),
        _c(
            "recent_vitals",
            VITALS_TYPE,
            "latest value at this encounter: HR 8867-4, temperature 8310-5, SpO2 2708-6/59408-5, "
            "BP from 85354-9 components",
        ),
        _c("recent_labs", pa.list_(LAB_TYPE), "laboratory observations at this encounter, distinct, sorted"),
        _c("procedures", pa.list_(STRING), "distinct sorted procedure displays at this encounter"),
        _c("soap_note_text", STRING, "text of the latest note linked to this encounter"),
        _c("soap_note_id", STRING, "id of the latest note linked to this encounter"),
        _c("ecg_finding", STRING, "conclusion of the latest ECG report at this encounter"),
        _c("ecg_rhythm", STRING, "rhythm of the latest ECG report at this encounter"),
        _c("has_ecg", BOOL, "any ECG report at this encounter"),
        _c("imaging", IMAGING_TYPE, "latest imaging study at this encounter"),
        _c("has_genomics", BOOL, "any genomic report at this encounter"),
        _c("genomic_summary", STRING, "result_summary of the latest genomic report at this encounter"),
        _c("created_timestamp", TIMESTAMP, "build time"),
        _c("silver_versions", SILVER_VERSIONS_TYPE, "Delta version of each Silver table read"),
    ),
)

GOLD_TABLES: tuple[TableSpec, ...] = (GOLD_ENCOUNTER_SUMMARY,)

ALL_TABLES: tuple[TableSpec, ...] = SILVER_TABLES + SYSTEM_TABLES + GOLD_TABLES


def silver_table(name: str) -> TableSpec:
    """Look a Silver table up by name; a clear KeyError names the known ones."""
    try:
        return SILVER[name]
    except KeyError:
        raise KeyError(f"unknown Silver table {name!r}; known: {', '.join(SILVER)}") from None
