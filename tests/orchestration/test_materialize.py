"""A real in-process Dagster materialization: two cohort partitions and Gold give the CLI's tables, the
checks pass, a table broken on purpose fails its check, and the metadata reads well without file names."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scribe_lakehouse.bronze.landing import Manifest, land
from scribe_lakehouse.explore import render
from scribe_lakehouse.lakehouse import CORPUS_MANIFEST
from scribe_lakehouse.local.pipeline import table_arrow
from scribe_lakehouse.orchestration.assets import BRONZE_KEY, GOLD_KEY, SILVER_KEYS
from scribe_lakehouse.orchestration.definitions import ASSETS, CHECKS
from scribe_lakehouse.orchestration.resources import LakehouseResource
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER_TABLES
from scribe_lakehouse.storage import delta

pytestmark = pytest.mark.integration

COHORTS = ["A", "B"]


def _land(corpus: Path, root: Path) -> None:
    land(corpus, root, kinds=["fhir", "dicom"], cohorts=len(COHORTS))


def _frame(root: Path, path: str, key: str, drop: tuple[str, ...]) -> pl.DataFrame:
    frame = pl.from_arrow(delta.read_arrow(str(root / path)))
    assert isinstance(frame, pl.DataFrame)
    return frame.drop(*drop).sort(key)


def _materialize(
    root: Path, instance: dg.DagsterInstance, selection: dg.AssetSelection, partition: str | None = None
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*ASSETS, *CHECKS],
        selection=selection,
        partition_key=partition,
        resources={"lakehouse": LakehouseResource(root=str(root))},
        instance=instance,
        raise_on_error=False,
    )


class Built:
    def __init__(self, cli_root: Path, dg_root: Path) -> None:
        self.cli_root = cli_root
        self.dg_root = dg_root
        self.cohort_runs: list[dg.ExecuteInProcessResult] = []
        self.gold_run: dg.ExecuteInProcessResult | None = None


@pytest.fixture(scope="module")
def built(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    base = tmp_path_factory.mktemp("dagster-vs-cli")
    result = Built(base / "cli", base / "dagster")
    for root in (result.cli_root, result.dg_root):
        _land(corpus, root)
    assert Manifest.load(result.dg_root).cohorts() == COHORTS
    cli = subprocess.run(
        [sys.executable, "-m", "scribe_lakehouse", "run", "--root", str(result.cli_root), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=600,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr[-2000:]
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("cohorts", COHORTS)
    for cohort in COHORTS:
        run = _materialize(result.dg_root, instance, dg.AssetSelection.groups("bronze", "silver"), cohort)
        result.cohort_runs.append(run)
    result.gold_run = _materialize(result.dg_root, instance, dg.AssetSelection.assets(GOLD_KEY))
    return result


def test_runs_succeed_and_every_check_passes(built: Built) -> None:
    for run in [*built.cohort_runs, built.gold_run]:
        assert run is not None and run.success
    last = {e.asset_key: e for e in built.cohort_runs[-1].get_asset_check_evaluations()}
    assert set(last) == set(SILVER_KEYS.values())
    assert {k.to_user_string(): e.passed for k, e in last.items()} == {k.to_user_string(): True for k in last}
    assert built.gold_run is not None
    (gold_check,) = built.gold_run.get_asset_check_evaluations()
    assert gold_check.asset_key == GOLD_KEY and gold_check.passed
    assert gold_check.metadata["failed_rules"].value == "none"


def test_silver_and_gold_equal_the_cli(built: Built) -> None:
    for spec in SILVER_TABLES:
        key = spec.primary_key or spec.column_names[0]
        cli = _frame(built.cli_root, spec.path, key, ("ingest_timestamp",))
        dag = _frame(built.dg_root, spec.path, key, ("ingest_timestamp",))
        assert_frame_equal(dag, cli)
        assert delta.version(str(built.dg_root / spec.path)) == delta.version(str(built.cli_root / spec.path))
    gold = GOLD_ENCOUNTER_SUMMARY
    cli_gold = _frame(built.cli_root, gold.path, "summary_id", ("created_timestamp",))
    assert cli_gold.height > 100
    assert_frame_equal(_frame(built.dg_root, gold.path, "summary_id", ("created_timestamp",)), cli_gold)
    cli_manifest = json.loads((built.cli_root / CORPUS_MANIFEST).read_text("utf-8"))
    dg_manifest = json.loads((built.dg_root / CORPUS_MANIFEST).read_text("utf-8"))
    for body in (cli_manifest, dg_manifest):
        body.pop("created_timestamp")
    assert dg_manifest == cli_manifest


def test_materialization_metadata_reads_well(built: Built) -> None:
    bronze = built.cohort_runs[0].asset_materializations_for_node("bronze_fhir")
    assert [m.partition for m in bronze] == ["A"]
    landed_a = Manifest.load(built.dg_root).fhir(["A"])
    assert bronze[0].metadata["files"].value == len(landed_a)
    assert bronze[0].metadata["pending_for_silver"].value == len(landed_a)

    silver = {m.asset_key: m for m in built.cohort_runs[-1].asset_materializations_for_node("silver_tables")}
    assert set(silver) == set(SILVER_KEYS.values())
    for spec in SILVER_TABLES:
        meta = silver[SILVER_KEYS[spec.name]].metadata
        assert meta["dagster/row_count"].value == table_arrow(built.dg_root, spec.name).num_rows
        columns = [c.name for c in meta["dagster/column_schema"].schema.columns]
        assert columns == list(spec.column_names)
        sample = meta["sample_rows"].value
        assert sample.splitlines()[0].startswith(f"| {spec.column_names[0]} |")
    encounters = silver[SILVER_KEYS["encounter"]].metadata
    assert encounters["sample_rows"].value.count("\n| ") >= 3  # header row aside, real rows

    assert built.gold_run is not None
    (gold,) = built.gold_run.asset_materializations_for_node("gold_encounter_summary")
    table = delta.read_arrow(str(built.dg_root / GOLD_ENCOUNTER_SUMMARY.path))
    index = render.pick_encounter(table)
    assert index is not None
    assert gold.metadata["sample_encounter_card"].value == render.encounter_card(table, index)
    assert gold.metadata["dagster/row_count"].value == table.num_rows
    assert "#### Note" in gold.metadata["sample_encounter_card"].value


def test_metadata_never_names_a_bundle_file(built: Built) -> None:
    runs = [*built.cohort_runs, built.gold_run]
    texts = [
        str(value.value)
        for run in runs
        if run is not None
        for event in run.get_asset_materialization_events()
        for value in (event.materialization.metadata or {}).values()
    ]
    assert len(texts) > 50
    names = {e.name for e in Manifest.load(built.dg_root).entries}
    assert [n for n in names if any(n in t for t in texts)] == []


def test_a_broken_table_fails_its_check(built: Built, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(built.dg_root, broken, ignore=shutil.ignore_patterns(".dagster"))
    condition = str(broken / "silver" / "condition")
    delta.append(condition, delta.read_arrow(condition).slice(0, 1))  # a duplicate primary key
    manifest = json.loads((broken / CORPUS_MANIFEST).read_text("utf-8"))
    manifest["row_count"] += 1
    (broken / CORPUS_MANIFEST).write_text(json.dumps(manifest), "utf-8")

    run = _materialize(broken, dg.DagsterInstance.ephemeral(), dg.AssetSelection.checks(*CHECKS))
    results = {e.asset_key.to_user_string(): e for e in run.get_asset_check_evaluations()}
    assert len(results) == len(SILVER_TABLES) + 1
    failed = sorted(k for k, e in results.items() if not e.passed)
    assert failed == ["gold_encounter_summary", "silver_condition"]
    assert results["silver_condition"].metadata["failed_rules"].value == "pk_unique"
    rules = {r.data["rule"]: r.data["passed"] for r in results["silver_condition"].metadata["rules"].records}
    assert rules["pk_unique"] is False and rules["patient_exists"] is True
    assert results["gold_encounter_summary"].metadata["failed_rules"].value == "row_count_matches_manifest"


def test_unknown_cohort_fails_with_a_clear_error(built: Built) -> None:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("cohorts", ["Z"])
    run = _materialize(built.dg_root, instance, dg.AssetSelection.assets(BRONZE_KEY), "Z")
    assert not run.success
    (failure,) = [e for e in run.all_events if e.is_step_failure]
    assert "cohort Z has no landed FHIR bundles" in str(failure.step_failure_data.error)
