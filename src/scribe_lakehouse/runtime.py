"""Process-level settings the entry points apply before the engines load."""

from __future__ import annotations

import os

# Polars allocates through its own jemalloc, which by default keeps freed pages for 10 s: a run that
# validates Silver and then builds Gold holds both working sets at once, and Gold's own build and
# change detection stack up the same way. Returning freed pages after 100 ms cut the peak RSS of a
# new-cohort run with Gold from ~1.9 GB to ~1.3 GB for ~0.1 s of Gold time (docs/BENCHMARKS.md).
ALLOCATOR_ENV = {"_RJEM_MALLOC_CONF": "dirty_decay_ms:100,muzzy_decay_ms:0"}


def tune_allocators() -> None:
    """Apply ALLOCATOR_ENV unless the environment sets it already. Only effective before Polars is
    first imported in the process (the CLI calls it first thing); spawned workers inherit it."""
    for name, value in ALLOCATOR_ENV.items():
        os.environ.setdefault(name, value)
