"""A/B check on a subset: Bronze → Silver (`run --no-gold`) against the DuckDB reference, interleaved.

    .venv/bin/python bench/compare.py --patients 300 --rounds 5
    .venv/bin/python bench/compare.py --baseline REV     # also the code of git revision REV, interleaved

Takes the first `--patients` patient bundles of the cached full corpus (plus its reference bundles and
DICOM files), then `--rounds` times: one DuckDB flattening of those files, a fresh landing (not timed),
one `run --no-gold`. On a shared machine the ratio of the two walls within a round is steadier than
either wall alone; it prints each round and the medians. With `--baseline`, the same round also runs
`run --no-gold` on the sources of that revision (exported with `git archive`, put first on PYTHONPATH),
so a change is measured against what it replaces under the same load. For measuring a change, not for
docs/BENCHMARKS.md (that is bench/run.py on the full corpus).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
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


def export(rev: str, out: Path) -> Path:
    """The `src` tree of git revision `rev`, exported under `out`."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev, "src"], cwd=REPO, check=True, capture_output=True)
    tar = out / "src.tar"
    tar.write_bytes(archive.stdout)
    with tarfile.open(tar) as fh:
        fh.extractall(out, filter="data")
    return out / "src"


def silver(cli: list[str], files: Path, root: Path, log: Path) -> measure.Sample:
    """Land `files` into a fresh `root` (not timed), then time `run --no-gold`."""
    shutil.rmtree(root, ignore_errors=True)
    measure.run([*cli, "ingest", "--root", root, "--source", files, "--with-dicom"], log=log)
    sample = measure.run([*cli, "run", "--root", root, "--no-gold", "--json"], log=log)
    assert json.loads(sample.stdout)["files_parsed"] > 0
    shutil.rmtree(root, ignore_errors=True)
    return sample


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=REPO / "bench" / ".cache" / "corpus-1278-seed0")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / ".cache" / "compare")
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("--baseline", help="a git revision to measure in the same rounds")
    args = parser.parse_args()
    files = subset(args.corpus, args.work / f"subset-{args.patients}", args.patients)
    size = sum(p.stat().st_size for p in (files / "fhir").glob("*.json"))
    log = args.work / "stderr.log"
    cli = [sys.executable, "-m", "scribe_lakehouse"]
    base_cli: list[str] | None = None
    if args.baseline:
        base_src = export(args.baseline, args.work / "baseline")
        base_cli = ["env", f"PYTHONPATH={base_src}", *cli]
    walls: dict[str, list[float]] = {"duckdb": [], "run": [], "baseline": []}
    cpus: dict[str, list[float]] = {"run": [], "baseline": []}
    print(f"{size / 1e6:.0f} MB of bundles; per round: wall (cpu) of each, DuckDB wall / run wall, load")
    for i in range(args.rounds):
        line = [f"{i + 1}:"]
        if not args.skip_duckdb:
            out_json, out_dir = args.work / "duckdb.json", args.work / "duckdb-out"
            cmd = [sys.executable, str(DUCKDB), str(files / "fhir"), str(out_json), "--out-dir", str(out_dir)]
            duck = measure.run(cmd, log=log)
            shutil.rmtree(out_dir, ignore_errors=True)
            walls["duckdb"].append(duck.wall)
            line.append(f"duckdb {duck.wall:.2f} s")
        variants = [("run", cli)] + ([("baseline", base_cli)] if base_cli else [])
        if i % 2:  # alternate which goes first
            variants.reverse()
        for name, command in variants:
            sample = silver(command, files, args.work / "lakehouse", log)
            walls[name].append(sample.wall)
            cpus[name].append(sample.cpu)
            line.append(f"{name} {sample.wall:.2f} s ({sample.cpu:.2f})")
        if walls["duckdb"]:
            line.append(f"ratio {walls['duckdb'][-1] / walls['run'][-1]:.2f}x")
        line.append(f"load {os.getloadavg()[0]:.1f}")
        print(", ".join(line), flush=True)
        time.sleep(0.5)
    for name in ("run", "baseline"):
        if walls[name]:
            wall = _median(walls[name])
            ratio = _median([d / r for d, r in zip(walls["duckdb"], walls[name], strict=False)])
            print(
                f"median {name}: {wall:.2f} s wall (min {min(walls[name]):.2f}), "
                f"{_median(cpus[name]):.2f} s cpu, {size / 1e6 / wall:.0f} MB/s, DuckDB / {name} {ratio:.2f}x"
            )
    if walls["duckdb"]:
        print(f"median duckdb: {_median(walls['duckdb']):.2f} s (min {min(walls['duckdb']):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
