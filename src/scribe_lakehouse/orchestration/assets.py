"""The asset graph: `bronze_fhir` (per cohort) → one parse-once multi-asset emitting the 10 Silver tables
→ `gold_encounter_summary`. Each asset calls the function the CLI calls (`local.pipeline`)."""

# No `from __future__ import annotations` here: Dagster reads these annotations at definition time.

from collections.abc import Iterator

import dagster as dg
from dagster import AssetExecutionContext

from scribe_lakehouse.bronze.landing import Manifest
from scribe_lakehouse.contract import CONTRACT_VERSION
from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.explore import render
from scribe_lakehouse.lakehouse import CORPUS_MANIFEST, Lakehouse
from scribe_lakehouse.local import pipeline
from scribe_lakehouse.orchestration import metadata as md
from scribe_lakehouse.orchestration.partitions import COHORTS
from scribe_lakehouse.orchestration.resources import LakehouseResource, LogProgress
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, PROCESSED_FILES, SILVER_TABLES
from scribe_lakehouse.storage import delta

BRONZE_KEY = dg.AssetKey("bronze_fhir")
SILVER_KEYS: dict[str, dg.AssetKey] = {s.name: dg.AssetKey(f"silver_{s.name}") for s in SILVER_TABLES}
GOLD_KEY = dg.AssetKey("gold_encounter_summary")
GOLD_SAMPLE_COLUMNS = [
    "summary_id",
    "encounter_date",
    "encounter_type",
    "patient_age",
    "patient_gender",
    "active_conditions",
    "active_medications",
    "has_ecg",
    "has_genomics",
]


@dg.asset(
    key=BRONZE_KEY,
    partitions_def=COHORTS,
    group_name="bronze",
    kinds={"json"},
    description=(
        "The raw FHIR R4 bundles of one cohort as landed by `scribe-lakehouse ingest`: "
        "`bronze/fhir/cohort=<label>/*.json`, append-only, one sha256 per file in "
        "`bronze/_metadata/manifest.json`. Materializing checks that every landed file is on disk."
    ),
)
def bronze_fhir(context: AssetExecutionContext, lakehouse: LakehouseResource) -> dg.MaterializeResult[None]:
    cohort = context.partition_key
    root = lakehouse.path
    manifest = Manifest.load(root)
    files = manifest.fhir([cohort])
    if not files:
        raise ConfigError(f"cohort {cohort} has no landed FHIR bundles under this root")
    missing = [e for e in files if not (root / e.path).is_file()]
    if missing:
        raise ConfigError(f"cohort {cohort}: {len(missing)} landed file(s) are missing from Bronze")
    lh = Lakehouse(root)
    pending = (
        len(pipeline.pending_files(lh, manifest, [cohort]))
        if delta.exists(lh.uri(PROCESSED_FILES))
        else len(files)
    )
    context.log.info("cohort %s: %d bundle(s), %d not yet in Silver", cohort, len(files), pending)
    return dg.MaterializeResult(
        metadata={
            "files": dg.MetadataValue.int(len(files)),
            "bytes": dg.MetadataValue.int(sum(e.bytes for e in files)),
            "reference_bundles": dg.MetadataValue.int(sum(e.is_reference_bundle for e in files)),
            "pending_for_silver": dg.MetadataValue.int(pending),
            "first_landed_at": dg.MetadataValue.text(min(e.landed_at for e in files)),
            "path": dg.MetadataValue.path(str(root / "bronze" / "fhir" / f"cohort={cohort}")),
        }
    )


@dg.multi_asset(
    name="silver_tables",
    partitions_def=COHORTS,
    specs=[
        dg.AssetSpec(
            SILVER_KEYS[spec.name],
            deps=[BRONZE_KEY],
            description=md.describe(spec),
            group_name="silver",
            kinds={"delta", "polars"},
            metadata={
                "dagster/column_schema": dg.MetadataValue.table_schema(md.column_schema(spec)),
                "primary_key": dg.MetadataValue.text(spec.primary_key or ""),
                "fhir_source": dg.MetadataValue.text(spec.source),
            },
        )
        for spec in SILVER_TABLES
    ],
)
def silver_tables(
    context: AssetExecutionContext, lakehouse: LakehouseResource
) -> Iterator[dg.MaterializeResult[None]]:
    """Parse the cohort's new or changed bundles once and MERGE them into all 10 Silver tables."""
    cohort = context.partition_key
    summary = pipeline.run(
        lakehouse.path, cohorts=[cohort], gold=False, progress=LogProgress(context.log), wait=True
    )
    context.log.info(
        "cohort %s: %d file(s) parsed, %d quarantined, validation %s",
        cohort,
        summary.files_parsed,
        summary.quarantined,
        "passed" if summary.passed else "failed",
    )
    stats = {t.table: t for t in summary.tables}
    checked = {v.table: v for v in summary.validation}
    lh = Lakehouse(lakehouse.path)
    for spec in SILVER_TABLES:
        table = pipeline.table_arrow(lakehouse.path, spec.name)
        meta = md.table_metadata(spec, table, uri=lh.uri(spec), version=delta.version(lh.uri(spec)))
        meta["this_run"] = (
            md.run_stats(stats[spec.name])
            if summary.files_parsed
            else dg.MetadataValue.text(f"nothing new in cohort {cohort}")
        )
        if spec.name in checked:
            failed = checked[spec.name].failed_checks
            meta["validation"] = dg.MetadataValue.text(
                "passed" if not failed else "failed: " + ", ".join(failed)
            )
        meta["sample_rows"] = dg.MetadataValue.md(md.sample_rows(table, spec))
        yield dg.MaterializeResult(asset_key=SILVER_KEYS[spec.name], metadata=meta)


@dg.asset(
    key=GOLD_KEY,
    deps=list(SILVER_KEYS.values()),
    group_name="gold",
    kinds={"delta", "polars"},
    description=(
        f"{GOLD_ENCOUNTER_SUMMARY.grain} Corpus contract {CONTRACT_VERSION}; rebuilt from Silver when Silver "
        f"moved (changed rows MERGEd on `summary_id`), with `{CORPUS_MANIFEST}`."
    ),
    metadata={
        "dagster/column_schema": dg.MetadataValue.table_schema(md.column_schema(GOLD_ENCOUNTER_SUMMARY)),
        "contract_version": dg.MetadataValue.text(CONTRACT_VERSION),
    },
)
def gold_encounter_summary(
    context: AssetExecutionContext, lakehouse: LakehouseResource
) -> dg.MaterializeResult[None]:
    result = pipeline.gold(lakehouse.path, wait=True)
    context.log.info("Gold %s: %d rows", "rebuilt" if result.changed else "unchanged", result.row_count)
    lh = Lakehouse(lakehouse.path)
    uri = lh.uri(GOLD_ENCOUNTER_SUMMARY)
    table = delta.read_arrow(uri)
    meta = md.table_metadata(GOLD_ENCOUNTER_SUMMARY, table, uri=uri, version=result.version)
    meta |= {
        "contract_version": dg.MetadataValue.text(CONTRACT_VERSION),
        "changed": dg.MetadataValue.bool(result.changed),
        "rows_inserted": dg.MetadataValue.int(result.inserted),
        "rows_updated": dg.MetadataValue.int(result.updated),
        "rows_deleted": dg.MetadataValue.int(result.deleted),
        "corpus_manifest": dg.MetadataValue.path(str(lh.corpus_manifest)),
        "sample_rows": dg.MetadataValue.md(
            md.sample_rows(table, GOLD_ENCOUNTER_SUMMARY, columns=GOLD_SAMPLE_COLUMNS)
        ),
    }
    if result.stats is not None:
        meta["corpus_stats"] = md.corpus_stats(result.stats)
    index = render.pick_encounter(table)
    if index is not None:
        meta["sample_encounter_card"] = dg.MetadataValue.md(render.encounter_card(table, index))
    return dg.MaterializeResult(metadata=meta)


COHORT_JOB = dg.define_asset_job(
    "cohort_job",
    selection=dg.AssetSelection.assets(BRONZE_KEY, *SILVER_KEYS.values()),
    description="One cohort: Bronze check → Silver (parse once, MERGE 10 tables) → the Silver checks.",
)
GOLD_JOB = dg.define_asset_job(
    "gold_job",
    selection=dg.AssetSelection.assets(GOLD_KEY),
    description="Rebuild the Gold corpus and its manifest from Silver, then check the contract.",
)
