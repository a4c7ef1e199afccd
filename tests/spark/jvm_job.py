"""Run the Spark engine's Silver and Gold transforms on JVM pyspark (classic, local mode) into Parquet.

Used by test_jvm_parquet.py in a subprocess (a classic JVM session and the Spark Connect client are kept
in separate processes). JVM Spark here cannot load Delta (no Maven access), so the sink is Parquet:
    python jvm_job.py ROOT OUT VERSIONS_JSON CREATED_ISO
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from scribe_lakehouse.bronze.landing import Manifest
from scribe_lakehouse.registry import ALL_TABLES, SILVER_TABLES
from scribe_lakehouse.spark import silver
from scribe_lakehouse.spark.gold import gold_frame
from scribe_lakehouse.spark.paths import SparkRoot
from scribe_lakehouse.spark.schemas import ddl, table_schema
from scribe_lakehouse.spark.session import prepare


def main(root: Path, out: Path, versions: dict[str, int], created: dt.datetime) -> None:
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("scribe-lakehouse-jvm-parity")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    prepare(spark)
    # the column DDL the engine uses for CREATE TABLE … TBLPROPERTIES (CDF) on Delta Spark parses on
    # classic Spark and gives back the registry's schema (checked on Parquet: no Delta jars here)
    ddl_ok = True
    for spec in ALL_TABLES:
        location = out / "ddl" / spec.name
        spark.sql(
            f"CREATE TABLE ddl_{spec.name} ({ddl(table_schema(spec))}) USING parquet LOCATION '{location}'"
        )
        made = spark.table(f"ddl_{spec.name}").schema
        ddl_ok &= [(f.name, f.dataType) for f in made] == [(f.name, f.dataType) for f in table_schema(spec)]
    spark_root = SparkRoot.on_disk(root)
    manifest = Manifest.load(root)
    files = manifest.fhir()
    batch = silver.stage(spark, spark_root, manifest, files)
    rows = silver.stage_rows(spark, batch)
    for spec in SILVER_TABLES:
        table = silver.deduplicated(silver.table_rows(rows, spec), spec)
        table.write.mode("overwrite").parquet(str(out / "silver" / spec.name))
    frames = {s.name: spark.read.parquet(str(out / "silver" / s.name)) for s in SILVER_TABLES}
    gold = gold_frame(frames, silver_versions=versions, created=created)
    gold.write.mode("overwrite").parquet(str(out / "gold"))
    silver.clear_staging(spark_root)
    print(
        json.dumps(
            {
                "spark_version": spark.version,
                "files": len(files),
                "master": spark.sparkContext.master,
                "ddl_ok": ddl_ok,
            }
        )
    )
    spark.stop()


if __name__ == "__main__":
    main(
        Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3]), dt.datetime.fromisoformat(sys.argv[4])
    )
