"""Silver validation with Polars: the registry's rules, evaluated rule by rule (the counts here, the
judgement and wording in the engine-free `scribe_lakehouse.validation`, shared with the Spark engine)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from scribe_lakehouse.registry import (
    SILVER_TABLES,
    ForeignKeyRule,
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


class _RefKeys:
    """The distinct values of each referenced column, computed once per validation (eight tables
    point at encounter_id: one `unique` of it, not eight)."""

    def __init__(self, frames: Mapping[str, pl.DataFrame]) -> None:
        self._frames = frames
        self._done: dict[tuple[str, str], pl.DataFrame] = {}

    def get(self, table: str, column: str) -> pl.DataFrame:
        found = self._done.get((table, column))
        if found is None:
            found = self._done[(table, column)] = self._frames[table].select(column).unique()
        return found


def _rule(rule: Rule, frame: pl.DataFrame, refs: _RefKeys) -> CheckResult:
    n = frame.height
    if isinstance(rule, RangeRule):
        bad = frame.filter(~pl.col(rule.column).is_between(rule.low, rule.high)).height
        return range_check(rule, bad)
    if isinstance(rule, ShareBelowRule):
        return share_below_check(rule, frame.filter(pl.col(rule.column) < rule.value).height, n)
    if isinstance(rule, ShareAllTrueRule):
        ok = frame.filter(pl.all_horizontal([pl.col(c).fill_null(False) for c in rule.columns])).height
        return share_all_true_check(rule, ok, n)
    ref = refs.get(rule.ref_table, rule.ref_column).rename({rule.ref_column: rule.column})
    keys = frame.select(rule.column).drop_nulls()
    # orphans = keys without a match; the referenced keys are unique, so each key matches at most one.
    # An inner join hashes the smaller side (an anti join always hashes the referenced keys): ~2x faster.
    orphans = keys.height - keys.join(ref, on=rule.column, how="inner").height
    return foreign_key_check(rule, orphans)


def validate_table(
    spec: TableSpec,
    frames: Mapping[str, pl.DataFrame],
    *,
    patient_bundles: int,
    refs: _RefKeys | None = None,
) -> TableValidation:
    frame = frames[spec.name]
    refs = refs if refs is not None else _RefKeys(frames)
    checks: list[CheckResult] = []
    for col in spec.required_columns:
        checks.append(not_null_check(col, frame.get_column(col).null_count()))
    if spec.primary_key:
        dupes = frame.height - frame.get_column(spec.primary_key).n_unique()
        checks.append(pk_unique_check(spec.primary_key, dupes))
    checks.append(min_rows_check(frame.height, spec.min_rows, patient_bundles=patient_bundles))
    checks.extend(_rule(rule, frame, refs) for rule in spec.rules)
    return TableValidation(spec.name, frame.height, tuple(checks))


def validation_columns() -> dict[str, list[str]]:
    """Per Silver table, the only columns the rules read (so validation need not load note text)."""
    wanted: dict[str, set[str]] = {s.name: set(s.required_columns) for s in SILVER_TABLES}
    for spec in SILVER_TABLES:
        if spec.primary_key:
            wanted[spec.name].add(spec.primary_key)
        for rule in spec.rules:
            if isinstance(rule, ShareAllTrueRule):
                wanted[spec.name].update(rule.columns)
            else:
                wanted[spec.name].add(rule.column)
            if isinstance(rule, ForeignKeyRule):
                wanted[rule.ref_table].add(rule.ref_column)
    return {s.name: [c for c in s.column_names if c in wanted[s.name]] for s in SILVER_TABLES}


def validate_silver(frames: Mapping[str, pl.DataFrame], *, patient_bundles: int) -> list[TableValidation]:
    """Validate all 10 Silver tables (frames keyed by table name)."""
    refs = _RefKeys(frames)
    return [
        validate_table(spec, frames, patient_bundles=patient_bundles, refs=refs) for spec in SILVER_TABLES
    ]
