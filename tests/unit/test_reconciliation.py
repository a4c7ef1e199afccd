"""The `reconciles` rule: seen = written + quarantined + duplicates, per run and over silver.ingest_log."""

from __future__ import annotations

import polars as pl

from scribe_lakehouse.local.validate import ingest_log_reconciliation, reconciliation


def test_rule_for_one_run() -> None:
    ok = reconciliation(seen=10, written=7, quarantined=2, duplicates=1)
    assert (ok.rule, ok.passed, ok.observed) == ("reconciles", True, "10 = 7 + 2 + 1")
    lost = reconciliation(seen=10, written=7, quarantined=2, duplicates=0)
    assert (lost.passed, lost.observed) == (False, "10 != 7 + 2 + 0")


def test_rule_over_the_ingest_log_counts_only_runs_that_parsed_files() -> None:
    log = pl.DataFrame(
        {
            "table": ["patient", "patient", "patient", "encounter"],
            "resources_seen": [5, None, 4, 9],  # None: a `validate` run, which parsed nothing
            "rows_written": [5, None, 3, 1],
            "rows_quarantined": [0, None, 0, 0],
            "duplicates_collapsed": [0, None, 0, 0],
        }
    )
    patient = ingest_log_reconciliation(log, "patient")
    assert (patient.passed, patient.observed) == (False, "1 of 2 run(s) do not add up")
    assert ingest_log_reconciliation(log.head(2), "patient").passed
    nothing = ingest_log_reconciliation(log, "condition")
    assert (nothing.passed, nothing.observed) == (True, "0 of 0 run(s) do not add up")
