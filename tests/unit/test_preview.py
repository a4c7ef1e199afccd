"""Markdown renderers: sample tables and the Gold encounter card."""

from __future__ import annotations

import pyarrow as pa
import pytest

from gold_rows import gold_row, gold_table
from scribe_lakehouse.explore import preview

NOTE = "2020-03-01\n\n# Chief Complaint\nCough.\n\n# Assessment and Plan\nViral bronchitis.\n\n## Plan\nRest."


def test_markdown_table_escapes_pipes_cuts_long_cells_and_counts_rows() -> None:
    table = pa.table({"a": ["x|y", "z" * 100, "w"], "b": [1.5, None, 3.0]})
    text = preview.markdown_table(table, max_rows=2, max_chars=10)
    assert text.splitlines() == [
        "| a | b |",
        "|---|---|",
        "| x\\|y | 1.5 |",
        "| zzzzzzzzz… |  |",
        "",
        "_2 of 3 rows_",
    ]
    assert preview.markdown_table(table.slice(0, 0)).endswith("_no rows_")


def test_pick_encounter_prefers_a_note_then_filled_sections_then_smallest_id() -> None:
    table = gold_table(
        gold_row("c", active_conditions=["Asthma"], procedures=["X-ray"], has_ecg=True),
        gold_row("b", soap_note_text=NOTE),
        gold_row("a", soap_note_text=NOTE),
        gold_row("d", soap_note_text=NOTE, active_conditions=["Asthma"]),
    )
    assert preview.pick_encounter(table) == 3
    assert preview.pick_encounter(table.slice(0, 3)) == 2  # a tie between two notes goes to "a"
    assert preview.pick_encounter(table.slice(0, 0)) is None


def test_encounter_card_renders_every_section() -> None:
    row = gold_row(
        "s1",
        active_conditions=["Hypertension", "Asthma"],
        active_medications=["lisinopril 10 MG Oral Tablet"],
        recent_vitals={
            "heart_rate": 72.0,
            "bp_systolic": 120.0,
            "bp_diastolic": 80.0,
            "temperature": None,
            "o2_saturation": None,
        },
        recent_labs=[{"name": "Glucose", "value": 5.4, "unit": "mmol/L"}],
        procedures=["Spirometry"],
        soap_note_text=NOTE,
        has_ecg=True,
        ecg_finding="Sinus rhythm.",
        ecg_rhythm="Sinus rhythm",
    )
    card = preview.encounter_card(gold_table(row))
    assert card.startswith("### General examination of patient (procedure) — 2020-03-01\n")
    assert "**Patient**: 42 y, female · **summary_id** `s1`" in card
    for line in (
        "- Hypertension",
        "- lisinopril 10 MG Oral Tablet",
        "| Heart rate | 72 | /min |",
        "| BP systolic | 120 | mm[Hg] |",
        "| Glucose | 5.4 | mmol/L |",
        "- Spirometry",
        "- **ECG**: Sinus rhythm.",
        "  - rhythm: Sinus rhythm",
    ):
        assert line in card.splitlines()
    assert "Temperature" not in card
    assert "```text\n2020-03-01\n\n# Chief Complaint\nCough." in card
    empty = preview.encounter_card(gold_table(gold_row("s2")))
    assert "_no note linked to this encounter_" in empty and "_none recorded at this encounter_" in empty
    with pytest.raises(IndexError):
        preview.encounter_card(gold_table(row), 1)
