"""The parser on real Synthea R4 bundles (../shared/data/synthea_r4): exact row counts per table, no
quarantine, unique keys, registry-typed values, and spot checks of real quirks. Skipped when absent."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from scribe_lakehouse.fhir import diagnostic
from scribe_lakehouse.fhir.model import ParseResult, Row
from scribe_lakehouse.fhir.parser import parse_bundle, parse_files
from scribe_lakehouse.registry import SILVER_TABLES, TableSpec

# tests/unit/<this file> -> project root (/work/main) -> its parent holds shared/
_DEFAULT_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "synthea_r4"
DATA_DIR = Path(os.environ.get("SYNTHEA_R4_DIR") or _DEFAULT_DIR)

# README of the data folder: rows if every resource of the table's kind is extracted
EXPECTED: dict[str, dict[str, int]] = {
    "ma_2025": {
        "patient": 34,
        "encounter": 1350,
        "condition": 930,
        "observation": 6143,
        "medication_request": 548,
        "procedure": 3427,
        "soap_note": 1350,
        "imaging_study": 95,
        "genomic_report": 0,
        "ecg_metadata": 0,
    },
    "spezi": {
        "patient": 3,
        "encounter": 130,
        "condition": 106,
        "observation": 1190,
        "medication_request": 208,
        "procedure": 173,
        "soap_note": 130,
        "imaging_study": 5,
        "genomic_report": 0,
        "ecg_metadata": 0,
    },
    "synthea_fixture": {
        "patient": 1,
        "encounter": 37,
        "condition": 21,
        "observation": 58,
        "medication_request": 12,
        "procedure": 3,
        "soap_note": 37,
        "imaging_study": 0,
        "genomic_report": 0,
        "ecg_metadata": 0,
    },
}

pytestmark = pytest.mark.skipif(not DATA_DIR.is_dir(), reason=f"no real Synthea bundles at {DATA_DIR}")

_CACHE: dict[str, ParseResult] = {}


def bundles(folder: str) -> list[Path]:
    return sorted((DATA_DIR / folder).glob("*.json"))


def parsed(folder: str) -> ParseResult:
    if folder not in _CACHE:
        if not (DATA_DIR / folder).is_dir():
            pytest.skip(f"{folder} not present")
        _CACHE[folder] = parse_files((p, p.name) for p in bundles(folder))
    return _CACHE[folder]


def raw_resources(folder: str, resource_type: str) -> list[dict[str, object]]:
    out = []
    for path in bundles(folder):
        for entry in orjson.loads(path.read_bytes()).get("entry", []):
            if entry["resource"]["resourceType"] == resource_type:
                out.append(entry["resource"])
    return out


def silver_schema(spec: TableSpec) -> pa.Schema:
    schema = spec.arrow_schema()
    return schema.remove(schema.get_field_index("ingest_timestamp"))


def python_type_ok(value: object, type_: pa.DataType) -> bool:
    if pa.types.is_string(type_):
        return type(value) is str
    if pa.types.is_boolean(type_):
        return type(value) is bool
    if pa.types.is_integer(type_):
        return type(value) is int
    if pa.types.is_floating(type_):
        return type(value) is float
    if pa.types.is_date32(type_):
        return type(value) is dt.date
    if pa.types.is_timestamp(type_):
        return type(value) is dt.datetime and value.utcoffset() == dt.timedelta(0)
    raise AssertionError(f"unexpected Arrow type {type_}")


def by_id(rows: list[Row], key: str) -> dict[object, Row]:
    return {r[key]: r for r in rows}


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_rows_per_table_match_the_readme_exactly(folder: str) -> None:
    result = parsed(folder)
    assert {t: len(rows) for t, rows in result.rows.items()} == EXPECTED[folder]
    assert result.quarantine == []
    assert result.seen == EXPECTED[folder]
    assert result.files == len(bundles(folder))


@pytest.mark.parametrize("folder", sorted(EXPECTED))
@pytest.mark.parametrize("spec", SILVER_TABLES, ids=lambda s: s.name)
def test_rows_are_registry_typed_with_unique_keys(folder: str, spec: TableSpec) -> None:
    rows = parsed(folder).rows[spec.name]
    schema = silver_schema(spec)
    names = set(schema.names)
    for row in rows:
        assert set(row) == names
        assert row["source_file"]
        for field in schema:
            value = row[field.name]
            if value is None:
                assert field.nullable, f"{spec.name}.{field.name} is required"
            else:
                assert python_type_ok(value, field.type), f"{spec.name}.{field.name}: {type(value)}"
    table = pa.Table.from_pylist(rows, schema=schema)
    assert table.num_rows == len(rows)
    assert table.schema.equals(schema)
    keys = [r[spec.primary_key] for r in rows]  # type: ignore[index]
    assert len(set(keys)) == len(keys)


def test_source_file_is_the_bundle_name() -> None:
    result = parsed("synthea_fixture")
    assert {r["source_file"] for t in result.rows.values() for r in t} == {"sample_complete_patient.json"}


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_medication_reference_resolves_to_a_display(folder: str) -> None:
    referenced = {
        r["id"]
        for r in raw_resources(folder, "MedicationRequest")
        if "medicationReference" in r and "medicationCodeableConcept" not in r
    }
    assert referenced, "each folder has MedicationRequests with medicationReference"
    rows = by_id(parsed(folder).rows["medication_request"], "medication_request_id")
    for rid in referenced:
        assert rows[rid]["display"], "display from the referenced Medication"
        assert rows[rid]["code"]
    assert all(r["display"] for r in rows.values())


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_real_notes_decode_with_s_a_p_sections(folder: str) -> None:
    notes = parsed(folder).rows["soap_note"]
    assert notes
    sap = [r for r in notes if r["has_subjective"] and r["has_assessment"] and r["has_plan"]]
    assert len(sap) / len(notes) >= 0.8
    assert not any(r["has_objective"] for r in notes)  # Synthea notes have no Objective section
    for r in notes:
        text = r["note_text"]
        assert isinstance(text, str) and "# Chief Complaint" in text
        assert r["char_count"] == len(text)
        assert r["word_count"] == len(text.split())
        assert r["binary_id"] is None


def test_every_encounter_has_its_note() -> None:
    for folder in EXPECTED:
        result = parsed(folder)
        encounters = {r["encounter_id"] for r in result.rows["encounter"]}
        assert {r["encounter_id"] for r in result.rows["soap_note"]} == encounters


def test_pathogen_dna_panel_is_not_genomic() -> None:
    for folder, prefix in (("spezi", "Milton509"), ("synthea_fixture", "sample_complete")):
        panels = [
            r
            for path in bundles(folder)
            if path.name.startswith(prefix)
            for e in orjson.loads(path.read_bytes())["entry"]
            if (r := e["resource"])["resourceType"] == "DiagnosticReport"
            and "Respiratory pathogens DNA and RNA panel" in r["code"].get("text", "")
        ]
        assert panels
        assert all(diagnostic.classify(p) is None for p in panels)
        assert parsed(folder).rows["genomic_report"] == []


def test_spot_values_from_the_ma_2025_run() -> None:
    result = parsed("ma_2025")
    patients = by_id(result.rows["patient"], "patient_id")
    agustin = patients["2fb6b26c-063e-a0fc-0594-96f29be544ee"]
    assert agustin["race"] == "Native Hawaiian or Other Pacific Islander"
    assert agustin["ethnicity"] == "Hispanic or Latino"
    assert agustin["gender"] == "male"
    assert agustin["deceased"] is False
    assert isinstance(agustin["birth_date"], dt.date)

    encounter = by_id(result.rows["encounter"], "encounter_id")["d1baaed1-8081-ff14-13e0-c11a58879cc9"]
    assert encounter["provider_id"] == "9999972794"  # conditional reference -> NPI
    assert encounter["patient_id"] == "2fb6b26c-063e-a0fc-0594-96f29be544ee"
    assert encounter["class_code"] == "AMB"
    assert encounter["type_code"] == "410620009"
    assert encounter["start_date"] == dt.datetime(1985, 11, 19, 23, 37, 33, tzinfo=dt.UTC)

    bp = by_id(result.rows["observation"], "observation_id")["c887b3f5-43a7-11e5-ae15-91fa7976386c"]
    assert bp["code"] == "85354-9"
    assert bp["value"] is None
    assert bp["components_json"] == (
        '[{"code":"8462-4","display":"Diastolic Blood Pressure","value":70.0,"unit":"mm[Hg]"},'
        '{"code":"8480-6","display":"Systolic Blood Pressure","value":123.0,"unit":"mm[Hg]"}]'
    )
    assert all(r["effective_date"] is not None for r in result.rows["observation"])

    studies = result.rows["imaging_study"]
    assert all(r["dicom_extracted"] is False and r["dicom_binary_id"] is None for r in studies)
    assert all(r["modality"] and r["series_count"] >= 1 and r["instance_count"] >= 1 for r in studies)


def test_offsets_become_utc_in_spezi() -> None:
    study = by_id(parsed("spezi").rows["imaging_study"], "study_id")["4614c436-b791-8d45-179b-5af6b79cbdc5"]
    assert study["started_date"] == dt.datetime(2012, 1, 4, 19, 53, 57, tzinfo=dt.UTC)  # -05:00 source
    assert (study["modality"], study["body_site"], study["body_site_display"]) == ("DX", "344001", "Ankle")


def test_fixture_observations_use_effective_instant() -> None:
    raw = raw_resources("synthea_fixture", "Observation")
    assert all("effectiveInstant" in r for r in raw)
    assert all(r["effective_date"] is not None for r in parsed("synthea_fixture").rows["observation"])


def test_reference_bundles_yield_no_rows() -> None:
    refs = [p for p in bundles("ma_2025") if p.name.startswith(("hospital", "practitioner"))]
    assert len(refs) == 2
    for path in refs:
        result = parse_bundle(path.read_bytes(), source_file=path.name)
        assert all(rows == [] for rows in result.rows.values())
        assert result.quarantine == []
        assert sum(result.seen.values()) == 0
