"""Two writers on one root: while a real `run` holds the lakehouse, a second `run`, an `ingest`, a `gold`
and a `validate` started as real subprocesses each exit 1 with one clear line, and the first run's tables
end exactly as a run alone writes them."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from lakehouse_io import assert_same_tables, cli_argv, cli_env, run_cli, snapshot
from scribe_lakehouse.lakehouse import LOCK_FILE
from scribe_lakehouse.local.pipeline import run
from scribe_lakehouse.synth import generate

pytestmark = pytest.mark.integration


def test_second_writer_is_refused_and_nothing_is_corrupted(tmp_path: Path) -> None:
    source = tmp_path / "source"
    generate(source, patients=40, seed=3, dicom=True)  # large enough that the first run takes seconds
    root = tmp_path / "lh"
    landed = run_cli("ingest", "--source", str(source), "--with-dicom", "--root", str(root))
    assert landed.returncode == 0, landed.stderr
    clean = tmp_path / "clean"
    shutil.copytree(root / "bronze", clean / "bronze")

    with tempfile.TemporaryFile() as first_err:
        first = subprocess.Popen(
            cli_argv("run", "--root", str(root)), stdout=subprocess.DEVNULL, stderr=first_err, env=cli_env()
        )
        deadline = time.monotonic() + 300
        lock = root / LOCK_FILE
        while not lock.exists() or lock.read_text().strip() != str(first.pid):
            assert first.poll() is None and time.monotonic() < deadline, "the first run never took the lock"
            time.sleep(0.005)
        others = {
            name: subprocess.Popen(
                cli_argv(*args, "--root", str(root)),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=cli_env(),
            )
            for name, args in {
                "run": ("run",),
                "ingest": ("ingest", "--source", str(source)),
                "gold": ("gold", "--force"),
                "validate": ("validate",),
            }.items()
        }
        refused = {name: proc.communicate(timeout=300) for name, proc in others.items()}
        assert first.poll() is None, "the first run finished before the others tried: inconclusive"
        assert first.wait(timeout=600) == 0
    expected = [
        f"error: another scribe-lakehouse process (pid {first.pid}) is writing to this lakehouse root; "
        "wait for it to finish and retry"
    ]
    for name, (stdout, stderr) in refused.items():
        assert others[name].returncode == 1, (name, stderr)
        assert [line for line in stderr.splitlines() if line.strip()] == expected, name
        assert stdout == ""

    run(clean)
    assert_same_tables(snapshot(root), snapshot(clean))
    again = run_cli("run", "--json", "--root", str(root))  # the refused run, retried, has nothing to do
    assert again.returncode == 0 and '"nothing_to_do": true' in again.stdout
