"""Real Synthea R4 bundles through landing, Silver and Gold: counts equal the README of the data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.contract import to_json_ready, validate_rows
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.local.pipeline import run, silver_counts, table_arrow
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER_TABLES
from scribe_lakehouse.storage import delta

pytestmark = pytest.mark.integration

# from ../shared/data/synthea_r4/README.md
EXPECTED = {
    "ma_2025": dict(
        patient=34,
        encounter=1350,
        condition=930,
        observation=6143,
        medication_request=548,
        procedure=3427,
        soap_note=1350,
        imaging_study=95,
        genomic_report=0,
        ecg_metadata=0,
    ),
    "spezi": dict(
        patient=3,
        encounter=130,
        condition=106,
        observation=1190,
        medication_request=208,
        procedure=173,
        soap_note=130,
        imaging_study=5,
        genomic_report=0,
        ecg_metadata=0,
    ),
    "synthea_fixture": dict(
        patient=1,
        encounter=37,
        condition=21,
        observation=58,
        medication_request=12,
        procedure=3,
        soap_note=37,
        imaging_study=0,
        genomic_report=0,
        ecg_metadata=0,
    ),
}


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_real_folder_end_to_end(real_data: Path, tmp_path: Path, folder: str) -> None:
    root = tmp_path / "lh"
    land(real_data / folder, root)
    summary = run(root)
    assert silver_counts(root) == EXPECTED[folder]
    assert summary.quarantined == 0
    assert table_arrow(root, "quarantine").num_rows == 0
    assert all(t.reconciles for t in summary.tables), summary.tables
    failed = {v.table: v.failed_checks for v in summary.validation if not v.passed}
    assert failed == {}
    lh = Lakehouse(root)
    gold = delta.read_arrow(lh.uri(GOLD_ENCOUNTER_SUMMARY))
    assert gold.num_rows == EXPECTED[folder]["encounter"]
    assert validate_rows(to_json_ready(r) for r in gold.to_pylist()) == []
    ids = gold.column("summary_id").to_pylist()
    # a forced rebuild gives the same summary ids
    from scribe_lakehouse.local.pipeline import gold as rebuild

    rebuild(root, force=True)
    again = delta.read_arrow(lh.uri(GOLD_ENCOUNTER_SUMMARY))
    assert sorted(again.column("summary_id").to_pylist()) == sorted(ids)


def test_rerun_on_unchanged_bronze_writes_nothing(real_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "lh"
    land(real_data / "spezi", root)
    run(root)
    lh = Lakehouse(root)
    specs = (*SILVER_TABLES, GOLD_ENCOUNTER_SUMMARY)
    before = {s.name: delta.version(lh.uri(s)) for s in specs}
    second = run(root)
    assert second.nothing_to_do and second.gold is not None and not second.gold.changed
    assert {s.name: delta.version(lh.uri(s)) for s in specs} == before
    # even a forced Gold rebuild over unchanged Silver writes no Gold version
    from scribe_lakehouse.local.pipeline import gold as rebuild

    result = rebuild(root, force=True)
    assert not result.changed and delta.version(lh.uri(GOLD_ENCOUNTER_SUMMARY)) == before["encounter_summary"]
