"""Engine-free row shapes: quarantine ids stay unique when one file yields identical records."""

from __future__ import annotations

import datetime as dt

from scribe_lakehouse.errors import ReasonCode
from scribe_lakehouse.fhir.model import QuarantineRecord
from scribe_lakehouse.rows import quarantine_id, quarantine_rows

NOW = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)


def _record(detail: str = "required column patient_id is empty") -> QuarantineRecord:
    reason = ReasonCode.MISSING_REFERENCE
    return QuarantineRecord("a.json", None, "Observation", "observation", reason, detail)


def test_identical_records_of_one_file_keep_a_row_each_with_stable_ids() -> None:
    records = [("bronze/a.json", _record()), ("bronze/a.json", _record()), ("bronze/b.json", _record())]
    ids = [r["quarantine_id"] for r in quarantine_rows(records, run_id="r1", now=NOW)]
    assert len(set(ids)) == 3
    assert ids[0] == quarantine_id("bronze/a.json", _record())  # the first keeps the plain id
    again = [r["quarantine_id"] for r in quarantine_rows(records, run_id="r2", now=NOW)]
    assert again == ids  # the same on every run


def test_different_records_are_not_numbered() -> None:
    records = [("bronze/a.json", _record("x")), ("bronze/a.json", _record("y"))]
    rows = quarantine_rows(records, run_id="r1", now=NOW)
    assert [r["quarantine_id"] for r in rows] == [quarantine_id(p, rec) for p, rec in records]
