"""A/B check on a subset: Bronze → Silver (`run --no-gold`) against the DuckDB reference, interleaved.

    .venv/bin/python bench/compare.py --patients 300 --rounds 5

Takes the first `--patients` patient bundles of the cached full corpus (plus its reference bundles and
DICOM files), then `--rounds` times: one DuckDB flattening of those files, a fresh landing (not timed),
one `run --no-gold`. On a shared machine the ratio of the two walls within a round is steadier than
either wall alone; it prints each round and the medians. For measuring a change before and after, not
for docs/BENCHMARKS.md (that is bench/run.py on the full corpus).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import measure

REPO = Path(__file__).resolve().parents[1]
DUCKDB = REPO.parent / "shared" / "tools" / "duckdb_flatten.py"


def subset(corpus: Path, out: Path, patients: int) -> Path:
    """Hard links (or copies) of the first `patients` patient bundles, the reference bundles and DICOM."""
    if (out / ".complete").exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    bundles = sorted((corpus / "fhir").glob("*.json"))
    reference = [p for p in bundles if "Information" in p.name]
    chosen = [p for p in bundles if p not in reference][:patients] + reference
    for folder, files in (("fhir", chosen), ("dicom", sorted((corpus / "dicom").glob("*.dcm")))):
        (out / folder).mkdir(parents=True)
        for path in files:
            try:
                os.link(path, out / folder / path.name)
            except OSError:
                shutil.copy2(path, out / folder / path.name)
    (out / ".complete").write_text("ok\n")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=REPO / "bench" / ".cache" / "corpus-1278-seed0")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / ".cache" / "compare")
    parser.add_argument("--skip-duckdb", action="store_true")
    args = parser.parse_args()
    files = subset(args.corpus, args.work / f"subset-{args.patients}", args.patients)
    size = sum(p.stat().st_size for p in (files / "fhir").glob("*.json"))
    log = args.work / "stderr.log"
    cli = [sys.executable, "-m", "scribe_lakehouse"]
    ours: list[float] = []
    cpus: list[float] = []
    ratios: list[float] = []
    print(f"{size / 1e6:.0f} MB of bundles; round: duckdb wall, run --no-gold wall (cpu), ratio, load")
    for i in range(args.rounds):
        duck = None
        if not args.skip_duckdb:
            out_json, out_dir = args.work / "duckdb.json", args.work / "duckdb-out"
            cmd = [sys.executable, str(DUCKDB), str(files / "fhir"), str(out_json), "--out-dir", str(out_dir)]
            duck = measure.run(cmd, log=log)
            shutil.rmtree(out_dir, ignore_errors=True)
        root = args.work / "lakehouse"
        shutil.rmtree(root, ignore_errors=True)
        measure.run([*cli, "ingest", "--root", root, "--source", files, "--with-dicom"], log=log)
        run = measure.run([*cli, "run", "--root", root, "--no-gold", "--json"], log=log)
        summary = json.loads(run.stdout)
        assert summary["files_parsed"] > 0
        ours.append(run.wall)
        cpus.append(run.cpu)
        ratio = duck.wall / run.wall if duck is not None else float("nan")
        ratios.append(ratio)
        duck_wall = f"{duck.wall:.2f}" if duck is not None else "-"
        print(f"{i + 1}: {duck_wall} s, {run.wall:.2f} s ({run.cpu:.2f}), {ratio:.2f}x, {run.load:.1f}")
        time.sleep(0.5)
    print(
        f"median: run --no-gold {statistics.median(ours):.2f} s (cpu {statistics.median(cpus):.2f} s), "
        f"{size / 1e6 / statistics.median(ours):.0f} MB/s, ratio to DuckDB {statistics.median(ratios):.2f}x"
    )
    shutil.rmtree(args.work / "lakehouse", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
