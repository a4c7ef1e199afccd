"""`generate()`: write a Coherent-shaped source folder (`fhir/`, `dna/`, optionally `dicom/`).

Deterministic: a master `random.Random(seed)` draws one 64-bit seed per patient up front, and each patient
is built from its own seed alone, so the bytes do not depend on worker count or completion order.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import orjson

from scribe_lakehouse.synth import dicom as dicom_writer
from scribe_lakehouse.synth.patient import build_patient
from scribe_lakehouse.synth.providers import (
    ProviderPool,
    build_pool,
    organizations_bundle,
    practitioners_bundle,
)

logger = logging.getLogger(__name__)

_PARALLEL_MIN_PATIENTS = 8  # below this a process pool costs more than it saves


@dataclass(frozen=True)
class GenerateSummary:
    patients: int
    fhir_files: int  # patient bundles + the two reference bundles
    dicom_files: int
    dna_files: int
    total_bytes: int
    out_dir: Path


@dataclass(frozen=True)
class _Job:
    patient_seed: int
    corpus_seed: int
    dicom: bool
    scale: float
    out_dir: str


@dataclass(frozen=True)
class _Written:
    fhir_bytes: int
    dna_bytes: int
    dicom_files: int
    dicom_bytes: int


_POOLS: dict[int, ProviderPool] = {}


def _provider_pool(seed: int) -> ProviderPool:
    pool = _POOLS.get(seed)
    if pool is None:
        pool = _POOLS[seed] = build_pool(seed)
    return pool


def _write_patient(job: _Job) -> _Written:
    files = build_patient(job.patient_seed, _provider_pool(job.corpus_seed), scale=job.scale)
    out = Path(job.out_dir)
    (out / "fhir" / files.bundle_name).write_bytes(files.bundle)
    (out / "dna" / files.dna_name).write_bytes(files.dna)
    dicom_bytes = 0
    if job.dicom:
        for study in files.dicom:
            dicom_bytes += dicom_writer.write_study(out / "dicom" / study.file_name, study)
    n_dicom = len(files.dicom) if job.dicom else 0
    return _Written(len(files.bundle), len(files.dna), n_dicom, dicom_bytes)


def generate(
    out_dir: Path,
    *,
    patients: int,
    seed: int = 0,
    dicom: bool = False,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    scale: float = 1.0,
) -> GenerateSummary:
    """Write `patients` Coherent-shaped patients under `out_dir` and return what was written.

    `workers` defaults to the CPU count (capped at 8; fewer than 8 patients run in-process); `scale`
    multiplies every patient's encounter count (1.0 gives Coherent's distribution: median ~65 encounters,
    ~2.5 MB median and ~3.7 MB mean bundle, ~4.8 GB for 1,278 patients). `progress(n)` is called with
    the number of patients just written.
    """
    if patients < 0:
        raise ValueError("patients must be >= 0")
    if scale <= 0:
        raise ValueError("scale must be > 0")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    for sub in ("fhir", "dna") + (("dicom",) if dicom else ()):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    pool = _provider_pool(seed)
    total = 0
    for name, bundle in (
        ("organizations.json", organizations_bundle(pool)),
        ("practitioners.json", practitioners_bundle(pool, seed)),
    ):
        data = orjson.dumps(bundle, option=orjson.OPT_INDENT_2)
        (out_dir / "fhir" / name).write_bytes(data)
        total += len(data)

    master = random.Random(seed)
    jobs = [_Job(master.getrandbits(64), seed, dicom, scale, str(out_dir)) for _ in range(patients)]
    n_workers = min(workers if workers is not None else os.cpu_count() or 1, 8, max(1, patients))
    if patients < _PARALLEL_MIN_PATIENTS:
        n_workers = 1
    dicom_files = 0
    for written in _run(jobs, n_workers):
        total += written.fhir_bytes + written.dna_bytes + written.dicom_bytes
        dicom_files += written.dicom_files
        if progress is not None:
            progress(1)
    elapsed = time.perf_counter() - started
    logger.info(
        "generated %d patients, %d DICOM files, %.1f MB in %.1f s with %d worker(s)",
        patients,
        dicom_files,
        total / 1e6,
        elapsed,
        n_workers,
    )
    return GenerateSummary(
        patients=patients,
        fhir_files=patients + 2,
        dicom_files=dicom_files,
        dna_files=patients,
        total_bytes=total,
        out_dir=out_dir,
    )


def _run(jobs: list[_Job], n_workers: int) -> Iterator[_Written]:
    if n_workers <= 1:
        for job in jobs:
            yield _write_patient(job)
        return
    done: set[int] = set()
    try:
        # spawn, not fork: callers (Dagster, Polars) may hold threads, and a forked threaded process can hang.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(n_workers, mp_context=ctx) as executor:
            futures = {executor.submit(_write_patient, job): k for k, job in enumerate(jobs)}
            for future in as_completed(futures):
                result = future.result()
                done.add(futures[future])
                yield result
    except BrokenProcessPool:
        # e.g. a __main__ a spawned child cannot re-import (a script read from stdin): finish in-process.
        logger.warning(
            "process pool unavailable; generating the remaining %d patients in-process", len(jobs) - len(done)
        )
        for k, job in enumerate(jobs):
            if k not in done:
                yield _write_patient(job)
