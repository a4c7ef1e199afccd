"""The lakehouse root as a Dagster resource, and a Progress that reports to the Dagster run log."""

from __future__ import annotations

import logging
from pathlib import Path

import dagster as dg

from scribe_lakehouse.lakehouse import default_root


class LakehouseResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where the lakehouse lives (a local path). Defaults to `$LAKEHOUSE_ROOT` or `./lakehouse`."""

    root: str

    @classmethod
    def from_env(cls) -> LakehouseResource:
        return cls(root=str(default_root().resolve()))

    @property
    def path(self) -> Path:
        return Path(self.root)


class LogProgress:
    """Implements scribe_lakehouse.progress.Progress with a log line every ~10% (counts only, no names)."""

    def __init__(self, log: logging.Logger | dg.DagsterLogManager) -> None:
        self._log = log
        self._description = ""
        self._total = 0
        self._done = 0
        self._next = 0

    def start(self, description: str, total: int) -> None:
        self._description, self._total, self._done = description, total, 0
        self._next = max(1, total // 10)
        self._log.info("%s: %d item(s) to do", description, total)

    def advance(self, n: int = 1) -> None:
        self._done += n
        if self._done >= self._next or self._done == self._total:
            self._log.info("%s: %d/%d", self._description, self._done, self._total)
            self._next = self._done + max(1, self._total // 10)
