"""What runs on the Spark executors: whole Bronze files in (binaryFile rows: path, content), the one
parser over each, Arrow record batches out — one stage row per Silver row, quarantine record and
per-table "seen" count, typed by `schemas.stage_arrow_schema()`.

(kind, file_idx, row_idx) identifies a stage row. Readers de-duplicate on it: Sail 0.7.2 splits a
large file into byte ranges across partitions and its binaryFile source then yields the whole file once
per range, so a bundle can be parsed twice (identical rows); JVM Spark never splits binaryFile.

No pyspark import here: `mapInArrow` ships a closure over `ParseJob` to the executors, which import
only this module, the parser and pyarrow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

import pyarrow as pa

from scribe_lakehouse.bronze.landing import ManifestEntry
from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.fhir.model import DicomHeader, QuarantineRecord, Row
from scribe_lakehouse.fhir.parser import parse_bundle
from scribe_lakehouse.registry import SILVER_TABLES, TableSpec
from scribe_lakehouse.rows import quarantine_rows, split_required, to_arrow
from scribe_lakehouse.spark.schemas import (
    COHORT,
    FILE_INDEX,
    KIND,
    QUARANTINE_KIND,
    QUARANTINE_STRUCT,
    QUARANTINE_TABLE,
    ROW_INDEX,
    SEEN_KIND,
    SEEN_TYPE,
    stage_arrow_schema,
    struct_type,
)

NO_COHORT = "_"


def cohort_key(entry: ManifestEntry) -> str:
    """The stage's cohort value of a file (a label, or `_` for files landed without one)."""
    return entry.cohort or NO_COHORT


@dataclass(frozen=True)
class ParseJob:
    """Everything an executor needs: the files of the batch in order (their index is the order that
    decides which duplicate key wins), the run's id and time, and the DICOM headers to join."""

    files: tuple[ManifestEntry, ...]
    run_id: str
    now: dt.datetime
    dicom: Mapping[str, DicomHeader] = field(default_factory=dict)

    def lookup(self) -> Callable[[str], tuple[int, ManifestEntry]]:
        """Map a path as Spark reports it (file:/…, abfss://…, or Sail's scheme-less form) to the
        file's index and manifest entry, by its root-relative Bronze path."""
        by_path = {e.path: (i, e) for i, e in enumerate(self.files)}
        depths = sorted({e.path.count("/") + 1 for e in self.files}, reverse=True)

        def find(reported: str) -> tuple[int, ManifestEntry]:
            for candidate in (reported, unquote(reported)):
                parts = candidate.rstrip("/").split("/")
                for depth in depths:
                    hit = by_path.get("/".join(parts[-depth:]))
                    if hit is not None:
                        return hit
            raise ConfigError("Spark read a Bronze file that is not in this batch")

        return find


@dataclass
class _Acc:
    """Stage rows of one kind collected over one input batch."""

    cohorts: list[str] = field(default_factory=list)
    files: list[int] = field(default_factory=list)
    rows_idx: list[int] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    def add(self, cohort: str, file_index: int, row_index: int, row: Row) -> None:
        self.cohorts.append(cohort)
        self.files.append(file_index)
        self.rows_idx.append(row_index)
        self.rows.append(row)


def _struct(table: pa.Table, struct: pa.StructType) -> pa.StructArray:
    arrays = [table.column(struct.field(i).name).combine_chunks() for i in range(struct.num_fields)]
    return pa.StructArray.from_arrays(arrays, fields=[struct.field(i) for i in range(struct.num_fields)])


def _batch(kind: str, acc: _Acc, column: str, values: pa.Array) -> pa.RecordBatch:
    schema = stage_arrow_schema()
    n = len(acc.rows)
    arrays: list[pa.Array] = []
    for f in schema:
        if f.name == KIND:
            arrays.append(pa.array([kind] * n, pa.string()))
        elif f.name == COHORT:
            arrays.append(pa.array(acc.cohorts, pa.string()))
        elif f.name == FILE_INDEX:
            arrays.append(pa.array(acc.files, pa.int32()))
        elif f.name == ROW_INDEX:
            arrays.append(pa.array(acc.rows_idx, pa.int32()))
        elif f.name == column:
            arrays.append(values)
        else:
            arrays.append(pa.nulls(n, f.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _table_batch(spec: TableSpec, acc: _Acc, now: dt.datetime) -> pa.RecordBatch:
    typed = to_arrow(spec, acc.rows, ingest_timestamp=now)
    return _batch(spec.name, acc, spec.name, _struct(typed, struct_type(spec)))


def parse_records(
    job: ParseJob, records: Sequence[tuple[str, bytes]], find: Callable[[str], tuple[int, ManifestEntry]]
) -> Iterator[pa.RecordBatch]:
    """Parse (reported path, bytes) records into stage batches: one per Silver table with rows, one
    of quarantine records, one of seen counts."""
    tables = {spec.name: _Acc() for spec in SILVER_TABLES}
    quarantine = _Acc()
    seen = _Acc()
    for reported, data in records:
        index, entry = find(reported)
        cohort = cohort_key(entry)
        result = parse_bundle(data, source_file=entry.name, dicom=job.dicom)
        bad: list[QuarantineRecord] = list(result.quarantine)
        for ordinal, spec in enumerate(SILVER_TABLES):
            good, missing = split_required(spec, result.rows[spec.name])
            bad.extend(missing)
            acc = tables[spec.name]
            for row_index, row in enumerate(good):
                acc.add(cohort, index, row_index, row)
            if result.seen[spec.name]:
                seen.add(cohort, index, ordinal, {"table": spec.name, "count": result.seen[spec.name]})
        q_rows = quarantine_rows(((entry.path, r) for r in bad), run_id=job.run_id, now=job.now)
        for row_index, (rec, q_row) in enumerate(zip(bad, q_rows, strict=True)):
            quarantine.add(cohort, index, row_index, {**q_row, QUARANTINE_TABLE: rec.table})
    for spec in SILVER_TABLES:
        if tables[spec.name].rows:
            yield _table_batch(spec, tables[spec.name], job.now)
    if quarantine.rows:
        values = pa.array(quarantine.rows, type=QUARANTINE_STRUCT)
        yield _batch(QUARANTINE_KIND, quarantine, QUARANTINE_KIND, values)
    if seen.rows:
        yield _batch(SEEN_KIND, seen, SEEN_KIND, pa.array(seen.rows, type=SEEN_TYPE))


def parse_function(job: ParseJob) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The `mapInArrow` function of a batch: binaryFile batches (path, content) → stage batches."""

    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        find = job.lookup()
        for batch in batches:
            paths = batch.column("path").to_pylist()
            contents = batch.column("content")
            records = [(str(p), contents[i].as_py()) for i, p in enumerate(paths)]
            yield from parse_records(job, records, find)

    return parse
