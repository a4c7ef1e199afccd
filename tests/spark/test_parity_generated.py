"""Row-for-row parity: a generated Coherent-shaped corpus (60 patients with imaging + DICOM, genomic and
ECG reports, plus bad files and bad resources) through the local engine and the Spark engine (Sail)
gives equal Silver, system tables, Gold, corpus manifest and Delta versions (run times aside)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from builders import bundle, encounter, note, patient, write
from frames import assert_same_table, manifest_body, table_frame, versions
from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.local import pipeline as local
from scribe_lakehouse.outcomes import RunSummary
from scribe_lakehouse.registry import (
    GOLD_ENCOUNTER_SUMMARY,
    INGEST_LOG,
    PROCESSED_FILES,
    QUARANTINE,
    SILVER,
    SILVER_TABLES,
    SYSTEM_TABLES,
)
from scribe_lakehouse.spark import pipeline as spark_engine
from scribe_lakehouse.synth import generate

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

ALL_TABLES = (*SILVER_TABLES, *SYSTEM_TABLES, GOLD_ENCOUNTER_SUMMARY)


def _problem_files(fhir: Path) -> None:
    """Files and resources that must be quarantined the same way by both engines."""
    write(fhir, "Zz1_Broken2_0001.json", '{"resourceType": "Bundle", "entry": [')
    write(fhir, "Zz1_Single2_0002.json", patient("zz-single"))
    bad = bundle(
        patient("zz-p1"),
        encounter("zz-e1", "zz-p1", "2020-01-01T23:30:00-05:00"),
        note("zz-n1", "zz-p1", "zz-e1", "2020-01-01T23:30:00-05:00", data="@@@not base64@@@"),
    )
    orphan = note("zz-n2", "zz-p1", "zz-e1", "2020-01-02T10:00:00Z")
    orphan.pop("context")  # a note without an encounter: its required column is empty
    bad["entry"].append({"fullUrl": "urn:uuid:zz-n2", "resource": orphan})
    write(fhir, "Zz1_BadResources2_0003.json", bad)


@dataclass(frozen=True)
class Pair:
    local: Path
    spark: Path
    local_summary: RunSummary
    spark_summary: RunSummary


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate(out, patients=60, seed=0, dicom=True, scale=0.25)
    _problem_files(out / "fhir")
    return out


def _land_and_run(source: Path, local_root: Path, spark_root: Path, spark: SparkSession) -> Pair:
    for root in (local_root, spark_root):
        land(source, root, kinds=["fhir", "dicom"])
    local_summary = local.run(local_root)
    spark_summary = spark_engine.run(spark_engine.SparkEngine.on(spark, spark_root))
    return Pair(local_root, spark_root, local_summary, spark_summary)


@pytest.fixture(scope="module")
def pair(source: Path, tmp_path_factory: pytest.TempPathFactory, spark: SparkSession) -> Pair:
    base = tmp_path_factory.mktemp("parity")
    return _land_and_run(source, base / "local", base / "spark", spark)


def test_corpus_covers_imaging_genomics_ecg_and_quarantine(pair: Pair) -> None:
    gold = table_frame(pair.local, GOLD_ENCOUNTER_SUMMARY)
    counts = {s.name: table_frame(pair.local, s).height for s in SILVER_TABLES}
    assert counts["patient"] >= 50
    assert counts["imaging_study"] > 0 and counts["genomic_report"] > 0 and counts["ecg_metadata"] > 0
    imaging = table_frame(pair.local, SILVER["imaging_study"])
    assert imaging.get_column("dicom_extracted").sum() > 0
    assert gold.height == counts["encounter"]
    assert pair.local_summary.quarantined >= 4 and pair.spark_summary.engine == "spark"


@pytest.mark.parametrize("table", [t.name for t in SILVER_TABLES])
def test_silver_tables_equal(pair: Pair, table: str) -> None:
    assert_same_table(pair.local, pair.spark, SILVER[table])


@pytest.mark.parametrize("spec", [QUARANTINE, PROCESSED_FILES, INGEST_LOG], ids=lambda s: s.name)
def test_system_tables_equal(pair: Pair, spec: object) -> None:
    assert_same_table(pair.local, pair.spark, spec)  # type: ignore[arg-type]


def test_gold_and_manifest_equal(pair: Pair) -> None:
    assert_same_table(pair.local, pair.spark, GOLD_ENCOUNTER_SUMMARY)
    assert manifest_body(pair.local) == manifest_body(pair.spark)
    manifest = json.loads((pair.spark / "gold/_metadata/corpus_manifest.json").read_text("utf-8"))
    assert manifest["engine"] == "spark"


def test_same_delta_versions_and_run_counts(pair: Pair) -> None:
    assert versions(pair.local, ALL_TABLES) == versions(pair.spark, ALL_TABLES)
    assert pair.local_summary.tables == pair.spark_summary.tables
    assert all(t.reconciles for t in pair.spark_summary.tables)
    assert pair.local_summary.quarantined == pair.spark_summary.quarantined
    assert [v.checks for v in pair.local_summary.validation] == [
        v.checks for v in pair.spark_summary.validation
    ]


def test_rerun_over_unchanged_bronze_writes_nothing(pair: Pair, spark: SparkSession) -> None:
    before = versions(pair.spark, ALL_TABLES)
    eng = spark_engine.SparkEngine.on(spark, pair.spark)
    again = spark_engine.run(eng)
    assert again.nothing_to_do and again.gold is not None and not again.gold.changed
    forced = spark_engine.gold(eng, force=True)
    assert not forced.changed and forced.row_count == pair.spark_summary.gold.row_count  # type: ignore[union-attr]
    assert versions(pair.spark, ALL_TABLES) == before
    assert not (pair.spark / "_spark_staging").exists()


def test_relanded_file_and_duplicate_update_the_same_rows(
    pair: Pair, source: Path, tmp_path: Path, spark: SparkSession
) -> None:
    """A bundle re-landed with new content, and a copy of another under a new name (its keys collapse
    and update), through both engines on copies of the two lakehouses."""
    changed = tmp_path / "changed"
    fhir = sorted((source / "fhir").glob("*.json"))
    patient_files = [p for p in fhir if not p.name.startswith(("organizations", "practitioners", "Zz1"))]
    (changed / "fhir").mkdir(parents=True)
    first = json.loads(patient_files[0].read_bytes())
    for entry in first["entry"]:
        if entry["resource"]["resourceType"] == "Encounter":
            entry["resource"]["type"][0]["coding"][0]["display"] = "Re-landed encounter type"
    (changed / "fhir" / patient_files[0].name).write_bytes(json.dumps(first).encode())
    shutil.copy(patient_files[1], changed / "fhir" / f"Copy1_{patient_files[1].name}")
    roots = {name: tmp_path / name for name in ("local", "spark")}
    shutil.copytree(pair.local, roots["local"])
    shutil.copytree(pair.spark, roots["spark"])
    for root in roots.values():
        land(changed, root)
    local_summary = local.run(roots["local"])
    spark_summary = spark_engine.run(spark_engine.SparkEngine.on(spark, roots["spark"]))
    encounters = next(t for t in spark_summary.tables if t.table == "encounter")
    assert encounters.updated > 0 and local_summary.tables == spark_summary.tables
    for spec in (*SILVER_TABLES, QUARANTINE, PROCESSED_FILES, GOLD_ENCOUNTER_SUMMARY):
        assert_same_table(roots["local"], roots["spark"], spec)
    assert versions(roots["local"], ALL_TABLES) == versions(roots["spark"], ALL_TABLES)
    gold = table_frame(roots["spark"], GOLD_ENCOUNTER_SUMMARY)
    assert gold.filter(gold["encounter_type"] == "Re-landed encounter type").height > 0
