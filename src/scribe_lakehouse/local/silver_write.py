"""Write one parsed batch into Silver: guard required columns, de-duplicate, MERGE, quarantine, log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pyarrow as pa

from scribe_lakehouse.bronze.landing import ManifestEntry
from scribe_lakehouse.fhir.model import ParseResult, QuarantineRecord
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.outcomes import TableRunStats, Totals
from scribe_lakehouse.registry import INGEST_LOG, PROCESSED_FILES, QUARANTINE, SILVER_TABLES
from scribe_lakehouse.rows import (
    dedupe_last,
    processed_rows,
    quarantine_id,
    quarantine_rows,
    split_required,
    to_arrow,
)
from scribe_lakehouse.storage import delta
from scribe_lakehouse.validation import TableValidation, ingest_log_rows, reconciliation_check

# re-exported: these shapes and rules moved to engine-free modules shared with the Spark engine
__all__ = [
    "TableRunStats",
    "Totals",
    "append_ingest_log",
    "quarantine_id",
    "reconciliation_check",
    "split_required",
    "write_batch",
]


def _quarantine_table(
    records: Sequence[tuple[str, QuarantineRecord]], *, run_id: str, now: dt.datetime
) -> pa.Table:
    return pa.Table.from_pylist(
        quarantine_rows(records, run_id=run_id, now=now), schema=QUARANTINE.arrow_schema()
    )


def write_batch(
    lh: Lakehouse,
    parsed: ParseResult,
    quarantine_paths: Sequence[str],
    files: Sequence[ManifestEntry],
    *,
    run_id: str,
    now: dt.datetime,
    totals: Totals,
    ranks: Mapping[str, int] | None = None,
) -> None:
    """One MERGE per Silver table, then quarantine, then the processed-file marks (last, so an
    interrupted batch is simply parsed again by the next run).

    `files` come in manifest order and `ranks` gives each bundle name the manifest position of its latest
    version: a key carried by several bundles keeps the row of the highest-ranked one (within a bundle,
    the last occurrence), whichever batch or run merges first. Rows that lose count as duplicates."""
    path_of = {e.name: e.path for e in files}
    precedence = delta.Precedence("source_file", ranks if ranks is not None else {})
    records = list(zip(quarantine_paths, parsed.quarantine, strict=True))
    for spec in SILVER_TABLES:
        good, bad = split_required(spec, parsed.rows[spec.name])
        records.extend((path_of.get(r.source_file, r.source_file), r) for r in bad)
        rows, dupes = dedupe_last(good, spec.column_names[0])
        table = to_arrow(spec, rows, ingest_timestamp=now)
        stats = delta.merge_changed(
            lh.uri(spec),
            table,
            key=spec.column_names[0],
            compare_exclude=("ingest_timestamp",),
            precedence=precedence,
        )
        totals.seen[spec.name] += parsed.seen[spec.name]
        totals.written[spec.name] += len(rows) - stats.superseded
        totals.inserted[spec.name] += stats.inserted
        totals.updated[spec.name] += stats.updated
        totals.duplicates[spec.name] += dupes + stats.superseded
    for _, rec in records:
        if rec.table:
            totals.quarantined_by_table[rec.table] += 1
    totals.quarantined += len(records)
    if records:
        delta.merge_changed(
            lh.uri(QUARANTINE),
            _quarantine_table(records, run_id=run_id, now=now),
            key="quarantine_id",
            compare_exclude=("run_id", "ingest_timestamp"),
        )
    processed = pa.Table.from_pylist(
        processed_rows(files, run_id=run_id, now=now), schema=PROCESSED_FILES.arrow_schema()
    )
    delta.merge_changed(
        lh.uri(PROCESSED_FILES), processed, key="bronze_path", compare_exclude=("run_id", "ingest_timestamp")
    )


def append_ingest_log(
    lh: Lakehouse,
    results: Sequence[TableValidation],
    totals: Totals | None,
    *,
    run_id: str,
    now: dt.datetime,
) -> None:
    rows = ingest_log_rows(results, totals, run_id=run_id, now=now)
    delta.append(lh.uri(INGEST_LOG), pa.Table.from_pylist(rows, schema=INGEST_LOG.arrow_schema()))
