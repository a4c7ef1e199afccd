"""A sensor on the Bronze landing folder: registers new cohorts as partitions and requests their runs.

Its cursor is the list of cohorts it has seen. The first tick takes stock (registers every landed cohort
as a partition, requests nothing: those cohorts were there before the sensor started); each later tick
requests one `cohort_job` run per cohort landed since. Gold stays manual (`gold_job`).
"""

# No `from __future__ import annotations` here: Dagster reads these annotations at definition time.

import json

import dagster as dg

from scribe_lakehouse.bronze.landing import Manifest
from scribe_lakehouse.orchestration.assets import COHORT_JOB
from scribe_lakehouse.orchestration.partitions import COHORTS, COHORTS_NAME
from scribe_lakehouse.orchestration.resources import LakehouseResource


def new_cohorts(seen: list[str] | None, landed: list[str]) -> list[str]:
    """Cohorts landed since the sensor took stock; none on its first tick (`seen` is None)."""
    if seen is None:
        return []
    known = set(seen)
    return [c for c in landed if c not in known]


@dg.sensor(
    job=COHORT_JOB,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Watches bronze/_metadata/manifest.json; each newly landed cohort gets a partition and a run."
    ),
)
def bronze_cohort_sensor(
    context: dg.SensorEvaluationContext, lakehouse: LakehouseResource
) -> dg.SensorResult | dg.SkipReason:
    landed = Manifest.load(lakehouse.path).cohorts()
    if not landed:
        return dg.SkipReason("no cohorts landed in Bronze yet")
    seen = json.loads(context.cursor) if context.cursor else None
    registered = set(context.instance.get_dynamic_partitions(COHORTS_NAME))
    to_register = [c for c in landed if c not in registered]
    fresh = new_cohorts(seen, landed)
    if seen is None:
        context.log.info("took stock of %d landed cohort(s); runs start with the next new one", len(landed))
    elif fresh:
        context.log.info("new cohort(s) landed: %s", ", ".join(fresh))
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"cohort-{c}", partition_key=c) for c in fresh],
        dynamic_partitions_requests=[COHORTS.build_add_request(to_register)] if to_register else [],
        cursor=json.dumps(landed),
    )
