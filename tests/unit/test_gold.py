"""Gold build rules (SPEC §4) pinned at their edges on hand-built, registry-typed Silver frames."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence

import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from scribe_lakehouse.contract import SUMMARY_NAMESPACE, to_json_ready, validate_rows
from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.local.gold import CorpusStats, build_gold, corpus_stats
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, SILVER, SILVER_TABLES

UTC = dt.UTC
INGESTED = dt.datetime(2024, 1, 1, tzinfo=UTC)
CREATED = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
VERSIONS = {t.name: i + 1 for i, t in enumerate(SILVER_TABLES)}
DAY = dt.date(2020, 6, 15)

Rows = Sequence[Mapping[str, object]]


def silver_frame(table: str, rows: Rows) -> pl.DataFrame:
    """A Silver frame typed exactly per the registry; columns a row leaves out are null."""
    full = [{"source_file": "bundle.json", "ingest_timestamp": INGESTED, **r} for r in rows]
    return pl.DataFrame(pa.Table.from_pylist(full, schema=SILVER[table].arrow_schema()))


def ts(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def plus(days: int) -> dt.date:
    return DAY + dt.timedelta(days=days)


def silver(**tables: Rows) -> dict[str, pl.DataFrame]:
    """All 10 Silver tables; by default one patient P1 (born 1980-06-15, female) and one encounter E1."""
    tables.setdefault(
        "patient", [{"patient_id": "P1", "birth_date": dt.date(1980, 6, 15), "gender": "female"}]
    )
    tables.setdefault(
        "encounter",
        [{"encounter_id": "E1", "patient_id": "P1", "type_display": "Checkup", "start_date": ts(DAY, 1)}],
    )
    return {t.name: silver_frame(t.name, tables.get(t.name, [])) for t in SILVER_TABLES}


def gold(**tables: Rows) -> pl.DataFrame:
    return pl.DataFrame(build_gold(silver(**tables), silver_versions=VERSIONS, created=CREATED))


def rec(**columns: object) -> dict[str, object]:
    """A Silver row of patient P1 at encounter E1 unless the columns say otherwise."""
    return {"patient_id": "P1", "encounter_id": "E1", **columns}


def check(frame: pl.DataFrame, want: Mapping[str, Sequence[object]]) -> None:
    """Assert the named Gold columns equal `want` (column -> values), typed like the Gold frame."""
    expected = pl.DataFrame(dict(want), schema={n: frame.schema[n] for n in want})
    assert_frame_equal(frame.select(list(want)), expected)


def encounters(*ids_and_days: tuple[str, dt.date | None]) -> list[dict[str, object]]:
    return [
        {"encounter_id": e, "patient_id": "P1", "start_date": None if d is None else ts(d)}
        for e, d in ids_and_days
    ]


# --- active conditions ---


def test_active_conditions_edges() -> None:
    def cond(
        cid: str, display: str | None, onset: dt.datetime | None, abated: dt.datetime | None = None
    ) -> dict[str, object]:
        return rec(condition_id=cid, display=display, onset_date=onset, abatement_date=abated)

    conditions = [
        # onset late on the encounter day while the encounter is early that day: same date, active
        cond("c1", "onset on the day", ts(DAY, 23, 30)),
        cond("c2", "onset the day after", ts(plus(1), 0, 5)),
        cond("c3", "onset the day before", ts(plus(-1))),
        cond("c4", "abated on the day", ts(plus(-30)), ts(DAY, 0, 1)),
        cond("c5", "abated the day after", ts(plus(-30)), ts(plus(1))),
        cond("c6", "abated the day before", ts(plus(-30)), ts(plus(-1), 23, 59)),
        cond("c7", "no dates", None),
        cond("c8", "onset the day before", ts(plus(-100))),  # duplicate display, listed once
        cond("c9", "someone else's", ts(plus(-5))) | {"patient_id": "P2"},
        cond("c10", "abated, no onset", None, ts(plus(2))),
        cond("c11", None, ts(plus(-5))),  # no display: not listed
    ]
    want = [
        "abated the day after",
        "abated, no onset",
        "no dates",
        "onset on the day",
        "onset the day before",
    ]
    check(gold(condition=conditions), {"encounter_id": ["E1"], "active_conditions": [want]})


def test_lists_are_empty_not_null_when_nothing_matches() -> None:
    frame = gold()
    lists = ("active_conditions", "active_medications", "recent_labs", "procedures")
    check(frame, {"encounter_id": ["E1"]} | {c: [[]] for c in lists})
    assert all(frame.get_column(c).null_count() == 0 for c in lists)


# --- active medications ---


def test_active_medications_edges() -> None:
    def med(mid: str, display: str, status: str, authored: dt.datetime) -> dict[str, object]:
        return rec(medication_request_id=mid, display=display, status=status, authored_on=authored)

    requests = [
        med("m1", "authored on the day", "active", ts(DAY, 22)),
        med("m2", "authored the day after", "active", ts(plus(1))),
        med("m3", "stopped", "stopped", ts(plus(-10))),
        med("m4", "first authored earlier", "active", ts(plus(5))),
        med("m5", "first authored earlier", "active", ts(plus(-5))),
        # only the active requests count towards "first authored"
        med("m6", "active only later", "stopped", ts(plus(-10))),
        med("m7", "active only later", "active", ts(plus(3))),
        med("m8", "someone else's", "active", ts(plus(-5))) | {"patient_id": "P2"},
    ]
    check(
        gold(medication_request=requests),
        {"encounter_id": ["E1"], "active_medications": [["authored on the day", "first authored earlier"]]},
    )


# --- patient age ---


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (dt.date(1980, 6, 15), dt.date(2020, 6, 15), 40),  # on the birthday
        (dt.date(1980, 6, 15), dt.date(2020, 6, 14), 39),  # the day before
        (dt.date(1980, 6, 15), dt.date(2020, 6, 16), 40),  # the day after
        (dt.date(2000, 2, 29), dt.date(2001, 2, 28), 0),  # Feb 29: not yet on Feb 28 of a common year
        (dt.date(2000, 2, 29), dt.date(2001, 3, 1), 1),  # ... reached on Mar 1
        (dt.date(2000, 2, 29), dt.date(2004, 2, 28), 3),
        (dt.date(2000, 2, 29), dt.date(2004, 2, 29), 4),  # leap year: on the day itself
        (dt.date(2000, 3, 1), dt.date(2001, 2, 28), 0),
        (dt.date(2020, 6, 15), dt.date(2020, 6, 15), 0),  # born that day
    ],
)
def test_patient_age_birthday_anniversary_rule(birth: dt.date, on: dt.date, age: int) -> None:
    frame = gold(
        patient=[{"patient_id": "P1", "birth_date": birth, "gender": "male"}],
        encounter=[{"encounter_id": "E1", "patient_id": "P1", "start_date": ts(on, 23, 59)}],
    )
    check(frame, {"encounter_id": ["E1"], "patient_age": [age], "encounter_date": [on]})


def test_missing_dates_or_patient_give_null_age() -> None:
    frame = gold(
        patient=[
            {"patient_id": "P1", "birth_date": dt.date(1980, 6, 15), "gender": "female"},
            {"patient_id": "P2", "birth_date": None, "gender": "male"},
        ],
        encounter=[
            {"encounter_id": "E1", "patient_id": "P1", "start_date": None, "type_display": None},
            {"encounter_id": "E2", "patient_id": "P2", "start_date": ts(DAY)},
            {"encounter_id": "E3", "patient_id": "P-missing", "start_date": ts(DAY), "type_display": "ER"},
        ],
    )
    check(
        frame,
        {
            "encounter_id": ["E1", "E2", "E3"],
            "patient_age": [None, None, None],
            "patient_gender": ["female", "male", None],
            "encounter_type": ["", "", "ER"],
            "encounter_date": [None, DAY, DAY],
        },
    )


# --- vitals, labs, procedures ---


def obs(oid: str, code: str, value: float | None, when: dt.datetime, **extra: object) -> dict[str, object]:
    columns = {"code": code, "value": value, "effective_date": when, "category": "vital-signs"}
    return rec(observation_id=oid, **(columns | extra))


def bp(oid: str, systolic: float | None, diastolic: float | None, when: dt.datetime) -> dict[str, object]:
    components = [
        {"code": "8480-6", "display": "Systolic", "value": systolic, "unit": "mm[Hg]"},
        {"code": "8462-4", "display": "Diastolic", "value": diastolic, "unit": "mm[Hg]"},
    ]
    return obs(oid, "85354-9", None, when, components_json=json.dumps(components))


VITALS = ("heart_rate", "bp_systolic", "bp_diastolic", "temperature", "o2_saturation")


def test_recent_vitals_latest_value_per_member() -> None:
    observations = [
        obs("o1", "8867-4", 70.0, ts(DAY, 9)),
        obs("o2", "8867-4", 80.0, ts(DAY, 10)),  # latest heart rate
        obs("o3", "8867-4", None, ts(DAY, 11)),  # a later null value does not hide a value
        obs("o4", "8310-5", 37.1, ts(DAY, 9)),
        obs("o5", "8310-5", 36.6, ts(DAY, 9)),  # same time as o4: larger observation_id wins
        obs("o6", "59408-5", 97.0, ts(DAY, 9)),
        obs("o7", "2708-6", 98.0, ts(DAY, 8)),  # older SpO2 under the other code
        bp("o8", 150.0, 95.0, ts(DAY, 8)),
        bp("o9", 120.0, 80.0, ts(DAY, 9)),  # latest BP panel
        obs("o10", "8867-4", 200.0, ts(DAY, 23), encounter_id="E2"),  # another encounter
        bp("o11", None, 70.0, ts(DAY, 10)) | {"encounter_id": "E2"},
    ]
    frame = gold(encounter=encounters(("E1", DAY), ("E2", DAY), ("E3", DAY)), observation=observations)
    check(
        frame.select("encounter_id", pl.col("recent_vitals").struct.unnest()),
        {
            "encounter_id": ["E1", "E2", "E3"],
            "heart_rate": [80.0, 200.0, None],
            "bp_systolic": [120.0, None, None],
            "bp_diastolic": [80.0, 70.0, None],
            "temperature": [36.6, None, None],
            "o2_saturation": [97.0, None, None],
        },
    )
    assert frame.get_column("recent_vitals").null_count() == 0  # the struct itself is always present


def test_recent_labs_distinct_sorted_laboratory_only() -> None:
    def lab(oid: str, name: str, value: float | None, unit: str, **extra: object) -> dict[str, object]:
        return obs(oid, "lab", value, ts(DAY), display=name, unit=unit, category="laboratory", **extra)

    observations = [
        lab("o1", "Sodium", 140.0, "mmol/L"),
        lab("o2", "Glucose", 99.0, "mg/dL"),
        lab("o3", "Glucose", 85.0, "mg/dL"),
        lab("o4", "Sodium", 140.0, "mmol/L"),  # duplicate of o1
        lab("o5", "Potassium", None, "mmol/L"),  # no value
        lab("o6", "Chloride", 101.0, "mmol/L", encounter_id="E2"),
        obs("o7", "8867-4", 70.0, ts(DAY), display="Heart rate", unit="/min"),  # not a lab
    ]
    labs = [
        {"name": "Glucose", "value": 85.0, "unit": "mg/dL"},
        {"name": "Glucose", "value": 99.0, "unit": "mg/dL"},
        {"name": "Sodium", "value": 140.0, "unit": "mmol/L"},
    ]
    check(gold(observation=observations), {"encounter_id": ["E1"], "recent_labs": [labs]})


def test_procedures_distinct_sorted_at_encounter() -> None:
    rows = [
        rec(procedure_id="p1", display="Venipuncture"),
        rec(procedure_id="p2", display="Assessment"),
        rec(procedure_id="p3", display="Venipuncture"),
        rec(procedure_id="p4", display="Elsewhere", encounter_id="E9"),
        rec(procedure_id="p5", display=None),
    ]
    check(gold(procedure=rows), {"encounter_id": ["E1"], "procedures": [["Assessment", "Venipuncture"]]})


# --- latest note / ECG / imaging / genomics ---

TWO = encounters(("E1", DAY), ("E2", plus(1)))


def test_latest_note_per_encounter() -> None:
    notes = [
        rec(note_id="n1", note_date=ts(DAY, 9), note_text="old"),
        rec(note_id="n2", note_date=ts(DAY, 10), note_text="new"),
        rec(note_id="n0", note_date=None, note_text="undated"),
    ]
    check(
        gold(encounter=TWO, soap_note=notes),
        {"encounter_id": ["E1", "E2"], "soap_note_id": ["n2", None], "soap_note_text": ["new", None]},
    )


def test_latest_note_tie_goes_to_larger_note_id() -> None:
    notes = [
        rec(note_id="n2", note_date=ts(DAY), note_text="two"),
        rec(note_id="n1", note_date=ts(DAY), note_text="one"),
    ]
    check(gold(soap_note=notes), {"encounter_id": ["E1"], "soap_note_id": ["n2"], "soap_note_text": ["two"]})


def test_latest_ecg_and_has_ecg() -> None:
    ecgs = [
        rec(ecg_id="g1", report_date=ts(DAY, 8), conclusion="Normal", rhythm="Sinus rhythm"),
        rec(ecg_id="g2", report_date=ts(DAY, 9), conclusion="Atrial fibrillation", rhythm="Irregular"),
    ]
    check(
        gold(encounter=TWO, ecg_metadata=ecgs),
        {
            "encounter_id": ["E1", "E2"],
            "has_ecg": [True, False],
            "ecg_finding": ["Atrial fibrillation", None],
            "ecg_rhythm": ["Irregular", None],
        },
    )


def test_latest_imaging_and_absent_imaging() -> None:
    studies = [
        rec(study_id="s1", started_date=ts(DAY, 8), modality="CT", body_site_display="Chest", series_count=1),
        rec(
            study_id="s2",
            started_date=ts(DAY, 9),
            modality="MR",
            body_site_display="Brain",
            study_date=DAY,
            series_count=3,
            dicom_binary_id="1.2.840.99",
        ),
    ]
    frame = gold(encounter=TWO, imaging_study=studies)
    check(
        frame.select("encounter_id", pl.col("imaging").struct.unnest()),
        {
            "encounter_id": ["E1", "E2"],
            "has_imaging": [True, False],
            "modality": ["MR", None],
            "body_site_display": ["Brain", None],
            "study_description": [None, None],
            "study_date": [DAY, None],
            "series_count": [3, None],
            "dicom_binary_id": ["1.2.840.99", None],
        },
    )
    assert frame.get_column("imaging").null_count() == 0


def test_genomics_flag_and_latest_summary() -> None:
    reports = [
        rec(report_id="r1", report_date=ts(DAY, 8), result_summary="first", data_limitation="x"),
        rec(report_id="r2", report_date=ts(DAY, 9), result_summary="second", data_limitation="x"),
    ]
    check(
        gold(encounter=TWO, genomic_report=reports),
        {"encounter_id": ["E1", "E2"], "has_genomics": [True, False], "genomic_summary": ["second", None]},
    )


# --- table-level properties ---


def rich_silver() -> dict[str, pl.DataFrame]:
    """Three encounters over two patients with something in every table."""
    return silver(
        patient=[
            {"patient_id": "P1", "birth_date": dt.date(1980, 6, 15), "gender": "female"},
            {"patient_id": "P2", "birth_date": dt.date(1990, 1, 1), "gender": "male"},
        ],
        encounter=[
            {"encounter_id": "E3", "patient_id": "P2", "type_display": "ER", "start_date": ts(DAY)},
            {"encounter_id": "E1", "patient_id": "P1", "type_display": "Checkup", "start_date": ts(DAY)},
            {"encounter_id": "E2", "patient_id": "P1", "start_date": ts(plus(7))},
        ],
        condition=[rec(condition_id="c1", display="Asthma", onset_date=ts(plus(-9)))],
        medication_request=[
            rec(
                medication_request_id=m, patient_id="P2", display=m, status="active", authored_on=ts(plus(-1))
            )
            for m in ("Aspirin", "Statin")
        ],
        observation=[
            obs("o1", "8867-4", 72.0, ts(DAY)),
            obs("o2", "lab", 5.0, ts(DAY), category="laboratory", display="Hb", unit="g/dL"),
        ],
        procedure=[rec(procedure_id="p1", encounter_id="E2", display="X-ray")],
        soap_note=[rec(note_id="n1", note_date=ts(DAY), note_text="# Plan")],
        ecg_metadata=[rec(ecg_id="g1", patient_id="P2", encounter_id="E3", report_date=ts(DAY))],
        imaging_study=[rec(study_id="s1", encounter_id="E2", started_date=ts(DAY))],
        genomic_report=[rec(report_id="r1", result_summary="ok", data_limitation="x")],
    )


def build_rich() -> pa.Table:
    return build_gold(rich_silver(), silver_versions=VERSIONS, created=CREATED)


def test_schema_equals_registry_exactly() -> None:
    table = build_rich()
    assert table.schema == GOLD_ENCOUNTER_SUMMARY.arrow_schema()
    assert table.schema.names == list(GOLD_ENCOUNTER_SUMMARY.column_names)
    empty = build_gold(silver(encounter=[]), silver_versions=VERSIONS, created=CREATED)
    assert empty.num_rows == 0
    assert empty.schema == GOLD_ENCOUNTER_SUMMARY.arrow_schema()


def test_one_row_per_encounter_sorted_with_build_stamps() -> None:
    frame = pl.DataFrame(build_rich())
    assert frame.get_column("encounter_id").to_list() == ["E1", "E2", "E3"]
    assert frame.get_column("created_timestamp").to_list() == [CREATED] * 3
    assert frame.get_column("silver_versions").to_list() == [VERSIONS] * 3
    check(
        frame,
        {
            "encounter_id": ["E1", "E2", "E3"],
            "patient_id": ["P1", "P1", "P2"],
            "encounter_type": ["Checkup", "", "ER"],
            "active_conditions": [["Asthma"], ["Asthma"], []],
            "active_medications": [[], [], ["Aspirin", "Statin"]],
            "procedures": [[], ["X-ray"], []],
        },
    )


def test_summary_id_is_uuid5_and_stable_across_builds() -> None:
    first = pl.DataFrame(build_rich())
    second = pl.DataFrame(
        build_gold(rich_silver(), silver_versions=VERSIONS, created=CREATED + dt.timedelta(days=1))
    )
    assert_frame_equal(
        first.select("encounter_id", "summary_id"), second.select("encounter_id", "summary_id")
    )
    for encounter_id, sid in first.select("encounter_id", "summary_id").iter_rows():
        assert sid == str(uuid.uuid5(SUMMARY_NAMESPACE, encounter_id))


def test_lazy_input_gives_the_same_table() -> None:
    lazy = {name: frame.lazy() for name, frame in rich_silver().items()}
    assert build_gold(lazy, silver_versions=VERSIONS, created=CREATED).equals(build_rich())


def test_every_row_validates_against_the_contract() -> None:
    rows = [to_json_ready(r) for r in build_rich().to_pylist()]
    assert len(rows) == 3
    assert validate_rows(rows) == []


def test_corpus_stats() -> None:
    assert corpus_stats(build_rich()) == CorpusStats(
        encounters=3,
        distinct_patients=2,
        with_soap_note=1,
        with_ecg=1,
        with_imaging=1,
        with_genomics=1,
        with_vitals=1,
        with_labs=1,
        avg_conditions_per_encounter=0.667,
        avg_medications_per_encounter=0.667,
    )
    empty = build_gold(silver(encounter=[]), silver_versions=VERSIONS, created=CREATED)
    assert corpus_stats(empty).avg_conditions_per_encounter == 0.0


def test_bad_arguments_fail_fast() -> None:
    tables = rich_silver()
    with pytest.raises(ConfigError, match="silver_versions"):
        build_gold(tables, silver_versions={"patient": 1}, created=CREATED)
    with pytest.raises(ConfigError, match="timezone"):
        build_gold(tables, silver_versions=VERSIONS, created=CREATED.replace(tzinfo=None))
    without = {k: v for k, v in tables.items() if k != "procedure"}
    with pytest.raises(ConfigError, match="procedure"):
        build_gold(without, silver_versions=VERSIONS, created=CREATED)
    twice = tables | {"patient": pl.concat([tables["patient"], tables["patient"]])}
    with pytest.raises(pl.exceptions.ComputeError, match="m:1"):  # a duplicated patient never fans out
        build_gold(twice, silver_versions=VERSIONS, created=CREATED)
    broken = tables | {"soap_note": tables["soap_note"].drop("note_text")}
    with pytest.raises(ConfigError, match="note_text"):
        build_gold(broken, silver_versions=VERSIONS, created=CREATED)
