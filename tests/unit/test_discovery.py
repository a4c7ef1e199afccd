"""`bronze.discovery`: what `watch` and the Dagster sensor both see — files a running landing has planned
are left to it (and their cohort is not settled) until it ends; after a landing was killed they count as
placed files; a file registered once is not registered again."""

from __future__ import annotations

import json
from pathlib import Path

from scribe_lakehouse.bronze.discovery import (
    PLACED_SOURCE,
    cohort_fingerprints,
    logical_name,
    register,
    scan,
)
from scribe_lakehouse.bronze.landing import Manifest, land
from scribe_lakehouse.bronze.manifest import landing_lock, landing_running
from scribe_lakehouse.bronze.plan import PlanItem, save_plan


def _bundle(path: Path, n: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"resourceType": "Bundle", "entry": [], "n": n}))


def test_a_running_landings_files_and_cohorts_are_left_to_it(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _bundle(src / "fhir" / "a.json", 1)
    root = tmp_path / "lh"
    land(src, root, cohorts=1)  # cohort A
    planned = root / "bronze/fhir/cohort=B/b.json"
    _bundle(planned, 2)  # renamed into place by the landing, not recorded yet
    _bundle(root / "bronze/fhir/cohort=B/b~0123456789ab.json", 3)  # a new version it wrote
    placed = root / "bronze/fhir/cohort=A/hand.json"
    _bundle(placed, 4)
    rel = planned.relative_to(root).as_posix()
    save_plan(root, [PlanItem("fhir", "b.json", "B", rel, planned.stat().st_size, None, "x")], start=1)

    with landing_lock(root):  # the landing is running
        assert landing_running(root)
        assert [f.rel for f in scan(root).files] == [
            "bronze/fhir/cohort=A/a.json",
            "bronze/fhir/cohort=A/hand.json",
        ]
        hand = [f for f in scan(root).files if f.path == placed]
        assert [e.path for e in register(root, hand).entries] == [placed.relative_to(root).as_posix()]
        assert register(root, hand).entries == ()  # found again (by the other registrar): not re-registered
        assert list(cohort_fingerprints(root)) == ["A"]
    assert not landing_running(root)  # ended (or killed: the kernel drops the lock)
    found = {f.rel for f in scan(root).files}
    assert {rel, "bronze/fhir/cohort=B/b~0123456789ab.json"} <= found

    done = register(root, [f for f in scan(root).files if f.rel != "bronze/fhir/cohort=A/a.json"])
    assert sorted(e.name for e in done.entries) == ["b.json", "b.json"]  # a version keeps its logical name
    assert all(e.source == PLACED_SOURCE and e.cohort == "B" for e in done.entries)
    assert list(cohort_fingerprints(root)) == ["A", "B"]
    before = cohort_fingerprints(root)
    _bundle(root / "bronze/fhir/cohort=B/c.json", 5)
    register(root, [f for f in scan(root).files if f.path.name == "c.json"])
    after = cohort_fingerprints(root)
    assert after["A"] == before["A"] and after["B"] != before["B"]  # a changed cohort, the other not
    assert len(Manifest.load(root).entries) == 5


def test_logical_names() -> None:
    assert logical_name("x~0123456789ab.json") == "x.json"
    assert logical_name("x.json") == "x.json"
