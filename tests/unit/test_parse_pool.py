"""The parse pool: batches cut per cohort, and worker processes give the same Arrow as in-process."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
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


# A script run in a fresh process: pytest's own process may hold threads, where prestart must not fork.
_PRESTART = """
import datetime as dt, json, sys, threading
from pathlib import Path
from scribe_lakehouse.local import parse_pool
from scribe_lakehouse.local.parse_pool import ParsePool, batches

def cmdline():
    return Path("/proc/self/cmdline").read_bytes().decode()

root = Path(sys.argv[1])
if sys.argv[2] == "thread":
    threading.Thread(target=threading.Event().wait, daemon=True).start()
warm = parse_pool.prestart(2)
out = {"workers": warm.workers}
if warm.workers:
    out["cmdline"] = warm.take(2).submit(cmdline).result()
    warm = parse_pool.prestart(2)
    jobs = [*batches("A", [(p.name, p.name.upper(), p.stat().st_size) for p in sorted(root.glob("b*.json"))])]
    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    results = []
    for pool in (ParsePool(root, now=now, workers=0), ParsePool(root, now=now, workers=2, warm=warm)):
        with pool:
            parsed = pool.map(jobs, {})
            results.append([(b.seen, b.quarantine, [t.to_pylist() for t in b.arrow()]) for b in parsed])
    out["same"] = results[0] == results[1]
    out["taken"] = warm.take(2) is None
print(json.dumps(out))
"""


def _prestart(tmp_path: Path, mode: str) -> dict[str, object]:
    _corpus(tmp_path)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}  # as the entry point sets it (runtime.tune_process)
    done = subprocess.run(
        [sys.executable, "-c", _PRESTART, str(tmp_path), mode], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = orjson.loads(done.stdout)
    return result


def test_prestart_forks_workers_that_give_the_same_batches(tmp_path: Path) -> None:
    out = _prestart(tmp_path, "plain")
    assert out["workers"] == 2
    assert "spawn_main" not in str(out["cmdline"])  # forked: the parent's command line, no interpreter start
    assert out["same"] is True and out["taken"] is True


def test_prestart_does_not_fork_a_process_with_threads(tmp_path: Path) -> None:
    assert _prestart(tmp_path, "thread") == {"workers": 0}


_ORPHANS = """
import datetime as dt, os, sys, time
from pathlib import Path
from scribe_lakehouse.local import parse_pool
warm = parse_pool.prestart(2) if sys.argv[1] == "fork" else None
pool = parse_pool.ParsePool(Path("."), now=dt.datetime.now(dt.UTC), workers=2, warm=warm)
with pool:
    print(*pool._executor._processes, flush=True)
    time.sleep(60)
"""


def test_workers_exit_when_their_parent_is_killed() -> None:
    """SIGKILL gives the pool no chance to stop its workers: they notice and exit (spawned or forked)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    for mode in ("fork", "spawn"):
        parent = subprocess.Popen(
            [sys.executable, "-c", _ORPHANS, mode], env=env, stdout=subprocess.PIPE, text=True
        )
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10 * parse_pool.ORPHAN_CHECK_SECONDS
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers), mode


def _alive(pid: int) -> bool:
    """Running (not a zombie waiting for its new parent to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
