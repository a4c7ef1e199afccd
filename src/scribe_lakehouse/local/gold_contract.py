"""The Gold contract check on the local engine: the table matches the contract and its manifest.

Rules: row count = `corpus_manifest.json`, the manifest pins this contract version, the Delta schema is
the contract's Arrow schema (names, order, types, nullability), required fields non-null, `summary_id`
unique, and a deterministic sample of rows validates against the contract's JSON Schema. Results use the
same shapes as the Silver validation, so every shell renders them the same way.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from scribe_lakehouse.contract import CONTRACT_VERSION, to_json_ready, validate_rows
from scribe_lakehouse.corpus_manifest import CorpusManifest
from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.local.validate import CheckResult, TableValidation
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY
from scribe_lakehouse.storage import delta

SAMPLE_ROWS = 200


def schema_differences(actual: pa.Schema, expected: pa.Schema) -> list[str]:
    """Field-level differences (names only, never values), in contract order."""
    problems: list[str] = []
    if actual.names != expected.names:
        missing = [n for n in expected.names if n not in actual.names]
        extra = [n for n in actual.names if n not in expected.names]
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if extra:
            problems.append(f"unexpected {', '.join(extra)}")
        if not missing and not extra:
            problems.append("fields out of contract order")
    for want in expected:
        if want.name not in actual.names:
            continue
        got = actual.field(want.name)
        if not got.type.equals(want.type):
            problems.append(f"{want.name}: {got.type} instead of {want.type}")
        elif got.nullable != want.nullable:
            problems.append(f"{want.name}: nullable={got.nullable} instead of {want.nullable}")
    return problems


def _manifest_checks(rows: int, manifest: CorpusManifest | None) -> list[CheckResult]:
    if manifest is None:
        return [
            CheckResult(
                "row_count_matches_manifest", False, f"{rows} rows, no manifest", "a corpus manifest"
            ),
            CheckResult("contract_version", False, "no manifest", CONTRACT_VERSION),
        ]
    return [
        CheckResult(
            "row_count_matches_manifest",
            rows == manifest.row_count,
            str(rows),
            f"{manifest.row_count} (corpus_manifest.json)",
        ),
        CheckResult(
            "contract_version",
            manifest.contract_version == CONTRACT_VERSION,
            manifest.contract_version,
            CONTRACT_VERSION,
        ),
    ]


def validate_gold_table(table: pa.Table, manifest: CorpusManifest | None) -> TableValidation:
    """Check a Gold snapshot (as read from Delta) against the contract and the corpus manifest."""
    spec = GOLD_ENCOUNTER_SUMMARY
    checks = _manifest_checks(table.num_rows, manifest)
    diffs = schema_differences(table.schema, spec.arrow_schema())
    checks.append(
        CheckResult(
            "schema_matches_contract",
            not diffs,
            "; ".join(diffs[:5]) if diffs else "identical",
            f"{len(spec.columns)} fields as in the contract",
        )
    )
    for col in spec.required_columns:
        nulls = table.column(col).null_count if col in table.column_names else table.num_rows
        checks.append(CheckResult(f"not_null:{col}", nulls == 0, f"{nulls} null(s)", "0 nulls"))
    key = spec.primary_key or "summary_id"
    if key in table.column_names:
        dupes = table.num_rows - len(pc.unique(table.column(key)))
        checks.append(CheckResult("pk_unique", dupes == 0, f"{dupes} duplicate(s)", f"{key} unique"))
    sample = table
    if key in table.column_names and table.num_rows > SAMPLE_ROWS:
        sample = table.take(pc.sort_indices(table.column(key))[:SAMPLE_ROWS])
    problems = validate_rows(to_json_ready(r) for r in sample.to_pylist())
    checks.append(
        CheckResult(
            "sample_rows_match_json_schema",
            not problems,
            f"{len(problems)} violation(s) in {sample.num_rows} row(s)"
            + (f": {problems[0]}" if problems else ""),
            "0 violations",
        )
    )
    return TableValidation(spec.qualified_name, table.num_rows, tuple(checks))


def validate_gold(root: Path) -> TableValidation:
    """The Gold contract check for the lakehouse at `root`."""
    lh = Lakehouse(root)
    uri = lh.uri(GOLD_ENCOUNTER_SUMMARY)
    if not delta.exists(uri):
        raise ConfigError("no Gold table under this root: run `run` or `gold` first")
    return validate_gold_table(delta.read_arrow(uri), CorpusManifest.read(lh.corpus_manifest))
