"""The Spark engine: Bronze → Silver (only what is new or changed) → validation → Gold, on any Spark
session (Sail, Spark Connect, Fabric, Databricks). The steps are public so Fabric notebooks can run
them one by one; each holds the root's writer lock (the local engine's, re-entrant), and `run` chains
them under it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scribe_lakehouse.batches import patient_bundle_count, require_bundles, require_cohorts
from scribe_lakehouse.bronze.landing import Manifest
from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.outcomes import GoldResult, RunSummary, Totals
from scribe_lakehouse.progress import NullProgress, Progress
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER_TABLES, SYSTEM_TABLES
from scribe_lakehouse.spark import delta, silver
from scribe_lakehouse.spark.gold_step import build_gold_step
from scribe_lakehouse.spark.paths import SparkRoot
from scribe_lakehouse.spark.session import is_sail, prepare
from scribe_lakehouse.spark.validate import record_validation
from scribe_lakehouse.validation import TableValidation

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

CDF_OFF_NOTE = (
    "Change Data Feed is off: this Spark engine (Sail) does not support it, so tables were created "
    "without delta.enableChangeDataFeed (it is on when the engine supports it, e.g. Fabric or Databricks)"
)


@dataclass(frozen=True)
class SparkEngine:
    """A session, the root it writes, and whether new tables get Change Data Feed."""

    spark: SparkSession
    root: SparkRoot
    cdf: bool

    @classmethod
    def on(cls, spark: SparkSession, root: Path | SparkRoot, *, cdf: bool | None = None) -> SparkEngine:
        """Prepare `spark` (UTC session time zone) for `root`; `cdf` None = on unless the engine is Sail."""
        prepare(spark)
        spark_root = root if isinstance(root, SparkRoot) else SparkRoot.on_disk(root)
        return cls(spark, spark_root, (not is_sail(spark)) if cdf is None else cdf)

    @property
    def notes(self) -> tuple[str, ...]:
        return () if self.cdf else (CDF_OFF_NOTE,)

    def lock(self) -> AbstractContextManager[None]:
        """The root's writer lock (`Lakehouse.lock`: a second writer fails with one clear line)."""
        return self.root.lakehouse.lock()

    def manifest(self) -> Manifest:
        return require_bundles(Manifest.load(self.root.local))


def check_writable(eng: SparkEngine) -> None:
    """An engine without Change Data Feed (Sail) cannot write tables that have it on — the local
    engine creates every table with CDF — so say so before touching anything."""
    if eng.cdf:
        return
    specs = (*SILVER_TABLES, *SYSTEM_TABLES, GOLD_ENCOUNTER_SUMMARY)
    with_cdf = [s.path for s in specs if delta.change_data_feed(eng.root.table(s).path)]
    if with_cdf:
        raise ConfigError(
            f"{len(with_cdf)} table(s) under this root (e.g. {with_cdf[0]}) have Change Data Feed on, "
            "as the local engine creates them; this Spark engine (Sail) cannot write such tables: use a "
            "fresh --root for Sail, or run this root with the local engine or a Delta-enabled Spark"
        )


def _require_silver(eng: SparkEngine) -> None:
    if not delta.exists(eng.root.table(SILVER_TABLES[0])):
        raise ConfigError("no Silver tables under this root: run `run` first")


# --- steps (Fabric notebooks 02-09 call these one by one) ---


def stage_pending(eng: SparkEngine, *, cohorts: Sequence[str] | None = None) -> silver.StagedBatch | None:
    """Create missing tables, find the Bronze files not yet in Silver, parse them into the scratch
    folder. None when there is nothing new."""
    eng.manifest()  # fails clearly before taking the lock (and creating the root)
    with eng.lock():
        manifest = eng.manifest()  # again, under the lock: a landing may have finished meanwhile
        require_cohorts(manifest, cohorts)
        check_writable(eng)
        silver.ensure_tables(eng.spark, eng.root, cdf=eng.cdf)
        todo = silver.pending_files(eng.spark, eng.root, manifest, cohorts)
        if not todo:
            silver.clear_staging(eng.root)
            log.info("Bronze → Silver: nothing new or changed")
            return None
        return silver.stage(eng.spark, eng.root, manifest, todo)


def _batch(eng: SparkEngine) -> silver.StagedBatch | None:
    return silver.current_batch(eng.root)


def merge_silver(eng: SparkEngine, tables: Iterable[str] | None = None) -> dict[str, dict[str, int]]:
    """MERGE the staged batch into the given Silver tables (default all); {} when nothing is staged."""
    with eng.lock():
        batch = _batch(eng)
        return {} if batch is None else silver.merge_tables(eng.spark, eng.root, batch, tables)


def finalize_silver(eng: SparkEngine) -> int:
    """Quarantine and processed-file marks of the staged batch; returns the quarantined count."""
    with eng.lock():
        batch = _batch(eng)
        return 0 if batch is None else silver.finalize(eng.spark, eng.root, batch)


def validate(eng: SparkEngine) -> list[TableValidation]:
    """Validate Silver, append to ingest_log (with the staged batch's counts and `reconciles` rule when
    one was just merged, else the rule over every run in ingest_log), and clear the scratch folder."""
    _require_silver(eng)
    with eng.lock():
        _require_silver(eng)
        return _validate(eng)


def _validate(eng: SparkEngine) -> list[TableValidation]:
    batch = _batch(eng)
    manifest = Manifest.load(eng.root.local)
    results = record_validation(
        eng.spark,
        eng.root,
        patient_bundles=patient_bundle_count(manifest),
        run_id=batch.run_id if batch else uuid.uuid4().hex[:16],
        now=batch.now if batch else dt.datetime.now(dt.UTC),
        totals=batch.totals() if batch else None,
    )
    silver.clear_staging(eng.root)
    return results


def gold(eng: SparkEngine, *, force: bool = False) -> GoldResult:
    """Rebuild Gold and its manifest from Silver when Silver moved (or with `force`)."""
    _require_silver(eng)
    with eng.lock():
        _require_silver(eng)
        check_writable(eng)
        return build_gold_step(eng.spark, eng.root, cdf=eng.cdf, force=force)


# --- the whole run ---


def run(
    eng: SparkEngine,
    *,
    cohorts: Sequence[str] | None = None,
    gold_step: bool = True,
    progress: Progress | None = None,
) -> RunSummary:
    """Parse every new or changed Bronze bundle into Silver (one MERGE per table per cohort), validate,
    and rebuild Gold when Silver moved — all under the root's writer lock. A run that finds Silver
    written after the last validation in ingest_log (a run killed before validating) validates it."""
    started = time.perf_counter()
    progress = progress or NullProgress()
    eng.manifest()
    with eng.lock():
        batch = stage_pending(eng, cohorts=cohorts)
        validation: list[TableValidation] = []
        totals = Totals()
        if batch is not None:
            progress.start("Bronze → Silver (Spark)", len(SILVER_TABLES) + 1)
            for spec in SILVER_TABLES:
                silver.merge_tables(eng.spark, eng.root, batch, [spec.name])
                progress.advance(1)
            silver.finalize(eng.spark, eng.root, batch)
            progress.advance(1)
            totals = batch.totals()
            validation = validate(eng)
        elif silver.last_parse_unvalidated(eng.spark, eng.root):
            log.warning("the last run that wrote Silver was interrupted before validating it: validating now")
            validation = validate(eng)
        gold_result = gold(eng) if gold_step else None
    files = batch.files if batch is not None else ()
    return RunSummary(
        run_id=batch.run_id if batch is not None else uuid.uuid4().hex[:16],
        files_parsed=len(files),
        bytes_parsed=sum(e.bytes for e in files),
        cohorts=tuple(dict.fromkeys(e.cohort or "" for e in files)),
        tables=tuple(totals.table_stats()),
        quarantined=totals.quarantined,
        validation=tuple(validation),
        gold=gold_result,
        seconds=time.perf_counter() - started,
        notes=eng.notes,
        engine="spark",
    )


def run_on_spark(
    root: Path,
    *,
    remote: str | None = None,
    cohorts: Sequence[str] | None = None,
    gold_step: bool = True,
    progress: Progress | None = None,
) -> RunSummary:
    """`run --engine spark`: on the Spark Connect server `remote`, or on a local Sail server started
    on 127.0.0.1 for this run and stopped at its end."""
    from scribe_lakehouse.spark.session import spark_session

    with spark_session(remote) as session:
        summary = run(
            SparkEngine.on(session.spark, root), cohorts=cohorts, gold_step=gold_step, progress=progress
        )
    where = (
        f"Spark Connect at {remote}" if remote else "a local Sail server (started and stopped by this run)"
    )
    return dataclasses.replace(summary, notes=(f"engine: {where}", *summary.notes))
