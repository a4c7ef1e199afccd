"""Start the Dagster UI (`dagster dev`) for one lakehouse root, on 127.0.0.1 only.

The UI's instance lives in `<root>/.dagster` (unless `$DAGSTER_HOME` is set), so run history and the
sensor's cursor belong to the root. The process replaces itself with `dagster dev` after restoring
SIGINT and SIGTERM to their defaults: a `dagster dev` started in the background inherits an ignored
SIGINT and then ignores SIGTERM too, so it could only be stopped by SIGKILL, leaving its children behind.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.lakehouse import ROOT_ENV

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFINITIONS_MODULE = "scribe_lakehouse.orchestration.definitions"
INSTANCE_DIR = ".dagster"
INSTANCE_YAML = """\
# Written by `scribe-lakehouse ui`: the Dagster instance of this lakehouse root.
telemetry:
  enabled: false
nux:
  enabled: false
python_logs:
  managed_python_loggers: [scribe_lakehouse]
  python_log_level: INFO
concurrency:
  runs:
    # every run writes this root and takes its single-writer lock: run them one at a time
    max_concurrent_runs: 1
"""


@dataclass(frozen=True)
class UiLaunch:
    """What `exec_ui` runs: the command line, its environment and where the UI answers."""

    root: Path
    argv: tuple[str, ...]
    env: dict[str, str]
    dagster_home: Path
    url: str


def port_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def prepare(root: Path, *, port: int) -> UiLaunch:
    """Check the root and the port, write the instance's dagster.yaml (once), build the command."""
    if importlib.util.find_spec("dagster_webserver") is None:
        raise ConfigError("the Dagster UI needs the dagster extra: pip install 'scribe-lakehouse[dagster]'")
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError(f"no lakehouse at {root}: run `demo` or `ingest` first")
    if not port_free(port):
        raise ConfigError(f"port {port} on {HOST} is in use: pick another with --port")
    home = Path(os.environ.get("DAGSTER_HOME") or root / INSTANCE_DIR).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML, "utf-8")
    argv = (sys.executable, "-m", "dagster", "dev", "-m", DEFINITIONS_MODULE, "-h", HOST, "-p", str(port))
    env = {**os.environ, ROOT_ENV: str(root), "DAGSTER_HOME": str(home)}
    return UiLaunch(root=root, argv=argv, env=env, dagster_home=home, url=f"http://{HOST}:{port}")


def exec_ui(launch: UiLaunch) -> None:
    """Replace this process with `dagster dev` (same pid), with SIGINT and SIGTERM at their defaults."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for handler in logging.getLogger().handlers:
        handler.flush()
    os.execve(launch.argv[0], list(launch.argv), launch.env)
