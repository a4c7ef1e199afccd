"""Rebuild gold.encounter_summary in Spark when Silver moved, MERGE only changed rows (deleting
encounters gone from Silver), and write the corpus manifest beside it (engine "spark")."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
import uuid
from typing import TYPE_CHECKING

from scribe_lakehouse.corpus_manifest import CorpusManifest, SilverSource
from scribe_lakehouse.outcomes import GoldResult
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER_TABLES
from scribe_lakehouse.spark import delta
from scribe_lakehouse.spark.gold import corpus_stats, gold_frame
from scribe_lakehouse.spark.paths import SparkRoot
from scribe_lakehouse.spark.schemas import table_schema

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


def silver_versions(root: SparkRoot) -> dict[str, int]:
    return {s.name: delta.version(root.table(s).path) or 0 for s in SILVER_TABLES}


def build_gold_step(spark: SparkSession, root: SparkRoot, *, cdf: bool, force: bool = False) -> GoldResult:
    """Build Gold from the current Silver tables unless they have not moved since the last build."""
    gold = root.table(GOLD_ENCOUNTER_SUMMARY)
    manifest_path = root.lakehouse.corpus_manifest
    versions = silver_versions(root)
    previous = CorpusManifest.read(manifest_path)
    if not force and previous is not None and previous.versions() == versions and delta.exists(gold):
        log.info("Silver unchanged since the last Gold build: nothing to do")
        return GoldResult(False, previous.row_count, 0, 0, 0, delta.version(gold.path), previous.corpus_stats)
    silver = {s.name: delta.read(spark, root.table(s)) for s in SILVER_TABLES}
    created = dt.datetime.now(dt.UTC)
    scratch = root.staging(f"gold-{uuid.uuid4().hex[:12]}")
    schema = table_schema(GOLD_ENCOUNTER_SUMMARY)
    try:
        frame = gold_frame(silver, silver_versions=versions, created=created)
        frame.write.mode("overwrite").parquet(scratch.child("built").uri)
        built = delta.read_scratch(spark, scratch.child("built"), schema)
        rows = built.count()
        delta.ensure_table(spark, gold, schema, cdf=cdf)
        stats = delta.merge_changed(
            spark,
            gold,
            built,
            key="summary_id",
            source_rows=rows,
            scratch=scratch.child("changed"),
            compare_exclude=("created_timestamp", "silver_versions"),
            delete_missing=True,
        )
        corpus = corpus_stats(built)
    finally:
        shutil.rmtree(scratch.path, ignore_errors=True)
        with contextlib.suppress(OSError):  # the staging folder itself, once empty
            scratch.path.parent.rmdir()
    counts = {s.name: silver[s.name].count() for s in SILVER_TABLES}
    CorpusManifest(
        engine="spark",
        created_timestamp=created.isoformat(timespec="seconds"),
        row_count=rows,
        corpus_stats=corpus,
        silver_sources=tuple(SilverSource(s.name, counts[s.name], versions[s.name]) for s in SILVER_TABLES),
    ).write(manifest_path)
    log.info(
        "Gold: %d rows (%d inserted, %d updated, %d deleted)",
        rows,
        stats.inserted,
        stats.updated,
        stats.deleted,
    )
    return GoldResult(
        changed=stats.version is not None,
        row_count=rows,
        inserted=stats.inserted,
        updated=stats.updated,
        deleted=stats.deleted,
        version=delta.version(gold.path),
        stats=corpus,
    )
