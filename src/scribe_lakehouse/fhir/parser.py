"""FHIR R4 bundle bytes -> rows for the 10 Silver tables: the parser's public API.

Pure Python, no engine: the local pipeline and Spark executors call the same functions. Each bundle
takes the typed fast path (fhir.typed + fhir.fast, msgspec) and falls back, file by file, to the orjson
path (fhir.orjson_path) whenever the typed decode declines it; both apply the same rules, so the rows
are the same either way. Bad input never raises: a file that is not a Bundle, or a resource that cannot
be extracted, becomes a `QuarantineRecord` naming the field (never a value) and the rest of the bundle
is still parsed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from scribe_lakehouse.fhir import orjson_path
from scribe_lakehouse.fhir.columnar import ColumnarResult, add_bundle
from scribe_lakehouse.fhir.model import DicomHeader, ParseResult

__all__ = ["ColumnarResult", "add_bundle", "parse_bundle", "parse_files"]


def parse_bundle(
    data: bytes,
    *,
    source_file: str,
    dicom: Mapping[str, DicomHeader] | None = None,
    typed: bool = True,
) -> ParseResult:
    """Rows for every Silver table from one bundle's bytes; `source_file` is stamped on each row and
    `dicom` (StudyInstanceUID -> header) enriches imaging studies. `typed=False` forces the orjson path
    (the reference the fast path is tested against). Never raises on bad input."""
    if not typed:
        result = ParseResult()
        orjson_path.parse_into(result, data, source_file, dicom)
        return result
    columns = ColumnarResult()
    add_bundle(columns, data, source_file=source_file, dicom=dicom)
    return columns.to_parse_result()


def parse_files(
    paths: Iterable[tuple[Path, str]], *, dicom: Mapping[str, DicomHeader] | None = None
) -> ParseResult:
    """Parse (path, source_file name) pairs into one ParseResult."""
    columns = ColumnarResult()
    for path, source_file in paths:
        add_bundle(columns, path.read_bytes(), source_file=source_file, dicom=dicom)
    return columns.to_parse_result()
