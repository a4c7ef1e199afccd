"""Spark schemas derived from the registry's Arrow schemas (never written by hand), and the Arrow
schema of the parse stage: one row per parsed record, with one struct column per Silver table."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import pyarrow as pa

from scribe_lakehouse.registry import QUARANTINE, SILVER_TABLES, TableSpec

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

# columns of the parse stage besides the per-table structs
KIND = "kind"
COHORT = "cohort"
FILE_INDEX = "file_idx"
ROW_INDEX = "row_idx"
QUARANTINE_KIND = "quarantine"
SEEN_KIND = "seen"
QUARANTINE_TABLE = "table"  # the Silver table a quarantined resource was meant for (null for a file)
SEEN_TYPE = pa.struct([pa.field("table", pa.string()), pa.field("count", pa.int64())])


def spark_schema(schema: pa.Schema) -> StructType:
    """The Spark StructType of an Arrow schema (timestamps with a zone are Spark TIMESTAMP)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema, prefer_timestamp_ntz=False)


def table_schema(spec: TableSpec) -> StructType:
    """The Spark schema of a registry table, nullability included."""
    return spark_schema(spec.arrow_schema())


def _nullable(schema: pa.Schema) -> list[pa.Field]:
    return [pa.field(f.name, f.type, nullable=True) for f in schema]


def struct_type(spec: TableSpec) -> pa.StructType:
    """A registry table as one nullable struct (every member nullable: the struct is null on the
    stage rows of other tables)."""
    return pa.struct(_nullable(spec.arrow_schema()))


QUARANTINE_STRUCT = pa.struct(
    [*_nullable(QUARANTINE.arrow_schema()), pa.field(QUARANTINE_TABLE, pa.string())]
)


@cache
def stage_arrow_schema() -> pa.Schema:
    """kind, cohort, file_idx, row_idx, one struct per Silver table, quarantine, seen."""
    fields = [
        pa.field(KIND, pa.string()),
        pa.field(COHORT, pa.string()),
        pa.field(FILE_INDEX, pa.int32()),
        pa.field(ROW_INDEX, pa.int32()),
    ]
    fields += [pa.field(spec.name, struct_type(spec)) for spec in SILVER_TABLES]
    fields += [pa.field(QUARANTINE_KIND, QUARANTINE_STRUCT), pa.field(SEEN_KIND, SEEN_TYPE)]
    return pa.schema(fields)


def ddl(schema: StructType) -> str:
    """Column definitions for CREATE TABLE: `name` type [NOT NULL], …"""
    return ", ".join(
        f"`{f.name}` {f.dataType.simpleString()}{'' if f.nullable else ' NOT NULL'}" for f in schema.fields
    )
