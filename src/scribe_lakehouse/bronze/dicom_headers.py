"""The DICOM header index, with headers cached beside the Bronze manifest.

Reading the headers needs pydicom (~0.27 CPU-s to import) and every DICOM file, on every run, while the
parse workers want both cores. So the headers are read once, when the files are landed, and kept in
`bronze/_metadata/dicom_headers.json`: Bronze path -> the sha256 of the bytes read and the header fields
Silver keeps (null: a broken file). A cached header counts only when its sha256 equals the manifest's;
anything else (a landing killed before saving, a Bronze landed by an older version, a replaced file) is
read from the file and the cache updated. Callers hold the writer lock. This module imports no pydicom.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from scribe_lakehouse.bronze.manifest import METADATA, Manifest, ManifestEntry
from scribe_lakehouse.fhir.model import DicomHeader

__all__ = ["HEADERS", "index_headers", "load_index", "refresh", "uid_from_dicom_name"]

log = logging.getLogger(__name__)

HEADERS = f"{METADATA}/dicom_headers.json"
_VERSION = 1

_NAME = re.compile(
    r"(?:.*_)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"(?P<uid>[0-9]+(?:\.[0-9]+)+)\.dcm",
    re.IGNORECASE | re.DOTALL,
)


def uid_from_dicom_name(name: str) -> str | None:
    """The StudyInstanceUID right after the 36-character patient UUID in a Coherent DICOM file name;
    None when the name does not have that shape."""
    match = _NAME.fullmatch(Path(name).name)
    if match is None:
        return None
    uid = match.group("uid")
    return uid if len(uid) <= 64 else None


def index_headers(named: Iterable[tuple[str, DicomHeader | None]]) -> dict[str, DicomHeader]:
    """StudyInstanceUID (from the file name, else the header) -> header, from (file name, header or None
    for a broken file). A broken file leaves its study un-enriched; only counts are logged."""
    index: dict[str, DicomHeader] = {}
    broken = 0
    for name, header in named:
        if header is None:
            broken += 1
            continue
        index[uid_from_dicom_name(name) or header.study_instance_uid] = header
    if broken:
        log.warning("DICOM index: %d broken file(s) skipped, %d header(s) indexed", broken, len(index))
    else:
        log.info("DICOM index: %d header(s) indexed", len(index))
    return index


def _to_json(header: DicomHeader | None) -> dict[str, object] | None:
    if header is None:
        return None
    body = dataclasses.asdict(header)
    if header.study_date is not None:
        body["study_date"] = header.study_date.isoformat()
    return body


def _from_json(body: dict[str, object] | None) -> DicomHeader | None:
    if body is None:
        return None
    fields = dict(body)
    if isinstance(fields.get("study_date"), str):
        fields["study_date"] = dt.date.fromisoformat(str(fields["study_date"]))
    return DicomHeader(**fields)  # type: ignore[arg-type]


def _load(root: Path) -> dict[str, tuple[str, DicomHeader | None]]:
    """The cache as path -> (sha256, header); empty when missing or unreadable (it is only a cache)."""
    try:
        body = json.loads((root / HEADERS).read_text("utf-8"))
        if body.get("version") != _VERSION:
            return {}
        return {path: (e["sha256"], _from_json(e["header"])) for path, e in body["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _save(root: Path, cache: dict[str, tuple[str, DicomHeader | None]]) -> None:
    path = root / HEADERS
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".json.{os.getpid()}.tmp")  # a reader outside the lock (walkthrough) may save too
    files = {p: {"sha256": sha, "header": _to_json(h)} for p, (sha, h) in sorted(cache.items())}
    tmp.write_text(json.dumps({"version": _VERSION, "files": files}, indent=1) + "\n", "utf-8")
    os.replace(tmp, path)


def _headers(root: Path, entries: Sequence[ManifestEntry]) -> list[DicomHeader | None]:
    """The header of each DICOM entry (None: broken), from the cache or read from the file; the cache is
    saved again when anything had to be read."""
    cache = _load(root)
    out: list[DicomHeader | None] = []
    missing = 0
    for entry in entries:
        cached = cache.get(entry.path)
        if cached is not None and cached[0] == entry.sha256:
            out.append(cached[1])
            continue
        from scribe_lakehouse.bronze.dicom import header_or_none  # pydicom loads only when needed

        header = header_or_none(root / entry.path)
        cache[entry.path] = (entry.sha256, header)
        out.append(header)
        missing += 1
    if missing:
        try:
            _save(root, cache)
        except OSError as exc:  # a read-only Bronze still gets its index, just not the cache
            log.warning("could not save the DICOM header cache: %s", exc.strerror or type(exc).__name__)
    return out


def _dicom_entries(manifest: Manifest) -> list[ManifestEntry]:
    return [e for e in manifest.entries if e.kind == "dicom"]


def refresh(root: Path, manifest: Manifest) -> None:
    """Read into the cache the headers of landed DICOM files it lacks (the end of a landing)."""
    _headers(root, _dicom_entries(manifest))


def load_index(root: Path, manifest: Manifest) -> dict[str, DicomHeader]:
    """The UID -> header index of the DICOM files in the manifest (a file a killed landing left
    unlisted is not used), from the cache where it is current."""
    entries = _dicom_entries(manifest)
    if not entries:
        return {}
    return index_headers(
        (Path(e.path).name, header) for e, header in zip(entries, _headers(root, entries), strict=True)
    )
