"""The Gold rules at their edges: hand-built, registry-typed Silver through Spark's gold_frame and the
local engine's build_gold give the same frame (leap-day birthdays, UTC dates near midnight, "latest"
tie-breaks, vitals latest non-null per member, BP components, labs with nulls, unicode ids)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from scribe_lakehouse.contract import summary_ids
from scribe_lakehouse.local.gold import build_gold, corpus_stats
from scribe_lakehouse.registry import GENOMIC_DATA_LIMITATION, SILVER, SILVER_TABLES
from scribe_lakehouse.spark import gold as spark_gold

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

pytestmark = pytest.mark.spark

UTC = dt.UTC
CREATED = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
VERSIONS = {t.name: i + 3 for i, t in enumerate(SILVER_TABLES)}
Rows = Sequence[Mapping[str, object]]


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def bp(*components: tuple[str, float | None]) -> str:
    return json.dumps([{"code": c, "display": c, "value": v, "unit": "mm[Hg]"} for c, v in components])


SILVER_ROWS: dict[str, Rows] = {
    "patient": [
        {"patient_id": "P1", "birth_date": day("1980-02-29"), "gender": "female"},
        {"patient_id": "P2", "birth_date": day("2000-06-15"), "gender": "male"},
        {"patient_id": "P3", "birth_date": None, "gender": "other"},
    ],
    "encounter": [
        {
            "encounter_id": "E1",
            "patient_id": "P1",
            "type_display": "Checkup",
            "start_date": ts("2021-02-28T23:30"),
        },
        {
            "encounter_id": "E2",
            "patient_id": "P1",
            "type_display": None,
            "start_date": ts("2021-03-01T00:30"),
        },
        {
            "encounter_id": "E3",
            "patient_id": "P2",
            "type_display": "Visit",
            "start_date": ts("2020-06-15T23:59"),
        },
        {"encounter_id": "E4", "patient_id": "P2", "type_display": "Visit", "start_date": None},
        {
            "encounter_id": "E5",
            "patient_id": "P3",
            "type_display": "Visit",
            "start_date": ts("2020-01-01T00:00"),
        },
        {
            "encounter_id": "E6",
            "patient_id": "P9",
            "type_display": "Orphan",
            "start_date": ts("2020-01-01T00:00"),
        },
        {
            "encounter_id": "E7",
            "patient_id": "P1",
            "type_display": "Leap",
            "start_date": ts("2024-02-29T12:00"),
        },
        {
            "encounter_id": "é-ü-中",
            "patient_id": "P1",
            "type_display": "Ünïcode",
            "start_date": ts("2022-01-01T00:00"),
        },
    ],
    "condition": [
        {
            "condition_id": "C1",
            "patient_id": "P1",
            "display": "Asthma",
            "onset_date": ts("2021-02-28T23:00"),
            "abatement_date": ts("2021-03-01T01:00"),
        },
        {
            "condition_id": "C2",
            "patient_id": "P1",
            "display": "Diabetes",
            "onset_date": None,
            "abatement_date": None,
        },
        {"condition_id": "C3", "patient_id": "P1", "display": "Asthma", "onset_date": ts("2019-01-01T00:00")},
        {"condition_id": "C4", "patient_id": "P2", "display": None, "onset_date": None},
        {"condition_id": "C5", "patient_id": "P2", "display": "Flu", "onset_date": ts("2020-06-16T00:00")},
        {
            "condition_id": "C6",
            "patient_id": "P2",
            "display": "Zoster",
            "onset_date": None,
            "abatement_date": ts("2020-06-15T10:00"),
        },
    ],
    "medication_request": [
        {
            "medication_request_id": "M1",
            "patient_id": "P1",
            "display": "Insulin",
            "status": "active",
            "authored_on": ts("2021-03-01T00:10"),
        },
        {
            "medication_request_id": "M2",
            "patient_id": "P1",
            "display": "Metformin",
            "status": "active",
            "authored_on": ts("2022-01-01T00:00"),
        },
        {
            "medication_request_id": "M3",
            "patient_id": "P1",
            "display": "Metformin",
            "status": "active",
            "authored_on": ts("2019-01-01T00:00"),
        },
        {
            "medication_request_id": "M4",
            "patient_id": "P1",
            "display": "Aspirin",
            "status": "stopped",
            "authored_on": ts("2019-01-01T00:00"),
        },
        {
            "medication_request_id": "M5",
            "patient_id": "P1",
            "display": "Statin",
            "status": "active",
            "authored_on": None,
        },
    ],
    "observation": [
        {
            "observation_id": "O1",
            "encounter_id": "E1",
            "code": "8867-4",
            "value": 70.0,
            "effective_date": ts("2021-02-28T23:30"),
        },
        {
            "observation_id": "O2",
            "encounter_id": "E1",
            "code": "8867-4",
            "value": 80.0,
            "effective_date": ts("2021-02-28T23:30"),
        },
        {
            "observation_id": "O3",
            "encounter_id": "E1",
            "code": "8867-4",
            "value": None,
            "effective_date": ts("2021-02-28T23:59"),
        },
        {
            "observation_id": "O4",
            "encounter_id": "E1",
            "code": "8310-5",
            "value": 37.0,
            "effective_date": None,
        },
        {
            "observation_id": "O5",
            "encounter_id": "E1",
            "code": "8310-5",
            "value": 36.5,
            "effective_date": ts("2021-02-28T20:00"),
        },
        {
            "observation_id": "O6",
            "encounter_id": "E1",
            "code": "85354-9",
            "components_json": bp(("8480-6", 120.0), ("8462-4", 80.0)),
            "effective_date": ts("2021-02-28T23:30"),
        },
        {
            "observation_id": "O7",
            "encounter_id": "E1",
            "code": "85354-9",
            "components_json": bp(("8480-6", 130.0), ("8462-4", None)),
            "effective_date": ts("2021-02-28T23:31"),
        },
        {
            "observation_id": "O8",
            "encounter_id": "E1",
            "code": "59408-5",
            "value": 98.0,
            "effective_date": None,
        },
        {
            "observation_id": "O9",
            "encounter_id": "E1",
            "code": "2345-7",
            "display": "Glucose",
            "category": "laboratory",
            "value": 5.5,
            "unit": None,
        },
        {
            "observation_id": "O10",
            "encounter_id": "E1",
            "code": "2345-7",
            "display": "Glucose",
            "category": "laboratory",
            "value": 5.5,
            "unit": None,
        },
        {
            "observation_id": "O11",
            "encounter_id": "E1",
            "code": "1751-7",
            "display": "Albumin",
            "category": "laboratory",
            "value": 4.0,
            "unit": "g/dL",
        },
        {
            "observation_id": "O12",
            "encounter_id": "E1",
            "code": "x",
            "display": None,
            "category": "laboratory",
            "value": 1.0,
            "unit": "x",
        },
        {
            "observation_id": "O13",
            "encounter_id": "E1",
            "code": "2345-7",
            "display": "Glucose",
            "category": "laboratory",
            "value": 4.0,
            "unit": "mmol/L",
        },
        {"observation_id": "O14", "encounter_id": None, "code": "8867-4", "value": 99.0},
        {
            "observation_id": "O15",
            "encounter_id": "E2",
            "code": "2708-6",
            "value": 97.0,
            "effective_date": ts("2021-03-01T00:30"),
        },
    ],
    "procedure": [
        {"procedure_id": "R1", "encounter_id": "E1", "display": "Biopsy"},
        {"procedure_id": "R2", "encounter_id": "E1", "display": "Appendectomy"},
        {"procedure_id": "R3", "encounter_id": "E1", "display": "Biopsy"},
        {"procedure_id": "R4", "encounter_id": "E1", "display": None},
    ],
    "soap_note": [
        {"note_id": "N1", "encounter_id": "E1", "note_date": None, "note_text": "undated"},
        {"note_id": "N2", "encounter_id": "E1", "note_date": ts("2021-02-28T10:00"), "note_text": "dated"},
        {"note_id": "N3", "encounter_id": "E2", "note_date": ts("2021-03-01T00:30"), "note_text": "tie a"},
        {"note_id": "N4", "encounter_id": "E2", "note_date": ts("2021-03-01T00:30"), "note_text": "tie b"},
    ],
    "ecg_metadata": [
        {"ecg_id": "G1", "encounter_id": "E1", "report_date": None, "conclusion": "old", "rhythm": None},
        {
            "ecg_id": "G2",
            "encounter_id": "E1",
            "report_date": ts("2021-02-28T23:00"),
            "conclusion": "Sinus",
            "rhythm": "Sinus rhythm",
        },
    ],
    "imaging_study": [
        {
            "study_id": "S1",
            "encounter_id": "E2",
            "started_date": ts("2021-03-01T00:30"),
            "modality": "MR",
            "body_site_display": "Brain",
            "study_description": None,
            "study_date": day("2021-03-01"),
            "series_count": 2,
            "dicom_binary_id": "1.2.840.1",
        },
        {"study_id": "S0", "encounter_id": "E2", "started_date": None, "modality": "CT"},
    ],
    "genomic_report": [
        {"report_id": "X1", "encounter_id": "E3", "report_date": None, "result_summary": "older"},
        {
            "report_id": "X2",
            "encounter_id": "E3",
            "report_date": ts("2020-06-15T23:00"),
            "result_summary": "No pathogenic variants detected",
        },
    ],
}


def _arrow(table: str) -> pa.Table:
    rows = [{"source_file": "b.json", "ingest_timestamp": CREATED, **r} for r in SILVER_ROWS.get(table, [])]
    for r in rows:
        if table in {
            "condition",
            "medication_request",
            "procedure",
            "soap_note",
            "ecg_metadata",
            "imaging_study",
            "genomic_report",
            "observation",
        }:
            r.setdefault("patient_id", "P1")
    if table == "genomic_report":
        for r in rows:
            r["data_limitation"] = GENOMIC_DATA_LIMITATION
    if table == "soap_note":
        for r in rows:
            r.setdefault("encounter_id", "E1")
    return pa.Table.from_pylist(rows, schema=SILVER[table].arrow_schema())


@pytest.fixture(scope="module")
def frames(spark: SparkSession) -> tuple[pl.DataFrame, DataFrame]:
    arrow = {t.name: _arrow(t.name) for t in SILVER_TABLES}
    local = build_gold(
        {k: pl.DataFrame(v) for k, v in arrow.items()}, silver_versions=VERSIONS, created=CREATED
    )
    silver = {k: spark.createDataFrame(v) for k, v in arrow.items()}
    return pl.DataFrame(local), spark_gold.gold_frame(silver, silver_versions=VERSIONS, created=CREATED)


def test_spark_gold_equals_local_gold_at_the_edges(frames: tuple[pl.DataFrame, DataFrame]) -> None:
    local, spark_frame = frames
    spark = pl.from_arrow(spark_frame.toArrow())
    assert isinstance(spark, pl.DataFrame)
    assert spark.height == len(SILVER_ROWS["encounter"])
    assert_frame_equal(local.sort("encounter_id"), spark.sort("encounter_id"), check_dtypes=True)
    e1 = spark.filter(pl.col("encounter_id") == "E1").row(0, named=True)
    assert e1["patient_age"] == 40 and e1["active_conditions"] == ["Asthma", "Diabetes"]
    assert e1["recent_vitals"] == {
        "heart_rate": 80.0,
        "bp_systolic": 130.0,
        "bp_diastolic": 80.0,
        "temperature": 36.5,
        "o2_saturation": 98.0,
    }
    assert [lab["name"] for lab in e1["recent_labs"]] == ["Albumin", "Glucose", "Glucose", None]


def test_summary_id_in_sql_is_uuid5(frames: tuple[pl.DataFrame, DataFrame]) -> None:
    spark = pl.from_arrow(frames[1].select("encounter_id", "summary_id").toArrow())
    assert isinstance(spark, pl.DataFrame)
    assert spark.get_column("summary_id").to_list() == summary_ids(spark.get_column("encounter_id").to_list())


def test_corpus_stats_equal(frames: tuple[pl.DataFrame, DataFrame]) -> None:
    local, spark_frame = frames
    assert spark_gold.corpus_stats(spark_frame) == corpus_stats(local.to_arrow())
