"""Rebuild gold.encounter_summary from Silver when Silver moved, MERGE only changed rows, write the
corpus manifest."""

from __future__ import annotations

import datetime as dt
import logging

from scribe_lakehouse.corpus_manifest import CorpusManifest, SilverSource
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.local.gold import SILVER_COLUMNS, build_gold, corpus_stats
from scribe_lakehouse.outcomes import GoldResult
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER_TABLES
from scribe_lakehouse.storage import delta

log = logging.getLogger(__name__)


def build_gold_step(lh: Lakehouse, *, force: bool = False) -> GoldResult:
    uri = lh.uri(GOLD_ENCOUNTER_SUMMARY)
    versions = {s.name: delta.version(lh.uri(s)) or 0 for s in SILVER_TABLES}
    previous = CorpusManifest.read(lh.corpus_manifest)
    if not force and previous is not None and previous.versions() == versions and delta.exists(uri):
        log.info("Silver unchanged since the last Gold build: nothing to do")
        return GoldResult(False, previous.row_count, 0, 0, 0, delta.version(uri), previous.corpus_stats)
    # Lazy scans pinned to the versions recorded: only the columns the Gold rules read are loaded, and
    # Polars reads the Parquet itself (half the peak memory of going through pyarrow tables).
    frames = {
        s.name: delta.scan(lh.uri(s), version=versions[s.name]).select(SILVER_COLUMNS[s.name])
        for s in SILVER_TABLES
    }
    created = dt.datetime.now(dt.UTC)
    table = build_gold(frames, silver_versions=versions, created=created)
    delta.ensure_table(uri, GOLD_ENCOUNTER_SUMMARY.arrow_schema())
    stats = delta.merge_changed(
        uri,
        table,
        key="summary_id",
        compare_exclude=("created_timestamp", "silver_versions"),
        delete_missing=True,
    )
    corpus = corpus_stats(table)
    CorpusManifest(
        engine="local",
        created_timestamp=created.isoformat(timespec="seconds"),
        row_count=table.num_rows,
        corpus_stats=corpus,
        silver_sources=tuple(
            SilverSource(s.name, delta.row_count(lh.uri(s), version=versions[s.name]), versions[s.name])
            for s in SILVER_TABLES
        ),
    ).write(lh.corpus_manifest)
    log.info(
        "Gold: %d rows (%d inserted, %d updated, %d deleted)",
        table.num_rows,
        stats.inserted,
        stats.updated,
        stats.deleted,
    )
    return GoldResult(
        changed=stats.version is not None,
        row_count=table.num_rows,
        inserted=stats.inserted,
        updated=stats.updated,
        deleted=stats.deleted,
        version=delta.version(uri),
        stats=corpus,
    )
