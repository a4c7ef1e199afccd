"""One small generated corpus for every Dagster test (generated once per test session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribe_lakehouse.synth import generate

PATIENTS = 10


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Coherent-shaped source folder of 10 patients (with DICOM), deterministic (seed 7)."""
    out = tmp_path_factory.mktemp("orchestration-corpus")
    generate(out, patients=PATIENTS, seed=7, dicom=True, workers=1)
    return out
