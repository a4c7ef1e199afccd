"""Hand-built bundles pin the Gold rules at their edges, through the parser, Silver and Gold."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import blood_pressure, bundle, condition, encounter, medication, note, patient, vital, write
from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.contract import summary_id
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.local.pipeline import run
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY
from scribe_lakehouse.storage import delta

pytestmark = pytest.mark.integration

DAY = "2020-06-15"


def _gold(tmp_path: Path) -> dict[str, dict[str, object]]:
    p = "p-edge"
    resources = [
        patient(p, birth="1980-06-15"),
        encounter("e-day", p, f"{DAY}T12:00:00Z"),
        encounter("e-before", p, "2020-06-14T12:00:00Z"),
        encounter("e-after", p, "2020-06-16T12:00:00Z"),
        encounter("e-old", p, "2019-01-01T12:00:00+02:00"),
        condition("c1", p, "e-old", "OnsetSameDay", f"{DAY}T08:00:00Z"),
        condition("c2", p, "e-old", "OnsetDayAfter", "2020-06-16T08:00:00Z"),
        condition("c3", p, "e-old", "OnsetDayBefore", "2020-06-14T08:00:00Z"),
        condition("c4", p, "e-old", "AbatedSameDay", "2019-01-01T08:00:00Z", f"{DAY}T08:00:00Z"),
        condition("c5", p, "e-old", "AbatedDayAfter", "2019-01-01T08:00:00Z", "2020-06-16T08:00:00Z"),
        condition("c6", p, "e-old", "AbatedDayBefore", "2019-01-01T08:00:00Z", "2020-06-14T08:00:00Z"),
        medication("m1", p, "e-old", "MedSameDay", f"{DAY}T08:00:00Z"),
        medication("m2", p, "e-old", "MedDayAfter", "2020-06-16T08:00:00Z"),
        medication("m3", p, "e-old", "MedDayBefore", "2020-06-14T08:00:00Z"),
        medication("m4", p, "e-old", "MedStopped", "2020-06-01T08:00:00Z", status="stopped"),
        blood_pressure("bp1", p, "e-day", 120, 80, f"{DAY}T12:05:00Z"),
        vital("hr1", p, "e-day", "8867-4", 70, f"{DAY}T12:01:00Z"),
        vital("hr2", p, "e-day", "8867-4", 88, f"{DAY}T12:09:00Z"),
        note("n-early", p, "e-day", f"{DAY}T12:00:00Z", text="# Chief Complaint\nearly\n"),
        note("n-late", p, "e-day", f"{DAY}T13:00:00Z", text="# Chief Complaint\nlate\n"),
    ]
    src = tmp_path / "src"
    write(src, "Edge1_Case2_0000.json", bundle(*resources))
    root = tmp_path / "lh"
    land(src, root)
    run(root)
    gold = delta.read_arrow(Lakehouse(root).uri(GOLD_ENCOUNTER_SUMMARY)).to_pylist()
    return {str(r["encounter_id"]): r for r in gold}


def test_gold_edges(tmp_path: Path) -> None:
    rows = _gold(tmp_path)
    assert set(rows) == {"e-day", "e-before", "e-after", "e-old"}
    day = rows["e-day"]
    assert day["summary_id"] == summary_id("e-day")
    assert day["patient_age"] == 40  # on the birthday
    assert rows["e-before"]["patient_age"] == 39  # the day before the birthday
    assert rows["e-after"]["patient_age"] == 40
    assert day["active_conditions"] == ["AbatedDayAfter", "OnsetDayBefore", "OnsetSameDay"]
    assert day["active_medications"] == ["MedDayBefore", "MedSameDay"]
    assert rows["e-before"]["active_medications"] == ["MedDayBefore"]
    assert rows["e-after"]["active_medications"] == ["MedDayAfter", "MedDayBefore", "MedSameDay"]
    assert rows["e-before"]["active_conditions"] == ["AbatedDayAfter", "AbatedSameDay", "OnsetDayBefore"]
    vitals = day["recent_vitals"]
    assert isinstance(vitals, dict)
    assert (vitals["bp_systolic"], vitals["bp_diastolic"], vitals["heart_rate"]) == (120.0, 80.0, 88.0)
    assert vitals["temperature"] is None
    assert day["soap_note_id"] == "n-late" and day["soap_note_text"] == "# Chief Complaint\nlate\n"
    old = rows["e-old"]
    # onset on the encounter day counts; all three abate later
    assert old["active_conditions"] == ["AbatedDayAfter", "AbatedDayBefore", "AbatedSameDay"]
    assert old["active_medications"] == []
    assert old["soap_note_id"] is None and old["encounter_date"].isoformat() == "2019-01-01"  # type: ignore[union-attr]
    assert old["recent_vitals"] == {
        k: None for k in ("heart_rate", "bp_systolic", "bp_diastolic", "temperature", "o2_saturation")
    }
