"""Per-encounter pieces of the Gold build (SPEC §4), each a lazy Polars frame keyed by encounter_id.

Dates are compared as UTC calendar dates. "Latest" always means the greatest (date, id) pair, nulls
ordered first, so a dated row beats an undated one and ties resolve the same way on every run.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from scribe_lakehouse.gold_rules import (
    ACTIVE_MEDICATION_STATUS,
    BP_COMPONENT_CODES,
    BP_PANEL_CODE,
    IMAGING_MEMBERS,
    LAB_CATEGORY,
    VITAL_CODES,
    VITAL_MEMBERS,
)

__all__ = [
    "ACTIVE_MEDICATION_STATUS",
    "BP_COMPONENT_CODES",
    "BP_PANEL_CODE",
    "IMAGING_MEMBERS",
    "LAB_CATEGORY",
    "VITAL_CODES",
    "VITAL_MEMBERS",
]

COMPONENTS_DTYPE = pl.List(
    pl.Struct({"code": pl.String, "display": pl.String, "value": pl.Float64, "unit": pl.String})
)


def utc_date(column: str) -> pl.Expr:
    """Calendar date of a UTC timestamp column."""
    return pl.col(column).dt.date()


def patient_age(birth: pl.Expr, on: pl.Expr) -> pl.Expr:
    """Whole years from `birth` to `on`; the age goes up on the birthday itself.

    Month-day pairs are compared as month*100+day, so a Feb 29 birthday is reached on Mar 1 in
    non-leap years (Feb 28 still counts as the day before). Null when either date is null."""
    years = on.dt.year().cast(pl.Int32) - birth.dt.year().cast(pl.Int32)
    on_md = on.dt.month().cast(pl.Int32) * 100 + on.dt.day().cast(pl.Int32)
    birth_md = birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day().cast(pl.Int32)
    return years - (on_md < birth_md).cast(pl.Int32)


def latest_per_encounter(frame: pl.LazyFrame, *, order: Sequence[str], keep: Sequence[str]) -> pl.LazyFrame:
    """One row per encounter_id: the `keep` columns of the row with the greatest `order` tuple."""
    by = [pl.col(c) for c in order]
    return (
        frame.filter(pl.col("encounter_id").is_not_null())
        .group_by("encounter_id")
        .agg(pl.col(c).sort_by(by, nulls_last=False).last() for c in keep)
    )


def _distinct_sorted(frame: pl.LazyFrame, *, key: str, value: str, name: str) -> pl.LazyFrame:
    return (
        frame.filter(pl.col(value).is_not_null())
        .select(key, value)
        .unique()
        .group_by(key)
        .agg(pl.col(value).sort().alias(name))
    )


def active_conditions(encounters: pl.LazyFrame, conditions: pl.LazyFrame) -> pl.LazyFrame:
    """encounter_id, active_conditions: the patient's conditions open on the encounter date.

    Active when (onset null or onset date <= encounter date) and (abatement null or abatement date >
    encounter date). An encounter without a date only gets conditions with neither date."""
    spans = conditions.filter(pl.col("display").is_not_null()).select(
        "patient_id", "display", onset=utc_date("onset_date"), abatement=utc_date("abatement_date")
    )
    day = pl.col("encounter_date")
    is_active = (pl.col("onset").is_null() | (pl.col("onset") <= day)) & (
        pl.col("abatement").is_null() | (pl.col("abatement") > day)
    )
    matched = (
        encounters.select("encounter_id", "patient_id", "encounter_date")
        .join(spans.unique(), on="patient_id", how="inner")
        .filter(is_active)
    )
    return _distinct_sorted(matched, key="encounter_id", value="display", name="active_conditions")


def active_medications(encounters: pl.LazyFrame, requests: pl.LazyFrame) -> pl.LazyFrame:
    """encounter_id, active_medications: displays of the patient's active requests first authored by then.

    "First authored" is the earliest authored_on date per (patient, display) among status 'active'
    requests; a medication with no authored date at all is never counted (nothing to compare)."""
    first = (
        requests.filter(
            (pl.col("status") == ACTIVE_MEDICATION_STATUS) & pl.col("display").is_not_null(),
        )
        .group_by("patient_id", "display")
        .agg(first_authored=utc_date("authored_on").min())
    )
    matched = (
        encounters.select("encounter_id", "patient_id", "encounter_date")
        .join(first, on="patient_id", how="inner")
        .filter(pl.col("first_authored") <= pl.col("encounter_date"))
    )
    return _distinct_sorted(matched, key="encounter_id", value="display", name="active_medications")


def recent_vitals(observations: pl.LazyFrame) -> pl.LazyFrame:
    """encounter_id plus one column per vital member: the latest non-null value at the encounter."""
    at_encounter = observations.filter(pl.col("encounter_id").is_not_null())
    order = ("effective_date", "observation_id")
    simple = at_encounter.filter(pl.col("code").is_in(list(VITAL_CODES))).select(
        "encounter_id",
        *order,
        vital=pl.col("code").replace_strict(VITAL_CODES, return_dtype=pl.String),
        value=pl.col("value"),
    )
    components = (
        at_encounter.filter((pl.col("code") == BP_PANEL_CODE) & pl.col("components_json").is_not_null())
        .select("encounter_id", *order, component=pl.col("components_json").str.json_decode(COMPONENTS_DTYPE))
        .explode("component")
        .select(
            "encounter_id",
            *order,
            vital=pl.col("component")
            .struct.field("code")
            .replace_strict(BP_COMPONENT_CODES, default=None, return_dtype=pl.String),
            value=pl.col("component").struct.field("value"),
        )
    )
    latest = (
        pl.concat([simple, components], how="vertical")
        .filter(pl.col("vital").is_not_null() & pl.col("value").is_not_null())
        .group_by("encounter_id", "vital")
        .agg(pl.col("value").sort_by([pl.col(c) for c in order], nulls_last=False).last())
    )
    return latest.group_by("encounter_id").agg(
        pl.col("value").filter(pl.col("vital") == member).first().alias(member) for member in VITAL_MEMBERS
    )


def recent_labs(observations: pl.LazyFrame) -> pl.LazyFrame:
    """encounter_id, recent_labs: distinct laboratory {name, value, unit} sorted by name, value, unit."""
    keys = ("name", "value", "unit")
    return (
        observations.filter(
            pl.col("encounter_id").is_not_null()
            & (pl.col("category") == LAB_CATEGORY)
            & pl.col("value").is_not_null()
        )
        .select("encounter_id", name=pl.col("display"), value=pl.col("value"), unit=pl.col("unit"))
        .unique()
        .group_by("encounter_id")
        .agg(pl.struct(*keys).sort_by(list(keys), nulls_last=True).alias("recent_labs"))
    )


def procedures(frame: pl.LazyFrame) -> pl.LazyFrame:
    """encounter_id, procedures: distinct sorted procedure displays at the encounter."""
    at_encounter = frame.filter(pl.col("encounter_id").is_not_null())
    return _distinct_sorted(at_encounter, key="encounter_id", value="display", name="procedures")


def latest_note(notes: pl.LazyFrame) -> pl.LazyFrame:
    """encounter_id, soap_note_id, soap_note_text of the latest note (note_date, then note_id).

    The winner is chosen on the small columns and its text joined after (note_id is the key), so the
    note text is not carried through the group-by."""
    winners = latest_per_encounter(
        notes.select("encounter_id", "note_date", "note_id"),
        order=("note_date", "note_id"),
        keep=("note_id",),
    )
    return winners.join(notes.select("note_id", "note_text"), on="note_id", how="left").rename(
        {"note_id": "soap_note_id", "note_text": "soap_note_text"}
    )


def latest_ecg(ecgs: pl.LazyFrame) -> pl.LazyFrame:
    """encounter_id, ecg_id, ecg_finding, ecg_rhythm of the latest ECG report (report_date, ecg_id)."""
    return latest_per_encounter(
        ecgs, order=("report_date", "ecg_id"), keep=("ecg_id", "conclusion", "rhythm")
    ).rename({"conclusion": "ecg_finding", "rhythm": "ecg_rhythm"})


def latest_imaging(studies: pl.LazyFrame) -> pl.LazyFrame:
    """encounter_id, study_id and the imaging members of the latest study (started_date, study_id)."""
    return latest_per_encounter(
        studies, order=("started_date", "study_id"), keep=("study_id", *IMAGING_MEMBERS)
    )


def latest_genomics(reports: pl.LazyFrame) -> pl.LazyFrame:
    """encounter_id, report_id, genomic_summary of the latest genomic report (report_date, report_id)."""
    return latest_per_encounter(
        reports, order=("report_date", "report_id"), keep=("report_id", "result_summary")
    ).rename({"result_summary": "genomic_summary"})
