"""The Markdown renderers and chart helpers on hand-built values (no lakehouse needed)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pyarrow as pa
import pytest

from scribe_lakehouse.explore import render, svg
from scribe_lakehouse.explore.report import _histogram, nice_step
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, PATIENT


def gold_row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {c.name: None for c in GOLD_ENCOUNTER_SUMMARY.columns}
    row |= {
        "summary_id": "s-1",
        "patient_id": "p-1",
        "encounter_id": "e-1",
        "patient_age": 41,
        "patient_gender": "female",
        "encounter_type": "General examination",
        "encounter_date": dt.date(2020, 3, 1),
        "active_conditions": [],
        "active_medications": [],
        "recent_labs": [],
        "procedures": [],
    }
    return row | overrides


def gold_table(*rows: dict[str, object]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=GOLD_ENCOUNTER_SUMMARY.arrow_schema())


def test_card_of_a_bare_encounter_says_what_is_missing() -> None:
    card = render.encounter_card(gold_table(gold_row()))
    assert card.startswith("### General examination — 2020-03-01\n")
    assert "**Patient**: 41 y, female" in card
    assert "_no note linked to this encounter_" in card
    assert "_none recorded at this encounter_" in card
    assert "_no ECG, imaging or genomic report at this encounter_" in card


def test_card_shows_lists_vitals_findings_and_the_note() -> None:
    row = gold_row(
        active_conditions=[f"Condition {i:02d}" for i in range(15)],
        recent_vitals={
            "heart_rate": 72.0,
            "bp_systolic": None,
            "bp_diastolic": None,
            "temperature": 36.6,
            "o2_saturation": None,
        },
        recent_labs=[{"name": "Glucose", "value": 5.4, "unit": "mmol/L"}],
        has_ecg=True,
        ecg_finding="Normal sinus rhythm.",
        imaging={
            "has_imaging": True,
            "modality": "MR",
            "body_site_display": "Brain",
            "study_description": None,
            "study_date": dt.date(2020, 3, 1),
            "series_count": 2,
            "dicom_binary_id": "1.2.3",
        },
        soap_note_text="# Chief Complaint\nHeadache | worse at night\n```\n",
    )
    card = render.encounter_card(gold_table(row))
    assert "- Condition 11" in card and "- Condition 12" not in card and "- _… and 3 more_" in card
    assert "| Heart rate | 72 | /min |" in card and "| Body temperature | 36.6 | Cel |" in card
    assert "Blood pressure" not in card
    assert "| Glucose | 5.4 | mmol/L |" in card
    assert "- **ECG**: Normal sinus rhythm." in card
    assert "- **Imaging**: MR · Brain · 2020-03-01 (2 series)" in card
    assert (
        "~~~~markdown\n# Chief Complaint\nHeadache | worse at night\n```\n~~~~" in card
    )  # fence kept intact


def test_pick_encounter_prefers_notes_then_filled_sections_then_smallest_id() -> None:
    table = gold_table(
        gold_row(summary_id="b", active_conditions=["x"], procedures=["y"]),
        gold_row(summary_id="c", soap_note_text="note"),
        gold_row(summary_id="a", soap_note_text="note"),
    )
    assert render.pick_encounter(table) == 2
    assert render.pick_encounter(table.slice(0, 0)) is None


def test_markdown_table_escapes_cuts_and_counts() -> None:
    table = pa.table({"a": ["x|y", "z" * 100, "w"], "b": [1.5, None, 2.0]})
    text = render.markdown_table(table, max_rows=2, max_chars=10)
    assert text.splitlines()[:4] == ["| a | b |", "|---|---|", "| x\\|y | 1.5 |", "| zzzzzzzzz… |  |"]
    assert text.endswith("_2 of 3 rows_")


def test_schema_markdown_marks_the_key_and_required_columns() -> None:
    text = render.schema_markdown(PATIENT)
    assert "| `patient_id` | `string` | key | Patient.id |" in text
    assert "| `source_file` | `string` | required |" in text
    assert "| `birth_date` | `date32[day]` | nullable |" in text


@pytest.mark.parametrize(
    ("span", "bins", "step"), [(100.0, 16, 10.0), (3.3, 16, 0.25), (0.9, 10, 0.1), (47.0, 16, 5.0)]
)
def test_nice_step(span: float, bins: int, step: float) -> None:
    assert nice_step(span, bins) == pytest.approx(step)


def test_histogram_counts_every_value_once() -> None:
    values = pl.Series("v", [36.1, 36.4, 36.5, 36.9, 37.0, 39.2])
    bars = _histogram(values, 8)
    assert sum(b.value for b in bars) == values.len()
    assert bars[0].label == "36" and bars[-1].value == 1
    assert _histogram(pl.Series("v", [5.0, 5.0]), 8) == (svg.Bar("5", 2.0, "2 at 5"),)


def test_charts_escape_labels_and_scale_bars() -> None:
    chart = svg.hbars([svg.Bar("<b>&", 10), svg.Bar("half", 5)], title="t", width=500, label_width=100)
    assert "&lt;b&gt;&amp;" in chart and "<b>" not in chart
    assert "width='250.0'" in chart and "width='125.0'" in chart  # 500 - 100 - 150 = 250 px for the max
    assert svg.columns([], title="empty") == "<p class='empty'>empty: nothing to show.</p>"
