"""Silver validation with Polars: the registry's rules, evaluated rule by rule."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from scribe_lakehouse.registry import (
    SILVER_TABLES,
    RangeRule,
    Rule,
    ShareAllTrueRule,
    ShareBelowRule,
    TableSpec,
)

FULL_CORPUS_PATIENTS = 100


@dataclass(frozen=True)
class CheckResult:
    """One rule on one table."""

    rule: str
    passed: bool
    observed: str
    expected: str


@dataclass(frozen=True)
class TableValidation:
    """Every rule's result for one table."""

    table: str
    row_count: int
    checks: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed_checks(self) -> list[str]:
        return [c.rule for c in self.checks if not c.passed]

    def with_check(self, check: CheckResult) -> TableValidation:
        return TableValidation(self.table, self.row_count, (*self.checks, check))


RECONCILES = "reconciles"
_RECONCILES_EXPECTED = "resources seen = rows written + rows quarantined + duplicates collapsed"


def reconciliation(*, seen: int, written: int, quarantined: int, duplicates: int) -> CheckResult:
    """The `reconciles` rule for one table in one run that parsed files: nothing seen went missing."""
    total = written + quarantined + duplicates
    sign = "=" if seen == total else "!="
    return CheckResult(
        RECONCILES,
        seen == total,
        f"{seen} {sign} {written} + {quarantined} + {duplicates}",
        _RECONCILES_EXPECTED,
    )


def ingest_log_reconciliation(ingest_log: pl.DataFrame, table: str) -> CheckResult:
    """The `reconciles` rule over every run recorded in silver.ingest_log that parsed files (rows with
    counts) for `table`: fails when any of them does not add up."""
    counted = ingest_log.filter(
        (pl.col("table") == table)
        & pl.col("resources_seen").is_not_null()
        & pl.col("rows_written").is_not_null()
    )
    parts = ("rows_written", "rows_quarantined", "duplicates_collapsed")
    total = pl.sum_horizontal(pl.col(c).fill_null(0) for c in parts)
    bad = counted.filter(pl.col("resources_seen") != total).height
    return CheckResult(
        RECONCILES,
        bad == 0,
        f"{bad} of {counted.height} run(s) do not add up",
        _RECONCILES_EXPECTED + ", in every run",
    )


def scaled_min_rows(min_rows: int, patient_bundles: int) -> tuple[int, str]:
    """The minimum row count, scaled down for demo corpora smaller than 100 patient bundles."""
    if min_rows == 0 or patient_bundles >= FULL_CORPUS_PATIENTS:
        return min_rows, f">= {min_rows}"
    scaled = math.ceil(min_rows * patient_bundles / FULL_CORPUS_PATIENTS)
    return scaled, f">= {scaled} ({min_rows} scaled to {patient_bundles} patient bundles)"


def _share(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def _rule(rule: Rule, frame: pl.DataFrame, frames: Mapping[str, pl.DataFrame]) -> CheckResult:
    n = frame.height
    if isinstance(rule, RangeRule):
        bad = frame.filter(~pl.col(rule.column).is_between(rule.low, rule.high)).height
        return CheckResult(
            rule.name, bad == 0, f"{bad} outside", f"{rule.column} in [{rule.low}, {rule.high}]"
        )
    if isinstance(rule, ShareBelowRule):
        share = _share(frame.filter(pl.col(rule.column) < rule.value).height, n)
        return CheckResult(
            rule.name,
            share <= rule.max_share,
            f"{share:.1%}",
            f"<= {rule.max_share:.0%} with {rule.column} < {rule.value}",
        )
    if isinstance(rule, ShareAllTrueRule):
        ok = frame.filter(pl.all_horizontal([pl.col(c).fill_null(False) for c in rule.columns])).height
        share = _share(ok, n) if n else 1.0
        return CheckResult(
            rule.name,
            share >= rule.min_share,
            f"{share:.1%}",
            f">= {rule.min_share:.0%} with {' & '.join(rule.columns)}",
        )
    ref = frames[rule.ref_table].select(pl.col(rule.ref_column).alias(rule.column)).unique()
    orphans = frame.select(rule.column).drop_nulls().join(ref, on=rule.column, how="anti").height
    return CheckResult(
        rule.name, orphans == 0, f"{orphans} orphan(s)", f"every {rule.column} in {rule.ref_table}"
    )


def validate_table(
    spec: TableSpec, frames: Mapping[str, pl.DataFrame], *, patient_bundles: int
) -> TableValidation:
    frame = frames[spec.name]
    checks: list[CheckResult] = []
    for col in spec.required_columns:
        nulls = frame.get_column(col).null_count()
        checks.append(CheckResult(f"not_null:{col}", nulls == 0, f"{nulls} null(s)", "0 nulls"))
    if spec.primary_key:
        dupes = frame.height - frame.get_column(spec.primary_key).n_unique()
        checks.append(
            CheckResult("pk_unique", dupes == 0, f"{dupes} duplicate(s)", f"{spec.primary_key} unique")
        )
    minimum, expected = scaled_min_rows(spec.min_rows, patient_bundles)
    checks.append(CheckResult("min_rows", frame.height >= minimum, str(frame.height), expected))
    checks.extend(_rule(rule, frame, frames) for rule in spec.rules)
    return TableValidation(spec.name, frame.height, tuple(checks))


def validate_silver(frames: Mapping[str, pl.DataFrame], *, patient_bundles: int) -> list[TableValidation]:
    """Validate all 10 Silver tables (frames keyed by table name)."""
    return [validate_table(spec, frames, patient_bundles=patient_bundles) for spec in SILVER_TABLES]
