"""The Gold contract gates (Fabric notebook 10): checks a corpus consumer can rely on, run in Spark.

Every row is validated against the contract's JSON Schema on the executors (`mapInArrow` over the
Gold table, one count per batch back to the driver), never collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from scribe_lakehouse.contract import CONTRACT_VERSION, to_json_ready, validate_rows
from scribe_lakehouse.corpus_manifest import CorpusManifest
from scribe_lakehouse.registry import ENCOUNTER, GOLD_ENCOUNTER_SUMMARY
from scribe_lakehouse.spark import delta
from scribe_lakehouse.spark.gold import summary_id
from scribe_lakehouse.spark.gold_step import silver_versions
from scribe_lakehouse.spark.schemas import table_schema

if TYPE_CHECKING:
    from scribe_lakehouse.spark.pipeline import SparkEngine


@dataclass(frozen=True)
class Gate:
    """One contract gate: passed, what was seen, what is required."""

    name: str
    passed: bool
    observed: str
    expected: str


def invalid_row_counts(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Executor side: how many rows of each Gold batch fail the contract's JSON Schema."""
    for batch in batches:
        rows = [to_json_ready(r) for r in batch.to_pylist()]
        bad = {int(p.split(":", 1)[0].removeprefix("row ")) for p in validate_rows(rows)}
        yield pa.record_batch({"rows": [batch.num_rows], "invalid": [len(bad)]})


def contract_gates(eng: SparkEngine) -> list[Gate]:
    """Every gate of the Gold contract on the current Gold table and corpus manifest."""
    from pyspark.sql import functions as F

    root = eng.root
    gold_ref = root.table(GOLD_ENCOUNTER_SUMMARY)
    if not delta.exists(gold_ref):
        return [Gate("gold_exists", False, "no table", f"{GOLD_ENCOUNTER_SUMMARY.qualified_name} built")]
    gold = delta.read(eng.spark, gold_ref)
    expected_schema = table_schema(GOLD_ENCOUNTER_SUMMARY)
    seen_columns = [(f.name, f.dataType.simpleString()) for f in gold.schema.fields]
    want_columns = [(f.name, f.dataType.simpleString()) for f in expected_schema.fields]
    gates = [
        Gate(
            "schema_matches_contract",
            seen_columns == want_columns,
            f"{len(seen_columns)} column(s)" + ("" if seen_columns == want_columns else " (differs)"),
            f"the {len(want_columns)} columns of contract {CONTRACT_VERSION}, in order",
        )
    ]
    required = [c.name for c in GOLD_ENCOUNTER_SUMMARY.columns if c.required]
    row = gold.agg(
        F.count(F.lit(1)).alias("n"),
        F.countDistinct("encounter_id").alias("encounters"),
        F.countDistinct("summary_id").alias("ids"),
        F.sum(F.when(F.col("summary_id") != summary_id(F.col("encounter_id")), 1).otherwise(0)).alias(
            "moved"
        ),
        *[F.sum(F.when(F.col(c).isNull(), 1).otherwise(0)).alias(f"null_{c}") for c in required],
    ).collect()[0]
    n = int(row["n"])
    silver_encounters = delta.read(eng.spark, root.table(ENCOUNTER)).count()
    nulls = {c: int(row[f"null_{c}"] or 0) for c in required}
    checked = gold.mapInArrow(invalid_row_counts, "rows long, invalid long").agg(
        F.sum("rows").alias("rows"), F.sum("invalid").alias("invalid")
    )
    valid = checked.collect()[0]
    invalid = int(valid["invalid"] or 0)
    manifest = CorpusManifest.read(root.lakehouse.corpus_manifest)
    current = silver_versions(root)
    gates += [
        Gate(
            "one_row_per_encounter",
            n == silver_encounters and int(row["encounters"]) == n,
            f"{n} row(s), {int(row['encounters'])} distinct encounter(s)",
            f"{silver_encounters} (silver.encounter rows), one each",
        ),
        Gate("summary_id_unique", int(row["ids"]) == n, f"{int(row['ids'])} distinct", f"{n} distinct"),
        Gate(
            "summary_id_stable",
            int(row["moved"] or 0) == 0,
            f"{int(row['moved'] or 0)} differ",
            "summary_id = UUIDv5(namespace, encounter_id)",
        ),
        Gate(
            "required_fields_present",
            not any(nulls.values()),
            ", ".join(f"{c}: {k}" for c, k in nulls.items() if k) or "no nulls",
            f"no nulls in {', '.join(required)}",
        ),
        Gate(
            "rows_match_json_schema",
            invalid == 0 and int(valid["rows"] or 0) == n,
            f"{invalid} invalid of {int(valid['rows'] or 0)}",
            "every row valid against schemas/gold_encounter_summary.json",
        ),
        Gate(
            "manifest_current",
            manifest is not None
            and manifest.contract_version == CONTRACT_VERSION
            and manifest.row_count == n
            and manifest.versions() == current,
            "missing"
            if manifest is None
            else f"contract {manifest.contract_version}, {manifest.row_count} rows, "
            + ("current" if manifest.versions() == current else "stale")
            + " Silver versions",
            f"contract {CONTRACT_VERSION}, {n} rows, the current Silver versions",
        ),
    ]
    return gates
