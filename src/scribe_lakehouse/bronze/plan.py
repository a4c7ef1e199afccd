"""The plan of an in-progress landing (`bronze/_metadata/landing_plan.json`): which object goes where.

Written before any download, so an interrupted landing resumes into the same cohorts, finishes its
half-downloaded parts (same ETag only) and adopts files it had renamed into place but not yet recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePosixPath

from scribe_lakehouse.bronze.manifest import Kind, Manifest, ManifestEntry, record
from scribe_lakehouse.bronze.names import cohort_label, is_md5_etag, md5_file, sha256_file, versioned_name
from scribe_lakehouse.bronze.sources import SourceObject

log = logging.getLogger(__name__)

PLAN = "bronze/_metadata/landing_plan.json"


@dataclass(frozen=True)
class PlanItem:
    """Where one object of an in-progress landing goes (`path` is the un-versioned destination)."""

    kind: Kind
    name: str
    cohort: str | None
    path: str
    bytes: int
    etag: str | None
    url: str


@dataclass(frozen=True)
class Plan:
    """A landing's plan: its items, and `start`, how many manifest entries there were when the landing
    began (its entries are the ones from there on, put in name order when it completes)."""

    items: tuple[PlanItem, ...] = ()
    start: int | None = None


def load_plan(root: Path) -> Plan:
    path = root / PLAN
    if not path.exists():
        return Plan()
    body = json.loads(path.read_text("utf-8"))
    items = [PlanItem(**i) for i in body["items"]]
    start = body.get("manifest_start")
    # the plan is ours, but a path from disk is checked before anything is written to it
    safe = tuple(i for i in items if ".." not in PurePosixPath(i.path).parts and i.path.startswith("bronze/"))
    return Plan(safe, int(start) if isinstance(start, int) else None)


def save_plan(root: Path, items: Sequence[PlanItem], *, start: int) -> None:
    path = root / PLAN
    if not items:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    body = {"plan_version": 1, "manifest_start": start, "items": [asdict(i) for i in items]}
    tmp.write_text(json.dumps(body, indent=1), "utf-8")
    os.replace(tmp, path)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def adopt(root: Path, plan: Sequence[PlanItem]) -> list[ManifestEntry]:
    """Files an interrupted landing renamed into place (so complete and verified) but did not record."""
    known = Manifest.load(root).by_path()
    found: list[ManifestEntry] = []
    for item in plan:
        base = root / item.path
        if item.path not in known:
            candidates = [base]
        else:  # a new version of a name landed before: it was renamed to name~<sha12>.ext
            stem, dot, ext = base.name.rpartition(".")
            candidates = sorted(base.parent.glob(f"{stem}~????????????{dot}{ext}")) if dot else []
        prior = known.get(item.path)
        if prior is not None and prior.etag is None and _is_our_copy(base, item):
            # registered meanwhile by `watch` as a placed file: it is this object, so record where from
            found.append(replace(prior, source=item.url, etag=item.etag))
            continue
        for path in candidates:
            rel = str(path.relative_to(root))
            if rel in known or not path.is_file() or path.is_symlink() or path.stat().st_size != item.bytes:
                continue
            sha = sha256_file(path)
            if path != base and path.name != versioned_name(item.name, sha):
                continue
            entry = ManifestEntry(
                item.name, item.kind, item.cohort, rel, item.bytes, sha, now_iso(), item.url, item.etag
            )
            found.append(entry)
    if found:
        record(root, found)
        log.info("recorded %d file(s) an interrupted landing had already written", len(found))
    return found


def _is_our_copy(path: Path, item: PlanItem) -> bool:
    """The file at `path` holds exactly the planned object (checked against its MD5 ETag)."""
    if item.etag is None or not is_md5_etag(item.etag) or not path.is_file() or path.is_symlink():
        return False
    return path.stat().st_size == item.bytes and md5_file(path) == item.etag


def _new_labels(count: int, used: set[str]) -> list[str]:
    labels: list[str] = []
    index = 0
    while len(labels) < count:
        label = cohort_label(index)
        if label not in used:
            labels.append(label)
        index += 1
    return labels


def destinations(
    todo: Sequence[tuple[SourceObject, str]], old: Sequence[PlanItem], manifest: Manifest, cohorts: int
) -> list[tuple[PlanItem, SourceObject, bool]]:
    """Destination of every object to land: an unfinished object of an interrupted plan keeps its place
    (and may resume its part); new FHIR bundles are dealt round-robin into new cohorts."""
    old_by = {(i.kind, i.name): i for i in old}
    used = set(manifest.cohorts()) | {i.cohort for i in old if i.cohort}
    fresh = [(o, n) for o, n in todo if o.kind == "fhir" and not _same_object(old_by.get((o.kind, n)), o)]
    labels = _new_labels(min(cohorts, len(fresh)), used)
    deal = {id(o): labels[i % len(labels)] for i, (o, _) in enumerate(fresh)} if labels else {}
    planned: list[tuple[PlanItem, SourceObject, bool]] = []
    for obj, name in todo:
        prior = old_by.get((obj.kind, name))
        if _same_object(prior, obj):
            assert prior is not None
            planned.append((prior, obj, obj.etag is not None))
            continue
        cohort = deal.get(id(obj))
        folder = f"bronze/{obj.kind}" + (f"/cohort={cohort}" if cohort else "")
        item = PlanItem(obj.kind, name, cohort, f"{folder}/{name}", obj.size, obj.etag, obj.url)
        planned.append((item, obj, False))
    return planned


def _same_object(item: PlanItem | None, obj: SourceObject) -> bool:
    return item is not None and (item.url, item.bytes, item.etag) == (obj.url, obj.size, obj.etag)
