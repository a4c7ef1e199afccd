"""`export`: JSONL lines validate against the contract, Parquet reads back equal to Gold, and the
contract version, manifest and schema travel alongside."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from scribe_lakehouse.contract import CONTRACT_VERSION, SCHEMA_PATH, to_json_ready, validate_rows
from scribe_lakehouse.export import PARQUET_META_CONTRACT, ContractViolation, _check, export_corpus
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY
from scribe_lakehouse.storage import delta

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def gold_frame(root: Path) -> pl.DataFrame:
    frame = pl.from_arrow(delta.read_arrow(Lakehouse(root).uri(GOLD_ENCOUNTER_SUMMARY)))
    assert isinstance(frame, pl.DataFrame)
    return frame.sort("summary_id")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "scribe_lakehouse", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_jsonl_every_line_validates_and_equals_gold(demo_lakehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus.jsonl"
    summary = export_corpus(demo_lakehouse, fmt="jsonl", out=out)
    lines = out.read_bytes().splitlines()
    rows = [orjson.loads(line) for line in lines]
    gold = gold_frame(demo_lakehouse)
    assert len(rows) == summary.rows == gold.height > 1000
    assert validate_rows(rows) == []
    # the same values as Gold, in summary_id order, dates and timestamps as ISO strings
    expected = [orjson.loads(orjson.dumps(to_json_ready(r))) for r in gold.to_arrow().to_pylist()]
    assert rows == expected
    assert list(rows[0]) == list(GOLD_ENCOUNTER_SUMMARY.column_names)  # contract field order


def test_jsonl_companions_carry_contract_manifest_and_schema(demo_lakehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus.jsonl"
    summary = export_corpus(demo_lakehouse, fmt="jsonl", out=out)
    manifest = json.loads(summary.manifest_path.read_text("utf-8"))
    assert summary.manifest_path == tmp_path / "corpus.jsonl.manifest.json"
    assert manifest["contract_version"] == CONTRACT_VERSION
    assert manifest["format"] == "jsonl" and manifest["file"] == "corpus.jsonl"
    assert manifest["row_count"] == summary.rows
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["bytes"] == out.stat().st_size
    assert manifest["gold_delta_version"] == delta.version(
        Lakehouse(demo_lakehouse).uri(GOLD_ENCOUNTER_SUMMARY)
    )
    corpus = json.loads(Lakehouse(demo_lakehouse).corpus_manifest.read_text("utf-8"))
    assert manifest["corpus_manifest"] == corpus
    assert summary.schema_path.read_text("utf-8") == (REPO / SCHEMA_PATH).read_text("utf-8")
    assert not list(tmp_path.glob("*.tmp"))


def test_parquet_reads_back_equal_to_gold(demo_lakehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus.parquet"
    summary = export_corpus(demo_lakehouse, fmt="parquet", out=out)
    back = pl.read_parquet(out)
    assert_frame_equal(back, gold_frame(demo_lakehouse))
    schema = pq.read_schema(out)
    assert schema.remove_metadata().equals(GOLD_ENCOUNTER_SUMMARY.arrow_schema())
    assert schema.metadata[PARQUET_META_CONTRACT] == CONTRACT_VERSION.encode()
    manifest = json.loads(summary.manifest_path.read_text("utf-8"))
    assert manifest["format"] == "parquet" and manifest["row_count"] == back.height
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_a_row_that_breaks_the_contract_stops_the_export() -> None:
    bad = {"summary_id": "x", "patient_id": "p", "encounter_id": "e", "unexpected": 1}
    with pytest.raises(ContractViolation, match=r"in row 4096: .*nothing exported"):
        _check([bad], offset=4096)


def test_cli_export_json_summary(demo_lakehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "corpus.parquet"
    result = cli("export", "--root", str(demo_lakehouse), "--format", "parquet", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    body = json.loads(result.stdout)
    assert body["rows"] == pl.read_parquet(out).height and body["contract_version"] == CONTRACT_VERSION
    assert body["validated"] is True


def test_cli_export_without_gold_is_one_clear_error(tmp_path: Path) -> None:
    result = cli(
        "export", "--root", str(tmp_path / "empty"), "--format", "jsonl", "--out", str(tmp_path / "x")
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: no Gold corpus under this root: run `run` (or `demo`) first"
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()


def test_cli_export_rejects_an_unknown_format(tmp_path: Path) -> None:
    result = cli("export", "--root", str(tmp_path), "--format", "csv", "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and "csv" in result.stderr
