"""How new Bronze files and cohorts are found — one rule shared by `watch` and the Dagster sensor.

- The **manifest** is the only registry of what is in Bronze: `ingest` records what it lands, and a file
  placed in Bronze by hand (copied into `bronze/fhir/cohort=X/`, `bronze/dicom/`, …) is registered by
  `register` once it is complete, with its sha256. `watch` and the sensor both call `scan` and
  `register`; `manifest.record` writes a path with the same bytes only once, so a file both of them find
  is registered once.
- While a landing runs, the files it has planned are its own (it records them itself): `scan` leaves
  them out. A landing that was killed is not running, so its renamed-but-unrecorded files count as placed
  files; its next run adopts their entries (adding source and ETag) instead of fetching them again.
- A **cohort** is new or changed when the fingerprint of its registered FHIR files (path + sha256) is;
  a cohort with files a running landing has still to record is not settled yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scribe_lakehouse.bronze.manifest import (
    KIND_SUFFIX,
    KINDS,
    Kind,
    Manifest,
    ManifestEntry,
    landing_running,
    record,
)
from scribe_lakehouse.bronze.names import safe_name, sha256_file
from scribe_lakehouse.bronze.plan import load_plan, now_iso
from scribe_lakehouse.errors import InputError

log = logging.getLogger(__name__)

PLACED_SOURCE = "placed in bronze (registered by watch)"
_COHORT = re.compile(r"cohort=([A-Za-z0-9][A-Za-z0-9_.-]{0,63})")
_VERSIONED = re.compile(r"(?P<stem>.+)~[0-9a-f]{12}(?P<ext>\.[^.]+)")
_TEMP_SUFFIXES = (".part", ".tmp", ".swp", "~")
_VERSION_OF = re.compile(r"~[0-9a-f]{12}(-[0-9]+)?$")


@dataclass(frozen=True)
class Stat:
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class BronzeFile:
    """A file found in a Bronze folder; `rel` is its manifest path (`bronze/…`)."""

    path: Path
    rel: str
    kind: Kind
    cohort: str | None
    stat: Stat


@dataclass(frozen=True)
class Scan:
    files: tuple[BronzeFile, ...]
    rejected: tuple[str, ...]  # links and unsafe names (never read); paths, for counting only


def _landing_paths(root: Path) -> tuple[frozenset[str], frozenset[str]]:
    """Destinations (un-versioned) and cohorts of the landing running now; empty when none runs."""
    if not landing_running(root):
        return frozenset(), frozenset()
    items = load_plan(root).items
    return frozenset(i.path for i in items), frozenset(i.cohort for i in items if i.cohort)


def _unversioned(rel: str) -> str:
    """`bronze/…/name~<sha12>.json` (or `~<sha12>-2`) → `bronze/…/name.json`."""
    head, _, file_name = rel.rpartition("/")
    stem, dot, ext = file_name.rpartition(".")
    if not dot:
        return rel
    return f"{head}/{_VERSION_OF.sub('', stem)}.{ext}"


def _folders(bronze: Path, kind: Kind) -> list[tuple[Path, str | None]]:
    base = bronze / kind
    if not base.is_dir():
        return []
    if kind != "fhir":
        return [(base, None)]
    found: list[tuple[Path, str | None]] = []
    for sub in sorted(base.iterdir()):
        match = _COHORT.fullmatch(sub.name)
        if match and sub.is_dir() and not sub.is_symlink():
            found.append((sub, match.group(1)))
    return found


def _eligible(path: Path, kind: Kind) -> bool | None:
    """True: a file to consider; False: skipped quietly (a writer's temporary file, a hidden file, another
    kind); None: rejected (an unsafe name, or a link — never followed out of the root)."""
    name = path.name
    if name.startswith(".") or name.endswith(_TEMP_SUFFIXES) or not name.endswith(KIND_SUFFIX[kind]):
        return False
    try:
        safe_name(name)
    except InputError:
        return None
    return None if path.is_symlink() or not path.is_file() else True


def scan(root: Path) -> Scan:
    """Every eligible file in `bronze/fhir/cohort=*/` and `bronze/dicom|csv|dna/` (not temporary or
    hidden files, not links, only safe names), minus the files a running landing is writing."""
    planned, _ = _landing_paths(root)
    found: list[BronzeFile] = []
    rejected: list[str] = []
    for kind in KINDS:
        for folder, cohort in _folders(root / "bronze", kind):
            for path in sorted(folder.iterdir()):
                eligible = _eligible(path, kind)
                if eligible is None:
                    rejected.append(str(path))
                if not eligible:
                    continue
                rel = path.relative_to(root).as_posix()
                if planned and _unversioned(rel) in planned:
                    continue  # the running landing records it
                try:
                    st = path.lstat()
                except FileNotFoundError:  # removed since the folder was listed
                    continue
                found.append(BronzeFile(path, rel, kind, cohort, Stat(st.st_size, st.st_mtime_ns)))
    return Scan(tuple(found), tuple(rejected))


def written_after_recorded(entry: ManifestEntry, stat: Stat) -> bool:
    """The file was modified a second or more after the manifest recorded it (`landed_at` keeps whole
    seconds): it may hold other bytes of the same size, which only hashing tells."""
    try:
        recorded = dt.datetime.fromisoformat(entry.landed_at)
    except ValueError:
        return False
    if recorded.tzinfo is None:
        recorded = recorded.replace(tzinfo=dt.UTC)
    return stat.mtime_ns >= (int(recorded.timestamp()) + 1) * 1_000_000_000


def looks_complete(path: Path) -> bool:
    """A JSON bundle is complete when its last non-blank byte closes it."""
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 256))
        return fh.read().rstrip().endswith(b"}")


def logical_name(file_name: str) -> str:
    """`name~<sha12>.json` (a re-landed version) keeps its logical name `name.json`."""
    match = _VERSIONED.fullmatch(file_name)
    return match.group("stem") + match.group("ext") if match else file_name


@dataclass(frozen=True)
class Registered:
    entries: tuple[ManifestEntry, ...]  # written to the manifest now
    updated: int  # how many of them replace the entry of a registered file whose bytes changed in place
    hashed: tuple[tuple[BronzeFile, str], ...]  # every ready file that was still as seen, with its sha256


def register(root: Path, ready: Sequence[BronzeFile]) -> Registered:
    """Hash complete files and record those the manifest does not hold with these bytes. A file written
    to again while it was hashed is skipped (it is not complete). An in-place change of a registered
    file keeps that entry's source."""
    if not ready:
        return Registered((), 0, ())
    manifest = Manifest.load(root).by_path()
    entries: list[ManifestEntry] = []
    hashed: list[tuple[BronzeFile, str]] = []
    for f in ready:
        try:
            sha = sha256_file(f.path)
            st = f.path.lstat()
        except FileNotFoundError:  # removed meanwhile
            continue
        if Stat(st.st_size, st.st_mtime_ns) != f.stat:  # written to again while hashing: wait more
            continue
        hashed.append((f, sha))
        prior = manifest.get(f.rel)
        if prior is not None and prior.sha256 == sha:
            continue
        entries.append(
            ManifestEntry(
                name=logical_name(f.path.name),
                kind=f.kind,
                cohort=f.cohort,
                path=f.rel,
                bytes=f.stat.size,
                sha256=sha,
                landed_at=now_iso(),
                source=prior.source if prior is not None else PLACED_SOURCE,
            )
        )
    written = record(root, entries)
    updated = sum(e.path in manifest for e in written)
    if written:
        log.info("registered %d new and %d changed Bronze file(s)", len(written) - updated, updated)
    return Registered(tuple(written), updated, tuple(hashed))


def cohort_fingerprints(root: Path, manifest: Manifest | None = None) -> dict[str, str]:
    """Settled cohort → fingerprint of its registered FHIR files (sorted path + sha256), in cohort
    order. A cohort the running landing has files still to record in is left out until it finishes."""
    manifest = manifest if manifest is not None else Manifest.load(root)
    _, landing = _landing_paths(root)
    by_cohort: dict[str, list[tuple[str, str]]] = {}
    for e in manifest.fhir():
        if e.cohort:
            by_cohort.setdefault(e.cohort, []).append((e.path, e.sha256))
    prints: dict[str, str] = {}
    for cohort in manifest.cohorts():
        if cohort in landing:
            continue
        digest = hashlib.sha256()
        for path, sha in sorted(by_cohort.get(cohort, [])):
            digest.update(f"{path}\0{sha}\n".encode())
        prints[cohort] = digest.hexdigest()[:16]
    return prints
