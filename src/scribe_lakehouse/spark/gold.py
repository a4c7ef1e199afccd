"""Gold `encounter_summary` in Spark (SPEC §4): the same rules as local/gold.py + gold_parts.py, written
with the DataFrame API and Spark SQL functions only (runs on Spark 3.5, Spark Connect and Sail) and
never collected to the driver.

Rules worth knowing (identical in both engines):
- dates are UTC calendar dates of UTC timestamps, computed from epoch micros (no session time zone);
- "latest" is the greatest (timestamp, id) with a null timestamp lowest; vitals take the latest
  non-null value per member;
- age by the birthday-anniversary rule on month*100+day (a 29 Feb birthday is reached on 1 Mar).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from scribe_lakehouse.contract import SUMMARY_NAMESPACE
from scribe_lakehouse.corpus_manifest import CorpusStats
from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.gold_rules import (
    ACTIVE_MEDICATION_STATUS,
    BP_COMPONENT_CODES,
    BP_PANEL_CODE,
    IMAGING_MEMBERS,
    LAB_CATEGORY,
    SILVER_COLUMNS,
    VITAL_CODES,
    VITAL_MEMBERS,
)
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER, SILVER_TABLES
from scribe_lakehouse.spark.schemas import table_schema

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

MICROS_PER_DAY = 86_400_000_000
COMPONENTS_DDL = "array<struct<code:string,display:string,value:double,unit:string>>"


def utc_date(column: str) -> Column:
    """Calendar date (UTC) of a timestamp column, independent of the session time zone."""
    from pyspark.sql import functions as F

    return F.expr(f"date_from_unix_date(CAST(floor(unix_micros(`{column}`) / {MICROS_PER_DAY}) AS INT))")


def patient_age(birth: Column, on: Column) -> Column:
    """Whole years from `birth` to `on`; month-day compared as month*100+day."""
    from pyspark.sql import functions as F

    years = F.year(on) - F.year(birth)
    before_birthday = (F.month(on) * 100 + F.dayofmonth(on)) < (F.month(birth) * 100 + F.dayofmonth(birth))
    return (years - before_birthday.cast("int")).cast("int")


def summary_id(encounter_id: Column) -> Column:
    """UUIDv5(corpus namespace, encounter_id) in Spark SQL (contract.summary_id, pinned by a test)."""
    from pyspark.sql import functions as F

    h = F.sha1(F.concat(F.unhex(F.lit(SUMMARY_NAMESPACE.hex)), F.encode(encounter_id, "UTF-8")))
    variant = F.lower(F.hex((F.conv(F.substring(h, 17, 1), 16, 10).cast("int").bitwiseAND(3)) + 8))
    return F.concat(
        F.substring(h, 1, 8),
        F.lit("-"),
        F.substring(h, 9, 4),
        F.lit("-5"),
        F.substring(h, 14, 3),
        F.lit("-"),
        variant,
        F.substring(h, 18, 3),
        F.lit("-"),
        F.substring(h, 21, 12),
    )


def _silver_frame(silver: Mapping[str, DataFrame], table: str) -> DataFrame:
    from pyspark.sql import functions as F

    if table not in silver:
        raise ConfigError(f"Gold needs Silver table {table!r}, which was not given")
    frame = silver[table]
    wanted = SILVER_COLUMNS[table]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ConfigError(f"Silver table {table!r} lacks column(s) {', '.join(missing)} needed by Gold")
    types = table_schema(SILVER[table])
    return frame.select(*[F.col(f"`{c}`").cast(types[c].dataType).alias(c) for c in wanted])


def _latest(frame: DataFrame, *, order: Sequence[str], keep: Sequence[str]) -> DataFrame:
    """One row per encounter_id: `keep` of the row with the greatest `order` tuple, nulls lowest."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    window = Window.partitionBy("encounter_id").orderBy(*[F.col(c).desc_nulls_last() for c in order])
    return (
        frame.where(F.col("encounter_id").isNotNull())
        .withColumn("__rn", F.row_number().over(window))
        .where(F.col("__rn") == 1)
        .select("encounter_id", *keep)
    )


def _distinct_sorted(frame: DataFrame, *, key: str, value: str, name: str) -> DataFrame:
    from pyspark.sql import functions as F

    return (
        frame.where(F.col(value).isNotNull())
        .select(key, value)
        .distinct()
        .groupBy(key)
        .agg(F.array_sort(F.collect_list(value)).alias(name))
    )


def active_conditions(encounters: DataFrame, conditions: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    spans = (
        conditions.where(F.col("display").isNotNull())
        .select(
            "patient_id",
            "display",
            utc_date("onset_date").alias("onset"),
            utc_date("abatement_date").alias("abatement"),
        )
        .distinct()
    )
    day = F.col("encounter_date")
    active = (F.col("onset").isNull() | (F.col("onset") <= day)) & (
        F.col("abatement").isNull() | (F.col("abatement") > day)
    )
    matched = encounters.select("encounter_id", "patient_id", "encounter_date").join(spans, "patient_id")
    return _distinct_sorted(
        matched.where(active), key="encounter_id", value="display", name="active_conditions"
    )


def active_medications(encounters: DataFrame, requests: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    first = (
        requests.where((F.col("status") == ACTIVE_MEDICATION_STATUS) & F.col("display").isNotNull())
        .groupBy("patient_id", "display")
        .agg(F.min(utc_date("authored_on")).alias("first_authored"))
    )
    matched = (
        encounters.select("encounter_id", "patient_id", "encounter_date")
        .join(first, "patient_id")
        .where(F.col("first_authored") <= F.col("encounter_date"))
    )
    return _distinct_sorted(matched, key="encounter_id", value="display", name="active_medications")


def _lookup(column: Column, mapping: Mapping[str, str]) -> Column:
    from pyspark.sql import functions as F

    out: Column | None = None
    for code, member in mapping.items():
        out = (
            F.when(column == code, F.lit(member)) if out is None else out.when(column == code, F.lit(member))
        )
    assert out is not None
    return out


def recent_vitals(observations: DataFrame) -> DataFrame:
    """encounter_id plus one column per vital member: the latest non-null value at the encounter."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    at = observations.where(F.col("encounter_id").isNotNull())
    order = ("effective_date", "observation_id")
    simple = at.where(F.col("code").isin(list(VITAL_CODES))).select(
        "encounter_id",
        *order,
        _lookup(F.col("code"), VITAL_CODES).alias("vital"),
        F.col("value"),
        F.lit(0).alias("pos"),
    )
    exploded = at.where((F.col("code") == BP_PANEL_CODE) & F.col("components_json").isNotNull()).select(
        "encounter_id",
        *order,
        F.posexplode(F.from_json(F.col("components_json"), COMPONENTS_DDL)).alias("pos", "component"),
    )
    components = exploded.select(
        "encounter_id",
        *order,
        _lookup(F.col("component.code"), BP_COMPONENT_CODES).alias("vital"),
        F.col("component.value").alias("value"),
        "pos",
    )
    window = Window.partitionBy("encounter_id", "vital").orderBy(
        F.col("effective_date").desc_nulls_last(), F.col("observation_id").desc(), F.col("pos").desc()
    )
    latest = (
        simple.unionByName(components)
        .where(F.col("vital").isNotNull() & F.col("value").isNotNull())
        .withColumn("__rn", F.row_number().over(window))
        .where(F.col("__rn") == 1)
    )
    return latest.groupBy("encounter_id").agg(
        *[F.max(F.when(F.col("vital") == m, F.col("value"))).alias(m) for m in VITAL_MEMBERS]
    )


def recent_labs(observations: DataFrame) -> DataFrame:
    """encounter_id, recent_labs: distinct laboratory {name, value, unit}, sorted by name, value, unit
    with nulls last in each (a null flag before each key makes array_sort order them so)."""
    from pyspark.sql import functions as F

    keys = ("name", "value", "unit")
    labs = (
        observations.where(
            F.col("encounter_id").isNotNull()
            & (F.col("category") == LAB_CATEGORY)
            & F.col("value").isNotNull()
        )
        .select(
            "encounter_id",
            F.col("display").alias("name"),
            F.col("value"),
            F.col("unit"),
        )
        .distinct()
    )
    sortable = F.struct(*[part for k in keys for part in (F.col(k).isNull().alias(f"{k}_null"), F.col(k))])
    collected = labs.groupBy("encounter_id").agg(F.array_sort(F.collect_list(sortable)).alias("sorted"))
    return collected.select(
        "encounter_id",
        F.transform("sorted", lambda x: F.struct(*[x[k].alias(k) for k in keys])).alias("recent_labs"),
    )


def procedures(frame: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    at = frame.where(F.col("encounter_id").isNotNull())
    return _distinct_sorted(at, key="encounter_id", value="display", name="procedures")


def gold_frame(
    silver: Mapping[str, DataFrame], *, silver_versions: Mapping[str, int], created: dt.datetime
) -> DataFrame:
    """gold.encounter_summary as a (lazy) DataFrame with exactly the registry's Spark schema."""
    from pyspark.sql import functions as F

    if created.tzinfo is None:
        raise ConfigError("created must be a timezone-aware datetime")
    names = [t.name for t in SILVER_TABLES]
    if sorted(silver_versions) != sorted(names):
        raise ConfigError("silver_versions must name exactly the 10 Silver tables")
    f = {t: _silver_frame(silver, t) for t in names}
    patients = f["patient"].withColumnRenamed("gender", "patient_gender")
    encounters = (
        f["encounter"]
        .withColumn("encounter_date", utc_date("start_date"))
        .join(patients, "patient_id", "left")
        .select(
            "encounter_id",
            "patient_id",
            patient_age(F.col("birth_date"), F.col("encounter_date")).alias("patient_age"),
            "patient_gender",
            F.coalesce(F.col("type_display"), F.lit("")).alias("encounter_type"),
            "encounter_date",
        )
    )
    notes = _latest(f["soap_note"], order=("note_date", "note_id"), keep=("note_id", "note_text"))
    ecgs = _latest(
        f["ecg_metadata"], order=("report_date", "ecg_id"), keep=("ecg_id", "conclusion", "rhythm")
    )
    imaging = _latest(
        f["imaging_study"], order=("started_date", "study_id"), keep=("study_id", *IMAGING_MEMBERS)
    )
    genomics = _latest(
        f["genomic_report"], order=("report_date", "report_id"), keep=("report_id", "result_summary")
    )
    pieces = (
        active_conditions(encounters, f["condition"]),
        active_medications(encounters, f["medication_request"]),
        recent_vitals(f["observation"]),
        recent_labs(f["observation"]),
        procedures(f["procedure"]),
        notes.withColumnRenamed("note_id", "soap_note_id").withColumnRenamed("note_text", "soap_note_text"),
        ecgs.withColumnRenamed("conclusion", "ecg_finding").withColumnRenamed("rhythm", "ecg_rhythm"),
        imaging,
        genomics.withColumnRenamed("result_summary", "genomic_summary"),
    )
    plan = encounters
    for piece in pieces:
        plan = plan.join(piece, "encounter_id", "left")

    schema = table_schema(GOLD_ENCOUNTER_SUMMARY)
    micros = (created - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)

    def non_null_list(column: str) -> Column:
        return F.coalesce(F.col(column), F.array().cast(schema[column].dataType))

    computed: dict[str, Column] = {
        "summary_id": summary_id(F.col("encounter_id")),
        "active_conditions": non_null_list("active_conditions"),
        "active_medications": non_null_list("active_medications"),
        "recent_vitals": F.struct(*[F.col(m) for m in VITAL_MEMBERS]),
        "recent_labs": non_null_list("recent_labs"),
        "procedures": non_null_list("procedures"),
        "has_ecg": F.col("ecg_id").isNotNull(),
        "imaging": F.struct(
            F.col("study_id").isNotNull().alias("has_imaging"), *[F.col(m) for m in IMAGING_MEMBERS]
        ),
        "has_genomics": F.col("report_id").isNotNull(),
        "created_timestamp": F.expr(f"timestamp_micros({micros}L)"),
        "silver_versions": F.struct(*[F.lit(int(silver_versions[n])).cast("bigint").alias(n) for n in names]),
    }
    return plan.select(
        *[(computed.get(c.name, F.col(c.name))).cast(c.dataType).alias(c.name) for c in schema.fields]
    )


def corpus_stats(gold: DataFrame) -> CorpusStats:
    """The corpus headline numbers, one Spark aggregate (only the single result row reaches the driver)."""
    from pyspark.sql import functions as F

    any_vital = F.lit(False)
    for m in VITAL_MEMBERS:
        any_vital = any_vital | F.col(f"recent_vitals.{m}").isNotNull()

    def count_if(condition: Column) -> Column:
        return F.sum(F.when(condition, 1).otherwise(0))

    row = gold.agg(
        F.count(F.lit(1)).alias("encounters"),
        F.countDistinct("patient_id").alias("distinct_patients"),
        count_if(F.col("soap_note_id").isNotNull()).alias("with_soap_note"),
        count_if(F.coalesce(F.col("has_ecg"), F.lit(False))).alias("with_ecg"),
        count_if(F.coalesce(F.col("imaging.has_imaging"), F.lit(False))).alias("with_imaging"),
        count_if(F.coalesce(F.col("has_genomics"), F.lit(False))).alias("with_genomics"),
        count_if(F.col("recent_vitals").isNotNull() & any_vital).alias("with_vitals"),
        count_if(F.coalesce(F.size("recent_labs"), F.lit(0)) > 0).alias("with_labs"),
        F.sum(F.size("active_conditions")).alias("conditions"),
        F.sum(F.size("active_medications")).alias("medications"),
    ).collect()[0]
    n = int(row["encounters"])

    def avg(total: int | None) -> float:
        return round(int(total or 0) / n, 3) if n else 0.0

    return CorpusStats(
        encounters=n,
        distinct_patients=int(row["distinct_patients"]),
        with_soap_note=int(row["with_soap_note"] or 0),
        with_ecg=int(row["with_ecg"] or 0),
        with_imaging=int(row["with_imaging"] or 0),
        with_genomics=int(row["with_genomics"] or 0),
        with_vitals=int(row["with_vitals"] or 0),
        with_labs=int(row["with_labs"] or 0),
        avg_conditions_per_encounter=avg(row["conditions"]),
        avg_medications_per_encounter=avg(row["medications"]),
    )
