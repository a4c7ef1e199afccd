"""Benchmark: the Spark engine on a local Sail server vs the local engine, on the same generated corpora.

For each corpus size: generate a Coherent-shaped corpus once (with DICOM), then `--repeats` times per
engine: land it into a fresh root, time Bronze → Silver + validation, then Gold, then a no-op re-run.
Reports the median of the repeats (wall seconds, MB/s, CPU seconds per GB — the Sail server's CPU
included) as a Markdown table; `--json` writes the raw samples too.

    .venv/bin/python bench/spark_vs_local.py --patients 100 300 --repeats 3 --workdir /tmp/scribe-bench
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.local import pipeline as local
from scribe_lakehouse.spark import pipeline as spark_engine
from scribe_lakehouse.spark.session import SailServer, connect
from scribe_lakehouse.synth import generate


@dataclass(frozen=True)
class Sample:
    engine: str
    patients: int
    mb: float
    silver_s: float
    gold_s: float
    noop_s: float
    cpu_s: float


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime


def _cpu_pid(pid: int) -> float:
    """CPU seconds (user + system) of another process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def _fhir_mb(source: Path) -> float:
    return sum(p.stat().st_size for p in (source / "fhir").glob("*.json")) / 1e6


def bench_local(source: Path, root: Path, patients: int) -> Sample:
    shutil.rmtree(root, ignore_errors=True)
    land(source, root, kinds=["fhir", "dicom"])
    cpu = _cpu_self()
    silver_s = _timed(lambda: local.run(root, gold=False))
    gold_s = _timed(lambda: local.gold(root))
    cpu = _cpu_self() - cpu
    noop_s = _timed(lambda: local.run(root))
    return Sample("local", patients, _fhir_mb(source), silver_s, gold_s, noop_s, cpu)


def bench_spark(source: Path, root: Path, patients: int, server: SailServer) -> Sample:
    shutil.rmtree(root, ignore_errors=True)
    land(source, root, kinds=["fhir", "dicom"])
    spark = connect(server.remote)
    try:
        eng = spark_engine.SparkEngine.on(spark, root)
        cpu = _cpu_self() + _cpu_pid(server.pid)
        silver_s = _timed(lambda: spark_engine.run(eng, gold_step=False))
        gold_s = _timed(lambda: spark_engine.gold(eng))
        cpu = _cpu_self() + _cpu_pid(server.pid) - cpu
        noop_s = _timed(lambda: spark_engine.run(eng))
    finally:
        spark.stop()
    return Sample("spark (Sail)", patients, _fhir_mb(source), silver_s, gold_s, noop_s, cpu)


def _median(samples: list[Sample], field: str) -> float:
    return statistics.median(float(getattr(s, field)) for s in samples)


def markdown(samples: list[Sample], repeats: int) -> str:
    lines = [
        "| patients | FHIR MB | engine | Bronze → Silver s | MB/s | Gold s | no-op re-run s | CPU s/GB |"
        "\n|---:|---:|---|---:|---:|---:|---:|---:|"
    ]
    keys = sorted({(s.patients, s.engine) for s in samples}, key=lambda k: (k[0], k[1] != "local"))
    for patients, engine in keys:
        group = [s for s in samples if (s.patients, s.engine) == (patients, engine)]
        mb, silver_s = group[0].mb, _median(group, "silver_s")
        lines.append(
            f"| {patients} | {mb:,.0f} | {engine} | {silver_s:.1f} | {mb / silver_s:.0f} | "
            f"{_median(group, 'gold_s'):.1f} | {_median(group, 'noop_s'):.1f} | "
            f"{_median(group, 'cpu_s') / (mb / 1000):.0f} |"
        )
    return "\n".join(lines) + f"\n\nMedian of {repeats} run(s) per cell.\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/scribe-bench-spark"))
    parser.add_argument("--json", type=Path, default=None, help="also write the raw samples here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    samples: list[Sample] = []
    server = SailServer.start()
    try:
        for patients in args.patients:
            source = args.workdir / f"corpus-{patients}-{args.seed}"
            if not (source / "fhir").is_dir():
                generate(source, patients=patients, seed=args.seed, dicom=True)
            for i in range(args.repeats):
                # alternate the order so neither engine always runs on a warmer page cache
                order = ("local", "spark") if i % 2 == 0 else ("spark", "local")
                for engine in order:
                    root = args.workdir / f"root-{engine}"
                    sample = (
                        bench_local(source, root, patients)
                        if engine == "local"
                        else bench_spark(source, root, patients, server)
                    )
                    samples.append(sample)
                    print(json.dumps(asdict(sample)), flush=True)
    finally:
        server.stop()
    print(markdown(samples, args.repeats))
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in samples], indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
