"""Parity on entries of the bad-input catalogue (docs/RELIABILITY.md): the same resource id in two
bundles of different cohorts (run newest cohort first, then the rest, then the loser re-landed), partial
dates and offset timestamps, invalid and line-broken base64, a resource without id, an empty and a
non-UTF-8 file. Both engines must write the same Silver, quarantine (reason codes), processed files,
ingest_log (reconciliation included) and Gold rows, and report the same counts and rule results."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest

from builders import NOTE, bundle, condition, encounter, note, patient, vital, write
from frames import assert_same_table, table_frame, versions
from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.local import pipeline as local
from scribe_lakehouse.outcomes import RunSummary
from scribe_lakehouse.registry import (
    GOLD_ENCOUNTER_SUMMARY,
    INGEST_LOG,
    PROCESSED_FILES,
    QUARANTINE,
    SILVER,
    SILVER_TABLES,
    SYSTEM_TABLES,
)
from scribe_lakehouse.spark import pipeline as spark_engine
from scribe_lakehouse.validation import TableValidation

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

UUID = "0b1c2d3e-1111-2222-3333-444455556666"
# sorted names deal First into cohort A and Second into cohort B (two cohorts, round robin)
F_FIRST = f"Dupe1_First2_{UUID}.json"
F_SECOND = f"Dupe1_Second2_{UUID}.json"
F_EMPTY = f"Empty1_File2_{UUID}.json"
F_LATIN1 = f"Latin1_Bytes2_{UUID}.json"
F_PARTIAL = f"Partial1_Dates2_{UUID}.json"
ALL_TABLES = (*SILVER_TABLES, *SYSTEM_TABLES, GOLD_ENCOUNTER_SUMMARY)


def _mime(text: str) -> str:
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return "\n".join(data[i : i + 76] for i in range(0, len(data), 76))


def _dupes(fhir: Path, *, first_status: str) -> None:
    """Patient pd1 and encounter ed1 in two bundles, with different content."""
    ed1 = encounter("ed1", "pd1", "2018-02-02T08:00:00Z")
    write(fhir, F_FIRST, bundle(patient("pd1", gender="male"), {**ed1, "status": first_status}))
    write(fhir, F_SECOND, bundle(patient("pd1", gender="female"), {**ed1, "status": "in-progress"}))


def _catalogue(fhir: Path) -> None:
    _dupes(fhir, first_status="finished")
    no_id = vital("x", "pc1", "ec1", "8867-4", 70.0, "2020-05-01T10:00:00-05:00")
    del no_id["id"]
    partial = bundle(
        patient("pc1", birth="1980"),
        encounter("ec1", "pc1", "2020-05-01T10:00:00-05:00"),
        encounter("ec2", "pc1", "2021-03-04T23:30:00+09:30"),
        condition("cc1", "pc1", "ec1", "Acute bronchitis", onset="2020", abatement="2020-05"),
        vital("oc1", "pc1", "ec1", "8867-4", 72.0, "2020-05"),
        note("nc1", "pc1", "ec1", "2020-05-01T10:00:00-05:00", data=_mime(NOTE)),
        note("nc2", "pc1", "ec2", "2021-03-04T23:30:00+09:30", data="@@not*base64@@"),
    )
    partial["entry"].append({"fullUrl": "urn:uuid:none", "resource": no_id})
    write(fhir, F_PARTIAL, partial)
    write(fhir, F_EMPTY, b"")
    write(fhir, F_LATIN1, b'{"resourceType": "Bundle", "entry": [], "note": "caf\xe9"}')


@dataclass(frozen=True)
class Runs:
    """Both lakehouses after the same sequence of landings and runs, with each run's summary."""

    local: Path
    spark: Path
    local_runs: tuple[RunSummary, ...]
    spark_runs: tuple[RunSummary, ...]
    local_validate: tuple[TableValidation, ...]
    spark_validate: tuple[TableValidation, ...]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, spark: SparkSession) -> Runs:
    base = tmp_path_factory.mktemp("catalogue_parity")
    first, relanded = base / "src1", base / "src2"
    _catalogue(first / "fhir")
    _dupes(relanded / "fhir", first_status="cancelled")
    roots = {"local": base / "local", "spark": base / "spark"}
    summaries: dict[str, list[RunSummary]] = {"local": [], "spark": []}
    for root in roots.values():
        assert land(first, root, cohorts=2).cohorts == ("A", "B")
    eng = spark_engine.SparkEngine.on(spark, roots["spark"])
    for cohorts in (["B"], None):  # the winner's cohort first, then the rest: the loser must not replace it
        summaries["local"].append(local.run(roots["local"], cohorts=cohorts))
        summaries["spark"].append(spark_engine.run(eng, cohorts=cohorts))
    for root in roots.values():  # First re-landed with new content: now it is the latest landed, it wins
        assert land(relanded, root, cohorts=1).cohorts == ("C",)
    summaries["local"].append(local.run(roots["local"]))
    summaries["spark"].append(spark_engine.run(eng))
    return Runs(
        local=roots["local"],
        spark=roots["spark"],
        local_runs=tuple(summaries["local"]),
        spark_runs=tuple(summaries["spark"]),
        local_validate=tuple(local.validate(roots["local"])),
        spark_validate=tuple(spark_engine.validate(eng)),
    )


@pytest.mark.parametrize(
    "spec",
    [*SILVER_TABLES, QUARANTINE, PROCESSED_FILES, INGEST_LOG, GOLD_ENCOUNTER_SUMMARY],
    ids=lambda s: s.name,
)
def test_tables_equal(runs: Runs, spec: object) -> None:
    assert_same_table(runs.local, runs.spark, spec)  # type: ignore[arg-type]


def test_same_counts_rules_and_versions_in_every_run(runs: Runs) -> None:
    for got, want in zip(runs.spark_runs, runs.local_runs, strict=True):
        assert got.tables == want.tables
        assert got.quarantined == want.quarantined and got.files_parsed == want.files_parsed
        assert [v.checks for v in got.validation] == [v.checks for v in want.validation]
    assert [v.checks for v in runs.spark_validate] == [v.checks for v in runs.local_validate]
    assert versions(runs.local, ALL_TABLES) == versions(runs.spark, ALL_TABLES)


def test_duplicate_winner_is_the_latest_landed_bundle_in_every_run(runs: Runs) -> None:
    """Run 1 (cohort B) writes Second; run 2 (cohort A) parses First, which loses (a duplicate, not an
    update); run 3 parses First re-landed, now the latest landed: it wins (an update)."""
    encounter_stats = [next(t for t in r.tables if t.table == "encounter") for r in runs.spark_runs]
    assert [(t.seen, t.written, t.duplicates, t.updated) for t in encounter_stats] == [
        (1, 1, 0, 0),  # cohort B: Second writes ed1
        (3, 2, 1, 0),  # First loses ed1; ec1, ec2 written
        (1, 1, 0, 1),  # First re-landed wins ed1
    ]
    assert all(t.reconciles for r in runs.spark_runs for t in r.tables)
    enc = table_frame(runs.spark, SILVER["encounter"]).filter(pl.col("encounter_id") == "ed1")
    assert enc.select("status", "source_file").rows() == [("cancelled", F_FIRST)]
    pat = table_frame(runs.spark, SILVER["patient"]).filter(pl.col("patient_id") == "pd1")
    assert pat.select("gender", "source_file").rows() == [("male", F_FIRST)]


def test_reconciliation_is_recorded_and_checked_over_the_ingest_log(runs: Runs) -> None:
    log = table_frame(runs.spark, INGEST_LOG)
    counted = log.filter(pl.col("resources_seen").is_not_null())
    assert counted.height == 3 * len(SILVER_TABLES)  # three runs parsed files; `validate` adds nulls
    details = [json.loads(d) for d in counted.get_column("detail_json")]
    assert all(any(c["rule"] == "reconciles" and c["passed"] for c in d) for d in details)
    history = {v.table: next(c for c in v.checks if c.rule == "reconciles") for v in runs.spark_validate}
    assert history["encounter"].observed == "0 of 3 run(s) do not add up" and history["encounter"].passed


def test_quarantine_reason_codes(runs: Runs) -> None:
    got = table_frame(runs.spark, QUARANTINE).select("source_file", "entry_index", "reason", "detail")
    assert sorted(got.rows(), key=str) == sorted(
        [
            (F_EMPTY, None, "empty_file", "file"),
            (F_LATIN1, None, "not_utf8", "file"),
            (F_PARTIAL, 6, "bad_base64", "content[0].attachment.data"),
            (F_PARTIAL, 7, "missing_id", "id"),
        ],
        key=str,
    )


def test_partial_dates_and_offsets_are_utc_instants(runs: Runs) -> None:
    utc = "%Y-%m-%dT%H:%M%z"
    enc = table_frame(runs.spark, SILVER["encounter"]).filter(pl.col("encounter_id").is_in(["ec1", "ec2"]))
    assert enc.select("encounter_id", pl.col("start_date").dt.to_string(utc)).rows() == [
        ("ec1", "2020-05-01T15:00+0000"),
        ("ec2", "2021-03-04T14:00+0000"),
    ]
    cond = table_frame(runs.spark, SILVER["condition"])
    assert cond.select(
        pl.col("onset_date").dt.to_string(utc), pl.col("abatement_date").dt.to_string(utc)
    ).rows() == [("2020-01-01T00:00+0000", "2020-05-01T00:00+0000")]
    pat = table_frame(runs.spark, SILVER["patient"]).filter(pl.col("patient_id") == "pc1")
    assert pat.select(pl.col("birth_date").dt.to_string("%Y-%m-%d")).item() == "1980-01-01"
    notes = table_frame(runs.spark, SILVER["soap_note"])
    assert notes.select("note_id", "note_text").rows() == [("nc1", NOTE)]  # line-broken base64 decoded
