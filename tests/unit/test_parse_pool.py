"""The parse pool: batches cut per cohort, and worker processes give the same Arrow as in-process."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pyarrow as pa

from builders import bundle, encounter, note, patient, vital
from scribe_lakehouse.fhir.model import DicomHeader
from scribe_lakehouse.local import parse_pool
from scribe_lakehouse.local.parse_pool import BATCH_BYTES, BatchJob, ParsePool, batches
from scribe_lakehouse.registry import SILVER_TABLES, silver_table

NOW = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)


def test_batches_cut_by_count_and_size() -> None:
    files = [(f"f{i}.json", f"n{i}", 10) for i in range(19)]
    jobs = list(batches("A", files, max_files=8))
    assert [len(j.files) for j in jobs] == [8, 8, 3]
    assert all(j.cohort == "A" for j in jobs) and sum(j.size for j in jobs) == 190
    big = [("a", "a", BATCH_BYTES - 1), ("b", "b", 2), ("c", "c", 1)]
    assert [len(j.files) for j in batches("B", big)] == [1, 2]


def _corpus(root: Path) -> list[BatchJob]:
    paths = []
    for i in range(6):
        pid, eid = f"p{i}", f"e{i}"
        resources = [
            patient(pid),
            encounter(eid, pid, "2020-01-02T10:00:00Z"),
            vital(f"o{i}", pid, eid, "8867-4", 60 + i, "2020-01-02T10:00:00Z"),
            note(f"n{i}", pid, eid, "2020-01-02T10:00:00Z"),
        ]
        if i == 4:  # a resource type the typed path does not know: this file takes the fallback (so does b5)
            resources.append({"resourceType": "ResearchStudy", "id": "rs", "status": "active"})
        data = orjson.dumps(bundle(*resources)) if i != 5 else b"{not json"
        (root / f"b{i}.json").write_bytes(data)
        paths.append((f"b{i}.json", f"B{i}.json", len(data)))
    return [*batches("A", paths[:4], max_files=3), *batches("B", paths[4:], max_files=3)]


def test_workers_give_the_same_batches_as_in_process(tmp_path: Path) -> None:
    jobs = _corpus(tmp_path)
    # a batch's tables are read once, while the pool is open (a spooled batch is removed when mapped)
    spools = set(Path("/dev/shm").glob("scribe-parse-*"))
    with ParsePool(tmp_path, now=NOW, workers=0) as pool:
        local = [(b, b.arrow()) for b in pool.map(jobs, {})]
    with ParsePool(tmp_path, now=NOW, workers=2, prefetch=2) as pool:
        remote = [(b, b.arrow()) for b in pool.map(jobs, {})]
    assert set(Path("/dev/shm").glob("scribe-parse-*")) <= spools  # nothing left behind
    assert [b.cohort for b, _ in remote] == ["A", "A", "B"]
    assert [(b.files, b.fallbacks, len(b.quarantine)) for b, _ in remote] == [(3, 0, 0), (1, 0, 0), (2, 2, 1)]
    assert remote[2][0].quarantine_paths == ("b5.json",)
    for (one, one_tables), (two, two_tables) in zip(local, remote, strict=True):
        assert (one.cohort, one.files, one.seen, one.quarantine) == (
            two.cohort,
            two.files,
            two.seen,
            two.quarantine,
        )
        for spec, a, b in zip(SILVER_TABLES, one_tables, two_tables, strict=True):
            assert a.schema == spec.arrow_schema()
            assert a.equals(b)
    patients = pa.concat_tables(tables[0] for _, tables in remote)
    assert sorted(patients.column("source_file").to_pylist()) == [
        "B0.json",
        "B1.json",
        "B2.json",
        "B3.json",
        "B4.json",
    ]


def _study(sid: str, uid: str) -> dict[str, object]:
    return {
        "resourceType": "ImagingStudy",
        "id": sid,
        "status": "available",
        "subject": {"reference": "urn:uuid:p0"},
        "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{uid}"}],
        "started": "2020-01-02T10:00:00Z",
        "series": [{"uid": f"{uid}.1", "modality": {"code": "MR"}, "instance": [{"uid": f"{uid}.1.1"}]}],
    }


def test_workers_enrich_studies_from_the_dicom_index_of_each_map_call(tmp_path: Path) -> None:
    """The index travels to the workers once per `map` call; a second call with another index is used."""
    data = orjson.dumps(bundle(patient("p0"), _study("s1", "1.2.3"), _study("s2", "1.2.4")))
    (tmp_path / "img.json").write_bytes(data)
    jobs = list(batches("A", [("img.json", "IMG.json", len(data))]))
    first = {"1.2.3": DicomHeader("1.2.3", study_description="Brain MRI", rows=256)}
    second = {"1.2.4": DicomHeader("1.2.4", manufacturer="Acme", columns=128)}

    def studies(pool: ParsePool, index: dict[str, DicomHeader]) -> list[dict[str, object]]:
        tables = [
            b.arrow()[SILVER_TABLES.index(silver_table("imaging_study"))] for b in pool.map(jobs, index)
        ]
        return sorted(pa.concat_tables(tables).to_pylist(), key=lambda r: str(r["study_id"]))

    with ParsePool(tmp_path, now=NOW, workers=0) as pool:
        local = [studies(pool, first), studies(pool, second)]
    with ParsePool(tmp_path, now=NOW, workers=2) as pool:
        remote = [studies(pool, first), studies(pool, second)]
    assert remote == local
    enriched = [[(r["study_id"], r["dicom_extracted"]) for r in rows] for rows in remote]
    assert enriched == [[("s1", True), ("s2", False)], [("s1", False), ("s2", True)]]
    assert remote[0][0]["rows"] == 256 and remote[1][1]["columns"] == 128


def test_spools_of_killed_runs_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # its pid now names no process (a SIGKILLed run's spool looks like this)
    orphan = tmp_path / f"{parse_pool.SPOOL_PREFIX}{dead.pid}-abc"
    live = tmp_path / f"{parse_pool.SPOOL_PREFIX}{os.getpid()}-def"
    other = tmp_path / f"{parse_pool.SPOOL_PREFIX}notapid"
    for folder in (orphan, live, other):
        folder.mkdir()
        (folder / "batch.arrow").write_bytes(b"rows")
    assert parse_pool.sweep_orphan_spools(tmp_path) == 1
    assert not orphan.exists() and live.exists() and other.exists()
