"""Benchmark harness: Coherent-scale Bronze → Silver → Gold, measured in fresh subprocesses.

    .venv/bin/python bench/run.py            # full size: 1,278 patients (~4.9 GB), 3 runs each
    .venv/bin/python bench/run.py --quick    # smoke test: 100 patients, 1 run each

The corpus is generated once and cached under bench/.cache (gitignored). Each benchmark runs `--runs`
times, every run a fresh `python -m scribe_lakehouse …` (or generator / DuckDB) subprocess, measured for
wall time, CPU time (user + sys, workers included), peak RSS and machine load; the median, min and max
go into docs/BENCHMARKS.md between the `bench:begin` / `bench:end` markers (the hand-written analysis
around them is kept). Plain Python: no services, no extra packages beyond the dev extra.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import measure
import report

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DUCKDB = REPO.parent / "shared" / "tools" / "duckdb_flatten.py"
DONE = ".complete"


def cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "scribe_lakehouse", *map(str, args)]


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fhir_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in (folder / "fhir").glob("*.json"))


def generate(args: argparse.Namespace, work: Path, log: Path) -> tuple[Path, list[measure.Sample]]:
    """The cached corpus, and `--runs` timed generations (the first fills the cache when it is empty)."""
    corpus = args.cache / f"corpus-{args.patients}-seed{args.seed}"
    samples: list[measure.Sample] = []
    for i in range(args.runs):
        fill = not (corpus / DONE).exists()
        out = corpus if fill else work / f"generated-{i}"
        shutil.rmtree(out, ignore_errors=True)
        say(f"generator run {i + 1}/{args.runs}: {args.patients} patients → {out}")
        cmd = cli("generate", "--patients", args.patients, "--seed", args.seed, "--dicom", "--out", out)
        samples.append(measure.run(cmd, log=log))
        if fill:
            (corpus / DONE).write_text("ok\n")
        else:
            shutil.rmtree(out, ignore_errors=True)
    return corpus, samples


def extra_cohorts(args: argparse.Namespace, log: Path) -> list[Path]:
    """`--runs` folders of `--cohort-size` new patient bundles (another seed), cached."""
    base = args.cache / f"extra-{args.runs}x{args.cohort_size}-seed{args.seed + 1}"
    folders = [base / f"cohort-{i}" for i in range(args.runs)]
    if not (base / DONE).exists():
        shutil.rmtree(base, ignore_errors=True)
        raw = base / "generated"
        n = args.runs * args.cohort_size
        measure.run(cli("generate", "--patients", n, "--seed", args.seed + 1, "--out", raw), log=log)
        bundles = sorted(
            p for p in (raw / "fhir").glob("*.json") if "_" in p.stem
        )  # not the reference bundles
        for i, folder in enumerate(folders):
            (folder / "fhir").mkdir(parents=True)
            for bundle in bundles[i * args.cohort_size : (i + 1) * args.cohort_size]:
                shutil.copy2(bundle, folder / "fhir" / bundle.name)
        shutil.rmtree(raw)
        (base / DONE).write_text("ok\n")
    return folders


def duckdb_run(args: argparse.Namespace, corpus: Path, work: Path, log: Path) -> report.DuckRun | None:
    if args.skip_duckdb or not args.duckdb_script.is_file():
        return None
    out_json, out_dir = work / "duckdb.json", work / "duckdb-out"
    shutil.rmtree(out_dir, ignore_errors=True)
    cmd = [
        sys.executable,
        str(args.duckdb_script),
        str(corpus / "fhir"),
        str(out_json),
        "--out-dir",
        str(out_dir),
    ]
    sample = measure.run(cmd, log=log)
    body = json.loads(out_json.read_text())
    shutil.rmtree(out_dir, ignore_errors=True)
    return report.DuckRun(sample, float(body["seconds_total"]), int(body["input_bytes"]), body["rows"])


def _shown(argv: list[str]) -> list[str]:
    """The arguments as the docs show them: `--cache DIR` names a folder of this machine, not a setting."""
    shown: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--cache":
            skip = True
        elif not arg.startswith("--cache="):
            shown.append(arg)
    return shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smoke test: 100 patients, 1 run (unless given)")
    parser.add_argument("--patients", type=int, help="corpus size (default 1278, or 100 with --quick)")
    parser.add_argument("--runs", type=int, help="runs per benchmark (default 3, or 1 with --quick)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cohort-size", type=int, default=10, help="bundles in each new cohort (default 10)")
    parser.add_argument("--cache", type=Path, default=REPO / "bench" / ".cache")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "BENCHMARKS.md")
    parser.add_argument("--duckdb-script", type=Path, default=DEFAULT_DUCKDB)
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark lakehouses under the cache")
    args = parser.parse_args(argv)
    args.patients = args.patients or (100 if args.quick else 1278)
    args.runs = args.runs or (1 if args.quick else 3)
    shown = _shown(argv if argv is not None else sys.argv[1:])
    command = "python bench/run.py" + (" " + " ".join(shown)).rstrip()

    args.cache.mkdir(parents=True, exist_ok=True)
    work = args.cache / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    log = work / "stderr.log"
    results = report.Results(
        patients=args.patients, runs=args.runs, cohort_size=args.cohort_size, seed=args.seed
    )
    started = time.time()

    corpus, results.generate = generate(args, work, log)
    results.corpus_bytes = fhir_bytes(corpus)
    cohorts = extra_cohorts(args, log)

    root = work / "lakehouse"
    for i in range(args.runs):
        duck = duckdb_run(args, corpus, work, log)
        if duck is not None:
            say(f"DuckDB reference run {i + 1}: {duck.seconds:.1f} s")
            results.duckdb.append(duck)
        shutil.rmtree(root, ignore_errors=True)
        results.land.append(
            measure.run(cli("ingest", "--root", root, "--source", corpus, "--with-dicom"), log=log)
        )
        silver = measure.run(cli("run", "--root", root, "--no-gold", "--json"), log=log)
        results.silver.append(silver)
        results.silver_summary = json.loads(silver.stdout)
        results.gold.append(measure.run(cli("gold", "--root", root, "--json"), log=log))
        gold = results.gold[-1].wall
        say(f"Bronze → Silver run {i + 1}/{args.runs}: {silver.wall:.1f} s, Gold {gold:.1f} s")

    for i in range(args.runs):
        noop = measure.run(cli("run", "--root", root, "--json"), log=log)
        if json.loads(noop.stdout)["files_parsed"] != 0:
            raise SystemExit("the no-op re-run parsed files: the lakehouse is not converged")
        results.noop.append(noop)
        say(f"no-op re-run {i + 1}/{args.runs}: {noop.wall:.1f} s")

    for i, folder in enumerate(cohorts):
        land = measure.run(cli("ingest", "--root", root, "--source", folder, "--cohorts", 1), log=log)
        step = measure.run(cli("run", "--root", root, "--json"), log=log)
        results.cohort.append((land, step))
        results.cohort_summary = json.loads(step.stdout)
        say(f"new cohort {i + 1}/{args.runs}: land {land.wall:.1f} s + run with Gold {step.wall:.1f} s")

    results.seconds = time.time() - started
    (args.cache / "results.json").write_text(json.dumps(results.as_json(), indent=2, default=str) + "\n")
    block = report.render(results, machine=report.machine(), command=command)
    report.write(args.out, block)
    say(f"wrote {args.out}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
