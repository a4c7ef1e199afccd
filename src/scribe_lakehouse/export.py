"""Export the Gold corpus for consumers: JSONL or Parquet, with the contract and manifest alongside.

`corpus.jsonl` (or `.parquet`) gets two companions in the same folder, named after the data file so
two exports in one folder never overwrite each other's:
- `corpus.jsonl.manifest.json`: contract version, format, row count, sha256 and size of the data file, the
  Gold Delta version exported, and the full corpus manifest (`gold/_metadata/corpus_manifest.json`);
- `corpus.jsonl.schema.json`: the contract's JSON Schema (what every JSONL line validates against).
Rows are sorted by summary_id, so the same Gold exports to the same bytes (JSONL). Each file is written
to a temporary name and moved into place, so a reader never sees half a file.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from scribe_lakehouse.bronze.names import sha256_file
from scribe_lakehouse.contract import CONTRACT_VERSION, schema_json_text, to_json_ready, validate_rows
from scribe_lakehouse.corpus_manifest import CorpusManifest
from scribe_lakehouse.errors import ConfigError, LakehouseError
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.progress import NullProgress, Progress
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY
from scribe_lakehouse.storage import delta

log = logging.getLogger(__name__)

ExportFormat = Literal["jsonl", "parquet"]
FORMATS: tuple[ExportFormat, ...] = ("jsonl", "parquet")
EXPORT_MANIFEST_VERSION = 1
BATCH_ROWS = 4_096
PARQUET_META_CONTRACT = b"scribe_lakehouse.contract_version"
PARQUET_META_MANIFEST = b"scribe_lakehouse.corpus_manifest"


class ContractViolation(LakehouseError):
    """Gold rows that do not validate against the contract (the export is not written)."""


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote."""

    format: ExportFormat
    path: Path
    manifest_path: Path
    schema_path: Path
    rows: int
    bytes: int
    sha256: str
    contract_version: str
    gold_version: int
    validated: bool


def companion_paths(out: Path) -> tuple[Path, Path]:
    """(manifest, schema) paths that go with the data file `out`."""
    return out.with_name(f"{out.name}.manifest.json"), out.with_name(f"{out.name}.schema.json")


def read_gold(root: Path) -> tuple[pa.Table, int, CorpusManifest]:
    """Gold in contract column order and types, sorted by summary_id; its Delta version; its manifest."""
    lh = Lakehouse(root)
    uri = lh.uri(GOLD_ENCOUNTER_SUMMARY)
    version = delta.version(uri)
    manifest = CorpusManifest.read(lh.corpus_manifest)
    if version is None or manifest is None:
        raise ConfigError("no Gold corpus under this root: run `run` (or `demo`) first")
    schema = GOLD_ENCOUNTER_SUMMARY.arrow_schema()
    table = delta.read_arrow(uri).select(schema.names).cast(schema)
    return table.sort_by("summary_id"), version, manifest


def _batches(table: pa.Table) -> Iterator[pa.RecordBatch]:
    yield from table.to_batches(max_chunksize=BATCH_ROWS)


def _check(rows: list[dict[str, object]], offset: int) -> None:
    problems = validate_rows(rows)
    if problems:
        where, _, what = problems[0].partition(": ")  # "row <batch index>: <field>: <keyword>"
        row = offset + int(where.removeprefix("row "))
        raise ContractViolation(
            f"{len(problems)} contract violation(s) in a batch of Gold rows, the first in row {row}: "
            f"{what}; nothing exported"
        )


def _write_jsonl(table: pa.Table, tmp: Path, *, validate: bool, progress: Progress) -> None:
    offset = 0
    with tmp.open("wb") as fh:
        for batch in _batches(table):
            rows = [to_json_ready(r) for r in batch.to_pylist()]
            if validate:
                _check(rows, offset)
            fh.write(b"".join(orjson.dumps(r) + b"\n" for r in rows))
            offset += len(rows)
            progress.advance(len(rows))
        fh.flush()
        os.fsync(fh.fileno())


def _write_parquet(
    table: pa.Table, tmp: Path, manifest: CorpusManifest, *, validate: bool, progress: Progress
) -> None:
    if validate:
        offset = 0
        for batch in _batches(table):
            _check([to_json_ready(r) for r in batch.to_pylist()], offset)
            offset += batch.num_rows
            progress.advance(batch.num_rows)
    metadata = {
        PARQUET_META_CONTRACT: CONTRACT_VERSION.encode(),
        PARQUET_META_MANIFEST: manifest.to_json().encode(),
    }
    pq.write_table(table.replace_schema_metadata(metadata), tmp, compression="zstd")
    if not validate:
        progress.advance(table.num_rows)


def _write_text(path: Path, body: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(body, "utf-8")
    os.replace(tmp, path)


def export_corpus(
    root: Path,
    *,
    fmt: ExportFormat,
    out: Path,
    validate: bool = True,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the Gold corpus to `out` as JSONL or Parquet, with its manifest and JSON Schema beside it.

    With `validate` (the default) every row is checked against the contract first; a violation
    raises ContractViolation and leaves no data file behind."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if out.is_dir():
        raise ConfigError("--out is a folder: give the data file's path, e.g. corpus.jsonl")
    progress = progress or NullProgress()
    table, gold_version, manifest = read_gold(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    manifest_path, schema_path = companion_paths(out)
    tmp = out.with_name(out.name + ".tmp")
    progress.start(f"Exporting Gold as {fmt}", table.num_rows)
    try:
        if fmt == "jsonl":
            _write_jsonl(table, tmp, validate=validate, progress=progress)
        else:
            _write_parquet(table, tmp, manifest, validate=validate, progress=progress)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    sha, size = sha256_file(out), out.stat().st_size
    _write_text(schema_path, schema_json_text())
    body = {
        "export_version": EXPORT_MANIFEST_VERSION,
        "contract_version": CONTRACT_VERSION,
        "format": fmt,
        "file": out.name,
        "schema_file": schema_path.name,
        "row_count": table.num_rows,
        "bytes": size,
        "sha256": sha,
        "validated": validate,
        "gold_delta_version": gold_version,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "corpus_manifest": json.loads(manifest.to_json()),
    }
    _write_text(manifest_path, json.dumps(body, indent=2) + "\n")
    log.info("exported %d Gold rows as %s (%.1f MB)", table.num_rows, fmt, size / 1e6)
    return ExportSummary(
        format=fmt,
        path=out,
        manifest_path=manifest_path,
        schema_path=schema_path,
        rows=table.num_rows,
        bytes=size,
        sha256=sha,
        contract_version=CONTRACT_VERSION,
        gold_version=gold_version,
        validated=validate,
    )
