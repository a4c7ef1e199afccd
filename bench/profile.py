"""Where Bronze → Silver spends its CPU: py-spy samples of the run and its parse workers, by stage.

    .venv/bin/pip install py-spy          # a profiling tool, not a project dependency
    .venv/bin/python bench/profile.py     # lands the cached corpus in a scratch root, profiles the run

Prints a Markdown table (share of the samples per stage) to paste into docs/BENCHMARKS.md. Native frames
are included, so time inside msgspec, pyarrow or delta-rs counts under the Python call that entered it.
Idle threads are not sampled, but a thread waiting for a core is: on a busy 2-core machine the samples
add up to more than the CPU time, so read shares, not seconds (the CPU time is in the benchmark table).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RATE = 250

# (stage, any of these substrings in a frame), first match from the leaf wins
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("notes: base64, SOAP sections, word counts", ("notes.py", "soap_note (scribe_lakehouse/fhir/fast")),
    ("typed JSON decode (msgspec, skipping in C)", ("msgspec/_core", "Decoder.decode")),
    ("typed extraction (fhir/fast.py)", ("fhir/fast.py",)),
    ("rows → Arrow (column by column)", ("to_arrow",)),
    ("per-file loop, UTF-8 check, freeing decoded Structs (fhir/columnar.py)", ("columnar.py",)),
    (
        "hand-off: spool write / map, IPC",
        ("_spool", "ParsedBatch.arrow", "_ipc", "multiprocessing/connection"),
    ),
    ("reading bundle files", ("read_bytes",)),
    ("Delta writes (parquet encode + commit)", ("write_deltalake", "_append", "merge_changed")),
    ("change detection (keys, hashes)", ("changed_rows", "delta.py", "dedupe_last", "split_required")),
    ("validation", ("validate", "read_silver")),
    ("start-up: imports, table checks, DICOM index", ("_find_and_load", "ensure_table", "dicom")),
)


def stage_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for stage, needles in STAGES:
            if any(n in frame for n in needles):
                return stage
    return "other"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=REPO / "bench" / ".cache" / "corpus-1278-seed0")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / ".cache" / "profile")
    parser.add_argument("--keep", action="store_true", help="keep the samples and the scratch lakehouse")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    shutil.rmtree(args.work, ignore_errors=True)
    root, raw = args.work / "lakehouse", args.work / "samples.txt"
    cli = [sys.executable, "-m", "scribe_lakehouse"]
    subprocess.run([*cli, "ingest", "--root", root, "--source", args.corpus], check=True, capture_output=True)
    record = [py_spy, "record", "--native", "--subprocesses", "--rate", str(RATE), "--format", "raw"]
    subprocess.run([*record, "-o", raw, "--", *cli, "run", "--root", root, "--no-gold"], check=True)
    totals: collections.Counter[str] = collections.Counter()
    other: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        stage = stage_of(frames)
        totals[stage] += int(count)
        if stage == "other":
            other[frames[-1].split(" (")[0]] += int(count)
    all_samples = sum(totals.values())
    print("| stage | share of samples |\n|---|---:|")
    for stage, n in totals.most_common():
        print(f"| {stage} | {100 * n / all_samples:.1f}% |")
    print(
        "\nlargest leaves in 'other':",
        ", ".join(f"{k} {100 * n / all_samples:.1f}%" for k, n in other.most_common(6)),
    )
    shutil.rmtree(args.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
