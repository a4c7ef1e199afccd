"""`scribe-lakehouse ui` as a user runs it: a real `dagster dev` on 127.0.0.1, queried over GraphQL,
stopped by pid with SIGTERM, leaving no process behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from scribe_lakehouse.cli import cli
from scribe_lakehouse.orchestration.checks import GOLD_CHECK_NAME, SILVER_CHECK_NAME
from scribe_lakehouse.registry import SILVER_TABLES
from scribe_lakehouse.spark.session import free_port

QUERY = """
{ assetNodes { assetKey { path } description
    assetChecksOrError { ... on AssetChecks { checks { name } } } } }
"""
STARTUP_SECONDS = 240


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, session id) of a live process, None when it is gone (or a zombie)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return None if fields[0] == "Z" else (int(fields[1]), int(fields[3]))


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _descendants(root_pid: int) -> set[int]:
    parents = {pid: st[0] for pid in _all_pids() if (st := _stat(pid)) is not None}
    found: set[int] = set()
    frontier = {root_pid}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _in_session(session: int) -> set[int]:
    return {pid for pid in _all_pids() if (st := _stat(pid)) is not None and st[1] == session}


def _graphql(port: int) -> dict[str, object] | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) and data.get("assetNodes") else None


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _sigint_ignored() -> None:
    """As for a command started with `&` from a script: `dagster dev` would then ignore SIGTERM too,
    unless `ui` restores SIGINT before it execs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.integration
@pytest.mark.parametrize(
    "preexec", [_sigint_default, _sigint_ignored], ids=["sigint-default", "sigint-ignored"]
)
def test_ui_serves_assets_and_checks_and_stops_cleanly(tmp_path: Path, preexec: Callable[[], None]) -> None:
    root = tmp_path / "lh"
    root.mkdir()
    port = free_port()
    log = (tmp_path / "ui.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "scribe_lakehouse", "ui", "--root", str(root), "--port", str(port)],
        env={k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"},  # the root's own instance
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=preexec,
        start_new_session=True,
    )
    children: set[int] = set()
    try:
        data = None
        deadline = time.monotonic() + STARTUP_SECONDS
        while data is None and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "ui.log").read_text()[-3000:]
            time.sleep(1)
            data = _graphql(port)
        assert data is not None, "the UI did not answer: " + (tmp_path / "ui.log").read_text()[-3000:]

        nodes = data["assetNodes"]
        assert isinstance(nodes, list)
        assets = {"/".join(n["assetKey"]["path"]): n for n in nodes}
        expected = {"bronze_fhir", "gold_encounter_summary"} | {f"silver_{t.name}" for t in SILVER_TABLES}
        assert set(assets) == expected
        checks = {
            (key, check["name"])
            for key, node in assets.items()
            for check in node["assetChecksOrError"]["checks"]
        }
        expected_checks = {(f"silver_{t.name}", SILVER_CHECK_NAME) for t in SILVER_TABLES}
        assert checks == expected_checks | {("gold_encounter_summary", GOLD_CHECK_NAME)}
        assert assets["silver_patient"]["description"].startswith("One row per patient")

        yaml = (root / ".dagster" / "dagster.yaml").read_text()
        assert "enabled: false" in yaml and "max_concurrent_runs: 1" in yaml

        children = _descendants(proc.pid)
        assert len(children) >= 2  # the webserver and the daemon at least
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=90) in (0, -signal.SIGTERM)
        deadline = time.monotonic() + 30
        while (_in_session(proc.pid) or {c for c in children if _stat(c)}) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _in_session(proc.pid) == set()
        assert {c for c in children if _stat(c) is not None} == set()
    finally:
        if proc.poll() is None or _in_session(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)  # only our own session, and only if the test failed
            proc.wait(timeout=30)
        log.close()


def test_ui_refuses_a_missing_root_and_a_busy_port(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["ui", "--root", str(tmp_path / "nope"), "--port", str(free_port())])
    assert missing.exit_code == 1
    assert "no lakehouse at" in missing.output and "Traceback" not in missing.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = runner.invoke(cli, ["ui", "--root", str(tmp_path), "--port", str(port)])
    assert taken.exit_code == 1
    assert f"port {port} on 127.0.0.1 is in use" in taken.output
