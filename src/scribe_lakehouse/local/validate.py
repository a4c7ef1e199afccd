"""Silver validation with Polars: the registry's rules, evaluated rule by rule (the counts here, the
judgement and wording in the engine-free `scribe_lakehouse.validation`, shared with the Spark engine)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from scribe_lakehouse.registry import (
    SILVER_TABLES,
    ForeignKeyRule,
    RangeRule,
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
    """The distinct values of each referenced column, planned once per validation (eight tables point
    at encounter_id: one `unique` of it, not eight)."""

    def __init__(self, frames: Mapping[str, pl.DataFrame]) -> None:
        self._frames = frames
        self._done: dict[tuple[str, str], pl.LazyFrame] = {}

    def get(self, table: str, column: str) -> pl.LazyFrame:
        found = self._done.get((table, column))
        if found is None:
            found = self._frames[table].lazy().select(column).unique().cache()
            self._done[(table, column)] = found
        return found


def _counts(spec: TableSpec, frame: pl.DataFrame, refs: _RefKeys) -> list[pl.LazyFrame]:
    """The counts `spec`'s rules need, as lazy one-row frames: first the table's own (rows, nulls per
    required column, distinct keys, one count per value rule), then, per foreign key rule, its non-null
    keys and how many of them match a referenced key (unique, so at most one each; an inner join lets
    Polars hash the smaller side)."""
    lazy = frame.lazy()
    exprs = [pl.len().alias("rows")]
    exprs += [pl.col(c).null_count().alias(f"null:{c}") for c in spec.required_columns]
    if spec.primary_key:
        exprs.append(pl.col(spec.primary_key).n_unique().alias("distinct"))
    plans: list[pl.LazyFrame] = []
    for i, rule in enumerate(spec.rules):
        if isinstance(rule, RangeRule):
            exprs.append((~pl.col(rule.column).is_between(rule.low, rule.high)).sum().alias(f"rule:{i}"))
        elif isinstance(rule, ShareBelowRule):
            exprs.append((pl.col(rule.column) < rule.value).sum().alias(f"rule:{i}"))
        elif isinstance(rule, ShareAllTrueRule):
            all_true = pl.all_horizontal([pl.col(c).fill_null(False) for c in rule.columns])
            exprs.append(all_true.sum().alias(f"rule:{i}"))
        else:
            keys = lazy.select(rule.column).drop_nulls()
            ref = refs.get(rule.ref_table, rule.ref_column).rename({rule.ref_column: rule.column})
            matched = keys.join(ref, on=rule.column, how="inner").select(pl.len().alias("matched"))
            plans.append(pl.concat([keys.select(pl.len().alias("keys")), matched], how="horizontal"))
    return [lazy.select(exprs), *plans]


def _checks(spec: TableSpec, counts: Sequence[pl.DataFrame], *, patient_bundles: int) -> TableValidation:
    """The table's check results, in registry order, from the collected `_counts`."""
    own = counts[0].row(0, named=True)
    keys = iter(counts[1:])
    n = int(own["rows"])
    checks = [not_null_check(col, int(own[f"null:{col}"])) for col in spec.required_columns]
    if spec.primary_key:
        checks.append(pk_unique_check(spec.primary_key, n - int(own["distinct"])))
    checks.append(min_rows_check(n, spec.min_rows, patient_bundles=patient_bundles))
    for i, rule in enumerate(spec.rules):
        if isinstance(rule, RangeRule):
            checks.append(range_check(rule, int(own[f"rule:{i}"])))
        elif isinstance(rule, ShareBelowRule):
            checks.append(share_below_check(rule, int(own[f"rule:{i}"]), n))
        elif isinstance(rule, ShareAllTrueRule):
            checks.append(share_all_true_check(rule, int(own[f"rule:{i}"]), n))
        else:
            found = next(keys).row(0, named=True)
            checks.append(foreign_key_check(rule, int(found["keys"]) - int(found["matched"])))
    return TableValidation(spec.name, n, tuple(checks))


def _validate(
    specs: Sequence[TableSpec], frames: Mapping[str, pl.DataFrame], *, patient_bundles: int
) -> list[TableValidation]:
    """Every count of every table in one `collect_all`: Polars runs them in parallel."""
    refs = _RefKeys(frames)
    plans = [_counts(spec, frames[spec.name], refs) for spec in specs]
    done = iter(pl.collect_all([plan for table in plans for plan in table]))
    return [
        _checks(spec, [next(done) for _ in table], patient_bundles=patient_bundles)
        for spec, table in zip(specs, plans, strict=True)
    ]


def validate_table(
    spec: TableSpec, frames: Mapping[str, pl.DataFrame], *, patient_bundles: int
) -> TableValidation:
    """One table's rules (`frames` holds it and the tables its foreign keys point at)."""
    return _validate([spec], frames, patient_bundles=patient_bundles)[0]


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
    return _validate(SILVER_TABLES, frames, patient_bundles=patient_bundles)
