"""One Sail Spark Connect server for the whole Spark test session (started on a free 127.0.0.1 port,
stopped by pid at the end), one session on it, and a small generated corpus shared by several modules."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from scribe_lakehouse.spark.session import SailServer, connect

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def sail_server() -> Iterator[SailServer]:
    server = SailServer.start()
    try:
        yield server
    finally:
        server.stop()
        assert not server.running(), "the Sail server outlived the test session"


@pytest.fixture(scope="session")
def spark(sail_server: SailServer) -> Iterator[SparkSession]:
    session = connect(sail_server.remote)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def small_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small Coherent-shaped source folder (fhir/, dicom/, dna/), generated once."""
    from scribe_lakehouse.synth import generate

    out = tmp_path_factory.mktemp("small_source")
    generate(out, patients=8, seed=7, dicom=True, scale=0.2, workers=1)
    return out


@pytest.fixture(scope="session")
def sail_pids() -> Callable[[], set[int]]:
    """A function listing the Sail servers that are children of this test process."""
    return sail_children


def sail_children() -> set[int]:
    """Pids of Sail servers that are children of this test process."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"pysail" in cmdline:
            found.add(int(entry.name))
    return found
