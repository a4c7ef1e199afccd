"""`scribe-lakehouse run --engine spark`: with no remote it starts a local Sail server and stops it at
the end; with --spark-remote it uses that server. The summary says Change Data Feed is off on Sail. The
engine takes the root's writer lock like the local engine."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from lakehouse_io import cli_argv, cli_env, corpus_identifiers
from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.cli import cli
from scribe_lakehouse.errors import LockedError
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY
from scribe_lakehouse.spark import pipeline as spark_engine
from scribe_lakehouse.spark.session import SailServer
from scribe_lakehouse.storage import delta

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

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


HOLD_LOCK = (
    "import sys\n"
    "from pathlib import Path\n"
    "from scribe_lakehouse.lakehouse import Lakehouse\n"
    "with Lakehouse(Path(sys.argv[1])).lock():\n"
    "    print('held', flush=True)\n"
    "    sys.stdin.read()\n"
)


def test_spark_engine_takes_the_roots_writer_lock(
    small_source: Path, tmp_path: Path, spark: SparkSession
) -> None:
    """Another process writing the root (here: holding its lock) refuses the Spark run and each of its
    steps with the local engine's one line, and nothing is written."""
    root = _landed(small_source, tmp_path / "lh")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        eng = spark_engine.SparkEngine.on(spark, root)
        with pytest.raises(LockedError) as refused:
            spark_engine.run(eng)
        assert str(refused.value) == (
            f"another scribe-lakehouse process (pid {holder.pid}) is writing to this lakehouse root; "
            "wait for it to finish and retry"
        )
        for step in (spark_engine.stage_pending, spark_engine.merge_silver, spark_engine.finalize_silver):
            with pytest.raises(LockedError):
                step(eng)
        assert not (root / "silver").exists()
    finally:
        holder.communicate("", timeout=30)
    assert holder.returncode == 0
    assert spark_engine.run(spark_engine.SparkEngine.on(spark, root)).files_parsed == 10  # released


@pytest.mark.parametrize("mode", ["--debug", "--json"])
def test_spark_run_prints_no_identifier(
    small_source: Path, tmp_path: Path, sail_server: SailServer, mode: str
) -> None:
    """`run --engine spark` as a real subprocess, every log record shown (--debug) or the JSON summary:
    no resource id, patient name or file name of the corpus appears (the PHI test of every command runs
    the local engine; this is the Spark engine's)."""
    root = _landed(small_source, tmp_path / "lh")
    argv = cli_argv(
        "run", "--engine", "spark", "--spark-remote", sail_server.remote, mode, "--root", str(root)
    )
    done = subprocess.run(argv, capture_output=True, text=True, env=cli_env(), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    identifiers = corpus_identifiers(small_source) | corpus_identifiers(root / "bronze")
    assert len(identifiers) > 100
    output = done.stdout + done.stderr
    assert "Bronze" in output or "files_parsed" in output  # it said something
    assert sorted(i for i in identifiers if i in output) == []
