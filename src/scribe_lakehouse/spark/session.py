"""Spark sessions for the Spark engine: connect to a Spark Connect server (`sc://host:port`), or start a
local Sail server on a free 127.0.0.1 port and stop it by its pid when done.

Sail (pysail) is a Rust Spark Connect server; it runs Python UDFs (our parser in `mapInArrow`) inside
its own process, so the server's Python must be able to import `scribe_lakehouse`: we start it with
the interpreter that runs us.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scribe_lakehouse.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

LOCALHOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
SESSION_TIMEZONE = "UTC"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def _accepting(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((LOCALHOST, port)) == 0


@dataclass(frozen=True)
class SailServer:
    """A Sail Spark Connect server we started: its pid, port and log file."""

    pid: int
    port: int
    log_path: Path

    @property
    def remote(self) -> str:
        return f"sc://{LOCALHOST}:{self.port}"

    @classmethod
    def start(cls, *, port: int | None = None, timeout: float = START_TIMEOUT_S) -> SailServer:
        """Start `sail spark server` on 127.0.0.1 and wait until it accepts connections."""
        port = port or free_port()
        handle, log_name = tempfile.mkstemp(prefix="scribe-sail-", suffix=".log")
        cmd = [sys.executable, "-m", "pysail", "spark", "server", "--ip", LOCALHOST, "--port", str(port)]
        # Sail's own logs may name files it reads; keep them out of ours (errors only, in a temp file).
        env = {**os.environ, "RUST_LOG": os.environ.get("SCRIBE_SAIL_LOG", "error")}
        with os.fdopen(handle, "wb") as out:
            proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        server = cls(pid=proc.pid, port=port, log_path=Path(log_name))
        atexit.register(server.stop)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = server.log_tail()
                server.stop()
                raise ConfigError(f"the Sail server exited at start (code {proc.returncode}): {tail}")
            if _accepting(port):
                log.info("Sail Spark Connect server started on 127.0.0.1:%d (pid %d)", port, proc.pid)
                return server
            time.sleep(0.1)
        server.stop()
        raise ConfigError(f"the Sail server did not accept connections within {timeout:.0f} s")

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text("utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])

    def running(self) -> bool:
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False
        return pid == 0

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM the server by pid, SIGKILL it if it lingers; idempotent."""
        atexit.unregister(self.stop)
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.running() and time.monotonic() < deadline:
                time.sleep(0.05)
            if self.running():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(self.pid, 0)
            log.info("Sail server (pid %d) stopped", self.pid)
        with contextlib.suppress(OSError):
            self.log_path.unlink()


def connect(remote: str) -> SparkSession:
    """A Spark Connect session on `remote` (`sc://host:port`), with the session time zone set to UTC so
    dates of UTC timestamps are UTC dates on every engine."""
    if not remote.startswith("sc://"):
        raise ConfigError(f"--spark-remote must look like sc://host:port, got {remote!r}")
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # the spark extra is missing
        raise ConfigError(
            "the Spark engine needs the spark extra: pip install 'scribe-lakehouse[spark]'"
        ) from exc
    spark = SparkSession.builder.remote(remote).getOrCreate()
    prepare(spark)
    return spark


def prepare(spark: SparkSession) -> None:
    """Session settings the engine relies on: UTC session time zone (Gold compares UTC dates)."""
    spark.conf.set("spark.sql.session.timeZone", SESSION_TIMEZONE)


@dataclass(frozen=True)
class EngineSession:
    """A session for one run, and what it is: `sail` (a server we started) or `remote`."""

    spark: SparkSession
    kind: str
    remote: str


@contextlib.contextmanager
def spark_session(remote: str | None = None) -> Iterator[EngineSession]:
    """A session on `remote`, or on a local Sail server started for the block and stopped after it."""
    if remote:
        spark = connect(remote)
        try:
            yield EngineSession(spark, "remote", remote)
        finally:
            spark.stop()
        return
    server = SailServer.start()
    try:
        spark = connect(server.remote)
        try:
            yield EngineSession(spark, "sail", server.remote)
        finally:
            spark.stop()
    finally:
        server.stop()


def is_sail(spark: SparkSession) -> bool:
    """True when the session runs on Sail: Spark's `version()` is '<release> <git hash>', Sail's is its
    own bare release number."""
    try:
        row = spark.sql("SELECT version() AS v").collect()[0]
    except Exception:  # an engine without version() is not Sail either
        return False
    return " " not in str(row["v"]).strip()
