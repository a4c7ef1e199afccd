"""The constants of the Gold rules (SPEC §4), engine-free: local/gold_parts.py (Polars) and
spark/gold.py (Spark) read the same codes, members and Silver columns from here."""

from __future__ import annotations

from scribe_lakehouse.registry import IMAGING_TYPE, VITALS_TYPE

VITAL_CODES: dict[str, str] = {
    "8867-4": "heart_rate",
    "8310-5": "temperature",
    "2708-6": "o2_saturation",
    "59408-5": "o2_saturation",
}
BP_PANEL_CODE = "85354-9"
BP_COMPONENT_CODES: dict[str, str] = {"8480-6": "bp_systolic", "8462-4": "bp_diastolic"}
VITAL_MEMBERS: tuple[str, ...] = tuple(f.name for f in VITALS_TYPE)
LAB_CATEGORY = "laboratory"
ACTIVE_MEDICATION_STATUS = "active"
# imaging struct members copied from the study (has_imaging is computed)
IMAGING_MEMBERS: tuple[str, ...] = tuple(f.name for f in IMAGING_TYPE if f.name != "has_imaging")

# The Silver columns each rule reads; everything else is pruned before the plan runs.
SILVER_COLUMNS: dict[str, tuple[str, ...]] = {
    "patient": ("patient_id", "birth_date", "gender"),
    "encounter": ("encounter_id", "patient_id", "type_display", "start_date"),
    "condition": ("patient_id", "display", "onset_date", "abatement_date"),
    "observation": (
        "observation_id",
        "encounter_id",
        "code",
        "display",
        "category",
        "value",
        "unit",
        "components_json",
        "effective_date",
    ),
    "medication_request": ("patient_id", "display", "status", "authored_on"),
    "procedure": ("encounter_id", "display"),
    "soap_note": ("note_id", "encounter_id", "note_date", "note_text"),
    "ecg_metadata": ("ecg_id", "encounter_id", "report_date", "conclusion", "rhythm"),
    "imaging_study": ("study_id", "encounter_id", "started_date", *IMAGING_MEMBERS),
    "genomic_report": ("report_id", "encounter_id", "report_date", "result_summary"),
}
