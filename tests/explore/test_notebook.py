"""notebooks/lakehouse.sql runs cell by cell in DuckDB 1.5.5 (delta extension from the PyPI wheel)
and as a whole in the DuckDB CLI, against a generated lakehouse."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import duckdb_extension_delta
import pytest

from scribe_lakehouse.corpus_manifest import CorpusManifest
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.registry import ALL_TABLES

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]

NOTEBOOK = REPO / "notebooks" / "lakehouse.sql"
EXTENSION = next(Path(duckdb_extension_delta.__file__).parent.rglob("*.duckdb_extension"))


@dataclass(frozen=True)
class Cell:
    number: str
    title: str
    sql: str
    may_be_empty: bool


def cells() -> list[Cell]:
    text = NOTEBOOK.read_text("utf-8")
    out = []
    for chunk in re.split(r"(?m)^(?=-- %% )", text)[1:]:
        head = re.match(r"-- %% \[(\d+)\] (.+)", chunk)
        assert head, chunk.splitlines()[0]
        out.append(Cell(head[1], head[2], chunk, "\n-- may be empty:" in chunk))
    return out


@pytest.fixture(scope="module")
def con(demo_lakehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute(f"LOAD '{EXTENSION}'")
    connection.execute("SET VARIABLE lakehouse_root = ?", [str(demo_lakehouse)])
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def results(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    """Every cell, in order (later cells use the variables earlier ones set): its last result's rows."""
    out: dict[str, list[tuple[object, ...]]] = {}
    for cell in cells():
        try:
            relation = con.execute(cell.sql)
        except duckdb.Error as exc:
            pytest.fail(f"cell [{cell.number}] {cell.title} failed: {exc}")
        out[cell.number] = relation.fetchall() if relation.description else []
    return out


def test_notebook_has_at_least_20_cells_with_unique_numbers() -> None:
    numbers = [c.number for c in cells()]
    assert len(numbers) >= 21  # setup + at least 20 exploring cells
    assert len(set(numbers)) == len(numbers)
    assert numbers == sorted(numbers)


def test_every_cell_executes_and_returns_rows(results: dict[str, list[tuple[object, ...]]]) -> None:
    empty = [f"[{c.number}] {c.title}" for c in cells() if not c.may_be_empty and not results[c.number]]
    assert empty == []
    assert len(results) == len(cells())


def test_setup_cell_has_a_view_for_every_registry_table() -> None:
    setup = cells()[0].sql
    views = dict(re.findall(r"CREATE OR REPLACE VIEW (\w+) AS FROM delta_scan\(.*?'/([\w/]+)'\)", setup))
    assert views == {spec.name: spec.path for spec in ALL_TABLES}


def test_headline_cell_agrees_with_the_corpus_manifest(
    results: dict[str, list[tuple[object, ...]]], demo_lakehouse: Path
) -> None:
    manifest = CorpusManifest.read(Lakehouse(demo_lakehouse).corpus_manifest)
    assert manifest is not None
    s = manifest.corpus_stats
    (row,) = results["01"]
    assert row == (
        s.encounters,
        s.distinct_patients,
        s.with_soap_note,
        s.with_labs,
        s.with_ecg,
        s.with_imaging,
        s.with_genomics,
        s.avg_conditions_per_encounter,
        s.encounters,
        manifest.contract_version,
    )


def test_lineage_cell_covers_every_silver_table(results: dict[str, list[tuple[object, ...]]]) -> None:
    rows = results["24"]
    assert {r[0] for r in rows} == {s.name for s in ALL_TABLES if s.layer == "silver"}
    # a fresh build: every Gold row was built from the Silver versions the manifest records
    assert all(r[1] == r[3] for r in rows)


def json_documents(text: str) -> list[list[dict[str, object]]]:
    """The result sets `duckdb -json` printed one after another (each a JSON array, maybe multi-line)."""
    decoder = json.JSONDecoder()
    out, index = [], 0
    while (index := len(text) - len(text[index:].lstrip())) < len(text):
        document, index = decoder.raw_decode(text, index)
        out.append(document)
    return out


def test_whole_notebook_runs_in_the_duckdb_cli(demo_lakehouse: Path, tmp_path: Path) -> None:
    cli = shutil.which("duckdb", path=str(Path(sys.executable).parent)) or shutil.which("duckdb")
    assert cli is not None, "the duckdb CLI (duckdb-cli==1.5.5, in the duckdb extra) is not installed"
    result = subprocess.run(
        [
            cli,
            "-json",
            "-bail",
            "-cmd",
            f"LOAD '{EXTENSION}'",
            "-cmd",
            f"SET VARIABLE lakehouse_root = '{demo_lakehouse}'",
        ],
        input=NOTEBOOK.read_text("utf-8"),
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(tmp_path)},  # keep ~/.duckdb out of the user's home
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Error" not in result.stderr
    result_sets = json_documents(result.stdout)
    non_empty = [r for r in result_sets if r]
    assert len(non_empty) >= len([c for c in cells() if not c.may_be_empty])
    assert non_empty[0][0]["gold_rows"] > 0
