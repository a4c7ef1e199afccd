"""The session's Sail server: a child of this process on 127.0.0.1, a UTC Spark Connect session on it,
recognised as Sail. (Its stop by pid is asserted when the session fixture ends; the CLI test checks a
server started for a run leaves no process behind.)"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.spark.session import SailServer, connect, free_port, is_sail

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark


def test_session_server_is_ours_on_localhost(
    sail_server: SailServer, spark: SparkSession, sail_pids: Callable[[], set[int]]
) -> None:
    assert sail_server.running() and sail_server.pid in sail_pids()
    assert sail_server.remote == f"sc://127.0.0.1:{sail_server.port}"
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", sail_server.port)) == 0
    assert is_sail(spark)
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.range(3).count() == 3


def test_free_port_is_free_and_bad_remote_is_refused() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # nothing holds it
    with pytest.raises(ConfigError, match="sc://host:port"):
        connect("127.0.0.1:15002")
