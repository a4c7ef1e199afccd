"""The CLI as a user runs it (`python -m scribe_lakehouse`): exit codes, --json, PHI-safe logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scribe_lakehouse.bronze.landing import Manifest
from scribe_lakehouse.local.pipeline import table_arrow

pytestmark = pytest.mark.integration


def cli(*args: str, root: Path | None = None) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "scribe_lakehouse", *args]
    if root is not None:
        argv += ["--root", str(root)]
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, check=False)


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("demo") / "lh"
    result = cli("demo", "--patients", "12", root=root)
    return root, result


def _identifiers(root: Path) -> set[str]:
    """Every patient and encounter id, patient name part and bundle file name of the corpus."""
    found: set[str] = set()
    for entry in Manifest.load(root).entries:
        found.add(entry.name)
        if entry.kind == "fhir" and not entry.is_reference_bundle:
            bundle = json.loads((root / entry.path).read_text("utf-8"))
            for e in bundle["entry"]:
                res = e["resource"]
                if res["resourceType"] == "Patient":
                    for name in res.get("name", []):
                        found.update(name.get("given", []))
                        found.add(name["family"])
    found.update(table_arrow(root, "patient").column("patient_id").to_pylist())
    found.update(table_arrow(root, "encounter").column("encounter_id").to_pylist())
    return {f for f in found if len(f) >= 4}


def test_demo_succeeds_and_logs_no_phi(demo_root: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    root, result = demo_root
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Gold corpus" in result.stdout and "encounters" in result.stdout
    output = result.stdout + result.stderr
    identifiers = _identifiers(root)
    assert len(identifiers) > 50  # ids, names and file names were really collected
    leaked = sorted(i for i in identifiers if i in output)
    assert leaked == []


def test_rerun_json_says_nothing_to_do(demo_root: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    root, _ = demo_root
    result = cli("run", "--json", root=root)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["nothing_to_do"] is True and summary["files_parsed"] == 0
    assert summary["gold"]["changed"] is False


def test_validate_passes_on_demo(demo_root: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    root, _ = demo_root
    result = cli("validate", "--json", root=root)
    assert result.returncode == 0, result.stdout[-2000:]
    body = json.loads(result.stdout)
    assert body["passed"] is True and len(body["tables"]) == 10
    log = table_arrow(root, "ingest_log")
    assert log.num_rows >= 20  # the demo's run and this validate, 10 tables each


def test_usage_error_exits_2(tmp_path: Path) -> None:
    result = cli("run", "--engine", "bogus", root=tmp_path)
    assert result.returncode == 2
    assert "bogus" in result.stderr


def test_runtime_error_is_one_line_exit_1(tmp_path: Path) -> None:
    result = cli("run", root=tmp_path / "empty")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["error: no FHIR bundles in Bronze under this root: run `ingest` or `demo` first"]
    assert "Traceback" not in result.stderr
