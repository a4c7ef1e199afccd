"""A bundle re-landed with changed content updates exactly its changed rows: the change data feed of every
Silver table and of Gold shows update pre/post images for those rows and nothing else, and Bronze keeps
both versions of the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from lakehouse_io import run_cli
from scribe_lakehouse.bronze.landing import Manifest
from scribe_lakehouse.contract import summary_ids
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER_TABLES
from scribe_lakehouse.storage import delta
from scribe_lakehouse.synth import generate

pytestmark = pytest.mark.integration

HEART_RATE = "8867-4"


def _changes(uri: str, since: int | None) -> list[tuple[str, str, Any]]:
    """(change type, key, row) of every change committed after version `since`."""
    current = delta.version(uri)
    if since is None or current is None or current <= since:
        return []
    feed: pa.Table = delta.load_cdf(uri, starting_version=since + 1)
    key = feed.schema.names[0]
    return sorted((r["_change_type"], r[key], r) for r in feed.to_pylist())


def _resource(bundle: dict[str, Any], rtype: str, pick: Any) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype and pick(e))


def test_relanded_bundle_updates_exactly_its_changed_rows(tmp_path: Path) -> None:
    source = tmp_path / "source"
    generate(source, patients=4, seed=9, scale=0.2)
    root = tmp_path / "lh"
    for args in (("ingest", "--source", str(source)), ("run",)):
        assert run_cli(*args, "--root", str(root)).returncode == 0

    # one heart rate alone at its encounter, and one encounter's status, change in one patient's bundle
    path = sorted(p for p in (source / "fhir").glob("*.json") if not p.name[0].islower())[0]
    original = path.read_bytes()
    doc = json.loads(original)
    rates = [
        e["resource"]
        for e in doc["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == HEART_RATE
    ]
    per_encounter: dict[str, int] = {}
    for r in rates:
        per_encounter[r["encounter"]["reference"]] = per_encounter.get(r["encounter"]["reference"], 0) + 1
    rate = next(r for r in rates if per_encounter[r["encounter"]["reference"]] == 1)
    old_rate = rate["valueQuantity"]["value"]
    rate["valueQuantity"]["value"] = 187.0
    rate_encounter = rate["encounter"]["reference"].removeprefix("urn:uuid:")
    other = _resource(doc, "Encounter", lambda e: e["resource"]["id"] != rate_encounter)
    old_status = other["status"]
    other["status"] = "entered-in-error"
    path.write_text(json.dumps(doc))

    lh = Lakehouse(root)
    before = {s.name: delta.version(lh.uri(s)) for s in (*SILVER_TABLES, GOLD_ENCOUNTER_SUMMARY)}
    relanded = run_cli("ingest", "--source", str(source), "--json", "--root", str(root))
    assert json.loads(relanded.stdout)["landed"] == 1
    result = run_cli("run", "--json", "--root", str(root))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["files_parsed"] == 1

    changes = {s.name: _changes(lh.uri(s), before[s.name]) for s in (*SILVER_TABLES, GOLD_ENCOUNTER_SUMMARY)}
    touched = {name: [(kind, key) for kind, key, _ in rows] for name, rows in changes.items() if rows}
    gold_key = summary_ids([rate_encounter])[0]
    assert touched == {
        "observation": [("update_postimage", rate["id"]), ("update_preimage", rate["id"])],
        "encounter": [("update_postimage", other["id"]), ("update_preimage", other["id"])],
        "encounter_summary": [("update_postimage", gold_key), ("update_preimage", gold_key)],
    }
    post, pre = (row for _, _, row in changes["observation"])
    assert (pre["value"], post["value"]) == (old_rate, 187.0)
    post, pre = (row for _, _, row in changes["encounter"])
    assert (pre["status"], post["status"]) == (old_status, "entered-in-error")
    gold_post, gold_pre = (row for _, _, row in changes["encounter_summary"])
    assert gold_post["recent_vitals"]["heart_rate"] == 187.0
    assert gold_pre["recent_vitals"]["heart_rate"] != 187.0
    stats = {t["table"]: t for t in summary["tables"]}
    assert (stats["observation"]["updated"], stats["encounter"]["updated"]) == (1, 1)
    assert all(t["inserted"] == 0 for t in summary["tables"])

    # Bronze keeps both versions, byte for byte
    versions = [e for e in Manifest.load(root).entries if e.name == path.name]
    assert len(versions) == 2
    assert [(root / v.path).read_bytes() for v in versions] == [original, path.read_bytes()]
