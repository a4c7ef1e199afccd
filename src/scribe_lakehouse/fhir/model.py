"""Engine-free shapes the parser produces: rows per Silver table, quarantine records, counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from scribe_lakehouse.errors import ReasonCode
from scribe_lakehouse.registry import SILVER_TABLES

# A row: Silver column name -> Python value (str, float, int, bool, datetime (UTC-aware), date, None).
# Every row carries `source_file`; `ingest_timestamp` is stamped when the batch becomes Arrow.
Row = dict[str, object]


@dataclass(frozen=True)
class QuarantineRecord:
    """A file or resource that could not be extracted. `detail` names the field, never a value."""

    source_file: str
    entry_index: int | None
    resource_type: str | None
    table: str | None
    reason: ReasonCode
    detail: str


@dataclass(frozen=True)
class DicomHeader:
    """The DICOM header fields Silver keeps, placeholders already turned into None."""

    study_instance_uid: str
    study_description: str | None = None
    series_description: str | None = None
    study_date: dt.date | None = None
    manufacturer: str | None = None
    magnetic_field_strength: float | None = None
    slice_thickness_mm: float | None = None
    rows: int | None = None
    columns: int | None = None
    modality: str | None = None


def _empty_rows() -> dict[str, list[Row]]:
    return {t.name: [] for t in SILVER_TABLES}


def _zero_counts() -> dict[str, int]:
    return {t.name: 0 for t in SILVER_TABLES}


@dataclass
class ParseResult:
    """What one or more bundles yield: rows for every Silver table, quarantine records and, per table,
    how many resources of that table's kind were seen (seen = rows + quarantined, before de-duplication)."""

    rows: dict[str, list[Row]] = field(default_factory=_empty_rows)
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=_zero_counts)
    files: int = 0

    def extend(self, other: ParseResult) -> None:
        for name, rows in other.rows.items():
            self.rows[name].extend(rows)
        self.quarantine.extend(other.quarantine)
        for name, n in other.seen.items():
            self.seen[name] += n
        self.files += other.files
