"""Bronze landing: copy source files into cohort folders, append-only, with a sha256 manifest.

Files are listed from a local folder or an S3 prefix (`bronze.sources`), sorted by name and dealt
round-robin into new cohorts (A, B, C, … then AA, AB, …); a later landing creates new cohorts and never
moves old files. Resumable: a file whose latest landed version has the same size and the same ETag (S3;
nothing is downloaded) or sha256 (local) is skipped; the same name with other bytes lands as a new
version beside the old (`name~<sha12>.ext`). Before downloading, the landing writes its plan (which
object goes where) to `bronze/_metadata/landing_plan.json`, so an interrupted landing — even one killed
by SIGKILL — resumes into the same cohorts, finishes half-downloaded `.part` files with a ranged read
(S3, same ETag), and adopts files it had renamed into place but not yet recorded: nothing is fetched
twice. Landed files are recorded every few seconds; when the landing completes, its manifest entries are
put in name order, so the manifest ends exactly as an uninterrupted landing writes it. A landing holds
the root's writer lock. Source keys become safe local names; unsafe ones are rejected and counted, never
written.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from scribe_lakehouse.bronze import dicom_headers
from scribe_lakehouse.bronze.fetch import Fetched, commit, fetch
from scribe_lakehouse.bronze.manifest import (
    KIND_SUFFIX,
    MANIFEST,
    REFERENCE_PREFIXES,
    Kind,
    Manifest,
    ManifestEntry,
    cohort_order,
    is_reference_name,
    is_safe_bronze_path,
    landing_lock,
    order_landing,
    record,
)
from scribe_lakehouse.bronze.names import cohort_label, is_md5_etag, md5_file, safe_name, sha256_file
from scribe_lakehouse.bronze.plan import PlanItem, adopt, destinations, load_plan, now_iso, save_plan
from scribe_lakehouse.bronze.sources import S3Source, Source, SourceObject, open_source
from scribe_lakehouse.errors import ConfigError, InputError, SourceError
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.progress import Progress
from scribe_lakehouse.redaction import ref

__all__ = [
    "KIND_SUFFIX",
    "MANIFEST",
    "REFERENCE_PREFIXES",
    "Kind",
    "LandingSummary",
    "Manifest",
    "ManifestEntry",
    "cohort_label",
    "is_safe_bronze_path",
    "land",
    "remove_partial_copies",
    "safe_name",
    "sha256_file",
]

log = logging.getLogger(__name__)

_FLUSH_SECONDS = 2.0
_FLUSH_FILES = 50


@dataclass(frozen=True)
class LandingSummary:
    landed: int
    skipped: int
    rejected: int
    bytes: int
    cohorts: tuple[str, ...]
    source: str = ""
    resumed: int = 0  # files finished from a half-downloaded part or adopted after an interruption


def _select(
    source: Source, kinds: Iterable[Kind], max_files: int | None
) -> tuple[list[tuple[SourceObject, str]], int, int]:
    """Listed objects with their safe local names (sorted by name per kind); how many were rejected, and
    how many of those because their name equals an earlier key's after Unicode normalisation (the
    first key in listing order is kept: one name, one file, so a re-landing never flip-flops between
    the two). `max_files` caps each kind; FHIR reference bundles are always kept (bundles need them)."""
    selected: list[tuple[SourceObject, str]] = []
    rejected = twins = listed = 0
    for kind in kinds:
        named: list[tuple[SourceObject, str]] = []
        seen: set[str] = set()
        objects = source.list(kind)
        listed += len(objects)
        if not objects:
            log.warning("no %s files under %s", kind, source.url)
        for obj in objects:
            try:
                name = safe_name(obj.relative)
            except InputError:
                rejected += 1
                continue
            if name in seen:  # two keys that normalise to one local name: keep the first
                rejected += 1
                twins += 1
                continue
            seen.add(name)
            named.append((obj, name))
        named.sort(key=lambda pair: pair[1])
        if max_files is not None:
            refs = [p for p in named if kind == "fhir" and is_reference_name(p[1])]
            others = [p for p in named if not (kind == "fhir" and is_reference_name(p[1]))]
            keep = {id(p) for p in refs + others[:max_files]}
            named = [p for p in named if id(p) in keep]
        selected.extend(named)
    if not listed:
        raise ConfigError(
            f"no files to land under {source.url}: expected fhir/ (bundles), dicom/, csv/ or dna/ there, "
            "or a folder of bundles"
        )
    return selected, rejected, twins


def remove_partial_copies(root: Path, keep: AbstractSet[str] = frozenset()) -> int:
    """Delete `.part` files in Bronze except those of planned destinations in `keep` (a resumable
    download's part). Called under the writer lock, so no landing is writing them. Returns how many."""
    bronze = root / "bronze"
    removed = 0
    if bronze.is_dir():
        for part in bronze.rglob("*.part"):
            if part.relative_to(root).as_posix().removesuffix(".part") not in keep:
                part.unlink(missing_ok=True)
                removed += 1
    if removed:
        log.warning("removed %d partial file(s) no landing can resume", removed)
    return removed


def _already_landed(root: Path, source: Source, obj: SourceObject, latest: ManifestEntry | None) -> bool:
    """Same bytes as the latest landed version of this name: same size, and the same ETag (S3), the
    same MD5 as the Bronze copy (S3 object against a file landed without an ETag), or the same sha256
    (local source). Reverting to an older version's bytes is a change and lands again."""
    if latest is None or latest.bytes != obj.size:
        return False
    if obj.etag is not None:
        if latest.etag is not None:
            return latest.etag == obj.etag
        copy = root / latest.path
        return is_md5_etag(obj.etag) and copy.is_file() and md5_file(copy) == obj.etag
    digest = hashlib.sha256()
    for chunk in source.read(obj):
        digest.update(chunk)
    return digest.hexdigest() == latest.sha256


@dataclass(frozen=True)
class _Landed:
    entry: ManifestEntry | None  # None: the bytes were already in Bronze under this name
    resumed: bool


def _destination(root: Path, base: Path, name: str, sha256: str, taken: AbstractSet[str]) -> Path | None:
    """Where verified bytes go: the planned path, or — when a landed version holds it, or an unrecorded
    file with other bytes sits there (say, one placed for `watch`) — `name~<sha12>` (then
    `~<sha12>-2`, …). None: an unrecorded file at the planned path already holds these very bytes (left
    by a landing that died before recording it), so it is recorded as it is."""
    if base.relative_to(root).as_posix() not in taken:
        if not base.exists():
            return base
        if not base.is_symlink() and sha256_file(base) == sha256:
            return None
    stem, dot, ext = name.rpartition(".")
    stem, dot, ext = (stem, dot, ext) if dot else (name, "", "")
    tag, n = sha256[:12], 1
    dest = base.with_name(f"{stem}~{tag}{dot}{ext}")
    while dest.relative_to(root).as_posix() in taken or dest.exists():
        n += 1
        dest = base.with_name(f"{stem}~{tag}-{n}{dot}{ext}")
    return dest


def _land_one(
    root: Path,
    source: Source,
    item: PlanItem,
    obj: SourceObject,
    resume: bool,
    latest: ManifestEntry | None,
    taken: AbstractSet[str],
    stop: threading.Event,
) -> _Landed:
    base = root / item.path
    fetched: Fetched = fetch(source, obj, base, resume=resume, stop=stop)
    if latest is not None and fetched.sha256 == latest.sha256:
        fetched.part.unlink()
        return _Landed(None, fetched.resumed_from > 0)
    dest = _destination(root, base, item.name, fetched.sha256, taken)
    if dest is None:
        fetched.part.unlink()
        dest = base
    else:
        commit(fetched, dest)
    entry = ManifestEntry(
        name=item.name,
        kind=item.kind,
        cohort=item.cohort,
        path=dest.relative_to(root).as_posix(),
        bytes=fetched.bytes,
        sha256=fetched.sha256,
        landed_at=now_iso(),
        source=obj.url,
        etag=obj.etag,
    )
    return _Landed(entry, fetched.resumed_from > 0)


def _progress_fns(
    progress: Progress | Callable[[int], None] | None,
) -> tuple[Callable[[str, int], None], Callable[[int], None]]:
    if progress is None:
        return (lambda _d, _t: None), (lambda _n: None)
    if callable(progress):
        return (lambda _d, _t: None), progress
    return progress.start, progress.advance


def land(
    source: str | Path | Source | None,
    root: Path,
    *,
    kinds: Iterable[Kind] = ("fhir",),
    cohorts: int = 3,
    max_files: int | None = None,
    workers: int | None = None,
    progress: Progress | Callable[[int], None] | None = None,
) -> LandingSummary:
    """Land files of `kinds` from a local folder or an s3:// prefix (None: the Coherent bucket) into
    Bronze, in parallel; FHIR bundles go to new cohorts. On a read error the files already landed stay
    recorded and one SourceError says what failed; running the same command again resumes."""
    if cohorts < 1:
        raise ConfigError("--cohorts must be at least 1")
    src = open_source(source, workers=workers or 8)
    workers = workers or (8 if isinstance(src, S3Source) else 4)
    start, advance = _progress_fns(progress)
    with Lakehouse(root).lock(), landing_lock(root):
        old = load_plan(root)
        old_plan = list(old.items)
        remove_partial_copies(root, keep={i.path for i in old_plan})
        adopted = adopt(root, old_plan)
        manifest = Manifest.load(root)
        # where this landing's entries begin: an interrupted landing's plan remembers where it began
        begin = old.start if old.start is not None and old_plan else len(manifest.entries) - len(adopted)
        log.info("listing %s", src.url)
        selected, rejected, twins = _select(src, kinds, max_files)
        if rejected:
            log.warning(
                "rejected %d file(s) with unsafe names%s",
                rejected,
                f" ({twins} equal to another file's name after Unicode normalisation)" if twins else "",
            )
        start("Landing files", len(selected))
        latest = {(e.kind, e.name): e for e in manifest.entries}  # the latest version of each name
        taken = frozenset(e.path for e in manifest.entries)
        todo: list[tuple[SourceObject, str]] = []
        skipped = 0
        adopted_paths = {e.path for e in adopted}
        for obj, name in selected:
            prior = latest.get((obj.kind, name))
            if _already_landed(root, src, obj, prior):
                skipped += int(prior is not None and prior.path not in adopted_paths)  # adopted: landed
                advance(1)
            else:
                todo.append((obj, name))
        planned = destinations(todo, old_plan, manifest, cohorts)
        in_plan = {(i.kind, i.name) for i, _, _ in planned}
        done_paths = {e.path for e in manifest.entries}
        leftover = [i for i in old_plan if (i.kind, i.name) not in in_plan and i.path not in done_paths]
        save_plan(root, [i for i, _, _ in planned] + leftover, start=begin)
        log.info("%d file(s) to land, %d already landed", len(planned), skipped)
        landed, duplicates, resumed, error = _run_pool(root, src, planned, latest, taken, workers, advance)
        if error is None:
            order_landing(root, begin)
            save_plan(root, leftover, start=len(Manifest.load(root).entries))
            remove_partial_copies(root, keep={i.path for i in leftover})
        dicom_headers.refresh(root, Manifest.load(root))  # runs then read no DICOM file (nor pydicom)
    # cohorts that received files in this run (an interrupted landing's files count when adopted here)
    new_cohorts = tuple(
        sorted({e.cohort for e in (*adopted, *landed) if e.kind == "fhir" and e.cohort}, key=cohort_order)
    )
    summary = LandingSummary(
        landed=len(landed) + len(adopted),
        skipped=skipped + duplicates,
        rejected=rejected,
        bytes=sum(e.bytes for e in landed) + sum(e.bytes for e in adopted),
        cohorts=new_cohorts,
        source=src.url,
        resumed=resumed + len(adopted),
    )
    if error is not None:
        raise SourceError(
            f"{error}; kept the {summary.landed} file(s) landed before the failure — "
            "run the same ingest again to resume"
        )
    log.info(
        "landed %d file(s) (%d resumed), skipped %d already landed, new cohorts %s",
        summary.landed,
        summary.resumed,
        summary.skipped,
        ", ".join(new_cohorts) or "none",
    )
    return summary


def _one_line(exc: BaseException) -> str:
    """The error of one file as a line that names no file (paths and keys carry patient names)."""
    if isinstance(exc, SourceError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"cannot write into Bronze: {exc.strerror or type(exc).__name__} ({ref(exc.filename)})"
    return f"{type(exc).__name__} while landing a file"


def _run_pool(
    root: Path,
    src: Source,
    planned: Sequence[tuple[PlanItem, SourceObject, bool]],
    latest: dict[tuple[str, str], ManifestEntry],
    taken: AbstractSet[str],
    workers: int,
    advance: Callable[[int], None],
) -> tuple[list[ManifestEntry], int, int, str | None]:
    """Download in parallel; record landed files in the manifest every few seconds and at the end.
    The first failure stops new downloads (running ones finish) and is returned as one line."""
    landed: list[ManifestEntry] = []
    pending: list[ManifestEntry] = []
    duplicates = resumed = failures = 0
    first_error: str | None = None
    last_flush = time.monotonic()
    position: dict[tuple[str, str], int] = {(i.kind, i.name): n for n, (i, _, _) in enumerate(planned)}

    def order(entry: ManifestEntry) -> int:  # each batch is recorded in plan (name) order
        return position[(entry.kind, entry.name)]

    stop = threading.Event()  # set on Ctrl-C: running downloads stop at their next chunk (parts kept)
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="land")
    try:
        futures: set[Future[_Landed]] = {
            pool.submit(
                _land_one, root, src, item, obj, resume, latest.get((item.kind, item.name)), taken, stop
            )
            for item, obj, resume in planned
        }
        while futures:
            done, futures = wait(futures, return_when=FIRST_COMPLETED)
            for fut in done:
                if fut.cancelled():
                    continue
                exc = fut.exception()
                if exc is not None:
                    failures += 1
                    if first_error is None:
                        first_error = _one_line(exc)
                        for other in futures:
                            other.cancel()
                    continue
                result = fut.result()
                resumed += int(result.resumed)
                if result.entry is None:
                    duplicates += 1
                else:
                    landed.append(result.entry)
                    pending.append(result.entry)
                advance(1)
            if pending and (len(pending) >= _FLUSH_FILES or time.monotonic() - last_flush > _FLUSH_SECONDS):
                record(root, sorted(pending, key=order))
                pending, last_flush = [], time.monotonic()
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if pending:
            record(root, sorted(pending, key=order))
    if first_error is not None and failures > 1:
        first_error += f" (and {failures - 1} more failed read(s))"
    return landed, duplicates, resumed, first_error
