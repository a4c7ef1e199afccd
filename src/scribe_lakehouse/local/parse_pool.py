"""Parse Bronze bundles on worker processes, a batch of files at a time, into Arrow.

Each worker parses a batch of ~8 files (fhir.columnar: typed fast path, orjson fallback) and returns
one Arrow IPC stream per Silver table plus the quarantine records: a few large buffers pickle far
faster than many small row objects (measured: pickling per-file rows made two processes slower than
one). Small runs parse in-process, where starting workers would cost more than it saves. This module
imports no engine (no Polars, no deltalake), so spawned workers start quickly.
"""

from __future__ import annotations

import ctypes
import dataclasses
import datetime as dt
import gc
import logging
import multiprocessing
import os
import pickle
import shutil
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path
from types import TracebackType

import pyarrow as pa

from scribe_lakehouse.fhir.columnar import ColumnarResult, add_bundle
from scribe_lakehouse.fhir.model import DicomHeader, QuarantineRecord
from scribe_lakehouse.registry import SILVER_TABLES
from scribe_lakehouse.runtime import decline_pandas

log = logging.getLogger(__name__)

BATCH_FILES = 8  # files per batch: large enough to amortise the hand-off, small enough to balance
BATCH_BYTES = 48 << 20  # ... and a batch of big bundles is cut earlier
POOL_MIN_BYTES = 96 << 20  # below this, parse in-process: spawning workers costs ~0.5 s
MAX_WORKERS = 8
SPOOL_PARENT = Path("/dev/shm")  # shared memory (Linux): parsed batches are handed over as mapped files
ORPHAN_CHECK_SECONDS = 1.0  # how often a worker checks that its parent is alive
SPOOL_PREFIX = "scribe-parse-"  # + the owning process's pid + "-": a spool of a killed run can be found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def sweep_orphan_spools(parent: Path = SPOOL_PARENT) -> int:
    """Remove spool folders whose owning process is gone (a run killed with SIGKILL cannot clean up, and
    its spool holds Silver rows, patient data, in memory until reboot); returns how many were removed."""
    removed = 0
    for folder in parent.glob(SPOOL_PREFIX + "*-*"):
        pid = folder.name.removeprefix(SPOOL_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        log.info("removed %d parse spool folder(s) left by killed runs", removed)
    return removed


@dataclass(frozen=True)
class BatchJob:
    """Files of one cohort to parse together: (path relative to the root, source_file name)."""

    cohort: str
    files: tuple[tuple[str, str], ...]
    size: int


@dataclass(frozen=True)
class ParsedBatch:
    """One batch parsed: its Silver tables (registry order), quarantine records with the Bronze path of
    each, seen counts per table, and how many files took the orjson fallback.

    The tables travel one of three ways: in memory (parsed in-process); as one file of back-to-back
    Arrow IPC streams in a shared-memory spool, `offsets` marking where each starts and the last ends
    (a worker on Linux: the reader maps it, no copy through a pipe); or as IPC bytes (other workers)."""

    cohort: str
    files: int
    size: int
    fallbacks: int
    quarantine: tuple[QuarantineRecord, ...]
    quarantine_paths: tuple[str, ...]
    seen: tuple[int, ...]
    local: tuple[pa.Table, ...] = ()
    spool: str | None = None
    offsets: tuple[int, ...] = ()
    ipc: tuple[bytes, ...] = ()

    def arrow(self) -> list[pa.Table]:
        """The Silver tables of the batch (zero-copy views of the spool file or IPC buffers). A spool
        file is removed once mapped: its memory goes when the tables do."""
        if self.local:
            return list(self.local)
        if self.spool is None:
            return [pa.ipc.open_stream(buf).read_all() for buf in self.ipc]
        data = pa.memory_map(self.spool).read_buffer()
        os.unlink(self.spool)
        bounds = zip(self.offsets, self.offsets[1:], strict=False)
        return [pa.ipc.open_stream(data.slice(start, end - start)).read_all() for start, end in bounds]


def batches(
    cohort: str, files: Iterable[tuple[str, str, int]], *, max_files: int = BATCH_FILES
) -> Iterator[BatchJob]:
    """Cut (path, name, bytes) of one cohort into jobs of at most `max_files` files / BATCH_BYTES."""
    chunk: list[tuple[str, str]] = []
    size = 0
    for path, name, n in files:
        if chunk and (len(chunk) >= max_files or size + n > BATCH_BYTES):
            yield BatchJob(cohort, tuple(chunk), size)
            chunk, size = [], 0
        chunk.append((path, name))
        size += n
    if chunk:
        yield BatchJob(cohort, tuple(chunk), size)


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def _spool(path: str, tables: Iterable[pa.Table]) -> tuple[int, ...]:
    """Write the tables as back-to-back IPC streams into one file; the offset of each, then the end."""
    offsets = [0]
    with pa.OSFile(path, "wb") as sink:
        for table in tables:
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            offsets.append(sink.tell())
    return tuple(offsets)


_ROOT = Path()
_NOW = dt.datetime.now(dt.UTC)
_SPOOL: str | None = None  # a worker's shared-memory spool folder (None: in-process, or IPC bytes)
_SPOOLED = 0
_IN_WORKER = False


def _init(root: str, now: dt.datetime, spool: str | None = None) -> None:
    global _ROOT, _NOW, _SPOOL
    _ROOT, _NOW, _SPOOL = Path(root), now, spool


Setup = tuple[str, dt.datetime, str | None]  # what `_init` takes: root, ingest timestamp, spool folder


def _init_worker(parent: int) -> None:
    """A worker only parses: it makes millions of short-lived acyclic objects and holds nothing
    long-lived, so the cyclic garbage collector is pure overhead there (reference counting frees all);
    it never uses pandas (runtime.decline_pandas); a forked one drops the handlers it inherited (its
    parent's console), logging as a spawned one does; and it exits when `parent` dies."""
    global _IN_WORKER
    _IN_WORKER = True
    gc.disable()
    decline_pandas()
    _reuse_freed_memory()
    logging.root.handlers.clear()
    threading.Thread(target=_exit_with_parent, args=(parent,), name="orphan-watch", daemon=True).start()


_MALLOC_THRESHOLDS = ((-3, 256 << 20), (-1, 1 << 30))  # glibc M_MMAP_THRESHOLD, M_TRIM_THRESHOLD


def _reuse_freed_memory() -> None:
    """Serve a worker's file buffers (one bundle's bytes, up to tens of MB each) from the heap and keep
    freed memory there, so that each bundle is read into pages the previous one used instead of fresh
    ones the kernel must fault in: glibc otherwise maps every allocation over its (≤ 32 MB) threshold
    anew. ~20% off the file reads (~0.15 CPU-s on the full corpus). glibc only; a no-op elsewhere."""
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        for option, value in _MALLOC_THRESHOLDS:
            libc.mallopt(option, value)
    except (OSError, AttributeError):  # not glibc (musl, …)
        return


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent was killed (SIGKILL: no shutdown) would wait for work forever, holding its
    memory: it exits once it is no longer its parent's child."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(0)


def _ready() -> None:
    """A no-op task: submitting one per worker makes the pool start them all at once."""


def parse_job(job: BatchJob, dicom: Mapping[str, DicomHeader]) -> ParsedBatch:
    """Parse one batch (in a worker, after `_init`, or in-process); `dicom` enriches imaging studies."""
    global _SPOOLED
    result = ColumnarResult()
    quarantine_paths: list[str] = []
    # The parse makes millions of short-lived acyclic objects: cyclic GC passes are pure overhead
    # (in-process, it is switched back on once the rows are gone).
    enabled = gc.isenabled()
    gc.disable()
    try:
        for path, name in job.files:
            before = len(result.quarantine)
            add_bundle(result, (_ROOT / path).read_bytes(), source_file=name, dicom=dicom)
            quarantine_paths.extend([path] * (len(result.quarantine) - before))
        tables = tuple(result.to_arrow(s.name, ingest_timestamp=_NOW) for s in SILVER_TABLES)
        result.rows.clear()
    finally:
        if enabled:
            gc.enable()
    batch = ParsedBatch(
        cohort=job.cohort,
        files=result.files,
        size=job.size,
        fallbacks=result.fallbacks,
        quarantine=tuple(result.quarantine),
        quarantine_paths=tuple(quarantine_paths),
        seen=tuple(result.seen[s.name] for s in SILVER_TABLES),
    )
    if _SPOOL is not None:
        _SPOOLED += 1
        path = os.path.join(_SPOOL, f"{os.getpid()}-{_SPOOLED}.arrow")
        return dataclasses.replace(batch, spool=path, offsets=_spool(path, tables))
    if _IN_WORKER:  # a worker without a spool: bytes through the pipe
        return dataclasses.replace(batch, ipc=tuple(_ipc(t) for t in tables))
    return dataclasses.replace(batch, local=tables)


_DICOM: tuple[int, Mapping[str, DicomHeader]] = (-1, {})  # a worker's DICOM index, by map call


def _parse_in_worker(job: BatchJob, dicom_key: int, dicom_blob: bytes, setup: Setup) -> ParsedBatch:
    """parse_job in a worker: the DICOM index travels pickled once per map call (not re-pickled per job)
    and is unpickled once per worker; the setup travels with each job (workers may be started before
    the run knows it, see `prestart`)."""
    global _DICOM
    _init(*setup)
    if _DICOM[0] != dicom_key:
        _DICOM = (dicom_key, pickle.loads(dicom_blob))
    return parse_job(job, _DICOM[1])


_FORK_SAFE_THREADS = frozenset({"jemalloc_bg_thd"})  # jemalloc stops and restarts it around fork()


def _can_fork() -> bool:
    """True on Linux when this process runs no thread but its main one and jemalloc's background thread
    (pyarrow's allocator, fork-aware): forking it then copies no lock some other thread holds."""
    if sys.platform != "linux":
        return False
    try:
        tasks = Path("/proc/self/task")
        names = [(tasks / task / "comm").read_text("utf-8").strip() for task in os.listdir(tasks)]
    except OSError:
        return False
    return sum(name not in _FORK_SAFE_THREADS for name in names) == 1


class WarmWorkers:
    """Parse workers forked before a run loads its engines (`prestart`). A ParsePool given them uses
    them instead of spawning its own; whatever no pool took is shut down on leaving the context."""

    def __init__(self, executor: ProcessPoolExecutor | None, workers: int) -> None:
        self._executor = executor
        self.workers = workers if executor is not None else 0

    def take(self, workers: int) -> ProcessPoolExecutor | None:
        """The executor, handed over once, when it has `workers` processes (else it is shut down)."""
        executor, self._executor = self._executor, None
        if executor is not None and workers != self.workers:
            executor.shutdown(wait=False, cancel_futures=True)
            return None
        return executor

    def __enter__(self) -> WarmWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def prestart(workers: int | None = None) -> WarmWorkers:
    """Fork `workers` parse workers (default: one per core) now, while this process is still
    single-threaded: they share its imported modules instead of importing them again (~0.2 CPU-s each
    when spawned) and are ready before the run has loaded its engines and planned its work. The CLI
    calls this first thing in `run`; elsewhere (Dagster, tests, a process with threads) the pool spawns
    its workers as before. Empty when forking is not safe here."""
    workers = default_workers() if workers is None else workers
    if workers < 1 or not _can_fork():
        return WarmWorkers(None, 0)
    executor = _executor(multiprocessing.get_context("fork"), workers)
    return WarmWorkers(executor, workers)


def _executor(context: BaseContext, workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` parse workers, all started at once (a no-op task each)."""
    executor = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(os.getpid(),)
    )
    for _ in range(workers):
        executor.submit(_ready)
    return executor


def default_workers() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


class ParsePool:
    """Parses jobs in submission order, `workers` processes at a time (0 = in-process), keeping at most
    `prefetch` parsed-but-unconsumed batches so memory stays bounded while the caller writes. The
    workers start on entering the context, so they boot while the caller prepares its tables."""

    def __init__(
        self,
        root: Path,
        *,
        now: dt.datetime,
        workers: int,
        prefetch: int = 48,
        warm: WarmWorkers | None = None,
    ) -> None:
        self._root, self._now = str(root), now
        self._maps = 0
        self._workers = workers
        self._prefetch = max(prefetch, 2 * workers)
        self._executor: ProcessPoolExecutor | None = None
        self._spool: tempfile.TemporaryDirectory[str] | None = None
        self._warm = warm

    def __enter__(self) -> ParsePool:
        warm = None if self._warm is None else self._warm.take(self._workers)
        if self._workers > 0:
            if SPOOL_PARENT.is_dir() and os.access(SPOOL_PARENT, os.W_OK):
                sweep_orphan_spools()
                self._spool = tempfile.TemporaryDirectory(
                    prefix=f"{SPOOL_PREFIX}{os.getpid()}-", dir=SPOOL_PARENT
                )
            # forked ahead of time when that was safe, else spawned: the caller may hold threads now
            # (Polars, delta-rs, Dagster), which a fork would copy mid-flight
            self._executor = warm or _executor(multiprocessing.get_context("spawn"), self._workers)
        else:
            _init(self._root, self._now)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self._spool is not None:  # batches never read (an error stopped the run)
            self._spool.cleanup()
            self._spool = None

    @property
    def workers(self) -> int:
        return self._workers

    def release(self) -> None:
        """Every result the caller needs is in: let the workers exit now, while the caller writes the
        last batches (~80 ms at the end of a full run), rather than when the pool is closed. No job
        may be submitted after this."""
        if self._executor is not None:
            self._executor.shutdown(wait=False)

    def map(self, jobs: Iterable[BatchJob], dicom: Mapping[str, DicomHeader]) -> Iterator[ParsedBatch]:
        """ParsedBatch per job, in order. The first `prefetch` jobs are submitted before this returns,
        so the workers are busy while the caller does other work before it reads the first result."""
        self._maps += 1
        blob = (self._maps, pickle.dumps(dicom, protocol=pickle.HIGHEST_PROTOCOL))
        todo = iter(jobs)
        pending: deque[tuple[BatchJob, Future[ParsedBatch] | None]] = deque()
        for job in todo:
            pending.append((job, self._submit(job, blob)))
            if len(pending) >= self._prefetch:
                break
        return self._results(pending, todo, dicom, blob)

    def _results(
        self,
        pending: deque[tuple[BatchJob, Future[ParsedBatch] | None]],
        todo: Iterator[BatchJob],
        dicom: Mapping[str, DicomHeader],
        blob: tuple[int, bytes],
    ) -> Iterator[ParsedBatch]:
        while pending:
            job, future = pending.popleft()
            yield parse_job(job, dicom) if future is None else self._result(job, future, dicom)
            for more in todo:  # keep `prefetch` jobs in flight
                pending.append((more, self._submit(more, blob)))
                if len(pending) >= self._prefetch:
                    break

    def _submit(self, job: BatchJob, blob: tuple[int, bytes]) -> Future[ParsedBatch] | None:
        if self._executor is None:
            return None
        try:
            setup = (self._root, self._now, None if self._spool is None else self._spool.name)
            return self._executor.submit(_parse_in_worker, job, *blob, setup)
        except BrokenProcessPool:
            self._in_process()
            return None

    def _in_process(self) -> None:
        if self._executor is not None:
            log.warning("parse workers unavailable; parsing the rest in-process")
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
            _init(self._root, self._now)

    def _result(
        self, job: BatchJob, future: Future[ParsedBatch], dicom: Mapping[str, DicomHeader]
    ) -> ParsedBatch:
        try:
            return future.result()
        except BrokenProcessPool:
            # e.g. a worker was killed, or a __main__ a spawned child cannot import: go on in-process
            self._in_process()
            return parse_job(job, dicom)
