"""parse_bundle on small hand-built bundles: references, notes, quarantine, timestamps, ECG, genomics,
medications and DICOM enrichment."""

from __future__ import annotations

import base64
import datetime as dt
import pickle
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from scribe_lakehouse.errors import ReasonCode
from scribe_lakehouse.fhir import codes
from scribe_lakehouse.fhir.dates import epoch_micros, parse_date, parse_datetime
from scribe_lakehouse.fhir.model import DicomHeader, ParseResult, QuarantineRecord
from scribe_lakehouse.fhir.parser import parse_bundle, parse_files
from scribe_lakehouse.fhir.references import binary_id, reference_id
from scribe_lakehouse.registry import GENOMIC_DATA_LIMITATION

UTC = dt.UTC
PID = "11111111-2222-3333-4444-555555555555"
EID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
NOTE = "# Chief Complaint\nCough.\n\n# Assessment and Plan\nViral URI.\n\n## Plan\nRest.\n"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def entry(resource: dict[str, Any], full_url: str | None = None) -> dict[str, Any]:
    return {"fullUrl": full_url or f"urn:uuid:{resource.get('id', 'x')}", "resource": resource}


def bundle(*resources: dict[str, Any], raw_entries: list[Any] | None = None) -> bytes:
    entries: list[Any] = [entry(r) for r in resources] if raw_entries is None else raw_entries
    return orjson.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries})


def parse(*resources: dict[str, Any], **kwargs: Any) -> ParseResult:
    return parse_bundle(bundle(*resources), source_file="b.json", **kwargs)


def patient(**extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": PID, "birthDate": "1980-02-29", "gender": "female", **extra}


def encounter(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": EID,
        "status": "finished",
        "class": {"code": "AMB"},
        "subject": {"reference": f"urn:uuid:{PID}"},
        "period": {"start": "2020-05-01T10:00:00-04:00", "end": "2020-05-01T10:30:00Z"},
        **extra,
    }


def document(attachment: dict[str, Any], rid: str = "doc-1") -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": rid,
        "subject": {"reference": f"Patient/{PID}"},
        "context": {"encounter": [{"reference": f"urn:uuid:{EID}"}]},
        "date": "2020-05-01T10:00:00.123+00:00",
        "content": [{"attachment": attachment}],
    }


def observation(rid: str, code: str, **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "subject": {"reference": f"urn:uuid:{PID}"},
        "encounter": {"reference": f"urn:uuid:{EID}"},
        "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": f"LOINC {code}"}]},
        "effectiveDateTime": "2020-05-01T10:00:00+00:00",
        **value,
    }


def report(rid: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "0000-0", "display": text}]},
        "subject": {"reference": f"urn:uuid:{PID}"},
        "encounter": {"reference": f"urn:uuid:{EID}"},
        "effectiveDateTime": "2020-05-01T10:00:00+02:00",
        **extra,
    }


def only(result: ParseResult, table: str) -> dict[str, Any]:
    rows = result.rows[table]
    assert len(rows) == 1, result.quarantine
    return rows[0]


# --- references ---


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("urn:uuid:abc-1", "abc-1"),
        ("Patient/abc-1", "abc-1"),
        ("Patient/abc-1/_history/3", "abc-1"),
        ("https://fhir.example.org/r4/Patient/abc-1", "abc-1"),
        ("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999999799", "9999999799"),
        ("Organization?identifier=https://github.com/synthetichealth/synthea|83a08dcf", "83a08dcf"),
        ("Practitioner?identifier=http%3A%2F%2Fhl7.org%2Ffhir%2Fsid%2Fus-npi%7C42", "42"),
        ("Location?name=x&identifier=sys|loc-9", "loc-9"),
        ("urn:uuid:", None),
    ],
)
def test_reference_id(reference: str, expected: str | None) -> None:
    assert reference_id(reference) == expected


def test_binary_id_only_for_binary_urls() -> None:
    assert binary_id("urn:uuid:bin-1") == "bin-1"
    assert binary_id("Binary/bin-1") == "bin-1"
    assert binary_id("https://host/fhir/Binary/bin-1") == "bin-1"
    assert binary_id("https://host/notes/report.pdf") is None


def test_conditional_references_keep_the_identifier_value() -> None:
    participant = {
        "individual": {"reference": "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999999799"}
    }
    row = only(parse(encounter(participant=[participant])), "encounter")
    assert row["provider_id"] == "9999999799"
    assert row["patient_id"] == PID
    assert row["source_file"] == "b.json"
    assert "ingest_timestamp" not in row


# --- timestamps ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-05-01T10:00:00-04:00", dt.datetime(2020, 5, 1, 14, 0, tzinfo=UTC)),
        ("2020-05-01T23:30:00+05:30", dt.datetime(2020, 5, 1, 18, 0, tzinfo=UTC)),
        ("2020-05-01T10:00:00Z", dt.datetime(2020, 5, 1, 10, 0, tzinfo=UTC)),
        ("2020-05-01T10:00:00.392+00:00", dt.datetime(2020, 5, 1, 10, 0, 0, 392000, tzinfo=UTC)),
        ("2020-05-01", dt.datetime(2020, 5, 1, tzinfo=UTC)),
        ("2020-05", dt.datetime(2020, 5, 1, tzinfo=UTC)),
        ("2020", dt.datetime(2020, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_datetime_to_utc(text: str, expected: dt.datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2020-13", "2020-02-30", "20200501", "2020-W01", "\uff12\uff10\uff12\uff10"]
)
def test_parse_datetime_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(text)


def test_parse_date_partial_and_full() -> None:
    assert parse_date("1980-02-29") == dt.date(1980, 2, 29)
    assert parse_date("1980-07") == dt.date(1980, 7, 1)
    assert parse_date("1980") == dt.date(1980, 1, 1)
    with pytest.raises(ValueError):
        parse_date("1980-02-29T10:00:00Z")


def test_timestamps_with_offsets_and_partial_dates_in_rows() -> None:
    result = parse(
        patient(birthDate="1980"),
        encounter(),
        {
            "resourceType": "Condition",
            "id": "c1",
            "subject": {"reference": f"urn:uuid:{PID}"},
            "onsetDateTime": "2019-03",
            "abatementPeriod": {"end": "2019-04-02"},
        },
    )
    assert only(result, "patient")["birth_date"] == dt.date(1980, 1, 1)
    enc = only(result, "encounter")
    assert enc["start_date"] == dt.datetime(2020, 5, 1, 14, 0, tzinfo=UTC)
    assert enc["end_date"] == dt.datetime(2020, 5, 1, 10, 30, tzinfo=UTC)
    cond = only(result, "condition")
    assert cond["onset_date"] == dt.datetime(2019, 3, 1, tzinfo=UTC)
    assert cond["abatement_date"] == dt.datetime(2019, 4, 2, tzinfo=UTC)
    assert cond["encounter_id"] is None


def test_bad_date_quarantines_the_resource_naming_the_field() -> None:
    result = parse(patient(), encounter(period={"start": "05/01/2020"}))
    assert result.rows["encounter"] == []
    assert result.quarantine == [
        QuarantineRecord("b.json", 1, "Encounter", "encounter", ReasonCode.BAD_DATE, "period.start")
    ]
    assert result.seen["encounter"] == 1
    assert len(result.rows["patient"]) == 1


# --- patient ---


def test_patient_race_text_else_omb_display_and_deceased() -> None:
    race = {
        "url": codes.US_CORE_RACE,
        "extension": [
            {"url": "ombCategory", "valueCoding": {"code": "2106-3", "display": "White"}},
            {"url": "text", "valueString": "White European"},
        ],
    }
    ethnicity = {
        "url": codes.US_CORE_ETHNICITY,
        "extension": [{"url": "ombCategory", "valueCoding": {"code": "2186-5", "display": "Not Hispanic"}}],
    }
    row = only(
        parse(
            patient(
                extension=[race, ethnicity],
                address=[{"city": "Boston", "state": "MA", "postalCode": "02118"}],
                deceasedDateTime="2021-01-02T03:04:05-05:00",
            )
        ),
        "patient",
    )
    assert (row["race"], row["ethnicity"]) == ("White European", "Not Hispanic")
    assert (row["city"], row["state"], row["zip"]) == ("Boston", "MA", "02118")
    assert row["deceased"] is True
    assert row["deceased_date"] == dt.datetime(2021, 1, 2, 8, 4, 5, tzinfo=UTC)
    assert only(parse(patient(deceasedBoolean=True)), "patient")["deceased"] is True
    assert only(parse(patient()), "patient")["deceased"] is False


# --- notes ---


def test_inline_note_decodes_with_soap_flags_and_counts() -> None:
    row = only(parse(document({"contentType": "text/plain", "data": b64(NOTE)})), "soap_note")
    assert row["note_text"] == NOTE
    assert (row["has_subjective"], row["has_objective"], row["has_assessment"], row["has_plan"]) == (
        True,
        False,
        True,
        True,
    )
    assert row["char_count"] == len(NOTE)
    assert row["word_count"] == 13  # "#" markers count as words, as str.split does
    assert row["encounter_id"] == EID
    assert row["patient_id"] == PID
    assert row["note_date"] == dt.datetime(2020, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert row["binary_id"] is None


def test_base64_with_line_breaks_decodes() -> None:
    wrapped = "\n".join(b64(NOTE)[i : i + 76] for i in range(0, len(b64(NOTE)), 76)) + "\r\n"
    assert "\n" in wrapped
    assert only(parse(document({"data": wrapped})), "soap_note")["note_text"] == NOTE


@pytest.mark.parametrize("url", ["urn:uuid:bin-7", "Binary/bin-7"])
def test_note_text_from_a_referenced_binary(url: str) -> None:
    binary = {"resourceType": "Binary", "id": "bin-7", "contentType": "text/plain", "data": b64(NOTE)}
    row = only(parse(document({"contentType": "text/plain", "url": url}), binary), "soap_note")
    assert row["note_text"] == NOTE
    assert row["binary_id"] == "bin-7"
    assert row["has_plan"] is True


def test_bad_base64_quarantines_only_that_note() -> None:
    good = document({"data": b64(NOTE)}, rid="doc-good")
    bad = document({"data": "this is not base64!"}, rid="doc-bad")
    result = parse(patient(), bad, good)
    assert [r["note_id"] for r in result.rows["soap_note"]] == ["doc-good"]
    assert len(result.rows["patient"]) == 1
    assert result.quarantine == [
        QuarantineRecord(
            "b.json", 1, "DocumentReference", "soap_note", ReasonCode.BAD_BASE64, "content[0].attachment.data"
        )
    ]
    assert result.seen["soap_note"] == 2


def test_bad_base64_in_a_referenced_binary_is_quarantined() -> None:
    binary = {"resourceType": "Binary", "id": "bin-7", "data": "%%%"}
    result = parse(document({"url": "Binary/bin-7"}), binary)
    assert result.rows["soap_note"] == []
    assert [q.reason for q in result.quarantine] == [ReasonCode.BAD_BASE64]
    assert "Binary" in result.quarantine[0].detail


def test_note_without_encounter_is_a_missing_reference() -> None:
    doc = document({"data": b64(NOTE)})
    del doc["context"]
    result = parse(doc)
    assert [(q.reason, q.detail) for q in result.quarantine] == [
        (ReasonCode.MISSING_REFERENCE, "context.encounter[0]")
    ]


# --- file-level quarantine ---


@pytest.mark.parametrize(
    ("data", "reason", "detail"),
    [
        (b"", ReasonCode.EMPTY_FILE, "file"),
        (b"  \n\t", ReasonCode.EMPTY_FILE, "file"),
        (b"\xef\xbb\xbf", ReasonCode.EMPTY_FILE, "file"),
        (b'{"resourceType": "Bundle", "entry": [', ReasonCode.INVALID_JSON, "file"),
        (b"not json at all", ReasonCode.INVALID_JSON, "file"),
        (b'{"resourceType": "Bundle", "entry": [{"x": "\xff\xfe"}]}', ReasonCode.NOT_UTF8, "file"),
        ('{"resourceType": "Bundle"}'.encode("utf-16"), ReasonCode.NOT_UTF8, "file"),
        (b'{"resourceType": "Patient", "id": "p"}', ReasonCode.NOT_A_BUNDLE, "resourceType"),
        (b"[1, 2, 3]", ReasonCode.NOT_A_BUNDLE, "resourceType"),
        (b'{"resourceType": "Bundle", "entry": {"resource": {}}}', ReasonCode.NOT_A_BUNDLE, "entry"),
    ],
)
def test_bad_files_become_one_quarantine_record(data: bytes, reason: ReasonCode, detail: str) -> None:
    result = parse_bundle(data, source_file="bad.json")
    assert result.quarantine == [QuarantineRecord("bad.json", None, None, None, reason, detail)]
    assert all(rows == [] for rows in result.rows.values())
    assert sum(result.seen.values()) == 0
    assert result.files == 1


def test_bom_is_tolerated() -> None:
    result = parse_bundle(b"\xef\xbb\xbf" + bundle(patient()), source_file="bom.json")
    assert result.quarantine == []
    assert len(result.rows["patient"]) == 1


def test_bundles_without_entries_yield_nothing() -> None:
    for data in (b'{"resourceType": "Bundle", "type": "collection"}', bundle(raw_entries=[])):
        result = parse_bundle(data, source_file="empty.json")
        assert result.quarantine == []
        assert all(rows == [] for rows in result.rows.values())


# --- resource-level quarantine ---


def test_missing_id_and_wrong_types_are_quarantined_others_kept() -> None:
    no_id = patient()
    del no_id["id"]
    wrong_code = observation("o-wrong", "8867-4")
    wrong_code["code"] = "8867-4"
    wrong_value = observation("o-value", "8867-4", valueQuantity={"value": "72", "unit": "/min"})
    good = observation("o-good", "8867-4", valueQuantity={"value": 72, "unit": "/min"})
    result = parse_bundle(
        bundle(
            raw_entries=[
                entry(no_id, "urn:uuid:p0"),
                entry(wrong_code),
                "not an entry",
                {"resource": ["not", "a", "resource"]},
                entry(wrong_value),
                entry(good),
                entry({"resourceType": "Claim", "id": "claim-1"}),
                {"request": {"method": "DELETE", "url": "Patient/x"}},
            ]
        ),
        source_file="b.json",
    )
    assert result.quarantine == [
        QuarantineRecord("b.json", 0, "Patient", "patient", ReasonCode.MISSING_ID, "id"),
        QuarantineRecord("b.json", 1, "Observation", "observation", ReasonCode.WRONG_TYPE, "code"),
        QuarantineRecord("b.json", 2, None, None, ReasonCode.WRONG_TYPE, "entry"),
        QuarantineRecord("b.json", 3, None, None, ReasonCode.WRONG_TYPE, "resource"),
        QuarantineRecord(
            "b.json", 4, "Observation", "observation", ReasonCode.WRONG_TYPE, "valueQuantity.value"
        ),
    ]
    row = only(result, "observation")
    assert (row["observation_id"], row["value"], row["unit"]) == ("o-good", 72.0, "/min")
    assert type(row["value"]) is float
    assert result.seen["observation"] == 3
    assert result.seen["patient"] == 1


def test_quarantine_detail_never_carries_a_value() -> None:
    secret = "Jane-Secret-Doe-123"
    bad = patient(id=secret, gender=[secret], birthDate=secret)
    result = parse(bad, document({"data": secret + "!!"}, rid=secret))
    assert len(result.quarantine) == 2
    for q in result.quarantine:
        assert secret not in q.detail


def test_missing_subject_is_a_missing_reference() -> None:
    obs = observation("o1", "8867-4")
    del obs["subject"]
    result = parse(obs)
    assert [(q.reason, q.detail) for q in result.quarantine] == [(ReasonCode.MISSING_REFERENCE, "subject")]


# --- observation values ---


def test_observation_value_string_category_and_components() -> None:
    smoking = observation(
        "o-smoke",
        "72166-2",
        category=[{"coding": [{"code": "social-history"}]}],
        valueCodeableConcept={"coding": [{"code": "266919005"}], "text": "Never smoked"},
    )
    bp = observation(
        "o-bp",
        "85354-9",
        component=[
            {
                "code": {"coding": [{"code": "8480-6", "display": "Systolic"}]},
                "valueQuantity": {"value": 120},
            },
            {
                "code": {"text": "Diastolic"},
                "valueQuantity": {"value": 80.5, "unit": "mm[Hg]"},
            },
        ],
    )
    result = parse(smoking, bp)
    rows = {r["observation_id"]: r for r in result.rows["observation"]}
    assert rows["o-smoke"]["value_string"] == "Never smoked"
    assert rows["o-smoke"]["category"] == "social-history"
    assert rows["o-smoke"]["components_json"] is None
    assert rows["o-bp"]["components_json"] == (
        '[{"code":"8480-6","display":"Systolic","value":120.0,"unit":null},'
        '{"code":null,"display":"Diastolic","value":80.5,"unit":"mm[Hg]"}]'
    )


# --- medication ---


def test_medication_reference_resolves_in_the_bundle() -> None:
    medication = {
        "resourceType": "Medication",
        "id": "med-1",
        "code": {"coding": [{"code": "1535362", "display": "sodium fluoride 0.0272 MG/MG Oral Gel"}]},
    }
    by_urn = {
        "resourceType": "MedicationRequest",
        "id": "mr-1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"urn:uuid:{PID}"},
        "medicationReference": {"reference": "urn:uuid:med-1"},
        "authoredOn": "2020-01-02T03:04:05+01:00",
        "dosageInstruction": [{"text": "twice daily"}],
    }
    by_type = {**by_urn, "id": "mr-2", "medicationReference": {"reference": "Medication/med-1"}}
    missing = {**by_urn, "id": "mr-3", "medicationReference": {"reference": "urn:uuid:gone", "display": "X"}}
    concept = {
        **by_urn,
        "id": "mr-4",
        "medicationReference": None,
        "medicationCodeableConcept": {"coding": [{"code": "849574"}], "text": "Naproxen"},
    }
    result = parse(by_urn, by_type, missing, concept, medication)
    rows = {r["medication_request_id"]: r for r in result.rows["medication_request"]}
    assert (rows["mr-1"]["code"], rows["mr-1"]["display"]) == (
        "1535362",
        "sodium fluoride 0.0272 MG/MG Oral Gel",
    )
    assert rows["mr-2"]["code"] == "1535362"
    assert (rows["mr-3"]["code"], rows["mr-3"]["display"]) == (None, "X")
    assert (rows["mr-4"]["code"], rows["mr-4"]["display"]) == ("849574", "Naproxen")
    assert rows["mr-1"]["authored_on"] == dt.datetime(2020, 1, 2, 2, 4, 5, tzinfo=UTC)
    assert rows["mr-1"]["dosage_text"] == "twice daily"
    assert result.rows["patient"] == []  # Medication itself is not a row


# --- ECG ---


def test_ecg_values_come_from_result_observations() -> None:
    results = [
        observation("ecg-rhythm", "8893-1", valueCodeableConcept={"coding": [{"display": "Sinus rhythm"}]}),
        observation("ecg-hr", "8867-4", valueQuantity={"value": 64, "unit": "/min"}),
        observation("ecg-pr", "8625-6", valueQuantity={"value": 160.0, "unit": "ms"}),
        observation("ecg-qrs", "8633-4", valueQuantity={"value": 92, "unit": "ms"}),
    ]
    ecg = report(
        "ecg-1",
        "12 lead EKG panel",
        conclusion="Normal sinus rhythm",
        result=[{"reference": "urn:uuid:" + o["id"]} for o in results[:2]]
        + [{"reference": "Observation/" + o["id"]} for o in results[2:]],
        presentedForm=[{"contentType": "application/pdf", "url": "Binary/wave-1"}],
    )
    result = parse(ecg, *results)  # results after the report: resolved by index
    row = only(result, "ecg_metadata")
    assert row["rhythm"] == "Sinus rhythm"
    assert (row["heart_rate_bpm"], row["pr_interval_ms"], row["qrs_duration_ms"]) == (64.0, 160.0, 92.0)
    assert (row["has_waveform"], row["waveform_binary_id"]) == (True, "wave-1")
    assert row["conclusion"] == "Normal sinus rhythm"
    assert row["report_date"] == dt.datetime(2020, 5, 1, 8, 0, tzinfo=UTC)
    assert len(result.rows["observation"]) == 4
    assert result.seen["ecg_metadata"] == 1


def test_ecg_by_category_with_qrs_alternative_code_and_no_waveform() -> None:
    ecg = report(
        "ecg-2",
        "Cardiac study",
        category=[{"coding": [{"code": "EC", "display": "Electrocardiogram"}]}],
        result=[{"reference": "urn:uuid:q"}],
        presentedForm=[{"contentType": "text/plain", "data": b64("report text")}],
    )
    qrs = observation("q", "8625-2", valueQuantity={"value": 100})
    row = only(parse(ecg, qrs), "ecg_metadata")
    assert row["qrs_duration_ms"] == 100.0
    assert row["heart_rate_bpm"] is None
    assert (row["has_waveform"], row["waveform_binary_id"]) == (False, None)


# --- genomics ---


@pytest.mark.parametrize(
    ("conclusion", "expected"),
    [
        ("No pathogenic variants detected.", False),
        ("Pathogenic variant detected in BRCA1.", True),
        ("Likely pathogenic variant identified in MLH1", True),
        ("Benign variant observed.", False),
        ("Variant not detected.", False),
        ("Negative for pathogenic variants in the panel.", False),
        ("Pathogenic variant not identified", False),
        ("Pathogenic variants: negative", False),
        ("Non-pathogenic polymorphism found", False),
        ("Variant of uncertain significance; no pathogenic variants detected", False),
        ("No family history reported; heterozygous pathogenic variant in CFTR detected", True),
        ("Likely pathogenic variant detected, negative for other genes", True),
        ("No pathogenic or likely pathogenic variants were found", False),
        (None, None),
    ],
)
def test_pathogenic_variant_is_negation_aware(conclusion: str | None, expected: bool | None) -> None:
    assert codes.has_pathogenic_variant(conclusion) is expected


@pytest.mark.parametrize(
    ("text", "genomic"),
    [
        ("Genetic analysis summary panel", True),
        ("Master HL7 genetic variant reporting panel", True),
        ("Hereditary cancer gene panel by Sequencing", True),
        ("Germline mutation analysis", True),
        ("BRCA1 DNA analysis", True),
        ("Respiratory pathogens DNA and RNA panel - Respiratory specimen by NAA with probe detection", False),
        ("Chlamydia trachomatis DNA [Presence] in Urine by NAA with probe detection", False),
        ("Hepatitis B virus DNA [Units/volume] in Serum", False),
        ("SARS-CoV-2 variant [Type] in Specimen by Sequencing", False),
        ("HIV 1 RNA [Copies/volume] in Plasma", False),
        ("Lipid panel with direct LDL", False),
        ("Gas panel - Arterial blood", False),
    ],
)
def test_genomic_classification_excludes_infectious_tests(text: str, genomic: bool) -> None:
    assert codes.is_genomic_text(text.lower()) is genomic


def test_genomic_report_row() -> None:
    gen = report(
        "gen-1",
        "Genetic analysis summary panel",
        conclusion="Likely pathogenic variant in BRCA2. Family history of breast cancer.",
        presentedForm=[{"url": "urn:uuid:bin-g"}],
    )
    pathogen = report(
        "path-1",
        "Respiratory pathogens DNA and RNA panel - Respiratory specimen by NAA with probe detection",
        category=[{"coding": [{"code": "LAB"}]}],
    )
    lab = report("lab-1", "Lipid panel with direct LDL - Serum or Plasma")
    result = parse(gen, pathogen, lab)
    row = only(result, "genomic_report")
    assert row["gene_panel_name"] == "Genetic analysis summary panel"
    assert row["has_pathogenic_variant"] is True
    assert row["family_history_flag"] is True
    assert row["binary_id"] == "bin-g"
    assert row["data_limitation"] == GENOMIC_DATA_LIMITATION
    assert result.seen["genomic_report"] == 1  # the pathogen panel and lab report are not counted
    assert result.rows["ecg_metadata"] == []


def test_genomic_negative_report_row() -> None:
    gen = report("gen-2", "Germline panel", conclusion="No pathogenic variants detected.")
    row = only(parse(gen), "genomic_report")
    assert (row["has_pathogenic_variant"], row["family_history_flag"]) == (False, False)


# --- imaging + DICOM ---

UID = "1.2.840.99999999.23127110.1571796115392"


def imaging(uid: str = UID) -> dict[str, Any]:
    return {
        "resourceType": "ImagingStudy",
        "id": "img-1",
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:oid:{uid}"}],
        "status": "available",
        "subject": {"reference": f"urn:uuid:{PID}"},
        "encounter": {"reference": f"urn:uuid:{EID}"},
        "started": "2019-10-23T02:01:55+00:00",
        "description": "FHIR description",
        "series": [
            {
                "uid": "1.2.3",
                "modality": {"code": "MR", "display": "Magnetic Resonance"},
                "bodySite": {"code": "12738006", "display": "Brain"},
                "description": "FHIR series",
                "numberOfInstances": 2,
            },
            {
                "uid": "1.2.4",
                "modality": {"code": "MR"},
                "instance": [{"uid": "a"}, {"uid": "b"}, {"uid": "c"}],
            },
        ],
    }


def test_imaging_study_without_dicom() -> None:
    row = only(parse(imaging()), "imaging_study")
    assert (row["modality"], row["body_site"], row["body_site_display"]) == ("MR", "12738006", "Brain")
    assert (row["series_count"], row["instance_count"]) == (2, 5)
    assert row["dicom_extracted"] is False
    assert row["dicom_binary_id"] is None
    assert (row["study_description"], row["series_description"]) == ("FHIR description", "FHIR series")
    assert row["rows"] is None


def test_imaging_study_enriched_from_the_dicom_mapping() -> None:
    header = DicomHeader(
        study_instance_uid=UID,
        study_description=None,
        series_description="T1 axial",
        study_date=dt.date(2019, 10, 23),
        manufacturer=None,
        magnetic_field_strength=1.5,
        slice_thickness_mm=5.0,
        rows=256,
        columns=256,
        modality="OT",
    )
    result = parse(imaging(), dicom={UID: header, "9.9.9": header})
    row = only(result, "imaging_study")
    assert row["dicom_extracted"] is True
    assert row["dicom_binary_id"] == UID
    assert row["modality"] == "MR"  # FHIR's modality stands over DICOM's OT
    assert row["study_description"] == "FHIR description"  # DICOM placeholder (null) -> FHIR's text
    assert row["series_description"] == "T1 axial"
    assert (row["rows"], row["columns"], row["slice_thickness_mm"]) == (256, 256, 5.0)
    assert row["magnetic_field_strength"] == 1.5
    assert row["study_date"] == dt.date(2019, 10, 23)
    other = only(parse(imaging("1.2.3.4.5"), dicom={UID: header}), "imaging_study")
    assert other["dicom_extracted"] is False


# --- parse_files ---


def test_parse_files_extends_one_result(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(bundle(patient()))
    (tmp_path / "b.json").write_bytes(b"{")
    result = parse_files([(tmp_path / "a.json", "a.json"), (tmp_path / "b.json", "b.json")])
    assert result.files == 2
    assert [r["source_file"] for r in result.rows["patient"]] == ["a.json"]
    assert [(q.source_file, q.reason) for q in result.quarantine] == [("b.json", ReasonCode.INVALID_JSON)]


def test_parser_imports_no_engine_and_results_pickle() -> None:
    code = (
        "import sys, scribe_lakehouse.fhir.parser\n"
        "print(sorted(m for m in ('polars', 'deltalake', 'pyspark', 'pydicom') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    result = parse(patient(), encounter(period={"start": "bad"}))
    clone = pickle.loads(pickle.dumps(result))
    assert clone.rows == result.rows
    assert clone.quarantine == result.quarantine


def test_epoch_micros_equals_the_utc_datetime_exactly() -> None:
    """The typed path's integer timestamps (fhir.dates.epoch_micros) are parse_datetime's instants, to the
    microsecond: before and after 1970, with and without fractions and offsets, partial dates; and it
    rejects what parse_datetime rejects."""
    epoch, micro = dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.timedelta(microseconds=1)
    rnd = random.Random(7)
    values = ["2020", "2020-05", "2020-05-01", "1969-12-31T23:59:59.999999Z", "2020-05-01T10:00:00.1234567Z"]
    for _ in range(20_000):
        micros = rnd.randrange(200 * 365 * 86_400 * 10**6)
        instant = dt.datetime(1900, 1, 1) + dt.timedelta(microseconds=micros)
        digits = rnd.choice([0, 1, 3, 6])
        fraction = "." + f"{instant.microsecond:06d}"[:digits] if digits else ""
        offset = rnd.choice(["Z", "+00:00", "-04:00", "+05:30", "", "-11:45"])
        values.append(instant.strftime("%Y-%m-%dT%H:%M:%S") + fraction + offset)
    for value in values:
        assert epoch_micros(value) == (parse_datetime(value) - epoch) // micro, value
    for bad in ("2020-13-01", "20200501", "2020-W01", "May 2020"):
        with pytest.raises(ValueError):
            parse_datetime(bad)
        with pytest.raises(ValueError):
            epoch_micros(bad)
