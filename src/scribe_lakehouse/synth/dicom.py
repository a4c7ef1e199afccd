"""MR brain DICOM files in Coherent's shape, written with pydicom.

Coherent's files carry placeholder descriptive tags (Modality `OT`, StudyDescription and Manufacturer
`UNKNOWN`) but real StudyDate, Rows/Columns, SliceThickness and MagneticFieldStrength. We write one 256x256
16-bit (12 stored bits) MONOCHROME2 slice of a simple head phantom per study (128 KiB of pixels): Rows and
Columns match the pixel data we store, and the size is close to Coherent's (~107 KB per file).
"""

from __future__ import annotations

import sys
from array import array
from functools import lru_cache
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, ExplicitVRLittleEndian

from scribe_lakehouse.synth.special import DicomStudy

MR_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.4")
SIZE = 256
_SLICES = 8


@lru_cache(maxsize=_SLICES)
def phantom(slice_index: int) -> bytes:
    """A deterministic axial head slice: skull ring, brain, ventricles; higher slices are smaller."""
    scale = 1.0 - 0.05 * slice_index
    c = SIZE / 2
    outer_a, outer_b = 100 * scale, 118 * scale
    inner_a, inner_b = outer_a - 9, outer_b - 9
    vent_a, vent_b = 14 * scale, 30 * scale
    pixels = array("H")
    for y in range(SIZE):
        row = array("H", [0]) * SIZE
        dy = y - c + 0.5
        for a, b, value in (
            (outer_a, outer_b, 1900),
            (inner_a, inner_b, 900 + 20 * slice_index),
            (vent_a, vent_b, 250),
        ):
            if abs(dy) < b:
                half = int(a * (1 - (dy / b) ** 2) ** 0.5)
                lo, hi = int(c) - half, int(c) + half
                row[lo:hi] = array("H", [value + (y % 7) * 3]) * (hi - lo)
        pixels.extend(row)
    if sys.byteorder == "big":
        pixels.byteswap()
    return pixels.tobytes()


def write_study(path: Path, study: DicomStudy) -> int:
    """Write one single-frame MR file for `study`; returns the bytes written."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MR_IMAGE_STORAGE
    meta.MediaStorageSOPInstanceUID = UID(study.instance_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID

    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = MR_IMAGE_STORAGE
    ds.SOPInstanceUID = study.instance_uid
    ds.StudyDate = study.study_date
    ds.SeriesDate = study.study_date
    ds.ContentDate = study.study_date
    ds.StudyTime = study.study_time
    ds.Modality = "OT"
    ds.Manufacturer = "UNKNOWN"
    ds.StudyDescription = "UNKNOWN"
    ds.SeriesDescription = study.series_description
    ds.PatientName = study.patient_name
    ds.PatientID = study.patient_id
    ds.PatientBirthDate = study.birth_date
    ds.PatientSex = study.sex
    ds.SliceThickness = study.slice_thickness
    ds.MagneticFieldStrength = study.field_strength
    ds.StudyInstanceUID = study.study_uid
    ds.SeriesInstanceUID = study.series_uid
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = SIZE
    ds.Columns = SIZE
    ds.PixelSpacing = [0.9375, 0.9375]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.WindowCenter = 1000
    ds.WindowWidth = 2000
    ds.add_new(0x7FE00010, "OW", phantom(study.slice_index))
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return path.stat().st_size
