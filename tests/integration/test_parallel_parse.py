"""Bronze → Silver on parse worker processes gives the same Silver tables as parsing in-process."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.local.pipeline import run, table_arrow
from scribe_lakehouse.registry import SILVER_TABLES

pytestmark = pytest.mark.integration


def _silver(root: Path) -> dict[str, pl.DataFrame]:
    frames = {}
    for spec in SILVER_TABLES:
        frame = pl.from_arrow(table_arrow(root, spec.name))
        assert isinstance(frame, pl.DataFrame)
        frames[spec.name] = frame.drop("ingest_timestamp").sort(spec.column_names[0])
    return frames


def test_worker_processes_write_the_same_silver(real_data: Path, tmp_path: Path) -> None:
    roots = {}
    for workers in (0, 2):
        root = roots[workers] = tmp_path / f"workers-{workers}"
        land(real_data / "ma_2025", root, cohorts=3)
        summary = run(root, gold=False, workers=workers)
        assert summary.workers == workers and summary.fallback_files == 0
        assert summary.cohorts == ("A", "B", "C") and summary.passed
    local, parallel = _silver(roots[0]), _silver(roots[2])
    for spec in SILVER_TABLES:
        assert_frame_equal(local[spec.name], parallel[spec.name])
    assert parallel["observation"].height == 6143
    # nothing left in the shared-memory spool
    assert not any(
        p.name.startswith("scribe-parse-") and any(p.iterdir()) for p in Path("/dev/shm").glob("*")
    )
