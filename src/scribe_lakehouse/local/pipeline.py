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

from scribe_lakehouse.bronze.dicom import build_dicom_index
from scribe_lakehouse.bronze.landing import Manifest, ManifestEntry
from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.fhir.model import DicomHeader, ParseResult
from scribe_lakehouse.fhir.parser import parse_bundle
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.local import silver_write
from scribe_lakehouse.local.gold_step import build_gold_step
from scribe_lakehouse.local.validate import TableValidation, validate_silver
from scribe_lakehouse.outcomes import GoldResult, RunSummary
from scribe_lakehouse.progress import NullProgress, Progress
from scribe_lakehouse.registry import PROCESSED_FILES, SILVER_TABLES, SYSTEM_TABLES
from scribe_lakehouse.storage import delta

log = logging.getLogger(__name__)


def ensure_tables(lh: Lakehouse) -> None:
    for spec in SILVER_TABLES + SYSTEM_TABLES:
        delta.ensure_table(lh.uri(spec), spec.arrow_schema())


def pending_files(lh: Lakehouse, manifest: Manifest, cohorts: Sequence[str] | None) -> list[ManifestEntry]:
    """FHIR files in the manifest whose exact bytes have not been parsed into Silver yet."""
    done = delta.read_arrow(lh.uri(PROCESSED_FILES), columns=["bronze_path", "sha256"])
    parsed = set(zip(done.column("bronze_path").to_pylist(), done.column("sha256").to_pylist(), strict=True))
    return [e for e in manifest.fhir(cohorts) if (e.path, e.sha256) not in parsed]


def dicom_index(lh: Lakehouse) -> dict[str, DicomHeader]:
    folder = lh.bronze / "dicom"
    return build_dicom_index(sorted(folder.glob("*.dcm"))) if folder.is_dir() else {}


def patient_bundle_count(manifest: Manifest) -> int:
    return len({e.name for e in manifest.fhir() if not e.is_reference_bundle})


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
) -> RunSummary:
    """Parse every new or changed Bronze bundle into Silver (one MERGE per table per cohort), validate,
    and rebuild Gold when Silver moved."""
    started = time.perf_counter()
    progress = progress or NullProgress()
    lh = Lakehouse(root)
    manifest = Manifest.load(root)
    if not manifest.fhir():
        raise ConfigError("no FHIR bundles in Bronze under this root: run `ingest` or `demo` first")
    unknown = set(cohorts or ()) - set(manifest.cohorts())
    if unknown:
        raise ConfigError(
            f"unknown cohort(s): {', '.join(sorted(unknown))}; known: {', '.join(manifest.cohorts())}"
        )
    run_id = uuid.uuid4().hex[:16]
    now = dt.datetime.now(dt.UTC)
    with lh.lock():
        ensure_tables(lh)
        todo = pending_files(lh, manifest, cohorts)
        totals = silver_write.Totals()
        parsed_cohorts: list[str] = []
        if todo:
            dicom = dicom_index(lh)
            progress.start("Bronze → Silver", len(todo))
            for cohort in dict.fromkeys(e.cohort or "" for e in todo):
                files = [e for e in todo if (e.cohort or "") == cohort]
                parsed, qpaths = _parse_cohort(lh, files, dicom, progress)
                silver_write.write_batch(lh, parsed, qpaths, files, run_id=run_id, now=now, totals=totals)
                parsed_cohorts.append(cohort)
                log.info("cohort %s: %d file(s) merged into Silver", cohort, len(files))
        validation: list[TableValidation] = []
        if todo:
            validation = record_validation(lh, manifest, run_id=run_id, now=now, totals=totals)
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
    """Validate every Silver table and append the results (with this run's reconciliation) to ingest_log."""
    results = validate_silver(read_silver(lh), patient_bundles=patient_bundle_count(manifest))
    silver_write.append_ingest_log(lh, results, totals, run_id=run_id, now=now)
    failed = [r.table for r in results if not r.passed]
    if failed:
        log.warning("validation failed for %d table(s): %s", len(failed), ", ".join(failed))
    return results


def validate(root: Path) -> list[TableValidation]:
    """Validate the current Silver tables and record the result (the `validate` command)."""
    lh = Lakehouse(root)
    manifest = Manifest.load(root)
    if not delta.exists(lh.uri(SILVER_TABLES[0])):
        raise ConfigError("no Silver tables under this root: run `run` first")
    with lh.lock():
        return record_validation(lh, manifest, run_id=uuid.uuid4().hex[:16], now=dt.datetime.now(dt.UTC))


def gold(root: Path, *, force: bool = False) -> GoldResult:
    """Rebuild Gold from Silver (the `gold` command)."""
    lh = Lakehouse(root)
    if not delta.exists(lh.uri(SILVER_TABLES[0])):
        raise ConfigError("no Silver tables under this root: run `run` first")
    with lh.lock():
        return build_gold_step(lh, force=force)


def silver_counts(root: Path) -> dict[str, int]:
    lh = Lakehouse(root)
    return {s.name: delta.read_arrow(lh.uri(s), columns=[s.column_names[0]]).num_rows for s in SILVER_TABLES}


def table_arrow(root: Path, name: str) -> pa.Table:
    lh = Lakehouse(root)
    spec = next(s for s in (*SILVER_TABLES, *SYSTEM_TABLES) if s.name == name)
    return delta.read_arrow(lh.uri(spec))
