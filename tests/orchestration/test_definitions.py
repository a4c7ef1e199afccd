"""The code location loads, and its assets, checks and descriptions are derived from the registry."""

from __future__ import annotations

import dagster as dg
import polars as pl

from scribe_lakehouse.local.validate import validate_table
from scribe_lakehouse.orchestration.assets import BRONZE_KEY, GOLD_KEY, SILVER_KEYS
from scribe_lakehouse.orchestration.checks import GOLD_CHECK_NAME, SILVER_CHECK_NAME, rule_names
from scribe_lakehouse.orchestration.definitions import defs
from scribe_lakehouse.orchestration.partitions import COHORTS_NAME
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER_TABLES


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("cohort_job") is not None
    assert defs.resolve_job_def("gold_job") is not None
    assert [s.name for s in defs.sensors or []] == ["bronze_cohort_sensor"]


def test_asset_keys_and_checks_match_the_registry() -> None:
    graph = defs.resolve_asset_graph()
    expected_assets = {"bronze_fhir", "gold_encounter_summary"} | {f"silver_{t.name}" for t in SILVER_TABLES}
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == expected_assets
    expected_checks = {(f"silver_{t.name}", SILVER_CHECK_NAME) for t in SILVER_TABLES}
    expected_checks.add(("gold_encounter_summary", GOLD_CHECK_NAME))
    assert {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys} == expected_checks


def test_lineage_and_partitions() -> None:
    graph = defs.resolve_asset_graph()
    for key in SILVER_KEYS.values():
        node = graph.get(key)
        assert node.parent_keys == {BRONZE_KEY}
        assert isinstance(node.partitions_def, dg.DynamicPartitionsDefinition)
        assert node.partitions_def.name == COHORTS_NAME
    assert graph.get(GOLD_KEY).parent_keys == set(SILVER_KEYS.values())
    assert graph.get(GOLD_KEY).partitions_def is None
    assert graph.get(BRONZE_KEY).partitions_def == graph.get(SILVER_KEYS["patient"]).partitions_def


def test_descriptions_and_column_schemas_come_from_the_registry() -> None:
    specs = {s.key: s for s in defs.resolve_all_asset_specs()}
    for table in (*SILVER_TABLES, GOLD_ENCOUNTER_SUMMARY):
        key = GOLD_KEY if table is GOLD_ENCOUNTER_SUMMARY else SILVER_KEYS[table.name]
        spec = specs[key]
        assert spec.description is not None and spec.description.startswith(table.grain)
        schema = spec.metadata["dagster/column_schema"].schema
        assert [c.name for c in schema.columns] == list(table.column_names)
        assert [c.description for c in schema.columns] == [c.description for c in table.columns]


def test_check_rule_lists_are_the_rules_validation_runs() -> None:
    """The rules named in each check's description are exactly those local.validate evaluates."""
    frames = {t.name: pl.from_arrow(t.arrow_schema().empty_table()) for t in SILVER_TABLES}
    graph = defs.resolve_asset_graph()
    for table in SILVER_TABLES:
        evaluated = [c.rule for c in validate_table(table, frames, patient_bundles=10).checks]
        assert rule_names(table) == evaluated
        check = graph.get_check_spec(dg.AssetCheckKey(SILVER_KEYS[table.name], SILVER_CHECK_NAME))
        assert check.description is not None
        assert all(rule in check.description for rule in evaluated)
