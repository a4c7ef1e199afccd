"""Bronze landing: copy source files into cohort folders, append-only, with a sha256 manifest.

Files are sorted by name and dealt round-robin into new cohorts (A, B, C, … then AA, AB, …); a later
landing creates new cohorts and never moves old files. A file already landed with the same name, size
and checksum is skipped (resumable); the same name with new bytes lands as a new version beside the old.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import string
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from scribe_lakehouse.errors import ConfigError, InputError, ReasonCode
from scribe_lakehouse.lakehouse import Lakehouse

log = logging.getLogger(__name__)

Kind = Literal["fhir", "dicom", "csv", "dna"]
KIND_SUFFIX: dict[Kind, str] = {"fhir": ".json", "dicom": ".dcm", "csv": ".csv", "dna": ".csv"}
MANIFEST = "bronze/_metadata/manifest.json"
REFERENCE_PREFIXES = ("organizations", "practitioners", "hospitalInformation", "practitionerInformation")


@dataclass(frozen=True)
class ManifestEntry:
    """One landed file version."""

    name: str
    kind: str
    cohort: str | None
    path: str
    bytes: int
    sha256: str
    landed_at: str
    source: str

    @property
    def is_reference_bundle(self) -> bool:
        return self.kind == "fhir" and self.name.startswith(REFERENCE_PREFIXES)


@dataclass
class Manifest:
    """The Bronze manifest: every landed file version, in landing order."""

    entries: list[ManifestEntry] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path) -> Manifest:
        """The manifest under `root` (empty when nothing was landed). A manifest that is not valid, or
        that names a path outside `bronze/`, is refused: nothing is read through it."""
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
        return sorted((c for c in seen if c), key=_cohort_order)

    def fhir(self, cohorts: Sequence[str] | None = None) -> list[ManifestEntry]:
        return [e for e in self.entries if e.kind == "fhir" and (not cohorts or e.cohort in cohorts)]


@dataclass(frozen=True)
class LandingSummary:
    landed: int
    skipped: int
    rejected: int
    bytes: int
    cohorts: tuple[str, ...]


def _cohort_order(label: str) -> tuple[int, str]:
    return (len(label), label)


def cohort_label(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA, …"""
    letters = string.ascii_uppercase
    label = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        label = letters[rem] + label
    return label


def safe_name(name: str) -> str:
    """A file name that cannot escape its folder: NFC-normalised, no separators, no `..`, no control
    characters. Raises InputError otherwise."""
    clean = unicodedata.normalize("NFC", name)
    if (
        not clean
        or clean in {".", ".."}
        or "/" in clean
        or "\\" in clean
        or ".." in clean
        or clean.startswith(("~", "."))
        or any(unicodedata.category(ch).startswith("C") for ch in clean)
    ):
        raise InputError(ReasonCode.WRONG_TYPE, "file name is not a safe relative name")
    return clean


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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_files(source: Path, kind: Kind) -> list[Path]:
    """Files of `kind` in a local source: `SRC/<kind>/` (laid out like the Coherent S3 prefix), or, for
    FHIR, the JSON files directly in SRC."""
    if not source.is_dir():
        raise ConfigError(f"source folder not found: {source}")
    folder = source / kind
    if not folder.is_dir():
        folder = source if kind == "fhir" else folder
    if not folder.is_dir():
        return []
    suffix = KIND_SUFFIX[kind]
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(suffix))


def _copy_atomic(src: Path, dest: Path) -> tuple[int, str]:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    size = 0
    with src.open("rb") as fin, tmp.open("wb") as fout:
        for chunk in iter(lambda: fin.read(1 << 20), b""):
            digest.update(chunk)
            fout.write(chunk)
            size += len(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    os.replace(tmp, dest)
    return size, digest.hexdigest()


def _dest(root: Path, kind: Kind, cohort: str | None, src: Path, name: str, taken: set[str]) -> Path:
    """Where a file lands; a new version of a name already landed goes beside the old one as
    `name~<sha12>.ext` (then `~<sha12>-2`, … should that be taken too). Adds the path to `taken`."""
    base = root / "bronze" / kind
    folder = base / f"cohort={cohort}" if cohort else base
    dest = folder / name
    if str(dest.relative_to(root)) in taken:  # a new version of a file already landed: keep both
        stem, dot, ext = name.rpartition(".")
        tag = sha256_file(src)[:12]
        dest = folder / f"{stem}~{tag}{dot}{ext}"
        n = 1
        while str(dest.relative_to(root)) in taken:
            n += 1
            dest = folder / f"{stem}~{tag}-{n}{dot}{ext}"
    taken.add(str(dest.relative_to(root)))
    return dest


def remove_partial_copies(root: Path) -> int:
    """Delete `*.part` files a killed landing left in Bronze (only ever called under the writer lock, so
    no landing is in progress); they were never in the manifest. Returns how many."""
    bronze = root / "bronze"
    removed = 0
    if bronze.is_dir():
        for part in bronze.rglob("*.part"):
            part.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.warning("removed %d partial file(s) left by an interrupted landing", removed)
    return removed


def land(
    source: Path,
    root: Path,
    *,
    kinds: Iterable[Kind] = ("fhir",),
    cohorts: int = 3,
    max_files: int | None = None,
    workers: int = 4,
    progress: Callable[[int], None] | None = None,
) -> LandingSummary:
    """Land files of `kinds` from a local folder into Bronze; FHIR bundles go to new cohorts. Holds the
    root's writer lock. The manifest is written once, after every file of the landing is in place, so a
    landing killed part-way has landed nothing and the next one deals the same files the same way."""
    if cohorts < 1:
        raise ConfigError("--cohorts must be at least 1")
    with Lakehouse(root).lock():
        remove_partial_copies(root)
        return _land(
            source,
            root,
            kinds=kinds,
            cohorts=cohorts,
            max_files=max_files,
            workers=workers,
            progress=progress,
        )


def _land(
    source: Path,
    root: Path,
    *,
    kinds: Iterable[Kind],
    cohorts: int,
    max_files: int | None,
    workers: int,
    progress: Callable[[int], None] | None,
) -> LandingSummary:
    manifest = Manifest.load(root)
    by_name = {(e.name, e.kind): e for e in manifest.entries}  # the latest version of each name
    taken = {e.path for e in manifest.entries}
    next_cohort = len(manifest.cohorts())
    landed: list[ManifestEntry] = []
    skipped = rejected = 0
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    new_cohorts: list[str] = []
    for kind in kinds:
        files = source_files(source, kind)
        if max_files is not None:
            files = files[:max_files]
        todo: list[tuple[Path, str]] = []
        for path in files:
            try:
                name = safe_name(path.name)
            except InputError:
                rejected += 1
                continue
            latest = by_name.get((name, kind))
            same_size = latest is not None and latest.bytes == path.stat().st_size
            if same_size and latest is not None and latest.sha256 == sha256_file(path):
                skipped += 1
                if progress:
                    progress(1)
                continue
            todo.append((path, name))
        n_cohorts = min(cohorts, len(todo)) if kind == "fhir" else 0
        labels = [cohort_label(next_cohort + i) for i in range(n_cohorts)]
        next_cohort += n_cohorts
        new_cohorts.extend(labels)

        # destinations are chosen in order before any copy, so names that collide (a re-landed file, or
        # two source names equal after NFC normalisation) get distinct, deterministic paths
        plan = []
        for i, (path, name) in enumerate(todo):
            cohort = labels[i % len(labels)] if labels else None
            plan.append((path, name, cohort, _dest(root, kind, cohort, path, name, taken)))

        def one(item: tuple[Path, str, str | None, Path], kind: Kind = kind) -> ManifestEntry:
            path, name, cohort, dest = item
            size, sha = _copy_atomic(path, dest)
            return ManifestEntry(name, kind, cohort, str(dest.relative_to(root)), size, sha, now, str(source))

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for entry in pool.map(one, plan):
                landed.append(entry)
                if progress:
                    progress(1)
    if landed:
        manifest.entries.extend(landed)
        manifest.save(root)
    if rejected:
        log.warning("rejected %d file(s) with unsafe names", rejected)
    log.info("landed %d file(s), skipped %d already landed, cohorts %s", len(landed), skipped, new_cohorts)
    return LandingSummary(
        landed=len(landed),
        skipped=skipped,
        rejected=rejected,
        bytes=sum(e.bytes for e in landed),
        cohorts=tuple(new_cohorts),
    )
