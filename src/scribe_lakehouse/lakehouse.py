"""Where things live under a lakehouse root, and the single-writer lock."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from scribe_lakehouse.errors import LockedError
from scribe_lakehouse.registry import TableSpec

DEFAULT_ROOT = "./lakehouse"
ROOT_ENV = "LAKEHOUSE_ROOT"
# Silver and Gold tables somewhere else than <root>/ (an s3:// prefix); Bronze and metadata stay in root
TABLES_ENV = "LAKEHOUSE_TABLES_URI"
CORPUS_MANIFEST = "gold/_metadata/corpus_manifest.json"


def default_root() -> Path:
    return Path(os.environ.get(ROOT_ENV, DEFAULT_ROOT))


def default_tables_uri() -> str | None:
    value = os.environ.get(TABLES_ENV, "").strip()
    return value.rstrip("/") or None


@dataclass(frozen=True)
class Lakehouse:
    """A lakehouse root on local disk. Its Delta tables live under the root too, unless `tables` (from
    $LAKEHOUSE_TABLES_URI by default) puts Silver and Gold under an object-store prefix (`s3://…`)."""

    root: Path
    tables: str | None = field(default_factory=default_tables_uri)

    def uri(self, spec: TableSpec) -> str:
        if self.tables is None:
            return str(self.root / spec.path)
        return f"{self.tables}/{spec.path}" if "://" in self.tables else str(Path(self.tables) / spec.path)

    @property
    def bronze(self) -> Path:
        return self.root / "bronze"

    @property
    def corpus_manifest(self) -> Path:
        return self.root / CORPUS_MANIFEST

    @contextmanager
    def lock(self, *, wait: bool = False) -> Iterator[None]:
        """Hold the root's writer lock; a second writer fails with a clear message (or waits)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lakehouse.lock").open("a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                raise LockedError(
                    "another run holds the lock on this lakehouse root; wait for it to finish and retry"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
