"""The corpus contract: ids, required fields, generated JSON Schema, drift and row validation."""

from __future__ import annotations

import copy
import datetime as dt
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from jsonschema import Draft202012Validator

from scribe_lakehouse import contract
from scribe_lakehouse.contract import (
    CONTRACT_VERSION,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    SCHEMA_PATH,
    SUMMARY_NAMESPACE,
    json_schema,
    schema_is_current,
    schema_json_text,
    summary_id,
    summary_ids,
    to_json_ready,
    validate_rows,
    write_schema,
)
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER_TABLES

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_version_and_namespace_are_pinned() -> None:
    assert CONTRACT_VERSION == "1.1.0"
    assert uuid.UUID("5c0d9b1e-1f7a-5a3c-9b2e-7d6f4a2c8e10") == SUMMARY_NAMESPACE


def test_summary_id_is_uuid5_in_the_corpus_namespace() -> None:
    assert summary_id("enc-1") == "33605f43-a531-562a-bb43-f8751d1131aa"
    assert summary_id("enc-1") == str(uuid.uuid5(SUMMARY_NAMESPACE, "enc-1"))
    assert uuid.UUID(summary_id("x")).version == 5
    assert summary_id("enc-1") != summary_id("enc-2")


def test_summary_ids_equal_uuid5_for_every_id() -> None:
    ids = [str(uuid.UUID(int=i * 7919)) for i in range(2000)] + ["", "é-ü-✓", "Patient/x", "a" * 300]
    assert summary_ids(ids) == [str(uuid.uuid5(SUMMARY_NAMESPACE, e)) for e in ids]
    assert summary_ids([]) == []


def test_required_and_optional_fields_follow_the_spec() -> None:
    assert REQUIRED_FIELDS == (
        "summary_id",
        "patient_id",
        "encounter_id",
        "patient_age",
        "patient_gender",
        "encounter_type",
        "encounter_date",
        "active_conditions",
        "active_medications",
    )
    assert set(REQUIRED_FIELDS).isdisjoint(OPTIONAL_FIELDS)
    assert GOLD_ENCOUNTER_SUMMARY.column_names == REQUIRED_FIELDS + OPTIONAL_FIELDS


# --- the generated schema ---


def objects(node: object) -> Iterator[dict[str, object]]:
    """Every JSON Schema object node whose type includes "object"."""
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "object" or (isinstance(kind, list) and "object" in kind):
            yield node
        for value in node.values():
            yield from objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from objects(value)


def test_schema_is_valid_2020_12_with_contract_version() -> None:
    schema = json_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["x-contract-version"] == CONTRACT_VERSION
    assert schema["required"] == list(REQUIRED_FIELDS)
    properties = schema["properties"]
    assert isinstance(properties, dict)
    assert list(properties) == list(GOLD_ENCOUNTER_SUMMARY.column_names)


def test_every_object_forbids_additional_properties() -> None:
    nodes = list(objects(json_schema()))
    # top level, recent_vitals, the lab items, imaging, silver_versions
    assert len(nodes) == 5
    assert all(node["additionalProperties"] is False for node in nodes)


def test_field_types_follow_arrow_types_and_nullability() -> None:
    properties = json_schema()["properties"]
    assert isinstance(properties, dict)
    assert properties["summary_id"]["type"] == "string"  # non-null in the registry
    assert properties["encounter_type"]["type"] == "string"
    assert properties["patient_age"]["type"] == ["integer", "null"]
    assert (properties["encounter_date"]["type"], properties["encounter_date"]["format"]) == (
        ["string", "null"],
        "date",
    )
    assert (properties["created_timestamp"]["type"], properties["created_timestamp"]["format"]) == (
        ["string", "null"],
        "date-time",
    )
    assert properties["active_conditions"]["type"] == "array"
    assert properties["has_ecg"]["type"] == ["boolean", "null"]
    labs = properties["recent_labs"]
    assert labs["type"] == ["array", "null"]
    assert labs["items"]["properties"]["value"]["type"] == ["number", "null"]
    assert labs["items"]["required"] == ["name", "value", "unit"]
    imaging = properties["imaging"]["properties"]
    assert imaging["study_date"] == {"title": "study_date", "type": ["string", "null"], "format": "date"}
    assert imaging["series_count"]["type"] == ["integer", "null"]
    versions = properties["silver_versions"]
    assert versions["required"] == [t.name for t in SILVER_TABLES]
    column = GOLD_ENCOUNTER_SUMMARY.column("patient_age")
    assert properties["patient_age"]["title"] == "patient_age"
    assert properties["patient_age"]["description"] == column.description


def test_committed_schema_file_has_not_drifted() -> None:
    committed = (REPO_ROOT / SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == schema_json_text(), "run `scribe-lakehouse docs` to regenerate the contract schema"


def test_schema_text_is_deterministic_sorted_and_ends_in_newline() -> None:
    text = schema_json_text()
    assert text == schema_json_text()
    assert text.endswith("}\n")
    keys = re.findall(r'^  "([^"]+)":', text, flags=re.MULTILINE)
    assert keys == sorted(keys)


def test_write_schema_reports_changes(tmp_path: Path) -> None:
    assert not schema_is_current(tmp_path)
    assert write_schema(tmp_path) is True
    assert (tmp_path / SCHEMA_PATH).read_text(encoding="utf-8") == schema_json_text()
    assert schema_is_current(tmp_path)
    assert write_schema(tmp_path) is False
    (tmp_path / SCHEMA_PATH).write_text("{}\n", encoding="utf-8")
    assert write_schema(tmp_path) is True


# --- row validation ---

VALID_ROW: dict[str, object] = {
    "summary_id": summary_id("E1"),
    "patient_id": "P1",
    "encounter_id": "E1",
    "patient_age": 40,
    "patient_gender": "female",
    "encounter_type": "Checkup",
    "encounter_date": dt.date(2020, 6, 15),
    "active_conditions": ["Asthma"],
    "active_medications": [],
    "recent_vitals": {
        "heart_rate": 72.0,
        "bp_systolic": None,
        "bp_diastolic": None,
        "temperature": None,
        "o2_saturation": 98.0,
    },
    "recent_labs": [{"name": "Hb", "value": 13.5, "unit": "g/dL"}],
    "procedures": [],
    "soap_note_text": "# Plan",
    "soap_note_id": "n1",
    "ecg_finding": None,
    "ecg_rhythm": None,
    "has_ecg": False,
    "imaging": {
        "has_imaging": True,
        "modality": "MR",
        "body_site_display": "Brain",
        "study_description": None,
        "study_date": dt.date(2020, 6, 15),
        "series_count": 2,
        "dicom_binary_id": "1.2.3",
    },
    "has_genomics": False,
    "genomic_summary": None,
    "created_timestamp": dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC),
    "silver_versions": {t.name: 3 for t in SILVER_TABLES},
}


def row(**changes: object) -> dict[str, object]:
    base = to_json_ready(copy.deepcopy(VALID_ROW))
    return base | changes


def test_to_json_ready_makes_iso_strings_at_every_depth() -> None:
    ready = to_json_ready(VALID_ROW)
    assert ready["encounter_date"] == "2020-06-15"
    assert ready["created_timestamp"] == "2024-05-06T07:08:09+00:00"
    imaging = ready["imaging"]
    assert isinstance(imaging, dict)
    assert imaging["study_date"] == "2020-06-15"
    assert VALID_ROW["encounter_date"] == dt.date(2020, 6, 15)  # the input is not modified


def test_valid_row_and_optional_fields_left_out_pass() -> None:
    assert validate_rows([row()]) == []
    required_only = {k: v for k, v in row().items() if k in REQUIRED_FIELDS}
    assert validate_rows([required_only]) == []
    assert validate_rows([row(patient_age=None, patient_gender=None, encounter_date=None)]) == []


def test_extra_field_fails() -> None:
    problems = validate_rows([row(), row(extra_field=1)])
    assert len(problems) == 1
    assert problems[0].startswith("row 1: <row>: ")
    assert "extra_field" in problems[0]


def test_missing_required_field_fails() -> None:
    missing = row()
    del missing["patient_age"]
    problems = validate_rows([missing])
    assert problems == ["row 0: <row>: 'patient_age' is a required property"]


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"summary_id": None}, "summary_id"),
        ({"active_conditions": None}, "active_conditions"),
        ({"patient_age": "forty"}, "patient_age"),
        ({"encounter_date": "15/06/2020"}, "encounter_date"),
        ({"created_timestamp": "2024-05-06 07:08"}, "created_timestamp"),
        ({"recent_labs": [{"name": "Hb", "value": "high", "unit": "g/dL"}]}, "recent_labs/0/value"),
    ],
)
def test_wrong_types_and_formats_fail_without_echoing_values(changes: dict[str, object], path: str) -> None:
    problems = validate_rows([row(**changes)])
    assert len(problems) == 1
    assert problems[0].startswith(f"row 0: {path}: fails ")
    for value in changes.values():
        if isinstance(value, str):
            assert value not in problems[0]


def test_nested_objects_reject_unknown_and_missing_members() -> None:
    vitals = dict(cast(dict[str, object], VALID_ROW["recent_vitals"]))
    problems = validate_rows([row(recent_vitals=vitals | {"pulse": 1.0})])
    assert len(problems) == 1
    assert problems[0].startswith("row 0: recent_vitals: ") and "pulse" in problems[0]
    del vitals["heart_rate"]
    assert validate_rows([row(recent_vitals=vitals)]) == [
        "row 0: recent_vitals: 'heart_rate' is a required property"
    ]


def test_date_time_format_is_checked() -> None:
    assert contract._is_date_time("2024-05-06T07:08:09Z")
    assert contract._is_date_time("2024-05-06T07:08:09.123456+02:00")
    assert not contract._is_date_time("2024-05-06T07:08:09")  # no offset
    assert not contract._is_date_time("2024-13-06T07:08:09Z")
