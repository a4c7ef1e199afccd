"""Where things live under a lakehouse root, and the single-writer lock."""

from __future__ import annotations

import fcntl
import os
import threading
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
LOCK_FILE = ".lakehouse.lock"

# roots whose lock this process holds: resolved root -> (holding thread, depth), for re-entrant use
_HELD: dict[Path, tuple[int, int]] = {}
_HELD_GUARD = threading.Lock()


def default_root() -> Path:
    return Path(os.environ.get(ROOT_ENV, DEFAULT_ROOT))


def default_tables_uri() -> str | None:
    value = os.environ.get(TABLES_ENV, "").strip()
    return value.rstrip("/") or None


def _holder(fd: int) -> str:
    """The pid the current holder wrote into the lock file, as a phrase ('' when unknown)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""


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
        """Hold the root's writer lock (`flock` on `<root>/.lakehouse.lock`). A second writer — another
        process or another thread — fails with a clear message, or blocks with `wait=True`. Re-entrant in
        the thread that holds it (landing inside `demo`, a run inside a Dagster step). The kernel releases
        the lock when its holder dies, even by SIGKILL, so a lock is never left stale."""
        self.root.mkdir(parents=True, exist_ok=True)
        key = self.root.resolve()
        me = threading.get_ident()
        with _HELD_GUARD:
            held = _HELD.get(key)
            if held is not None and held[0] == me:
                _HELD[key] = (me, held[1] + 1)
                reentered = True
            else:
                reentered = False
        if reentered:
            try:
                yield
            finally:
                with _HELD_GUARD:
                    thread, depth = _HELD[key]
                    _HELD[key] = (thread, depth - 1)
            return
        fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                raise LockedError(
                    f"another scribe-lakehouse process{_holder(fd)} is writing to this lakehouse root; "
                    "wait for it to finish and retry"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
            with _HELD_GUARD:
                _HELD[key] = (me, 1)
            try:
                yield
            finally:
                with _HELD_GUARD:
                    del _HELD[key]
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
