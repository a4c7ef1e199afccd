"""DICOM headers from real pydicom test files under Coherent-style names: UID from the name, placeholder
strings as null, broken files skipped by the index, and the parser's enrichment via the index."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

import orjson
import pydicom
import pytest
from pydicom.data import get_testdata_file

from scribe_lakehouse.bronze.dicom import build_dicom_index, read_header, uid_from_dicom_name
from scribe_lakehouse.errors import InputError, ReasonCode
from scribe_lakehouse.fhir.parser import parse_bundle

PATIENT_UUID = "3f7e3cbc-a278-a448-e30a-24ef17ed8c99"
STUDY_UID = "1.2.840.99999999.23127110.1571796115392"
MR_UID = "1.3.6.1.4.1.5962.1.2.4.20040826185059.5457"  # StudyInstanceUID inside MR_small.dcm


def coherent_name(uid: str, given: str = "Ellena683_Allene83", family: str = "Reilly981") -> str:
    return f"{given}_{family}_{PATIENT_UUID}{uid}.dcm"


def sample_file(name: str) -> Path:
    path = get_testdata_file(name)
    assert path is not None
    return Path(path)


def coherent_mr(tmp_path: Path, uid: str = STUDY_UID, **tags: object) -> Path:
    """MR_small.dcm rewritten like a Coherent file: placeholder tags, real geometry."""
    ds = pydicom.dcmread(sample_file("MR_small.dcm"))
    ds.StudyInstanceUID = uid
    ds.StudyDescription = "UNKNOWN"
    ds.Manufacturer = " anonymous "
    ds.SeriesDescription = ""
    ds.Modality = "OT"
    ds.MagneticFieldStrength = "1.5"
    ds.StudyDate = "20191023"
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    path = tmp_path / coherent_name(uid)
    ds.save_as(path)
    return path


@pytest.mark.parametrize(
    ("name", "uid"),
    [
        (coherent_name(STUDY_UID), STUDY_UID),
        (coherent_name("1.2.3", given="Kevin729", family="Erdman779"), "1.2.3"),
        (f"/bronze/dicom/{coherent_name(STUDY_UID)}", STUDY_UID),
        (coherent_name(STUDY_UID).replace(".dcm", ".DCM"), STUDY_UID),
        (f"Ann1_Lee2_{PATIENT_UUID}.dcm", None),  # no UID after the UUID
        (f"Ann1_Lee2_{PATIENT_UUID[:-1]}{STUDY_UID}.dcm", None),  # UUID one character short
        (f"Ann1_Lee2_{PATIENT_UUID}{STUDY_UID}.json", None),
        (f"Ann1_Lee2_{PATIENT_UUID}{STUDY_UID}.dcm.bak", None),
        ("MR_small.dcm", None),
    ],
)
def test_uid_from_dicom_name(name: str, uid: str | None) -> None:
    assert uid_from_dicom_name(name) == uid


def test_read_header_turns_placeholders_into_null(tmp_path: Path) -> None:
    header = read_header(coherent_mr(tmp_path))
    assert header.study_instance_uid == STUDY_UID
    assert header.study_description is None  # UNKNOWN
    assert header.manufacturer is None  # " anonymous "
    assert header.series_description is None  # empty
    assert header.modality == "OT"
    assert header.study_date == dt.date(2019, 10, 23)
    assert (header.rows, header.columns) == (64, 64)
    assert header.slice_thickness_mm == pytest.approx(0.8)
    assert header.magnetic_field_strength == 1.5


def test_read_header_keeps_real_values() -> None:
    header = read_header(sample_file("CT_small.dcm"))
    assert header.manufacturer == "GE MEDICAL SYSTEMS"
    assert header.modality == "CT"
    assert (header.rows, header.columns) == (128, 128)
    assert header.slice_thickness_mm == 5.0
    assert header.study_date == dt.date(2004, 1, 19)


@pytest.mark.parametrize("name", ["MR_small_implicit.dcm", "MR_small_bigendian.dcm", "JPEG2000.dcm"])
def test_read_header_other_encodings(name: str) -> None:
    header = read_header(sample_file(name))
    assert header.study_instance_uid.startswith("1.3.6.1.4.1.5962.")
    assert header.rows is not None


@pytest.mark.parametrize("cut", [100, 1000, 3000, 9000])
def test_truncated_file_raises(tmp_path: Path, cut: int) -> None:
    data = coherent_mr(tmp_path).read_bytes()
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(data[:cut])
    with pytest.raises(InputError) as info:
        read_header(broken)
    assert info.value.reason is ReasonCode.EXTRACTION_FAILED
    assert "broken" not in str(info.value)


def test_non_dicom_file_raises(tmp_path: Path) -> None:
    fake = tmp_path / coherent_name("1.2.3")
    fake.write_bytes(b"this is a text file pretending to be DICOM\n" * 10)
    with pytest.raises(InputError, match="not a DICOM file"):
        read_header(fake)


def test_build_index_skips_broken_files_and_logs_counts_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = coherent_mr(tmp_path)
    second_uid = "1.2.840.99999999.1.2"
    second = tmp_path / coherent_name(second_uid, given="Kevin729", family="Erdman779")
    shutil.copy(sample_file("MR_small.dcm"), second)  # header UID differs: the name's UID is the key
    truncated = tmp_path / coherent_name("1.2.840.99999999.3.3")
    truncated.write_bytes(good.read_bytes()[:1200])
    not_dicom = tmp_path / coherent_name("1.2.840.99999999.4.4")
    not_dicom.write_bytes(b"{}")
    unnamed = tmp_path / "scan.dcm"
    shutil.copy(sample_file("CT_small.dcm"), unnamed)  # no UID in the name: the header's UID is the key

    with caplog.at_level(logging.INFO, logger="scribe_lakehouse.bronze.dicom_headers"):
        index = build_dicom_index(sorted(tmp_path.iterdir()))

    assert set(index) == {STUDY_UID, second_uid, "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322"}
    assert index[second_uid].study_instance_uid == MR_UID
    assert index[STUDY_UID].rows == 64
    assert "2 broken" in caplog.text
    for path in tmp_path.iterdir():
        assert path.name not in caplog.text
    assert "Ellena683" not in caplog.text and "Kevin729" not in caplog.text


def test_parser_enriches_imaging_study_from_the_index(tmp_path: Path) -> None:
    index = build_dicom_index([coherent_mr(tmp_path)])
    study = {
        "resourceType": "ImagingStudy",
        "id": "img-1",
        "identifier": [{"value": f"urn:oid:{STUDY_UID}"}],
        "subject": {"reference": f"urn:uuid:{PATIENT_UUID}"},
        "started": "2019-10-23T02:01:55+00:00",
        "series": [{"modality": {"code": "MR"}, "bodySite": {"code": "12738006", "display": "Brain"}}],
    }
    other = {**study, "id": "img-2", "identifier": [{"value": "urn:oid:1.2.3.4"}]}
    data = orjson.dumps({"resourceType": "Bundle", "entry": [{"resource": study}, {"resource": other}]})
    rows = {
        r["study_id"]: r for r in parse_bundle(data, source_file="b.json", dicom=index).rows["imaging_study"]
    }
    enriched = rows["img-1"]
    assert enriched["dicom_extracted"] is True
    assert enriched["dicom_binary_id"] == STUDY_UID
    assert enriched["modality"] == "MR"
    assert enriched["study_description"] is None
    assert enriched["manufacturer"] is None
    assert (enriched["rows"], enriched["columns"]) == (64, 64)
    assert enriched["study_date"] == dt.date(2019, 10, 23)
    assert enriched["magnetic_field_strength"] == 1.5
    assert rows["img-2"]["dicom_extracted"] is False
    assert rows["img-2"]["rows"] is None
