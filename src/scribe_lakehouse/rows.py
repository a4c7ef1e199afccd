"""Parser rows → typed Arrow tables with the registry schemas, and the engine-free row rules both
engines apply before a MERGE: the required-column guard, de-duplication, quarantine and processed-file
rows (pyarrow only; no engine)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence

import pyarrow as pa

from scribe_lakehouse.bronze.landing import ManifestEntry
from scribe_lakehouse.errors import ReasonCode
from scribe_lakehouse.fhir.model import QuarantineRecord, Row
from scribe_lakehouse.registry import TableSpec


def to_arrow(spec: TableSpec, rows: Sequence[Row], *, ingest_timestamp: dt.datetime) -> pa.Table:
    """Rows (without `ingest_timestamp`) → an Arrow table with exactly the registry schema."""
    schema = spec.arrow_schema()
    body = pa.schema([f for f in schema if f.name != "ingest_timestamp"])
    table = pa.Table.from_pylist(list(rows), schema=body)
    stamp = pa.array([ingest_timestamp] * table.num_rows, type=schema.field("ingest_timestamp").type)
    table = table.append_column(schema.field("ingest_timestamp"), stamp)
    return table.select(schema.names).cast(schema)


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


def quarantine_id(bronze_path: str, record: QuarantineRecord, occurrence: int = 0) -> str:
    """A stable id for a quarantine record; `occurrence` tells apart identical records of one file (two
    rows missing the same required column), so each keeps its own row."""
    key = f"{bronze_path}|{record.entry_index}|{record.table}|{record.reason}|{record.detail}"
    if occurrence:
        key += f"|{occurrence}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def quarantine_rows(
    records: Iterable[tuple[str, QuarantineRecord]], *, run_id: str, now: dt.datetime
) -> list[Row]:
    """`silver.quarantine` rows (registry columns) for (bronze path, record) pairs, in order. Identical
    records of one file are numbered in the order they come (both engines give a file's records in
    parse order), so their ids differ and are the same on every run and engine."""
    seen: dict[tuple[str, QuarantineRecord], int] = {}
    rows: list[Row] = []
    for path, rec in records:
        occurrence = seen[(path, rec)] = seen.get((path, rec), -1) + 1
        rows.append(
            {
                "quarantine_id": quarantine_id(path, rec, occurrence),
                "run_id": run_id,
                "source_file": rec.source_file,
                "entry_index": rec.entry_index,
                "resource_type": rec.resource_type,
                "reason": str(rec.reason),
                "detail": rec.detail,
                "ingest_timestamp": now,
            }
        )
    return rows


def processed_rows(files: Iterable[ManifestEntry], *, run_id: str, now: dt.datetime) -> list[Row]:
    """`silver.processed_files` rows (registry columns): the Bronze file versions a batch parsed."""
    return [
        {
            "bronze_path": e.path,
            "sha256": e.sha256,
            "cohort": e.cohort or "",
            "run_id": run_id,
            "ingest_timestamp": now,
        }
        for e in files
    ]
