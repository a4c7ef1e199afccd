"""Validation results and the wording of every check, engine-free: the local engine (Polars) and the
Spark engine count, these functions judge and word, so both write the same `silver.ingest_log` rows."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scribe_lakehouse.fhir.model import Row
from scribe_lakehouse.registry import ForeignKeyRule, RangeRule, ShareAllTrueRule, ShareBelowRule

if TYPE_CHECKING:
    from scribe_lakehouse.outcomes import TableRunStats, Totals

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


def scaled_min_rows(min_rows: int, patient_bundles: int) -> tuple[int, str]:
    """The minimum row count, scaled down for demo corpora smaller than 100 patient bundles."""
    if min_rows == 0 or patient_bundles >= FULL_CORPUS_PATIENTS:
        return min_rows, f">= {min_rows}"
    scaled = math.ceil(min_rows * patient_bundles / FULL_CORPUS_PATIENTS)
    return scaled, f">= {scaled} ({min_rows} scaled to {patient_bundles} patient bundles)"


def _share(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


# --- one function per check: the engines pass counts, these decide and word the result ---


def not_null_check(column: str, nulls: int) -> CheckResult:
    return CheckResult(f"not_null:{column}", nulls == 0, f"{nulls} null(s)", "0 nulls")


def pk_unique_check(primary_key: str, duplicates: int) -> CheckResult:
    return CheckResult("pk_unique", duplicates == 0, f"{duplicates} duplicate(s)", f"{primary_key} unique")


def min_rows_check(rows: int, min_rows: int, *, patient_bundles: int) -> CheckResult:
    minimum, expected = scaled_min_rows(min_rows, patient_bundles)
    return CheckResult("min_rows", rows >= minimum, str(rows), expected)


def range_check(rule: RangeRule, outside: int) -> CheckResult:
    return CheckResult(
        rule.name, outside == 0, f"{outside} outside", f"{rule.column} in [{rule.low}, {rule.high}]"
    )


def share_below_check(rule: ShareBelowRule, below: int, rows: int) -> CheckResult:
    share = _share(below, rows)
    return CheckResult(
        rule.name,
        share <= rule.max_share,
        f"{share:.1%}",
        f"<= {rule.max_share:.0%} with {rule.column} < {rule.value}",
    )


def share_all_true_check(rule: ShareAllTrueRule, all_true: int, rows: int) -> CheckResult:
    share = _share(all_true, rows) if rows else 1.0
    return CheckResult(
        rule.name,
        share >= rule.min_share,
        f"{share:.1%}",
        f">= {rule.min_share:.0%} with {' & '.join(rule.columns)}",
    )


def foreign_key_check(rule: ForeignKeyRule, orphans: int) -> CheckResult:
    return CheckResult(
        rule.name, orphans == 0, f"{orphans} orphan(s)", f"every {rule.column} in {rule.ref_table}"
    )


RECONCILES = "reconciles"
_RECONCILES_EXPECTED = "resources seen = rows written + rows quarantined + duplicates collapsed"
# ingest_log columns of the rule: runs that parsed files have the first two non-null; the parts of the
# sum count a null as 0
RECONCILE_COUNTED = ("resources_seen", "rows_written")
RECONCILE_PARTS = ("rows_written", "rows_quarantined", "duplicates_collapsed")


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


def reconciliation_check(stats: TableRunStats) -> CheckResult:
    """The `reconciles` rule for one table in one run that parsed files."""
    return reconciliation(
        seen=stats.seen, written=stats.written, quarantined=stats.quarantined, duplicates=stats.duplicates
    )


def ingest_log_reconciliation_check(*, bad_runs: int, counted_runs: int) -> CheckResult:
    """The `reconciles` rule over every run recorded in silver.ingest_log that parsed files for a table
    (rows with `RECONCILE_COUNTED` non-null): fails when `bad_runs` of them do not add up."""
    return CheckResult(
        RECONCILES,
        bad_runs == 0,
        f"{bad_runs} of {counted_runs} run(s) do not add up",
        _RECONCILES_EXPECTED + ", in every run",
    )


def ingest_log_rows(
    results: Sequence[TableValidation], totals: Totals | None, *, run_id: str, now: dt.datetime
) -> list[Row]:
    """`silver.ingest_log` rows (registry columns) for one validation run, with this run's
    reconciliation counts when it parsed files (`totals`), else nulls."""

    def count(field_name: str, table: str) -> int | None:
        return None if totals is None else int(getattr(totals, field_name)[table])

    return [
        {
            "run_id": run_id,
            "table": r.table,
            "row_count": r.row_count,
            "passed": r.passed,
            "failed_checks": r.failed_checks,
            "resources_seen": count("seen", r.table),
            "rows_written": count("written", r.table),
            "rows_inserted": count("inserted", r.table),
            "rows_updated": count("updated", r.table),
            "rows_quarantined": count("quarantined_by_table", r.table),
            "duplicates_collapsed": count("duplicates", r.table),
            "detail_json": json.dumps(
                [
                    {"rule": c.rule, "passed": c.passed, "observed": c.observed, "expected": c.expected}
                    for c in r.checks
                ]
            ),
            "ingest_timestamp": now,
        }
        for r in results
    ]
