"""Imaging studies parsed with the DICOM index deferred, then joined with the headers, equal the studies
parsed with the index itself, on both parse paths."""

from __future__ import annotations

import datetime as dt
import pickle

import orjson
import pyarrow as pa
import pytest

from builders import bundle, patient
from scribe_lakehouse.fhir.columnar import ColumnarResult, add_bundle
from scribe_lakehouse.fhir.dicom_join import DEFERRED, join_headers
from scribe_lakehouse.fhir.model import DicomHeader

NOW = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)


def study(sid: str, uid: str | None, description: str | None = "FHIR study") -> dict[str, object]:
    resource: dict[str, object] = {
        "resourceType": "ImagingStudy",
        "id": sid,
        "status": "available",
        "subject": {"reference": "urn:uuid:p1"},
        "started": "2020-01-02T10:00:00Z",
        "series": [{"uid": "9.9", "description": "FHIR series", "modality": {"code": "MR"}}],
    }
    if uid is not None:
        resource["identifier"] = [{"system": "urn:dicom:uid", "value": f"urn:oid:{uid}"}]
    if description is not None:
        resource["description"] = description
    return resource


INDEX = {
    "1.1": DicomHeader(
        "1.1",
        study_description="DICOM study",
        series_description="DICOM series",
        study_date=dt.date(2020, 1, 2),
        manufacturer="Acme",
        magnetic_field_strength=1.5,
        slice_thickness_mm=3.0,
        rows=256,
        columns=192,
    ),
    "1.2": DicomHeader("1.2", study_description=None, manufacturer="Acme"),  # placeholders already None
}
STUDIES = [
    study("s1", "1.1"),  # enriched, DICOM descriptions win
    study("s2", "1.2"),  # enriched, FHIR descriptions stay where DICOM has none
    study("s3", "1.3"),  # no DICOM file
    study("s4", None),  # no StudyInstanceUID
    study("s5", "1.1", description=None),  # a second study of the same file
]


@pytest.mark.parametrize("typed", [True, False])
def test_deferred_then_joined_equals_parsed_with_the_index(typed: bool) -> None:
    data = orjson.dumps(bundle(patient("p1"), *STUDIES))
    tables = []
    for dicom in (INDEX, DEFERRED):
        result = ColumnarResult()
        add_bundle(result, data, source_file="b.json", dicom=dicom, typed=typed)
        tables.append(result.to_arrow("imaging_study", ingest_timestamp=NOW))
    direct, deferred = tables
    assert not deferred.equals(direct)
    joined = join_headers(deferred, INDEX)
    assert joined.schema == direct.schema
    assert joined.equals(direct)
    rows = {r["study_id"]: r for r in joined.to_pylist()}
    assert [rows[s]["dicom_extracted"] for s in ("s1", "s2", "s3", "s4", "s5")] == [
        True,
        True,
        False,
        False,
        True,
    ]
    assert (rows["s1"]["study_description"], rows["s2"]["study_description"]) == ("DICOM study", "FHIR study")
    assert rows["s3"]["dicom_binary_id"] is None and rows["s1"]["rows"] == 256


def test_deferred_pickles_as_itself_and_joins_nothing_when_empty() -> None:
    assert pickle.loads(pickle.dumps(DEFERRED)) is DEFERRED
    empty = pa.table({"dicom_binary_id": pa.array([], pa.string())})
    assert join_headers(empty, INDEX) is empty
