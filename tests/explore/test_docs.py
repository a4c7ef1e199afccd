"""`docs --check`: the committed data dictionary and JSON Schema are what the registry generates, and
the check really fails when a column is added to the registry without regenerating."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner

from scribe_lakehouse import contract, docs_gen, registry
from scribe_lakehouse.cli import cli

REPO = Path(__file__).resolve().parents[2]
NEW_SILVER = registry.Column("preferred_language", pa.string(), "communication[0].language display")
NEW_GOLD = registry.Column("note_language", pa.string(), "language of the latest note")


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """The generated files and pyproject of this checkout, copied so a test may rewrite them."""
    for rel in ("pyproject.toml", str(docs_gen.DATA_DICTIONARY), str(contract.SCHEMA_PATH)):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, tmp_path / rel)
    return tmp_path


def add_silver_column(monkeypatch: pytest.MonkeyPatch) -> None:
    patient = dataclasses.replace(registry.PATIENT, columns=(*registry.PATIENT.columns, NEW_SILVER))
    tables = tuple(patient if t.name == "patient" else t for t in registry.SILVER_TABLES)
    monkeypatch.setattr(registry, "SILVER_TABLES", tables)


def docs_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["docs", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_committed_docs_are_current_in_a_subprocess() -> None:
    """What CI runs: the real CLI on this checkout."""
    result = subprocess.run(
        [sys.executable, "-m", "scribe_lakehouse", "docs", "--check", "--repo", str(REPO)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "docs/DATA_DICTIONARY.md: current" in result.stdout


def test_check_fails_when_a_silver_column_is_added(monkeypatch: pytest.MonkeyPatch, repo_copy: Path) -> None:
    assert docs_cli("--check", "--repo", str(repo_copy))[0] == 0
    before = (repo_copy / docs_gen.DATA_DICTIONARY).read_text("utf-8")
    add_silver_column(monkeypatch)
    code, output = docs_cli("--check", "--repo", str(repo_copy))
    assert code == 1
    assert "docs/DATA_DICTIONARY.md: STALE" in output
    assert (repo_copy / docs_gen.DATA_DICTIONARY).read_text("utf-8") == before  # --check writes nothing
    # regenerating brings the new column into the dictionary, and the check passes again
    assert docs_cli("--repo", str(repo_copy))[0] == 0
    text = (repo_copy / docs_gen.DATA_DICTIONARY).read_text("utf-8")
    assert f"| `{NEW_SILVER.name}` | `string` | nullable | {NEW_SILVER.description} |" in text
    assert docs_cli("--check", "--repo", str(repo_copy))[0] == 0


def test_check_fails_when_a_gold_field_is_added(monkeypatch: pytest.MonkeyPatch, repo_copy: Path) -> None:
    gold = registry.GOLD_ENCOUNTER_SUMMARY
    monkeypatch.setattr(
        contract, "GOLD_ENCOUNTER_SUMMARY", dataclasses.replace(gold, columns=(*gold.columns, NEW_GOLD))
    )
    code, output = docs_cli("--check", "--repo", str(repo_copy))
    assert code == 1 and "schemas/gold_encounter_summary.json: STALE" in output
    assert docs_cli("--repo", str(repo_copy))[0] == 0
    assert NEW_GOLD.name in (repo_copy / contract.SCHEMA_PATH).read_text("utf-8")


def test_dictionary_lists_every_column_of_every_table() -> None:
    text = docs_gen.data_dictionary_text()
    for spec in registry.ALL_TABLES:
        assert f"### `{spec.path.replace('/', '.')}`" in text
        for column in spec.columns:
            assert f"| `{column.name}` | `{column.type}` |" in text
    assert f"contract {contract.CONTRACT_VERSION}" in text


def test_docs_outside_a_checkout_is_one_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scribe_lakehouse", "docs", "--check"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: not inside a scribe-lakehouse checkout")
