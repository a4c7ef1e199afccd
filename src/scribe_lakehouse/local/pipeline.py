"""The local engine: Bronze → Silver (only what is new or changed) → validation → Gold."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from scribe_lakehouse import batches
from scribe_lakehouse.batches import patient_bundle_count, source_ranks
from scribe_lakehouse.bronze.dicom import build_dicom_index
from scribe_lakehouse.bronze.landing import Manifest, ManifestEntry
from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.fhir.model import DicomHeader, ParseResult
from scribe_lakehouse.fhir.parser import parse_bundle
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.local import silver_write
from scribe_lakehouse.local.gold_step import build_gold_step
from scribe_lakehouse.local.validate import (
    TableValidation,
    ingest_log_reconciliation,
    validate_silver,
    validate_table,
)
from scribe_lakehouse.outcomes import GoldResult, RunSummary
from scribe_lakehouse.progress import NullProgress, Progress
from scribe_lakehouse.registry import (
    INGEST_LOG,
    PROCESSED_FILES,
    SILVER_TABLES,
    SYSTEM_TABLES,
    ForeignKeyRule,
    silver_table,
)
from scribe_lakehouse.storage import delta

log = logging.getLogger(__name__)


def ensure_tables(lh: Lakehouse) -> None:
    for spec in SILVER_TABLES + SYSTEM_TABLES:
        delta.ensure_table(lh.uri(spec), spec.arrow_schema())


def pending_files(lh: Lakehouse, manifest: Manifest, cohorts: Sequence[str] | None) -> list[ManifestEntry]:
    """The current version of each FHIR file (the latest landed under its name), in manifest order,
    whose exact bytes have not been parsed into Silver yet. An older version of a re-landed file is
    never parsed once a newer one is in Bronze."""
    done = delta.read_arrow(lh.uri(PROCESSED_FILES), columns=["bronze_path", "sha256"])
    parsed = set(zip(done.column("bronze_path").to_pylist(), done.column("sha256").to_pylist(), strict=True))
    return batches.pending(manifest, parsed, cohorts)


def last_parse_unvalidated(lh: Lakehouse) -> bool:
    """True when Silver was written after the last validation recorded in ingest_log (a run killed
    between its last MERGE and its ingest_log append): the next run validates Silver in its place."""
    parsed = delta.read_arrow(lh.uri(PROCESSED_FILES), columns=["ingest_timestamp"]).column(0)
    validated = delta.read_arrow(lh.uri(INGEST_LOG), columns=["ingest_timestamp"]).column(0)
    return batches.parse_unvalidated(pc.max(parsed).as_py(), pc.max(validated).as_py())


def dicom_index(lh: Lakehouse, manifest: Manifest | None = None) -> dict[str, DicomHeader]:
    """Headers of the DICOM files in the manifest (a file a killed landing left unlisted is not used)."""
    manifest = manifest if manifest is not None else Manifest.load(lh.root)
    return build_dicom_index(lh.root / path for path in batches.dicom_paths(manifest))


def _parse_cohort(
    lh: Lakehouse, files: Sequence[ManifestEntry], dicom: dict[str, DicomHeader], progress: Progress
) -> tuple[ParseResult, list[str]]:
    result = ParseResult()
    quarantine_paths: list[str] = []
    for entry in files:
        data = (lh.root / entry.path).read_bytes()
        one = parse_bundle(data, source_file=entry.name, dicom=dicom)
        quarantine_paths.extend([entry.path] * len(one.quarantine))
        result.extend(one)
        progress.advance(1)
    return result, quarantine_paths


def run(
    root: Path,
    *,
    cohorts: Sequence[str] | None = None,
    gold: bool = True,
    progress: Progress | None = None,
    wait: bool = False,
) -> RunSummary:
    """Parse every new or changed Bronze bundle into Silver (one MERGE per table per cohort), validate,
    and rebuild Gold when Silver moved. With `wait`, wait for the writer lock instead of failing (a
    Dagster step, when `watch` or a CLI run is writing: it then finds what is left)."""
    started = time.perf_counter()
    progress = progress or NullProgress()
    lh = Lakehouse(root)
    batches.require_bundles(Manifest.load(root))
    run_id = uuid.uuid4().hex[:16]
    now = dt.datetime.now(dt.UTC)
    with lh.lock(wait=wait):
        manifest = Manifest.load(root)  # again, under the lock: a landing may have finished meanwhile
        batches.require_cohorts(manifest, cohorts)
        ensure_tables(lh)
        todo = pending_files(lh, manifest, cohorts)
        totals = silver_write.Totals()
        parsed_cohorts: list[str] = []
        if todo:
            dicom = dicom_index(lh, manifest)
            ranks = source_ranks(manifest)
            progress.start("Bronze → Silver", len(todo))
            for cohort in dict.fromkeys(e.cohort or "" for e in todo):
                files = [e for e in todo if (e.cohort or "") == cohort]
                parsed, qpaths = _parse_cohort(lh, files, dicom, progress)
                silver_write.write_batch(
                    lh, parsed, qpaths, files, run_id=run_id, now=now, totals=totals, ranks=ranks
                )
                parsed_cohorts.append(cohort)
                log.info("cohort %s: %d file(s) merged into Silver", cohort, len(files))
        validation: list[TableValidation] = []
        if todo:
            validation = record_validation(lh, manifest, run_id=run_id, now=now, totals=totals)
        elif last_parse_unvalidated(lh):
            log.warning("the last run that wrote Silver was interrupted before validating it: validating now")
            validation = record_validation(lh, manifest, run_id=run_id, now=now)
        gold_result = build_gold_step(lh) if gold else None
    return RunSummary(
        run_id=run_id,
        files_parsed=len(todo),
        bytes_parsed=sum(e.bytes for e in todo),
        cohorts=tuple(parsed_cohorts),
        tables=tuple(totals.table_stats()),
        quarantined=totals.quarantined,
        validation=tuple(validation),
        gold=gold_result,
        seconds=time.perf_counter() - started,
    )


def read_silver(lh: Lakehouse) -> dict[str, pl.DataFrame]:
    frames: dict[str, pl.DataFrame] = {}
    for spec in SILVER_TABLES:
        frame = pl.from_arrow(delta.read_arrow(lh.uri(spec)))
        assert isinstance(frame, pl.DataFrame)
        frames[spec.name] = frame
    return frames


def record_validation(
    lh: Lakehouse,
    manifest: Manifest,
    *,
    run_id: str,
    now: dt.datetime,
    totals: silver_write.Totals | None = None,
) -> list[TableValidation]:
    """Validate every Silver table and append the results to ingest_log. With `totals` (a run that parsed
    files) each table also gets this run's `reconciles` rule; without (the `validate` command) it gets
    the same rule over every run recorded in ingest_log."""
    results = validate_silver(read_silver(lh), patient_bundles=patient_bundle_count(manifest))
    if totals is not None:
        by_table = {s.table: s for s in totals.table_stats()}
        results = [r.with_check(silver_write.reconciliation_check(by_table[r.table])) for r in results]
    else:
        history = pl.from_arrow(delta.read_arrow(lh.uri(INGEST_LOG)))
        assert isinstance(history, pl.DataFrame)
        results = [r.with_check(ingest_log_reconciliation(history, r.table)) for r in results]
    silver_write.append_ingest_log(lh, results, totals, run_id=run_id, now=now)
    failed = [r.table for r in results if not r.passed]
    if failed:
        log.warning("validation failed for %d table(s): %s", len(failed), ", ".join(failed))
    return results


def _require_silver(lh: Lakehouse) -> None:
    if not delta.exists(lh.uri(SILVER_TABLES[0])):
        raise ConfigError("no Silver tables under this root: run `run` first")


def validate(root: Path) -> list[TableValidation]:
    """Validate the current Silver tables and record the result (the `validate` command)."""
    lh = Lakehouse(root)
    if not root.is_dir():
        _require_silver(lh)  # fails clearly without creating the root
    with lh.lock():
        _require_silver(lh)
        manifest = Manifest.load(root)
        return record_validation(lh, manifest, run_id=uuid.uuid4().hex[:16], now=dt.datetime.now(dt.UTC))


def check_table(root: Path, name: str) -> TableValidation:
    """Run one Silver table's rules on the current tables without recording them (Dagster asset checks).

    Reads only that table and the tables its foreign-key rules point at."""
    lh = Lakehouse(root)
    spec = silver_table(name)
    if not delta.exists(lh.uri(spec)):
        raise ConfigError("no Silver tables under this root: run `run` first")
    needed = [spec.name, *(r.ref_table for r in spec.rules if isinstance(r, ForeignKeyRule))]
    frames: dict[str, pl.DataFrame] = {}
    for table in dict.fromkeys(needed):
        frame = pl.from_arrow(delta.read_arrow(lh.uri(silver_table(table))))
        assert isinstance(frame, pl.DataFrame)
        frames[table] = frame
    return validate_table(spec, frames, patient_bundles=patient_bundle_count(Manifest.load(root)))


def gold(root: Path, *, force: bool = False, wait: bool = False) -> GoldResult:
    """Rebuild Gold from Silver (the `gold` command); `wait` as in `run`."""
    lh = Lakehouse(root)
    if not root.is_dir():
        _require_silver(lh)
    with lh.lock(wait=wait):
        _require_silver(lh)
        return build_gold_step(lh, force=force)


def silver_counts(root: Path) -> dict[str, int]:
    lh = Lakehouse(root)
    return {s.name: delta.read_arrow(lh.uri(s), columns=[s.column_names[0]]).num_rows for s in SILVER_TABLES}


def table_arrow(root: Path, name: str) -> pa.Table:
    lh = Lakehouse(root)
    spec = next(s for s in (*SILVER_TABLES, *SYSTEM_TABLES) if s.name == name)
    return delta.read_arrow(lh.uri(spec))
