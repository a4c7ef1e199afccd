"""The local engine: Bronze → Silver (only what is new or changed) → validation → Gold.

Importing this module loads no engine: Polars, delta-rs and the modules built on them (~0.13 s of
imports) load in the functions that use them. So a run hands its first parse jobs to the workers
before it loads them, and the imports overlap the parse instead of keeping the workers waiting (the
CLI forks the workers before anything else, parse_pool.prestart).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from scribe_lakehouse import batches
from scribe_lakehouse.batches import patient_bundle_count, source_ranks
from scribe_lakehouse.bronze import dicom_headers
from scribe_lakehouse.bronze.landing import Manifest, ManifestEntry
from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.fhir.dicom_join import DEFERRED, join_headers
from scribe_lakehouse.fhir.model import DicomHeader, QuarantineRecord
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.local import parse_pool
from scribe_lakehouse.local.parse_pool import BatchJob, ParsedBatch
from scribe_lakehouse.outcomes import GoldResult, RunSummary
from scribe_lakehouse.progress import NullProgress, Progress
from scribe_lakehouse.registry import (
    IMAGING_STUDY,
    INGEST_LOG,
    PROCESSED_FILES,
    SILVER_TABLES,
    SYSTEM_TABLES,
    ForeignKeyRule,
    silver_table,
)

if TYPE_CHECKING:
    import polars as pl

    from scribe_lakehouse.local.silver_write import Totals
    from scribe_lakehouse.local.validate import TableValidation

log = logging.getLogger(__name__)


def ensure_tables(lh: Lakehouse) -> None:
    from scribe_lakehouse.storage import delta

    for spec in SILVER_TABLES + SYSTEM_TABLES:
        delta.ensure_table(lh.uri(spec), spec.arrow_schema())


def pending_files(lh: Lakehouse, manifest: Manifest, cohorts: Sequence[str] | None) -> list[ManifestEntry]:
    """The current version of each FHIR file (the latest landed under its name), in manifest order,
    whose exact bytes have not been parsed into Silver yet. An older version of a re-landed file is
    never parsed once a newer one is in Bronze."""
    parsed: set[tuple[str, str]] = set()
    uri = lh.uri(PROCESSED_FILES)
    if "://" not in uri and not (Path(uri) / "_delta_log").is_dir():
        return batches.pending(manifest, parsed, cohorts)  # a first run, known without loading delta-rs
    from scribe_lakehouse.storage import delta

    if delta.exists(uri):  # else a first run: the tables are created later
        done = delta.read_arrow(uri, columns=["bronze_path", "sha256"])
        parsed = set(
            zip(done.column("bronze_path").to_pylist(), done.column("sha256").to_pylist(), strict=True)
        )
    return batches.pending(manifest, parsed, cohorts)


def last_parse_unvalidated(lh: Lakehouse) -> bool:
    """True when Silver was written after the last validation recorded in ingest_log (a run killed
    between its last MERGE and its ingest_log append): the next run validates Silver in its place."""
    import pyarrow.compute as pc

    from scribe_lakehouse.storage import delta

    parsed = delta.read_arrow(lh.uri(PROCESSED_FILES), columns=["ingest_timestamp"]).column(0)
    validated = delta.read_arrow(lh.uri(INGEST_LOG), columns=["ingest_timestamp"]).column(0)
    return batches.parse_unvalidated(pc.max(parsed).as_py(), pc.max(validated).as_py())


def dicom_index(lh: Lakehouse, manifest: Manifest | None = None) -> dict[str, DicomHeader]:
    """Headers of the DICOM files in the manifest (a file a killed landing left unlisted is not used),
    from the header cache the landing wrote (bronze.dicom_headers)."""
    return dicom_headers.load_index(lh.root, manifest if manifest is not None else Manifest.load(lh.root))


@dataclass
class _Cohort:
    """The parsed batches of one cohort, gathered for its single write."""

    tables: list[list[pa.Table]] = field(default_factory=lambda: [[] for _ in SILVER_TABLES])
    seen: list[int] = field(default_factory=lambda: [0] * len(SILVER_TABLES))
    quarantine: list[tuple[str, QuarantineRecord]] = field(default_factory=list)
    batches: int = 0
    fallbacks: int = 0

    def add(self, batch: ParsedBatch) -> None:
        for tables, table in zip(self.tables, batch.arrow(), strict=True):
            tables.append(table)
        self.seen = [a + b for a, b in zip(self.seen, batch.seen, strict=True)]
        self.quarantine.extend(zip(batch.quarantine_paths, batch.quarantine, strict=True))
        self.batches += 1
        self.fallbacks += batch.fallbacks

    def arrow(self, dicom: Mapping[str, DicomHeader]) -> dict[str, pa.Table]:
        """The cohort's tables, imaging studies joined with the DICOM headers (parsed with DEFERRED)."""
        tables = {
            spec.name: pa.concat_tables(tables) if tables else spec.arrow_schema().empty_table()
            for spec, tables in zip(SILVER_TABLES, self.tables, strict=True)
        }
        tables[IMAGING_STUDY.name] = join_headers(tables[IMAGING_STUDY.name], dicom)
        return tables


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """No cyclic garbage collection while batches are parsed and written: the main process allocates
    many short-lived acyclic objects then (measured ~0.1 s of collections per 1.2 GB of bundles), and
    whatever cycles it makes are collected when this ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_workers(todo: Sequence[ManifestEntry], workers: int | None) -> int:
    """Parse processes for `todo`: as asked, else one per core when there is enough to parse."""
    if workers is not None:
        return max(0, workers)
    big = sum(e.bytes for e in todo) >= parse_pool.POOL_MIN_BYTES
    return parse_pool.default_workers() if big else 0


@dataclass
class _Parsing:
    """The files of a run by cohort (in manifest order), their parse jobs, and the parsed batches as
    they come back from the workers."""

    files: dict[str, list[ManifestEntry]]
    jobs: dict[str, list[BatchJob]]
    parsed: Iterator[ParsedBatch]


def _start_parse(pool: parse_pool.ParsePool, todo: Sequence[ManifestEntry]) -> _Parsing:
    """Hand `todo`'s parse jobs to the pool, cohort by cohort (the first `prefetch` at once)."""
    order = list(dict.fromkeys(e.cohort or "" for e in todo))
    files = {c: [e for e in todo if (e.cohort or "") == c] for c in order}
    jobs = {c: list(parse_pool.batches(c, ((e.path, e.name, e.bytes) for e in files[c]))) for c in order}
    return _Parsing(files, jobs, pool.map((job for c in order for job in jobs[c]), DEFERRED))


def _write_cohorts(
    lh: Lakehouse,
    pool: parse_pool.ParsePool,
    parsing: _Parsing,
    *,
    run_id: str,
    now: dt.datetime,
    totals: Totals,
    progress: Progress,
    manifest: Manifest,
) -> tuple[list[str], int]:
    """Write each cohort with one MERGE per table as its last batch comes back; returns the cohorts
    written and the files that took the orjson fallback. The DICOM headers are read while the workers
    parse (studies are joined with them here, see fhir.dicom_join)."""
    from scribe_lakehouse.local import silver_write

    fallbacks = 0
    written: list[str] = []
    cohort = _Cohort()
    ranks = source_ranks(manifest)
    dicom = dicom_index(lh, manifest)
    left = sum(len(jobs) for jobs in parsing.jobs.values())
    for batch in parsing.parsed:
        cohort.add(batch)
        progress.advance(batch.files)
        left -= 1
        if not left:
            pool.release()  # the workers exit while the last cohort is written
        if cohort.batches < len(parsing.jobs[batch.cohort]):
            continue
        files = parsing.files[batch.cohort]
        silver_write.write_batch(
            lh,
            cohort.arrow(dicom),
            dict(zip((s.name for s in SILVER_TABLES), cohort.seen, strict=True)),
            cohort.quarantine,
            files,
            run_id=run_id,
            now=now,
            totals=totals,
            ranks=ranks,
        )
        fallbacks += cohort.fallbacks
        written.append(batch.cohort)
        log.info(
            "cohort %s: %d file(s) merged into Silver (%d on the orjson fallback)",
            batch.cohort,
            len(files),
            cohort.fallbacks,
        )
        cohort = _Cohort()
    return written, fallbacks


def run(
    root: Path,
    *,
    cohorts: Sequence[str] | None = None,
    gold: bool = True,
    progress: Progress | None = None,
    workers: int | None = None,
    wait: bool = False,
    warm: parse_pool.WarmWorkers | None = None,
) -> RunSummary:
    """Parse every new or changed Bronze bundle into Silver (one MERGE per table per cohort), validate,
    and rebuild Gold when Silver moved. `workers` parse processes (0 = in-process); by default one per
    core when there is enough to parse, else in-process; `warm` ones started ahead (parse_pool.prestart)
    are used when there are as many. With `wait`, wait for the writer lock instead of failing (a Dagster
    step, when `watch` or a CLI run is writing: it then finds what is left)."""
    started = time.perf_counter()
    progress = progress or NullProgress()
    lh = Lakehouse(root)
    batches.require_bundles(Manifest.load(root))
    run_id = uuid.uuid4().hex[:16]
    now = dt.datetime.now(dt.UTC)
    with lh.lock(wait=wait):
        manifest = Manifest.load(root)  # again, under the lock: a landing may have finished meanwhile
        batches.require_cohorts(manifest, cohorts)
        todo = pending_files(lh, manifest, cohorts)
        fallbacks = 0
        parsed_cohorts: list[str] = []
        workers_used = parse_workers(todo, workers)
        with _no_cyclic_gc(), parse_pool.ParsePool(lh.root, now=now, workers=workers_used, warm=warm) as pool:
            parsing = _start_parse(pool, todo)
            # the workers parse meanwhile: the engines load, the tables are checked, the headers read
            from scribe_lakehouse.local import silver_write

            totals = silver_write.Totals()
            ensure_tables(lh)
            if todo:
                progress.start("Bronze → Silver", len(todo))
                parsed_cohorts, fallbacks = _write_cohorts(
                    lh,
                    pool,
                    parsing,
                    run_id=run_id,
                    now=now,
                    totals=totals,
                    progress=progress,
                    manifest=manifest,
                )
        validation: list[TableValidation] = []
        if todo:
            validation = record_validation(lh, manifest, run_id=run_id, now=now, totals=totals)
        elif last_parse_unvalidated(lh):
            log.warning("the last run that wrote Silver was interrupted before validating it: validating now")
            validation = record_validation(lh, manifest, run_id=run_id, now=now)
        gold_result = None
        if gold:
            # the key cache served the writes; free it before Gold. Not before validation: it holds the
            # workers' shared-memory batches, whose release takes ~35 ms after a full run, and a run
            # without Gold ends without freeing anything
            totals.keys.clear()
            gold_result = _gold_step(lh)
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
        fallback_files=fallbacks,
        workers=workers_used,
    )


def read_silver(lh: Lakehouse, columns: Mapping[str, Sequence[str]] | None = None) -> dict[str, pl.DataFrame]:
    """Every Silver table as Polars (read by Polars itself, the ten scans in parallel); only
    `columns[table]` when given."""
    import polars as pl

    from scribe_lakehouse.storage import delta

    scans = [delta.scan(lh.uri(spec)) for spec in SILVER_TABLES]
    if columns is not None:
        scans = [scan.select(columns[spec.name]) for scan, spec in zip(scans, SILVER_TABLES, strict=True)]
    return {spec.name: frame for spec, frame in zip(SILVER_TABLES, pl.collect_all(scans), strict=True)}


def record_validation(
    lh: Lakehouse,
    manifest: Manifest,
    *,
    run_id: str,
    now: dt.datetime,
    totals: Totals | None = None,
) -> list[TableValidation]:
    """Validate every Silver table and append the results to ingest_log. With `totals` (a run that parsed
    files) each table also gets this run's `reconciles` rule; without (the `validate` command) it gets
    the same rule over every run recorded in ingest_log."""
    import polars as pl

    from scribe_lakehouse.local import silver_write
    from scribe_lakehouse.local.validate import (
        ingest_log_reconciliation,
        validate_silver,
        validation_columns,
    )
    from scribe_lakehouse.storage import delta

    frames = read_silver(lh, validation_columns())
    results = validate_silver(frames, patient_bundles=patient_bundle_count(manifest))
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
    from scribe_lakehouse.storage import delta

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
    import polars as pl

    from scribe_lakehouse.local.validate import validate_table
    from scribe_lakehouse.storage import delta

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
        return _gold_step(lh, force=force)


def silver_counts(root: Path) -> dict[str, int]:
    from scribe_lakehouse.storage import delta

    lh = Lakehouse(root)
    return {s.name: delta.read_arrow(lh.uri(s), columns=[s.column_names[0]]).num_rows for s in SILVER_TABLES}


def table_arrow(root: Path, name: str) -> pa.Table:
    from scribe_lakehouse.storage import delta

    lh = Lakehouse(root)
    spec = next(s for s in (*SILVER_TABLES, *SYSTEM_TABLES) if s.name == name)
    return delta.read_arrow(lh.uri(spec))


def _gold_step(lh: Lakehouse, *, force: bool = False) -> GoldResult:
    from scribe_lakehouse.local.gold_step import build_gold_step

    return build_gold_step(lh, force=force)
