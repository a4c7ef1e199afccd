"""The DICOM header cache (bronze/_metadata/dicom_headers.json): written by the landing, used by runs in
place of the files while its sha256 matches the manifest, re-read from the file otherwise, and a run over
a cached Bronze never imports pydicom."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from scribe_lakehouse.bronze import dicom_headers
from scribe_lakehouse.bronze.dicom import build_dicom_index
from scribe_lakehouse.bronze.landing import Manifest, land
from scribe_lakehouse.synth import generate

pytestmark = pytest.mark.integration


@pytest.fixture
def landed(tmp_path: Path) -> Path:
    """A generated corpus with one DICOM study, plus a broken and a real-but-unnamed DICOM file."""
    source = tmp_path / "source"
    generate(source, patients=12, seed=16, dicom=True, scale=0.05)
    (source / "dicom" / "broken.dcm").write_bytes(b"{}")
    ct = get_testdata_file("CT_small.dcm")
    assert ct is not None
    shutil.copy(ct, source / "dicom" / "scan.dcm")
    root = tmp_path / "lh"
    land(source, root, kinds=["fhir", "dicom"], cohorts=2)
    return root


def _from_files(root: Path) -> dict[str, object]:
    manifest = Manifest.load(root)
    return dict(build_dicom_index(root / e.path for e in manifest.entries if e.kind == "dicom"))


def _cache(root: Path) -> dict[str, dict[str, object]]:
    body = json.loads((root / dicom_headers.HEADERS).read_text("utf-8"))
    files: dict[str, dict[str, object]] = body["files"]
    return files


def test_landing_caches_every_header_and_the_index_equals_reading_the_files(landed: Path) -> None:
    manifest = Manifest.load(landed)
    dicom = {e.path: e.sha256 for e in manifest.entries if e.kind == "dicom"}
    cache = _cache(landed)
    assert {p: e["sha256"] for p, e in cache.items()} == dicom
    assert sum(e["header"] is None for e in cache.values()) == 1  # the broken file
    index = dicom_headers.load_index(landed, manifest)
    assert index == _from_files(landed)
    assert len(index) == 2


def test_a_current_entry_is_used_a_stale_one_is_read_again(landed: Path) -> None:
    manifest = Manifest.load(landed)
    cache = _cache(landed)
    path, entry = next((p, e) for p, e in cache.items() if e["header"] is not None)
    header = entry["header"]
    assert isinstance(header, dict)
    header["study_description"] = "from the cache"
    (landed / dicom_headers.HEADERS).write_text(json.dumps({"version": 1, "files": cache}), "utf-8")
    descriptions = {h.study_description for h in dicom_headers.load_index(landed, manifest).values()}
    assert "from the cache" in descriptions  # the cache, not the file, was read

    entry["sha256"] = "0" * 64  # the file changed since: its cached header no longer counts
    (landed / dicom_headers.HEADERS).write_text(json.dumps({"version": 1, "files": cache}), "utf-8")
    assert dicom_headers.load_index(landed, manifest) == _from_files(landed)
    assert _cache(landed)[path]["sha256"] == next(e.sha256 for e in manifest.entries if e.path == path)


@pytest.mark.parametrize("damage", ["missing", "garbage", "old version"])
def test_a_missing_or_unreadable_cache_is_rebuilt_from_the_files(landed: Path, damage: str) -> None:
    cache_file = landed / dicom_headers.HEADERS
    if damage == "missing":
        cache_file.unlink()
    elif damage == "garbage":
        cache_file.write_text("{not json", "utf-8")
    else:
        cache_file.write_text(json.dumps({"version": 0, "files": {}}), "utf-8")
    assert dicom_headers.load_index(landed, Manifest.load(landed)) == _from_files(landed)
    assert len(_cache(landed)) == 3


def test_a_run_over_a_cached_bronze_does_not_import_pydicom(landed: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from scribe_lakehouse.local.pipeline import run\n"
        f"summary = run(Path({str(landed)!r}), gold=False, workers=0)\n"
        "assert summary.passed\n"
        "print('pydicom' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
