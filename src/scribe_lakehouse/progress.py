"""Progress reporting for long work: library code calls this protocol, the CLI draws bars."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, description: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...


class NullProgress:
    """Reports nothing (library default, Dagster, tests)."""

    def start(self, description: str, total: int) -> None:
        return None

    def advance(self, n: int = 1) -> None:
        return None
