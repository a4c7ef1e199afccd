"""Parser rows → typed Arrow tables, with the schemas from the registry (engine-free: pyarrow only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa

from scribe_lakehouse.fhir.model import Row
from scribe_lakehouse.registry import TableSpec


def dedupe_last(rows: Sequence[Row], key: str) -> tuple[list[Row], int]:
    """Collapse duplicate keys to their last occurrence; returns the rows and how many were collapsed."""
    by_key: dict[object, Row] = {}
    for row in rows:
        by_key[row[key]] = row
    return list(by_key.values()), len(rows) - len(by_key)


def to_arrow(spec: TableSpec, rows: Sequence[Row], *, ingest_timestamp: dt.datetime) -> pa.Table:
    """Rows (without `ingest_timestamp`) → an Arrow table with exactly the registry schema."""
    schema = spec.arrow_schema()
    body = pa.schema([f for f in schema if f.name != "ingest_timestamp"])
    table = pa.Table.from_pylist(list(rows), schema=body)
    stamp = pa.array([ingest_timestamp] * table.num_rows, type=schema.field("ingest_timestamp").type)
    table = table.append_column(schema.field("ingest_timestamp"), stamp)
    return table.select(schema.names).cast(schema)
