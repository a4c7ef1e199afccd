"""Streaming landing (`watch`): process Bronze files as they land.

Each cycle scans `bronze/fhir/cohort=*/` (and `bronze/dicom|csv|dna/`) for files that are new or changed,
waits until a file is complete — its size and mtime unchanged for `settle` seconds, and a JSON bundle
ending in `}` — registers it in the manifest with its sha256 (files copied in by hand are not there yet),
then runs the local pipeline on whatever is pending. Finding and registering files is
`bronze.discovery`, the rule the Dagster sensor uses too; files a running `ingest` is landing are left
to it, and pending files wait while another process holds the writer lock.

What is done is checkpointed where the pipeline already looks: the manifest (registered path + sha256)
and `silver/processed_files` (parsed path + sha256), each committed before the next step. A restart
therefore neither skips a file (registered but unparsed files are still pending) nor repeats one (parsed
files are not pending). `bronze/_metadata/watch_state.json` only caches file sizes and times so a restart
does not re-hash Bronze.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scribe_lakehouse.bronze.discovery import (
    PLACED_SOURCE,
    BronzeFile,
    Stat,
    looks_complete,
    register,
    scan,
)
from scribe_lakehouse.bronze.manifest import METADATA, Manifest
from scribe_lakehouse.errors import LockedError
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.registry import PROCESSED_FILES
from scribe_lakehouse.storage import delta

__all__ = ["PLACED_SOURCE", "CycleReport", "WatchSummary", "Watcher", "watch"]

log = logging.getLogger(__name__)

WATCH_STATE = f"{METADATA}/watch_state.json"
_HOLD_FACTOR = 10  # a stable bundle that does not end in `}` is held this many settle periods at most


@dataclass(frozen=True)
class CycleReport:
    """What one scan did. `waiting` files are still being written; `files_parsed` went into Silver."""

    cycle: int
    registered: int
    updated: int
    waiting: int
    rejected: int
    files_parsed: int
    cohorts: tuple[str, ...] = ()
    passed: bool | None = None
    gold_changed: bool | None = None

    @property
    def active(self) -> bool:
        return bool(self.registered or self.updated or self.files_parsed)


@dataclass(frozen=True)
class WatchSummary:
    cycles: int
    registered: int
    updated: int
    files_parsed: int
    failed_runs: int


@dataclass
class _Candidate:
    stat: Stat
    since: float  # monotonic time this exact stat was first seen


@dataclass
class Watcher:
    """Scans Bronze, registers complete files and runs the pipeline on what is pending."""

    root: Path
    settle: float = 2.0
    gold: bool = True
    clock: Callable[[], float] = time.monotonic
    cycles: int = 0
    _candidates: dict[str, _Candidate] = field(default_factory=dict)
    _known: dict[str, tuple[Stat, str]] = field(default_factory=dict)
    _rejected: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._known = _load_state(self.root)

    def cycle(self) -> CycleReport:
        self.cycles += 1
        ready, waiting = self._scan()
        registered, updated = self._register(ready)
        parsed, cohorts, passed, gold_changed = self._process()
        return CycleReport(
            cycle=self.cycles,
            registered=registered,
            updated=updated,
            waiting=waiting,
            rejected=len(self._rejected),
            files_parsed=parsed,
            cohorts=cohorts,
            passed=passed,
            gold_changed=gold_changed,
        )

    def _scan(self) -> tuple[list[BronzeFile], int]:
        manifest = Manifest.load(self.root).by_path()
        found = scan(self.root)
        for path in found.rejected:
            self._reject(path)
        ready: list[BronzeFile] = []
        waiting = 0
        now = self.clock()
        for f in found.files:
            known = self._known.get(f.rel)
            if known is not None and known[0] == f.stat:
                continue
            entry = manifest.get(f.rel)
            if known is None and entry is not None and entry.bytes == f.stat.size:
                self._known[f.rel] = (f.stat, entry.sha256)  # landed by ingest: the manifest has its checksum
                continue
            seen = self._candidates.get(f.rel)
            if seen is None or seen.stat != f.stat:
                self._candidates[f.rel] = _Candidate(f.stat, now)
                waiting += 1
                continue
            quiet = now - seen.since
            if quiet < self.settle or (
                f.kind == "fhir" and not looks_complete(f.path) and quiet < self.settle * _HOLD_FACTOR
            ):
                waiting += 1
                continue
            ready.append(f)
        return ready, waiting

    def _reject(self, path: str) -> None:
        if path not in self._rejected:
            self._rejected.add(path)
            log.warning(
                "ignoring a Bronze file that is a link or has an unsafe name (%d so far)", len(self._rejected)
            )

    def _register(self, ready: list[BronzeFile]) -> tuple[int, int]:
        if not ready:
            return 0, 0
        for f in ready:
            self._candidates.pop(f.rel, None)
        done = register(self.root, ready)
        for f, sha in done.hashed:
            self._known[f.rel] = (f.stat, sha)
        _save_state(self.root, self._known)
        return len(done.entries) - done.updated, done.updated

    def _process(self) -> tuple[int, tuple[str, ...], bool | None, bool | None]:
        if not _has_pending(self.root):
            return 0, (), None, None
        from scribe_lakehouse.local.pipeline import run

        try:
            summary = run(self.root, gold=self.gold)
        except LockedError:
            log.info("another run holds the lakehouse lock; pending files wait for the next cycle")
            return 0, (), None, None
        gold_changed = summary.gold.changed if summary.gold is not None else None
        return summary.files_parsed, summary.cohorts, summary.passed, gold_changed


def _has_pending(root: Path) -> bool:
    manifest = Manifest.load(root)
    fhir = manifest.fhir()
    if not fhir:
        return False
    uri = Lakehouse(root).uri(PROCESSED_FILES)
    if not delta.exists(uri):
        return True
    done = delta.read_frame(uri, columns=["bronze_path", "sha256"])
    parsed = set(done.iter_rows())
    return any((e.path, e.sha256) not in parsed for e in fhir)


def _load_state(root: Path) -> dict[str, tuple[Stat, str]]:
    path = root / WATCH_STATE
    if not path.exists():
        return {}
    files = json.loads(path.read_text("utf-8")).get("files", {})
    return {rel: (Stat(int(v[0]), int(v[1])), str(v[2])) for rel, v in files.items()}


def _save_state(root: Path, known: dict[str, tuple[Stat, str]]) -> None:
    path = root / WATCH_STATE
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "version": 1,
        "files": {rel: [s.size, s.mtime_ns, sha] for rel, (s, sha) in sorted(known.items())},
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(body) + "\n", "utf-8")
    os.replace(tmp, path)


def watch(
    root: Path,
    *,
    interval: float = 2.0,
    settle: float = 2.0,
    once: bool = False,
    gold: bool = True,
    stop: threading.Event | None = None,
    on_cycle: Callable[[CycleReport], None] | None = None,
) -> WatchSummary:
    """Scan every `interval` seconds until `stop` is set; with `once`, process what is in Bronze (waiting
    for files still being written) and return. `on_cycle` sees every cycle that did something."""
    stop = stop or threading.Event()
    watcher = Watcher(root, settle=settle, gold=gold)
    registered = updated = parsed = failed = 0
    log.info("watching Bronze under this root every %.1f s (settle %.1f s)", interval, settle)
    while True:
        report = watcher.cycle()
        registered += report.registered
        updated += report.updated
        parsed += report.files_parsed
        failed += int(report.passed is False)
        if report.active and on_cycle is not None:
            on_cycle(report)
        if once and report.waiting == 0:
            break
        if stop.wait(max(0.05, min(interval, settle / 2)) if once else interval):
            break
    return WatchSummary(
        cycles=watcher.cycles, registered=registered, updated=updated, files_parsed=parsed, failed_runs=failed
    )
