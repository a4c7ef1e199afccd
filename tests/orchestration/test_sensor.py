"""The Bronze sensor: takes stock of old cohorts (partitions, no runs), then requests exactly one run per
cohort landed (or changed) after it started; it finds and registers hand copies the way `watch` does,
and a file either of them registered is not registered again."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import dagster as dg
import pytest

from scribe_lakehouse.bronze.discovery import PLACED_SOURCE, cohort_fingerprints
from scribe_lakehouse.bronze.landing import Manifest, land
from scribe_lakehouse.bronze.watch import Watcher
from scribe_lakehouse.orchestration.partitions import COHORTS_NAME
from scribe_lakehouse.orchestration.resources import LakehouseResource
from scribe_lakehouse.orchestration.sensors import SensorCursor, bronze_cohort_sensor, changed_cohorts


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


def test_changed_cohorts_rule() -> None:
    assert bronze_cohort_sensor.job_name == "cohort_job"
    assert changed_cohorts(None, {"A": "1", "B": "2"}) == []
    assert changed_cohorts({"A": "1", "B": "2"}, {"A": "1", "B": "2", "C": "3", "D": "4"}) == ["C", "D"]
    assert changed_cohorts({"A": "1", "B": "2"}, {"A": "1", "B": "2"}) == []
    assert changed_cohorts({"A": "1", "B": "2"}, {"A": "1", "B": "5"}) == ["B"]


def test_sensor_skips_an_empty_root_and_counts_what_lands_later_as_new(tmp_path: Path) -> None:
    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(),
        resources={"lakehouse": LakehouseResource(root=str(tmp_path))},
    )
    assert isinstance(bronze_cohort_sensor(context), dg.SkipReason)
    assert SensorCursor.parse(context.cursor).cohorts == {}


@pytest.mark.integration
def test_sensor_requests_runs_only_for_cohorts_landed_after_it_started(corpus: Path, tmp_path: Path) -> None:
    root = tmp_path / "lh"
    land(corpus, root, cohorts=2, max_files=6)  # cohorts A and B land before the sensor starts
    instance = dg.DagsterInstance.ephemeral()

    first = _tick(instance, root, None)
    assert first.run_requests == []
    assert instance.get_dynamic_partitions(COHORTS_NAME) == ["A", "B"]
    assert first.cursor is not None and json.loads(first.cursor)["cohorts"] == cohort_fingerprints(root)

    quiet = _tick(instance, root, first.cursor)
    assert quiet.run_requests == [] and not quiet.dynamic_partitions_requests

    assert land(corpus, root, cohorts=1).cohorts == ("C",)  # the rest of the corpus lands as cohort C
    second = _tick(instance, root, quiet.cursor)
    c_print = cohort_fingerprints(root)["C"]
    assert [(r.partition_key, r.run_key) for r in second.run_requests or []] == [("C", f"cohort-C-{c_print}")]
    assert instance.get_dynamic_partitions(COHORTS_NAME) == ["A", "B", "C"]

    third = _tick(instance, root, second.cursor)
    assert third.run_requests == []


@pytest.mark.integration
def test_sensor_and_watch_register_hand_copies_once_and_agree_on_cohorts(
    corpus: Path, tmp_path: Path
) -> None:
    """A bundle copied into an existing cohort and one copied into a new cohort folder: whichever of the
    sensor and `watch` finds a file first registers it, the other does not register it again, and the
    sensor requests one run for the changed cohort and one for the new one."""
    root = tmp_path / "lh"
    land(corpus, root, cohorts=2, max_files=4)
    bundles = sorted(p for p in (corpus / "fhir").glob("*.json") if not p.name.startswith(("org", "prac")))
    instance = dg.DagsterInstance.ephemeral()
    cursor = _tick(instance, root, None).cursor  # takes stock of A and B

    into_b = root / "bronze/fhir/cohort=B" / bundles[-1].name
    shutil.copy(bundles[-1], into_b)
    seen = _tick(instance, root, cursor)  # first sight: it may still be being written
    assert seen.run_requests == [] and list(SensorCursor.parse(seen.cursor).settling) == [
        into_b.relative_to(root).as_posix()
    ]
    by_sensor = _tick(instance, root, seen.cursor)  # unchanged since the last tick: registered
    b_print = cohort_fingerprints(root)["B"]
    requested = [(r.partition_key, r.run_key) for r in by_sensor.run_requests or []]
    assert requested == [("B", f"cohort-B-{b_print}")]

    into_d = root / "bronze/fhir/cohort=D" / bundles[-2].name
    into_d.parent.mkdir()
    shutil.copy(bundles[-2], into_d)
    clock = [0.0]
    watcher = Watcher(root, settle=1.0, gold=False, clock=lambda: clock[0])
    first = watcher.cycle()
    assert (first.registered, first.waiting) == (0, 1)  # the sensor's registration is not repeated
    clock[0] += 2
    by_watch = watcher.cycle()
    assert (by_watch.registered, by_watch.updated, by_watch.files_parsed) == (1, 0, 1)
    assert first.files_parsed + by_watch.files_parsed == len(Manifest.load(root).fhir())  # each file once

    after = _tick(instance, root, by_sensor.cursor)  # D is registered: nothing to settle, one new cohort
    d_print = cohort_fingerprints(root)["D"]
    assert [(r.partition_key, r.run_key) for r in after.run_requests or []] == [("D", f"cohort-D-{d_print}")]
    assert SensorCursor.parse(after.cursor).settling == {}
    assert instance.get_dynamic_partitions(COHORTS_NAME) == ["A", "B", "D"]
    assert _tick(instance, root, after.cursor).run_requests == []

    entries = Manifest.load(root).entries
    assert len({e.path for e in entries}) == len(entries)  # one entry per file
    hand = sorted((e.path, e.source) for e in entries if e.source == PLACED_SOURCE)
    assert hand == sorted((p.relative_to(root).as_posix(), PLACED_SOURCE) for p in (into_b, into_d))


@pytest.mark.integration
def test_sensor_finds_a_same_size_rewrite_and_hashes_a_touched_file_once(
    corpus: Path, tmp_path: Path
) -> None:
    """A registered bundle rewritten in place with other bytes of the same size is registered again and
    its cohort gets a run; a registered file only touched (same bytes, newer mtime) is hashed once, gets
    no run, and is remembered in the cursor so later ticks do not hash it again."""
    root = tmp_path / "lh"
    land(corpus, root, cohorts=2, max_files=4)
    instance = dg.DagsterInstance.ephemeral()
    cursor = _tick(instance, root, None).cursor
    entries = sorted(Manifest.load(root).fhir(), key=lambda e: e.path)
    rewritten, touched = (next(e for e in entries if e.cohort == c) for c in ("A", "B"))
    time.sleep(1.1)  # the manifest keeps whole seconds: a change must come in a later second to be seen

    path = root / rewritten.path
    data = path.read_bytes()
    at = data.index(b'"id"')
    quote = data.index(b'"', data.index(b'"', at + 4) + 1)  # the opening quote of the first id's value
    swapped = data[: quote + 1] + (b"Z" if data[quote + 1 : quote + 2] != b"Z" else b"Y") + data[quote + 2 :]
    path.write_bytes(swapped)  # same size, other bytes
    (root / touched.path).touch()
    assert path.stat().st_size == rewritten.bytes

    first = _tick(instance, root, cursor)  # first sight of both: they may still be being written
    assert first.run_requests == []
    assert sorted(SensorCursor.parse(first.cursor).settling) == sorted([rewritten.path, touched.path])
    second = _tick(instance, root, first.cursor)  # unchanged since: hashed
    a_print = cohort_fingerprints(root)["A"]
    assert [(r.partition_key, r.run_key) for r in second.run_requests or []] == [("A", f"cohort-A-{a_print}")]
    now = Manifest.load(root).by_path()
    assert now[rewritten.path].sha256 != rewritten.sha256 and now[touched.path].sha256 == touched.sha256
    state = SensorCursor.parse(second.cursor)
    assert state.settling == {} and list(state.verified) == [touched.path]

    third = _tick(instance, root, second.cursor)
    assert third.run_requests == [] and SensorCursor.parse(third.cursor).settling == {}
    assert list(SensorCursor.parse(third.cursor).verified) == [touched.path]
