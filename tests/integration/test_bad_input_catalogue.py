"""The bad-input catalogue (docs/RELIABILITY.md) end to end: a generated 100-patient corpus plus one file
or resource per catalogue entry is landed and run through the real CLI once; each entry's outcome (a row,
a quarantine reason or one clear line) is asserted, and every row of the good corpus is kept exactly as a
run of the good corpus alone writes it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from builders import NOTE, bundle, condition, encounter, note, patient, vital
from lakehouse_io import CliResult, corpus_identifiers, run_cli, snapshot
from scribe_lakehouse.bronze.landing import Manifest, land
from scribe_lakehouse.fhir.columnar import ColumnarResult, add_bundle
from scribe_lakehouse.local.pipeline import run
from scribe_lakehouse.registry import SILVER_TABLES
from scribe_lakehouse.synth import generate

pytestmark = pytest.mark.integration

UUID = "0b1c2d3e-1111-2222-3333-444455556666"
NOTE_CHARS = 50_000_000
BIG_NOTE_PARAGRAPH = "The patient reports intermittent cough and fatigue over several weeks. "
UID_TRUNCATED = "1.2.840.99999999.7.1"
UID_NOT_DICOM = "1.2.840.99999999.7.2"
MAX_RSS_MB = 2048  # the product's peak-RSS budget (SPEC §6)

# file names: each catalogue entry in its own bundle (sorted names decide cohorts and the dupe winner)
F_RESOURCES = f"Bad1_Resources2_{UUID}.json"
F_EMPTY = f"Empty1_File2_{UUID}.json"
F_TRUNCATED = f"Truncated1_Json2_{UUID}.json"
F_BOM = f"Bom1_Bundle2_{UUID}.json"
F_LATIN1 = f"Latin1_Bytes2_{UUID}.json"
F_ARRAY = f"Array1_Json2_{UUID}.json"
F_SINGLE = f"Single1_Resource2_{UUID}.json"
F_NO_ENTRIES = f"NoEntries1_Bundle2_{UUID}.json"
F_DUPE_FIRST = f"Dupe1_First2_{UUID}.json"
F_DUPE_SECOND = f"Dupe1_Second2_{UUID}.json"
F_BIG = f"Big1_Note2_{UUID}.json"
F_NFD = f"Jose\u0301_Nun\u0303ez_{UUID}.json"  # decomposed accents: lands under its NFC name
F_DOTS = f"Dots1..Name2_{UUID}.json"
F_RTL = f"Rtl1_\u202eNosj_{UUID}.json"  # a right-to-left override hides the real extension
F_BAD_BYTES = f"Bytes1_\udcff_{UUID}.json"  # not UTF-8 on disk (0xff), as Python lists it
REJECTED = (F_DOTS, F_RTL, F_BAD_BYTES)
# the files the typed fast path declines (the orjson path then keeps every row it can); every other
# catalogue file is parsed on the fast path (the Latin-1 file is quarantined before either decoder)
TYPED_DECLINES = (F_RESOURCES, F_EMPTY, F_TRUNCATED, F_ARRAY, F_SINGLE)


def _ref(rid: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{rid}"}


def imaging(sid: str, pid: str, eid: str, uid: str) -> dict[str, Any]:
    return {
        "resourceType": "ImagingStudy",
        "id": sid,
        "status": "available",
        "subject": _ref(pid),
        "encounter": _ref(eid),
        "identifier": [{"use": "official", "system": "urn:ietf:rfc:3986", "value": f"urn:oid:{uid}"}],
        "started": "2020-05-01T10:00:00-05:00",
        "series": [
            {
                "uid": f"{uid}.1",
                "modality": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "MR"},
                "bodySite": {"system": "http://snomed.info/sct", "code": "12738006", "display": "Brain"},
                "instance": [{"uid": f"{uid}.1.1"}],
            }
        ],
    }


def _mime(text: str) -> str:
    """base64 broken into 76-character lines, as MIME writers do."""
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return "\n".join(data[i : i + 76] for i in range(0, len(data), 76))


def resources_bundle() -> dict[str, Any]:
    """Good and bad resources side by side: partial dates, offsets, line-broken and invalid base64, a
    resource without id, unknown types, a patient in no bundle, and studies whose DICOM is broken."""
    no_id = vital("x", "pc1", "ec1", "8867-4", 70.0, "2020-05-01T10:00:00-05:00")
    del no_id["id"]
    orphan = vital("oc-orphan", "p-ghost", "ec1", "8867-4", 71.0, "2020-05-01T10:05:00-05:00")
    resources = [
        patient("pc1", birth="1980"),
        encounter("ec1", "pc1", "2020-05-01T10:00:00-05:00"),
        encounter("ec2", "pc1", "2021-03-04T23:30:00+09:30"),
        condition("cc1", "pc1", "ec1", "Acute bronchitis", onset="2020", abatement="2020-05"),
        note("nc1", "pc1", "ec1", "2020-05-01T10:00:00-05:00", data=_mime(NOTE)),
        note("nc2", "pc1", "ec2", "2021-03-04T23:30:00+09:30", data="@@not*base64@@"),
        no_id,
        {"resourceType": "MadeUpThing", "id": "mu1", "subject": _ref("pc1")},
        {"resourceType": "Claim", "id": "cl1", "patient": _ref("pc1")},
        orphan,
        imaging("ic-trunc", "pc1", "ec1", UID_TRUNCATED),
        imaging("ic-nondicom", "pc1", "ec1", UID_NOT_DICOM),
    ]
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"fullUrl": f"urn:uuid:{r.get('id', 'none')}", "resource": r} for r in resources],
    }


def big_note_text() -> str:
    head = NOTE
    body = BIG_NOTE_PARAGRAPH * ((NOTE_CHARS - len(head)) // len(BIG_NOTE_PARAGRAPH) + 1)
    return (head + body)[:NOTE_CHARS]


def write_catalogue(fhir: Path, dicom: Path, good_dicom: Path) -> None:
    def put(name: str, content: bytes) -> None:
        (fhir / name).write_bytes(content)

    def js(doc: object) -> bytes:
        return json.dumps(doc).encode("utf-8")

    put(F_RESOURCES, js(resources_bundle()))
    put(F_EMPTY, b"")
    put(F_TRUNCATED, js(bundle(patient("pt1")))[:60])
    put(F_BOM, b"\xef\xbb\xbf" + js(bundle(patient("pb1"), encounter("eb1", "pb1", "2019-07-01"))))
    put(F_LATIN1, b'{"resourceType": "Bundle", "entry": [], "note": "caf\xe9"}')
    put(F_ARRAY, js([bundle(patient("pa1"))]))
    put(F_SINGLE, js(patient("ps1")))
    put(F_NO_ENTRIES, js({"resourceType": "Bundle", "type": "transaction", "entry": []}))
    first = encounter("ed1", "pd1", "2018-02-02T08:00:00Z")
    second = {**first, "status": "in-progress"}
    put(F_DUPE_FIRST, js(bundle(patient("pd1", gender="male"), first)))
    put(F_DUPE_SECOND, js(bundle(patient("pd1", gender="female"), second)))
    big = bundle(
        patient("pbig"),
        encounter("ebig", "pbig", "2022-01-01T09:00:00Z"),
        note("nbig", "pbig", "ebig", "2022-01-01T09:00:00Z", text=big_note_text()),
    )
    put(F_BIG, js(big))
    put(F_NFD, js(bundle(patient("pu1"), encounter("eu1", "pu1", "2021-01-01T09:00:00Z"))))
    for name in (F_DOTS, F_RTL):
        put(name, js(bundle(patient("prej"))))
    bad_bytes = os.fsencode(fhir / F_BAD_BYTES)
    with open(bad_bytes, "wb") as fh:
        fh.write(js(bundle(patient("prej"))))
    good = good_dicom.read_bytes()
    (dicom / f"Bad1_Dicom2_{UUID}{UID_TRUNCATED}.dcm").write_bytes(good[: len(good) // 2])
    (dicom / f"Bad1_Dicom2_{UUID}{UID_NOT_DICOM}.dcm").write_bytes(b"not a DICOM file\n" * 64)


@dataclass(frozen=True)
class Catalogue:
    root: Path
    source: Path
    good_files: frozenset[str]
    reference: dict[str, pl.DataFrame]
    ingest: CliResult
    run: CliResult
    frames: dict[str, pl.DataFrame]  # every table after the run

    def table(self, name: str) -> pl.DataFrame:
        return self.frames[name]


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    tmp = tmp_path_factory.mktemp("catalogue")
    good = tmp / "good"
    generate(good, patients=100, seed=11, dicom=True, scale=0.05)
    reference_root = tmp / "reference"
    land(good, reference_root, kinds=["fhir", "dicom"])
    run(reference_root, gold=False)
    source = tmp / "source"
    shutil.copytree(good, source)
    good_dicom = sorted((good / "dicom").glob("*.dcm"))[0]
    write_catalogue(source / "fhir", source / "dicom", good_dicom)
    root = tmp / "lh"
    ingest = run_cli("ingest", "--source", str(source), "--with-dicom", "--json", "--root", str(root))
    result = run_cli("run", "--json", "--root", str(root))
    return Catalogue(
        root=root,
        source=source,
        good_files=frozenset(p.name for p in (good / "fhir").glob("*.json")),
        reference=snapshot(reference_root, gold=False),
        ingest=ingest,
        run=result,
        frames=snapshot(root),
    )


def test_ingest_lands_safe_names_and_rejects_unsafe_ones_in_one_line(catalogue: Catalogue) -> None:
    assert catalogue.ingest.returncode == 0, catalogue.ingest.stderr[-2000:]
    summary = json.loads(catalogue.ingest.stdout)
    assert summary["rejected"] == 3
    rejected_lines = [line for line in catalogue.ingest.lines if "unsafe" in line]
    assert len(rejected_lines) == 1 and "rejected 3 file(s) with unsafe names" in rejected_lines[0]
    names = {e.name for e in Manifest.load(catalogue.root).entries}
    assert "Jos\u00e9_Nu\u00f1ez_" + UUID + ".json" in names  # NFC
    assert not names & set(REJECTED)
    landed = [p for p in catalogue.root.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(catalogue.root.resolve()) for p in landed)
    assert not any(p.name.endswith(".part") for p in landed)


def test_run_finishes_and_only_referential_integrity_fails(catalogue: Catalogue) -> None:
    assert catalogue.run.returncode == 1, catalogue.run.stderr[-2000:]  # exit 1: validation failed
    summary = json.loads(catalogue.run.stdout)
    failed = {(t["table"], rule) for t in summary["validation"] for rule in t["failed_checks"]}
    assert failed == {("observation", "patient_exists")}
    observation = next(t for t in summary["validation"] if t["table"] == "observation")
    check = next(c for c in observation["checks"] if c["rule"] == "patient_exists")
    assert check["observed"] == "1 orphan(s)" and check["expected"] == "every patient_id in patient"
    assert all(t["reconciles"] for t in summary["tables"])
    reconciles = {
        c["passed"] for t in summary["validation"] for c in t["checks"] if c["rule"] == "reconciles"
    }
    assert reconciles == {True}
    assert summary["gold"]["changed"] is True
    assert any("validation failed for 1 table(s): observation" in line for line in catalogue.run.lines)


def test_quarantine_names_every_bad_file_and_resource(catalogue: Catalogue) -> None:
    got = catalogue.table("quarantine").select(
        "source_file", "entry_index", "resource_type", "reason", "detail"
    )
    expected = pl.DataFrame(
        {
            "source_file": [F_ARRAY, F_RESOURCES, F_RESOURCES, F_EMPTY, F_LATIN1, F_SINGLE, F_TRUNCATED],
            "entry_index": [None, 5, 6, None, None, None, None],
            "resource_type": [None, "DocumentReference", "Observation", None, None, None, None],
            "reason": [
                "not_a_bundle",
                "bad_base64",
                "missing_id",
                "empty_file",
                "not_utf8",
                "not_a_bundle",
                "invalid_json",
            ],
            "detail": [
                "resourceType",
                "content[0].attachment.data",
                "id",
                "file",
                "file",
                "resourceType",
                "file",
            ],
        },
        schema=got.schema,
    )
    assert_frame_equal(got.sort("source_file", "entry_index"), expected.sort("source_file", "entry_index"))


def test_every_row_of_the_good_corpus_is_kept(catalogue: Catalogue) -> None:
    frames = catalogue.frames
    for table, reference in catalogue.reference.items():
        if table in ("quarantine", "processed_files"):
            continue
        assert reference.height > 0 or table in ("ecg_metadata", "genomic_report", "imaging_study")
        good = frames[table].filter(pl.col("source_file").is_in(list(catalogue.good_files)))
        assert_frame_equal(good, reference)


def test_bom_partial_dates_offsets_and_line_broken_base64_give_rows(catalogue: Catalogue) -> None:
    utc = "%Y-%m-%dT%H:%M%z"
    encounters = catalogue.table("encounter").filter(pl.col("encounter_id").is_in(["ec1", "ec2", "eb1"]))
    assert encounters.select("encounter_id", pl.col("start_date").dt.to_string(utc)).rows() == [
        ("eb1", "2019-07-01T00:00+0000"),  # from the file with a BOM
        ("ec1", "2020-05-01T15:00+0000"),  # -05:00
        ("ec2", "2021-03-04T14:00+0000"),  # +09:30
    ]
    cond = catalogue.table("condition").filter(pl.col("condition_id") == "cc1")
    assert cond.select(
        pl.col("onset_date").dt.to_string(utc), pl.col("abatement_date").dt.to_string(utc)
    ).rows() == [("2020-01-01T00:00+0000", "2020-05-01T00:00+0000")]
    pat = catalogue.table("patient").filter(pl.col("patient_id") == "pc1")
    assert pat.select(pl.col("birth_date").dt.to_string("%Y-%m-%d")).item() == "1980-01-01"
    nc1 = catalogue.table("soap_note").filter(pl.col("note_id") == "nc1")
    assert nc1.select("note_text", "has_subjective", "has_assessment", "has_plan").row(0) == (
        NOTE,
        True,
        True,
        True,
    )


def test_unknown_types_and_empty_bundles_are_skipped_not_quarantined(catalogue: Catalogue) -> None:
    silver = catalogue.frames
    ids = set()
    for table in ("patient", "encounter", "observation", "condition"):
        ids |= set(silver[table].get_column(silver[table].columns[0]).to_list())
    assert not {"mu1", "cl1"} & ids
    processed = silver["processed_files"].get_column("bronze_path").to_list()
    assert any(p.endswith(F_NO_ENTRIES) for p in processed)
    for table, frame in silver.items():
        if "source_file" in frame.columns:
            assert frame.filter(pl.col("source_file") == F_NO_ENTRIES).height == 0, table


def test_same_id_in_two_bundles_keeps_the_later_landed_one(catalogue: Catalogue) -> None:
    enc = catalogue.table("encounter").filter(pl.col("encounter_id") == "ed1")
    assert enc.select("status", "source_file").rows() == [("in-progress", F_DUPE_SECOND)]
    pat = catalogue.table("patient").filter(pl.col("patient_id") == "pd1")
    assert pat.select("gender", "source_file").rows() == [("female", F_DUPE_SECOND)]


def test_reference_to_a_patient_in_no_bundle_keeps_the_row(catalogue: Catalogue) -> None:
    obs = catalogue.table("observation").filter(pl.col("observation_id") == "oc-orphan")
    assert obs.select("patient_id", "encounter_id", "value").rows() == [("p-ghost", "ec1", 71.0)]


def test_a_50mb_note_is_kept_whole_within_the_memory_budget(catalogue: Catalogue) -> None:
    expected = big_note_text()
    soap = catalogue.table("soap_note").filter(pl.col("note_id") == "nbig")
    text, chars, words = soap.select("note_text", "char_count", "word_count").row(0)
    assert chars == NOTE_CHARS and len(text) == NOTE_CHARS
    assert hashlib.sha256(text.encode()).digest() == hashlib.sha256(expected.encode()).digest()
    assert words == len(expected.split())
    gold = catalogue.table("gold").filter(pl.col("encounter_id") == "ebig")
    assert len(gold.get_column("soap_note_text").item()) == NOTE_CHARS
    assert catalogue.run.max_rss_mb < MAX_RSS_MB


def test_broken_dicom_leaves_only_its_study_unenriched(catalogue: Catalogue) -> None:
    studies = catalogue.table("imaging_study")
    broken = studies.filter(pl.col("study_id").is_in(["ic-trunc", "ic-nondicom"]))
    assert broken.select("study_id", "dicom_extracted", "dicom_binary_id", "rows").sort(
        "study_id"
    ).rows() == [
        ("ic-nondicom", False, None, None),
        ("ic-trunc", False, None, None),
    ]
    assert studies.filter(pl.col("dicom_extracted")).height >= 1  # the good corpus's studies kept theirs
    assert any("DICOM index: 2 broken file(s) skipped" in line for line in catalogue.run.lines)


def test_catalogue_output_names_no_file_or_patient(catalogue: Catalogue) -> None:
    output = "".join(r.stdout + r.stderr for r in (catalogue.ingest, catalogue.run))
    identifiers = corpus_identifiers(catalogue.source) | {"pc1", "p-ghost", "nbig", "Jos\u00e9_Nu\u00f1ez"}
    assert len(identifiers) > 500
    assert sorted(i for i in identifiers if i in output) == []


def test_a_manifest_pointing_outside_bronze_is_refused_in_one_line(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.json").write_text(json.dumps(bundle(patient("p1"))))
    root = tmp_path / "lh"
    land(src, root)
    manifest_path = root / "bronze/_metadata/manifest.json"
    for bad in ("/etc/passwd", "bronze/fhir/../../../etc/passwd"):
        body = json.loads(manifest_path.read_text())
        body["files"][0]["path"] = bad
        manifest_path.write_text(json.dumps(body))
        result = run_cli("run", "--root", str(root))
        assert result.returncode == 1
        assert result.lines == [
            "error: Bronze manifest entry 0 points outside bronze/ (an absolute path or '..'): "
            "refusing to read it"
        ]


def test_validate_names_the_failed_rule_and_what_it_saw(catalogue: Catalogue) -> None:
    result = run_cli("validate", "--root", str(catalogue.root))
    assert result.returncode == 1
    assert "patient_exists (1 orphan(s))" in result.stdout
    assert result.stdout.count("FAIL") == 1


def _dupes(folder: Path, first_status: str = "finished") -> Path:
    fhir = folder / "fhir"
    fhir.mkdir(parents=True, exist_ok=True)
    first = encounter("ed1", "pd1", "2018-02-02T08:00:00Z")
    (fhir / F_DUPE_FIRST).write_text(json.dumps(bundle(patient("pd1"), {**first, "status": first_status})))
    (fhir / F_DUPE_SECOND).write_text(json.dumps(bundle(patient("pd1"), {**first, "status": "in-progress"})))
    return folder


def _winner(root: Path) -> tuple[str, str]:
    enc = snapshot(root, gold=False)["encounter"]
    row = enc.filter(pl.col("encounter_id") == "ed1").select("status", "source_file").rows()
    assert len(row) == 1
    return row[0]


def test_duplicate_winner_does_not_depend_on_cohort_order(tmp_path: Path) -> None:
    src = _dupes(tmp_path / "src")
    outcomes = []
    for i, order in enumerate((None, ("A", "B"), ("B", "A"))):
        root = tmp_path / f"lh{i}"
        assert land(src, root, cohorts=2).cohorts == ("A", "B")  # First in A, Second in B
        if order is None:
            run(root, gold=False)
        else:
            for cohort in order:
                run(root, cohorts=[cohort], gold=False)
        outcomes.append(snapshot(root, gold=False))
        assert _winner(root) == ("in-progress", F_DUPE_SECOND)  # the later landed
    for other in outcomes[1:]:
        for table in ("patient", "encounter"):
            assert_frame_equal(other[table], outcomes[0][table])

    # First re-landed with new content is now the latest landed bundle carrying ed1: it wins
    _dupes(src, first_status="cancelled")
    landing = land(src, tmp_path / "lh2", cohorts=1)
    assert landing.landed == 1 and landing.cohorts == ("C",)
    summary = run(tmp_path / "lh2", gold=False)
    assert _winner(tmp_path / "lh2") == ("cancelled", F_DUPE_FIRST)
    enc = next(t for t in summary.tables if t.table == "encounter")
    assert (enc.seen, enc.updated, enc.reconciles) == (1, 1, True)

    # all three versions landed before any run, cohorts run newest first: the same winner, and the
    # superseded first version of First is never parsed
    root = tmp_path / "lh3"
    land(_dupes(tmp_path / "src3"), root, cohorts=2)
    land(_dupes(tmp_path / "src3", first_status="cancelled"), root, cohorts=1)
    parsed = [run(root, cohorts=[c], gold=False).files_parsed for c in ("C", "B", "A")]
    assert parsed == [1, 1, 0]
    assert _winner(root) == ("cancelled", F_DUPE_FIRST)
    assert_frame_equal(
        snapshot(root, gold=False)["encounter"], snapshot(tmp_path / "lh2", gold=False)["encounter"]
    )


def _both_paths(data: bytes, name: str) -> tuple[ColumnarResult, ColumnarResult]:
    """One file parsed as the pipeline does (typed fast path first) and on the orjson path alone; the
    outcomes must be the same: rows, seen counts and quarantine records with their reason codes."""
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    results = []
    for typed in (True, False):
        result = ColumnarResult()
        add_bundle(result, data, source_file=name, typed=typed)
        results.append(result)
    fast, slow = results
    assert fast.seen == slow.seen, name
    assert fast.quarantine == slow.quarantine, name
    for spec in SILVER_TABLES:
        got = pl.from_arrow(fast.to_arrow(spec.name, ingest_timestamp=now))
        want = pl.from_arrow(slow.to_arrow(spec.name, ingest_timestamp=now))
        assert isinstance(got, pl.DataFrame) and isinstance(want, pl.DataFrame)
        assert_frame_equal(got, want)
    return fast, slow


def test_the_fast_path_gives_every_catalogue_file_the_orjson_outcome(catalogue: Catalogue) -> None:
    files = sorted(
        p for p in (catalogue.source / "fhir").iterdir() if p.name not in catalogue.good_files | set(REJECTED)
    )
    assert len(files) == 12
    declined = set()
    for path in files:
        fast, _ = _both_paths(path.read_bytes(), path.name)
        if fast.fallbacks:
            declined.add(path.name)
    assert declined == set(TYPED_DECLINES)
    # the pipeline took the same decisions: the run reports how many files fell back
    assert json.loads(catalogue.run.stdout)["fallback_files"] == len(TYPED_DECLINES)


def test_the_fast_path_keeps_each_catalogue_resource_like_the_orjson_path() -> None:
    """The bad-resources bundle falls back whole; resource by resource, the typed path takes partial
    dates, offsets, an orphan reference, studies with broken DICOM and a Claim, and declines only what
    the orjson path quarantines or does not know, and line-broken base64 (msgspec decodes canonical
    base64 only; the orjson path keeps that note, with the same row)."""
    declined = set()
    for entry in resources_bundle()["entry"]:
        doc = {"resourceType": "Bundle", "type": "transaction", "entry": [entry]}
        fast, _ = _both_paths(json.dumps(doc).encode(), "one.json")
        if fast.fallbacks:
            declined.add(entry["fullUrl"].removeprefix("urn:uuid:"))
    # line-broken and bad base64, no id, an unknown resource type
    assert declined == {"nc1", "nc2", "none", "mu1"}
