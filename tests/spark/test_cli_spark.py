"""`scribe-lakehouse run --engine spark`: with no remote it starts a local Sail server and stops it at
the end; with --spark-remote it uses that server. The summary says Change Data Feed is off on Sail."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.cli import cli
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY
from scribe_lakehouse.spark.session import SailServer
from scribe_lakehouse.storage import delta

pytestmark = pytest.mark.spark


def _landed(source: Path, root: Path) -> Path:
    land(source, root, kinds=["fhir", "dicom"])
    return root


def test_run_engine_spark_starts_and_stops_local_sail(
    small_source: Path, tmp_path: Path, sail_pids: Callable[[], set[int]]
) -> None:
    root = _landed(small_source, tmp_path / "lh")
    before = sail_pids()
    result = CliRunner().invoke(cli, ["run", "--root", str(root), "--engine", "spark", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["engine"] == "spark" and summary["passed"] and summary["files_parsed"] == 10
    assert any("local Sail server" in n for n in summary["notes"])
    assert any("Change Data Feed is off" in n for n in summary["notes"])
    assert summary["gold"]["row_count"] == delta.read_arrow(str(root / GOLD_ENCOUNTER_SUMMARY.path)).num_rows
    assert sail_pids() == before, "the Sail server started by the run is still running"


def test_run_engine_spark_on_a_remote(small_source: Path, tmp_path: Path, sail_server: SailServer) -> None:
    root = _landed(small_source, tmp_path / "lh")
    args = ["run", "--root", str(root), "--engine", "spark", "--spark-remote", sail_server.remote, "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert any(sail_server.remote in n for n in summary["notes"])
    again = CliRunner().invoke(cli, args)
    assert json.loads(again.stdout.strip().splitlines()[-1])["nothing_to_do"] is True
    assert sail_server.running()  # a remote server is not ours to stop


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--spark-remote", "localhost:1"], "must look like sc://host:port"),
        (["--spark-remote", "sc://127.0.0.1:1"], "--spark-remote needs --engine spark"),
    ],
)
def test_spark_remote_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["run", "--root", str(tmp_path), *args])
    assert result.exit_code == 2 and message in result.output


def test_sail_refuses_a_root_the_local_engine_built(
    small_source: Path, tmp_path: Path, sail_server: SailServer
) -> None:
    from scribe_lakehouse.local.pipeline import run

    root = _landed(small_source, tmp_path / "lh")
    run(root)
    before = delta.version(str(root / GOLD_ENCOUNTER_SUMMARY.path))
    args = ["run", "--root", str(root), "--engine", "spark", "--spark-remote", sail_server.remote]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "have Change Data Feed on" in result.output and "fresh --root" in result.output
    assert delta.version(str(root / GOLD_ENCOUNTER_SUMMARY.path)) == before
