"""Row-for-row parity on the real Synthea R4 bundles in ../shared/data/synthea_r4 (skipped when absent):
all three folders landed into one lakehouse per engine, then compared table by table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from frames import assert_same_table, manifest_body, table_frame, versions
from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.local import pipeline as local
from scribe_lakehouse.registry import (
    GOLD_ENCOUNTER_SUMMARY,
    INGEST_LOG,
    PROCESSED_FILES,
    QUARANTINE,
    SILVER_TABLES,
    SYSTEM_TABLES,
)
from scribe_lakehouse.spark import pipeline as spark_engine

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

FOLDERS = ("ma_2025", "spezi", "synthea_fixture")
ENCOUNTERS = 1350 + 130 + 37  # from the data folder's README


@pytest.fixture(scope="module")
def roots(
    real_data: Path, tmp_path_factory: pytest.TempPathFactory, spark: SparkSession
) -> tuple[Path, Path]:
    data = real_data
    base = tmp_path_factory.mktemp("real_parity")
    pair = (base / "local", base / "spark")
    for root in pair:
        for folder in FOLDERS:
            land(data / folder, root)
    local.run(pair[0])
    spark_engine.run(spark_engine.SparkEngine.on(spark, pair[1]))
    return pair


@pytest.mark.parametrize(
    "spec",
    [*SILVER_TABLES, QUARANTINE, PROCESSED_FILES, INGEST_LOG, GOLD_ENCOUNTER_SUMMARY],
    ids=lambda s: s.name,
)
def test_tables_equal(roots: tuple[Path, Path], spec: object) -> None:
    assert_same_table(*roots, spec)  # type: ignore[arg-type]


def test_gold_rows_manifest_and_versions(roots: tuple[Path, Path]) -> None:
    assert table_frame(roots[1], GOLD_ENCOUNTER_SUMMARY).height == ENCOUNTERS
    assert manifest_body(roots[0]) == manifest_body(roots[1])
    specs = (*SILVER_TABLES, *SYSTEM_TABLES, GOLD_ENCOUNTER_SUMMARY)
    assert versions(roots[0], specs) == versions(roots[1], specs)
