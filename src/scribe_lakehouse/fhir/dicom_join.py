"""DICOM headers joined onto imaging_study rows after parsing, so parsing need not wait for them.

The parse workers start on the bundles at once, with `DEFERRED` standing in for the DICOM index: every
study's StudyInstanceUID looks up an empty header, so its row keeps the UID (`dicom_binary_id`) and the
FHIR descriptions. The main process reads the real headers meanwhile, and `join_headers` turns those
rows into exactly what parsing with the real index gives (a test compares both). Engine-free: pyarrow.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pyarrow as pa

from scribe_lakehouse.fhir.model import DicomHeader

__all__ = ["DEFERRED", "DeferredDicom", "join_headers"]

# header fields that replace the FHIR value when the header has one; the others are the header's alone
_OVER_FHIR = ("study_description", "series_description")
_HEADER_ONLY = (
    "study_date",
    "manufacturer",
    "magnetic_field_strength",
    "slice_thickness_mm",
    "rows",
    "columns",
)


class DeferredDicom(Mapping[str, DicomHeader]):
    """The DICOM index while parsing: any UID has an empty header (and the index counts as non-empty,
    as the parsers look it up only then)."""

    def __getitem__(self, uid: str) -> DicomHeader:
        return DicomHeader(uid)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return True

    def __reduce__(self) -> str:
        return "DEFERRED"  # one instance, also in the parse workers


DEFERRED = DeferredDicom()


def join_headers(studies: pa.Table, index: Mapping[str, DicomHeader]) -> pa.Table:
    """imaging_study rows parsed with DEFERRED → the rows parsing with `index` gives: a study whose
    UID is in the index gets its header, the others lose the UID and stay un-enriched."""
    if studies.num_rows == 0:
        return studies
    headers = [
        None if uid is None else index.get(uid) for uid in studies.column("dicom_binary_id").to_pylist()
    ]
    schema = studies.schema
    columns: dict[str, list[object]] = {
        "dicom_binary_id": [
            uid if header is not None else None
            for uid, header in zip(studies.column("dicom_binary_id").to_pylist(), headers, strict=True)
        ],
        "dicom_extracted": [header is not None for header in headers],
    }
    for name in _OVER_FHIR:
        fhir = studies.column(name).to_pylist()
        columns[name] = [
            value if header is None or getattr(header, name) is None else getattr(header, name)
            for value, header in zip(fhir, headers, strict=True)
        ]
    for name in _HEADER_ONLY:
        columns[name] = [None if header is None else getattr(header, name) for header in headers]
    for name, values in columns.items():
        i = schema.get_field_index(name)
        studies = studies.set_column(i, schema.field(i), pa.array(values, type=schema.field(i).type))
    return studies
