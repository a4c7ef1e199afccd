"""Write one parsed batch into Silver: guard required columns, de-duplicate, MERGE, quarantine, log."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from scribe_lakehouse.bronze.landing import ManifestEntry
from scribe_lakehouse.errors import ReasonCode
from scribe_lakehouse.fhir.model import ParseResult, QuarantineRecord, Row
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.local.validate import CheckResult, TableValidation, reconciliation
from scribe_lakehouse.registry import (
    INGEST_LOG,
    PROCESSED_FILES,
    QUARANTINE,
    SILVER_TABLES,
    TableSpec,
)
from scribe_lakehouse.rows import dedupe_last, to_arrow
from scribe_lakehouse.storage import delta


@dataclass(frozen=True)
class TableRunStats:
    """One Silver table in one run: seen = written + quarantined + duplicates."""

    table: str
    seen: int
    written: int
    inserted: int
    updated: int
    quarantined: int
    duplicates: int

    @property
    def reconciles(self) -> bool:
        return reconciliation_check(self).passed


def reconciliation_check(stats: TableRunStats) -> CheckResult:
    """The `reconciles` rule for one table in one run that parsed files."""
    return reconciliation(
        seen=stats.seen, written=stats.written, quarantined=stats.quarantined, duplicates=stats.duplicates
    )


def _zero() -> dict[str, int]:
    return {s.name: 0 for s in SILVER_TABLES}


@dataclass
class Totals:
    """Per-table counts accumulated over the batches of one run."""

    seen: dict[str, int] = field(default_factory=_zero)
    written: dict[str, int] = field(default_factory=_zero)
    inserted: dict[str, int] = field(default_factory=_zero)
    updated: dict[str, int] = field(default_factory=_zero)
    quarantined_by_table: dict[str, int] = field(default_factory=_zero)
    duplicates: dict[str, int] = field(default_factory=_zero)
    quarantined: int = 0

    def table_stats(self) -> list[TableRunStats]:
        return [
            TableRunStats(
                table=s.name,
                seen=self.seen[s.name],
                written=self.written[s.name],
                inserted=self.inserted[s.name],
                updated=self.updated[s.name],
                quarantined=self.quarantined_by_table[s.name],
                duplicates=self.duplicates[s.name],
            )
            for s in SILVER_TABLES
        ]


def split_required(spec: TableSpec, rows: list[Row]) -> tuple[list[Row], list[QuarantineRecord]]:
    """Rows missing a required column become quarantine records instead of failing the write."""
    required = [c for c in spec.required_columns if c != "ingest_timestamp"]
    good: list[Row] = []
    bad: list[QuarantineRecord] = []
    for row in rows:
        missing = next((c for c in required if row.get(c) is None), None)
        if missing is None:
            good.append(row)
        else:
            bad.append(
                QuarantineRecord(
                    source_file=str(row.get("source_file") or ""),
                    entry_index=None,
                    resource_type=spec.source,
                    table=spec.name,
                    reason=ReasonCode.MISSING_REFERENCE,
                    detail=f"required column {missing} is empty",
                )
            )
    return good, bad


def quarantine_id(bronze_path: str, record: QuarantineRecord) -> str:
    key = f"{bronze_path}|{record.entry_index}|{record.table}|{record.reason}|{record.detail}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _quarantine_table(
    records: Sequence[tuple[str, QuarantineRecord]], *, run_id: str, now: dt.datetime
) -> pa.Table:
    rows = [
        {
            "quarantine_id": quarantine_id(path, rec),
            "run_id": run_id,
            "source_file": rec.source_file,
            "entry_index": rec.entry_index,
            "resource_type": rec.resource_type,
            "reason": str(rec.reason),
            "detail": rec.detail,
            "ingest_timestamp": now,
        }
        for path, rec in records
    ]
    return pa.Table.from_pylist(rows, schema=QUARANTINE.arrow_schema())


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
        [
            {
                "bronze_path": e.path,
                "sha256": e.sha256,
                "cohort": e.cohort or "",
                "run_id": run_id,
                "ingest_timestamp": now,
            }
            for e in files
        ],
        schema=PROCESSED_FILES.arrow_schema(),
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
    def count(field_name: str, table: str) -> int | None:
        return None if totals is None else int(getattr(totals, field_name)[table])

    rows = [
        {
            "run_id": run_id,
            "table": r.table,
            "row_count": r.row_count,
            "passed": r.passed,
            "failed_checks": r.failed_checks,
            "resources_seen": count("seen", r.table),
            "rows_written": count("written", r.table),
            "rows_inserted": count("inserted", r.table),
            "rows_updated": count("updated", r.table),
            "rows_quarantined": count("quarantined_by_table", r.table),
            "duplicates_collapsed": count("duplicates", r.table),
            "detail_json": json.dumps(
                [
                    {"rule": c.rule, "passed": c.passed, "observed": c.observed, "expected": c.expected}
                    for c in r.checks
                ]
            ),
            "ingest_timestamp": now,
        }
        for r in results
    ]
    delta.append(lh.uri(INGEST_LOG), pa.Table.from_pylist(rows, schema=INGEST_LOG.arrow_schema()))
