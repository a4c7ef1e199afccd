"""Every run records its per-table counts in silver.ingest_log; `validate` fails when one does not add up."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest

from builders import bundle, condition, encounter, note, patient, vital, write
from lakehouse_io import run_cli
from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.local.pipeline import run, table_arrow
from scribe_lakehouse.registry import INGEST_LOG
from scribe_lakehouse.storage import delta

pytestmark = pytest.mark.integration


def test_corrupted_ingest_log_row_fails_validate(tmp_path: Path) -> None:
    src = tmp_path / "src"
    day = "2020-01-01T10:00:00Z"
    e1 = encounter("e1", "p1", day)
    write(src, "a.json", bundle(patient("p1"), e1, e1, condition("c1", "p1", "e1", "Cough", day)))
    a_note, bad_note = note("n1", "p2", "e2", day), note("n2", "p2", "e2", day, data="!!")
    vitals = [vital(f"o{i}", "p2", "e2", "8867-4", 70.0 + i, day) for i in range(2)]
    write(src, "b.json", bundle(patient("p2"), encounter("e2", "p2", day), a_note, bad_note, *vitals))
    root = tmp_path / "lh"
    land(src, root)
    summary = run(root, gold=False)
    assert summary.passed
    logged = {r["table"]: r for r in table_arrow(root, "ingest_log").to_pylist()}
    assert {
        k: logged["encounter"][k] for k in ("resources_seen", "rows_written", "duplicates_collapsed")
    } == {
        "resources_seen": 3,
        "rows_written": 2,
        "duplicates_collapsed": 1,
    }
    assert (logged["soap_note"]["resources_seen"], logged["soap_note"]["rows_quarantined"]) == (2, 1)
    detail = json.loads(logged["encounter"]["detail_json"])
    assert {"rule": "reconciles", "passed": True, "observed": "3 = 2 + 0 + 1"}.items() <= detail[-1].items()

    ok = run_cli("validate", "--json", "--root", str(root))
    assert ok.returncode == 0, ok.stdout

    corrupt = dict(logged["encounter"], run_id="corrupted", rows_written=0)  # one row now unaccounted for
    corrupt["ingest_timestamp"] = dt.datetime.now(dt.UTC)
    delta.append(
        Lakehouse(root).uri(INGEST_LOG), pa.Table.from_pylist([corrupt], schema=INGEST_LOG.arrow_schema())
    )
    bad = run_cli("validate", "--json", "--root", str(root))
    assert bad.returncode == 1
    tables = {t["table"]: t for t in json.loads(bad.stdout)["tables"]}
    assert tables["encounter"]["failed_checks"] == ["reconciles"]
    check = next(c for c in tables["encounter"]["checks"] if c["rule"] == "reconciles")
    assert check["observed"] == "1 of 2 run(s) do not add up"
    assert all(t["passed"] for name, t in tables.items() if name != "encounter")
