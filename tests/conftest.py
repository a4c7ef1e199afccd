"""Shared fixtures: where the real Synthea R4 bundles live (skipped cleanly when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "synthea_r4"


def synthea_r4_dir() -> Path | None:
    path = Path(os.environ.get("SYNTHEA_R4_DIR", _DEFAULT))
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def real_data() -> Path:
    path = synthea_r4_dir()
    if path is None:
        pytest.skip("real Synthea R4 bundles (../shared/data/synthea_r4) are not present")
    return path
