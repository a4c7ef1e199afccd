"""Bronze → Silver on parse worker processes gives the same Silver tables as parsing in-process."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lakehouse_io import silver_frames
from scribe_lakehouse.bronze.dicom import build_dicom_index
from scribe_lakehouse.bronze.landing import Manifest, land
from scribe_lakehouse.fhir.parser import parse_files
from scribe_lakehouse.local.pipeline import run, table_arrow
from scribe_lakehouse.registry import SILVER_TABLES, silver_table
from scribe_lakehouse.synth import generate

pytestmark = pytest.mark.integration


def test_worker_processes_write_the_same_silver(real_data: Path, tmp_path: Path) -> None:
    roots = {}
    for workers in (0, 2):
        root = roots[workers] = tmp_path / f"workers-{workers}"
        land(real_data / "ma_2025", root, cohorts=3)
        summary = run(root, gold=False, workers=workers)
        assert summary.workers == workers and summary.fallback_files == 0
        assert summary.cohorts == ("A", "B", "C") and summary.passed
    local, parallel = silver_frames(roots[0]), silver_frames(roots[2])
    for spec in SILVER_TABLES:
        assert_frame_equal(local[spec.name], parallel[spec.name])
    assert parallel["observation"].height == 6143
    # nothing left in the shared-memory spool
    assert not any(
        p.name.startswith("scribe-parse-") and any(p.iterdir()) for p in Path("/dev/shm").glob("*")
    )


def test_studies_joined_with_dicom_after_parsing_equal_the_parser_with_the_index(tmp_path: Path) -> None:
    """The pipeline parses with the DICOM index deferred and joins the headers afterwards (workers
    and in-process): its imaging_study table is what parsing with the index gives."""
    source = tmp_path / "source"
    generate(source, patients=12, seed=16, dicom=True, scale=0.05)  # one DICOM file
    root = tmp_path / "lh"
    land(source, root, kinds=["fhir", "dicom"], cohorts=2)
    run(root, gold=False, workers=2)
    manifest = Manifest.load(root)
    index = build_dicom_index(root / e.path for e in manifest.entries if e.kind == "dicom")
    direct = parse_files(((root / e.path, e.name) for e in manifest.fhir()), dicom=index)
    expected = pl.DataFrame(direct.rows["imaging_study"], schema=_schema("imaging_study"))
    got = pl.from_arrow(table_arrow(root, "imaging_study"))
    assert isinstance(got, pl.DataFrame)
    assert got.filter(pl.col("dicom_extracted")).height >= 1
    assert_frame_equal(got.drop("ingest_timestamp").sort("study_id"), expected.sort("study_id"))


def _schema(table: str) -> pl.Schema:
    frame = pl.from_arrow(silver_table(table).arrow_schema().empty_table())
    assert isinstance(frame, pl.DataFrame)
    return frame.drop("ingest_timestamp").schema
