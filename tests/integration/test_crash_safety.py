"""Crash safety: `ingest`, `run` and `gold` are SIGKILLed at random points (seeded), re-run, and the
lakehouse must end exactly as a clean run leaves it: the same Bronze, every Silver, quarantine,
processed-file and Gold frame equal (write timestamps and run ids aside), the same corpus manifest.

A kill point is drawn uniformly over the command's working window — from the moment it holds the writer
lock (its pid appears in `.lakehouse.lock`) to its exit, as measured on the clean reference run — so kills
land while files are copied, while Silver cohorts are parsed and MERGEd, and while Gold is built and
written. The suite runs 3 iterations; the `slow` test runs 20.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from lakehouse_io import assert_same_tables, bronze_listing, cli_argv, cli_env, snapshot
from scribe_lakehouse.bronze.landing import Manifest, land
from scribe_lakehouse.fhir.model import ParseResult
from scribe_lakehouse.fhir.parser import parse_bundle
from scribe_lakehouse.lakehouse import LOCK_FILE, Lakehouse
from scribe_lakehouse.local.pipeline import ensure_tables, pending_files, run
from scribe_lakehouse.local.silver_write import Totals, write_batch
from scribe_lakehouse.local.validate import ingest_log_reconciliation
from scribe_lakehouse.registry import INGEST_LOG, PROCESSED_FILES, SILVER_TABLES
from scribe_lakehouse.storage import delta
from scribe_lakehouse.synth import generate

pytestmark = pytest.mark.integration

SEED = 20240611
POLL = 0.002


@dataclass(frozen=True)
class Step:
    """One command of the pipeline as a user runs it."""

    name: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    returncode: int
    locked_after: float | None  # seconds from start until it held the writer lock
    finished_after: float


def _holds_lock(root: Path, pid: int) -> bool:
    try:
        return (root / LOCK_FILE).read_text().strip() == str(pid)
    except OSError:
        return False


def execute(root: Path, step: Step, *, kill_after: float | None = None) -> Outcome:
    """Run one CLI step on `root`; with `kill_after`, SIGKILL it that many seconds after it took the
    writer lock (unless it finished first)."""
    with tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            cli_argv(*step.args, "--root", str(root)), stdout=subprocess.DEVNULL, stderr=err, env=cli_env()
        )
        locked: float | None = None
        deadline = started + 600
        while proc.poll() is None and time.monotonic() < deadline:
            if locked is None and _holds_lock(root, proc.pid):
                locked = time.monotonic()
            if locked is not None and kill_after is not None and time.monotonic() >= locked + kill_after:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(POLL)
        code = proc.wait(timeout=600)
        finished = time.monotonic()
        if kill_after is None and code != 0:
            err.seek(0)
            raise AssertionError(f"{step.name} exited {code}: {err.read().decode()[-3000:]}")
    return Outcome(code, None if locked is None else locked - started, finished - started)


def describe(root: Path, step: Step) -> str:
    """Where a kill left the lakehouse, for the report."""
    lh = Lakehouse(root)
    if step.name == "ingest":
        parts = len(list(root.rglob("*.part")))
        landed = (root / "bronze/_metadata/manifest.json").exists()
        copies = len(list((root / "bronze" / "fhir").rglob("*.json")))
        return f"{copies} bundle copies, {parts} .part, manifest {'written' if landed else 'not written'}"
    created = sum(delta.exists(lh.uri(s)) for s in SILVER_TABLES)
    versions = sum(delta.version(lh.uri(s)) or 0 for s in SILVER_TABLES)
    processed = (
        delta.read_arrow(lh.uri(PROCESSED_FILES)).num_rows if delta.exists(lh.uri(PROCESSED_FILES)) else 0
    )
    gold = "written" if (root / "gold/_metadata/corpus_manifest.json").exists() else "absent"
    return f"{created}/10 Silver tables, {versions} Silver commits, {processed} marked, Gold manifest {gold}"


INGEST = Step("ingest", ("ingest", "--source", "{source}", "--with-dicom", "--cohorts", "3"))
RUN = Step("run", ("run",))
RUN_NO_GOLD = Step("run --no-gold", ("run", "--no-gold"))
GOLD = Step("gold", ("gold",))


def with_source(step: Step, source: Path) -> Step:
    return Step(step.name, tuple(a.replace("{source}", str(source)) for a in step.args))


@dataclass(frozen=True)
class Reference:
    source: Path
    root: Path
    windows: dict[str, float]  # step name -> seconds from taking the lock to exit on a clean run
    frames: dict[str, pl.DataFrame]
    bronze: list[tuple[str, str, str | None, str, int, str]]
    corpus_manifest: dict[str, object]


def _corpus_manifest(root: Path) -> dict[str, object]:
    body = json.loads((root / "gold/_metadata/corpus_manifest.json").read_text())
    body.pop("created_timestamp")
    return dict(body)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The clean run every killed one must converge to; also measures each step's working window."""
    tmp = tmp_path_factory.mktemp("crash")
    source = tmp / "source"
    generate(source, patients=24, seed=5, dicom=True, scale=0.4)
    root = tmp / "reference"
    windows: dict[str, float] = {}
    for step in (with_source(INGEST, source), RUN_NO_GOLD, GOLD):
        outcome = execute(root, step)
        assert outcome.locked_after is not None, f"never saw {step.name} take the lock"
        windows[step.name] = outcome.finished_after - outcome.locked_after
    windows["run"] = windows["run --no-gold"] + windows["gold"]
    return Reference(
        source=source,
        root=root,
        windows=windows,
        frames=snapshot(root),
        bronze=bronze_listing(root),
        corpus_manifest=_corpus_manifest(root),
    )


@dataclass(frozen=True)
class Kill:
    iteration: int
    step: str
    delay: float
    window: float
    killed: bool
    state: str


def kill_and_converge(reference: Reference, root: Path, iteration: int, rng: random.Random) -> list[Kill]:
    """One iteration: every step is killed once at a random point and re-run; then compare."""
    steps = [with_source(INGEST, reference.source)]
    steps += [RUN] if iteration % 2 == 0 else [RUN_NO_GOLD, GOLD]
    kills: list[Kill] = []
    for step in steps:
        window = reference.windows[step.name]
        delay = rng.uniform(0, window)
        outcome = execute(root, step, kill_after=delay)
        killed = outcome.returncode == -signal.SIGKILL
        assert killed or outcome.returncode == 0, f"{step.name} failed on its own"
        kills.append(Kill(iteration, step.name, delay, window, killed, describe(root, step)))
        execute(root, step)  # the re-run finishes the job
    assert not list(root.rglob("*.part"))
    assert bronze_listing(root) == reference.bronze
    assert_same_tables(snapshot(root), reference.frames)
    assert _corpus_manifest(root) == reference.corpus_manifest
    log = pl.from_arrow(delta.read_arrow(Lakehouse(root).uri(INGEST_LOG)))
    assert isinstance(log, pl.DataFrame) and log.height >= 10
    assert all(ingest_log_reconciliation(log, s.name).passed for s in SILVER_TABLES)
    with Lakehouse(root).lock():  # nothing left holding the lock
        pass
    return kills


def kill_iterations(reference: Reference, tmp: Path, iterations: int) -> list[Kill]:
    rng = random.Random(SEED)
    kills: list[Kill] = []
    for i in range(iterations):
        kills += kill_and_converge(reference, tmp / f"iteration{i}", i, rng)
    print(f"\n{'it':>3} {'step':<14} {'kill at':>9} {'window':>8}  outcome")
    for k in kills:
        outcome = f"killed: {k.state}" if k.killed else "finished before the kill"
        print(f"{k.iteration:>3} {k.step:<14} {k.delay:>8.3f}s {k.window:>7.3f}s  {outcome}")
    return kills


def test_killed_steps_converge_to_a_clean_run(reference: Reference, tmp_path: Path) -> None:
    kills = kill_iterations(reference, tmp_path, 3)
    assert sum(k.killed for k in kills) >= 3  # most kills landed mid-work, not after the exit


@pytest.mark.slow
def test_killed_steps_converge_to_a_clean_run_20_times(reference: Reference, tmp_path: Path) -> None:
    kills = kill_iterations(reference, tmp_path, 20)
    assert sum(k.killed for k in kills) >= len(kills) // 2
    assert {k.step for k in kills if k.killed} == {"ingest", "run", "run --no-gold", "gold"}


def test_a_run_killed_before_validating_is_validated_by_the_next(tmp_path: Path) -> None:
    """What a kill between the last processed-file mark and the ingest_log append leaves behind."""
    source = tmp_path / "source"
    generate(source, patients=2, seed=1, scale=0.1)
    root = tmp_path / "lh"
    land(source, root)
    lh = Lakehouse(root)
    manifest = Manifest.load(root)
    ensure_tables(lh)
    todo = pending_files(lh, manifest, None)
    parsed = ParseResult()
    for entry in todo:
        parsed.extend(parse_bundle((root / entry.path).read_bytes(), source_file=entry.name))
    now = dt.datetime.now(dt.UTC)
    write_batch(lh, parsed, [], todo, run_id="killed", now=now, totals=Totals())
    assert delta.read_arrow(lh.uri(INGEST_LOG)).num_rows == 0

    summary = run(root)
    assert summary.nothing_to_do and len(summary.validation) == 10 and summary.gold is not None
    assert delta.read_arrow(lh.uri(INGEST_LOG)).num_rows == 10
    assert run(root).validation == ()  # validated once, not on every later run
