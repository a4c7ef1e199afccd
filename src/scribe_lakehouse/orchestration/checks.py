"""Asset checks: one per Silver table running the registry's rules (the same `local.validate` code the
CLI's `validate` runs), and the Gold contract check. Results are rule by rule in the check metadata."""

# No `from __future__ import annotations` here: Dagster reads these annotations at definition time.

import dagster as dg

from scribe_lakehouse.local import pipeline
from scribe_lakehouse.local.gold_contract import validate_gold
from scribe_lakehouse.orchestration.assets import GOLD_KEY, SILVER_KEYS
from scribe_lakehouse.orchestration.metadata import check_result
from scribe_lakehouse.orchestration.resources import LakehouseResource
from scribe_lakehouse.registry import SILVER_TABLES, TableSpec

SILVER_CHECK_NAME = "silver_rules"
GOLD_CHECK_NAME = "gold_contract"


def rule_names(spec: TableSpec) -> list[str]:
    """The rules `local.validate.validate_table` runs for `spec`, in its order (for descriptions)."""
    names = [f"not_null:{c}" for c in spec.required_columns]
    names += ["pk_unique"] if spec.primary_key else []
    return [*names, "min_rows", *(r.name for r in spec.rules)]


def _silver_check(spec: TableSpec) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=SILVER_KEYS[spec.name],
        name=SILVER_CHECK_NAME,
        description=f"Validation rules of {spec.qualified_name}: {', '.join(rule_names(spec))}.",
    )
    def _check(lakehouse: LakehouseResource) -> dg.AssetCheckResult:
        return check_result(pipeline.check_table(lakehouse.path, spec.name))

    return _check


SILVER_CHECKS: list[dg.AssetChecksDefinition] = [_silver_check(spec) for spec in SILVER_TABLES]


@dg.asset_check(
    asset=GOLD_KEY,
    name=GOLD_CHECK_NAME,
    description=(
        "The Gold contract: row count = corpus_manifest.json, manifest contract version, Delta schema = "
        "the contract's, required fields non-null, summary_id unique, a sample of rows valid against the "
        "JSON Schema."
    ),
)
def gold_contract(lakehouse: LakehouseResource) -> dg.AssetCheckResult:
    return check_result(validate_gold(lakehouse.path))
