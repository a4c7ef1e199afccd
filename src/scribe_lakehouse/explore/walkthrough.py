"""One patient from Bronze to Gold: the bundle's resources, what the parser makes of it, the patient's
Silver rows and a Gold encounter card — for a person learning the lakehouse, in the terminal.

The result names the patient and shows clinical text (that is its purpose); it is printed for the
person who asked, never logged. Log lines refer to the patient only by `ref:`.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson
import polars as pl
import pyarrow as pa

from scribe_lakehouse.bronze.landing import Manifest, ManifestEntry
from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.explore import render
from scribe_lakehouse.fhir.parser import parse_bundle
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.local.pipeline import dicom_index
from scribe_lakehouse.redaction import ref
from scribe_lakehouse.registry import (
    GOLD_ENCOUNTER_SUMMARY,
    PATIENT,
    PROVENANCE_COLUMNS,
    SILVER_TABLES,
    TableSpec,
)
from scribe_lakehouse.storage import delta

log = logging.getLogger(__name__)

SAMPLE_ROWS = 3
SAMPLE_COLUMNS = 5
# Long or machine-shaped columns that make a terminal sample unreadable (the card shows the note).
_NOT_SAMPLED = {"note_text", "components_json", "data_limitation", "dosage_text", *PROVENANCE_COLUMNS}


@dataclass(frozen=True)
class Count:
    """How many of something one stage holds for the patient."""

    name: str
    rows: int


@dataclass(frozen=True)
class Sample:
    """A few of the patient's rows of one Silver table, as Markdown."""

    table: str
    markdown: str


@dataclass(frozen=True)
class Walkthrough:
    """One patient through every layer."""

    patient_id: str
    bundle_ref: str
    cohort: str | None
    bundle_bytes: int
    resources: tuple[Count, ...]
    parsed: tuple[Count, ...]
    quarantined: int
    silver: tuple[Count, ...]
    samples: tuple[Sample, ...]
    gold_rows: int
    card: str | None

    def to_markdown(self) -> str:
        return walkthrough_markdown(self)


def _frame(uri: str) -> pl.DataFrame:
    frame = pl.from_arrow(delta.read_arrow(uri))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _patient_rows(lh: Lakehouse, spec: TableSpec, patient_id: str) -> pl.DataFrame:
    # Filtered after the read: pyarrow dataset filters fail on MERGE-written string_view files.
    return _frame(lh.uri(spec)).filter(pl.col("patient_id") == patient_id)


def default_patient(root: Path) -> str:
    """The patient of the Gold encounter that shows the most (see `render.pick_encounter`)."""
    gold = delta.read_arrow(Lakehouse(root).uri(GOLD_ENCOUNTER_SUMMARY))
    index = render.pick_encounter(gold)
    if index is None:
        raise ConfigError("gold.encounter_summary is empty: nothing to walk through")
    return str(gold.column("patient_id")[index].as_py())


def _bundle_entry(manifest: Manifest, source_file: str) -> ManifestEntry:
    versions = [e for e in manifest.fhir() if e.name == source_file]
    if not versions:
        raise ConfigError("the patient's bundle is not in the Bronze manifest")
    return versions[-1]  # the latest landed version is the one Silver holds


def _sample(spec: TableSpec, rows: pl.DataFrame) -> Sample:
    skip = {spec.primary_key, "patient_id", "encounter_id", *_NOT_SAMPLED}
    columns = [c for c in spec.column_names if c not in skip][:SAMPLE_COLUMNS]
    order = [c for c in spec.column_names if "date" in c or c.endswith(("_on", "_start"))][:1]
    shown = rows.sort(order, nulls_last=True) if order else rows
    return Sample(spec.name, render.markdown_table(shown.to_arrow(), columns=columns, max_rows=SAMPLE_ROWS))


def walkthrough(root: Path, *, patient_id: str | None = None) -> Walkthrough:
    """Follow one patient (default: the one with the richest Gold encounter) from Bronze to Gold."""
    lh = Lakehouse(root)
    gold_uri = lh.uri(GOLD_ENCOUNTER_SUMMARY)
    if not delta.exists(gold_uri):
        raise ConfigError("no Gold table under this root: run `run` (or `demo`) first")
    pid = patient_id if patient_id is not None else default_patient(root)
    patient = _patient_rows(lh, PATIENT, pid)
    if patient.height == 0:
        raise ConfigError("no patient with that id in silver.patient")
    log.info("walking patient %s through the lakehouse", ref(pid))

    entry = _bundle_entry(Manifest.load(root), str(patient.get_column("source_file")[0]))
    data = (root / entry.path).read_bytes()
    bundle = orjson.loads(data)
    kinds = Counter(str(e.get("resource", {}).get("resourceType")) for e in bundle.get("entry", []))
    parsed = parse_bundle(data, source_file=entry.name, dicom=dicom_index(lh))

    silver: list[Count] = []
    samples: list[Sample] = []
    for spec in SILVER_TABLES:
        rows = _patient_rows(lh, spec, pid)
        silver.append(Count(spec.name, rows.height))
        if rows.height:
            samples.append(_sample(spec, rows))

    gold = pl.from_arrow(delta.read_arrow(gold_uri))
    assert isinstance(gold, pl.DataFrame)
    mine: pa.Table = gold.filter(pl.col("patient_id") == pid).sort("encounter_date", "summary_id").to_arrow()
    index = render.pick_encounter(mine)
    return Walkthrough(
        patient_id=pid,
        bundle_ref=ref(entry.name),
        cohort=entry.cohort,
        bundle_bytes=entry.bytes,
        resources=tuple(Count(k, n) for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        parsed=tuple(Count(s.name, len(parsed.rows[s.name])) for s in SILVER_TABLES),
        quarantined=len(parsed.quarantine),
        silver=tuple(silver),
        samples=tuple(samples),
        gold_rows=mine.num_rows,
        card=None if index is None else render.encounter_card(mine, index),
    )


def walkthrough_markdown(w: Walkthrough) -> str:
    """The walkthrough as one Markdown document, stage by stage."""
    parsed = {c.name: c.rows for c in w.parsed}
    stages = render.rows_table(
        ("Silver table", "parsed from the bundle", "rows in Silver"),
        ((c.name, parsed[c.name], c.rows) for c in w.silver),
        right=2,
    )
    lines = [
        f"# Patient `{w.patient_id}` from Bronze to Gold",
        "",
        "## 1. Bronze: the raw bundle",
        "",
        f"One FHIR transaction Bundle ({w.bundle_ref}, cohort {w.cohort or '-'}, "
        f"{w.bundle_bytes / 1e6:.2f} MB), landed byte for byte with its sha256 in the Bronze manifest.",
        "",
        render.rows_table(("resourceType", "entries"), ((c.name, c.rows) for c in w.resources), right=1),
        "",
        "## 2. Parse: one pass over the bundle, rows for the 10 Silver tables",
        "",
        f"The parser turned the bundle into typed rows; {w.quarantined} resource(s) went to quarantine. "
        "Silver holds the same rows after the MERGE (re-landed versions replace older ones).",
        "",
        stages,
        "",
        "## 3. Silver: the patient's rows (a few per table)",
    ]
    for sample in w.samples:
        lines += ["", f"### silver.{sample.table}", "", sample.markdown]
    lines += [
        "",
        "## 4. Gold: the encounter corpus",
        "",
        f"{w.gold_rows} row(s) in gold.encounter_summary, one per encounter. "
        "The encounter that shows the most:",
        "",
        w.card or "_no Gold rows for this patient_",
    ]
    return "\n".join(lines) + "\n"
