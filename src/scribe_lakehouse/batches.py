"""Which Bronze files a run parses and which row wins a key, engine-free: the local engine and the Spark
engine read Silver's bookkeeping their own way and apply these rules (docs/RELIABILITY.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scribe_lakehouse.errors import ConfigError

if TYPE_CHECKING:
    from scribe_lakehouse.bronze.landing import Manifest, ManifestEntry

UNRANKED = -1  # the rank of a source that is not in the ranks (it loses to every ranked one)
SOURCE_COLUMN = "source_file"


@dataclass(frozen=True)
class Precedence:
    """Which row wins when a batch row and a target row share a key but come from different sources:
    the one whose `column` value ranks higher in `ranks` (values not in `ranks` rank `UNRANKED`); on equal
    ranks the batch row wins. This makes the winner independent of the order batches are merged in.
    Each engine evaluates `target rank > batch rank` (the batch row loses) in its own expressions."""

    column: str
    ranks: Mapping[str, int] = field(default_factory=dict)


def source_ranks(manifest: Manifest) -> dict[str, int]:
    """Bundle file name -> position of its latest version in the manifest (landing order). When two
    bundles carry the same resource id, the row from the higher-ranked one wins (see docs/RELIABILITY.md)."""
    return {e.name: i for i, e in enumerate(manifest.entries) if e.kind == "fhir"}


def source_precedence(manifest: Manifest) -> Precedence:
    """The duplicate-winner rule of Silver tables: by the rank of each row's bundle (`source_file`)."""
    return Precedence(SOURCE_COLUMN, source_ranks(manifest))


def require_bundles(manifest: Manifest) -> Manifest:
    """`manifest`, or a clear error when Bronze holds no FHIR bundle yet."""
    if not manifest.fhir():
        raise ConfigError("no FHIR bundles in Bronze under this root: run `ingest` or `demo` first")
    return manifest


def require_cohorts(manifest: Manifest, cohorts: Sequence[str] | None) -> None:
    """A clear error naming the requested cohorts Bronze does not have (and those it has)."""
    unknown = set(cohorts or ()) - set(manifest.cohorts())
    if unknown:
        raise ConfigError(
            f"unknown cohort(s): {', '.join(sorted(unknown))}; known: {', '.join(manifest.cohorts())}"
        )


def pending(
    manifest: Manifest, parsed: Collection[tuple[str, str]], cohorts: Sequence[str] | None
) -> list[ManifestEntry]:
    """The current version of each FHIR file (the latest landed under its name), in manifest order,
    whose exact bytes — (bronze path, sha256), not in `parsed` — have not been parsed into Silver yet.
    An older version of a re-landed file is never parsed once a newer one is in Bronze."""
    current = {e.name: e.path for e in manifest.fhir()}
    return [
        e for e in manifest.fhir(cohorts) if current[e.name] == e.path and (e.path, e.sha256) not in parsed
    ]


def patient_bundle_count(manifest: Manifest) -> int:
    return len({e.name for e in manifest.fhir() if not e.is_reference_bundle})


def parse_unvalidated(last_parsed: dt.datetime | None, last_validated: dt.datetime | None) -> bool:
    """True when Silver was written (a file marked processed) after the last validation recorded in
    ingest_log — a run killed between its last MERGE and its ingest_log append: the next run validates
    Silver in its place."""
    if last_parsed is None:
        return False
    return last_validated is None or last_parsed > last_validated
