"""gold/_metadata/corpus_manifest.json: what a corpus consumer pins against (engine-free)."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from scribe_lakehouse.contract import CONTRACT_VERSION
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class SilverSource:
    table: str
    row_count: int
    delta_version: int


@dataclass(frozen=True)
class CorpusStats:
    """Headline numbers of the Gold corpus."""

    encounters: int
    distinct_patients: int
    with_soap_note: int
    with_ecg: int
    with_imaging: int
    with_genomics: int
    with_vitals: int
    with_labs: int
    avg_conditions_per_encounter: float
    avg_medications_per_encounter: float


@dataclass(frozen=True)
class CorpusManifest:
    engine: Literal["local", "spark"]
    created_timestamp: str
    row_count: int
    corpus_stats: CorpusStats
    silver_sources: tuple[SilverSource, ...]
    gold_table: str = GOLD_ENCOUNTER_SUMMARY.qualified_name
    contract_version: str = CONTRACT_VERSION
    manifest_version: int = MANIFEST_VERSION

    def to_json(self) -> str:
        body = asdict(self)
        body["silver_sources"] = [asdict(s) for s in self.silver_sources]
        order = [
            "manifest_version",
            "contract_version",
            "gold_table",
            "created_timestamp",
            "engine",
            "row_count",
        ]
        ordered = {k: body[k] for k in order} | {"corpus_stats": body["corpus_stats"]}
        ordered["silver_sources"] = body["silver_sources"]
        return json.dumps(ordered, indent=2) + "\n"

    def versions(self) -> dict[str, int]:
        return {s.table: s.delta_version for s in self.silver_sources}

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(self.to_json(), "utf-8")
        os.replace(tmp, path)

    @classmethod
    def read(cls, path: Path) -> CorpusManifest | None:
        if not path.exists():
            return None
        body = json.loads(path.read_text("utf-8"))
        return cls(
            engine=body["engine"],
            created_timestamp=body["created_timestamp"],
            row_count=body["row_count"],
            corpus_stats=CorpusStats(**body["corpus_stats"]),
            silver_sources=tuple(SilverSource(**s) for s in body["silver_sources"]),
            gold_table=body["gold_table"],
            contract_version=body["contract_version"],
            manifest_version=body["manifest_version"],
        )


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
