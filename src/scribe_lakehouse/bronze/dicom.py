"""Bronze DICOM files: the StudyInstanceUID in their names, their headers (pixels never read), and the
UID -> header index the parser joins ImagingStudies against.

Coherent names files `{Given}{n}_{Family}{n}_{patientUUID}{StudyInstanceUID}.dcm`; file names carry
synthetic patient names, so nothing here logs them (counts only).
"""

from __future__ import annotations

import datetime as dt
import os
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue

from scribe_lakehouse.bronze.dicom_headers import index_headers, uid_from_dicom_name
from scribe_lakehouse.errors import InputError, ReasonCode
from scribe_lakehouse.fhir.model import DicomHeader

__all__ = ["build_dicom_index", "header_or_none", "read_header", "uid_from_dicom_name"]

_PLACEHOLDERS = frozenset({"", "UNKNOWN", "NONE", "ANONYMOUS", "ANONYMIZED", "ANONYMISED"})
# (7FE0,0008) float, (7FE0,0009) double, (7FE0,0010) pixel data: where stop_before_pixels stops
_PIXEL_ELEMENTS = frozenset({0x0008, 0x0009, 0x0010})
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
_UNDEFINED_LENGTH = 0xFFFFFFFF


def _text(ds: Any, keyword: str) -> str | None:
    """A string element with DICOM placeholders (UNKNOWN, ANONYMOUS, …) as None."""
    value = ds.get(keyword)
    if value is None:
        return None
    if isinstance(value, MultiValue):
        value = value[0] if len(value) else ""
    text = str(value).strip()
    return None if text.upper() in _PLACEHOLDERS else text


def _number(ds: Any, keyword: str) -> float | None:
    value = ds.get(keyword)
    if isinstance(value, MultiValue):
        value = value[0] if len(value) else None
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _integer(ds: Any, keyword: str) -> int | None:
    number = _number(ds, keyword)
    return None if number is None else int(number)


def _study_date(ds: Any) -> dt.date | None:
    text = _text(ds, "StudyDate")
    if text is None or len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _check_pixel_data(fp: BinaryIO, size: int, implicit_vr: bool, little_endian: bool) -> None:
    """After a stop_before_pixels read, the file must go on with pixel data whose declared length fits
    in the file: a file cut short (header or pixels) is broken, not a smaller image."""
    start = fp.tell()
    head = fp.read(12)
    if len(head) < 8:
        raise InputError(ReasonCode.EXTRACTION_FAILED, "DICOM PixelData (missing or truncated file)")
    endian = "<" if little_endian else ">"
    group, element = struct.unpack(endian + "HH", head[:4])
    if group != 0x7FE0 or element not in _PIXEL_ELEMENTS:
        raise InputError(ReasonCode.EXTRACTION_FAILED, "DICOM PixelData")
    if implicit_vr:
        (length,) = struct.unpack(endian + "I", head[4:8])
        offset = 8
    elif head[4:6] in _LONG_VRS:
        if len(head) < 12:
            raise InputError(ReasonCode.EXTRACTION_FAILED, "DICOM PixelData (truncated file)")
        (length,) = struct.unpack(endian + "I", head[8:12])
        offset = 12
    else:
        (length,) = struct.unpack(endian + "H", head[6:8])
        offset = 8
    if length != _UNDEFINED_LENGTH and start + offset + length > size:
        raise InputError(ReasonCode.EXTRACTION_FAILED, "DICOM PixelData (truncated file)")


def read_header(path: Path) -> DicomHeader:
    """The header fields Silver keeps, read with pixels skipped; InputError for a file that is not
    DICOM, is truncated, or has no StudyInstanceUID."""
    try:
        with path.open("rb") as fp:
            size = os.fstat(fp.fileno()).st_size
            ds = pydicom.dcmread(fp, stop_before_pixels=True)
            implicit_vr, little_endian = ds.original_encoding
            _check_pixel_data(fp, size, bool(implicit_vr), little_endian is not False)
            uid = _text(ds, "StudyInstanceUID") or uid_from_dicom_name(path.name)
            if uid is None:
                raise InputError(ReasonCode.EXTRACTION_FAILED, "DICOM StudyInstanceUID")
            return DicomHeader(
                study_instance_uid=uid,
                study_description=_text(ds, "StudyDescription"),
                series_description=_text(ds, "SeriesDescription"),
                study_date=_study_date(ds),
                manufacturer=_text(ds, "Manufacturer"),
                magnetic_field_strength=_number(ds, "MagneticFieldStrength"),
                slice_thickness_mm=_number(ds, "SliceThickness"),
                rows=_integer(ds, "Rows"),
                columns=_integer(ds, "Columns"),
                modality=_text(ds, "Modality"),
            )
    except InputError:
        raise
    except InvalidDicomError:
        raise InputError(ReasonCode.EXTRACTION_FAILED, "DICOM preamble (not a DICOM file)") from None
    except Exception as exc:  # pydicom raises many types on damaged files; none may stop a run
        raise InputError(ReasonCode.EXTRACTION_FAILED, f"DICOM header ({type(exc).__name__})") from None


def header_or_none(path: Path) -> DicomHeader | None:
    """read_header, or None for a broken or unreadable file (the index skips it)."""
    try:
        return read_header(path)
    except (InputError, OSError):
        return None


def build_dicom_index(paths: Iterable[Path]) -> dict[str, DicomHeader]:
    """StudyInstanceUID (from the file name, else the header) -> header of each file; a broken file is
    skipped and leaves its study un-enriched (bronze.dicom_headers.load_index is the cached form)."""
    return index_headers((path.name, header_or_none(path)) for path in paths)
