"""Bronze → Silver on Spark, in three steps the CLI runs back to back and Fabric notebooks 02-07 run one
by one:

1. `stage`: read the pending Bronze bundles as whole files (binaryFile), parse them on the executors
   with the one parser (`mapInArrow`, one parse → all 10 tables + quarantine + seen counts) and write
   the result once to a Parquet scratch folder (`_spark_staging/<run_id>/`, partitioned by kind and
   cohort), with a small `batch.json` describing the batch.
2. `merge_tables`: per table and cohort, collapse duplicate keys to the last occurrence and MERGE only
   new or changed rows into the Silver Delta table (spark.delta.merge_changed).
3. `finalize`: MERGE the quarantine rows, then mark the files processed (last, so an interrupted batch
   is parsed again by the next run and converges).

Counts per table are written beside the stage (`stats/*.json`) so validation can reconcile them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scribe_lakehouse import batches
from scribe_lakehouse.batches import SOURCE_COLUMN, Precedence
from scribe_lakehouse.bronze import dicom_headers
from scribe_lakehouse.bronze.landing import Manifest, ManifestEntry
from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.fhir.model import DicomHeader
from scribe_lakehouse.outcomes import Totals
from scribe_lakehouse.registry import (
    INGEST_LOG,
    PROCESSED_FILES,
    QUARANTINE,
    SILVER_TABLES,
    SYSTEM_TABLES,
    TableSpec,
    silver_table,
)
from scribe_lakehouse.rows import processed_rows
from scribe_lakehouse.spark import delta
from scribe_lakehouse.spark.parse_stage import ParseJob, cohort_key, parse_function
from scribe_lakehouse.spark.paths import STAGING, Location, SparkRoot
from scribe_lakehouse.spark.schemas import (
    COHORT,
    FILE_INDEX,
    KIND,
    QUARANTINE_KIND,
    QUARANTINE_TABLE,
    ROW_INDEX,
    SEEN_KIND,
    spark_schema,
    stage_arrow_schema,
    table_schema,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

BATCH_FILE = "batch.json"
STATS_DIR = "stats"


def ensure_tables(spark: SparkSession, root: SparkRoot, *, cdf: bool) -> None:
    for spec in SILVER_TABLES + SYSTEM_TABLES:
        delta.ensure_table(spark, root.table(spec), table_schema(spec), cdf=cdf)


def pending_files(
    spark: SparkSession, root: SparkRoot, manifest: Manifest, cohorts: Sequence[str] | None
) -> list[ManifestEntry]:
    """The current version of each FHIR file whose exact bytes have not been parsed into Silver yet
    (`batches.pending`, the rule both engines apply)."""
    done = delta.read(spark, root.table(PROCESSED_FILES)).select("bronze_path", "sha256").collect()
    parsed = {(r["bronze_path"], r["sha256"]) for r in done}
    return batches.pending(manifest, parsed, cohorts)


def last_parse_unvalidated(spark: SparkSession, root: SparkRoot) -> bool:
    """Silver written after the last validation recorded in ingest_log (`batches.parse_unvalidated`)."""
    from pyspark.sql import functions as F

    def latest(spec: TableSpec) -> dt.datetime | None:
        row = delta.read(spark, root.table(spec)).agg(F.max("ingest_timestamp").alias("t")).collect()[0]
        return row["t"]  # type: ignore[no-any-return]

    return batches.parse_unvalidated(latest(PROCESSED_FILES), latest(INGEST_LOG))


def dicom_index(root: SparkRoot, manifest: Manifest) -> dict[str, DicomHeader]:
    """Headers of the DICOM files in the manifest, from the landing's header cache (a missing or stale
    entry read from its file on the driver); shipped with the parse job."""
    return dicom_headers.load_index(root.local, manifest)


# --- the staged batch ---


@dataclass(frozen=True)
class StagedBatch:
    """A parsed batch waiting in the scratch folder; `files` are in order (index = file_idx)."""

    run_id: str
    now: dt.datetime
    files: tuple[ManifestEntry, ...]
    location: Location
    ranks: Mapping[str, int] = field(default_factory=dict)  # batches.source_ranks at staging time

    @property
    def precedence(self) -> Precedence:
        """Which bundle's row wins a key carried by several (the Silver tables' duplicate rule)."""
        return Precedence(SOURCE_COLUMN, self.ranks)

    @property
    def cohorts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(cohort_key(e) for e in self.files))

    def save(self) -> None:
        body = {
            "run_id": self.run_id,
            "now": self.now.isoformat(),
            "uri": self.location.uri,
            "files": [asdict(e) for e in self.files],
            "ranks": dict(self.ranks),
        }
        (self.location.path / BATCH_FILE).write_text(json.dumps(body, indent=1) + "\n", "utf-8")

    @classmethod
    def load(cls, path: Path) -> StagedBatch:
        body = json.loads((path / BATCH_FILE).read_text("utf-8"))
        return cls(
            run_id=body["run_id"],
            now=dt.datetime.fromisoformat(body["now"]),
            files=tuple(ManifestEntry(**e) for e in body["files"]),
            location=Location(path, body["uri"]),
            ranks={str(k): int(v) for k, v in body.get("ranks", {}).items()},
        )

    def write_stats(self, name: str, counts: dict[str, dict[str, int]]) -> None:
        folder = self.location.path / STATS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.json").write_text(json.dumps(counts, sort_keys=True) + "\n", "utf-8")

    def totals(self) -> Totals:
        """The run's per-table counts, from the stats each step wrote."""
        totals = Totals()
        folder = self.location.path / STATS_DIR
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            for field_name, per_table in json.loads(path.read_text("utf-8")).items():
                if field_name == "quarantined":
                    totals.quarantined += int(per_table["all"])
                    continue
                target = getattr(totals, field_name)
                for table, n in per_table.items():
                    target[table] += int(n)
        return totals


def current_batch(root: SparkRoot) -> StagedBatch | None:
    """The staged batch waiting under the root, if a `stage` ran and its `finalize` has not."""
    folder = root.local / STAGING
    found = sorted(p for p in folder.glob("*") if (p / BATCH_FILE).is_file()) if folder.is_dir() else []
    return StagedBatch.load(found[-1]) if found else None


def clear_staging(root: SparkRoot) -> None:
    shutil.rmtree(root.local / STAGING, ignore_errors=True)


def stage(
    spark: SparkSession,
    root: SparkRoot,
    manifest: Manifest,
    files: Sequence[ManifestEntry],
    *,
    run_id: str | None = None,
    now: dt.datetime | None = None,
) -> StagedBatch:
    """Parse `files` (pending entries of `manifest`) on the executors into the scratch folder (one parse
    per bundle, all tables)."""
    clear_staging(root)
    run_id = run_id or uuid.uuid4().hex[:16]
    now = now or dt.datetime.now(dt.UTC)
    location = root.staging(run_id)
    location.path.mkdir(parents=True, exist_ok=True)
    batch = StagedBatch(run_id, now, tuple(files), location, batches.source_ranks(manifest))
    dicom = dicom_index(root, manifest)
    parsed = parse_frame(spark, root, batch.files, run_id=run_id, now=now, dicom=dicom)
    parsed.write.mode("overwrite").partitionBy(KIND, COHORT).parquet(location.child("rows").uri)
    batch.save()
    log.info("staged %d Bronze file(s) in %d cohort(s)", len(files), len(batch.cohorts))
    return batch


def parse_frame(
    spark: SparkSession,
    root: SparkRoot,
    files: Sequence[ManifestEntry],
    *,
    run_id: str,
    now: dt.datetime,
    dicom: dict[str, DicomHeader],
) -> DataFrame:
    """The stage rows of `files` (lazy): binaryFile → mapInArrow(parser).

    Empty (0-byte) files do not come through binaryFile on every engine (Sail 0.7.2 returns no row for
    them), so they are left out of the read (and filtered from it) and enter as driver-made (path, b"")
    rows: the parser then quarantines each as `empty_file` on every engine."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import BinaryType, StringType, StructField, StructType

    if not files:
        raise ConfigError("nothing to parse: no pending Bronze files")
    job = ParseJob(files=tuple(files), run_id=run_id, now=now, dicom=dicom)
    schema = StructType([StructField("path", StringType()), StructField("content", BinaryType())])
    empty = [(root.join(e.path), bytearray()) for e in files if e.bytes == 0]
    read = [root.join(e.path) for e in files if e.bytes > 0]
    raw = spark.createDataFrame(empty, schema)
    if read:
        whole = spark.read.format("binaryFile").load(read).where(F.col("length") > 0)
        raw = whole.select("path", "content").unionByName(raw)
    return raw.mapInArrow(parse_function(job), spark_schema(stage_arrow_schema()))


def stage_rows(spark: SparkSession, batch: StagedBatch) -> DataFrame:
    return delta.read_scratch(spark, batch.location.child("rows"), spark_schema(stage_arrow_schema()))


def deduplicated(rows: DataFrame, spec: TableSpec) -> DataFrame:
    """One row per key of a table's stage rows: the last occurrence (greatest file, then row index)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    key = spec.column_names[0]
    order = Window.partitionBy(F.col(key)).orderBy(F.col(FILE_INDEX).desc(), F.col(ROW_INDEX).desc())
    flat = rows.select(FILE_INDEX, ROW_INDEX, f"`{spec.name}`.*")
    ranked = flat.withColumn("__rn", F.row_number().over(order)).where(F.col("__rn") == 1)
    return ranked.select(*[F.col(f"`{f.name}`").cast(f.dataType) for f in table_schema(spec).fields])


def table_rows(rows: DataFrame, spec: TableSpec, cohort: str | None = None) -> DataFrame:
    from pyspark.sql import functions as F

    selected = rows.where(F.col(KIND) == spec.name)
    return selected.where(F.col(COHORT) == cohort) if cohort is not None else selected


def merge_tables(
    spark: SparkSession, root: SparkRoot, batch: StagedBatch, tables: Iterable[str] | None = None
) -> dict[str, dict[str, int]]:
    """MERGE the staged rows of `tables` (default all 10), cohort by cohort; returns and records the
    per-table counts (written, inserted, updated, duplicates). A row that loses to the table's row of
    its key (from a bundle landed later: `batch.precedence`) is not written and counts as a duplicate."""
    from pyspark.sql import functions as F

    specs = [silver_table(t) for t in tables] if tables is not None else list(SILVER_TABLES)
    rows = stage_rows(spark, batch)
    counts: dict[str, dict[str, int]] = {k: {} for k in ("written", "inserted", "updated", "duplicates")}
    for spec in specs:
        key = spec.column_names[0]
        for name in counts:
            counts[name][spec.name] = 0
        for cohort in batch.cohorts:
            selected = table_rows(rows, spec, cohort)
            # rows before de-duplication: one per (file, row) even if Sail parsed a file twice
            n = selected.agg(
                F.countDistinct(FILE_INDEX, ROW_INDEX).alias("n"),
                F.countDistinct(F.col(f"`{spec.name}`.`{key}`")).alias("keys"),
            ).collect()[0]
            total, keys = int(n["n"]), int(n["keys"])
            if total == 0:
                continue
            stats = delta.merge_changed(
                spark,
                root.table(spec),
                deduplicated(selected, spec),
                key=key,
                source_rows=keys,
                scratch=batch.location.child("changed"),
                compare_exclude=("ingest_timestamp",),
                precedence=batch.precedence,
            )
            counts["written"][spec.name] += keys - stats.superseded
            counts["duplicates"][spec.name] += total - keys + stats.superseded
            counts["inserted"][spec.name] += stats.inserted
            counts["updated"][spec.name] += stats.updated
        log.info("Silver %s: merged %d cohort(s)", spec.name, len(batch.cohorts))
    for spec in specs:
        batch.write_stats(spec.name, {k: {spec.name: v[spec.name]} for k, v in counts.items()})
    return counts


def finalize(spark: SparkSession, root: SparkRoot, batch: StagedBatch) -> int:
    """MERGE the batch's quarantine rows and mark its files processed (cohort by cohort); returns the
    number of quarantined files and resources. Records seen and quarantined counts per table."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    unmerged = [
        s.name for s in SILVER_TABLES if not (batch.location.path / STATS_DIR / f"{s.name}.json").is_file()
    ]
    if unmerged:
        raise ConfigError(
            f"Silver table(s) {', '.join(unmerged)} not merged from the staged batch yet: run their "
            "step first (no file was marked processed)"
        )
    rows = stage_rows(spark, batch)
    seen = (
        rows.where(F.col(KIND) == SEEN_KIND)
        .dropDuplicates([FILE_INDEX, ROW_INDEX])
        .groupBy(F.col(f"{SEEN_KIND}.table").alias("t"))
        .agg(F.sum(f"{SEEN_KIND}.count").alias("n"))
        .collect()
    )
    quarantined = rows.where(F.col(KIND) == QUARANTINE_KIND).dropDuplicates([FILE_INDEX, ROW_INDEX])
    per_table = (
        quarantined.groupBy(F.col(f"{QUARANTINE_KIND}.{QUARANTINE_TABLE}").alias("t"))
        .agg(F.count(F.lit(1)).alias("n"))
        .collect()
    )
    q_schema = table_schema(QUARANTINE)
    order = Window.partitionBy("quarantine_id").orderBy(F.col(FILE_INDEX).desc(), F.col(ROW_INDEX).desc())
    total_q = 0
    for cohort in batch.cohorts:
        files = [e for e in batch.files if cohort_key(e) == cohort]
        records = quarantined.where(F.col(COHORT) == cohort).select(
            FILE_INDEX, ROW_INDEX, f"{QUARANTINE_KIND}.*"
        )
        n = records.count()
        total_q += n
        if n:
            unique = (
                records.withColumn("__rn", F.row_number().over(order))
                .where(F.col("__rn") == 1)
                .select(*[F.col(f"`{f.name}`").cast(f.dataType) for f in q_schema.fields])
            )
            delta.merge_changed(
                spark,
                root.table(QUARANTINE),
                unique,
                key="quarantine_id",
                source_rows=n,
                scratch=batch.location.child("changed"),
                compare_exclude=("run_id", "ingest_timestamp"),
            )
        processed = spark.createDataFrame(
            _tuples(processed_rows(files, run_id=batch.run_id, now=batch.now), PROCESSED_FILES),
            table_schema(PROCESSED_FILES),
        )
        delta.merge_changed(
            spark,
            root.table(PROCESSED_FILES),
            processed,
            key="bronze_path",
            source_rows=len(files),
            scratch=batch.location.child("changed"),
            compare_exclude=("run_id", "ingest_timestamp"),
        )
        log.info("cohort %s: %d file(s) marked processed", cohort, len(files))
    batch.write_stats(
        "_finalize",
        {
            "seen": {str(r["t"]): int(r["n"]) for r in seen},
            "quarantined_by_table": {str(r["t"]): int(r["n"]) for r in per_table if r["t"] is not None},
            "quarantined": {"all": total_q},
        },
    )
    return total_q


def _tuples(rows: Sequence[dict[str, object]], spec: TableSpec) -> list[tuple[object, ...]]:
    """Rows as tuples in the registry's column order (createDataFrame on Spark 3.5 and Connect)."""
    return [tuple(r[c] for c in spec.column_names) for r in rows]
