"""The typed fast path (msgspec) against the orjson path: identical Silver rows on real and generated
bundles, and a per-file fallback that loses nothing when the typed decode declines a file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from builders import blood_pressure, bundle, condition, encounter, medication, note, patient, vital
from scribe_lakehouse.errors import ReasonCode
from scribe_lakehouse.fhir.columnar import ColumnarResult, add_bundle
from scribe_lakehouse.fhir.model import QuarantineRecord
from scribe_lakehouse.fhir.parser import parse_bundle
from scribe_lakehouse.registry import SILVER_TABLES
from scribe_lakehouse.synth import generate

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _parse(files: list[tuple[bytes, str]], *, typed: bool) -> ColumnarResult:
    result = ColumnarResult()
    for data, name in files:
        add_bundle(result, data, source_file=name, typed=typed)
    return result


def _frames(result: ColumnarResult) -> dict[str, pl.DataFrame]:
    frames = {}
    for spec in SILVER_TABLES:
        frame = pl.from_arrow(result.to_arrow(spec.name, ingest_timestamp=NOW))
        assert isinstance(frame, pl.DataFrame)
        frames[spec.name] = frame
    return frames


def _assert_same_silver(files: list[tuple[bytes, str]]) -> ColumnarResult:
    """Both paths give equal frames for every table, and the typed run really took the fast path."""
    fast = _parse(files, typed=True)
    slow = _parse(files, typed=False)
    assert fast.fallbacks == 0
    assert fast.seen == slow.seen
    assert fast.quarantine == slow.quarantine == []
    fast_frames, slow_frames = _frames(fast), _frames(slow)
    for spec in SILVER_TABLES:
        assert_frame_equal(fast_frames[spec.name], slow_frames[spec.name])
    return fast


@pytest.mark.parametrize("folder", ["ma_2025", "spezi", "synthea_fixture"])
def test_real_bundles_give_identical_silver_rows_on_both_paths(real_data: Path, folder: str) -> None:
    files = [(p.read_bytes(), p.name) for p in sorted((real_data / folder).glob("*.json"))]
    result = _assert_same_silver(files)
    assert sum(len(rows) for rows in result.rows.values()) > 0


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[bytes, str]]:
    out = tmp_path_factory.mktemp("corpus")
    generate(out, patients=6, seed=3, dicom=True, scale=0.3)
    return [(p.read_bytes(), p.name) for p in sorted((out / "fhir").glob("*.json"))]


def test_generated_bundles_give_identical_silver_rows_on_both_paths(
    generated: list[tuple[bytes, str]],
) -> None:
    result = _assert_same_silver(generated)
    # the generator exercises every table the real folders leave empty
    assert result.rows["ecg_metadata"] or result.rows["genomic_report"] or result.rows["imaging_study"]


def _clean() -> list[dict[str, Any]]:
    return [
        patient("p1"),
        encounter("e1", "p1", "2020-01-02T10:00:00+01:00"),
        condition("c1", "p1", "e1", "Asthma", "2019-05-01T00:00:00Z"),
        medication("m1", "p1", "e1", "Inhaler", "2020-01-02T10:00:00Z"),
        vital("o1", "p1", "e1", "8867-4", 72, "2020-01-02T10:00:00Z"),
        blood_pressure("o2", "p1", "e1", 120, 80, "2020-01-02T10:00:00Z"),
        note("n1", "p1", "e1", "2020-01-02T10:00:00Z"),
    ]


def _rows(result: ColumnarResult) -> dict[str, list[dict[str, object]]]:
    """Row dicts as `parse_bundle` gives them (the typed path keeps timestamps as microseconds)."""
    return {table: list(rows) for table, rows in result.to_parse_result().rows.items()}


def _one(resources: list[dict[str, Any]], name: str = "odd.json") -> ColumnarResult:
    return _parse([(orjson.dumps(bundle(*resources)), name)], typed=True)


def test_clean_bundle_takes_the_fast_path() -> None:
    result = _one(_clean())
    assert result.fallbacks == 0
    assert {t: len(r) for t, r in result.rows.items() if r} == {
        "patient": 1,
        "encounter": 1,
        "condition": 1,
        "medication_request": 1,
        "observation": 2,
        "soap_note": 1,
    }


def test_unknown_resource_type_falls_back_and_keeps_every_row() -> None:
    odd = {
        "resourceType": "ResearchSubject",
        "id": "r1",
        "status": "on-study",
        "period": ["not", "a", "Period"],
    }
    result = _one([*_clean(), odd])
    assert result.fallbacks == 1
    assert _rows(result) == _rows(_one(_clean()))
    assert result.quarantine == []


def test_oddly_shaped_field_falls_back_quarantines_only_that_resource() -> None:
    odd = vital("o3", "p1", "e1", "8310-5", 37.0, "2020-01-02T10:00:00Z")
    odd["valueQuantity"]["value"] = "37.0"  # a quoted number
    result = _one([*_clean(), odd])
    assert result.fallbacks == 1
    assert _rows(result) == _rows(_one(_clean()))
    assert result.seen["observation"] == 3
    assert result.quarantine == [
        QuarantineRecord(
            "odd.json", 7, "Observation", "observation", ReasonCode.WRONG_TYPE, "valueQuantity.value"
        )
    ]


@pytest.mark.parametrize(
    "change",
    [
        # R5: Encounter.class is a list of CodeableConcepts
        lambda r: r[1].update({"class": [{"coding": [{"code": "AMB"}]}]}),
        # STU3-style single category object on a DiagnosticReport (not an ECG or genomic one)
        lambda r: r.append(
            {
                "resourceType": "DiagnosticReport",
                "id": "d1",
                "category": {"text": "lab"},
                "code": {"text": "CBC"},
            }
        ),
        # a partial date only the shared date parser accepts, and a Claim of any shape
        lambda r: r[2].update({"onsetDateTime": "2019"}),
        lambda r: r.append({"resourceType": "Claim", "id": "x", "total": "lots", "item": 3}),
    ],
)
def test_odd_shapes_yield_the_rows_of_the_orjson_path(change: Any) -> None:
    resources = _clean()
    change(resources)
    data = orjson.dumps(bundle(*resources))
    fast = _parse([(data, "odd.json")], typed=True)
    slow = _parse([(data, "odd.json")], typed=False)
    assert _rows(fast) == _rows(slow)
    assert fast.seen == slow.seen
    assert fast.quarantine == slow.quarantine == []
    assert len(fast.rows["encounter"]) == len(fast.rows["condition"]) == 1


def test_file_problems_are_quarantined_like_the_orjson_path() -> None:
    good = json.dumps(bundle(*_clean())).encode()
    cases = [good[:-5], b"\xef\xbb\xbf" + good, good.replace(b'"Asthma"', b'"Asth\xffma"'), b"  "]
    for data in cases:
        fast = parse_bundle(data, source_file="f.json")
        slow = parse_bundle(data, source_file="f.json", typed=False)
        assert fast == slow


def test_parse_bundle_rows_are_the_orjson_rows() -> None:
    data = orjson.dumps(bundle(*_clean()))
    assert parse_bundle(data, source_file="a.json") == parse_bundle(data, source_file="a.json", typed=False)


def test_arrow_has_the_registry_schema() -> None:
    result = _one(_clean())
    for spec in SILVER_TABLES:
        table = result.to_arrow(spec.name, ingest_timestamp=NOW)
        assert table.schema == spec.arrow_schema()
        assert table.column("ingest_timestamp").to_pylist() == [NOW] * table.num_rows
    assert result.to_arrow("encounter", ingest_timestamp=NOW).column("start_date").to_pylist() == [
        dt.datetime(2020, 1, 2, 9, 0, tzinfo=dt.UTC)
    ]
