"""The Gold contract check: manifest row count, contract version, schema, required fields, JSON Schema."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pyarrow.compute as pc

from gold_rows import gold_row, gold_table
from scribe_lakehouse.contract import CONTRACT_VERSION
from scribe_lakehouse.corpus_manifest import CorpusManifest, CorpusStats
from scribe_lakehouse.local.gold_contract import schema_differences, validate_gold_table
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY

STATS = CorpusStats(2, 1, 0, 0, 0, 0, 0, 0, 0.0, 0.0)


def manifest(rows: int) -> CorpusManifest:
    return CorpusManifest("local", "2026-01-01T00:00:00+00:00", rows, STATS, ())


def failed(table: pa.Table, corpus: CorpusManifest | None) -> list[str]:
    return validate_gold_table(table, corpus).failed_checks


def test_a_valid_table_passes_every_rule() -> None:
    result = validate_gold_table(gold_table(gold_row("a"), gold_row("b")), manifest(2))
    assert result.passed and result.row_count == 2
    assert [c.rule for c in result.checks][:3] == [
        "row_count_matches_manifest",
        "contract_version",
        "schema_matches_contract",
    ]


def test_each_broken_rule_is_named() -> None:
    table = gold_table(gold_row("a"), gold_row("b"))
    assert failed(table, manifest(3)) == ["row_count_matches_manifest"]
    assert failed(table, None) == ["row_count_matches_manifest", "contract_version"]
    old = dataclasses.replace(manifest(2), contract_version="0.9.0")
    assert failed(table, old) == ["contract_version"] and CONTRACT_VERSION != "0.9.0"
    dup = gold_table(gold_row("a"), gold_row("a"))
    assert failed(dup, manifest(2)) == ["pk_unique"]
    no_age = table.set_column(3, "patient_age", pa.array([None, None], pa.int32()))
    assert failed(no_age, manifest(2)) == []  # patient_age may be null (the key is still present)
    no_type = table.set_column(
        5, pa.field("encounter_type", pa.string()), pc.cast(pa.array([None, "x"]), pa.string())
    )
    assert failed(no_type, manifest(2)) == [
        "schema_matches_contract",
        "not_null:encounter_type",
        "sample_rows_match_json_schema",
    ]


def test_schema_differences_name_fields_and_types() -> None:
    expected = GOLD_ENCOUNTER_SUMMARY.arrow_schema()
    assert schema_differences(expected, expected) == []
    dropped = expected.remove(expected.get_field_index("has_ecg"))
    assert schema_differences(dropped, expected) == ["missing has_ecg"]
    retyped = expected.set(3, pa.field("patient_age", pa.int64()))
    assert schema_differences(retyped, expected) == ["patient_age: int64 instead of int32"]
    extra = expected.append(pa.field("note_embedding", pa.list_(pa.float32())))
    assert schema_differences(extra, expected) == ["unexpected note_embedding"]
