"""Dagster metadata a person can read, derived from the registry and the library's result shapes."""

from __future__ import annotations

import dataclasses

import dagster as dg
import pyarrow as pa

from scribe_lakehouse.corpus_manifest import CorpusStats
from scribe_lakehouse.explore import render
from scribe_lakehouse.local.silver_write import TableRunStats
from scribe_lakehouse.local.validate import TableValidation
from scribe_lakehouse.registry import TableSpec

Metadata = dict[str, dg.MetadataValue]

HIDDEN_IN_SAMPLES = ("source_file",)  # bundle file names embed synthetic patient names (SPEC §9)


def column_schema(spec: TableSpec, schema: pa.Schema | None = None) -> dg.TableSchema:
    """The table's columns with the registry's descriptions; types from `schema` when given (what Delta
    holds), else from the registry."""
    arrow = schema if schema is not None else spec.arrow_schema()
    described = {c.name: c.description for c in spec.columns}
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=f.name,
                type=str(f.type),
                description=described.get(f.name),
                constraints=dg.TableColumnConstraints(nullable=f.nullable),
            )
            for f in arrow
        ]
    )


def describe(spec: TableSpec) -> str:
    """An asset description: the registry's grain sentence, then key and location."""
    key = f" Primary key `{spec.primary_key}`." if spec.primary_key else ""
    return f"{spec.grain}{key} Delta table `{spec.path}` ({len(spec.columns)} columns, Change Data Feed on)."


def rule_table(validation: TableValidation) -> dg.TableMetadataValue:
    """Rule-by-rule results as a table the UI renders."""
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn("rule", "string"),
            dg.TableColumn("passed", "bool"),
            dg.TableColumn("observed", "string"),
            dg.TableColumn("expected", "string"),
        ]
    )
    records = [
        dg.TableRecord({"rule": c.rule, "passed": c.passed, "observed": c.observed, "expected": c.expected})
        for c in validation.checks
    ]
    return dg.MetadataValue.table(records, schema=schema)


def check_result(validation: TableValidation) -> dg.AssetCheckResult:
    failed = validation.failed_checks
    return dg.AssetCheckResult(
        passed=validation.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"all {len(validation.checks)} rules passed"
            if not failed
            else f"{len(failed)} of {len(validation.checks)} rules failed: {', '.join(failed)}"
        ),
        metadata={
            "rules": rule_table(validation),
            "failed_rules": dg.MetadataValue.text(", ".join(failed) or "none"),
            "dagster/row_count": dg.MetadataValue.int(validation.row_count),
        },
    )


def sample_rows(table: pa.Table, spec: TableSpec, *, columns: list[str] | None = None, n: int = 5) -> str:
    """A stable sample (smallest keys first) as Markdown, without file names."""
    names = columns or [c for c in table.column_names if c not in HIDDEN_IN_SAMPLES]
    key = spec.primary_key or names[0]
    return render.markdown_table(render.sorted_sample(table, key, n), columns=names, max_rows=n)


def table_metadata(spec: TableSpec, table: pa.Table, *, uri: str, version: int | None) -> Metadata:
    return {
        "dagster/row_count": dg.MetadataValue.int(table.num_rows),
        "dagster/column_schema": dg.MetadataValue.table_schema(column_schema(spec, table.schema)),
        "delta_version": dg.MetadataValue.int(-1 if version is None else version),
        "path": dg.MetadataValue.path(uri),
    }


def run_stats(stats: TableRunStats) -> dg.MarkdownMetadataValue:
    rows = [(f.name, getattr(stats, f.name)) for f in dataclasses.fields(stats) if f.name != "table"]
    body = "\n".join(f"| {name} | {value:,} |" for name, value in rows)
    return dg.MetadataValue.md(f"| this run | rows |\n|---|---|\n{body}\n\nreconciles: {stats.reconciles}")


def corpus_stats(stats: CorpusStats) -> dg.MarkdownMetadataValue:
    rows = [(f.name, getattr(stats, f.name)) for f in dataclasses.fields(stats)]
    body = "\n".join(
        f"| {name} | {value:,.2f} |" if isinstance(value, float) else f"| {name} | {value:,} |"
        for name, value in rows
    )
    return dg.MetadataValue.md(f"| corpus | value |\n|---|---|\n{body}")
