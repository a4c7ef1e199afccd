"""`walkthrough`: one patient from Bronze to Gold — the bundle's resources, parsed rows equal to the
patient's Silver rows, and the Gold card of the encounter that shows the most."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from scribe_lakehouse.explore import render
from scribe_lakehouse.explore.walkthrough import walkthrough
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.local.pipeline import table_arrow
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER_TABLES
from scribe_lakehouse.storage import delta

pytestmark = pytest.mark.integration


def frame(root: Path, name: str) -> pl.DataFrame:
    if name == "gold":
        data = delta.read_arrow(Lakehouse(root).uri(GOLD_ENCOUNTER_SUMMARY))
    else:
        data = table_arrow(root, name)
    out = pl.from_arrow(data)
    assert isinstance(out, pl.DataFrame)
    return out


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scribe_lakehouse", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=300,
        check=False,
    )


def test_default_patient_goes_from_bronze_to_gold(demo_lakehouse: Path) -> None:
    w = walkthrough(demo_lakehouse)
    pid = w.patient_id
    silver = {
        s.name: frame(demo_lakehouse, s.name).filter(pl.col("patient_id") == pid).height
        for s in SILVER_TABLES
    }
    assert {c.name: c.rows for c in w.silver} == silver
    # what the parser makes of the Bronze bytes is exactly what Silver holds for the patient
    assert {c.name: c.rows for c in w.parsed} == silver
    resources = {c.name: c.rows for c in w.resources}
    assert resources["Patient"] == 1 and resources["Encounter"] == silver["encounter"]
    assert resources["DocumentReference"] == silver["soap_note"]
    gold = frame(demo_lakehouse, "gold").filter(pl.col("patient_id") == pid)
    assert w.gold_rows == gold.height == silver["encounter"]
    # the default patient is the one whose Gold encounter shows the most across the corpus
    whole = delta.read_arrow(Lakehouse(demo_lakehouse).uri(GOLD_ENCOUNTER_SUMMARY))
    best = render.pick_encounter(whole)
    assert best is not None and whole.column("patient_id")[best].as_py() == pid
    picked = whole.slice(best, 1).to_pylist()[0]
    assert w.card is not None and picked["summary_id"] in w.card
    for condition in picked["active_conditions"][: render.MAX_LIST]:
        assert f"- {condition}" in w.card
    assert picked["soap_note_text"].strip().splitlines()[0] in w.card


def test_chosen_patient(demo_lakehouse: Path) -> None:
    counts = frame(demo_lakehouse, "encounter").group_by("patient_id").len().sort("len", "patient_id")
    pid, encounters = counts.row(0)
    w = walkthrough(demo_lakehouse, patient_id=pid)
    assert w.patient_id == pid and w.gold_rows == encounters
    assert {s.table for s in w.samples} == {c.name for c in w.silver if c.rows}
    text = w.to_markdown()
    for heading in ("## 1. Bronze", "## 2. Parse", "## 3. Silver", "## 4. Gold", "#### Note"):
        assert heading in text


def test_cli_walkthrough_prints_markdown_and_logs_no_id(demo_lakehouse: Path) -> None:
    pid = frame(demo_lakehouse, "patient").get_column("patient_id").sort()[0]
    result = cli("walkthrough", "--root", str(demo_lakehouse), "--patient-id", pid, "--markdown")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(f"# Patient `{pid}` from Bronze to Gold")
    assert pid not in result.stderr  # logs say ref:…, never the id
    source_file = frame(demo_lakehouse, "patient").filter(pl.col("patient_id") == pid)["source_file"][0]
    assert source_file not in result.stdout + result.stderr  # the bundle name is shown only as a ref


def test_cli_walkthrough_unknown_patient_is_one_clear_error(demo_lakehouse: Path) -> None:
    result = cli("walkthrough", "--root", str(demo_lakehouse), "--patient-id", "no-such-patient")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == "error: no patient with that id in silver.patient"
    assert "no-such-patient" not in result.stderr and "Traceback" not in result.stderr
