"""Hand-built Gold `encounter_summary` rows with the registry's schema, for tests."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER_TABLES

UTC = dt.UTC


def gold_row(summary_id: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "summary_id": summary_id,
        "patient_id": "p1",
        "encounter_id": "e-" + summary_id,
        "patient_age": 42,
        "patient_gender": "female",
        "encounter_type": "General examination of patient (procedure)",
        "encounter_date": dt.date(2020, 3, 1),
        "active_conditions": [],
        "active_medications": [],
        "recent_vitals": {
            k: None for k in ("heart_rate", "bp_systolic", "bp_diastolic", "temperature", "o2_saturation")
        },
        "recent_labs": [],
        "procedures": [],
        "soap_note_text": None,
        "soap_note_id": None,
        "ecg_finding": None,
        "ecg_rhythm": None,
        "has_ecg": False,
        "imaging": {
            "has_imaging": False,
            "modality": None,
            "body_site_display": None,
            "study_description": None,
            "study_date": None,
            "series_count": None,
            "dicom_binary_id": None,
        },
        "has_genomics": False,
        "genomic_summary": None,
        "created_timestamp": dt.datetime(2026, 1, 1, tzinfo=UTC),
        "silver_versions": {t.name: 1 for t in SILVER_TABLES},
    }
    row.update(overrides)
    return row


def gold_table(*rows: dict[str, object]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=GOLD_ENCOUNTER_SUMMARY.arrow_schema())
