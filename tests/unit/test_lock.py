"""The single-writer lock: re-entrant in its thread, exclusive across threads and processes, never stale."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scribe_lakehouse.errors import LockedError
from scribe_lakehouse.lakehouse import Lakehouse


def test_reentrant_in_the_holding_thread(tmp_path: Path) -> None:
    lh = Lakehouse(tmp_path / "lh")
    with lh.lock(), lh.lock(), Lakehouse(tmp_path / "lh" / ".." / "lh").lock():
        pass
    with lh.lock():  # released after the outermost exit
        pass


def test_another_thread_is_refused_with_the_holder_pid(tmp_path: Path) -> None:
    lh = Lakehouse(tmp_path)
    errors: list[str] = []

    def second() -> None:
        try:
            with lh.lock():
                errors.append("acquired")
        except LockedError as exc:
            errors.append(str(exc))

    with lh.lock():
        worker = threading.Thread(target=second)
        worker.start()
        worker.join()
    assert errors == [
        f"another scribe-lakehouse process (pid {os.getpid()}) is writing to this lakehouse root; "
        "wait for it to finish and retry"
    ]


def test_wait_blocks_until_the_holder_releases(tmp_path: Path) -> None:
    lh = Lakehouse(tmp_path)
    order: list[str] = []
    started = threading.Event()

    def waiter() -> None:
        started.set()
        with lh.lock(wait=True):
            order.append("waiter")

    with lh.lock():
        worker = threading.Thread(target=waiter)
        worker.start()
        started.wait()
        order.append("holder")
    worker.join()
    assert order == ["holder", "waiter"]


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from scribe_lakehouse.lakehouse import Lakehouse\n"
        "with Lakehouse(Path(sys.argv[1])).lock():\n"
        "    print('locked', flush=True)\n"
        "    time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError, match=f"pid {proc.pid}"), Lakehouse(tmp_path).lock():
            pass
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with Lakehouse(tmp_path).lock():  # the kernel released it with the process
        pass
