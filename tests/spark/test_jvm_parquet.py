"""Classic-Spark compatibility: the Spark engine's Silver and Gold transforms run on JVM pyspark in local
mode (a subprocess) into Parquet, and equal the local engine's Delta tables on the same Bronze."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from frames import table_frame, versions
from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.local import pipeline as local
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER_TABLES

pytestmark = [pytest.mark.spark, pytest.mark.slow]

JOB = Path(__file__).with_name("jvm_job.py")


def _parquet(folder: Path, like: pl.DataFrame, key: str) -> pl.DataFrame:
    frame = pl.read_parquet(folder / "*.parquet")
    return frame.select(like.columns).sort(key)


@pytest.mark.skipif(shutil.which("java") is None, reason="JVM pyspark needs java on PATH")
def test_jvm_spark_silver_and_gold_into_parquet_equal_local(small_source: Path, tmp_path: Path) -> None:
    spark_root, local_root, out = tmp_path / "bronze_only", tmp_path / "local", tmp_path / "out"
    for root in (spark_root, local_root):
        land(small_source, root, kinds=["fhir", "dicom"])
    local.run(local_root)
    silver_versions = versions(local_root, SILVER_TABLES)
    created = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED")}
    env |= {"PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    done = subprocess.run(
        [
            sys.executable,
            str(JOB),
            str(spark_root),
            str(out),
            json.dumps(silver_versions),
            created.isoformat(),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    info = json.loads(done.stdout.strip().splitlines()[-1])
    assert info["master"] == "local[2]" and info["spark_version"].startswith("4.")
    assert info["ddl_ok"], "CREATE TABLE with the engine's column DDL did not give the registry schema"
    for spec in SILVER_TABLES:
        expected = table_frame(local_root, spec)
        got = _parquet(out / "silver" / spec.name, expected, spec.column_names[0])
        assert_frame_equal(expected, got, check_dtypes=True)
    expected_gold = table_frame(local_root, GOLD_ENCOUNTER_SUMMARY)
    got_gold = _parquet(out / "gold", expected_gold, "summary_id")
    assert got_gold.height > 0
    assert_frame_equal(expected_gold, got_gold, check_dtypes=True)
