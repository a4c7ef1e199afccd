from __future__ import annotations

import json
from pathlib import Path

import pytest

from scribe_lakehouse.bronze.landing import Manifest, cohort_label, land, safe_name, sha256_file
from scribe_lakehouse.bronze.plan import PLAN, PlanItem, save_plan
from scribe_lakehouse.errors import ConfigError, InputError


def _source(tmp: Path, names: list[str]) -> Path:
    src = tmp / "src" / "fhir"
    src.mkdir(parents=True)
    for i, name in enumerate(names):
        (src / name).write_text(json.dumps({"resourceType": "Bundle", "entry": [], "n": i}))
    return tmp / "src"


def test_cohort_labels() -> None:
    assert [cohort_label(i) for i in (0, 1, 25, 26, 27, 701, 702)] == ["A", "B", "Z", "AA", "AB", "ZZ", "AAA"]


def test_round_robin_sorted_and_manifest(tmp_path: Path) -> None:
    src = _source(tmp_path, ["e.json", "a.json", "d.json", "b.json", "c.json"])
    root = tmp_path / "lh"
    summary = land(src, root, cohorts=3)
    assert summary.landed == 5 and summary.cohorts == ("A", "B", "C")
    manifest = Manifest.load(root)
    assert [(e.name, e.cohort) for e in manifest.entries] == [
        ("a.json", "A"),
        ("b.json", "B"),
        ("c.json", "C"),
        ("d.json", "A"),
        ("e.json", "B"),
    ]
    for e in manifest.entries:
        assert (root / e.path).read_bytes() == (src / "fhir" / e.name).read_bytes()
        assert e.path == f"bronze/fhir/cohort={e.cohort}/{e.name}"
        assert len(e.sha256) == 64 and e.bytes > 0


def test_resumable_and_new_cohorts_and_new_version(tmp_path: Path) -> None:
    src = _source(tmp_path, ["a.json", "b.json"])
    root = tmp_path / "lh"
    land(src, root, cohorts=3)
    again = land(src, root, cohorts=3)
    assert again.landed == 0 and again.skipped == 2
    (src / "fhir" / "c.json").write_text("{}")
    (src / "fhir" / "a.json").write_text('{"changed": true}')
    third = land(src, root, cohorts=1)
    assert third.landed == 2 and third.cohorts == ("C",)  # A, B used by the first landing
    manifest = Manifest.load(root)
    versions = [e for e in manifest.entries if e.name == "a.json"]
    assert len(versions) == 2 and versions[0].sha256 != versions[1].sha256
    # Bronze keeps both versions of a.json
    assert all((root / v.path).exists() for v in versions)
    assert (root / versions[0].path).read_bytes() != (root / versions[1].path).read_bytes()


@pytest.mark.parametrize(
    "bad", ["..", "../x.json", "/etc/x.json", "a/../b.json", "x\x00.json", ".hidden.json", "a\\b.json"]
)
def test_unsafe_names_rejected(bad: str) -> None:
    with pytest.raises(InputError):
        safe_name(bad)


def test_unicode_name_normalised() -> None:
    assert safe_name("Luisa710_Mac\u0131\u0301as944_x.json") == "Luisa710_Mac\u0131\u0301as944_x.json"
    assert safe_name("Jose\u0301.json") == "Jos\u00e9.json"


def test_flat_source_folder(tmp_path: Path) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "x.json").write_text("{}")
    (flat / "LICENSE").write_text("text")
    summary = land(flat, tmp_path / "lh")
    assert summary.landed == 1


def test_reverting_to_an_older_content_lands_again_beside_the_others(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "dicom").mkdir(parents=True)
    dcm = src / "dicom" / "a.dcm"  # DICOM has no cohorts: every version lands in one folder
    root = tmp_path / "lh"
    for content in (b"one", b"two", b"one", b"two"):  # back to an earlier content is a change too
        dcm.write_bytes(content)
        assert land(src, root, kinds=["dicom"]).landed == 1
    assert land(src, root, kinds=["dicom"]).skipped == 1  # unchanged since the latest landing
    entries = Manifest.load(root).entries
    one, two = entries[0].sha256[:12], entries[1].sha256[:12]
    assert [e.path for e in entries] == [
        "bronze/dicom/a.dcm",
        f"bronze/dicom/a~{two}.dcm",
        f"bronze/dicom/a~{one}.dcm",
        f"bronze/dicom/a~{two}-2.dcm",
    ]
    for e in entries:
        assert sha256_file(root / e.path) == e.sha256


def test_a_killed_landings_copies_are_recorded_not_duplicated_and_its_part_files_removed(
    tmp_path: Path,
) -> None:
    src = _source(tmp_path, ["a.json", "b.json"])
    root = tmp_path / "lh"
    # what a landing killed mid-copy leaves: a complete copy and a half copy, no manifest
    (root / "bronze/fhir/cohort=A").mkdir(parents=True)
    (root / "bronze/fhir/cohort=A/a.json").write_bytes((src / "fhir/a.json").read_bytes())
    (root / "bronze/fhir/cohort=B").mkdir(parents=True)
    (root / "bronze/fhir/cohort=B/b.json.part").write_bytes(b'{"resourceT')  # a stale half copy
    assert Manifest.load(root).entries == []
    summary = land(src, root, cohorts=2)
    assert summary.landed == 2 and summary.cohorts == ("A", "B")
    entries = Manifest.load(root).entries
    assert [e.path for e in entries] == ["bronze/fhir/cohort=A/a.json", "bronze/fhir/cohort=B/b.json"]
    for e in entries:
        assert (root / e.path).read_bytes() == (src / "fhir" / e.name).read_bytes()
    assert not list(root.rglob("*.part"))


def test_an_unrecorded_file_with_other_bytes_is_never_overwritten(tmp_path: Path) -> None:
    src = _source(tmp_path, ["a.json"])
    root = tmp_path / "lh"
    placed = root / "bronze/fhir/cohort=A/a.json"
    placed.parent.mkdir(parents=True)
    placed.write_text('{"placed": "by hand"}')
    land(src, root, cohorts=1)
    assert placed.read_text() == '{"placed": "by hand"}'
    [entry] = Manifest.load(root).entries
    assert entry.path.startswith("bronze/fhir/cohort=A/a~")
    assert (root / entry.path).read_bytes() == (src / "fhir/a.json").read_bytes()


def test_names_equal_after_normalisation_keep_the_first_and_count_the_other(tmp_path: Path) -> None:
    """One local name, one file: the key listed first is landed, the other is rejected and counted, and
    landing again changes nothing (two versions of one name would replace each other on every landing)."""
    src = _source(tmp_path, ["Jos\u00e9.json", "Jose\u0301.json"])
    root = tmp_path / "lh"
    first = land(src, root, cohorts=1)
    assert (first.landed, first.rejected) == (1, 1)
    [entry] = Manifest.load(root).entries
    assert entry.name == "Jos\u00e9.json" and entry.path == "bronze/fhir/cohort=A/Jos\u00e9.json"
    assert (root / entry.path).read_bytes() == (src / "fhir" / "Jose\u0301.json").read_bytes()
    again = land(src, root, cohorts=1)
    assert (again.landed, again.skipped, again.rejected) == (0, 1, 1)
    assert Manifest.load(root).entries == [entry]


@pytest.mark.parametrize(
    "bad", ["/etc/passwd", "bronze/../x.json", "silver/patient/x.json", "bronze/fhir/.."]
)
def test_an_unreadable_or_escaping_manifest_is_refused(tmp_path: Path, bad: str) -> None:
    src = _source(tmp_path, ["a.json"])
    root = tmp_path / "lh"
    land(src, root)
    path = root / "bronze/_metadata/manifest.json"
    good = path.read_text()
    path.write_text(good[: len(good) // 2])
    with pytest.raises(ConfigError, match="is not valid"):
        Manifest.load(root)
    body = json.loads(good)
    body["files"][0]["path"] = bad
    path.write_text(json.dumps(body))
    with pytest.raises(ConfigError, match="points outside bronze/"):
        Manifest.load(root)


def test_a_resumed_landing_leaves_the_manifest_in_name_order(tmp_path: Path) -> None:
    """Files are recorded as downloads finish (and an interrupted landing stops anywhere); when the
    landing completes, its entries are in name order, exactly as an uninterrupted landing writes them —
    the order is the precedence of duplicate ids."""
    src = _source(tmp_path, ["a.json", "b.json", "c.json", "d.json"])
    clean = tmp_path / "clean"
    land(src, clean, cohorts=2)
    expected = [(e.name, e.cohort, e.path, e.sha256) for e in Manifest.load(clean).entries]
    assert [name for name, *_ in expected] == ["a.json", "b.json", "c.json", "d.json"]

    root = tmp_path / "lh"
    land(src, root, cohorts=2)
    manifest = Manifest.load(root)
    d_entry = manifest.entries[3]
    # as a killed landing may leave it: d and b recorded in the order they finished, a and c not yet,
    # the plan still on disk
    items = [
        PlanItem("fhir", e.name, e.cohort, e.path, e.bytes, None, str(src / "fhir" / e.name))
        for e in manifest.entries
    ]
    save_plan(root, items, start=0)
    manifest.entries = [d_entry, manifest.entries[1]]
    manifest.save(root)
    (root / items[2].path).unlink()  # c was never copied; a was copied but not recorded
    summary = land(src, root, cohorts=2)
    assert (summary.landed, summary.skipped) == (2, 2)
    assert [(e.name, e.cohort, e.path, e.sha256) for e in Manifest.load(root).entries] == expected
    assert not (root / PLAN).exists()
