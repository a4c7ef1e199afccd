"""Silver validation as Spark aggregations: the registry's rules counted in Spark (one aggregate per
table plus one anti-join per foreign key), judged and worded by `scribe_lakehouse.validation`, and
appended to `silver.ingest_log` as the same rows the local engine writes."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from scribe_lakehouse.outcomes import Totals
from scribe_lakehouse.registry import (
    INGEST_LOG,
    SILVER,
    SILVER_TABLES,
    ForeignKeyRule,
    RangeRule,
    ShareAllTrueRule,
    ShareBelowRule,
    TableSpec,
)
from scribe_lakehouse.spark import delta
from scribe_lakehouse.spark.paths import SparkRoot
from scribe_lakehouse.spark.schemas import table_schema
from scribe_lakehouse.validation import (
    RECONCILE_COUNTED,
    RECONCILE_PARTS,
    CheckResult,
    TableValidation,
    foreign_key_check,
    ingest_log_reconciliation_check,
    ingest_log_rows,
    min_rows_check,
    not_null_check,
    pk_unique_check,
    range_check,
    reconciliation_check,
    share_all_true_check,
    share_below_check,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

log = logging.getLogger(__name__)


def _count_if(condition: Column, name: str) -> Column:
    from pyspark.sql import functions as F

    return F.sum(F.when(condition, 1).otherwise(0)).alias(name)


def validate_table(spec: TableSpec, frames: dict[str, DataFrame], *, patient_bundles: int) -> TableValidation:
    """Every rule of one table, counted in one Spark aggregate (+ one anti-join per foreign key)."""
    from pyspark.sql import functions as F

    frame = frames[spec.name]
    aggs: list[Column] = [F.count(F.lit(1)).alias("n")]
    aggs += [_count_if(F.col(c).isNull(), f"null_{i}") for i, c in enumerate(spec.required_columns)]
    if spec.primary_key:
        pk = F.col(spec.primary_key)
        aggs += [F.countDistinct(pk).alias("pk_distinct"), _count_if(pk.isNull(), "pk_nulls")]
    for i, rule in enumerate(spec.rules):
        column = None if isinstance(rule, ShareAllTrueRule) else F.col(rule.column)
        if isinstance(rule, RangeRule) and column is not None:
            aggs.append(_count_if(~column.between(rule.low, rule.high), f"rule_{i}"))
        elif isinstance(rule, ShareBelowRule) and column is not None:
            aggs.append(_count_if(column < rule.value, f"rule_{i}"))
        elif isinstance(rule, ShareAllTrueRule):
            every = F.lit(True)
            for c in rule.columns:
                every = every & F.coalesce(F.col(c), F.lit(False))
            aggs.append(_count_if(every, f"rule_{i}"))
    row = frame.agg(*aggs).collect()[0]
    n = int(row["n"])
    checks: list[CheckResult] = [
        not_null_check(c, int(row[f"null_{i}"] or 0)) for i, c in enumerate(spec.required_columns)
    ]
    if spec.primary_key:
        # Polars counts a null key as one distinct value; count it the same way here
        distinct = int(row["pk_distinct"]) + (1 if int(row["pk_nulls"] or 0) else 0)
        checks.append(pk_unique_check(spec.primary_key, n - distinct))
    checks.append(min_rows_check(n, spec.min_rows, patient_bundles=patient_bundles))
    for i, rule in enumerate(spec.rules):
        if isinstance(rule, RangeRule):
            checks.append(range_check(rule, int(row[f"rule_{i}"] or 0)))
        elif isinstance(rule, ShareBelowRule):
            checks.append(share_below_check(rule, int(row[f"rule_{i}"] or 0), n))
        elif isinstance(rule, ShareAllTrueRule):
            checks.append(share_all_true_check(rule, int(row[f"rule_{i}"] or 0), n))
        elif isinstance(rule, ForeignKeyRule):
            checks.append(foreign_key_check(rule, _orphans(frame, frames[rule.ref_table], rule)))
    return TableValidation(spec.name, n, tuple(checks))


def _orphans(frame: DataFrame, ref: DataFrame, rule: ForeignKeyRule) -> int:
    from pyspark.sql import functions as F

    keys = ref.select(F.col(rule.ref_column).alias(rule.column)).distinct()
    return int(
        frame.select(rule.column)
        .where(F.col(rule.column).isNotNull())
        .join(keys, rule.column, "left_anti")
        .count()
    )


def read_silver(spark: SparkSession, root: SparkRoot) -> dict[str, DataFrame]:
    return {spec.name: delta.read(spark, root.table(spec)) for spec in SILVER_TABLES}


def validate_silver(spark: SparkSession, root: SparkRoot, *, patient_bundles: int) -> list[TableValidation]:
    frames = read_silver(spark, root)
    return [validate_table(SILVER[t.name], frames, patient_bundles=patient_bundles) for t in SILVER_TABLES]


def ingest_log_reconciliation(spark: SparkSession, root: SparkRoot) -> dict[str, CheckResult]:
    """The `reconciles` rule per Silver table over every run recorded in silver.ingest_log that parsed
    files, counted in one Spark aggregate (as `local.validate.ingest_log_reconciliation` does in Polars)."""
    from pyspark.sql import functions as F

    history = delta.read(spark, root.table(INGEST_LOG))
    counted = history
    for column in RECONCILE_COUNTED:
        counted = counted.where(F.col(column).isNotNull())
    total = F.lit(0).cast("long")
    for column in RECONCILE_PARTS:
        total = total + F.coalesce(F.col(column), F.lit(0).cast("long"))
    rows = (
        counted.groupBy(F.col("table").alias("t"))
        .agg(F.count(F.lit(1)).alias("runs"), _count_if(F.col("resources_seen") != total, "bad"))
        .collect()
    )
    found = {str(r["t"]): (int(r["bad"] or 0), int(r["runs"])) for r in rows}
    return {
        spec.name: ingest_log_reconciliation_check(
            bad_runs=found.get(spec.name, (0, 0))[0], counted_runs=found.get(spec.name, (0, 0))[1]
        )
        for spec in SILVER_TABLES
    }


def record_validation(
    spark: SparkSession,
    root: SparkRoot,
    *,
    patient_bundles: int,
    run_id: str,
    now: dt.datetime,
    totals: Totals | None = None,
) -> list[TableValidation]:
    """Validate every Silver table and append the results to ingest_log. With `totals` (a run that
    parsed files) each table also gets this run's `reconciles` rule; without, the same rule over every
    run recorded in ingest_log — as the local engine does."""
    results = validate_silver(spark, root, patient_bundles=patient_bundles)
    if totals is not None:
        by_table = {s.table: s for s in totals.table_stats()}
        results = [r.with_check(reconciliation_check(by_table[r.table])) for r in results]
    else:
        history = ingest_log_reconciliation(spark, root)
        results = [r.with_check(history[r.table]) for r in results]
    rows = ingest_log_rows(results, totals, run_id=run_id, now=now)
    schema = table_schema(INGEST_LOG)
    frame = spark.createDataFrame([tuple(r[c] for c in INGEST_LOG.column_names) for r in rows], schema)
    delta.append(spark, root.table(INGEST_LOG), frame)
    failed = [r.table for r in results if not r.passed]
    if failed:
        log.warning("validation failed for %d table(s): %s", len(failed), ", ".join(failed))
    return results
