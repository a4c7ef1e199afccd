"""Run one command in a fresh subprocess and measure it: wall time, CPU time (user + sys of the child and
every descendant it waited for, from wait4), the child's own peak RSS (ru_maxrss), the peak memory of
the whole process tree (RSS summed over it, plus the shared memory the run added — the parse workers
hand batches over in /dev/shm — sampled from /proc every 50 ms), and how busy the machine was meanwhile
(other processes' CPU time, from /proc/stat)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float  # user + sys, seconds, child and its waited-for descendants
    max_rss_mb: float  # largest single process (wait4 ru_maxrss), MB = 10^6 bytes
    tree_rss_mb: float  # largest sum over the process tree + shared memory added (sampled), MB
    load: float  # 1-minute load average at the start
    others_cpu: float  # CPU-seconds used by other processes on the machine meanwhile
    stdout: str


class CommandFailed(RuntimeError):
    pass


def _machine_busy() -> float:
    """CPU-seconds spent busy by the whole machine since boot (all cores)."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICK


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _shmem() -> int:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("Shmem:"):
                return int(line.split()[1]) * 1024
    return 0


def _tree_rss(root: int) -> int:
    tree = _children()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except OSError:
            pass
        todo.extend(tree.get(pid, ()))
    return total


def run(cmd: Sequence[str], *, cwd: Path | None = None, log: Path | None = None) -> Sample:
    """Run `cmd` to completion and measure it; CommandFailed (with the stderr tail) on a non-zero exit."""
    load = os.getloadavg()[0]
    busy0 = _machine_busy()
    err_path = log or Path(os.devnull)
    with (
        open(err_path, "ab") as err,
        subprocess.Popen(list(cmd), cwd=cwd, stdout=subprocess.PIPE, stderr=err) as proc,
    ):
        start = time.perf_counter()
        peak = 0
        done = threading.Event()
        shared = _shmem()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss(proc.pid) + max(0, _shmem() - shared))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        assert proc.stdout is not None
        stdout = proc.stdout.read().decode("utf-8", "replace")
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    others = max(0.0, _machine_busy() - busy0 - cpu)
    if proc.returncode != 0:
        tail = err_path.read_text(errors="replace")[-2000:] if log else ""
        raise CommandFailed(f"{' '.join(cmd)} exited {proc.returncode}\n{tail}")
    return Sample(
        wall=wall,
        cpu=cpu,
        max_rss_mb=usage.ru_maxrss * 1024 / 1e6,
        tree_rss_mb=max(peak, usage.ru_maxrss * 1024) / 1e6,
        load=load,
        others_cpu=others,
        stdout=stdout,
    )
