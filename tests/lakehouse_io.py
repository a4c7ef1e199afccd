"""Test helpers shared by the reliability tests: run the CLI as a real subprocess (with its peak RSS),
snapshot every table of a lakehouse as comparable frames, and collect a corpus's identifying strings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from scribe_lakehouse.bronze.landing import REFERENCE_PREFIXES, Manifest
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, PROCESSED_FILES, QUARANTINE, SILVER_TABLES
from scribe_lakehouse.storage import delta

# columns that say when (or by which run) a row was written, not what it holds
VOLATILE = ("ingest_timestamp", "created_timestamp", "run_id")


def cli_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "scribe_lakehouse", *args]


def cli_env() -> dict[str, str]:
    return {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str
    max_rss_mb: float

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_cli(*args: str, timeout: float = 600) -> CliResult:
    """Run `scribe-lakehouse ARGS` to completion; also report that process's own peak RSS (wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cli_argv(*args), stdout=out, stderr=err, env=cli_env())
        guard = threading.Timer(timeout, proc.kill)  # a hung child must not hang the suite
        guard.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            guard.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return CliResult(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            usage.ru_maxrss / 1024,
        )


def _frame(uri: str, key: str, drop: tuple[str, ...] = ()) -> pl.DataFrame:
    frame = pl.from_arrow(delta.read_arrow(uri))
    assert isinstance(frame, pl.DataFrame)
    return frame.drop([c for c in (*VOLATILE, *drop) if c in frame.columns]).sort(key)


def silver_frames(root: Path) -> dict[str, pl.DataFrame]:
    """Every Silver table sorted by key, without the columns that only say when a row was written."""
    lh = Lakehouse(root)
    return {s.name: _frame(lh.uri(s), s.column_names[0]) for s in SILVER_TABLES}


def snapshot(root: Path, *, gold: bool = True) -> dict[str, pl.DataFrame]:
    """Every Silver table, the quarantine and processed-file tables, and Gold (when built), sorted by key,
    without the columns that only say when or by which run a row was written."""
    lh = Lakehouse(root)
    frames = silver_frames(root)
    frames["quarantine"] = _frame(lh.uri(QUARANTINE), "quarantine_id")
    frames["processed_files"] = _frame(lh.uri(PROCESSED_FILES), "bronze_path")
    if gold:
        frames["gold"] = _frame(lh.uri(GOLD_ENCOUNTER_SUMMARY), "summary_id")
    return frames


def assert_same_tables(actual: dict[str, pl.DataFrame], expected: dict[str, pl.DataFrame]) -> None:
    assert sorted(actual) == sorted(expected)
    for name, frame in expected.items():
        try:
            assert_frame_equal(actual[name], frame)
        except AssertionError as exc:
            raise AssertionError(f"table {name} differs: {exc}") from None


def bronze_listing(root: Path) -> list[tuple[str, str, str | None, str, int, str]]:
    """The Bronze manifest without landing times: what was landed where."""
    return [(e.name, e.kind, e.cohort, e.path, e.bytes, e.sha256) for e in Manifest.load(root).entries]


def corpus_identifiers(folder: Path) -> set[str]:
    """Every resource id, patient name part and file name (with and without its extension) of a source
    folder or a Bronze folder: none of them may appear in any output."""
    found: set[str] = set()
    for path in folder.rglob("*"):
        if not path.is_file() or "_metadata" in path.parts or path.name.startswith(REFERENCE_PREFIXES):
            continue
        found.update({path.name, path.stem})
        if path.suffix != ".json":
            continue
        try:
            bundle = json.loads(path.read_bytes().removeprefix(b"\xef\xbb\xbf"))
        except ValueError:
            continue  # a deliberately broken file: its name is collected above
        entries = bundle.get("entry", []) if isinstance(bundle, dict) else []
        for entry in entries:
            res = entry.get("resource", {}) if isinstance(entry, dict) else {}
            if res.get("resourceType") in ("Organization", "Practitioner", "Location", "PractitionerRole"):
                continue  # provider directory, not patients
            if isinstance(res.get("id"), str):
                found.add(res["id"])
            if res.get("resourceType") == "Patient":
                for name in res.get("name", []):
                    found.update(name.get("given", []))
                    if "family" in name:
                        found.add(name["family"])
    return {f for f in found if len(f) >= 5}
