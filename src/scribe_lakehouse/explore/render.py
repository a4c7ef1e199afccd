"""Markdown renderers for people: tables of rows, a table's schema, and one Gold encounter as a card.

Pure functions from Arrow tables (or plain values) to Markdown strings, shared by the walkthrough, the
data dictionary and the Dagster materialization metadata. Their output may show clinical content (that
is its purpose): put it in front of a person who asked for it (a terminal, a UI), never in a log line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from scribe_lakehouse.registry import TableSpec

MAX_CELL = 48
MAX_LIST = 12
MAX_NOTE = 4_000
VITALS: tuple[tuple[str, str, str], ...] = (
    ("heart_rate", "Heart rate", "/min"),
    ("bp_systolic", "Blood pressure, systolic", "mm[Hg]"),
    ("bp_diastolic", "Blood pressure, diastolic", "mm[Hg]"),
    ("temperature", "Body temperature", "Cel"),
    ("o2_saturation", "Oxygen saturation", "%"),
)
# What makes an encounter worth showing, and how much: a note first, then every filled section.
_SHOWS: tuple[tuple[str, int], ...] = (
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


def text(value: object) -> str:
    """A value as short human text: floats without trailing zeros, dates ISO, nested values inline."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(text(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {text(v)}" for k, v in value.items() if v is not None) + "}"
    return str(value)


def cell(value: object, max_chars: int = MAX_CELL) -> str:
    """One Markdown table cell: a single line, pipes escaped, cut to `max_chars` with an ellipsis."""
    one_line = " ".join(text(value).split()).replace("|", "\\|")
    return one_line if len(one_line) <= max_chars else one_line[: max_chars - 1].rstrip() + "…"


def rows_table(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, max_chars: int = MAX_CELL, right: int = 0
) -> str:
    """A Markdown table from a header and rows of values; the last `right` columns are right-aligned."""
    align = ["---"] * (len(header) - right) + ["---:"] * right
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cell(v, max_chars) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_table(
    table: pa.Table,
    *,
    columns: Sequence[str] | None = None,
    max_rows: int = 5,
    max_chars: int = MAX_CELL,
) -> str:
    """The first `max_rows` rows of `table` as a Markdown table, with a line saying how many there are."""
    names = list(columns) if columns is not None else table.column_names
    if not names:
        return "_no columns_"
    head = table.select(names).slice(0, max_rows).to_pylist()
    out = rows_table(names, ([row[n] for n in names] for row in head), max_chars=max_chars)
    if table.num_rows > max_rows:
        out += f"\n\n_{max_rows} of {table.num_rows:,} rows_"
    elif not head:
        out += "\n\n_no rows_"
    return out


def schema_markdown(spec: TableSpec) -> str:
    """A table's columns as Markdown: name, Arrow type, nullability and meaning, from the registry."""
    rows = []
    for c in spec.columns:
        if c.name == spec.primary_key:
            need = "key"
        elif c.required:
            need = "required"
        elif c.contract_required:
            need = "always present"
        else:
            need = "nullable"
        rows.append((f"`{c.name}`", f"`{c.type}`", need, c.description))
    return rows_table(("column", "type", "null?", "meaning"), rows, max_chars=400)


def _filled(table: pa.Table, name: str) -> pa.ChunkedArray | None:
    """True where column `name` has something to show; None when the table has no such column."""
    if name not in table.column_names:
        return None
    col = table.column(name)
    kind = col.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        out = pc.greater(pc.utf8_length(col), 0)
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        out = pc.greater(pc.list_value_length(col), 0)
    elif pa.types.is_boolean(kind):
        out = col
    elif pa.types.is_struct(kind) and kind.get_field_index("has_imaging") >= 0:
        out = pc.struct_field(col, "has_imaging")
    elif pa.types.is_struct(kind):
        out = pc.is_valid(pc.struct_field(col, 0))
        for i in range(1, kind.num_fields):
            out = pc.or_(out, pc.is_valid(pc.struct_field(col, i)))
    else:
        out = pc.is_valid(col)
    filled: pa.ChunkedArray = pc.fill_null(out, False)
    return filled


def pick_encounter(gold: pa.Table) -> int | None:
    """Index of the Gold row that shows the most (a note first, then the most filled sections); ties
    go to the smallest summary_id, so the pick is stable across rebuilds. None for an empty table."""
    if gold.num_rows == 0:
        return None
    score = pa.array([0] * gold.num_rows, type=pa.int64())
    for name, weight in _SHOWS:
        filled = _filled(gold, name)
        if filled is not None:
            score = pc.add(score, pc.multiply(pc.cast(filled, pa.int64()), weight))
    order = pc.sort_indices(
        pa.table({"score": score, "key": gold.column("summary_id")}),
        sort_keys=[("score", "descending"), ("key", "ascending")],
    )
    return int(order[0].as_py())


def _bullets(values: object, empty: str) -> list[str]:
    items = [text(v) for v in values] if isinstance(values, list) else []
    if not items:
        return [f"_{empty}_"]
    lines = [f"- {cell(v, 120)}" for v in items[:MAX_LIST]]
    if len(items) > MAX_LIST:
        lines.append(f"- _… and {len(items) - MAX_LIST} more_")
    return lines


def _vitals(vitals: object) -> list[str]:
    if not isinstance(vitals, Mapping) or all(v is None for v in vitals.values()):
        return ["_none recorded at this encounter_"]
    rows = [(label, vitals[key], unit) for key, label, unit in VITALS if vitals.get(key) is not None]
    return [rows_table(("vital", "value", "unit"), rows)]


def _labs(labs: object) -> list[str]:
    if not isinstance(labs, list) or not labs:
        return ["_none at this encounter_"]
    rows = [(lab.get("name"), lab.get("value"), lab.get("unit")) for lab in labs[:MAX_LIST]]
    lines = [rows_table(("lab", "value", "unit"), rows, max_chars=70)]
    if len(labs) > MAX_LIST:
        lines.append(f"\n_… and {len(labs) - MAX_LIST} more_")
    return lines


def _findings(row: Mapping[str, object]) -> list[str]:
    lines: list[str] = []
    if row.get("has_ecg"):
        lines.append(f"- **ECG**: {cell(row.get('ecg_finding') or 'report', 200)}")
        if row.get("ecg_rhythm"):
            lines.append(f"  - rhythm: {cell(row.get('ecg_rhythm'), 80)}")
    imaging = row.get("imaging")
    if isinstance(imaging, Mapping) and imaging.get("has_imaging"):
        parts = ("modality", "body_site_display", "study_description", "study_date")
        what = " · ".join(text(imaging.get(k)) for k in parts if imaging.get(k) is not None)
        lines.append(f"- **Imaging**: {what or 'study'} ({text(imaging.get('series_count'))} series)")
    if row.get("has_genomics"):
        lines.append(f"- **Genomics**: {cell(row.get('genomic_summary') or 'report', 300)}")
    return lines or ["_no ECG, imaging or genomic report at this encounter_"]


def _note(note: object) -> list[str]:
    if not isinstance(note, str) or not note.strip():
        return ["_no note linked to this encounter_"]
    body = note.strip()
    if len(body) > MAX_NOTE:
        body = body[:MAX_NOTE].rstrip() + "\n…"
    fence = "~~~~" if "```" in body else "```"
    return [f"{fence}markdown", body.replace("~~~~", "~ ~ ~ ~"), fence]


def encounter_card(gold: pa.Table, index: int = 0) -> str:
    """Row `index` of a Gold `encounter_summary` table as a Markdown card: who, what, the active
    problem and medication lists, vitals, labs, procedures, findings and the note."""
    if not 0 <= index < gold.num_rows:
        raise IndexError(f"row {index} of a {gold.num_rows}-row table")
    row: dict[str, object] = gold.slice(index, 1).to_pylist()[0]
    age = row.get("patient_age")
    who = ", ".join(p for p in (f"{age} y" if age is not None else "", text(row.get("patient_gender"))) if p)
    lines = [
        f"### {cell(row.get('encounter_type') or 'Encounter', 80)} — {text(row.get('encounter_date'))}",
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
    order = pc.sort_indices(table.column(key))
    return table.take(order if table.num_rows <= n else order[:n])
