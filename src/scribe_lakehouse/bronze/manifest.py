"""The Bronze manifest (`bronze/_metadata/manifest.json`): one entry per landed file version.

Writers (`ingest`, `watch`, the Dagster sensor) update it read-modify-write under a short file lock, so
two writers never lose each other's entries; the file itself is always replaced atomically, so readers
never see half of it.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from scribe_lakehouse.bronze.names import safe_name
from scribe_lakehouse.errors import ConfigError, InputError

Kind = Literal["fhir", "dicom", "csv", "dna"]
KINDS: tuple[Kind, ...] = ("fhir", "dicom", "csv", "dna")
KIND_SUFFIX: dict[Kind, str] = {"fhir": ".json", "dicom": ".dcm", "csv": ".csv", "dna": ".csv"}
MANIFEST = "bronze/_metadata/manifest.json"
METADATA = "bronze/_metadata"
REFERENCE_PREFIXES = ("organizations", "practitioners", "hospitalInformation", "practitionerInformation")


@dataclass(frozen=True)
class ManifestEntry:
    """One landed file version. `source` is where the bytes came from (an s3:// URL or a local path);
    `etag` is the object's S3 ETag when it came from S3."""

    name: str
    kind: str
    cohort: str | None
    path: str
    bytes: int
    sha256: str
    landed_at: str
    source: str
    etag: str | None = None

    @property
    def is_reference_bundle(self) -> bool:
        return self.kind == "fhir" and is_reference_name(self.name)


def is_reference_name(name: str) -> bool:
    """organizations.json / practitioners.json (and other Synthea versions' hospital/practitioner files)."""
    return name.startswith(REFERENCE_PREFIXES)


@dataclass
class Manifest:
    """The Bronze manifest: every landed file version, in landing order."""

    entries: list[ManifestEntry] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path) -> Manifest:
        """The manifest under `root` (empty when nothing was landed). One that is not valid, or that
        names a path outside `bronze/`, is refused: nothing is read or written through it."""
        path = root / MANIFEST
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text("utf-8"))
            entries = [ManifestEntry(**e) for e in data["files"]]
        except (ValueError, TypeError, KeyError):
            raise ConfigError(
                f"the Bronze manifest ({MANIFEST}) is not valid: restore it from a backup"
            ) from None
        for i, entry in enumerate(entries):
            if not is_safe_bronze_path(entry.path):
                raise ConfigError(
                    f"Bronze manifest entry {i} points outside bronze/ (an absolute path or '..'): "
                    "refusing to read it"
                )
        return cls(entries)

    def save(self, root: Path) -> None:
        path = root / MANIFEST
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        body = {"manifest_version": 1, "files": [asdict(e) for e in self.entries]}
        tmp.write_text(json.dumps(body, indent=1) + "\n", "utf-8")
        os.replace(tmp, path)

    def cohorts(self) -> list[str]:
        seen = dict.fromkeys(e.cohort for e in self.entries if e.cohort)
        return sorted((c for c in seen if c), key=cohort_order)

    def fhir(self, cohorts: Sequence[str] | None = None) -> list[ManifestEntry]:
        return [e for e in self.entries if e.kind == "fhir" and (not cohorts or e.cohort in cohorts)]

    def by_path(self) -> dict[str, ManifestEntry]:
        return {e.path: e for e in self.entries}

    def upsert(self, entries: Iterable[ManifestEntry]) -> None:
        """Add entries; an entry for a path already listed replaces that one in place."""
        index = {e.path: i for i, e in enumerate(self.entries)}
        for entry in entries:
            at = index.get(entry.path)
            if at is None:
                index[entry.path] = len(self.entries)
                self.entries.append(entry)
            else:
                self.entries[at] = entry


def is_safe_bronze_path(path: str) -> bool:
    """A manifest path is relative, inside `bronze/`, and made of safe names only."""
    parts = path.split("/")
    if len(parts) < 2 or parts[0] != "bronze" or "\\" in path:
        return False
    try:
        for part in parts[1:]:
            safe_name(part)
    except InputError:
        return False
    return True


def cohort_order(label: str) -> tuple[int, str]:
    return (len(label), label)


@contextmanager
def _flock(path: Path) -> Iterator[None]:
    """Hold an exclusive `flock` on `path`, waiting for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def manifest_lock(root: Path) -> Iterator[None]:
    """Held only for one read-modify-write of the manifest (blocking, short)."""
    with _flock(root / METADATA / ".manifest.lock"):
        yield


LANDING_LOCK = f"{METADATA}/.landing.lock"


@contextmanager
def landing_lock(root: Path) -> Iterator[None]:
    """Held by a landing for its whole run, inside the root's writer lock (which is what keeps two
    landings apart): it only tells `watch` and the Dagster sensor that a landing is running
    (`landing_running`), so they leave the files it has planned to it. Blocking: its only other holders
    are those probes, for microseconds."""
    with _flock(root / LANDING_LOCK):
        yield


def landing_running(root: Path) -> bool:
    """Whether a landing holds `landing_lock` now. False after a landing was killed: the kernel drops a
    dead process's locks, so an interrupted landing's files count as placed files."""
    path = root / LANDING_LOCK
    if not path.exists():
        return False
    with path.open("a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def record(root: Path, entries: Sequence[ManifestEntry]) -> list[ManifestEntry]:
    """Merge `entries` into the manifest on disk (by path) under the manifest lock. An entry whose path
    is already recorded with the same sha256 and source is not written again, so two registrars (`watch`
    and the Dagster sensor) finding one file register it once. Returns the entries actually written."""
    with manifest_lock(root):
        manifest = Manifest.load(root)
        known = manifest.by_path()
        fresh = [
            e
            for e in entries
            if (prior := known.get(e.path)) is None or (prior.sha256, prior.source) != (e.sha256, e.source)
        ]
        if fresh:
            manifest.upsert(fresh)
            manifest.save(root)
        return fresh


def kind_order(kind: str) -> int:
    order: dict[str, int] = {k: i for i, k in enumerate(KINDS)}
    return order.get(kind, len(KINDS))


def order_landing(root: Path, start: int) -> None:
    """Put the entries recorded since `start` (one landing, resumed or not, and anything registered
    meanwhile) in name order — FHIR first, then DICOM, CSV, DNA — as if it had been written in one go.
    Position is precedence for duplicate ids (the bundle landed last wins), so it must not depend on
    which download finished first or where an interrupted landing stopped."""
    with manifest_lock(root):
        manifest = Manifest.load(root)
        tail = manifest.entries[start:]
        ordered = sorted(tail, key=lambda e: (kind_order(e.kind), e.name))  # stable: versions keep order
        if ordered != tail:
            manifest.entries[start:] = ordered
            manifest.save(root)
