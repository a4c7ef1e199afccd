"""Every Fabric notebook (fabric/notebooks/NN_name.Notebook) runs cell by cell, in order, against the
local Sail session on a temporary root — the way Fabric runs them: `spark` predefined, the parameters
cell first, then the values a pipeline would pass — and notebook 10's contract gates all pass."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from frames import assert_same_table
from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.local import pipeline as local
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER_TABLES

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

NOTEBOOKS = Path(__file__).resolve().parents[2] / "fabric" / "notebooks"
MARKER = re.compile(r"^# (CELL|PARAMETERS CELL|MARKDOWN|METADATA) \*{20}$", re.MULTILINE)
EXPECTED = [
    "00_setup",
    "01_land_bronze",
    "02_parse_bronze",
    "03_silver_patients_encounters",
    "04_silver_conditions_medications",
    "05_silver_observations",
    "06_silver_notes_reports",
    "07_silver_imaging_finalize",
    "08_validate_silver",
    "09_build_gold",
    "10_gold_validation",
]
GATES = {
    "schema_matches_contract",
    "one_row_per_encounter",
    "summary_id_unique",
    "summary_id_stable",
    "required_fields_present",
    "rows_match_json_schema",
    "manifest_current",
}


def cells(path: Path) -> list[tuple[str, str]]:
    """(kind, code) of the code cells of a Fabric notebook-content.py, in order."""
    text = path.read_text("utf-8")
    assert text.startswith("# Fabric notebook source\n")
    parts = MARKER.split(text)
    return [
        (kind, body.strip()) for kind, body in zip(parts[1::2], parts[2::2], strict=True) if "CELL" in kind
    ]


def run_notebook(path: Path, spark: SparkSession, parameters: dict[str, object]) -> dict[str, object]:
    namespace: dict[str, object] = {"spark": spark, "__name__": "__main__"}
    for kind, code in cells(path):
        exec(compile(code, f"{path.parent.name}:{kind}", "exec"), namespace)
        if kind == "PARAMETERS CELL":  # a pipeline's values override the declared defaults
            namespace.update({k: v for k, v in parameters.items() if k in namespace})
    return namespace


def test_notebook_folders_are_in_fabric_git_format() -> None:
    folders = sorted(p for p in NOTEBOOKS.iterdir() if p.is_dir())
    assert [f.name.removesuffix(".Notebook") for f in folders] == EXPECTED
    for folder in folders:
        platform = json.loads((folder / ".platform").read_text("utf-8"))
        assert platform["metadata"] == {
            **platform["metadata"],
            "type": "Notebook",
            "displayName": folder.stem,
        }
        kinds = [k for k, _ in cells(folder / "notebook-content.py")]
        assert kinds[0] == "PARAMETERS CELL" and len(kinds) <= 4  # thin: parameters, engine, one or two steps


def test_all_notebooks_in_order_pass_the_gold_contract_gates(
    small_source: Path, tmp_path: Path, spark: SparkSession
) -> None:
    root = tmp_path / "fabric_root"
    parameters: dict[str, object] = {"ROOT": str(root), "SOURCE": str(small_source), "CHECK_S3": False}
    outputs = {}
    for name in EXPECTED:
        outputs[name] = run_notebook(
            NOTEBOOKS / f"{name}.Notebook" / "notebook-content.py", spark, parameters
        )
    report = outputs["00_setup"]["report"]
    assert report.root_writable and report.engine == "sail" and report.session_time_zone == "UTC"  # type: ignore[attr-defined]
    gates = outputs["10_gold_validation"]["gates"]
    assert {g.name for g in gates} == GATES  # type: ignore[attr-defined]
    assert all(g.passed for g in gates), [g for g in gates if not g.passed]  # type: ignore[attr-defined]
    assert not (root / "_spark_staging").exists()
    # the notebooks built exactly what the local engine builds from the same Bronze
    reference = tmp_path / "local_root"
    land(small_source, reference, kinds=["fhir", "dicom"])
    local.run(reference)
    for spec in (*SILVER_TABLES, GOLD_ENCOUNTER_SUMMARY):
        assert_same_table(reference, root, spec)


def test_finalize_refuses_before_every_table_is_merged(
    small_source: Path, tmp_path: Path, spark: SparkSession
) -> None:
    from scribe_lakehouse.errors import ConfigError
    from scribe_lakehouse.spark import pipeline

    root = tmp_path / "partial"
    land(small_source, root)
    eng = pipeline.SparkEngine.on(spark, root)
    assert pipeline.stage_pending(eng) is not None
    pipeline.merge_silver(eng, ["patient", "encounter"])
    with pytest.raises(ConfigError, match="not merged from the staged batch yet"):
        pipeline.finalize_silver(eng)
    pipeline.merge_silver(eng)
    pipeline.finalize_silver(eng)
    assert pipeline.stage_pending(eng) is None  # every file is marked processed now
