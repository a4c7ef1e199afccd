"""`watch`: files dropped into Bronze while it runs are processed exactly once, across a restart; files
still being written wait; files copied by hand are registered in the manifest with their sha256."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from lakehouse_io import silver_frames
from s3_support import wait_for
from scribe_lakehouse.bronze.landing import Manifest, land
from scribe_lakehouse.bronze.watch import PLACED_SOURCE, Watcher
from scribe_lakehouse.local.pipeline import run, table_arrow
from scribe_lakehouse.synth import generate

pytestmark = pytest.mark.integration

REFERENCE = ("organizations.json", "practitioners.json")


@dataclass(frozen=True)
class Corpus:
    fhir: Path  # every generated bundle
    patients: tuple[str, ...]  # patient bundle names, sorted

    def seed_root(self, root: Path, first: int) -> None:
        """Land the reference bundles and the first `first` patient bundles (cohorts A, B, C)."""
        initial = root.parent / f"{root.name}-initial"
        initial.mkdir()
        for name in (*REFERENCE, *self.patients[:first]):
            shutil.copy(self.fhir / name, initial / name)
        land(initial, root, cohorts=3)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("watch-src")
    generate(folder, patients=6, seed=5, scale=0.2, workers=1)
    patients = tuple(sorted(p.name for p in (folder / "fhir").glob("*.json") if p.name not in REFERENCE))
    return Corpus(folder / "fhir", patients)


def processed(root: Path) -> dict[str, str]:
    table = table_arrow(root, "processed_files")
    return dict(zip(table.column("bronze_path").to_pylist(), table.column("sha256").to_pylist(), strict=True))


def assert_everything_processed_once(root: Path, corpus: Corpus, reference_root: Path) -> None:
    """Every FHIR file in the manifest was parsed with the bytes registered for it, and Silver equals a
    one-shot build of the same bundles (so nothing was skipped and nothing counted twice)."""
    manifest = Manifest.load(root)
    fhir = manifest.fhir()
    assert processed(root) == {e.path: e.sha256 for e in fhir}
    for e in fhir:
        assert hashlib.sha256((root / e.path).read_bytes()).hexdigest() == e.sha256
    assert sorted(e.name for e in fhir) == sorted((*REFERENCE, *corpus.patients))
    reference_root.parent.mkdir(parents=True, exist_ok=True)
    land(corpus.fhir.parent, reference_root)
    run(reference_root, gold=False)
    expected = silver_frames(reference_root)
    for name, frame in silver_frames(root).items():
        assert_frame_equal(frame, expected[name])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_files_still_being_written_wait_and_hand_copies_are_registered(
    corpus: Corpus, tmp_path: Path
) -> None:
    root = tmp_path / "lh"
    corpus.seed_root(root, first=4)
    clock = Clock()
    watcher = Watcher(root, settle=2.0, gold=False, clock=clock)
    first = watcher.cycle()
    assert (first.registered, first.files_parsed, first.waiting) == (0, 6, 0)  # ingest's files: no wait

    data = (corpus.fhir / corpus.patients[4]).read_bytes()
    target = root / "bronze" / "fhir" / "cohort=A" / corpus.patients[4]
    (target.parent / (target.name + ".part")).write_bytes(data)  # a writer's temp file: never read
    outside = tmp_path / "outside.json"
    outside.write_bytes(data)
    (root / "bronze" / "fhir" / "cohort=B" / "link.json").symlink_to(outside)  # never followed
    with target.open("wb") as fh:
        fh.write(data[: len(data) // 2])
    assert watcher.cycle().waiting == 1
    for _ in range(3):  # stable but not a complete bundle yet: held
        clock.now += 2.5
        report = watcher.cycle()
        assert (report.waiting, report.registered, report.files_parsed) == (1, 0, 0)
    assert target.as_posix() not in {(root / e.path).as_posix() for e in Manifest.load(root).entries}
    with target.open("ab") as fh:
        fh.write(data[len(data) // 2 :])
    assert watcher.cycle().waiting == 1  # it grew: the quiet period starts again
    clock.now += 2.5
    done = watcher.cycle()
    assert (done.registered, done.files_parsed, done.waiting, done.rejected) == (1, 1, 0, 1)
    entry = next(e for e in Manifest.load(root).entries if e.path.endswith(corpus.patients[4]))
    assert entry.cohort == "A" and entry.source == PLACED_SOURCE and entry.bytes == len(data)
    assert entry.sha256 == hashlib.sha256(data).hexdigest()
    assert processed(root)[entry.path] == entry.sha256
    clock.now += 2.5
    assert not watcher.cycle().active  # nothing new: nothing registered, nothing parsed


def test_a_stable_truncated_bundle_is_released_after_the_hold(corpus: Corpus, tmp_path: Path) -> None:
    """A copy that stopped for good is not held forever: after the hold it is parsed and quarantined."""
    root = tmp_path / "lh"
    corpus.seed_root(root, first=1)
    clock = Clock()
    watcher = Watcher(root, settle=1.0, gold=False, clock=clock)
    watcher.cycle()
    broken = root / "bronze" / "fhir" / "cohort=A" / "truncated.json"
    broken.write_bytes(b'{"resourceType": "Bundle", "entry": [')
    watcher.cycle()
    clock.now += 9.5
    assert watcher.cycle().registered == 0
    clock.now += 1.0
    report = watcher.cycle()
    assert (report.registered, report.files_parsed) == (1, 1)
    quarantine = table_arrow(root, "quarantine").to_pylist()
    assert [(q["source_file"], q["reason"]) for q in quarantine] == [("truncated.json", "invalid_json")]


class WatchProcess:
    """`scribe-lakehouse watch --json` as a user runs it; its JSON lines are read as they come."""

    def __init__(self, root: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scribe_lakehouse", "watch", "--root", str(root), "--json", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        self.events: queue.Queue[dict[str, object]] = queue.Queue()
        self.stderr: list[str] = []
        self.parsed = 0
        self._readers = [
            threading.Thread(target=self._read_events, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_events(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.put(json.loads(line))

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        self.stderr.extend(self.proc.stderr)

    def _drain(self) -> None:
        while not self.events.empty():
            self.parsed += int(self.events.get()["files_parsed"])  # type: ignore[call-overload]

    def wait_parsed(self, total: int) -> None:
        def enough() -> bool:
            self._drain()
            assert self.proc.poll() is None, "".join(self.stderr)
            return self.parsed >= total

        wait_for(enough, f"{total} file(s) parsed by watch", limit=120)

    def stop(self) -> str:
        """SIGTERM: the watcher finishes its cycle and exits."""
        os.kill(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=120)
        for reader in self._readers:
            reader.join(timeout=30)
        self._drain()
        return "".join(self.stderr)


def watch_once(root: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "scribe_lakehouse", "watch", "--root", str(root), "--json", "--once",
         "--settle", "0.3"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


@pytest.fixture
def watch_root(corpus: Corpus, tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "lh"
    corpus.seed_root(root, first=2)
    yield root


def test_watch_processes_dropped_files_exactly_once_across_a_restart(
    corpus: Corpus, watch_root: Path, tmp_path: Path
) -> None:
    root = watch_root
    first = WatchProcess(root, "--interval", "0.2", "--settle", "0.3")
    try:
        first.wait_parsed(4)  # the two reference bundles and two patients landed by ingest
        for name, cohort in zip(corpus.patients[2:4], "AB", strict=True):  # copied by hand while it runs
            shutil.copy(corpus.fhir / name, root / "bronze" / "fhir" / f"cohort={cohort}" / name)
        first.wait_parsed(6)
    finally:
        stderr = first.stop()
    assert first.proc.returncode == 0, stderr
    assert first.parsed == 6  # each file once, none again while idle

    # dropped in while no watcher runs: the restarted one picks them up, and only them
    for name, cohort in zip(corpus.patients[4:], "CA", strict=True):
        shutil.copy(corpus.fhir / name, root / "bronze" / "fhir" / f"cohort={cohort}" / name)
    second = watch_once(root)
    assert (second["registered"], second["files_parsed"]) == (2, 2)
    assert watch_once(root)["files_parsed"] == 0  # nothing is repeated after a restart

    assert_everything_processed_once(root, corpus, tmp_path / "reference" / "lh")
    manifest = Manifest.load(root)
    hand = [e for e in manifest.entries if e.source == PLACED_SOURCE]
    assert sorted(e.name for e in hand) == sorted(corpus.patients[2:])
    assert (root / "gold" / "encounter_summary").is_dir()  # watch rebuilt Gold as it went
