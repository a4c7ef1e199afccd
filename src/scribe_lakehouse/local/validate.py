"""Silver validation with Polars: the registry's rules, evaluated rule by rule (the counts here, the
judgement and wording in the engine-free `scribe_lakehouse.validation`, shared with the Spark engine)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from scribe_lakehouse.registry import (
    SILVER_TABLES,
    RangeRule,
    Rule,
    ShareAllTrueRule,
    ShareBelowRule,
    TableSpec,
)
from scribe_lakehouse.validation import (
    FULL_CORPUS_PATIENTS,
    RECONCILE_COUNTED,
    RECONCILE_PARTS,
    RECONCILES,
    CheckResult,
    TableValidation,
    foreign_key_check,
    ingest_log_reconciliation_check,
    min_rows_check,
    not_null_check,
    pk_unique_check,
    range_check,
    reconciliation,
    scaled_min_rows,
    share_all_true_check,
    share_below_check,
)

# re-exported for callers that import them from here
__all__ = [
    "FULL_CORPUS_PATIENTS",
    "RECONCILES",
    "CheckResult",
    "TableValidation",
    "ingest_log_reconciliation",
    "reconciliation",
    "scaled_min_rows",
    "validate_silver",
    "validate_table",
]


def ingest_log_reconciliation(ingest_log: pl.DataFrame, table: str) -> CheckResult:
    """The `reconciles` rule over every run recorded in silver.ingest_log that parsed files (rows with
    counts) for `table`: fails when any of them does not add up."""
    counted = ingest_log.filter(
        (pl.col("table") == table) & pl.all_horizontal(pl.col(c).is_not_null() for c in RECONCILE_COUNTED)
    )
    total = pl.sum_horizontal(pl.col(c).fill_null(0) for c in RECONCILE_PARTS)
    bad = counted.filter(pl.col("resources_seen") != total).height
    return ingest_log_reconciliation_check(bad_runs=bad, counted_runs=counted.height)


def _rule(rule: Rule, frame: pl.DataFrame, frames: Mapping[str, pl.DataFrame]) -> CheckResult:
    n = frame.height
    if isinstance(rule, RangeRule):
        bad = frame.filter(~pl.col(rule.column).is_between(rule.low, rule.high)).height
        return range_check(rule, bad)
    if isinstance(rule, ShareBelowRule):
        return share_below_check(rule, frame.filter(pl.col(rule.column) < rule.value).height, n)
    if isinstance(rule, ShareAllTrueRule):
        ok = frame.filter(pl.all_horizontal([pl.col(c).fill_null(False) for c in rule.columns])).height
        return share_all_true_check(rule, ok, n)
    ref = frames[rule.ref_table].select(pl.col(rule.ref_column).alias(rule.column)).unique()
    orphans = frame.select(rule.column).drop_nulls().join(ref, on=rule.column, how="anti").height
    return foreign_key_check(rule, orphans)


def validate_table(
    spec: TableSpec, frames: Mapping[str, pl.DataFrame], *, patient_bundles: int
) -> TableValidation:
    frame = frames[spec.name]
    checks: list[CheckResult] = []
    for col in spec.required_columns:
        checks.append(not_null_check(col, frame.get_column(col).null_count()))
    if spec.primary_key:
        dupes = frame.height - frame.get_column(spec.primary_key).n_unique()
        checks.append(pk_unique_check(spec.primary_key, dupes))
    checks.append(min_rows_check(frame.height, spec.min_rows, patient_bundles=patient_bundles))
    checks.extend(_rule(rule, frame, frames) for rule in spec.rules)
    return TableValidation(spec.name, frame.height, tuple(checks))


def validate_silver(frames: Mapping[str, pl.DataFrame], *, patient_bundles: int) -> list[TableValidation]:
    """Validate all 10 Silver tables (frames keyed by table name)."""
    return [validate_table(spec, frames, patient_bundles=patient_bundles) for spec in SILVER_TABLES]
