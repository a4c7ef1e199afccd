"""The Dagster code location: assembles the assets, checks, jobs, sensor and resource (no logic here).

`dagster dev -m scribe_lakehouse.orchestration.definitions` (or `scribe-lakehouse ui`) loads `defs`; the
lakehouse root comes from `$LAKEHOUSE_ROOT` (default `./lakehouse`).
"""

from __future__ import annotations

import dagster as dg

from scribe_lakehouse.orchestration.assets import (
    COHORT_JOB,
    GOLD_JOB,
    bronze_fhir,
    gold_encounter_summary,
    silver_tables,
)
from scribe_lakehouse.orchestration.checks import SILVER_CHECKS, gold_contract
from scribe_lakehouse.orchestration.resources import LakehouseResource
from scribe_lakehouse.orchestration.sensors import bronze_cohort_sensor

ASSETS = [bronze_fhir, silver_tables, gold_encounter_summary]
CHECKS = [*SILVER_CHECKS, gold_contract]

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[COHORT_JOB, GOLD_JOB],
    sensors=[bronze_cohort_sensor],
    resources={"lakehouse": LakehouseResource.from_env()},
)
