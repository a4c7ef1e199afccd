"""Bad files and bad resources land in silver.quarantine with reason codes; every good row is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import bundle, encounter, note, patient, write
from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.local.pipeline import run, silver_counts, table_arrow

pytestmark = pytest.mark.integration


def test_bad_files_and_bad_note_quarantined_rest_written(tmp_path: Path) -> None:
    src = tmp_path / "src"
    good = bundle(
        patient("p1"),
        encounter("e1", "p1", "2020-01-01T10:00:00-05:00"),
        encounter("e2", "p1", "2020-02-01T10:00:00-05:00"),
        note("n1", "p1", "e1", "2020-01-01T10:00:00-05:00"),
        note("n2", "p1", "e2", "2020-02-01T10:00:00-05:00", data="@@@not base64@@@"),
    )
    write(src, "Good1_Bundle2_aaaa.json", good)
    write(src, "Broken1_Json2_bbbb.json", '{"resourceType": "Bundle", "entry": [')
    write(src, "Single1_Res2_cccc.json", patient("p9"))
    write(src, "Latin1_Bytes2_dddd.json", b'{"resourceType": "Bundle", "entry": [], "x": "\xe9"}')
    root = tmp_path / "lh"
    land(src, root)
    summary = run(root)
    counts = silver_counts(root)
    assert counts["patient"] == 1 and counts["encounter"] == 2 and counts["soap_note"] == 1
    q = table_arrow(root, "quarantine").to_pylist()
    reasons = sorted((r["source_file"], r["reason"]) for r in q)
    assert reasons == [
        ("Broken1_Json2_bbbb.json", "invalid_json"),
        ("Good1_Bundle2_aaaa.json", "bad_base64"),
        ("Latin1_Bytes2_dddd.json", "not_utf8"),
        ("Single1_Res2_cccc.json", "not_a_bundle"),
    ]
    bad_note = next(r for r in q if r["reason"] == "bad_base64")
    assert bad_note["entry_index"] == 4 and bad_note["resource_type"] == "DocumentReference"
    assert "content[0].attachment.data" in bad_note["detail"]
    soap = next(t for t in summary.tables if t.table == "soap_note")
    assert (soap.seen, soap.written, soap.quarantined) == (2, 1, 1) and soap.reconciles
    # a re-run neither repeats the quarantine rows nor re-parses the files
    again = run(root)
    assert again.nothing_to_do
    assert table_arrow(root, "quarantine").num_rows == 4
