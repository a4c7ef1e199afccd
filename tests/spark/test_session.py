"""A local Sail server starts on a free 127.0.0.1 port and stops by pid, leaving no process behind."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from scribe_lakehouse.spark.session import SailServer, connect, is_sail

pytestmark = pytest.mark.spark


def _accepting(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_sail_server_starts_answers_and_stops(sail_pids: Callable[[], set[int]]) -> None:
    before = sail_pids()
    server = SailServer.start()
    try:
        assert server.running() and _accepting(server.port)
        assert server.pid in sail_pids()
        spark = connect(server.remote)
        assert is_sail(spark)
        assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
        assert spark.range(3).count() == 3
        spark.stop()
    finally:
        server.stop()
    assert not server.running() and not _accepting(server.port)
    assert sail_pids() == before
    server.stop()  # idempotent
