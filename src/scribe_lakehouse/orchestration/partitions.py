"""Cohorts as dynamic partitions: Bronze deals landed bundles into cohorts A, B, C, … (SPEC §2)."""

from __future__ import annotations

import dagster as dg

COHORTS_NAME = "cohorts"
COHORTS = dg.DynamicPartitionsDefinition(name=COHORTS_NAME)
