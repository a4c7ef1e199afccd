"""A sensor on the Bronze landing folder: registers new cohorts as partitions and requests their runs.

It finds files and cohorts the way `watch` does (`bronze.discovery`): the manifest is the registry;
files copied into Bronze by hand are registered once they stayed unchanged from one tick to the next
(a bundle also ending in `}`), through the same `register` — a file `watch` registered already is not
registered again; files a running `ingest` is landing are left to it, and their cohort waits until the
landing is done.

The cursor holds each cohort's fingerprint (its registered FHIR files: path + sha256), the files still
settling, and the registered files that were written to after they were recorded but found unchanged
(a `touch`), so they are not hashed again while they stay so. A registered file rewritten in place with
other bytes of the same size is found by its modification time and registered again.

The first tick takes stock (partitions for every landed cohort, no runs: they were there before the
sensor started); each later tick requests one `cohort_job` run per cohort that is new or whose
files changed (hand copies into an existing cohort included), keyed by the fingerprint, so one state of a
cohort is requested once. Gold stays manual (`gold_job`).
"""

# No `from __future__ import annotations` here: Dagster reads these annotations at definition time.

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from scribe_lakehouse.bronze.discovery import (
    BronzeFile,
    Stat,
    cohort_fingerprints,
    looks_complete,
    register,
    scan,
    written_after_recorded,
)
from scribe_lakehouse.bronze.manifest import Manifest
from scribe_lakehouse.orchestration.assets import COHORT_JOB
from scribe_lakehouse.orchestration.partitions import COHORTS, COHORTS_NAME
from scribe_lakehouse.orchestration.resources import LakehouseResource

HOLD_TICKS = 10  # a stable bundle that does not end in `}` is registered after this many ticks anyway


@dataclass(frozen=True)
class Settling:
    stat: Stat
    ticks: int  # consecutive ticks it was seen unchanged


@dataclass(frozen=True)
class SensorCursor:
    cohorts: dict[str, str] | None = None  # None until the first tick took stock
    settling: dict[str, Settling] = field(default_factory=dict)
    verified: dict[str, Stat] = field(default_factory=dict)  # touched after registration, bytes unchanged

    @classmethod
    def parse(cls, text: str | None) -> "SensorCursor":
        if not text:
            return cls()
        body = json.loads(text)
        if not isinstance(body, dict):  # an older cursor (a list of cohort labels): take stock again
            return cls()
        raw: dict[str, list[int]] = body.get("settling", {})
        settling = {rel: Settling(Stat(int(v[0]), int(v[1])), int(v[2])) for rel, v in raw.items()}
        checked: dict[str, list[int]] = body.get("verified", {})
        verified = {rel: Stat(int(v[0]), int(v[1])) for rel, v in checked.items()}
        return cls(body.get("cohorts"), settling, verified)

    def dump(self) -> str:
        settling = {rel: [s.stat.size, s.stat.mtime_ns, s.ticks] for rel, s in sorted(self.settling.items())}
        verified = {rel: [s.size, s.mtime_ns] for rel, s in sorted(self.verified.items())}
        body = {"cohorts": self.cohorts, "settling": settling, "verified": verified}
        return json.dumps(body, sort_keys=True)


def changed_cohorts(seen: Mapping[str, str] | None, landed: Mapping[str, str]) -> list[str]:
    """Cohorts new or changed since the last tick; none on the first tick (`seen` is None)."""
    if seen is None:
        return []
    return [c for c, fingerprint in landed.items() if seen.get(c) != fingerprint]


def settle(
    root: Path, settling: Mapping[str, Settling], verified: Mapping[str, Stat]
) -> tuple[list[BronzeFile], dict[str, Settling], dict[str, Stat]]:
    """Files in Bronze the manifest does not hold, holds with another size, or holds but that were written
    to after it recorded them (unless hashed since and found unchanged: `verified`), that are ready to
    register — unchanged since the previous tick, and complete —; those still settling; and the
    `verified` files that are still as they were."""
    registered = Manifest.load(root).by_path()
    ready: list[BronzeFile] = []
    still: dict[str, Settling] = {}
    kept: dict[str, Stat] = {}
    for f in scan(root).files:
        entry = registered.get(f.rel)
        if entry is not None and entry.bytes == f.stat.size:
            if verified.get(f.rel) == f.stat:
                kept[f.rel] = f.stat
                continue
            if not written_after_recorded(entry, f.stat):
                continue
        before = settling.get(f.rel)
        ticks = before.ticks + 1 if before is not None and before.stat == f.stat else 0
        if ticks and (f.kind != "fhir" or ticks >= HOLD_TICKS or looks_complete(f.path)):
            ready.append(f)
        else:
            still[f.rel] = Settling(f.stat, ticks)
    return ready, still, kept


@dg.sensor(
    job=COHORT_JOB,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Watches the Bronze landing folder (registering files copied in by hand, as `watch` does); each "
        "new or changed cohort gets a partition and a run."
    ),
)
def bronze_cohort_sensor(
    context: dg.SensorEvaluationContext, lakehouse: LakehouseResource
) -> dg.SensorResult | dg.SkipReason:
    root = lakehouse.path
    cursor = SensorCursor.parse(context.cursor)
    ready, settling, verified = settle(root, cursor.settling, cursor.verified)
    done = register(root, ready)
    hashed = {f.rel for f, _ in done.hashed}
    settling |= {f.rel: Settling(f.stat, 0) for f in ready if f.rel not in hashed}  # changed while hashed
    written = {e.path for e in done.entries}
    verified |= {f.rel: f.stat for f, _ in done.hashed if f.rel not in written}  # same bytes: a touch
    landed = cohort_fingerprints(root)
    if not landed and not settling:
        # stock taken of an empty root: the first cohorts landed from now on are new
        context.update_cursor(SensorCursor({}, {}).dump())
        return dg.SkipReason("no cohorts landed in Bronze yet")
    fresh = changed_cohorts(cursor.cohorts, landed)
    registered = set(context.instance.get_dynamic_partitions(COHORTS_NAME))
    to_register = [c for c in landed if c not in registered]
    if cursor.cohorts is None:
        context.log.info("took stock of %d landed cohort(s); runs start with the next change", len(landed))
    elif fresh:
        context.log.info("new or changed cohort(s): %s", ", ".join(fresh))
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"cohort-{c}-{landed[c]}", partition_key=c) for c in fresh],
        dynamic_partitions_requests=[COHORTS.build_add_request(to_register)] if to_register else [],
        cursor=SensorCursor({**(cursor.cohorts or {}), **landed}, settling, verified).dump(),
    )
