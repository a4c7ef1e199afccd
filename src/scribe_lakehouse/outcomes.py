"""What a run did, engine-free: both engines return these shapes and the CLI renders them."""

from __future__ import annotations

from dataclasses import dataclass, field

from scribe_lakehouse.corpus_manifest import CorpusStats
from scribe_lakehouse.registry import SILVER_TABLES
from scribe_lakehouse.validation import TableValidation, reconciliation_check


@dataclass(frozen=True)
class MergeStats:
    """What one MERGE did. `version` is the committed version, or None when nothing was written."""

    source_rows: int
    inserted: int
    updated: int
    deleted: int
    version: int | None
    superseded: int = 0  # batch rows not written because the target row of their key ranks higher


@dataclass(frozen=True)
class TableRunStats:
    """One Silver table in one run: seen = written + quarantined + duplicates."""

    table: str
    seen: int
    written: int
    inserted: int
    updated: int
    quarantined: int
    duplicates: int

    @property
    def reconciles(self) -> bool:
        return reconciliation_check(self).passed


def _zero() -> dict[str, int]:
    return {s.name: 0 for s in SILVER_TABLES}


@dataclass
class Totals:
    """Per-table counts accumulated over the batches of one run."""

    seen: dict[str, int] = field(default_factory=_zero)
    written: dict[str, int] = field(default_factory=_zero)
    inserted: dict[str, int] = field(default_factory=_zero)
    updated: dict[str, int] = field(default_factory=_zero)
    quarantined_by_table: dict[str, int] = field(default_factory=_zero)
    duplicates: dict[str, int] = field(default_factory=_zero)
    quarantined: int = 0

    def table_stats(self) -> list[TableRunStats]:
        return [
            TableRunStats(
                table=s.name,
                seen=self.seen[s.name],
                written=self.written[s.name],
                inserted=self.inserted[s.name],
                updated=self.updated[s.name],
                quarantined=self.quarantined_by_table[s.name],
                duplicates=self.duplicates[s.name],
            )
            for s in SILVER_TABLES
        ]


@dataclass(frozen=True)
class GoldResult:
    """What a Gold build did. `changed` is False when Silver had not moved (nothing written)."""

    changed: bool
    row_count: int
    inserted: int
    updated: int
    deleted: int
    version: int | None
    stats: CorpusStats | None


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    files_parsed: int
    bytes_parsed: int
    cohorts: tuple[str, ...]
    tables: tuple[TableRunStats, ...]
    quarantined: int
    validation: tuple[TableValidation, ...]
    gold: GoldResult | None
    seconds: float
    notes: tuple[str, ...] = field(default=())
    engine: str = "local"
    fallback_files: int = 0  # files the typed fast path declined (parsed on the orjson path; local engine)
    workers: int = 0  # parse processes used (0 = in-process; local engine)

    @property
    def nothing_to_do(self) -> bool:
        return self.files_parsed == 0

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.validation)
