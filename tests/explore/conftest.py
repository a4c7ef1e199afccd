"""A demo lakehouse shared by the exploration tests: 15 generated patients with DICOM, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.local.pipeline import run
from scribe_lakehouse.synth import generate


@pytest.fixture(scope="session")
def demo_lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("explore")
    source, root = base / "source", base / "lakehouse"
    generate(source, patients=15, seed=7, dicom=True)
    land(source, root, kinds=["fhir", "dicom", "dna"])
    summary = run(root)
    assert summary.passed and summary.gold is not None and summary.gold.row_count > 0
    return root
