"""Markdown renderers for people: sample rows of a table and one Gold encounter as a card.

Pure functions from Arrow tables to Markdown strings, shared by the Dagster metadata and the exploring
tools. Their output shows clinical content (that is its purpose): put it in front of a person who asked
for it (a UI, a terminal), never into a log line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

MAX_CELL = 48
MAX_LIST = 12
MAX_NOTE = 2_000
VITALS = (
    ("heart_rate", "Heart rate", "/min"),
    ("bp_systolic", "BP systolic", "mm[Hg]"),
    ("bp_diastolic", "BP diastolic", "mm[Hg]"),
    ("temperature", "Temperature", "Cel"),
    ("o2_saturation", "SpO2", "%"),
)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in value.items() if v is not None) + "}"
    return str(value)


def _cell(value: object, max_chars: int) -> str:
    """One Markdown table cell: single line, pipes escaped, cut to `max_chars`."""
    text = " ".join(_text(value).split()).replace("|", "\\|")
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def markdown_table(
    table: pa.Table,
    *,
    columns: Sequence[str] | None = None,
    max_rows: int = 5,
    max_chars: int = MAX_CELL,
) -> str:
    """The first `max_rows` rows of `table` as a Markdown table (long cells cut, nested values inline)."""
    names = list(columns) if columns is not None else table.column_names
    if not names:
        return "_no columns_"
    head = table.select(names).slice(0, max_rows).to_pylist()
    lines = [
        "| " + " | ".join(names) + " |",
        "|" + "|".join("---" for _ in names) + "|",
    ]
    lines += ["| " + " | ".join(_cell(row[n], max_chars) for n in names) + " |" for row in head]
    if table.num_rows > max_rows:
        lines.append(f"\n_{max_rows} of {table.num_rows:,} rows_")
    elif not head:
        lines.append("\n_no rows_")
    return "\n".join(lines)


def _filled(table: pa.Table, name: str) -> pa.ChunkedArray | pa.Array | None:
    """True where column `name` carries something to show (non-empty text or list, true flag, a struct
    with a member set); None when the table has no such column."""
    if name not in table.column_names:
        return None
    col = table.column(name)
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        out = pc.greater(pc.utf8_length(col), 0)
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        out = pc.greater(pc.list_value_length(col), 0)
    elif pa.types.is_boolean(t):
        out = col
    elif pa.types.is_struct(t) and t.get_field_index("has_imaging") >= 0:
        out = pc.struct_field(col, "has_imaging")
    elif pa.types.is_struct(t):
        out = pc.is_valid(pc.struct_field(col, 0))
        for i in range(1, t.num_fields):
            out = pc.or_(out, pc.is_valid(pc.struct_field(col, i)))
    else:
        out = pc.is_valid(col)
    return pc.fill_null(out, False)


SCORED = (
    ("soap_note_text", 4),
    ("active_conditions", 1),
    ("active_medications", 1),
    ("recent_vitals", 1),
    ("recent_labs", 1),
    ("procedures", 1),
    ("has_ecg", 1),
    ("imaging", 1),
    ("has_genomics", 1),
)


def pick_encounter(gold: pa.Table) -> int | None:
    """Index of the Gold row that shows the most (a note first, then the most filled sections); ties go
    to the smallest summary_id, so the pick is stable across rebuilds. None for an empty table."""
    if gold.num_rows == 0:
        return None
    score = pa.array([0] * gold.num_rows, type=pa.int64())
    for name, weight in SCORED:
        filled = _filled(gold, name)
        if filled is not None:
            score = pc.add(score, pc.multiply(pc.cast(filled, pa.int64()), weight))
    key = gold.column("summary_id") if "summary_id" in gold.column_names else pa.array(range(gold.num_rows))
    order = pc.sort_indices(
        pa.table({"score": score, "key": key}), sort_keys=[("score", "descending"), ("key", "ascending")]
    )
    return int(order[0].as_py())


def _bullets(values: object, empty: str) -> list[str]:
    items = [str(v) for v in values] if isinstance(values, list) else []
    if not items:
        return [f"_{empty}_"]
    lines = [f"- {_cell(v, 120)}" for v in items[:MAX_LIST]]
    if len(items) > MAX_LIST:
        lines.append(f"- _… and {len(items) - MAX_LIST} more_")
    return lines


def _vitals(vitals: object) -> list[str]:
    if not isinstance(vitals, dict) or all(v is None for v in vitals.values()):
        return ["_none recorded at this encounter_"]
    lines = ["| vital | value | unit |", "|---|---|---|"]
    lines += [
        f"| {label} | {_text(vitals[k])} | {unit} |" for k, label, unit in VITALS if vitals.get(k) is not None
    ]
    return lines


def _labs(labs: object) -> list[str]:
    if not isinstance(labs, list) or not labs:
        return ["_none at this encounter_"]
    lines = ["| lab | value | unit |", "|---|---|---|"]
    for lab in labs[:MAX_LIST]:
        if isinstance(lab, dict):
            lines.append(
                f"| {_cell(lab.get('name'), 70)} | {_text(lab.get('value'))} | {_cell(lab.get('unit'), 16)} |"
            )
    if len(labs) > MAX_LIST:
        lines.append(f"\n_… and {len(labs) - MAX_LIST} more_")
    return lines


def _findings(row: dict[str, object]) -> list[str]:
    lines: list[str] = []
    if row.get("has_ecg"):
        lines.append(f"- **ECG**: {_cell(row.get('ecg_finding') or 'report', 200)}")
        if row.get("ecg_rhythm"):
            lines.append(f"  - rhythm: {_cell(row.get('ecg_rhythm'), 80)}")
    imaging = row.get("imaging")
    if isinstance(imaging, dict) and imaging.get("has_imaging"):
        what = " · ".join(
            _text(imaging.get(k))
            for k in ("modality", "body_site_display", "study_description", "study_date")
            if imaging.get(k) is not None
        )
        lines.append(f"- **Imaging**: {what or 'study'} ({_text(imaging.get('series_count'))} series)")
    if row.get("has_genomics"):
        lines.append(f"- **Genomics**: {_cell(row.get('genomic_summary') or 'report', 300)}")
    return lines or ["_no ECG, imaging or genomic report at this encounter_"]


def _note(text: object) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        return ["_no note linked to this encounter_"]
    body = text.strip()
    cut = len(body) > MAX_NOTE
    body = body[:MAX_NOTE].rstrip() + ("\n…" if cut else "")
    fence = "~~~~" if "```" in body else "```"
    return [f"{fence}text", body.replace("~~~~", "~ ~ ~ ~"), fence]


def encounter_card(gold: pa.Table, index: int = 0) -> str:
    """Row `index` of a Gold `encounter_summary` table as a Markdown card: who, what, the active
    problem and medication lists, vitals, labs, procedures, findings and the note."""
    if not 0 <= index < gold.num_rows:
        raise IndexError(f"row {index} of a {gold.num_rows}-row table")
    row = gold.slice(index, 1).to_pylist()[0]
    age = row.get("patient_age")
    who = ", ".join(p for p in (f"{age} y" if age is not None else "", _text(row.get("patient_gender"))) if p)
    lines = [
        f"### {_cell(row.get('encounter_type') or 'Encounter', 80)} — {_text(row.get('encounter_date'))}",
        "",
        f"**Patient**: {who or 'unknown'} · **summary_id** `{row.get('summary_id')}`",
        "",
        "#### Active conditions",
        *_bullets(row.get("active_conditions"), "none"),
        "",
        "#### Active medications",
        *_bullets(row.get("active_medications"), "none"),
        "",
        "#### Vitals",
        *_vitals(row.get("recent_vitals")),
        "",
        "#### Labs",
        *_labs(row.get("recent_labs")),
        "",
        "#### Procedures",
        *_bullets(row.get("procedures"), "none"),
        "",
        "#### Findings",
        *_findings(row),
        "",
        "#### Note",
        *_note(row.get("soap_note_text")),
    ]
    return "\n".join(lines) + "\n"


def sorted_sample(table: pa.Table, key: str, n: int = 5) -> pa.Table:
    """The `n` rows with the smallest `key`: a sample that does not move between identical snapshots."""
    if table.num_rows <= n:
        return table.take(pc.sort_indices(table.column(key)))
    return table.take(pc.sort_indices(table.column(key))[:n])
