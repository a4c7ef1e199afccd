"""Read Delta tables of two lakehouse roots as Polars frames and compare them (test helper)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from scribe_lakehouse.registry import TableSpec
from scribe_lakehouse.storage import delta

# run time and run id differ between two runs by construction; everything else must be equal
VOLATILE = ("ingest_timestamp", "created_timestamp", "run_id")


def table_frame(root: Path, spec: TableSpec, *, drop: Iterable[str] = VOLATILE) -> pl.DataFrame:
    frame = pl.from_arrow(delta.read_arrow(str(root / spec.path)))
    assert isinstance(frame, pl.DataFrame)
    frame = frame.drop([c for c in drop if c in frame.columns])
    keys = [spec.primary_key] if spec.primary_key else sorted(frame.columns)
    sortable = [k for k in keys if not isinstance(frame.schema[k], pl.List | pl.Struct)]
    return frame.sort(sortable)


def assert_same_table(a: Path, b: Path, spec: TableSpec) -> None:
    assert_frame_equal(table_frame(a, spec), table_frame(b, spec), check_column_order=True)


def versions(root: Path, specs: Iterable[TableSpec]) -> dict[str, int | None]:
    return {s.name: delta.version(str(root / s.path)) for s in specs}


def manifest_body(root: Path) -> dict[str, object]:
    """The corpus manifest without what differs by construction (build time, engine name)."""
    body: dict[str, object] = json.loads((root / "gold/_metadata/corpus_manifest.json").read_text("utf-8"))
    body.pop("created_timestamp")
    body.pop("engine")
    return body
