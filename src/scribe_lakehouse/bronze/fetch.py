"""Copy one source object into Bronze safely: bytes go to `<dest>.part`, a half-downloaded part is
finished with a ranged read (only when the object's ETag is unchanged), the size and — for a plain
MD5 ETag — the checksum are verified, and only then is the file renamed into place (atomic)."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from scribe_lakehouse.bronze.names import is_md5_etag
from scribe_lakehouse.bronze.sources import Source, SourceObject
from scribe_lakehouse.errors import SourceError
from scribe_lakehouse.redaction import ref

log = logging.getLogger(__name__)

_MAX_RESUMES = 3  # ranged re-reads within one run after a stream broke having delivered bytes


@dataclass(frozen=True)
class Fetched:
    """A verified copy waiting at `part` to be renamed into place."""

    part: Path
    bytes: int
    sha256: str
    resumed_from: int


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def _hash_existing(path: Path, *hashes: hashlib._Hash) -> None:
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            for h in hashes:
                h.update(chunk)


def fetch(
    source: Source, obj: SourceObject, dest: Path, *, resume: bool, stop: threading.Event | None = None
) -> Fetched:
    """Read `obj` into `<dest>.part` and verify it. `resume` says an existing part holds a prefix of
    this very object version (same ETag); otherwise any old part is discarded. When `stop` is set the
    read ends at the next chunk with what arrived kept in the part."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(dest)
    offset = part.stat().st_size if part.exists() else 0
    if not resume or offset > obj.size or obj.etag is None:
        offset = 0
    sha = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False) if obj.etag and is_md5_etag(obj.etag) else None
    resumed_from = offset
    if offset:
        _hash_existing(part, *(h for h in (sha, md5) if h is not None))
        log.debug("resuming %s at byte %d", ref(obj.key), offset)
    with part.open("r+b" if offset else "wb") as fh:
        fh.seek(offset)
        fh.truncate()
        retries = 0
        while offset < obj.size:
            start = offset
            try:
                for chunk in source.read(obj, offset=offset):
                    if stop is not None and stop.is_set():
                        raise SourceError("landing interrupted")
                    fh.write(chunk)
                    sha.update(chunk)
                    if md5 is not None:
                        md5.update(chunk)
                    offset += len(chunk)
                break
            except SourceError as exc:
                # a stream that broke after delivering bytes is resumed where it stopped; anything else fails
                if not exc.transient or offset == start or retries >= _MAX_RESUMES:
                    fh.flush()
                    raise
                retries += 1
                log.info("connection dropped mid-file; resuming at byte %d (retry %d)", offset, retries)
        fh.flush()
        os.fsync(fh.fileno())
    if offset != obj.size:
        raise SourceError(
            f"short read from {source.url} ({ref(obj.key)}): {offset} of {obj.size} bytes; re-run to resume",
            transient=True,
        )
    if md5 is not None and md5.hexdigest() != obj.etag:
        part.unlink()
        raise SourceError(f"checksum mismatch on an object of {source.url} ({ref(obj.key)}); re-run ingest")
    return Fetched(part=part, bytes=offset, sha256=sha.hexdigest(), resumed_from=resumed_from)


def commit(fetched: Fetched, dest: Path) -> None:
    """Move a verified part into place (atomic on one filesystem) and make the rename durable."""
    os.replace(fetched.part, dest)
    fd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
