"""The Bronze sensor: takes stock of old cohorts (partitions, no runs), then requests exactly one run per
cohort landed after it started."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.orchestration.partitions import COHORTS_NAME
from scribe_lakehouse.orchestration.resources import LakehouseResource
from scribe_lakehouse.orchestration.sensors import bronze_cohort_sensor, new_cohorts


def _tick(instance: dg.DagsterInstance, root: Path, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"lakehouse": LakehouseResource(root=str(root))},
    )
    result = bronze_cohort_sensor(context)
    assert isinstance(result, dg.SensorResult)
    for request in result.dynamic_partitions_requests or []:  # what the daemon does with them
        assert isinstance(request, dg.AddDynamicPartitionsRequest)
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def test_new_cohorts_rule() -> None:
    assert bronze_cohort_sensor.job_name == "cohort_job"
    assert new_cohorts(None, ["A", "B"]) == []
    assert new_cohorts(["A", "B"], ["A", "B", "C", "D"]) == ["C", "D"]
    assert new_cohorts(["A", "B"], ["A", "B"]) == []


def test_sensor_skips_an_empty_root(tmp_path: Path) -> None:
    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(),
        resources={"lakehouse": LakehouseResource(root=str(tmp_path))},
    )
    assert isinstance(bronze_cohort_sensor(context), dg.SkipReason)


@pytest.mark.integration
def test_sensor_requests_runs_only_for_cohorts_landed_after_it_started(corpus: Path, tmp_path: Path) -> None:
    root = tmp_path / "lh"
    land(corpus, root, cohorts=2, max_files=6)  # cohorts A and B land before the sensor starts
    instance = dg.DagsterInstance.ephemeral()

    first = _tick(instance, root, None)
    assert first.run_requests == []
    assert instance.get_dynamic_partitions(COHORTS_NAME) == ["A", "B"]
    assert first.cursor is not None and json.loads(first.cursor) == ["A", "B"]

    quiet = _tick(instance, root, first.cursor)
    assert quiet.run_requests == [] and not quiet.dynamic_partitions_requests

    assert land(corpus, root, cohorts=1).cohorts == ("C",)  # the rest of the corpus lands as cohort C
    second = _tick(instance, root, quiet.cursor)
    assert [(r.partition_key, r.run_key) for r in second.run_requests or []] == [("C", "cohort-C")]
    assert instance.get_dynamic_partitions(COHORTS_NAME) == ["A", "B", "C"]

    third = _tick(instance, root, second.cursor)
    assert third.run_requests == []
