"""Write one parsed cohort (Arrow, registry schemas) into Silver: guard required columns, de-duplicate,
MERGE only what changed, quarantine, processed-file marks; and the ingest log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from scribe_lakehouse import outcomes
from scribe_lakehouse.bronze.landing import ManifestEntry
from scribe_lakehouse.errors import ReasonCode
from scribe_lakehouse.fhir.model import QuarantineRecord
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.outcomes import TableRunStats
from scribe_lakehouse.registry import INGEST_LOG, PROCESSED_FILES, QUARANTINE, SILVER_TABLES, TableSpec
from scribe_lakehouse.rows import processed_rows, quarantine_id, quarantine_rows
from scribe_lakehouse.storage import delta
from scribe_lakehouse.validation import TableValidation, ingest_log_rows, reconciliation_check

# re-exported: these shapes and rules moved to engine-free modules shared with the Spark engine
__all__ = [
    "TableRunStats",
    "Totals",
    "append_ingest_log",
    "quarantine_id",
    "reconciliation_check",
    "write_batch",
]


@dataclass
class Totals(outcomes.Totals):
    """The run's counts plus, for the local engine, each table's keys as of this run's last write (read
    once, then extended): a run holds the lock, so no other writer can change them, and later cohorts
    need not read them back from Delta."""

    keys: dict[str, pl.Series] = field(default_factory=dict)


def _split_required(spec: TableSpec, table: pa.Table) -> tuple[pa.Table, list[QuarantineRecord]]:
    """Rows missing a required column become quarantine records instead of failing the write (the
    Arrow form of `rows.split_required`, which the Spark executors use on row dicts: same records)."""
    required = [c for c in spec.required_columns if c != "ingest_timestamp"]
    if all(table.column(c).null_count == 0 for c in required):
        return table, []
    nulls = [pc.is_null(table.column(c)) for c in required]
    bad = nulls[0]
    for more in nulls[1:]:
        bad = pc.or_(bad, more)
    sources = table.column("source_file")
    records: list[QuarantineRecord] = []
    for i, flag in enumerate(bad.to_pylist()):
        if not flag:
            continue
        missing = next(c for c, isnull in zip(required, nulls, strict=True) if isnull[i].as_py())
        records.append(
            QuarantineRecord(
                source_file=str(sources[i].as_py() or ""),
                entry_index=None,
                resource_type=spec.source,
                table=spec.name,
                reason=ReasonCode.MISSING_REFERENCE,
                detail=f"required column {missing} is empty",
            )
        )
    return table.filter(pc.invert(bad)), records


def _dedupe_last(table: pa.Table, key: str) -> tuple[pa.Table, int]:
    """Collapse duplicate keys to their last occurrence; returns the rows and how many were collapsed."""
    keys = pl.Series(key, table.column(key))
    if table.num_rows == 0 or keys.n_unique() == table.num_rows:
        return table, 0
    last = {k: i for i, k in enumerate(keys.to_list())}
    keep = sorted(last.values())
    return table.take(pa.array(keep, type=pa.int64())), table.num_rows - len(keep)


def _quarantine_table(
    records: Sequence[tuple[str, QuarantineRecord]], *, run_id: str, now: dt.datetime
) -> pa.Table:
    return pa.Table.from_pylist(
        quarantine_rows(records, run_id=run_id, now=now), schema=QUARANTINE.arrow_schema()
    )


WRITE_THREADS = 2  # tables written at once: parquet encoding and the commit run in delta-rs, GIL released


@dataclass(frozen=True)
class _TableWrite:
    """What writing one Silver table of a batch did."""

    quarantine: list[QuarantineRecord]
    rows: int
    duplicates: int
    stats: delta.MergeStats
    keys: pl.Series


def _write_table(
    lh: Lakehouse,
    spec: TableSpec,
    table: pa.Table,
    known: pl.Series | None,
    precedence: delta.Precedence,
) -> _TableWrite:
    good, bad = _split_required(spec, table)
    key = spec.column_names[0]
    rows, dupes = _dedupe_last(good, key)
    if known is None:
        known = delta.keys(lh.uri(spec), key)
    stats = delta.merge_changed(
        lh.uri(spec),
        rows,
        key=key,
        compare_exclude=("ingest_timestamp",),
        target_keys=known,
        precedence=precedence,
    )
    keys = pl.concat([known, pl.Series(key, rows.column(key))]) if rows.num_rows else known
    return _TableWrite(bad, rows.num_rows, dupes, stats, keys)


def write_batch(
    lh: Lakehouse,
    tables: Mapping[str, pa.Table],
    seen: Mapping[str, int],
    quarantine: Sequence[tuple[str, QuarantineRecord]],
    files: Sequence[ManifestEntry],
    *,
    run_id: str,
    now: dt.datetime,
    totals: Totals,
    ranks: Mapping[str, int] | None = None,
) -> None:
    """One MERGE per Silver table (rows with the registry schema, `ingest_timestamp` stamped), then
    quarantine ((bronze path, record) pairs), then the processed-file marks (last, so an interrupted
    batch is simply parsed again by the next run).

    `files` and the rows of `tables` come in manifest order and `ranks` gives each bundle name the
    manifest position of its latest version: a key carried by several bundles keeps the row of the
    highest-ranked one (within a bundle, the last occurrence), whichever batch or run merges first.
    Rows that lose count as duplicates."""
    path_of = {e.name: e.path for e in files}
    precedence = delta.Precedence("source_file", ranks if ranks is not None else {})
    records = list(quarantine)
    with ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="silver-write") as pool:
        done = pool.map(
            lambda spec: _write_table(lh, spec, tables[spec.name], totals.keys.get(spec.name), precedence),
            SILVER_TABLES,
        )
        for spec, w in zip(SILVER_TABLES, done, strict=True):  # in registry order, whatever finishes first
            records.extend((path_of.get(r.source_file, r.source_file), r) for r in w.quarantine)
            totals.keys[spec.name] = w.keys
            totals.seen[spec.name] += seen[spec.name]
            totals.written[spec.name] += w.rows - w.stats.superseded
            totals.inserted[spec.name] += w.stats.inserted
            totals.updated[spec.name] += w.stats.updated
            totals.duplicates[spec.name] += w.duplicates + w.stats.superseded
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
