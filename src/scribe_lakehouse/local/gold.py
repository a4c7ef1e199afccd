"""Gold `encounter_summary` from the 10 Silver tables with lazy Polars (SPEC §4), and its corpus stats.

One plan: encounters joined to their patient and to one frame per rule (gold_parts), collected once,
sorted by encounter_id, then cast to the registry's Arrow schema so the table matches it exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache

import polars as pl
import pyarrow as pa

from scribe_lakehouse.contract import summary_ids
from scribe_lakehouse.corpus_manifest import CorpusStats
from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.gold_rules import SILVER_COLUMNS
from scribe_lakehouse.local import gold_parts as parts
from scribe_lakehouse.registry import (
    GOLD_ENCOUNTER_SUMMARY,
    SILVER,
    SILVER_TABLES,
    SILVER_VERSIONS_TYPE,
    TIMESTAMP,
)

SilverFrame = pl.LazyFrame | pl.DataFrame


@cache
def _polars_schema(table: str) -> pl.Schema:
    """Polars dtypes of a Silver table, derived from its registry Arrow schema."""
    return pl.DataFrame(SILVER[table].arrow_schema().empty_table()).schema


def _silver_frame(silver: Mapping[str, SilverFrame], table: str) -> pl.LazyFrame:
    """The columns Gold needs from one Silver table, cast to the registry's types."""
    if table not in silver:
        raise ConfigError(f"Gold needs Silver table {table!r}, which was not given")
    frame = silver[table].lazy()
    wanted = SILVER_COLUMNS[table]
    present = set(frame.collect_schema().names())
    missing = [c for c in wanted if c not in present]
    if missing:
        raise ConfigError(f"Silver table {table!r} lacks column(s) {', '.join(missing)} needed by Gold")
    dtypes = _polars_schema(table)
    return frame.select(pl.col(c).cast(dtypes[c]) for c in wanted)


def _checked_versions(silver_versions: Mapping[str, int]) -> dict[str, int]:
    names = [t.name for t in SILVER_TABLES]
    missing = [n for n in names if n not in silver_versions]
    unknown = sorted(set(silver_versions) - set(names))
    if missing or unknown:
        raise ConfigError(
            f"silver_versions must name exactly the 10 Silver tables; missing {missing}, unknown {unknown}"
        )
    return {n: int(silver_versions[n]) for n in names}


def _empty_list(column: str) -> pl.Expr:
    """A typed [] for a Gold list column (its Polars type derived from the registry)."""
    arrow_type = GOLD_ENCOUNTER_SUMMARY.column(column).type
    dtype = pl.DataFrame(pa.table({column: pa.array([], arrow_type)})).schema[column]
    return pl.lit([], dtype=dtype)


def _non_null_list(column: str) -> pl.Expr:
    return pl.col(column).fill_null(_empty_list(column))


def _gold_plan(silver: Mapping[str, SilverFrame]) -> pl.LazyFrame:
    frames = {t.name: _silver_frame(silver, t.name) for t in SILVER_TABLES}
    patients = frames["patient"].rename({"gender": "patient_gender"})
    encounters = (
        frames["encounter"]
        .with_columns(encounter_date=parts.utc_date("start_date"))
        .join(patients, on="patient_id", how="left", validate="m:1")
        .select(
            "encounter_id",
            "patient_id",
            parts.patient_age(pl.col("birth_date"), pl.col("encounter_date")).alias("patient_age"),
            "patient_gender",
            pl.col("type_display").fill_null("").alias("encounter_type"),
            "encounter_date",
        )
    )
    pieces = (
        parts.active_conditions(encounters, frames["condition"]),
        parts.active_medications(encounters, frames["medication_request"]),
        parts.recent_vitals(frames["observation"]),
        parts.recent_labs(frames["observation"]),
        parts.procedures(frames["procedure"]),
        parts.latest_note(frames["soap_note"]),
        parts.latest_ecg(frames["ecg_metadata"]),
        parts.latest_imaging(frames["imaging_study"]),
        parts.latest_genomics(frames["genomic_report"]),
    )
    plan = encounters
    for piece in pieces:
        plan = plan.join(piece, on="encounter_id", how="left")

    imaging_members = [pl.col("study_id").is_not_null().alias("has_imaging")]
    imaging_members += [pl.col(m) for m in parts.IMAGING_MEMBERS]
    return plan.select(
        "encounter_id",
        "patient_id",
        "patient_age",
        "patient_gender",
        "encounter_type",
        "encounter_date",
        _non_null_list("active_conditions"),
        _non_null_list("active_medications"),
        pl.struct(*parts.VITAL_MEMBERS).alias("recent_vitals"),
        _non_null_list("recent_labs"),
        _non_null_list("procedures"),
        "soap_note_text",
        "soap_note_id",
        "ecg_finding",
        "ecg_rhythm",
        pl.col("ecg_id").is_not_null().alias("has_ecg"),
        pl.struct(imaging_members).alias("imaging"),
        pl.col("report_id").is_not_null().alias("has_genomics"),
        "genomic_summary",
    ).sort("encounter_id")


def build_gold(
    silver: Mapping[str, SilverFrame],
    *,
    silver_versions: Mapping[str, int],
    created: dt.datetime,
) -> pa.Table:
    """Build gold.encounter_summary: one row per Silver encounter, sorted by encounter_id.

    `silver` maps each of the 10 Silver table names to a (lazy) frame; `silver_versions` gives the
    Delta version read of each; `created` (timezone-aware) stamps every row. The result's schema
    equals `GOLD_ENCOUNTER_SUMMARY.arrow_schema()` exactly."""
    if created.tzinfo is None:
        raise ConfigError("created must be a timezone-aware datetime")
    versions = _checked_versions(silver_versions)
    frame = _gold_plan(silver).collect()
    ids = summary_ids(frame.get_column("encounter_id").to_list())
    frame = frame.with_columns(pl.Series("summary_id", ids, dtype=pl.String))

    n = frame.height
    extra = {
        "created_timestamp": pa.repeat(pa.scalar(created.astimezone(dt.UTC), type=TIMESTAMP), n),
        "silver_versions": pa.repeat(pa.scalar(versions, type=SILVER_VERSIONS_TYPE), n),
    }
    computed = frame.to_arrow()
    schema = GOLD_ENCOUNTER_SUMMARY.arrow_schema()
    columns = [extra[f.name] if f.name in extra else computed.column(f.name) for f in schema]
    return pa.Table.from_arrays(columns, names=schema.names).cast(schema)


# --- corpus stats (CorpusStats is engine-free, in corpus_manifest, shared with the Spark engine) ---


def corpus_stats(gold: pa.Table) -> CorpusStats:
    """Count what the corpus holds; `with_vitals` = any vital member present, averages to 3 decimals."""
    frame = pl.DataFrame(gold).lazy()
    vitals = pl.col("recent_vitals").struct
    any_vital = pl.any_horizontal(vitals.field(m).is_not_null() for m in parts.VITAL_MEMBERS)
    row = (
        frame.select(
            encounters=pl.len(),
            distinct_patients=pl.col("patient_id").n_unique(),
            with_soap_note=pl.col("soap_note_id").is_not_null().sum(),
            with_ecg=pl.col("has_ecg").fill_null(False).sum(),
            with_imaging=pl.col("imaging").struct.field("has_imaging").fill_null(False).sum(),
            with_genomics=pl.col("has_genomics").fill_null(False).sum(),
            with_vitals=(pl.col("recent_vitals").is_not_null() & any_vital).sum(),
            with_labs=(pl.col("recent_labs").list.len().fill_null(0) > 0).sum(),
            avg_conditions=pl.col("active_conditions").list.len().mean(),
            avg_medications=pl.col("active_medications").list.len().mean(),
        )
        .collect()
        .row(0, named=True)
    )

    def avg(value: object) -> float:
        return round(float(value), 3) if isinstance(value, int | float) else 0.0

    return CorpusStats(
        encounters=int(row["encounters"]),
        distinct_patients=int(row["distinct_patients"]),
        with_soap_note=int(row["with_soap_note"]),
        with_ecg=int(row["with_ecg"]),
        with_imaging=int(row["with_imaging"]),
        with_genomics=int(row["with_genomics"]),
        with_vitals=int(row["with_vitals"]),
        with_labs=int(row["with_labs"]),
        avg_conditions_per_encounter=avg(row["avg_conditions"]),
        avg_medications_per_encounter=avg(row["avg_medications"]),
    )


__all__ = ["SILVER_COLUMNS", "CorpusStats", "build_gold", "corpus_stats"]
