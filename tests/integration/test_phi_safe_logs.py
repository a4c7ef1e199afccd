"""PHI-safe output across every CLI command: each command registered in the click group runs on a generated
corpus (with --debug, so every log record is shown, and with --json), and none of the corpus's resource
ids, patient names or file names may appear in anything it prints.

A command added to the CLI must get an entry in CASES (the test fails otherwise): its arguments, the state
of the lakehouse it needs, and whether it runs until stopped."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import click
import pytest
from click.testing import CliRunner

from lakehouse_io import cli_argv, cli_env, corpus_identifiers
from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.cli import cli
from scribe_lakehouse.cli_base import State, common
from scribe_lakehouse.local.pipeline import run
from scribe_lakehouse.spark.session import free_port
from scribe_lakehouse.synth import generate

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
State_ = Literal["empty", "bronze", "placed", "lakehouse"]


@dataclass(frozen=True)
class Case:
    """How to run one command. `args` may use {source} (a generated source folder), {out} (a fresh
    folder), {repo} (this checkout) and {port} (a free port on 127.0.0.1); `state` is the lakehouse
    it starts from (empty root, Bronze landed, Bronze landed plus a bundle copied into a new cohort
    folder by hand, or Silver and Gold built); `stop_after` is for commands that run until stopped (a
    server, a watcher): SIGINT after that many seconds, then its output is checked like any other's;
    `shows_patient` is for commands whose standard output is the clinical data a person asked for (the
    walkthrough): only their log (stderr) is checked."""

    args: tuple[str, ...]
    state: State_
    stop_after: float | None = None
    shows_patient: bool = False


CASES: dict[str, Case] = {
    "generate": Case(("--patients", "3", "--out", "{out}", "--dicom"), "empty"),
    "ingest": Case(("--source", "{source}", "--with-dicom", "--with-dna"), "empty"),
    "run": Case((), "bronze"),
    "gold": Case(("--force",), "lakehouse"),
    "validate": Case((), "lakehouse"),
    "demo": Case(("--patients", "3"), "empty"),
    "ui": Case(("--port", "{port}"), "lakehouse", stop_after=10.0),
    "watch": Case(("--once", "--settle", "0.2"), "placed"),
    "walkthrough": Case((), "lakehouse", shows_patient=True),
    "export": Case(("--format", "jsonl", "--out", "{out}/gold.jsonl"), "lakehouse"),
    "report": Case(("--out", "{out}"), "lakehouse"),
    "docs": Case(("--check", "--repo", "{repo}"), "empty"),
}
MODES = {"debug": ("--debug",), "json": ("--json",)}


def test_every_registered_command_has_a_case() -> None:
    assert sorted(cli.commands) == sorted(CASES), "add the new command to CASES in this module"


@dataclass(frozen=True)
class Templates:
    source: Path
    bronze: Path
    lakehouse: Path


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    tmp = tmp_path_factory.mktemp("phi")
    source = tmp / "source"
    summary = generate(source, patients=5, seed=28, dicom=True, scale=0.2)
    assert summary.dicom_files >= 1
    bronze = tmp / "bronze"
    land(source, bronze, kinds=["fhir", "dicom", "dna"])
    lakehouse = tmp / "lakehouse"
    shutil.copytree(bronze, lakehouse)
    run(lakehouse)
    return Templates(source, bronze, lakehouse)


def _execute(argv: list[str], case: Case) -> tuple[int, str]:
    """Run one command; its return code and the output to check (stdout and stderr, or only stderr)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env())
    if case.stop_after is not None:
        time.sleep(case.stop_after)  # let a long-running command log its start-up and some work
        proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=600)
    return proc.returncode, stderr if case.shows_patient else stdout + stderr


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("command", sorted(CASES))
def test_command_prints_no_identifier(command: str, mode: str, templates: Templates, tmp_path: Path) -> None:
    case = CASES[command]
    root = tmp_path / "lh"
    if case.state in ("bronze", "placed"):
        shutil.copytree(templates.bronze, root)
    if case.state == "placed":  # registered by the command (watch), then parsed
        bundle = min(p for p in (templates.source / "fhir").glob("*.json") if "_" in p.name)
        (root / "bronze" / "fhir" / "cohort=Z").mkdir()
        shutil.copy(bundle, root / "bronze" / "fhir" / "cohort=Z" / bundle.name)  # re-landed by hand
    elif case.state == "lakehouse":
        shutil.copytree(templates.lakehouse, root)
    out = tmp_path / "out"
    args = [a.format(source=templates.source, out=out, port=free_port(), repo=REPO) for a in case.args]
    code, output = _execute(cli_argv(command, *args, *MODES[mode], "--root", str(root)), case)
    if case.stop_after is None:
        assert code == 0, output[-3000:]
    identifiers = corpus_identifiers(templates.source)
    for folder in (out, root / "bronze") if command == "generate" else (root / "bronze",):
        if folder.exists():  # what generate wrote is a corpus; what other commands write is their output
            identifiers |= corpus_identifiers(folder)
    assert len(identifiers) > 100  # ids, names and file names were really collected
    leaked = sorted(i for i in identifiers if i in output)
    assert leaked == [], f"{command} ({mode}) printed identifying values"


def test_unexpected_errors_are_one_line_without_paths_or_ids() -> None:
    name = "Abe604_Smith12_0b1c2d3e-1111-2222-3333-444455556666.json"

    @click.command()
    @common
    def boom(state: State) -> None:
        raise FileNotFoundError(2, "No such file or directory", f"/lh/bronze/fhir/cohort=A/{name}")

    result = CliRunner().invoke(boom, ["--root", "/tmp/nowhere"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("error: FileNotFoundError: [Errno 2] No such file or directory: 'ref:")
    assert lines[0].endswith("(re-run with --debug for details)")
    for secret in ("Abe604", "Smith12", "0b1c2d3e", "cohort=A"):
        assert secret not in lines[0]
